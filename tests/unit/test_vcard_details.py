"""A detail of another program's card never refuses the whole contact (issue 14, items 10
and 11): a TEL that is no number, an EMAIL that is no address and a 2.1 card's text in its
Windows code page are warnings at their own line, and the rest of the card goes in."""

from __future__ import annotations

import pytest

from contact_tui.domain.draft import PhoneDraft
from contact_tui.domain.model import EmailKind, PhoneKind
from contact_tui.exchange.importer import CheckedRow, RowProblem, check_row
from contact_tui.exchange.rows import ImportRow
from contact_tui.exchange.vcard import read_vcard

SAM_CELL = "+1 317 555 0123"


def card(
    *lines: str, version: str = "3.0", n: str = "Lee;Sam;;;", encoding: str = "utf-8"
) -> bytes:
    """One card, its properties from line 4 on (BEGIN, VERSION and N are lines 1 to 3)."""
    body = ("BEGIN:VCARD", f"VERSION:{version}", f"N:{n}", *lines, "END:VCARD", "")
    return "\r\n".join(body).encode(encoding)


def only_row(data: bytes) -> ImportRow:
    parsed = read_vcard(data)
    assert parsed.problems == []
    [row] = parsed.rows
    return row


def checked(row: ImportRow) -> CheckedRow:
    result = check_row(row, "US")
    assert isinstance(result, CheckedRow), result
    return result


def test_a_tel_without_digits_is_left_out_and_the_next_number_takes_its_slot() -> None:
    # Evolution's migrate-6.vcf: "TEL;HOME:ask Jenny for Lisa's number" refused the contact.
    row = only_row(card("TEL;CELL:ask Jenny for Lisa's number", f"TEL;CELL:{SAM_CELL}"))
    assert row.draft.phones == {PhoneKind.CELL: PhoneDraft(SAM_CELL)}
    assert row.line_of("cellPhone") == 5
    assert row.warnings == [
        'line 4: TEL "ask Jenny for Lisa\'s number" is not a phone number (it has no digits) '
        "and was not imported"
    ]
    assert checked(row).fields.phones[PhoneKind.CELL] is not None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ext. 45", "an extension alone is not a phone number"),
        ("x12", "an extension alone is not a phone number"),
        (f"{SAM_CELL} ext. 1234567890", "an extension can have at most 9 digits"),
        (f"{SAM_CELL} (front desk; ask for the duty manager after 5 pm)", "the phone number is "),
    ],
)
def test_a_tel_that_is_no_number_in_any_country_is_a_warning(value: str, reason: str) -> None:
    # The other ways the phone rule refuses a number whatever its country: an extension
    # alone, an extension too long to be one, text too long to be a number. Each is left
    # out, quoted at its line with the rule's reason, and the contact goes in.
    row = only_row(card("TEL;WORK:" + value.replace(";", "\\;")))
    assert row.draft.phones == {}
    [warning] = row.warnings
    assert warning.startswith(f"line 4: TEL {value[:20]!r}"[:-1]), warning
    assert f"was not imported: {reason}" in warning
    assert "workPhone" not in row.present  # a stored work number is not wiped
    assert checked(row).fields.phones[PhoneKind.WORK] is None


@pytest.mark.parametrize(
    "value",
    [SAM_CELL, "0351 223344", "(111) 555-1212", "+44 20 7946 0958 ext. 42", "tel:+1-317-555-0123"],
)
def test_a_number_the_rule_may_take_somewhere_is_left_to_the_importer(value: str) -> None:
    row = only_row(card(f"TEL;CELL:{value}"))
    assert PhoneKind.CELL in row.draft.phones
    assert row.warnings == []


def test_direction_marks_around_a_number_are_still_the_importers_to_remove() -> None:
    row = only_row(card(f"TEL;CELL:\u202a{SAM_CELL}\u202c"))
    assert row.draft.phones == {PhoneKind.CELL: PhoneDraft(f"\u202a{SAM_CELL}\u202c")}
    [note] = checked(row).notes
    assert note.startswith(f"line 4: Cell phone '{SAM_CELL}': removed the text-direction marks")


def test_our_own_card_with_a_bad_number_is_refused_naming_every_line_in_order() -> None:
    # Our export describes the whole contact (every slot is present), so leaving a number
    # out would empty the stored slot: the importer refuses the card instead. The part on
    # the problem's own line comes first; every other part names its line.
    row = only_row(
        card("TEL;TYPE=voice:ask", "TEL;TYPE=work:ask again", "X-CONTACT-TUI-TYPE:Curated")
    )
    assert row.warnings == []
    problem = check_row(row, "US")
    assert isinstance(problem, RowProblem)
    assert problem.line == 4
    assert problem.message == (
        "Other phone: A phone number needs digits, e.g. +1 317 555 0123. "
        "Work phone (line 5): A phone number needs digits, e.g. +1 317 555 0123."
    )


def test_an_email_that_is_no_address_is_left_out_and_the_next_takes_its_slot() -> None:
    # Thunderbird's "contact1@invalid", Evolution's "semicolon\;@points.net".
    row = only_row(card("EMAIL;PREF=1:contact1@invalid", "EMAIL:sam@example.com"))
    assert row.draft.emails == {EmailKind.OTHER: "sam@example.com"}
    assert row.warnings == [
        "line 4: EMAIL 'contact1@invalid' was not imported: not an email address: the part "
        "after the @ is not valid; it should have a period."
    ]
    assert checked(row).fields.emails[EmailKind.OTHER] == "sam@example.com"


def test_an_email_with_a_name_imports_the_address_in_angle_brackets() -> None:
    # Android's v21_invalid_multiple_line.vcf: EMAIL;INTERNET:"Omega" <omega@example.com>.
    row = only_row(card('EMAIL;INTERNET:"Sam Lee"', "  <sam@example.com>", version="2.1"))
    assert row.draft.emails == {EmailKind.OTHER: "sam@example.com"}
    assert row.warnings == [
        "line 4: EMAIL '\"Sam Lee\" <sam@example.com>' holds a name and an address; "
        "the address 'sam@example.com' was imported"
    ]


def test_our_own_card_with_a_bad_email_is_refused_at_its_line() -> None:
    row = only_row(card("EMAIL;TYPE=work:sam at example.com", "X-CONTACT-TUI-TYPE:Curated"))
    problem = check_row(row, "US")
    assert isinstance(problem, RowProblem)
    assert (problem.line, problem.message[:30]) == (4, "Work email: Not an email addre")


def test_a_21_card_in_a_windows_code_page_is_read_as_windows_1252_with_a_warning() -> None:
    # The Bat! and Outlook 2003 write 2.1 in the system's code page and say nothing.
    data = card(
        "FN:Jürgen Müller",
        "X-GENDER:Männlich",
        "NOTE:Café",
        version="2.1",
        n="Müller;Jürgen;;;",
        encoding="cp1252",
    )
    row = only_row(data)
    assert (row.draft.first_name, row.draft.last_name) == ("Jürgen", "Müller")
    assert row.contact_notes == ["Café"]
    # Every property read says so at its line; X-GENDER, not read, is only "not imported".
    why = "because it is not UTF-8 and the line names no CHARSET"
    assert row.warnings == [
        "line 1: X-GENDER not imported (contact-tui has no such field)",
        f"line 3: N 'Müller;Jürgen;;;' was read as Windows-1252 (Western European) {why}; "
        "check the name",
        f"line 4: FN 'Jürgen Müller' was read as Windows-1252 (Western European) {why}; "
        "check the name",
        f"line 6: NOTE 'Café' was read as Windows-1252 (Western European) {why}; check it",
    ]


def test_a_21_line_in_utf8_or_with_its_charset_is_read_without_a_warning() -> None:
    row = only_row(
        card("FN:Jürgen Müller", "TITLE;CHARSET=ISO-8859-1:K\xf6chin", version="2.1").replace(
            "Köchin".encode(), "Köchin".encode("latin-1")
        )
    )
    assert (row.draft.first_name, row.draft.title) == ("Sam", "Köchin")
    assert row.warnings == []


def test_text_windows_1252_cannot_read_either_still_refuses_the_card_at_its_line() -> None:
    # 0x81 is one of the five bytes windows-1252 leaves undefined.
    parsed = read_vcard(card("FN:Sam\x81Lee", version="2.1", encoding="latin-1"))
    assert parsed.rows == []
    assert [str(p) for p in parsed.problems] == [
        "line 4: FN: its text (byte 0x81) is neither UTF-8 nor Windows-1252 and the line names "
        "no CHARSET; export the contacts again as vCard 3.0 or 4.0, which are UTF-8"
    ]


def test_a_30_card_is_utf8_by_definition_and_other_text_is_still_refused() -> None:
    parsed = read_vcard(card("FN:Jürgen", encoding="latin-1"))
    assert parsed.rows == []
    assert [p.line for p in parsed.problems] == [4]
    assert parsed.problems[0].message.endswith("save the file as UTF-8 and import it again")


def test_a_broken_line_in_a_detail_of_another_programs_card_is_a_warning() -> None:
    # An unclosed quote in a TEL, a byte that is not UTF-8 in a 3.0 NOTE: the contact goes in
    # without them, and the next number takes the slot.
    data = card(
        'TEL;TYPE="cell:+1 212 555 0101',
        "NOTE:caf\xe9",
        f"TEL;TYPE=cell:{SAM_CELL}",
        encoding="latin-1",
    )
    row = only_row(data)
    assert row.draft.phones == {PhoneKind.CELL: PhoneDraft(SAM_CELL)}
    assert row.contact_notes == []
    assert row.warnings == [
        "line 4: TEL was not imported: it is not a vCard property (NAME:value or NAME;PARAM:value)",
        "line 5: NOTE was not imported: its text (byte 0xE9) is not UTF-8, which vCard 3.0 "
        "and 4.0 are, and the line names no CHARSET; save the file as UTF-8 and import it again",
    ]
    assert checked(row).fields.phones[PhoneKind.CELL] is not None
