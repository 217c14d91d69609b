"""CSV import and export: what agents and admins rely on when moving contacts through a sheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contact_tui.domain.draft import ContactDraft, PhoneDraft, check_draft
from contact_tui.domain.model import (
    Address,
    Contact,
    ContactType,
    EmailKind,
    MessagingIdentity,
    Note,
    PhoneKind,
    PhoneNumber,
    Platform,
)
from contact_tui.domain.rules import parse_phone
from contact_tui.domain.text import is_unsafe_char, printable, printable_lines
from contact_tui.exchange.csv_format import (
    COLUMNS,
    GENESYS,
    GOOGLE,
    GOOGLE_LEGACY,
    HEADER,
    OUTLOOK,
    THUNDERBIRD,
    columns_markdown,
    detect_dialect,
    join_notes,
    read_csv,
    split_notes,
    write_csv,
)
from contact_tui.exchange.rows import ALL_FIELDS, FileFormatError, FileProblem, ImportRow
from tests.hostile.corpus import CORPUS, FORBIDDEN_ON_SCREEN

FIXTURES = Path(__file__).parent.parent / "fixtures" / "exchange"
CREATED = datetime(2025, 3, 1, 8, 0, 0, 250000, tzinfo=UTC)
MODIFIED = datetime(2026, 11, 28, 9, 30, 15, 123000, tzinfo=UTC)


def phone(text: str, sms: bool = False) -> PhoneNumber:
    return parse_phone(text, "US", accepts_sms=sms)


def full_contact() -> Contact:
    """A contact with every kind of field filled, in several scripts."""
    return Contact(
        id="c-0001",
        type=ContactType.CURATED,
        first_name="Zoë",
        middle_name="Łukasz",
        last_name="O'Brien-Smith",
        salutation="Dr",
        title="Head of Buying, EMEA",
        work_phone=phone("212-555-0199 x12", sms=True),
        home_phone=phone("+881 6 3211 2345"),  # satellite, no region
        cell_phone=phone("+44 7700 900123", sms=True),
        other_phone=phone("ext 5 desk"),  # kept as typed, not searchable
        work_email="zoe@example.com",
        personal_email="zoe.personal@example.org",
        other_email="z@example.net",
        address=Address("1 Main St, Suite 4", "Building B", "Springfield", "IL", "62701", "US"),
        identities=(
            MessagingIdentity(Platform.WHATSAPP, ("+447700900123",), "Zoë"),
            MessagingIdentity(Platform.FACEBOOK, ("fb-111", "fb-222"), "Zoë O."),
            MessagingIdentity(Platform.TWITTER, ("1234567890",), "Zoë B", "zoe_b"),
            MessagingIdentity(Platform.LINE, ("U4af4980629",), "ゾーイ"),
            MessagingIdentity(Platform.INSTAGRAM, ("ig-1", "ig-2"), "Zoë", "zoe.b"),
            MessagingIdentity(Platform.WEBCHAT, ("cookie-abc",)),
        ),
        survey_opt_out=True,
        external_system_url="https://crm.example.com/c/1?a=1,b=2",
        create_date=CREATED,
        modify_date=MODIFIED,
        version=7,
    )


FULL_NOTES = ('Call after 5pm, not before.\nPrefers "Zoë", not Zoe.', "VIP since 2024.")


def notes_of(contact_id: str, *texts: str) -> dict[str, list[Note]]:
    """Notes for ``write_csv``: one per text, oldest first."""
    return {
        contact_id: [
            Note(f"n-{n}", contact_id, text, "ana", CREATED, CREATED)
            for n, text in enumerate(texts)
        ]
    }


def other_contacts() -> list[Contact]:
    return [
        Contact(id="c-0002", type=ContactType.EPHEMERAL, first_name="Nguyễn", last_name="山田"),
        Contact(
            id="c-0003",
            type=ContactType.IDENTIFIED,
            first_name="Łukasz",
            last_name="Nowak",
            cell_phone=phone("+48 22 123 45 67"),
            version=2,
            modify_date=MODIFIED,
        ),
    ]


def identities_of(contact: Contact) -> dict[Platform, MessagingIdentity]:
    return {identity.platform: identity for identity in contact.identities}


def read_text(text: str) -> list[ImportRow]:
    parsed = read_csv(text.encode())
    assert parsed.problems == []
    return parsed.rows


# --- round trip ------------------------------------------------------------------------------


def test_exported_contacts_read_back_as_the_same_drafts_identities_and_bookkeeping() -> None:
    contacts = [full_contact(), *other_contacts()]

    parsed = read_csv(write_csv(contacts, notes_of("c-0001", *FULL_NOTES)).encode())

    assert parsed.problems == [] and parsed.warnings == []
    assert [row.line for row in parsed.rows] == [2, 8, 9]  # the first notes span six lines
    assert [row.contact_notes for row in parsed.rows] == [list(FULL_NOTES), [], []]
    for row, contact in zip(parsed.rows, contacts, strict=True):
        assert row.errors == {} and row.warnings == []
        assert row.draft.complete() == ContactDraft.from_contact(contact).complete()
        assert row.identities == identities_of(contact)
        assert row.contact_id == contact.id
        assert row.type == contact.type
        assert row.version == contact.version
        assert row.create_date == contact.create_date
        assert row.modify_date == contact.modify_date
        assert row.present == ALL_FIELDS


def test_exported_phones_give_the_same_number_under_any_default_country() -> None:
    contact = full_contact()
    [row] = read_csv(write_csv([contact]).encode()).rows

    for region in ("US", "GB", "DE", "JP"):
        fields = check_draft(row.draft, region).fields
        assert fields is not None
        for kind, number in contact.phones():
            again = fields.phones[kind]
            assert again is not None
            assert (again.e164, again.extension, again.accepts_sms) == (
                number.e164,
                number.extension,
                number.accepts_sms,
            )


def test_export_writes_the_documented_header_and_readable_cells() -> None:
    text = write_csv([full_contact()], notes_of("c-0001", *FULL_NOTES))

    assert text.startswith(",".join(HEADER) + "\r\n")
    assert not text.startswith("\ufeff")
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(header) == HEADER == tuple(c.name for c in COLUMNS)
    cell = dict(zip(header, row, strict=True))
    assert cell["workPhone"] == "+1 212-555-0199 ext. 12"  # a plain number is not guarded
    assert cell["homePhone"] == "+881 6 321 12345"
    assert cell["otherPhone"] == "ext 5 desk"
    assert cell["workPhoneAcceptsSMS"] == "true"
    assert cell["homePhoneAcceptsSMS"] == "false"
    assert cell["facebookIds"] == "fb-111 fb-222"
    assert cell["twitterScreenName"] == "zoe_b" and cell["twitterName"] == "Zoë B"
    assert cell["surveyOptOut"] == "true"
    assert cell["createDate"] == "2025-03-01T08:00:00.250Z"
    assert cell["version"] == "7"
    assert cell["type"] == "Curated"
    assert cell["notes"] == (
        'Call after 5pm, not before.\nPrefers "Zoë", not Zoe.\n\n---\n\nVIP since 2024.'
    )


@pytest.mark.parametrize(
    "notes",
    [
        ["one"],
        ["one", "two\n\nparagraphs"],
        ["---", "a\n---\nb", "\\---", "  ---  ", "-- -", "x\n\\\\---"],
        ["- list\n- items", "ends in\n---"],
    ],
)
def test_notes_in_one_cell_split_back_into_the_same_notes(notes: list[str]) -> None:
    # A line of a note that looks like the separator is escaped, so nothing splits wrongly.
    assert split_notes(join_notes(notes)) == notes
    [row] = read_csv(write_csv([full_contact()], notes_of("c-0001", *notes)).encode()).rows
    assert row.contact_notes == notes


@given(
    st.lists(st.text(st.characters(exclude_categories=["Cs", "Cc"], include_characters="\n-\\")))
)
def test_any_notes_split_back_from_their_cell(notes: list[str]) -> None:
    kept = [n for n in notes if n.strip()]
    assert split_notes(join_notes(kept)) == kept


def test_sms_columns_are_blank_for_empty_phones() -> None:
    text = write_csv(other_contacts()[:1])

    header, row = list(csv.reader(io.StringIO(text, newline="")))
    cell = dict(zip(header, row, strict=True))
    assert [cell[f"{k.value}AcceptsSMS"] for k in PhoneKind] == ["", "", "", ""]
    assert cell["surveyOptOut"] == "false"
    assert cell["createDate"] == "" and cell["version"] == "0"


def test_export_of_no_contacts_is_just_the_header() -> None:
    assert write_csv([]) == ",".join(HEADER) + "\r\n"


@given(st.text(st.characters(exclude_categories=["Cs"])).filter(lambda s: s == s.strip()))
def test_any_name_survives_a_round_trip(name: str) -> None:
    contact = Contact(id="c-1", type=ContactType.CURATED, first_name=name, last_name="X")

    [row] = read_csv(write_csv([contact]).encode()).rows

    assert row.draft.first_name == printable(name)  # control characters escaped, else exact


# --- formula guard and hostile text ----------------------------------------------------------


def test_a_formula_is_written_as_text_and_reads_back_unchanged() -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    contact = Contact(id="c-1", type=ContactType.CURATED, first_name=formula, last_name="@SUM(1)")

    text = write_csv([contact])

    assert "'=HYPERLINK(" in text and "'@SUM(1)" in text
    [row] = read_csv(text.encode()).rows
    assert row.draft.first_name == formula
    assert row.draft.last_name == "@SUM(1)"


@pytest.mark.parametrize("value", ["-1+1", "+1 555", "'=already quoted", "''@x", "'plain"])
def test_guarded_and_apostrophe_values_round_trip_exactly(value: str) -> None:
    contact = Contact(id="c-1", type=ContactType.CURATED, first_name=value, last_name="X")

    [row] = read_csv(write_csv([contact]).encode()).rows

    assert row.draft.first_name == value


def test_a_sheet_apostrophe_before_a_phone_number_is_removed() -> None:
    rows = read_text("firstName,cellPhone\nAnn,'+44 7700 900123\nBob,'0800 12\n")

    assert [r.draft.phones[PhoneKind.CELL].text for r in rows] == [
        "+44 7700 900123",
        "'0800 12",  # only the formula guard is undone, not every apostrophe
    ]


def test_hostile_text_in_a_file_is_carried_as_data_unchanged() -> None:
    ansi = "\x1b[31mRed\x1b[0m"
    markup = "[bold red]x[/]"

    [row] = read_text(f"firstName,lastName,notes\r\n{ansi},{markup},{markup}\r\n")

    assert row.draft.first_name == ansi
    assert row.draft.last_name == markup
    assert row.contact_notes == [markup]
    assert row.errors == {}  # the importer's rules judge it, not the reader


def test_an_export_holds_no_control_characters_whatever_the_store_holds() -> None:
    # A store written by an older version can hold any text; `export | cat` must not hand a
    # terminal an escape sequence, nor a viewer a right-to-left override.
    every = "".join(text for _, _, text in CORPUS)
    contact = Contact(
        id="c-1",
        type=ContactType.CURATED,
        first_name=every,
        last_name="[bold red]x[/]",
        title=every,
        other_phone=PhoneNumber(display=every, user_input=every),
        other_email=every,
        address=Address(every, every, every, every, every, every),
        identities=(MessagingIdentity(Platform.LINE, (every,), every),),
        external_system_url=every,
    )
    note = f"{every}\nsecond line\r\nthird"

    text = write_csv([contact], notes_of("c-1", note))

    records = text.split("\r\n")
    assert records[-1] == ""
    for record in records:
        for line in record.split("\n"):  # the line feeds inside the quoted notes
            assert not FORBIDDEN_ON_SCREEN.intersection(line), repr(line)
            assert not any(is_unsafe_char(ch) for ch in line), repr(line)
    [row] = read_csv(text.encode()).rows
    assert row.draft.first_name == printable(every)
    assert "\\x1b]52;c;" in row.draft.first_name, "escaped visibly, not dropped"
    assert row.draft.last_name == "[bold red]x[/]"
    assert row.contact_notes == [printable_lines(note)]  # line feeds kept, CR escaped
    assert row.contact_notes[0].endswith("\nsecond line\\x0d\nthird")
    assert row.identities[Platform.LINE].display_name == printable(every)


# --- a real CRM export -----------------------------------------------------------------------


def expected_crm_rows() -> list[ContactDraft]:
    return [
        ContactDraft(
            first_name="Zoë",
            last_name="O'Brien-Smith",
            title="Buyer, EMEA",
            phones={
                PhoneKind.CELL: PhoneDraft("+44 7700 900123"),
                PhoneKind.WORK: PhoneDraft("(212) 555-0199 x12", True),
            },
            emails={EmailKind.OTHER: "zoe@example.com"},
            address={
                "address1": "1 Main St\nApt 4",
                "city": "Springfield",
                "state": "IL",
                "postalCode": "01234",
                "countryCode": "US",
            },
        ),
        ContactDraft(
            first_name="Łukasz",
            last_name="Nowak",
            phones={
                PhoneKind.CELL: PhoneDraft("07700900123"),
                PhoneKind.WORK: PhoneDraft("+48 22 123 45 67"),
            },
            emails={EmailKind.OTHER: "lukasz@example.pl"},
            address={
                "address1": "ul. Długa 5",
                "city": "Warszawa",
                "state": "",
                "postalCode": "00-950",
                "countryCode": "PL",
            },
            survey_opt_out=True,
        ),
        ContactDraft(
            first_name="Nguyễn",
            last_name="山田",
            phones={PhoneKind.CELL: PhoneDraft(""), PhoneKind.WORK: PhoneDraft("")},
            emails={EmailKind.OTHER: ""},
            address={p: "" for p in ("address1", "city", "state", "postalCode", "countryCode")},
        ),
    ]


def test_a_crm_export_with_friendly_headers_reads_correctly() -> None:
    parsed = read_csv((FIXTURES / "crm_export.csv").read_bytes())

    assert parsed.problems == []
    assert parsed.warnings == [
        "values in 1 column were not imported, as contact-tui has no field for it: "
        "'Company' (column 4, on 2 rows)"
    ]
    assert [row.line for row in parsed.rows] == [2, 4, 5]
    assert [row.draft for row in parsed.rows] == expected_crm_rows()
    assert [row.contact_notes for row in parsed.rows] == [
        ["Prefers email, not calls"],
        [],
        ['VIP; "gold" tier'],
    ]
    assert [row.errors for row in parsed.rows] == [{}, {}, {}]
    assert parsed.rows[0].present == {
        "firstName",
        "lastName",
        "title",
        "cellPhone",
        "workPhone",
        "workPhone.acceptsSMS",
        "otherEmail",
        "address.address1",
        "address.city",
        "address.state",
        "address.postalCode",
        "address.countryCode",
        "surveyOptOut",
    }
    assert parsed.rows[0].contact_id == "" and parsed.rows[0].type is None


def test_a_semicolon_separated_export_reads_the_same_and_says_so() -> None:
    comma = read_csv((FIXTURES / "crm_export.csv").read_bytes())
    semicolon = read_csv((FIXTURES / "crm_export_semicolon.csv").read_bytes())

    assert [row.draft for row in semicolon.rows] == [row.draft for row in comma.rows]
    assert [row.line for row in semicolon.rows] == [2, 4, 5]
    assert semicolon.problems == []
    assert "semicolons" in semicolon.warnings[0]
    assert semicolon.warnings[1:] == comma.warnings


def test_a_tab_separated_file_is_read_with_tabs() -> None:
    parsed = read_csv(b"First name\tLast name\tCity\nAnn\tLee\tLeeds, West Yorkshire\n")

    assert parsed.rows[0].draft.address == {"city": "Leeds, West Yorkshire"}
    assert parsed.warnings == [
        "the header has no commas but has tabs (as European Excel saves CSV), "
        "so the file is read as separated by tabs"
    ]


def test_an_excel_sep_line_chooses_the_delimiter_and_keeps_line_numbers() -> None:
    parsed = read_csv(b"sep=;\r\nfirstName;lastName\r\nAnn;Lee, Jr\r\n")

    assert [(r.line, r.draft.last_name) for r in parsed.rows] == [(3, "Lee, Jr")]


@pytest.mark.parametrize(
    ("header", "field_id"),
    [
        ("first_name", "firstName"),
        ("FIRST NAME", "firstName"),
        ("Work phone accepts SMS", "workPhone.acceptsSMS"),
        ("work-phone-sms", "workPhone.acceptsSMS"),
        ("Mobile", "cellPhone"),
        ("Mobile Phone", "cellPhone"),
        ("cell", "cellPhone"),
        ("postal.code", "address.postalCode"),
        ("Address line 1", "address.address1"),
        ("Country", "address.countryCode"),
        ("Job Title", "title"),
        ("E-mail", "otherEmail"),
        ("Web chat IDs", "identity.webchat"),
        ("X", None),
    ],
)
def test_header_names_match_forgivingly(header: str, field_id: str | None) -> None:
    parsed = read_csv(f"lastName,{header}\nLee,x\n".encode())

    expected = {"lastName"} if field_id is None else {"lastName", field_id}
    assert parsed.rows[0].present == expected


def test_an_email_column_next_to_other_email_columns_is_not_guessed() -> None:
    parsed = read_csv(b"lastName,Work Email,Email\nLee,a@example.com,b@example.com\n")

    assert parsed.rows[0].draft.emails == {EmailKind.WORK: "a@example.com"}
    assert parsed.warnings == [
        "column 3 'Email' could be any of the email columns; its values are not imported"
    ]


# --- file problems and line numbers ----------------------------------------------------------


def test_a_row_after_a_multi_line_cell_reports_its_own_start_line() -> None:
    rows = read_text('firstName,notes\r\nAnn,"one\r\ntwo\r\n\r\nthree"\r\n\r\nBob,x\r\n')

    assert [(r.line, r.draft.first_name) for r in rows] == [(2, "Ann"), (7, "Bob")]
    assert rows[0].contact_notes == ["one\ntwo\n\nthree"]


def test_an_unclosed_quote_is_a_problem_at_the_record_that_opened_it() -> None:
    parsed = read_csv(b'firstName,lastName\nAnn,Lee\nBob,"Ray\nCid,Dee\n')

    assert [r.draft.first_name for r in parsed.rows] == ["Ann"]
    [problem] = parsed.problems
    assert problem.line == 3
    assert "never closed" in problem.message and "reading stopped" in problem.message


def test_text_after_a_closing_quote_is_a_problem_at_its_line() -> None:
    parsed = read_csv(b'firstName,lastName\nAnn,Lee\nBob,"Ray"son\nCid,Dee\n')

    assert [r.draft.first_name for r in parsed.rows] == ["Ann"]
    assert [p.line for p in parsed.problems] == [3]
    assert 'doubled ("")' in str(parsed.problems[0])


def test_a_runaway_cell_is_a_problem_not_a_crash() -> None:
    huge = "x" * (csv.field_size_limit() + 1)
    parsed = read_csv(f"firstName,notes\nAnn,a\nBob,{huge}\nCid,c\n".encode())

    assert [r.draft.first_name for r in parsed.rows] == ["Ann"]
    [problem] = parsed.problems
    assert problem.line == 3 and "longer than" in problem.message


def test_a_file_that_is_not_utf8_is_refused_with_the_line() -> None:
    with pytest.raises(FileFormatError) as caught:
        read_csv("firstName\nAnn\nZoë\n".encode("cp1252"))

    assert caught.value.line == 3
    assert "0xEB" in caught.value.message and "UTF-8" in caught.value.message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\t\n"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(FileFormatError) as caught:
        read_csv(data)

    assert (caught.value.line, caught.value.message) == (1, "the file is empty")


def test_a_column_given_twice_is_refused() -> None:
    with pytest.raises(FileFormatError) as caught:
        read_csv(b"firstName,lastName,First Name\nAnn,Lee,Ann\n")

    assert caught.value.line == 1
    assert caught.value.message == (
        "column 3 'First Name' repeats column 1 'firstName' (both are firstName); "
        "remove one of them"
    )


def test_an_alias_and_its_column_together_are_a_repeat() -> None:
    with pytest.raises(FileFormatError, match="column 3 'Mobile' repeats column 2 'cellPhone'"):
        read_csv(b"lastName,cellPhone,Mobile\n")


def test_a_header_without_names_or_ids_lists_the_expected_header() -> None:
    with pytest.raises(FileFormatError) as caught:
        read_csv(b"Ann,Lee,+44 7700 900123\nBob,Ray,\n")

    assert caught.value.line == 1
    assert ",".join(HEADER) in caught.value.message


def test_an_unknown_column_is_reported_once() -> None:
    parsed = read_csv(b"firstName,lastName,Birthday\nAnn,Lee,1990-01-01\nBob,Ray,1985-05-05\n")

    assert parsed.warnings == [
        "values in 1 column were not imported, as contact-tui has no field for it: "
        "'Birthday' (column 3, on 2 rows)"
    ]
    assert len(parsed.rows) == 2


def test_unknown_columns_are_one_line_naming_only_those_with_values() -> None:
    empty = ",".join(f"Extra {n}" for n in range(80))
    data = f"firstName,lastName,Birthday,{empty},Company\nAnn,Lee,,{',' * 79},Acme\n"

    parsed = read_csv(data.encode())

    assert parsed.warnings == [
        "values in 1 column were not imported, as contact-tui has no field for it: "
        "'Company' (column 84, on 1 row); 81 more such columns are empty on every row"
    ]


def test_unknown_columns_that_are_all_empty_are_one_line_saying_nothing_is_lost() -> None:
    parsed = read_csv(b"firstName,lastName,Birthday,Company\nAnn,Lee,,\n")

    assert parsed.warnings == [
        "2 columns are not contact-tui fields and are empty on every row: nothing is lost"
    ]


def test_values_under_an_unnamed_column_are_reported() -> None:
    parsed = read_csv(b"firstName,lastName,\nAnn,Lee,\nBob,Ray,secret\nCid,Dee,more\n")

    assert len(parsed.rows) == 3
    assert parsed.warnings == ["column 3 has no name in the header; its values are not imported"]


def test_a_row_with_too_many_cells_is_a_problem() -> None:
    parsed = read_csv(b"firstName,lastName\nAnn,Lee\nBob,Ray,extra\nCid,Dee\n")

    assert parsed.problems == [
        FileProblem(
            3,
            "3 cells but the header has 2 columns; the cells past the last column hold text",
        )
    ]
    assert [r.draft.first_name for r in parsed.rows] == ["Ann", "Cid"]  # reading goes on


def test_a_row_with_too_few_cells_has_the_missing_trailing_cells_empty() -> None:
    # Excel, Google and Python's csv all write and read a short row this way.
    parsed = read_csv(b"firstName,lastName,city,notes\nAnn\nBob,Ray,Leeds\n")

    assert parsed.problems == []
    ann, bob = parsed.rows
    assert (ann.draft.first_name, ann.draft.last_name, ann.draft.address) == (
        "Ann",
        "",
        {"city": ""},
    )
    assert ann.present == bob.present == {"firstName", "lastName", "address.city"}
    assert bob.draft.address == {"city": "Leeds"}


def test_a_short_row_of_a_foreign_dialect_is_read_too() -> None:
    parsed = read_csv(b"First Name,Last Name,Primary Email,Mobile Number,Notes\nAnn,Lee\n")

    [row] = parsed.rows
    assert parsed.problems == [] and row.draft.last_name == "Lee"
    assert row.draft.phones == {} and row.draft.emails == {}


def test_empty_trailing_cells_and_blank_rows_are_fine() -> None:
    rows = read_text("firstName,lastName\nAnn,Lee,,\n\n,\n ,  \nBob,Ray\n")

    assert [(r.line, r.draft.first_name) for r in rows] == [(2, "Ann"), (6, "Bob")]


# --- cell values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("y", True),
        ("1", True),
        ("x", True),
        ("X", True),
        ("false", False),
        ("No", False),
        ("n", False),
        ("0", False),
        ("", False),
    ],
)
def test_yes_no_columns_accept_the_usual_spellings(cell: str, value: bool) -> None:
    [row] = read_text(f"lastName,workPhone,Work phone SMS,surveyOptOut\nLee,555,{cell},{cell}\n")

    assert row.draft.phones[PhoneKind.WORK] == PhoneDraft("555", value)
    assert row.draft.survey_opt_out is value
    assert row.errors == {}


def test_a_yes_no_column_with_anything_else_is_a_row_error() -> None:
    rows = read_text("lastName,workPhoneAcceptsSMS,surveyOptOut\nLee,maybe,sometimes\nRay,no,no\n")

    assert rows[0].errors == {
        "workPhone.acceptsSMS": "'maybe' is not yes or no",
        "surveyOptOut": "'sometimes' is not yes or no",
    }
    assert rows[1].errors == {}  # every row comes back, so all bad rows are reported at once


@pytest.mark.parametrize("cell", ["1.21255E+10", "4.47701E+11", "4,47701E+11", "7.7009E9"])
def test_a_phone_excel_turned_into_scientific_notation_is_a_row_error(cell: str) -> None:
    [row] = read_text(f'lastName,Mobile\nLee,"{cell}"\n')

    assert row.errors == {
        "cellPhone": f"Excel turned this number into {cell}; "
        "format the column as Text and export again"
    }


def test_excel_text_formula_cells_keep_leading_zeros() -> None:
    [row] = read_text('lastName,homePhone,postalCode\nLee,="0123",="00-950"\n')

    assert row.draft.phones[PhoneKind.HOME].text == "0123"
    assert row.draft.address == {"postalCode": "00-950"}


def test_cells_are_trimmed_but_notes_keep_their_inner_layout() -> None:
    [row] = read_text('firstName,lastName,notes\n  Ann  , Lee ,"\n\n  indented\n\nlast  \n\n"\n')

    assert (row.draft.first_name, row.draft.last_name) == ("Ann", "Lee")
    assert row.contact_notes == ["  indented\n\nlast"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("Curated", ContactType.CURATED), ("ephemeral", ContactType.EPHEMERAL), ("", None)],
)
def test_the_type_column_is_read_case_insensitively(cell: str, expected: ContactType) -> None:
    [row] = read_text(f"id,type\nc-1,{cell}\n")

    assert row.type == expected and row.errors == {}


def test_bookkeeping_values_that_are_wrong_are_row_errors() -> None:
    [row] = read_text("id,type,version,createDate,modifyDate\nc-1,VIP,-1,yesterday,28/11/2026\n")

    assert row.errors == {
        "type": "'VIP' is not Ephemeral, Identified or Curated",
        "version": "'-1' is not a whole number (0, 1, 2, ...)",
        "createDate": "'yesterday' is not a date and time like 2026-11-28T09:30:15.123Z",
        "modifyDate": "'28/11/2026' is not a date and time like 2026-11-28T09:30:15.123Z",
    }
    assert (row.type, row.version, row.create_date, row.modify_date) == (None, None, None, None)


def test_dates_with_offsets_are_read_as_utc() -> None:
    [row] = read_text("id,modifyDate,version\n c-1 ,2026-11-28T10:30:15.123+01:00,3\n")

    assert row.contact_id == "c-1"
    assert row.modify_date == MODIFIED
    assert row.version == 3


def test_identity_columns_build_identities_and_count_as_present() -> None:
    [row] = read_text(
        "lastName,Facebook IDs,facebookDisplayName,twitterScreenName,lineDisplayName\n"
        "Lee,  fb-1   fb-2 ,Ann L,ann,Ann\n"
    )

    assert row.identities == {
        Platform.FACEBOOK: MessagingIdentity(Platform.FACEBOOK, ("fb-1", "fb-2"), "Ann L"),
    }
    assert {"identity.facebook", "identity.twitter", "identity.line"} <= row.present
    assert row.warnings == [
        "X: twitterId is empty, so the X name and handle on this row are not imported",
        "LINE: lineIds is empty, so the LINE name and handle on this row are not imported",
    ]


def test_a_single_id_platform_with_two_ids_is_a_row_error() -> None:
    [row] = read_text("lastName,whatsAppId\nLee,+447700900123 +447700900124\n")

    assert row.identities == {}
    assert row.errors == {
        "identity.whatsapp": "WhatsApp holds one id; whatsAppId has 2: +447700900123 +447700900124"
    }


def test_only_the_columns_in_the_file_are_present() -> None:
    [row] = read_text("First Name,Last Name,Mobile\nAnn,Lee,07700 900123\n")

    assert row.present == {"firstName", "lastName", "cellPhone"}
    assert row.draft == ContactDraft(
        first_name="Ann", last_name="Lee", phones={PhoneKind.CELL: PhoneDraft("07700 900123")}
    )
    assert row.identities == {} and row.version is None


# --- other programs' exports ------------------------------------------------------------------


def header(text: str) -> list[str]:
    """A header line's column names."""
    return next(csv.reader([text]))


# Outlook's documented export header (Outlook 2016 and later), in its order.
OUTLOOK_HEADER = header(
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,"
    "Business Street,Business Street 2,Business Street 3,Business City,Business State,"
    "Business Postal Code,Business Country/Region,Home Street,Home Street 2,Home Street 3,"
    "Home City,Home State,Home Postal Code,Home Country/Region,Other Street,Other Street 2,"
    "Other Street 3,Other City,Other State,Other Postal Code,Other Country/Region,"
    "Assistant's Phone,Business Fax,Business Phone,Business Phone 2,Callback,Car Phone,"
    "Company Main Phone,Home Fax,Home Phone,Home Phone 2,ISDN,Mobile Phone,Other Fax,"
    "Other Phone,Pager,Primary Phone,Radio Phone,TTY/TDD Phone,Telex,Account,Anniversary,"
    "Assistant's Name,Billing Information,Birthday,Business Address PO Box,Categories,Children,"
    "Directory Server,E-mail Address,E-mail Type,E-mail Display Name,E-mail 2 Address,"
    "E-mail 2 Type,E-mail 2 Display Name,E-mail 3 Address,E-mail 3 Type,E-mail 3 Display Name,"
    "Gender,Government ID Number,Hobby,Home Address PO Box,Initials,Internet Free Busy,Keywords,"
    "Language,Location,Manager's Name,Mileage,Notes,Office Location,Organizational ID Number,"
    "Other Address PO Box,Priority,Private,Profession,Referred By,Sensitivity,Spouse,User 1,"
    "User 2,User 3,User 4,Web Page"
)


def outlook_row(**cells: str) -> str:
    """An Outlook export row with Outlook's default values, and ``cells`` by column name."""
    values = dict.fromkeys(OUTLOOK_HEADER, "")
    values.update(
        {"Anniversary": "0/0/00", "Birthday": "0/0/00", "Gender": "Unspecified"},
        Priority="Normal",
        Sensitivity="Normal",
        Private="False",
    )
    values.update(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([OUTLOOK_HEADER, list(values.values())])
    return out.getvalue()


def test_an_outlook_export_reads_title_as_salutation_and_every_documented_slot() -> None:
    text = outlook_row(
        **{
            "Title": "Dr.",
            "First Name": "Zoë",
            "Last Name": "Okafor",
            "Job Title": "Head of Buying",
            "Company": "Acme",
            "Business Phone": "+1 212 555 0100",
            "Home Phone": "+1 212 555 0101",
            "Mobile Phone": "+1 917 555 0102",
            "Other Phone": "+1 212 555 0103",
            "Primary Phone": "+1 917 555 0102",  # the mobile again, as Outlook writes it
            "E-mail Address": "zoe@acme.example",
            "E-mail Type": "SMTP",
            "E-mail Display Name": "Zoë Okafor (zoe@acme.example)",
            "E-mail 2 Address": "zoe@home.example",
            "Business Street": "1 Main St\r\nFloor 4",
            "Business City": "New York",
            "Business State": "NY",
            "Business Postal Code": "10001",
            "Business Country/Region": "United States",
            "Home Street": "9 Elm Rd",
            "Home City": "Newark",
            "Notes": "Prefers mornings.\r\nNo calls on Friday.",
        }
    )

    parsed = read_csv(text.encode())

    [row] = parsed.rows
    assert parsed.problems == [] and row.errors == {}
    draft = row.draft
    assert (draft.salutation, draft.first_name, draft.last_name, draft.title) == (
        "Dr.",
        "Zoë",
        "Okafor",
        "Head of Buying",
    )
    assert {k: p.text for k, p in draft.phones.items()} == {
        PhoneKind.WORK: "+1 212 555 0100",
        PhoneKind.HOME: "+1 212 555 0101",
        PhoneKind.CELL: "+1 917 555 0102",
        PhoneKind.OTHER: "+1 212 555 0103",
    }
    # Outlook's email columns name no slot: Other, then Personal; never Work.
    assert draft.emails == {
        EmailKind.OTHER: "zoe@acme.example",
        EmailKind.PERSONAL: "zoe@home.example",
    }
    assert draft.address == {
        "address1": "1 Main St",
        "address2": "Floor 4",
        "city": "New York",
        "state": "NY",
        "postalCode": "10001",
        "countryCode": "United States",
    }
    assert row.contact_notes == ["Prefers mornings.\r\nNo calls on Friday."]
    # The record starts on line 2; the Business Street's line break puts the Home address on 3.
    assert row.warnings == [
        "line 3: the 'Home' address '9 Elm Rd, Newark' was not imported: a contact has one address"
    ]
    # One note on the dialect and one line for the 83 unread columns, naming the one with a
    # value (Outlook's defaults, Normal and 0/0/00, hold nothing).
    assert parsed.warnings == [
        "the header is that of an Outlook CSV export, so the file is read as one: its Title "
        "column is read as the salutation and Job Title as the title",
        "values in 1 column were not imported, as contact-tui has no field for it: "
        "'Company' (column 6, on 1 row); 33 more such columns are empty on every row",
    ]


def test_a_foreign_row_carries_only_what_it_has() -> None:
    # An empty cell in another program's export never clears a stored value.
    [row] = read_csv(outlook_row(**{"First Name": "Ann", "Last Name": "Lee"}).encode()).rows

    assert row.present == {"firstName", "middleName", "lastName"}


def google_file(header: list[str], *rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for cells in rows:
        writer.writerow([cells.get(name, "") for name in header])
    return out.getvalue().encode()


GOOGLE_LEGACY_HEADER = header(
    "Name,Given Name,Additional Name,Family Name,Yomi Name,Name Prefix,Name Suffix,Nickname,"
    "Birthday,Notes,Group Membership,E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,"
    "E-mail 2 - Value,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value,"
    "Phone 3 - Type,Phone 3 - Value,Address 1 - Type,Address 1 - Formatted,Address 1 - Street,"
    "Address 1 - City,Address 1 - PO Box,Address 1 - Region,Address 1 - Postal Code,"
    "Address 1 - Country,Address 1 - Extended Address,Organization 1 - Type,"
    "Organization 1 - Name,Organization 1 - Title"
)

GOOGLE_CURRENT_HEADER = header(
    "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,"
    "Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,Organization Name,"
    "Organization Title,Organization Department,Birthday,Notes,Photo,Labels,E-mail 1 - Label,"
    "E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,"
    "Phone 2 - Label,Phone 2 - Value,Address 1 - Label,Address 1 - Formatted,"
    "Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,"
    "Address 1 - Postal Code,Address 1 - Country,Address 1 - Extended Address,"
    "Address 2 - Label,Address 2 - Formatted,Address 2 - Street,Address 2 - City"
)


def test_google_legacy_types_fill_slots_and_multi_values_split() -> None:
    data = google_file(
        GOOGLE_LEGACY_HEADER,
        {
            "Name": "Ann Lee",
            "Given Name": "Ann",
            "Family Name": "Lee",
            "Name Prefix": "Ms",
            "Group Membership": "* myContacts",
            "E-mail 1 - Type": "* Home",
            "E-mail 1 - Value": "ann@home.example ::: ann@old.example",
            "E-mail 2 - Type": "Work",
            "E-mail 2 - Value": "ann@work.example",
            "Phone 1 - Type": "Mobile",
            "Phone 1 - Value": "+44 7700 900001 ::: +44 7700 900002",
            "Phone 2 - Type": "Work",
            "Phone 2 - Value": "+44 20 7946 0001",
            "Phone 3 - Type": "Home Fax",
            "Phone 3 - Value": "+44 20 7946 0002 ::: +44 20 7946 0003",
            "Organization 1 - Name": "Acme",
            "Organization 1 - Title": "Buyer",
        },
    )

    parsed = read_csv(data)

    [row] = parsed.rows
    draft = row.draft
    assert (draft.salutation, draft.first_name, draft.last_name, draft.title) == (
        "Ms",
        "Ann",
        "Lee",
        "Buyer",
    )
    assert {k: p.text for k, p in draft.phones.items()} == {
        PhoneKind.CELL: "+44 7700 900001",
        PhoneKind.WORK: "+44 20 7946 0001",
        PhoneKind.OTHER: "+44 7700 900002",  # the second mobile: Cell is taken
        PhoneKind.HOME: "+44 20 7946 0002",  # a fax takes the last free slot
    }
    assert draft.emails == {
        EmailKind.PERSONAL: "ann@home.example",
        EmailKind.WORK: "ann@work.example",
        EmailKind.OTHER: "ann@old.example",
    }
    # Nothing that does not fit is dropped silently.
    assert row.warnings == [
        "line 2: the phone number '+44 20 7946 0003' ('Home Fax') was not imported: the work, "
        "home, cell and other phone slots are all taken"
    ]
    assert parsed.warnings[0].startswith(
        "the header is that of a Google Contacts CSV export (legacy header)"
    )
    # The group every contact is in is no loss; the organisation name is.
    assert parsed.warnings[1] == (
        "values in 1 column were not imported, as contact-tui has no field for it: "
        "'Organization 1 - Name' (column 32, on 1 row); 6 more such columns are empty on every row"
    )


@pytest.mark.parametrize(
    ("label", "slot"),
    [
        ("Mobile", PhoneKind.CELL),
        ("mobile", PhoneKind.CELL),
        ("MOBILE", PhoneKind.CELL),
        ("* Mobile", PhoneKind.CELL),
        ("Work", PhoneKind.WORK),
        ("* work", PhoneKind.WORK),
        ("Home", PhoneKind.HOME),
        ("Other", PhoneKind.OTHER),
        ("Main", PhoneKind.OTHER),
        ("Google Voice", PhoneKind.OTHER),
        ("", PhoneKind.OTHER),
    ],
)
def test_google_phone_labels_name_slots_in_any_case(label: str, slot: PhoneKind) -> None:
    data = google_file(
        GOOGLE_CURRENT_HEADER,
        {"First Name": "Ann", "Last Name": "Lee", "Phone 1 - Label": label, "Phone 1 - Value": "5"},
    )

    [row] = read_csv(data).rows

    assert row.draft.phones == {slot: PhoneDraft("5")}
    assert row.present == {"firstName", "middleName", "lastName", slot.value}


def test_the_primary_google_value_wins_its_slot() -> None:
    data = google_file(
        GOOGLE_CURRENT_HEADER,
        {
            "First Name": "Ann",
            "Last Name": "Lee",
            "Phone 1 - Label": "Mobile",
            "Phone 1 - Value": "111",
            "Phone 2 - Label": "* Mobile",
            "Phone 2 - Value": "222",
        },
    )

    [row] = read_csv(data).rows

    assert row.draft.phones == {
        PhoneKind.CELL: PhoneDraft("222"),
        PhoneKind.OTHER: PhoneDraft("111"),
    }


def test_google_current_reads_labels_addresses_and_warns_the_second_address() -> None:
    data = google_file(
        GOOGLE_CURRENT_HEADER,
        {
            "First Name": "Jürgen",
            "Last Name": "Weiß",
            "Organization Title": "Einkauf",
            "Labels": "* myContacts ::: Kunden",
            "E-mail 1 - Label": "* Work",
            "E-mail 1 - Value": "jw@example.de",
            "E-mail 2 - Label": "Other",
            "E-mail 2 - Value": "jw@example.org ::: j.w@example.net ::: jw2@example.net",
            "Phone 1 - Label": "Work",
            "Phone 1 - Value": "0351 223344",
            "Address 1 - Label": "Work",
            "Address 1 - Street": "Hauptstraße 5",
            "Address 1 - City": "Dresden",
            "Address 1 - Postal Code": "01067",
            "Address 1 - Country": "DE",
            "Address 1 - Extended Address": "Haus B",
            "Address 2 - Label": "* Home",
            "Address 2 - Formatted": "Lindenweg 2\n01099 Dresden",
        },
    )

    parsed = read_csv(data)

    [row] = parsed.rows
    assert row.draft.title == "Einkauf"
    assert row.draft.phones == {PhoneKind.WORK: PhoneDraft("0351 223344")}
    assert row.draft.emails == {
        EmailKind.WORK: "jw@example.de",
        EmailKind.OTHER: "jw@example.org",
        EmailKind.PERSONAL: "j.w@example.net",
    }
    # The primary (home) address is the one kept, from its formatted lines.
    assert row.draft.address == {
        "address1": "Lindenweg 2",
        "address2": "01099 Dresden",
        "city": "",
        "state": "",
        "postalCode": "",
        "countryCode": "",
    }
    assert row.warnings == [
        "line 2: the email 'jw2@example.net' ('Other') was not imported: the other and personal "
        "email slots are taken, and an email the file does not call Work is not put in Work",
        "line 2: the 'Work' address 'Hauptstraße 5, Dresden, 01067, DE, Haus B' was not "
        "imported: a contact has one address",
    ]
    assert parsed.warnings == [
        "the header is that of a Google Contacts CSV export, so the file is read as one: phones "
        "and emails go to the slot their Label names",
        "values in 1 column were not imported, as contact-tui has no field for it: 'Labels' "
        "(column 17, on 1 row); 10 more such columns are empty on every row",
    ]


THUNDERBIRD_HEADER = header(
    "First Name,Last Name,Display Name,Nickname,Primary Email,Secondary Email,Screen Name,"
    "Work Phone,Home Phone,Fax Number,Pager Number,Mobile Number,Home Address,Home Address 2,"
    "Home City,Home State,Home ZipCode,Home Country,Work Address,Work Address 2,Work City,"
    "Work State,Work ZipCode,Work Country,Job Title,Department,Organization,Web Page 1,"
    "Web Page 2,Birth Year,Birth Month,Birth Day,Custom 1,Custom 2,Custom 3,Custom 4,Notes"
)


def test_thunderbird_maps_everything_contact_tui_has_a_field_for() -> None:
    data = google_file(
        THUNDERBIRD_HEADER,
        {
            "First Name": "Ann",
            "Last Name": "Lee",
            "Display Name": "Ann Lee",
            "Primary Email": "ann@example.com",
            "Secondary Email": "ann@example.org",
            "Work Phone": "+1 212 555 0100",
            "Home Phone": "+1 212 555 0101",
            "Mobile Number": "+1 917 555 0102",
            "Fax Number": "+1 212 555 0109",
            "Home Address": "9 Elm Rd",
            "Home Address 2": "Flat 3",
            "Home City": "Newark",
            "Home State": "NJ",
            "Home ZipCode": "07102",
            "Home Country": "USA",
            "Job Title": "Buyer",
            "Notes": "Two\nlines",
        },
    )

    parsed = read_csv(data)

    [row] = parsed.rows
    assert row.draft == ContactDraft(
        first_name="Ann",
        last_name="Lee",
        title="Buyer",
        phones={
            PhoneKind.WORK: PhoneDraft("+1 212 555 0100"),
            PhoneKind.HOME: PhoneDraft("+1 212 555 0101"),
            PhoneKind.CELL: PhoneDraft("+1 917 555 0102"),
            PhoneKind.OTHER: PhoneDraft("+1 212 555 0109"),
        },
        emails={EmailKind.OTHER: "ann@example.com", EmailKind.PERSONAL: "ann@example.org"},
        address={
            "address1": "9 Elm Rd",
            "address2": "Flat 3",
            "city": "Newark",
            "state": "NJ",
            "postalCode": "07102",
            "countryCode": "USA",
        },
    )
    assert row.contact_notes == ["Two\nlines"]
    assert row.warnings == []
    assert parsed.warnings == [
        "the header is that of a Thunderbird CSV export, so the file is read as one: Home "
        "Address and Work Address are read as streets",
        "13 columns are not contact-tui fields and are empty on every row: nothing is lost",
    ]


@pytest.mark.parametrize(
    ("display", "company", "first", "last", "is_company"),
    [
        ("Janet Jackson", "", "Janet", "Jackson", False),
        ("Ambulance", "", "Ambulance", "", False),
        ("Acer America", "Acer America", "Acer America", "", True),  # never split into a person
        ("", "Acer America", "Acer America", "", True),
    ],
)
def test_a_row_without_names_takes_its_display_name_or_company(
    display: str, company: str, first: str, last: str, is_company: bool
) -> None:
    data = google_file(
        THUNDERBIRD_HEADER,
        {"Display Name": display, "Organization": company, "Work Phone": "5"},
    )

    [row] = read_csv(data).rows

    assert (row.draft.first_name, row.draft.last_name, row.company) == (first, last, is_company)


def test_a_partial_name_is_completed_from_the_display_name() -> None:
    data = google_file(
        GOOGLE_LEGACY_HEADER, {"Name": "Janet Damita Jackson", "Given Name": "Janet"}
    )

    [row] = read_csv(data).rows

    assert (row.draft.first_name, row.draft.last_name) == ("Janet", "Damita Jackson")


def test_a_flood_of_values_in_one_google_cell_gives_short_warnings() -> None:
    # Each value that does not fit is named, but a 100 KB cell does not become a 100 KB line.
    flood = " ::: ".join([str(n) for n in range(10)] + ["9" * 100_000])
    data = google_file(
        GOOGLE_CURRENT_HEADER,
        {"First Name": "A", "Phone 1 - Label": "x" * 5000, "Phone 1 - Value": flood},
    )

    [row] = read_csv(data).rows

    assert len(row.draft.phones) == 4 and len(row.warnings) == 7
    assert max(len(w) for w in row.warnings) < 300


def test_an_excel_mangled_number_in_a_foreign_file_is_an_error_at_its_slot() -> None:
    [row] = read_csv(
        outlook_row(**{"Last Name": "Lee", "Mobile Phone": "4.47701E+11"}).encode()
    ).rows

    assert row.errors == {
        "cellPhone": "Excel turned this number into 4.47701E+11; format the column as Text and "
        "export again"
    }


@pytest.mark.parametrize(
    ("header", "dialect"),
    [
        (",".join(HEADER), GENESYS),
        ("First Name,Last Name,Mobile,Email", GENESYS),
        ("First Name,Last Name,Work Phone,Personal Email", GENESYS),
        (",".join(OUTLOOK_HEADER), OUTLOOK),
        ("E-mail Address,E-mail 2 Address,E-mail 3 Address", OUTLOOK),  # Roundcube's sample
        (",".join(GOOGLE_LEGACY_HEADER), GOOGLE_LEGACY),
        ("Name,Given Name,Family Name", GOOGLE_LEGACY),
        (",".join(GOOGLE_CURRENT_HEADER), GOOGLE),
        ("First Name,Last Name,Phone 1 - Value,E-mail 1 - Value", GOOGLE),
        (",".join(THUNDERBIRD_HEADER), THUNDERBIRD),
        ("Display Name;First Name;Last Name;Primary Email", THUNDERBIRD),
    ],
)
def test_the_dialect_is_decided_by_the_header(header: str, dialect: str) -> None:
    assert detect_dialect(next(csv.reader([header], delimiter=";" if ";" in header else ","))) == (
        dialect
    )


def test_our_own_export_is_read_as_ours_with_no_dialect_note() -> None:
    # Ours has "title" (the job title) where Outlook's Title is the salutation: never confused.
    parsed = read_csv(write_csv([full_contact()]).encode())

    assert parsed.warnings == []
    assert parsed.rows[0].draft.title == "Head of Buying, EMEA"
    assert parsed.rows[0].draft.salutation == "Dr"


def test_a_foreign_column_given_twice_is_refused() -> None:
    with pytest.raises(FileFormatError, match="column 3 'Mobile Number' repeats column 2"):
        read_csv(b"Primary Email,Mobile Number,Mobile Number\n")


# --- documentation ---------------------------------------------------------------------------


def test_the_column_table_documents_every_column_in_order() -> None:
    table = columns_markdown().splitlines()

    assert table[0] == "| Column | What it holds | Also read from |"
    assert len(table) == 2 + len(HEADER)
    assert [line.split("|")[1].strip().strip("`") for line in table[2:]] == list(HEADER)
    assert "| `cellPhone` | Cell (mobile) phone | `mobile`, `mobilePhone`, `cell` |" in table
    assert all(column.description for column in COLUMNS)
