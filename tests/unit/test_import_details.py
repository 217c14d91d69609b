"""A phone or email that is no number or address is a detail of another program's record,
not a reason to refuse the contact (issue 14, item 11), in every format: each CSV dialect
(Outlook, Google legacy and current, Thunderbird, ours as a CRM writes it) and Genesys JSON
from elsewhere lose the value with a warning that names the line and column (or key) and
quotes it, and the rest of the row goes in. Our own CSV and Genesys exports describe the whole
contact and are still refused, naming the field, as our own vCard is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from contact_tui.domain.model import EmailKind, PhoneKind
from contact_tui.exchange.csv_format import HEADER, read_csv
from contact_tui.exchange.formats import parse
from contact_tui.exchange.genesys import read_genesys
from contact_tui.exchange.importer import (
    CheckedRow,
    ImportOptions,
    RowProblem,
    SingleName,
    check_row,
)
from contact_tui.exchange.rows import WINDOWS_1252, ImportRow
from contact_tui.exchange.vcard import read_vcard
from contact_tui.service import ContactService
from contact_tui.store.repository import Repository
from tests.factories import FixedClock, make_agent, make_config

SAM_CELL = "+1 317 555 0123"
NO_DIGITS = "'ask Jenny' is not a phone number (it has no digits) and was not imported"
NO_ADDRESS = "'contact1@invalid' was not imported: not an email address: the part after the @"


def only_row(data: str, reader: str = "csv") -> ImportRow:
    parsed = (read_csv if reader == "csv" else read_genesys)(data.encode())
    assert parsed.problems == []
    [row] = parsed.rows
    return row


def checked(row: ImportRow) -> tuple[CheckedRow, list[str]]:
    """The checked row and every warning about it: the reader's and the check's."""
    result = check_row(row, "US")
    assert isinstance(result, CheckedRow), result
    return result, [*row.warnings, *result.notes]


# Each dialect's header, and a row whose first phone and first email are no number or
# address, followed by a good one of each, so a reader that places by label shows the next
# value taking the slot. The last two cells are the bad phone's and bad email's columns.
DIALECTS = {
    "outlook": (
        "First Name,Last Name,Business Phone,Business Phone 2,E-mail Address,E-mail 2 Address",
        f"Sam,Lee,ask Jenny,{SAM_CELL},contact1@invalid,sam@example.com",
        {PhoneKind.WORK: SAM_CELL},  # Business Phone 2 takes Work, which the first left
        ("Business Phone (column 3)", "E-mail Address (column 5)"),
    ),
    "google legacy": (
        "Name,Given Name,Family Name,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,"
        "Phone 2 - Value,E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value",
        f"Sam Lee,Sam,Lee,Mobile,ask Jenny,Mobile,{SAM_CELL},* Other,contact1@invalid,Other,"
        "sam@example.com",
        {PhoneKind.CELL: SAM_CELL},
        ("Phone 1 - Value (column 5)", "E-mail 1 - Value (column 9)"),
    ),
    "google": (
        "First Name,Last Name,Phone 1 - Label,Phone 1 - Value,E-mail 1 - Label,"
        "E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value",
        f"Sam,Lee,Mobile,ask Jenny ::: {SAM_CELL},* Other,contact1@invalid,Other,sam@example.com",
        {PhoneKind.CELL: SAM_CELL},  # Google's ' ::: ' list: the second number takes Cell
        ("Phone 1 - Value (column 4)", "E-mail 1 - Value (column 6)"),
    ),
    "thunderbird": (
        "First Name,Last Name,Display Name,Mobile Number,Work Phone,Primary Email,Secondary Email",
        f"Sam,Lee,Sam Lee,ask Jenny,{SAM_CELL},contact1@invalid,sam@example.com",
        {PhoneKind.WORK: SAM_CELL},
        ("Mobile Number (column 4)", "Primary Email (column 6)"),
    ),
    # Our column names, as a CRM or a hand-made file has them: fixed slots, no id.
    "generic": (
        "First Name,Last Name,Cell Phone,Work Phone,Other Email,Personal Email",
        f"Sam,Lee,ask Jenny,{SAM_CELL},contact1@invalid,sam@example.com",
        {PhoneKind.WORK: SAM_CELL},
        ("Cell Phone (column 3)", "Other Email (column 5)"),
    ),
}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_each_csv_dialect_leaves_out_a_phone_or_email_that_is_none(dialect: str) -> None:
    header, record, phones, (phone_column, email_column) = DIALECTS[dialect]
    row = only_row(f"{header}\r\n{record}\r\n")

    result, warnings = checked(row)

    assert row.other_program
    assert {k: v for k, v in result.fields.phones.items() if v is not None}.keys() == phones.keys()
    assert [p.user_input for p in result.fields.phones.values() if p] == list(phones.values())
    assert "sam@example.com" in result.fields.emails.values()
    assert "contact1@invalid" not in result.fields.emails.values()
    assert f"line 2: {phone_column} {NO_DIGITS}" in warnings, warnings
    assert any(w.startswith(f"line 2: {email_column} {NO_ADDRESS}") for w in warnings), warnings
    assert (result.fields.first_name, result.fields.last_name) == ("Sam", "Lee")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ext. 45", "an extension alone is not a phone number"),
        (f"{SAM_CELL} ext. 1234567890", "an extension can have at most 9 digits"),
    ],
)
def test_a_generic_row_leaves_out_every_kind_of_no_number(value: str, reason: str) -> None:
    row = only_row(f'First Name,Last Name,Work Phone,Work Phone SMS\r\nSam,Lee,"{value}",yes\r\n')

    result, warnings = checked(row)

    assert result.fields.phones[PhoneKind.WORK] is None
    # The number and its SMS flag are left out of the row: an update keeps the stored ones.
    assert {"workPhone", "workPhone.acceptsSMS"}.isdisjoint(result.row.present)
    [warning] = warnings
    assert warning.startswith(f"line 2: Work Phone (column 3) {value!r} was not imported: {reason}")


def test_a_value_with_a_control_character_is_quoted_cleanly() -> None:
    # An escape sequence in a message would be obeyed by the terminal showing it.
    row = only_row("First Name,Last Name,Work Phone\r\nSam,Lee,\x1b[Hask Jenny\r\n")
    [warning] = checked(row)[1]
    assert warning == (
        "line 2: Work Phone (column 3) '\\x1b[Hask Jenny' is not a phone number (it has no "
        "digits) and was not imported"
    )


def own_export_row(phone: str, email: str, version: str = "3") -> str:
    values = {
        "id": "c-1",
        "type": "Curated",
        "version": version,
        "firstName": "Sam",
        "lastName": "Lee",
        "workPhone": phone,
        "workEmail": email,
    }
    return ",".join(HEADER) + "\r\n" + ",".join(values.get(c, "") for c in HEADER) + "\r\n"


def test_our_own_csv_export_row_is_still_refused_naming_each_field() -> None:
    # Our export writes an id, a type and a version on every row and describes the whole
    # contact: leaving a value out would empty (or leave stale) a stored slot.
    row = only_row(own_export_row("ask Jenny", "contact1@invalid"))
    assert not row.other_program
    problem = check_row(row, "US")
    assert isinstance(problem, RowProblem)
    assert problem.line == 2
    assert problem.message.startswith("Work phone: A phone number needs digits")
    assert "Work email: Not an email address" in problem.message


def test_a_row_in_our_header_without_a_version_is_another_programs() -> None:
    # A hand-filled copy of the documented header: an id from a CRM, but no version.
    row = only_row(own_export_row("ask Jenny", "sam@example.com", version=""))
    assert row.other_program
    result, warnings = checked(row)
    assert result.fields.emails[EmailKind.WORK] == "sam@example.com"
    assert warnings == [f"line 2: workPhone (column {HEADER.index('workPhone') + 1}) {NO_DIGITS}"]


def genesys(**extra: object) -> str:
    obj = {
        "firstName": "Sam",
        "lastName": "Lee",
        "workPhone": {"display": "ask Jenny"},
        "cellPhone": {"display": SAM_CELL},
        "workEmail": "contact1@invalid",
        "otherEmail": "sam@example.com",
        **extra,
    }
    return json.dumps([obj], indent=2)


def test_a_genesys_object_from_another_program_loses_only_the_bad_values() -> None:
    row = only_row(genesys(), "genesys")

    result, warnings = checked(row)

    assert row.other_program
    assert result.fields.phones[PhoneKind.WORK] is None
    assert result.fields.phones[PhoneKind.CELL] is not None
    assert result.fields.emails[EmailKind.WORK] == ""
    assert result.fields.emails[EmailKind.OTHER] == "sam@example.com"
    assert f"line 2: workPhone {NO_DIGITS}" in warnings
    assert any(w.startswith(f"line 2: workEmail {NO_ADDRESS}") for w in warnings), warnings


def test_our_own_genesys_export_object_is_still_refused() -> None:
    # Our export (and Genesys Cloud's) gives every contact its id and type.
    row = only_row(genesys(id="c-1", type="Curated"), "genesys")
    assert not row.other_program
    problem = check_row(row, "US")
    assert isinstance(problem, RowProblem)
    assert problem.message.startswith("Work phone: A phone number needs digits")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ContactService]:
    path = tmp_path / "store.json"
    repo = Repository.open(path)
    yield ContactService(repo, make_config(path), make_agent("alice"), FixedClock())
    repo.close()


def test_an_update_keeps_the_stored_number_a_bad_cell_would_have_replaced(
    service: ContactService,
) -> None:
    first = (
        "First Name,Last Name,Work Phone,Personal Email\r\nSam,Lee,+1 317 555 0199,sam@x.org\r\n"
    )
    service.import_contacts(read_csv(first.encode()))

    again = first.replace("+1 317 555 0199", "ask Jenny")
    report = service.import_contacts(read_csv(again.encode()))

    assert report.problems == []
    assert (len(report.created), report.unchanged) == (0, 1)
    assert f"line 2: Work Phone (column 3) {NO_DIGITS}" in report.warnings
    [stored] = read_csv(service.export_text("csv").text.encode()).rows
    assert stored.draft.phones[PhoneKind.WORK].text == "+1 317-555-0199"


# --- vCard: which name N says, and a card with no name at all ----------------------------


def vcard(*lines: str) -> ImportRow:
    body = ("BEGIN:VCARD", "VERSION:3.0", *lines, "END:VCARD", "")
    parsed = read_vcard("\r\n".join(body).encode())
    assert parsed.problems == []
    [row] = parsed.rows
    return row


@pytest.mark.parametrize(
    ("n", "first", "last", "placed"),
    [
        ("N:;Janet;;;", "Janet", "", True),  # N says: the given name
        ("N:Jackson;;;;", "", "Jackson", True),  # N says: the family name
        ("N:Ambulance", "Ambulance", "", False),  # no components: N says nothing
    ],
)
def test_as_given_keeps_a_name_where_n_puts_it(n: str, first: str, last: str, placed: bool) -> None:
    row = vcard(n)
    assert (row.draft.first_name, row.draft.last_name, row.names_placed) == (first, last, placed)
    result = check_row(row, "US", ImportOptions(single_name=SingleName.AS_GIVEN))
    if placed:
        assert isinstance(result, CheckedRow), result
        assert (result.fields.first_name, result.fields.last_name) == (first, last)
    else:
        assert isinstance(result, CheckedRow) and result.single_name_refusal
        assert "'Ambulance' is a single name: import it with --single-name=first" in (
            result.single_name_refusal
        )


def test_fn_or_org_alone_is_never_placed() -> None:
    assert not vcard("FN:Ambulance").names_placed
    assert not vcard("ORG:Acme Inc.").names_placed


def test_a_card_with_no_name_says_what_it_holds_briefly_and_cleanly() -> None:
    long = "a" * 80 + "@example.com"
    row = vcard(
        f"EMAIL:{long}", "EMAIL;TYPE=work:sam@example.com", "TEL:+1 317 555 0123", "TITLE:\x1b[2J"
    )
    problem = check_row(row, "US")
    assert isinstance(problem, RowProblem)
    assert problem.message.startswith(
        "Name: the card has no name (N, FN or ORG); it holds 2 emails (the first "
        "'sam@example.com'), a phone '+1 317 555 0123' and the title '\\x1b[2J'."
    )
    # A long value is cut short.
    problem = check_row(vcard(f"EMAIL:{long}"), "US")
    assert isinstance(problem, RowProblem)
    assert problem.message.endswith(f"it holds an email '{'a' * 40}...'.")
    assert (problem.line, "\x1b" in problem.message) == (1, False)


def test_a_card_with_nothing_at_all_says_so() -> None:
    problem = check_row(vcard("N:;;;;"), "US")
    assert isinstance(problem, RowProblem)
    assert (problem.line, problem.message) == (
        3,
        "Name: the card has no name (N, FN or ORG); it holds nothing else either.",
    )


def test_one_spelling_of_windows_1252_in_every_format() -> None:
    assert WINDOWS_1252 == "Windows-1252"
    card = b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:M\xfcller;J\xfcrgen;;;\r\nEND:VCARD\r\n"
    [row] = read_vcard(card).rows
    assert f"was read as {WINDOWS_1252} (Western European)" in row.warnings[0]
    _, parsed = parse("people.csv", b"First Name,Last Name\r\nJ\xfcrgen,M\xfcller\r\n")
    assert f"so it was read as {WINDOWS_1252} (what Outlook" in parsed.warnings[0]
