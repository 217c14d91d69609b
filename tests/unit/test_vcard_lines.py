"""A card's problem points at the line of the property that is wrong (issue 14, Messages):
its own NOTE among several, not the card's first line or its first NOTE."""

from __future__ import annotations

from contact_tui.exchange.importer import RowProblem, check_row
from contact_tui.exchange.vcard import read_vcard


def test_a_refused_note_is_reported_at_its_own_note_line() -> None:
    too_long = "x" * 40_000
    text = "\r\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "N:Doe;Jane;;;",
            "NOTE:first note",
            "TITLE:Buyer",
            "NOTE:",  # an empty NOTE is no note, and does not shift the count
            f"NOTE:{too_long}",
            "END:VCARD",
            "",
        ]
    )
    [row] = read_vcard(text.encode()).rows
    assert row.field_lines["notes"] == 4
    problem = check_row(row, "US")
    assert isinstance(problem, RowProblem)
    assert problem.line == 7, problem
    assert problem.message.startswith("Notes: note 2 of 2: Note is too long")


def test_a_good_card_with_several_notes_is_still_at_its_first_note() -> None:
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;Jane;;;\r\nNOTE:a\r\nNOTE:b\r\nEND:VCARD\r\n"
    [row] = read_vcard(text.encode()).rows
    assert (row.line_of("notes"), row.line_of("notes.2")) == (4, 5)
    checked = check_row(row, "US")
    assert not isinstance(checked, RowProblem)
    assert checked.contact_notes == ("a", "b")
