"""The words the command line and the screen share: dates, phone notes, a listing's phone or
email. Both sides call these, so what is asserted here is what both show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from contact_tui.cli.render import contact_lines, search_lines
from contact_tui.domain.model import Contact, ContactType, PhoneNumber
from contact_tui.domain.present import (
    first_email,
    first_phone,
    first_reachable,
    phone_notes,
    phone_text,
    short_timestamp,
    timestamp,
)
from contact_tui.service import SearchKind, SearchResult
from contact_tui.store.errors import ConflictError
from contact_tui.ui.render import contact_details, phone_line, when

WHEN = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)
SEARCHABLE = PhoneNumber("+1 317-555-0123", e164="+13175550123", country_code=1)
AS_TYPED = PhoneNumber("call the front desk")


def test_the_two_date_shapes() -> None:
    assert timestamp(WHEN) == "2026-03-01 09:30:15 UTC"
    assert short_timestamp(WHEN) == "2026-03-01 09:30 UTC"
    assert timestamp(None) == short_timestamp(None) == ""
    assert timestamp(None, "an unknown time") == "an unknown time"


def test_a_date_with_another_offset_is_shown_in_utc() -> None:
    eastern = WHEN.astimezone(timezone(timedelta(hours=-5)))
    assert timestamp(eastern) == "2026-03-01 09:30:15 UTC"
    assert short_timestamp(eastern) == "2026-03-01 09:30 UTC"


def test_cli_screen_and_store_messages_use_the_shared_dates() -> None:
    contact = Contact(id="c1", type=ContactType.CURATED, first_name="Sam", modify_date=WHEN)
    assert f"Changed  {timestamp(WHEN)} by unknown" in contact_lines(contact)
    assert when(WHEN) == short_timestamp(WHEN)
    assert when(None) == "unknown"
    assert f"Changed   {short_timestamp(WHEN)} by unknown" in contact_details(contact).plain
    assert timestamp(WHEN) in str(ConflictError("c1", 1, 2, "bob", WHEN))
    assert "at an unknown time" in str(ConflictError("c1", 1, 2, "bob", None))


def test_phone_notes_in_words_and_on_screen() -> None:
    both = PhoneNumber("call the front desk", accepts_sms=True)
    assert phone_notes(SEARCHABLE) == ()
    assert phone_text(SEARCHABLE) == "+1 317-555-0123"
    assert [str(n) for n in phone_notes(both)] == ["SMS", "not searchable"]
    assert phone_text(both) == "call the front desk  (SMS, not searchable)"
    line = phone_line(both)
    assert line.plain == "call the front desk  SMS  (not searchable)"
    assert [(line.plain[s.start : s.end], s.style) for s in line.spans] == [
        ("  SMS", "bold"),
        ("  (not searchable)", "italic"),
    ]


def test_a_listing_shows_the_first_searchable_number_then_the_first_email() -> None:
    contact = Contact(
        id="c1",
        type=ContactType.CURATED,
        work_phone=AS_TYPED,
        cell_phone=SEARCHABLE,
        personal_email="sam@home.example",
        other_email="sam@other.example",
    )
    assert first_phone(contact) == "+1 317-555-0123"
    assert first_email(contact) == "sam@home.example"
    assert first_reachable(contact) == "+1 317-555-0123"
    only_as_typed = Contact(id="c2", type=ContactType.EPHEMERAL, work_phone=AS_TYPED)
    assert first_phone(only_as_typed) == "call the front desk"
    email_only = Contact(id="c3", type=ContactType.EPHEMERAL, other_email="x@example.com")
    assert (first_phone(email_only), first_reachable(email_only)) == ("", "x@example.com")
    nothing = Contact(id="c4", type=ContactType.EPHEMERAL)
    assert first_phone(nothing) == first_email(nothing) == first_reachable(nothing) == ""
    table = search_lines(SearchResult([contact], 1, SearchKind.NAME), "sam")
    assert "+1 317-555-0123" in table[-1] and "sam@home.example" in table[-1]


def test_every_search_kind_is_described_on_the_command_line() -> None:
    words = {kind: search_lines(SearchResult([], 0, kind), "x")[0] for kind in SearchKind}
    assert words[SearchKind.ALL].endswith("(searched by all contacts).")
    assert words[SearchKind.LITERAL].endswith("(searched by literal text).")
    assert words[SearchKind.PHONE].endswith("(searched by phone).")
