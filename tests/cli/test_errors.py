"""Exit codes, error messages, the help text, the app entry point and terminal safety."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from contact_tui import cli
from contact_tui.bootstrap import open_service
from contact_tui.cli import main
from contact_tui.cli.exits import (
    EXIT_CODES,
    EXIT_CONFIG,
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PERMISSION,
    EXIT_UNAVAILABLE,
    EXIT_UNREADABLE,
)
from contact_tui.cli.output import json_text
from contact_tui.config import load_config
from contact_tui.domain.text import printable
from contact_tui.service import ContactService
from contact_tui.store.errors import StoreUnavailable
from tests.cli.runner import Runner, run_process, write_config


def test_exit_codes_are_distinct_and_documented(capsys: pytest.CaptureFixture[str]) -> None:
    codes = [code for code, _ in EXIT_CODES]
    assert len(codes) == len(set(codes))
    assert main(["--help"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "exit codes:" in out
    for code, meaning in EXIT_CODES:
        assert f"{code:>3}  {meaning}" in out
    for code in codes:
        assert f"{code} " in (cli.__doc__ or "")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("contact-tui ")


def test_usage_errors_exit_2(run: Runner) -> None:
    assert run("contact").code == EXIT_INVALID
    assert run("contact", "frobnicate").code == EXIT_INVALID
    result = run("contact", "edit", "x", "--expect-version", "soon", "--title", "A")
    assert result.code == EXIT_INVALID
    assert "not a whole number" in result.err


def test_permission_denied_for_a_viewer(run: Runner, tmp_path: Path) -> None:
    viewer = write_config(tmp_path / "viewer", role="viewer")
    result = run("contact", "add", "--first", "Sam", "--last", "Vries", config_path=viewer)
    assert result.code == EXIT_PERMISSION
    assert result.err.startswith("contact-tui: ")
    assert "may not add contacts" in result.err
    assert "viewer" in result.err
    assert result.err.count("\n") == 1
    assert run("contact", "list", config_path=viewer).code == EXIT_OK


def test_not_found(run: Runner) -> None:
    result = run("contact", "show", "00000000-0000-0000-0000-000000000000")
    assert result.code == EXIT_NOT_FOUND
    assert result.err == (
        "contact-tui: No contact has the id 00000000-0000-0000-0000-000000000000.\n"
    )


def test_corrupt_store_is_unreadable_and_left_alone(run: Runner, config: Path) -> None:
    store = config.parent / "store.json"
    store.write_text("{not json", encoding="utf-8")
    result = run("contact", "list")
    assert result.code == EXIT_UNREADABLE
    assert str(store) in result.err
    assert "doctor" in result.err
    assert store.read_text(encoding="utf-8") == "{not json"


def test_missing_store_folder_is_unavailable(run: Runner, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "cfg", store="missing/store.json")
    result = run("contact", "list", config_path=cfg)
    assert result.code == EXIT_UNAVAILABLE
    assert "does not exist" in result.err


# --- a user outside the store's group (security report, finding 10) ---------------------------

OUTSIDER = 65534  # "nobody", in none of the store's groups
STORE_GROUP = 12345  # the store folder's group, which the outsider is not in


@pytest.fixture
def locked_out(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A config anyone can read, over a store folder the outsider may not enter; yields both.

    As root (CI) the folder is what the README sets up, mode 2770 of a group the outsider is
    not in, and the commands run in a child process that has become the outsider. As a normal
    user the folder is mode 000 and the commands run as that user.
    """
    base = Path(tempfile.mkdtemp()) if os.geteuid() == 0 else tmp_path
    base.chmod(0o755)  # the outsider must reach the config
    store = base / "store" / "store.json"
    store.parent.mkdir()
    config = write_config(base / "cfg", store=str(store))
    config.parent.chmod(0o755)
    config.chmod(0o644)
    # Made by a member first, so the open below fails on access, not on a missing store; this
    # also imports everything the commands need before the child loses access to the venv.
    for argv in (["contact", "add", "--first", "Sam", "--last", "Vries"], ["doctor"]):
        assert main(["--config", str(config), *argv]) == EXIT_OK
    if os.geteuid() == 0:
        shutil.chown(store.parent, 0, STORE_GROUP)
        store.parent.chmod(0o2770)
    else:
        store.parent.chmod(0o000)
    yield config, store.parent
    store.parent.chmod(0o700)
    if base != tmp_path:
        shutil.rmtree(base)


def as_outsider(task: Callable[[], list[Any]]) -> list[Any]:
    """``task()``'s JSON-able result, run as the outsider: in a forked child that drops to uid
    and gid 65534 when we are root, in this process otherwise."""
    if os.geteuid() != 0:
        return task()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_fd)
            os.setgroups([])
            os.setgid(OUTSIDER)
            os.setuid(OUTSIDER)
            os.write(write_fd, json.dumps(task()).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    assert data, "the outsider's process failed before reporting"
    result: list[Any] = json.loads(data)
    return result


def _cli(config: Path, argv: list[str]) -> Callable[[], list[Any]]:
    def task() -> list[Any]:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--config", str(config), *argv])
        return [code, out.getvalue(), err.getvalue()]

    return task


@pytest.mark.parametrize(
    "argv",
    [
        ["contact", "list"],
        ["contact", "add", "--first", "Ann", "--last", "Lee"],
        ["admin", "show"],
        ["interaction", "list"],
    ],
)
def test_a_user_outside_the_store_group_is_told_whom_to_ask(
    locked_out: tuple[Path, Path], argv: list[str]
) -> None:
    config, folder = locked_out
    code, out, err = as_outsider(_cli(config, argv))
    assert code == EXIT_UNAVAILABLE, err
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("contact-tui: No permission to open ")
    assert str(folder) in err and "ask your admin" in err and "group" in err
    assert "internal error" not in err and "PermissionError" not in err


def test_doctor_reports_the_same_sentence_to_a_user_outside_the_group(
    locked_out: tuple[Path, Path],
) -> None:
    # Doctor lists what it finds and exits 6 when any finding is an error (its documented rule).
    config, folder = locked_out
    code, out, err = as_outsider(_cli(config, ["doctor"]))
    assert code == EXIT_UNREADABLE, (out, err)
    assert "internal error" not in err and "PermissionError" not in out + err
    problem = next(line for line in out.splitlines() if line.startswith("error: "))
    assert "No permission to open" in problem and str(folder) in problem
    assert "ask your admin" in problem


def test_the_app_shows_the_same_sentence_when_the_store_is_out_of_reach(
    locked_out: tuple[Path, Path],
) -> None:
    # The app opens the store through open_service and shows the message of what it raises.
    config, folder = locked_out

    def task() -> list[Any]:
        try:
            open_service(load_config(config))
        except StoreUnavailable as err:
            return ["StoreUnavailable", str(err)]
        return ["opened", ""]

    kind, message = as_outsider(task)
    assert kind == "StoreUnavailable"
    assert str(folder) in message and "ask your admin" in message


def test_a_file_outside_the_store_is_named_without_blaming_the_group(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied", "/srv/elsewhere/file")

    monkeypatch.setattr(ContactService, "search", denied)
    result = run("contact", "list")
    assert result.code == EXIT_UNAVAILABLE
    assert result.err == (
        "contact-tui: No permission to open /srv/elsewhere/file; check its owner and mode, "
        "or ask its owner for access.\n"
    )


def test_broken_config_is_a_config_error(run: Runner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[store\npath = ", encoding="utf-8")
    result = run("contact", "list", config_path=broken)
    assert result.code == EXIT_CONFIG
    assert "not valid TOML" in result.err
    missing = run("doctor", config_path=tmp_path / "nope.toml")
    assert missing.code == EXIT_CONFIG
    assert "does not exist" in missing.err


def test_internal_error_is_one_line_without_traceback(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(ContactService, "search", boom)
    result = run("contact", "list")
    assert result.code == EXIT_INTERNAL
    assert result.err == (
        "contact-tui: internal error: RuntimeError: kaboom; "
        "rerun with CONTACT_TUI_DEBUG=1 for a traceback\n"
    )
    monkeypatch.setenv("CONTACT_TUI_DEBUG", "1")
    debug = run("contact", "list")
    assert "Traceback" in debug.err


def test_no_command_starts_the_app_on_the_configured_store(
    run: Runner, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    openers: list[Callable[[], ContactService]] = []
    monkeypatch.setattr("contact_tui.ui.app.run_app", openers.append)
    result = run()
    assert result.code == 0
    assert len(openers) == 1
    assert openers[0]().store_location == str(config.parent / "store.json")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain", "plain"),
        ("Zoë 山田 👩‍👩‍👧", "Zoë 山田 👩‍👩‍👧"),
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("new\nline\ttab", "new\\x0aline\\x09tab"),
        ("\x9b31m", "\\x9b31m"),
        ("rtl\u202eevil", "rtl\\u202eevil"),
        ("sep\u2028x", "sep\\u2028x"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("lone\udcff", "lone\\udcff"),
        ("zw\u200cnj", "zw\u200cnj"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_json_text_escapes_what_json_dumps_leaves_raw() -> None:
    import json

    value = {"name": "a\x1b\x9b\u202e\u2028\U000e0041 ok é"}
    text = json_text(value)
    assert json.loads(text) == value
    for raw in ("\x1b", "\x9b", "\u202e", "\u2028", "\U000e0041"):
        assert raw not in text
    assert "é" in text


# --- as a real process -------------------------------------------------------------------------


def _subprocess(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_process(config, *args)
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_process_happy_path(config: Path) -> None:
    done = _subprocess(config, "--json", "contact", "add", "--first", "Sam", "--last", "Vries")
    assert done.returncode == EXIT_OK, done.stderr
    assert '"firstName": "Sam"' in done.stdout
    assert done.stderr == ""


def test_process_invalid_input(config: Path) -> None:
    done = _subprocess(
        config, "contact", "add", "--first", "A", "--last", "B", "--work-phone", "x123"
    )
    assert done.returncode == EXIT_INVALID
    assert done.stderr.startswith("contact-tui: --work-phone: An extension alone")
    assert "Traceback" not in done.stderr


def test_process_corrupt_store(config: Path) -> None:
    (config.parent / "store.json").write_text("{not json", encoding="utf-8")
    done = _subprocess(config, "contact", "list")
    assert done.returncode == EXIT_UNREADABLE
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


def test_process_broken_config(tmp_path: Path) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text("[[[", encoding="utf-8")
    done = _subprocess(broken, "interaction", "list")
    assert done.returncode == EXIT_CONFIG
    assert "Traceback" not in done.stderr


def test_process_usage_error(config: Path) -> None:
    done = _subprocess(config, "interaction", "new", "--from", "1")
    assert done.returncode == EXIT_INVALID
    assert "--channel" in done.stderr
    assert "Traceback" not in done.stderr


def test_permission_is_checked_before_the_fields(run: Runner, tmp_path: Path) -> None:
    viewer = write_config(tmp_path / "viewer", role="viewer")
    result = run("contact", "add", "--first", "A", "--work-phone", "x123", config_path=viewer)
    assert result.code == EXIT_PERMISSION
    assert "--work-phone" not in result.err


def test_only_the_routing_role_hands_over_interactions(run: Runner, tmp_path: Path) -> None:
    # Routing needs its own permission (security report, finding 7); the router sees ids, not
    # contacts.
    argv = (
        "interaction",
        "new",
        "--agent",
        "alice",
        "--channel",
        "voice",
        "--from",
        "+1 317 555 0110",
    )
    no_role = write_config(tmp_path / "none", role="router", extra="[roles]\nrouter = []\n")
    assert run(*argv, config_path=no_role).code == EXIT_PERMISSION
    cfg = write_config(tmp_path / "router", role="router")
    result = run(*argv, config_path=cfg)
    assert result.code == EXIT_OK, result.err
    contact_line = next(line for line in result.out.splitlines() if line.startswith("Contact"))
    assert "Ephemeral" not in contact_line
    assert run("contact", "list", config_path=cfg).code == EXIT_PERMISSION
