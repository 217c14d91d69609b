"""The corpus tests' fixture: services over named embedded stores in the test's folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contact_tui.service import ContactService
from contact_tui.store.repository import Repository
from tests.factories import FixedClock, make_agent, make_config

Services = Callable[[str], ContactService]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Services]:
    """Services over named stores in this test's folder: ``store("main")``."""
    opened: dict[str, tuple[Repository, ContactService]] = {}

    def build(name: str) -> ContactService:
        if name not in opened:
            path = tmp_path / f"{name}.json"
            repo = Repository.open(path)
            service = ContactService(repo, make_config(path), make_agent("alice"), FixedClock())
            opened[name] = (repo, service)
        return opened[name][1]

    yield build
    for repo, _ in opened.values():
        repo.close()
