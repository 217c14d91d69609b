"""Fixtures for the command-line tests, shared with the hostile-input tests: a config in a
temporary folder, and a runner. Loaded for every tier by ``pytest_plugins`` in
tests/conftest.py; the helpers behind them are in tests/cli/runner.py.

Most tests call ``main()`` in-process with capsys; a few run ``python -m contact_tui`` in a
subprocess to prove what a shell sees (exit code, no traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.runner import Runner, in_process, json_command, write_config


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
