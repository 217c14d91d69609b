"""Fixtures for the screen tests (helpers they call are in tests/ui/pilot.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contact_tui.ui.app import ContactApp


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every message the app shows (notice line or toast), in order."""
    messages: list[str] = []
    original = ContactApp.notify

    def recording(self: ContactApp, message: str, **kwargs: Any) -> None:
        messages.append(message)
        original(self, message, **kwargs)

    monkeypatch.setattr(ContactApp, "notify", recording)
    yield messages
