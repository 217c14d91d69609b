"""`contact-tui import` and `contact-tui export`: files in and out, and what goes wrong."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_CONFLICT, EXIT_INVALID, EXIT_OK, EXIT_PERMISSION
from contact_tui.exchange.csv_format import HEADER
from tests.cli.runner import Runner, run_process, write_config

AddContact = Callable[..., dict[str, Any]]

CSV_HEADER = "First Name,Last Name,Work Phone,Work Phone SMS,Personal Email,City,Notes\r\n"


def count(run: Runner, config: Path | None = None) -> int:
    result = run("--json", "export", "--format", "genesys", config_path=config)
    assert result.code == EXIT_OK, result.err
    return len(result.json())


@pytest.fixture
def people(add_contact: AddContact) -> list[dict[str, Any]]:
    """Two contacts with a good spread of fields."""
    return [
        add_contact(
            "--first", "Zoë", "--last", "Nguyễn", "--title", "Buyer, EMEA",
            "--work-phone", "+1 212 555 0100 x42", "--work-sms", "--cell-phone", "+881 6 3211 2345",
            "--personal-email", "zoe@example.com", "--city", "Montréal", "--country", "CA",
            "--survey-opt-out",
        ),
        add_contact("--first", "山田", "--last", "太郎", "--other-phone", "12"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("fmt", "extra"),
    [("genesys", ()), ("csv", ()), ("vcard", ()), ("vcard", ("--vcard-version", "3.0"))],
)
def test_an_export_imported_into_another_store_exports_the_same(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path, fmt: str, extra: tuple[str, ...]
) -> None:
    out = tmp_path / f"contacts.{fmt}"
    exported = run("export", "--format", fmt, *extra, "-o", str(out))
    assert exported.code == EXIT_OK, exported.err
    assert exported.out == ""
    assert f"Exported 2 contacts to {out}" in exported.err
    other = write_config(tmp_path / "other")

    imported = run("import", str(out), "--format", fmt, config_path=other)

    assert imported.code == EXIT_OK, imported.err
    assert "2 created, 0 updated, 0 unchanged" in imported.out
    again = run("export", "--format", fmt, *extra, config_path=other)
    assert again.out == out.read_bytes().decode("utf-8")
    # And a second import of the same file changes nothing.
    repeat = run("import", str(out), "--format", fmt, config_path=other)
    assert "0 created, 0 updated, 2 unchanged" in repeat.out, repeat.err


def test_export_to_standard_output_is_the_genesys_shape_without_local_keys(
    run: Runner, people: list[dict[str, Any]]
) -> None:
    result = run("export", "--format", "genesys")

    assert result.code == EXIT_OK, result.err
    data = json.loads(result.out)
    assert [c["firstName"] for c in data] == ["Zoë", "山田"]
    for key in ("version", "createdBy", "modifiedBy", "lastInteractionDate"):
        assert all(key not in c for c in data)
    phone = data[0]["workPhone"]
    assert phone["e164"] == "+12125550100" and phone["extension"] == 42
    assert phone["acceptsSMS"] is True and phone["countryCode"] == "1"
    assert data[0]["createDate"].endswith("Z")


def test_a_bad_row_stops_the_import_and_names_the_file_and_line(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(
        CSV_HEADER
        + "Ana,Silva,+44 20 7946 0000,yes,ana@example.com,Leeds,\r\n"
        + '"Multi\nLine",Person,,,,,"a note"\r\n'
        + ",NoFirst,,,,,\r\n"
        + "Kim,Park,x123,maybe,not-an-email,,\r\n",
        encoding="utf-8",
    )

    result = run("import", str(path))

    assert result.code == EXIT_INVALID
    lines = result.err.splitlines()
    assert any(f"{path} line 3: First name" in line for line in lines), result.err
    assert any(f"{path} line 5: First name" in line for line in lines), result.err
    # Line 6's "x123" (an extension alone) and "not-an-email" are details another program's
    # row loses with a warning; its "maybe" SMS flag still refuses it.
    [bad] = [line for line in lines if f"{path} line 6:" in line]
    assert bad.endswith("Work phone SMS: 'maybe' is not yes or no."), bad
    assert "Nothing was imported" in result.out
    assert count(run) == 2


def test_dry_run_checks_everything_and_writes_nothing(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "new.csv"
    path.write_text(CSV_HEADER + "Ana,Silva,,,,,\r\n", encoding="utf-8")

    result = run("import", str(path), "--dry-run")

    assert result.code == EXIT_OK, result.err
    assert "Dry run: nothing was written" in result.out
    assert "1 created" in result.out
    assert count(run) == 2


def test_skip_invalid_imports_the_good_rows_and_lists_the_bad(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(CSV_HEADER + "Ana,Silva,,,,,\r\n,Broken,,,,,\r\n", encoding="utf-8")

    result = run("import", str(path), "--skip-invalid")

    assert result.code == EXIT_OK, result.err
    assert f"{path} line 3:" in result.err
    assert "1 row with a problem was skipped" in result.out
    assert count(run) == 1


def test_a_csv_file_that_is_not_utf8_is_read_as_windows_1252_naming_its_line(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"First Name,Last Name\r\nAna,Silva\r\nZo\xeb,Brown\r\n")

    result = run("import", str(path))

    # Excel's "CSV" on Windows: its 0xEB is Windows-1252's ë (tests/cli/test_import_encodings.py).
    assert result.code == EXIT_OK, result.err
    assert f"{path} line 3: the file is not UTF-8, so it was read as Windows-1252" in result.err
    assert "'Zoë' on this line" in result.err
    assert "2 created" in result.out


def test_the_format_is_taken_from_the_suffix_or_the_content(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    vcard = run("export", "--format", "vcard").out
    path = tmp_path / "no-suffix"
    path.write_text(vcard, encoding="utf-8")

    result = run("--json", "import", str(path))

    assert result.code == EXIT_OK, result.err
    assert result.json()["format"] == "vcard"
    assert result.json()["unchanged"] == 2


def test_a_changed_contact_is_a_conflict_with_exit_4(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    run("export", "--format", "csv", "-o", str(path))
    run("contact", "edit", people[0]["id"], "--title", "CEO")
    path.write_text(path.read_text(encoding="utf-8").replace("Buyer, EMEA", "CFO"), "utf-8")

    result = run("import", str(path))

    assert result.code == EXIT_CONFLICT
    assert "is at version 2" in result.err and "the file has version 1" in result.err
    shown = run("--json", "contact", "show", people[0]["id"]).json()
    assert shown["title"] == "CEO"


def test_a_viewer_cannot_import(run: Runner, tmp_path: Path) -> None:
    viewer = write_config(tmp_path / "viewer", role="viewer", store="../store.json")
    path = tmp_path / "new.csv"
    path.write_text(CSV_HEADER + "Ana,Silva,,,,,\r\n", encoding="utf-8")

    result = run("import", str(path), config_path=viewer)

    assert result.code == EXIT_PERMISSION
    assert "add contacts" in result.err


def test_a_refused_export_leaves_the_old_file_untouched(run: Runner, tmp_path: Path) -> None:
    blind = write_config(
        tmp_path / "blind",
        role="adder",
        extra='\n[roles]\nadder = ["externalContacts:contact:add"]\n',
    )
    target = tmp_path / "precious.csv"
    target.write_text("yesterday's export\n", encoding="utf-8")

    result = run("export", "--format", "csv", "-o", str(target), config_path=blind)

    assert result.code == EXIT_PERMISSION
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"


def test_an_export_to_a_missing_folder_says_so(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    result = run("export", "--format", "csv", "-o", str(tmp_path / "nope" / "x.csv"))

    assert result.code == EXIT_INVALID
    assert "nope" in result.err and "Nothing was exported" in result.err


def test_an_export_replaces_the_file_keeping_its_mode(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    target = tmp_path / "shared.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o640)

    result = run("export", "--format", "csv", "-o", str(target))

    assert result.code == EXIT_OK, result.err
    assert target.read_text(encoding="utf-8").startswith(",".join(HEADER))
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".shared")] == []


def test_customer_text_in_problems_is_shown_not_obeyed(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    path.write_text(CSV_HEADER + "\x1b[2JEvil,[bold red]Markup[/],,,,,\r\n", encoding="utf-8")

    result = run("import", str(path))

    assert result.code == EXIT_INVALID
    assert "\x1b" not in result.err
    assert "line 2: First name" in result.err


def test_a_real_process_imports_and_exports_without_a_terminal(
    config: Path, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    rows = "".join(f"Person,Number{n:04d},+1 212 555 {n:04d},,,,\r\n" for n in range(400))
    path.write_text(CSV_HEADER + rows, encoding="utf-8")

    imported = run_process(config, "import", str(path))
    exported = run_process(config, "export", "--format", "csv")

    assert imported.returncode == EXIT_OK, imported.stderr
    assert b"400 created" in imported.stdout
    assert imported.stderr == b""  # no progress bar drawn without a terminal
    assert exported.stdout.count(b"\r\n") == 401


BROKEN = [
    # Cut short after line 3: JSON reports the line where the missing value should be.
    pytest.param("bad.json", b'[\n {"firstName": "Ana", "lastName": "S"},\n {"firstName": \n', 4,
                 id="json-cut-short"),
    pytest.param("bad.json", b'[\n {"firstName": "Ana", "lastName": "S"},\n {"workPhone": 5}\n]',
                 3, id="json-wrong-type"),
    pytest.param("bad.json", b'[\n {"firstName": "Ana", "lastName": "S", "x": NaN}\n]', 2,
                 id="json-nan"),
    pytest.param("bad.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Silva;Ana\r\nFN:Ana Silva\r\n"
                 b"END:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:No End\r\n", 6,
                 id="vcard-no-end"),
    # Our own card (another program's would go in without the address, with a warning).
    pytest.param("bad.vcf", b"BEGIN:VCARD\r\nVERSION:4.0\r\nN:Silva;Ana\r\nFN:Ana Silva\r\n"
                 b"EMAIL:not an address\r\nX-CONTACT-TUI-TYPE:Curated\r\nEND:VCARD\r\n", 5,
                 id="vcard-bad-email"),
    pytest.param("bad.csv", b'First Name,Last Name\r\nAna,Silva\r\n"Open,Quote\r\n', 3,
                 id="csv-open-quote"),
    pytest.param("bad.csv", b"First Name,Last Name,Cell Phone\r\nAna,Silva,1.21255E+10\r\n", 2,
                 id="csv-excel-number"),
    pytest.param("bad.json", b'[\n {"firstName": "A", "lastName": "B"},\n {1: 2}\n]', 3,
                 id="json-number-key"),
    pytest.param("bad.csv", b"firstName,lastName,createDate\r\nA,B,9999-12-31T23:59:59-01:00\r\n",
                 2, id="csv-date-past-the-end-of-time"),
    pytest.param("bad.json", b'[{"firstName": "A", "lastName": "B", "modifyDate": "0999-01-01"}]',
                 1, id="json-year-999"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "line"), BROKEN)
def test_a_broken_file_is_reported_by_line_and_the_store_is_untouched(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path, name: str, data: bytes, line: int
) -> None:
    store = tmp_path / "store.json"
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("store")}
    path = tmp_path / name
    path.write_bytes(data)

    result = run("import", str(path))

    assert result.code == EXIT_INVALID, result.err
    assert f"{path} line {line}:" in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("store")}
    assert after == before and store.exists()


# --- who can read an export file -----------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask of a login shell, which makes new files world-readable (0644)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_export_is_readable_by_its_owner_only_whatever_the_umask(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path, umask_022: None
) -> None:
    target = tmp_path / "new.csv"

    result = run("export", "--format", "csv", "-o", str(target))

    assert result.code == EXIT_OK, result.err
    assert target.stat().st_mode & 0o7777 == 0o600
    assert "warning" not in result.err


def test_a_replaced_export_keeps_its_mode_under_a_loose_umask(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path, umask_022: None
) -> None:
    target = tmp_path / "team.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o640)

    result = run("export", "--format", "csv", "-o", str(target))

    assert result.code == EXIT_OK, result.err
    assert target.stat().st_mode & 0o7777 == 0o640
    assert "warning" not in result.err


def test_a_world_readable_export_keeps_its_mode_and_is_warned_about(
    run: Runner, people: list[dict[str, Any]], tmp_path: Path
) -> None:
    target = tmp_path / "public.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o644)

    result = run("export", "--format", "csv", "-o", str(target))

    assert result.code == EXIT_OK, result.err
    assert target.stat().st_mode & 0o7777 == 0o644
    assert f"warning: {target} is readable by every user of this host (mode 0644)" in result.err


# --- problems at the line that holds them ------------------------------------------------------


def test_a_bad_email_is_reported_at_its_line_and_the_other_cards_go_in(
    run: Runner, tmp_path: Path
) -> None:
    """A bad EMAIL on line 7 of another program's card that starts on line 3 is a detail
    (issue 14, item 11): the card goes in without it, and the warning names line 7 (the line
    to fix), not the card's first."""
    path = tmp_path / "book.vcf"
    path.write_bytes(
        b"\r\n\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Silva;Ana;;;\r\nFN:Ana Silva\r\n"  # lines 3-6
        b"EMAIL;TYPE=HOME:ana.example.com\r\nEND:VCARD\r\n"  # line 7: the bad email
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Sam;;;\r\nTEL;TYPE=CELL:+1 317 555 0123\r\n"
        b"END:VCARD\r\n"
    )

    result = run("--json", "import", str(path))

    assert result.code == EXIT_OK, result.err
    assert [line for line in result.err.splitlines() if "EMAIL" in line] == [
        f"warning: {path} line 7: EMAIL 'ana.example.com' was not imported: not an email "
        "address: it needs an @, e.g. sam@example.com."
    ]
    # Without its address Ana has nothing to be matched by, and the import says so.
    assert f"{path} line 3: has no id, searchable phone or email to match on" in result.err
    doc = result.json()
    assert doc["problems"] == []
    assert [c["line"] for c in doc["created"]] == [3, 9]


@pytest.mark.parametrize(
    "header",
    [
        "First Name,Last Name,Notes,Personal Email",  # our column names, from a CRM
        "First Name,Last Name,Notes,E-mail Address",  # Outlook's
    ],
)
def test_a_bad_cell_after_a_note_of_several_lines_is_reported_at_its_line(
    run: Runner, tmp_path: Path, header: str
) -> None:
    """A quoted note of three lines moves the cells after it down: the bad email of the
    record starting on line 2 is on line 4, in our CSV and in another program's. Another
    program's row loses only that email, with the warning; our own export's row is refused
    (tests/cli/test_import_details.py)."""
    path = tmp_path / "crm.csv"
    path.write_text(
        f'{header}\r\nAna,Silva,"Line one\r\nline two\r\nline three",ana.example.com\r\n',
        encoding="utf-8",
    )

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    column = header.split(",")[3]
    assert (
        f"{path} line 4: {column} (column 4) 'ana.example.com' was not imported: not an email "
        "address"
    ) in result.err


# --- an empty store's export ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "extra"),
    [("vcard", ()), ("vcard", ("--vcard-version", "3.0")), ("csv", ()), ("genesys", ())],
)
def test_an_empty_stores_export_imports_as_no_contacts_and_says_so(
    run: Runner, tmp_path: Path, fmt: str, extra: tuple[str, ...]
) -> None:
    out = tmp_path / f"empty.{fmt}"
    exported = run("export", "--format", fmt, *extra, "-o", str(out))
    assert exported.code == EXIT_OK, exported.err
    assert f"Exported 0 contacts to {out}" in exported.err

    checked = run("import", str(out), "--dry-run")
    imported = run("import", str(out), "--skip-invalid")
    other = write_config(tmp_path / "other")
    elsewhere = run("--json", "import", str(out), config_path=other)

    assert checked.code == EXIT_OK, checked.err
    assert checked.out.startswith("Dry run: the file holds no contacts, so there is nothing")
    assert imported.code == EXIT_OK, imported.err
    assert imported.out.startswith("The file holds no contacts, so nothing was imported.")
    assert "error" not in imported.err
    assert elsewhere.code == EXIT_OK, elsewhere.err
    doc = elsewhere.json()
    assert (doc["rows"], doc["created"], doc["problems"], doc["written"]) == (0, [], [], False)
