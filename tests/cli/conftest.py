"""Shared fixtures for the command-line tests: a config in a temporary folder, and a runner.

Most tests call ``main()`` in-process with capsys; a few run ``python -m contact_tui`` in a
subprocess to prove what a shell sees (exit code, no traceback).
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli import main
from contact_tui.config import CONFIG_ENV, SYSTEM_CONFIG

USER = pwd.getpwuid(os.getuid()).pw_name


def write_config(
    folder: Path, role: str = "supervisor", store: str = "store.json", extra: str = ""
) -> Path:
    """A config.toml in ``folder`` giving the current OS user ``role`` over ``store``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    # json.dumps quotes the user name as a TOML basic string, whatever it contains.
    path.write_text(
        f"[store]\npath = {json.dumps(store)}\n\n[users]\n{json.dumps(USER)} = {json.dumps(role)}\n"
        + extra,
        encoding="utf-8",
    )
    return path


@dataclass
class Result:
    """What one run printed and returned."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """Standard output parsed as one JSON document."""
        return json.loads(self.out)


Runner = Callable[..., Result]


@pytest.fixture(autouse=True)
def _no_system_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A system config would win over --config and point the tests at a real store.
    if SYSTEM_CONFIG.exists():
        pytest.skip(f"{SYSTEM_CONFIG} exists; these tests would use its store")
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv("CONTACT_TUI_DEBUG", raising=False)
    yield


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config giving the current user the supervisor role over tmp_path/store.json."""
    return write_config(tmp_path)


@pytest.fixture
def run(config: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``contact-tui --config <config> ARGS...`` in-process; ``config=`` overrides it."""

    def runner(*args: str, config_path: Path | None = None) -> Result:
        code = main(["--config", str(config_path or config), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return runner


@pytest.fixture
def add_contact(run: Runner) -> Callable[..., dict[str, Any]]:
    """Create a contact through the CLI and return its JSON document."""

    def add(*flags: str) -> dict[str, Any]:
        result = run("--json", "contact", "add", *flags)
        assert result.code == 0, result.err
        doc: dict[str, Any] = result.json()
        return doc

    return add


@pytest.fixture
def new_interaction(run: Runner) -> Callable[..., dict[str, Any]]:
    """Hand over an interaction through the CLI and return its JSON document."""

    def new(*flags: str) -> dict[str, Any]:
        result = run("--json", "interaction", "new", *flags)
        assert result.code == 0, result.err
        doc: dict[str, Any] = result.json()
        return doc

    return new


REPO = Path(__file__).resolve().parents[2]


def run_process(config: Path, *args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m contact_tui ARGS`` as a real process, as a shell would: no stdin, the
    config from the environment, no debug tracebacks. Arguments may be raw bytes."""
    env = {k: v for k, v in os.environ.items() if k != "CONTACT_TUI_DEBUG"}
    env[CONFIG_ENV] = str(config)
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "contact_tui", *args],
        env=env,
        cwd=config.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
