"""Likely duplicates before a save (issue 13, "Duplicates before they happen"), on both stores:
hard matches by number or email through the identity keys, soft ones by folded name and
postal code or email domain through the store's search; each says why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contact_tui import service as service_module
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    Channel,
    Contact,
    ContactType,
    EmailKind,
    NewInteraction,
    Participant,
    Permission,
    PhoneKind,
)
from contact_tui.exchange.rows import ALL_FIELDS, ImportRow, ParsedFile
from contact_tui.service import ContactService, PermissionDenied
from tests.contract import Factory
from tests.factories import FixedClock

NUMBER = "+1 317 555 0123"


def sam(**changes: object) -> ContactDraft:
    draft = ContactDraft(
        first_name="Sam",
        last_name="Lee",
        phones={PhoneKind.CELL: PhoneDraft(NUMBER)},
        emails={EmailKind.WORK: "sam@example.com"},
        address={"postalCode": "46204"},
    )
    for name, value in changes.items():
        setattr(draft, name, value)
    return draft


def test_a_number_or_email_on_another_contact_is_a_hard_match_saying_which(
    service: ContactService,
) -> None:
    stored = service.create_contact(sam())
    # The number typed another way, the address in other case and another slot.
    draft = ContactDraft(
        first_name="Samuel",
        last_name="Lee",
        phones={PhoneKind.WORK: PhoneDraft("(317) 555-0123")},
        emails={EmailKind.OTHER: "SAM@Example.com"},
    )
    found = service.likely_duplicates(draft)
    assert [m.contact.id for m in found.hard] == [stored.id]
    match = found.hard[0]
    assert match.reasons == ("has the number +13175550123", "has the email SAM@example.com")
    assert match.field_ids == ("workPhone", "otherEmail")
    assert found.holding("workPhone") == (match.contact,)
    assert found.soft == ()  # another first name: no soft match either
    assert stored.id in match.describe() and "+13175550123" in match.describe()


def test_the_contact_being_edited_and_ephemeral_contacts_are_no_duplicates(
    service: ContactService,
) -> None:
    stored = service.create_contact(sam())
    assert service.likely_duplicates(sam(), contact_id=stored.id).hard == ()
    caller = service.handle_interaction(
        NewInteraction("alice", Channel.VOICE, Participant("+1 212 555 0100", "Kim"))
    )
    ephemeral = service.contact(caller.contact_id or "")
    assert ephemeral.type == ContactType.EPHEMERAL
    draft = ContactDraft(
        first_name="Kim", last_name="Ng", phones={PhoneKind.CELL: PhoneDraft("+1 212 555 0100")}
    )
    found = service.likely_duplicates(draft)
    assert found.hard == () and found.soft == ()


def test_the_same_folded_name_with_the_same_postal_code_or_domain_is_a_soft_match(
    service: ContactService,
) -> None:
    stored = service.create_contact(sam())
    service.create_contact(
        ContactDraft(first_name="Sam", last_name="Leeson", address={"postalCode": "46204"})
    )
    service.create_contact(
        ContactDraft(first_name="Sam", last_name="Lee", address={"postalCode": "10001"})
    )
    by_postal = ContactDraft(
        first_name="  SAM ", last_name="lee", address={"postalCode": " 46204 "}
    )
    found = service.likely_duplicates(by_postal)
    assert found.hard == ()
    assert [(m.contact.id, m.reasons) for m in found.soft] == [
        (stored.id, ("same name and postal code 46204",))
    ]
    by_domain = ContactDraft(
        first_name="Sam", last_name="Lee", emails={EmailKind.PERSONAL: "s.lee@EXAMPLE.com"}
    )
    assert [m.reasons for m in service.likely_duplicates(by_domain).soft] == [
        ("same name and email domain example.com",)
    ]


def test_accents_and_case_fold_in_the_name(service: ContactService) -> None:
    stored = service.create_contact(
        ContactDraft(first_name="José", last_name="Álvarez", address={"postalCode": "SW1A 1AA"})
    )
    draft = ContactDraft(first_name="jose", last_name="ALVAREZ", address={"postalCode": "sw1a1aa"})
    assert [m.contact.id for m in service.likely_duplicates(draft).soft] == [stored.id]


def test_a_hard_match_is_not_also_listed_as_soft(service: ContactService) -> None:
    stored = service.create_contact(sam())
    found = service.likely_duplicates(sam())
    assert [m.contact.id for m in found.hard] == [stored.id] and found.soft == ()


def test_half_typed_values_are_skipped_not_refused(service: ContactService) -> None:
    service.create_contact(sam())
    draft = ContactDraft(
        first_name="Sam",
        last_name="",
        phones={PhoneKind.CELL: PhoneDraft("317 55")},
        emails={EmailKind.WORK: "sam@"},
    )
    found = service.likely_duplicates(draft)
    assert found.hard == () and found.soft == ()


def test_several_contacts_holding_a_shared_number_are_each_a_hard_match_oldest_first(
    service: ContactService, clock: FixedClock
) -> None:
    first = service.create_contact(
        ContactDraft(
            first_name="Pat", last_name="Jones", phones={PhoneKind.HOME: PhoneDraft(NUMBER)}
        )
    )
    clock.now += timedelta(minutes=1)
    second = service.create_contact(
        ContactDraft(
            first_name="Pat", last_name="Smith", phones={PhoneKind.WORK: PhoneDraft(NUMBER)}
        )
    )
    found = service.likely_duplicates(sam(emails={}))
    assert [m.contact.id for m in found.hard] == [first.id, second.id]


def test_checking_needs_view_and_writes_nothing(service_for: Factory) -> None:
    alice = service_for("alice")
    stored = alice.create_contact(sam())
    before = alice.audit(stored.id)
    alice.likely_duplicates(sam())
    assert alice.audit(stored.id) == before
    stranger = service_for("bob", Permission.ADD)
    with pytest.raises(PermissionDenied, match="view contacts"):
        stranger.likely_duplicates(sam())


def test_editing_a_contact_that_already_shares_a_number_is_no_new_duplicate(
    service: ContactService,
) -> None:
    family = ContactDraft(
        first_name="Pat", last_name="Jones", phones={PhoneKind.HOME: PhoneDraft(NUMBER)}
    )
    pat = service.create_contact(family)
    kim = service.create_contact(
        ContactDraft(
            first_name="Kim", last_name="Jones", phones={PhoneKind.HOME: PhoneDraft(NUMBER)}
        )
    )
    # Kim's title changes: the shared home phone is known, not a stop.
    kim_draft = ContactDraft.from_contact(kim)
    kim_draft.title = "Dr"
    found = service.likely_duplicates(kim_draft, contact_id=kim.id)
    assert [(m.contact.id, m.known) for m in found.hard] == [(pat.id, True)]
    assert found.stopping() == ()
    # A second number Pat has too is new: that one stops.
    kim_draft.phones[PhoneKind.WORK] = PhoneDraft("+1 317 555 0199")
    service.edit(
        pat.id,
        ContactDraft(
            first_name="Pat",
            last_name="Jones",
            phones={
                PhoneKind.HOME: PhoneDraft(NUMBER),
                PhoneKind.WORK: PhoneDraft("+1 317 555 0199"),
            },
        ),
        pat.version,
    )
    assert [m.contact.id for m in service.likely_duplicates(kim_draft, kim.id).stopping()] == [
        pat.id
    ]
    assert service.likely_duplicates(kim_draft, kim.id).stopping(frozenset({pat.id})) == ()


def test_promoting_an_ephemeral_caller_whose_number_a_customer_has_stops(
    service: ContactService,
) -> None:
    # The caller rings first (an ephemeral contact), then an agent adds the customer from
    # the directory with that number: promoting the ephemeral contact now duplicates them.
    call = service.handle_interaction(
        NewInteraction("alice", Channel.VOICE, Participant(NUMBER, "Sam"))
    )
    ephemeral = service.contact(call.contact_id or "")
    customer = service.create_contact(sam())
    draft = ContactDraft.from_contact(ephemeral)
    found = service.likely_duplicates(draft, contact_id=ephemeral.id)
    assert [(m.contact.id, m.known) for m in found.stopping()] == [(customer.id, False)]


# --- import ------------------------------------------------------------------------------


def _rows(*drafts: ContactDraft) -> ParsedFile:
    return ParsedFile(
        rows=[ImportRow(line=n, draft=d, present=ALL_FIELDS) for n, d in enumerate(drafts, 2)]
    )


def test_an_imported_row_with_a_stored_name_and_postal_code_is_a_soft_duplicate_warning(
    service: ContactService,
) -> None:
    stored = service.create_contact(sam())
    report = service.import_contacts(
        _rows(
            ContactDraft(first_name="Sam", last_name="LEE", address={"postalCode": "46204"}),
            ContactDraft(first_name="Sam", last_name="Lee", address={"postalCode": "99999"}),
            ContactDraft(
                first_name="Sam", last_name="Lee", emails={EmailKind.OTHER: "lee@example.com"}
            ),
        )
    )
    assert len(report.created) == 3 and report.written
    likely = [w for w in report.warnings if "likely the same person" in w]
    assert likely == [
        f"line 2: likely the same person as Sam Lee (id {stored.id}): same name and postal "
        "code 46204; added as a new contact",
        f"line 4: likely the same person as Sam Lee (id {stored.id}): same name and email "
        "domain example.com; added as a new contact",
    ]


def test_a_large_import_reads_the_stored_names_once_and_warns_the_same(
    service: ContactService, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = service.create_contact(sam())
    monkeypatch.setattr(service_module, "IMPORT_NAME_SEARCHES", 1)
    searched: list[list[str]] = []
    original = service.repo.search_text

    def counting(needles: list[str], limit: int) -> tuple[list[Contact], int]:
        searched.append(needles)
        return original(needles, limit)

    monkeypatch.setattr(service.repo, "search_text", counting)
    report = service.import_contacts(
        _rows(
            ContactDraft(first_name="Sam", last_name="Lee", address={"postalCode": "46204"}),
            ContactDraft(first_name="Ana", last_name="Lima", address={"postalCode": "46204"}),
        ),
        dry_run=True,
    )
    assert searched == []
    assert [w for w in report.warnings if "likely the same person" in w] == [
        f"line 2: likely the same person as Sam Lee (id {stored.id}): same name and postal "
        "code 46204; added as a new contact"
    ]


def test_an_imported_row_sharing_a_number_keeps_the_shared_number_warning(
    service: ContactService,
) -> None:
    service.create_contact(sam())
    report = service.import_contacts(
        _rows(
            ContactDraft(
                first_name="Kim", last_name="Lee", phones={PhoneKind.HOME: PhoneDraft(NUMBER)}
            )
        )
    )
    assert len(report.created) == 1
    assert any("shares a number with Sam Lee" in w for w in report.warnings), report.warnings
