"""Customer data kept from other users of the host: out of argv, and out of readable files.

Every user of a host can read every process's command line (``ps``, /proc/PID/cmdline), so
customer data given as flags is shown to people outside the agents' group. Each command that
takes customer data also takes it as a JSON object from a file or standard input
(``--values``); these tests give a card number that way and look at the process's command line
while it runs, then try every way of getting the file wrong. An export written with ``-o`` is
created 0600 whatever the umask, and replacing a file never widens who can read it.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli import parser
from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from contact_tui.config import CONFIG_ENV
from contact_tui.exchange import formats
from tests.cli.runner import REPO, Result, Runner

CARD = "4111 1111 1111 1111"


def _stdin(monkeypatch: pytest.MonkeyPatch, raw: bytes) -> None:
    """Give the next in-process run ``raw`` on standard input."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))


def _interactions(run: Runner) -> list[dict[str, Any]]:
    listed = run("--json", "interaction", "list", "--all-states")
    assert listed.code == EXIT_OK, listed.err
    found: list[dict[str, Any]] = listed.json()
    return found


def _run_with_stdin(config: Path, args: list[str], data: bytes) -> tuple[bytes, Result]:
    """Start ``python -m contact_tui ARGS``, read its /proc command line while it runs and
    before it has been given anything, then feed it ``data``; returns both."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONTACT_TUI_DEBUG", CONFIG_ENV)}
    env["PYTHONPATH"] = str(REPO)
    argv = [sys.executable, "-m", "contact_tui", "--config", str(config), *args]
    with subprocess.Popen(
        argv,
        env=env,
        cwd=config.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        # The process cannot finish before its standard input is closed below. Popen may
        # return while exec is still setting up the new command line (vfork), when it reads
        # as empty for a moment.
        proc = Path(f"/proc/{process.pid}/cmdline")
        deadline = time.monotonic() + 10
        while not (cmdline := proc.read_bytes()) and time.monotonic() < deadline:
            time.sleep(0.005)
        out, err = process.communicate(data, timeout=60)
    return cmdline, Result(process.returncode, out.decode(), err.decode())


# --- customer data never on the command line ----------------------------------------------------


def test_a_card_number_given_on_standard_input_is_never_in_the_process_command_line(
    run: Runner, config: Path
) -> None:
    values = {
        "channel": "voice",
        "from": "+1 317 555 0123",
        "name": "Sam Lee",
        "transcript": ["Customer: my card is", CARD],
    }

    cmdline, result = _run_with_stdin(
        config, ["interaction", "new", "--values", "-"], json.dumps(values).encode()
    )

    assert result.code == EXIT_OK, result.err
    assert cmdline.split(b"\0")[-3:-1] == [b"--values", b"-"]
    for secret in (CARD, "317 555 0123", "Sam Lee"):
        assert secret.encode() not in cmdline
    (stored,) = _interactions(run)
    assert stored["transcript"][-1] == CARD
    assert stored["from"] == {"address": "+1 317 555 0123", "name": "Sam Lee"}


def test_a_contact_given_in_a_file_is_never_in_the_process_command_line(
    run: Runner, config: Path, tmp_path: Path
) -> None:
    values = tmp_path / "contact.json"
    values.write_text(
        json.dumps({"first": "Sam", "last": "Vries", "cell-phone": "+1 317 555 0123"}),
        encoding="utf-8",
    )

    cmdline, result = _run_with_stdin(config, ["contact", "add", "--values", str(values)], b"")

    assert result.code == EXIT_OK, result.err
    assert b"Vries" not in cmdline and b"555" not in cmdline
    (contact,) = run("--json", "contact", "list").json()
    assert (contact["lastName"], contact["cellPhone"]["e164"]) == ("Vries", "+13175550123")


def test_an_interaction_import_reads_standard_input(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = {"channel": "voice", "from": "+1 317 555 0123", "transcript": [CARD]}
    _stdin(monkeypatch, (json.dumps(record) + "\n").encode())

    result = run("interaction", "import", "-")

    assert result.code == EXIT_OK, result.err
    assert [i["transcript"] for i in _interactions(run)] == [[CARD]]


# --- a values file that is wrong -----------------------------------------------------------------


def _refused(result: Result, command: str) -> str:
    """Assert a usage error (exit 2, the usage, one error line) and return the error line."""
    assert result.code == EXIT_INVALID, (result.code, result.err)
    assert result.out == ""
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert lines[0].startswith(f"usage: contact-tui {command}"), lines
    assert lines[-1].startswith(f"contact-tui {command}: error: "), lines
    assert all(line.isprintable() for line in lines), lines
    return lines[-1].removeprefix(f"contact-tui {command}: error: ")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"frist": "Sam", "cel-phone": "1"}', "unknown keys 'frist', 'cel-phone'; the keys are"),
        (b'{"first": 7}', "'first' must be text, not a number"),
        (b'{"first": null}', "'first' must be text, not null"),
        (b'{"first": ["Sam"]}', "'first' must be text, not a list"),
        (b'{"interaction": 5}', "'interaction' must be text, not a number"),
        (b'{"cell-sms": "yes"}', "'cell-sms' must be true or false, not text"),
        (b'{"first": 1, "last": {}}', "'first' must be text, not a number; 'last' must be text"),
        (b'{"first": "\\ud800"}', "'first' holds U+D800, a lone surrogate"),
        (b'["Sam", "Vries"]', "give a JSON object ({...}), not a list"),
        (b'{"first": "Sam", "first": "Ann"}', "the key 'first' appears twice"),
        (b'{"first": "Sam",', "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8 text (byte 0 cannot be decoded)"),
        (b'{"first": ' + b"[" * 100_000, "nested too deeply"),
        (b'{"\\u001b]2;PWNED\\u0007": "x"}', "unknown key '\\x1b]2;PWNED\\x07'"),
    ],
)
def test_a_bad_values_file_is_refused_and_nothing_is_saved(
    run: Runner, tmp_path: Path, raw: bytes, says: str
) -> None:
    path = tmp_path / "values.json"
    path.write_bytes(raw)

    line = _refused(run("contact", "add", "--values", str(path)), "contact add")

    assert line.startswith(f"--values {path}: ")
    assert says in line
    assert run("--json", "contact", "list").json() == []


@pytest.mark.parametrize(
    ("args", "values", "says"),
    [
        (
            ["--from", "+1 317 555 0123"],
            {"channel": "voice", "from": "+1 317 555 0199"},
            "--from given both on the command line and in --values -; give each in one place",
        ),
        (
            [],
            {"channel": "voice", "from": "1", "transcript": CARD},
            "'transcript' must be a list of texts",
        ),
        ([], {"channel": "fax", "from": "1"}, "'channel' is 'fax'; known: voice, "),
        (
            [],
            {"channel": "message", "from": "1", "platform": "myspace"},
            "is 'myspace'; known: sms,",
        ),
        (
            [],
            {"transcript": [CARD]},
            "the following arguments are required: --channel, --from (on the command line or "
            "in --values)",
        ),
        (["--channel", "voice"], {"name": "Sam"}, "required: --from"),
    ],
)
def test_bad_interaction_values_are_refused_and_nothing_is_saved(
    run: Runner,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    values: dict[str, Any],
    says: str,
) -> None:
    _stdin(monkeypatch, json.dumps(values).encode())

    line = _refused(run("interaction", "new", *args, "--values", "-"), "interaction new")

    assert says in line
    assert _interactions(run) == []


def test_a_number_option_in_the_values_is_checked_as_on_the_command_line(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, b'{"title": "B", "expect-version": 0}')

    line = _refused(run("contact", "edit", "some-id", "--values", "-"), "contact edit")

    assert line == "--values -: 'expect-version': 0 is not 1 or more"


def test_values_larger_than_the_bound_are_not_read(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parser, "MAX_VALUES_BYTES", 100)
    _stdin(monkeypatch, json.dumps({"first": "Sam", "title": "x" * 200}).encode())

    line = _refused(run("contact", "add", "--values", "-"), "contact add")

    # A stream cannot be measured first: its first 101 bytes were read, and none used.
    assert line == (
        "--values -: Standard input is larger than 100 bytes; reading stopped there and nothing "
        "was used"
    )


def test_a_missing_values_file_is_named(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    line = _refused(run("contact", "add", "--values", str(path)), "contact add")
    assert line == f"--values {path}: The file {path} does not exist"


def test_values_and_a_transcript_file_cannot_both_read_standard_input(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, b'{"channel": "voice", "from": "+1 317 555 0123"}')

    result = run("interaction", "new", "--values", "-", "--transcript-file", "-")

    assert result.code == EXIT_INVALID
    assert "--values - and --transcript-file - cannot both read standard input" in result.err
    assert _interactions(run) == []


# --- export files --------------------------------------------------------------------------------


def test_an_export_never_reads_the_umask_by_setting_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # os.umask is the only way to read the umask, and it sets it for every thread of the
    # process meanwhile: an export in the directory screen's worker would race the app.
    def no_umask(mask: int) -> int:
        raise AssertionError(f"os.umask({mask:#o}) was called")

    monkeypatch.setattr(os, "umask", no_umask)
    target = tmp_path / "contacts.csv"

    assert formats.write_atomically(str(target), "x\n") == 0o600

    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_symlink_at_the_export_path_is_replaced_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n", encoding="utf-8")
    os.chmod(victim, 0o644)
    target = tmp_path / "export.csv"
    target.symlink_to(victim)

    formats.write_atomically(str(target), "customer data\n")

    assert not target.is_symlink()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # not the link target's 0644
    assert victim.read_text(encoding="utf-8") == "keep\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644


def _with_gid(
    real: Callable[..., os.stat_result], path: Path, gid: int
) -> Callable[..., os.stat_result]:
    """os.lstat as it is, except that ``path`` reports group ``gid``."""

    def lstat(name: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        info = real(name, *args, **kwargs)
        if os.fspath(name) != str(path):
            return info
        fields = list(info[:10])
        fields[5] = gid  # st_gid
        return os.stat_result(fields)

    return lstat


def test_a_replaced_export_whose_group_cannot_be_kept_loses_its_group_bits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The old file belongs to a group we are not in (a setgid folder would give the new file
    # the folder's group): 0640 on another group would widen who can read it.
    target = tmp_path / "team.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o640)
    other_gid = target.stat().st_gid + 1

    def refused(fd: int, uid: int, gid: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "lstat", _with_gid(os.lstat, target, other_gid))
    monkeypatch.setattr(os, "fchown", refused)

    assert formats.write_atomically(str(target), "new\n") == 0o600

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text(encoding="utf-8") == "new\n"


def test_a_replaced_export_keeps_its_group_when_it_can(tmp_path: Path) -> None:
    target = tmp_path / "team.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o640)
    if os.geteuid() == 0:
        gid = 54321  # root may give a file any group
    else:
        others = [g for g in os.getgroups() if g != target.stat().st_gid]
        if not others:
            pytest.skip("this user is in one group only: no other group to keep")
        gid = others[0]
    os.chown(target, -1, gid)

    assert formats.write_atomically(str(target), "new\n") == 0o640

    info = target.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_gid) == (0o640, gid)


def test_a_world_readable_file_planted_by_another_user_does_not_widen_the_export(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The review's attack: in a team folder, someone plants daily.csv mode 0644 for a
    # supervisor's nightly `export -o daily.csv` to take over. The mode was their choice,
    # not the exporter's: the export is private.
    target = tmp_path / "daily.csv"
    target.write_text("planted\n", encoding="utf-8")
    os.chmod(target, 0o644)
    if os.geteuid() == 0:
        os.chown(target, 4242, -1)  # root (CI) can make it another user's file for real
    else:
        real_lstat = os.lstat

        def planted(path: object, *args: object, **kwargs: object) -> os.stat_result:
            st = real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]
            if Path(str(path)) != target:
                return st
            fields = list(st)
            fields[stat.ST_UID] = os.geteuid() + 1
            return os.stat_result(fields)

        monkeypatch.setattr(os, "lstat", planted)

    assert formats.write_atomically(str(target), "contacts\n") == 0o600

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.stat().st_uid == os.geteuid()
    assert target.read_text(encoding="utf-8") == "contacts\n"


def test_a_searched_phone_given_on_standard_input_is_never_in_the_process_command_line(
    run: Runner, config: Path
) -> None:
    added = run(
        "contact", "add", "--first", "Sam", "--last", "Vries", "--cell-phone", "+13175550123"
    )
    assert added.code == EXIT_OK, added.err

    cmdline, result = _run_with_stdin(
        config, ["--json", "contact", "search", "-"], b"(317) 555-0123\n"
    )

    assert result.code == EXIT_OK, result.err
    assert b"555" not in cmdline
    assert [c["lastName"] for c in result.json()] == ["Vries"]


def test_a_search_query_on_standard_input_is_bounded(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, b"x" * 20_000)
    result = run("contact", "search", "-")
    assert result.code == EXIT_INVALID
    assert "over 10,000 bytes" in result.err


ESCAPES = "\x1b]2;PWNED\x07\x1b]52;c;Y3VybCBldmlsIHwgc2gK\x1b\\"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["contact", "add", f"--zz{ESCAPES}"], id="unknown-option"),
        pytest.param([f"-{ESCAPES}"], id="unknown-short-option"),
        pytest.param(["contact", "add", "--values", f"v{ESCAPES}.json"], id="values-file-name"),
        pytest.param(["interaction", "new", "--channel", f"voice{ESCAPES}"], id="bad-choice"),
        pytest.param(["contact", "search", "--limit", f"1{ESCAPES}"], id="bad-number"),
    ],
)
def test_usage_errors_never_echo_escape_sequences(run: Runner, args: list[str]) -> None:
    # The review's attack: argparse quoted what it could not parse back to the terminal raw,
    # so a script passing customer text or a planted file name could retitle the window or
    # write the clipboard (OSC 52).
    result = run(*args)
    assert result.code == EXIT_INVALID
    assert "\x1b" not in result.err + result.out and "\x07" not in result.err + result.out
    assert "\\x1b]2;PWNED" in result.err
