"""The command line under abuse: wrong, missing, repeated and oversized flags, files that are
binary, empty, huge or not UTF-8, import files with one bad line, bytes that are not UTF-8 in
argv, and the hostile corpus as values.

Every failure is a clear message and its documented exit code (README: 2 invalid input or
usage), never a traceback: a usage error is argparse's usage and one "contact-tui ...: error:"
line; anything else is one line per problem, each starting "contact-tui:". Most cases run
``main()`` in-process; a few run ``python -m contact_tui`` to prove what a shell sees.

NUL bytes cannot be passed in argv at all (exec refuses them), so none are tried there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OK
from contact_tui.cli.interaction import MAX_TRANSCRIPT_BYTES
from contact_tui.domain.rules import MAX_DISPLAY_NAME_LENGTH
from contact_tui.domain.text import printable
from contact_tui.exchange import interactions
from tests.cli.runner import Result, Runner, run_process
from tests.hostile.corpus import FORBIDDEN_ON_SCREEN, NAMES, TEXTS
from tests.hostile.text_rules import name_rule_accepts, terminal_width

USAGE_ERROR = re.compile(r"^contact-tui( [a-z]+)*: error: \S")

# --- what every refusal looks like -------------------------------------------------------------


def refused(result: Result, code: int = EXIT_INVALID) -> list[str]:
    """Assert a refusal: ``code``, nothing on stdout, no traceback, and every stderr line a
    'contact-tui:' message; returns the lines."""
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines, "a refusal says why"
    for line in lines:
        assert line.startswith("contact-tui: "), line
        assert line.isprintable(), repr(line)
    return lines


def refused_once(result: Result, code: int = EXIT_INVALID) -> str:
    """A refusal that is exactly one line; returns it without the 'contact-tui: ' prefix."""
    lines = refused(result, code)
    assert len(lines) == 1, lines
    return lines[0].removeprefix("contact-tui: ")


def usage_error(result: Result) -> str:
    """Assert argparse's usage error: exit 2, the usage, then one error line; returns it."""
    assert result.code == EXIT_INVALID, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines[0].startswith("usage: contact-tui"), lines
    assert USAGE_ERROR.match(lines[-1]), lines[-1]
    assert sum(1 for line in lines if ": error: " in line) == 1
    return lines[-1]


def _interactions(run: Runner) -> list[dict[str, Any]]:
    listed = run("--json", "interaction", "list", "--all-states")
    assert listed.code == EXIT_OK, listed.err
    found: list[dict[str, Any]] = listed.json()
    return found


# --- wrong and missing flags ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["contact", "add", "--bogus", "x"], "unrecognized arguments: --bogus"),
        (["contact"], "required: COMMAND"),
        (["contact", "frobnicate"], "invalid choice: 'frobnicate'"),
        (["contact", "add", "--first"], "argument --first: expected one argument"),
        (["contact", "show"], "required: ID"),
        (["contact", "link", "only-one"], "required: CONTACT_ID"),
        (["contact", "list", "--limit", "-1"], "-1 is not 1 or more"),
        (["contact", "list", "--limit", "1e3"], "'1e3' is not a whole number"),
        (["contact", "list", "--limit", "9" * 5000], "is not a whole number"),
        (["contact", "edit", "x", "--expect-version", "0"], "0 is not 1 or more"),
        (["contact", "add", "--cell-sms=maybe"], "ignored explicit argument 'maybe'"),
        (["interaction", "new", "--from", "1"], "required: --channel"),
        (["interaction", "new", "--channel", "voice"], "required: --from"),
        (["interaction", "new", "--channel"], "argument --channel: expected one argument"),
        (["interaction", "new", "--channel", "fax", "--from", "1"], "invalid choice: 'fax'"),
        (
            ["interaction", "new", "--channel", "message", "--platform", "myspace", "--from", "1"],
            "invalid choice: 'myspace'",
        ),
        (["interaction", "import"], "required: FILE"),
        (["admin", "set", "colour", "blue"], "invalid choice: 'colour'"),
        (["admin", "set", "default-country-code"], "required: VALUE"),
        (["doctor", "--repair=yes"], "ignored explicit argument 'yes'"),
        (["--config"], "argument --config: expected one argument"),
    ],
)
def test_a_usage_error_gives_the_usage_and_one_error_line(
    run: Runner, args: list[str], says: str
) -> None:
    assert says in usage_error(run(*args))


def test_a_bad_value_for_a_known_setting_is_one_line(run: Runner) -> None:
    line = refused_once(run("admin", "set", "ephemeral-ttl-days", "9" * 30))
    assert "between 1 and 3650 days" in line
    assert "There is no country calling code" in refused_once(
        run("admin", "set", "default-country-code", "9" * 30)
    )


def test_an_empty_required_value_is_refused_by_the_rules(run: Runner) -> None:
    assert "needs a sender" in refused_once(
        run("interaction", "new", "--channel", "voice", "--from", " ")
    )
    assert "needs the agent" in refused_once(
        run("interaction", "new", "--channel", "voice", "--from", "1", "--agent", "")
    )
    line = refused_once(run("contact", "add", "--first", "", "--last", "Lee"))
    assert line == "--first: First name is required."


# --- repeated flags ----------------------------------------------------------------------------


def test_a_flag_given_twice_takes_its_last_value(run: Runner) -> None:
    added = run("--json", "contact", "add", "--first", "Ann", "--first", "Sam", "--last", "Lee")
    assert added.code == EXIT_OK, added.err
    assert added.json()["firstName"] == "Sam"
    new = run(
        "--json",
        "interaction",
        "new",
        "--channel",
        "voice",
        "--channel",
        "email",
        "--from",
        "+1 317 555 0123",
        "--from",
        "sam@example.com",
    )
    assert new.code == EXIT_OK, new.err
    assert (new.json()["channel"], new.json()["from"]["address"]) == ("email", "sam@example.com")
    edited = run("--json", "contact", "edit", added.json()["id"], "--title", "A", "--title", "")
    assert edited.code == EXIT_OK, edited.err
    assert "title" not in edited.json(), "the last value, empty, clears the title"


def test_repeatable_flags_collect_every_value(run: Runner, tmp_path: Path) -> None:
    more = tmp_path / "more.txt"
    more.write_text("third\nfourth\n", encoding="utf-8")
    new = run(
        "--json",
        "interaction",
        "new",
        "--channel",
        "email",
        "--from",
        "sam@example.com",
        "--to",
        "a@example.com",
        "--to",
        "b@example.com",
        "--cc",
        "c@example.com",
        "--cc",
        "d@example.com",
        "--transcript",
        "first",
        "--transcript",
        "second",
        "--transcript-file",
        str(more),
    )
    assert new.code == EXIT_OK, new.err
    doc = new.json()
    assert doc["to"] == ["a@example.com", "b@example.com"]
    assert doc["cc"] == ["c@example.com", "d@example.com"]
    assert doc["transcript"] == ["first", "second", "third", "fourth"]


def test_the_help_says_what_a_repeated_flag_does(run: Runner) -> None:
    helped = run("--help")
    assert helped.code == EXIT_OK
    assert "A flag given twice takes its last value" in " ".join(helped.out.split())


# --- oversized values -----------------------------------------------------------------------------

MB = 1_000_000
KB100 = 100_000


@pytest.mark.parametrize(
    ("flag", "size", "says"),
    [
        ("--first", MB, "--first: First name is too long: at most 1,000 characters, this has"),
        ("--last", KB100, "--last: Last name is too long"),
        ("--title", KB100, "--title: Title is too long"),
        ("--cell-phone", KB100, "--cell-phone: The phone number is too long: at most 64"),
        ("--work-email", KB100, "--work-email: The email address is too long: at most 254"),
        ("--city", KB100, "--address.city: City is too long"),
        ("--external-url", MB, "--external-url: External system URL is too long"),
    ],
)
def test_an_oversized_contact_field_is_refused_in_one_line(
    run: Runner, flag: str, size: int, says: str
) -> None:
    args = {"--first": "Sam", "--last": "Lee", flag: "7" * size}
    flat = [part for pair in args.items() for part in pair]
    line = refused_once(run("contact", "add", *flat))
    assert line.replace("--address.city", "--city").startswith(says.replace("--address.", "--"))
    assert len(line) < 200, "the refusal does not echo the value"
    assert run("--json", "contact", "list").json() == []


@pytest.mark.parametrize(
    ("flag", "says"),
    [
        ("--subject", "The subject is too long: at most 1,000 characters"),
        ("--name", "The sender name is too long: at most 256 characters"),
        ("--from", "The sender address is too long: at most 1,000 characters"),
        ("--to", "To address 1 is too long: at most 1,000 characters"),
        ("--transcript", "Transcript line 1 is too long: at most 10,000 characters"),
        ("--agent", "The agent is too long: at most 256 characters"),
    ],
)
def test_an_oversized_interaction_field_is_refused_in_one_line(
    run: Runner, flag: str, says: str
) -> None:
    args = {"--channel": "email", "--from": "sam@example.com", flag: "x" * KB100}
    flat = [part for pair in args.items() for part in pair]
    assert refused_once(run("interaction", "new", *flat)) == f"{says}, this has 100,000."
    assert _interactions(run) == []


def test_an_oversized_query_or_id_gives_one_short_line(run: Runner) -> None:
    searched = run("contact", "search", "5" * KB100)
    assert searched.code == EXIT_OK
    assert searched.err == ""
    assert len(searched.out) < 200, "the summary does not echo a 100 KB query"
    assert "0 contacts match" in searched.out
    shown = refused(run("contact", "show", "z" * KB100), EXIT_NOT_FOUND)
    assert len(shown) == 1
    assert run("--json", "contact", "list", "--limit", "9" * 30).code == EXIT_OK


# --- files: --transcript-file and interaction import ---------------------------------------------


def _file(tmp_path: Path, kind: str) -> str:
    """A file of one abusive kind; returns the path to give on the command line."""
    path = tmp_path / f"{kind}.txt"
    if kind == "binary":
        path.write_bytes(bytes(range(256)) * 8)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "huge":
        with path.open("wb") as f:  # sparse: a size over the limit without writing it
            f.truncate(MAX_TRANSCRIPT_BYTES + 1)
    elif kind == "not-utf8":
        path.write_bytes(b'{"channel": "voice", "from": "caf\xe9"}\n')
    elif kind == "utf16":
        path.write_bytes('{"channel": "voice", "from": "1"}\n'.encode("utf-16"))
    elif kind == "folder":
        path.mkdir()
    elif kind == "missing":
        pass
    elif kind == "device":
        return "/dev/zero"  # never ends: refused as no file before a byte of it is read
    else:
        raise AssertionError(kind)
    return str(path)


_FILE_REFUSALS = {
    "binary": "looks binary (it holds NUL bytes); give UTF-8 text.",
    "huge": "is larger than",
    "not-utf8": "is not UTF-8 text (byte 33 cannot be decoded).",
    "utf16": "looks binary (it holds NUL bytes); give UTF-8 text.",
    "folder": "is a folder, not a file.",
    "missing": "does not exist.",
    "device": "is a character device, not a regular file; give a file's path.",
}


@pytest.mark.parametrize("kind", ["empty", *_FILE_REFUSALS])
def test_a_bad_transcript_file_is_refused_in_one_line(
    run: Runner, tmp_path: Path, kind: str
) -> None:
    path = _file(tmp_path, kind)
    result = run(
        "--json",
        "interaction",
        "new",
        "--channel",
        "voice",
        "--from",
        "1",
        "--transcript-file",
        path,
    )
    if kind == "empty":
        assert result.code == EXIT_OK, result.err
        assert "transcript" not in result.json(), "an empty file is an empty transcript"
        return
    line = refused_once(result)
    assert path in line
    assert _FILE_REFUSALS[kind].split(" (")[0] in line, line
    if kind == "not-utf8":
        assert line.endswith("is not UTF-8 text (byte 33 cannot be decoded).")
    assert _interactions(run) == []


@pytest.mark.parametrize("kind", ["empty", *(k for k in _FILE_REFUSALS if k != "device")])
def test_a_bad_import_file_is_refused_in_one_line(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # The real limit is 100 MB; a smaller one here proves the same check without the I/O
    # (a subprocess test below reads /dev/zero up to the real one).
    monkeypatch.setattr(interactions, "MAX_IMPORT_BYTES", MAX_TRANSCRIPT_BYTES)
    path = _file(tmp_path, kind)
    result = run("interaction", "import", path)
    if kind == "empty":
        assert result.code == EXIT_OK, result.err
        assert result.out.startswith(f"Imported 0 interactions from {path}.")
        return
    line = refused_once(result)
    assert path in line
    assert _FILE_REFUSALS[kind].split(" (")[0] in line, line
    assert _interactions(run) == []


GOOD = json.dumps({"channel": "voice", "from": "+1 317 555 0123", "name": "Sam Lee"})


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ('{"channel": "voice", "from": ', "not valid JSON (Expecting value at column 30)"),
        ("[1, 2]", "each line must be a JSON object"),
        ('"just text"', "each line must be a JSON object"),
        ('{"channel": "voice", "from": "1", "colour": "red"}', "unknown key 'colour'"),
        ('{"channel": "voice", "from": 12}', "'from' must be text, not int"),
        ('{"channel": "voice", "from": NaN}', "'from' must be text, not float"),
        ('{"channel": "voice", "from": "1", "to": "x"}', "'to' must be a list of texts"),
        ('{"channel": "fax", "from": "1"}', "'channel' is 'fax'; known: voice, email, message"),
        ('{"channel": "message", "from": "1"}', "a message needs a platform"),
        ('{"channel": "voice", "from": "  "}', "'from' (the sender) is required"),
        ('{"channel": "voice", "from": "1", "agent": " "}', "needs the agent it is routed to"),
        ("[" * 100_000, "nested too deeply"),
        ('{"channel": "voice", "from": ' + "9" * 5000 + "}", "Exceeds the limit (4300 digits)"),
        ('{"channel": "voice", "from": "1", "name": "\\udcff"}', "'name' holds U+DCFF"),
        ('{"channel": "voice", "from": "1", "transcript": ["\\ud800"]}', "holds U+D800"),
        (
            json.dumps({"channel": "voice", "from": "1", "subject": "s" * 10_001}),
            "The subject is too long: at most 1,000 characters, this has 10,001",
        ),
        (
            json.dumps({"channel": "voice", "from": "1", "transcript": ["t"] * 10_001}),
            "The transcript is too long: at most 10,000 lines, this has 10,001",
        ),
    ],
)
def test_one_bad_line_refuses_the_whole_import(
    run: Runner, tmp_path: Path, bad: str, says: str
) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text(f"{GOOD}\n{bad}\n{GOOD}\n", encoding="utf-8")
    lines = refused(run("interaction", "import", str(path)))
    assert lines[0].startswith(f"contact-tui: {path} line 2: "), lines[0]
    assert says in lines[0], lines[0]
    assert lines[-1] == "contact-tui: Nothing was imported; fix the file and retry."
    assert len(lines) == 2
    assert _interactions(run) == [], "not even the good lines before the bad one"


def test_many_bad_lines_are_listed_up_to_twenty(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "junk.jsonl"
    path.write_text("nope\n" * 50, encoding="utf-8")
    lines = refused(run("interaction", "import", str(path)))
    assert len(lines) == 22
    assert lines[-2] == "contact-tui: ... and 30 more bad lines."


# --- the hostile corpus as flag values -----------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_hostile_interaction_text_is_kept_and_printed_safely(run: Runner, name: str) -> None:
    text = TEXTS[name]
    args = ["--channel", "email", "--from", "sam@example.com", "--name", text]
    args += ["--subject", text, "--transcript", text, "--to", text]
    human = run("interaction", "new", *args)
    kept = printable(text)  # control, format and bidi characters escaped as it is taken in
    if len(kept) > MAX_DISPLAY_NAME_LENGTH:
        assert refused_once(human).startswith("The sender name is too long: at most 256")
        return
    assert human.code == EXIT_OK, human.err
    assert human.err == ""
    for line in human.out.splitlines():
        assert not FORBIDDEN_ON_SCREEN.intersection(line), repr(line)
    shown = run("--json", "interaction", "list")
    assert shown.code == EXIT_OK
    assert not FORBIDDEN_ON_SCREEN.intersection(shown.out.replace("\n", ""))
    doc = shown.json()[0]
    assert (doc["from"]["name"], doc["subject"], doc["transcript"], doc["to"]) == (
        kept,
        kept,
        [kept],
        [kept],
    ), "JSON output gives back what was stored"


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_name_flag_is_stored_or_refused_in_one_line(run: Runner, name: str) -> None:
    text = TEXTS[name]
    result = run("contact", "add", "--first", text, "--last", "Lee")
    if not name_rule_accepts(text):
        assert refused_once(result).startswith("--first: First name ")
        return
    assert result.code == EXIT_OK, result.err
    for line in result.out.splitlines():
        assert not FORBIDDEN_ON_SCREEN.intersection(line), repr(line)


def test_the_contact_list_stays_aligned_with_hostile_names(run: Runner) -> None:
    valid = [(n, t) for n, t in TEXTS.items() if name_rule_accepts(t)]
    for i, (_, text) in enumerate(valid):
        added = run(
            "contact",
            "add",
            "--first",
            text,
            "--last",
            "Lee",
            "--cell-phone",
            f"+1 317 555 {i:04d}",
        )
        assert added.code == EXIT_OK, added.err
    listed = run("contact", "list", "--limit", "1000")
    assert listed.code == EXIT_OK
    lines = listed.out.splitlines()[1:]
    assert len(lines) == len(valid) + 1
    header, rows = lines[0], lines[1:]
    column = terminal_width(header[: header.index("PHONE")])
    for row in rows:
        assert not FORBIDDEN_ON_SCREEN.intersection(row), repr(row)
        at = row.index("+1 317-555")
        assert terminal_width(row[:at]) == column, f"PHONE out of line in {row!r}"


# --- what a shell sees ------------------------------------------------------------------------


_process = run_process


def _one_line(done: subprocess.CompletedProcess[bytes], code: int = EXIT_INVALID) -> str:
    err = done.stderr.decode("utf-8")
    assert done.returncode == code, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("contact-tui: "), lines
    return lines[0]


@pytest.mark.parametrize("flag", [b"--name", b"--subject", b"--transcript", b"--from", b"--to"])
def test_process_bytes_that_are_not_utf8_in_argv(config: Path, flag: bytes) -> None:
    done = _process(
        config, "interaction", "new", "--channel", "voice", "--from", "1", flag, b"Sam\xffLee"
    )
    line = _one_line(done)
    assert line.startswith(f"contact-tui: {flag.decode()}: the value is not UTF-8 text (byte 0xFF")
    added = _process(config, "contact", "add", "--first", b"caf\xe9", "--last", "Lee")
    assert "--first: First name contains an invalid character (U+DCE9)" in _one_line(added)


def test_process_the_longest_argument_exec_allows(config: Path) -> None:
    # Linux refuses a single argument of 128 KiB or more (MAX_ARG_STRLEN); a 1 MB --first can
    # only be tried in-process (above). This is the largest a shell can pass.
    done = _process(config, "contact", "add", "--first", "x" * (128 * 1024 - 1), "--last", "Lee")
    assert "First name is too long: at most 1,000 characters, this has 131,071" in _one_line(done)


def test_process_import_of_an_endless_device_is_refused_unread(config: Path) -> None:
    # Once read up to the 100 MB limit; a device is no file, so its descriptor is refused.
    done = _process(config, "interaction", "import", "/dev/zero")
    line = _one_line(done)
    assert line == (
        "contact-tui: /dev/zero is a character device, not a regular file; give a file's path."
    )


def test_process_files_that_are_not_text(config: Path, tmp_path: Path) -> None:
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)))
    done = _process(
        config,
        "interaction",
        "new",
        "--channel",
        "voice",
        "--from",
        "1",
        "--transcript-file",
        str(binary),
    )
    assert "looks binary" in _one_line(done)
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 200_000, encoding="utf-8")
    lines = _process(config, "interaction", "import", str(deep)).stderr.decode().splitlines()
    assert lines == [
        f"contact-tui: {deep} line 1: not a record: its JSON is nested too deeply.",
        "contact-tui: Nothing was imported; fix the file and retry.",
    ]
    missing = os.fsencode(tmp_path) + b"/caf\xe9.jsonl"
    line = _one_line(_process(config, "interaction", "import", missing))
    assert line.endswith("caf\\udce9.jsonl does not exist."), line


def test_process_usage_error_and_empty_stdin(config: Path) -> None:
    done = _process(config, "contact", "add", "--frist", "Sam")
    err = done.stderr.decode()
    assert done.returncode == EXIT_INVALID
    assert err.startswith("usage: contact-tui")
    assert err.splitlines()[-1] == "contact-tui: error: unrecognized arguments: --frist Sam"
    assert "Traceback" not in err
    empty = _process(config, "interaction", "import", "-")
    assert empty.returncode == EXIT_OK, empty.stderr
    assert empty.stdout.decode().startswith("Imported 0 interactions from -.")
