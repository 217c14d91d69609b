"""Running the command line in tests: a config in a temporary folder, ``main()`` in-process
with its output captured, and ``python -m contact_tui`` as a real process.

Shared by the command-line, hostile and permission tiers; their conftest modules turn these into
fixtures.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli import main
from contact_tui.config import CONFIG_ENV, SYSTEM_CONFIG
from tests.factories import TEST_AGENTS

USER = pwd.getpwuid(os.getuid()).pw_name
REPO = Path(__file__).resolve().parents[2]


def write_config(
    folder: Path, role: str = "supervisor", store: str = "store.json", extra: str = ""
) -> Path:
    """A config.toml in ``folder`` giving the current OS user ``role`` over ``store``, and the
    test agents (who interactions are routed to) the agent role."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    agents = "".join(f'{json.dumps(name)} = "agent"\n' for name in TEST_AGENTS if name != USER)
    # json.dumps quotes the user name as a TOML basic string, whatever it contains.
    path.write_text(
        f"[store]\npath = {json.dumps(store)}\n\n[users]\n{json.dumps(USER)} = {json.dumps(role)}\n"
        + agents
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


def isolate_from_system_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip when a system config exists (it would win over --config and point the tests at a
    real store), and drop the environment that would choose another config or debug output."""
    if SYSTEM_CONFIG.exists():
        pytest.skip(f"{SYSTEM_CONFIG} exists; these tests would use its store")
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv("CONTACT_TUI_DEBUG", raising=False)


def in_process(config: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``contact-tui --config <config> ARGS...`` in-process; ``config_path=`` overrides
    the config for one run."""

    def runner(*args: str, config_path: Path | None = None) -> Result:
        code = main(["--config", str(config_path or config), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return runner


def json_command(run: Runner, *command: str) -> Callable[..., dict[str, Any]]:
    """``contact-tui --json COMMAND FLAGS...`` as a function of the flags, returning the JSON
    document it printed (failing the test if it did not succeed)."""

    def call(*flags: str) -> dict[str, Any]:
        result = run("--json", *command, *flags)
        assert result.code == 0, result.err
        doc: dict[str, Any] = result.json()
        return doc

    return call


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
