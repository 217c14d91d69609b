"""Fixtures for the command-line tests: a config in a temporary folder, and a runner.

Most tests call ``main()`` in-process with capsys; a few run ``python -m contact_tui`` in a
subprocess to prove what a shell sees (exit code, no traceback). The helpers behind these
fixtures are in tests/cli/runner.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.runner import (
    Runner,
    in_process,
    isolate_from_system_config,
    json_command,
    write_config,
)


@pytest.fixture(autouse=True)
def _no_system_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A system config would win over --config and point the tests at a real store.
    isolate_from_system_config(monkeypatch)
    yield


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config giving the current user the supervisor role over tmp_path/store.json."""
    return write_config(tmp_path)


@pytest.fixture
def run(config: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``contact-tui --config <config> ARGS...`` in-process; ``config_path=`` overrides it."""
    return in_process(config, capsys)


@pytest.fixture
def add_contact(run: Runner) -> Callable[..., dict[str, Any]]:
    """Create a contact through the CLI and return its JSON document."""
    return json_command(run, "contact", "add")


@pytest.fixture
def new_interaction(run: Runner) -> Callable[..., dict[str, Any]]:
    """Hand over an interaction through the CLI and return its JSON document."""
    return json_command(run, "interaction", "new")
