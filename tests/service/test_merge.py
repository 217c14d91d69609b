"""Merge and unmerge (issue 13) on both stores: the Genesys scenario, slot collisions, merged
ids that still find their customer, conflicts, unmerge after an edit, unmerge twice, and
calls made after a merge (the property test that merge then unmerge puts the store back
exactly is in test_merge_property.py)."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from contact_tui.domain.codec import contact_to_doc
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    AuditAction,
    Channel,
    Contact,
    ContactType,
    EmailKind,
    MatchKind,
    Participant,
    Permission,
    PhoneKind,
)
from contact_tui.exchange.rows import ImportRow, ParsedFile
from contact_tui.service import ContactService, InvalidInput, NewInteraction, StoreWatch
from contact_tui.store.errors import ConflictError, NotFound
from contact_tui.store.postgres.schema import SCHEMA
from contact_tui.store.repository import Repository
from contact_tui.store.upgrade import notes_upgrade, unmerged_note_id
from tests.contract import Stores
from tests.factories import FixedClock

Factory = Callable[..., ContactService]

CUSTOMER_WORK = "+1 317 555 0101"
NEW_NUMBER = "+1 317 555 0177"
AGENT_ROLE = (
    Permission.VIEW,
    Permission.ADD,
    Permission.EDIT,
    Permission.PROMOTE,
    Permission.MERGE,
)


def _customer(service: ContactService, **phones: str) -> Contact:
    numbers = phones or {"workPhone": CUSTOMER_WORK}
    return service.create_contact(
        ContactDraft(
            first_name="Sam",
            last_name="Lee",
            emails={EmailKind.WORK: "sam@example.com"},
            phones={PhoneKind(k): PhoneDraft(v) for k, v in numbers.items()},
        )
    )


def _call(service: ContactService, number: str, agent: str = "alice") -> Any:
    return service.handle_interaction(NewInteraction(agent, Channel.VOICE, Participant(number)))


def test_the_genesys_scenario_merge_then_the_next_call_then_unmerge(
    service_for: Factory, clock: FixedClock
) -> None:
    """An existing customer calls from a new number: an ephemeral contact is made; the agent
    merges it into the customer; the next call from that number links to the customer; and
    unmerging brings both back with their links, bob's interaction included."""
    alice = service_for("alice")
    customer = _customer(alice)
    clock.now += timedelta(minutes=1)
    first = _call(alice, NEW_NUMBER)
    ephemeral_id = first.contact_id
    clock.now += timedelta(minutes=1)
    bobs = _call(alice, NEW_NUMBER, agent="bob")  # routed to bob: linked to the same stranger
    assert bobs.contact_id == ephemeral_id
    clock.now += timedelta(minutes=1)

    plan = alice.merge_preview(customer.id, ephemeral_id)
    assert [(m.kind, m.from_slot, m.to_slot) for m in plan.moves] == [
        ("phone", "otherPhone", "otherPhone")
    ]
    assert not plan.collisions
    assert set(plan.relinked) == {first.id, bobs.id}
    assert plan.result.work_phone == customer.work_phone
    assert plan.result.other_phone is not None and plan.result.other_phone.e164 == "+13175550177"

    done = alice.merge(customer.id, ephemeral_id, expected_versions=(customer.version, 1))
    assert done.contact.id == customer.id and done.contact.version == customer.version + 1
    assert alice.repo.contact(ephemeral_id) is None
    assert alice.interaction(first.id).contact_id == customer.id
    assert alice.interaction(bobs.id).contact_id == customer.id
    # The merged-away id finds the customer.
    assert alice.contact(ephemeral_id).id == customer.id
    record = done.record
    assert record.action == AuditAction.MERGE and record.contact_id == customer.id
    assert record.merge is not None
    assert record.merge.kept_before == customer
    assert record.merge.other_before.id == ephemeral_id
    assert {r.interaction_id for r in record.merge.relinked} == {first.id, bobs.id}
    history = alice.audit(customer.id)
    assert history[-1].id == record.id and history[-1].merge == record.merge

    clock.now += timedelta(minutes=1)
    again = _call(alice, NEW_NUMBER)
    assert (again.match, again.contact_id) == (MatchKind.SINGLE, customer.id)
    assert again.match_key == "tel:+13175550177"

    undone = alice.unmerge(record.id)
    assert undone.unrestored == () and undone.left == ()
    back = alice.contact(ephemeral_id)
    # As it was, but for its last call: the one made after the merge is its own again.
    assert back == replace(record.merge.other_before, last_interaction_date=again.started_at)
    assert undone.restored == back
    assert back.type == ContactType.EPHEMERAL
    kept = alice.contact(customer.id)
    assert kept.other_phone is None and kept.version == customer.version + 2
    assert alice.interaction(first.id).contact_id == ephemeral_id
    assert alice.interaction(bobs.id).contact_id == ephemeral_id
    # The call from the new number after the merge reached the customer only through the
    # merge: the number is the restored contact's again, and so is the call.
    assert alice.interaction(again.id).contact_id == ephemeral_id
    assert alice.interaction(again.id).candidate_ids == (ephemeral_id,)
    assert undone.relinked == (again.id,)
    assert undone.record.unmerge is not None and undone.record.unmerge.relinked == (again.id,)
    actions = [r.action for r in alice.audit(customer.id)]
    assert actions[-3:] == [AuditAction.MERGE, AuditAction.LINK, AuditAction.UNMERGE]
    assert alice.audit(customer.id)[-1].unmerge == undone.record.unmerge
    assert alice.audit(ephemeral_id)[-1].action == AuditAction.UNMERGE


def test_unmerge_leaves_later_calls_by_the_kept_contacts_own_numbers_and_by_hand(
    service_for: Factory, clock: FixedClock
) -> None:
    """After the merge: a call from the customer's own number, a call from the merged-in
    number that bob linked by hand to another contact, and one from that number that an agent
    linked to the customer by hand (it matched another contact first) stay where they are
    on unmerge; only the calls the match linked by the merged-in number go back, whoever's
    they are, and no interaction the merge moved is counted twice."""
    alice, bob = service_for("alice"), service_for("bob")
    customer = _customer(alice)
    clock.now += timedelta(minutes=1)
    first = _call(alice, NEW_NUMBER)
    ephemeral_id = first.contact_id
    assert ephemeral_id is not None
    done = alice.merge(customer.id, ephemeral_id)
    clock.now += timedelta(minutes=1)
    own_number = _call(alice, CUSTOMER_WORK)
    bobs = _call(alice, NEW_NUMBER, agent="bob")  # alice routes it to bob (she holds route)
    elsewhere = _customer(alice, workPhone="+1 317 555 0199")
    bob.link(bobs.id, elsewhere.id)
    clock.now += timedelta(minutes=1)
    matched = _call(alice, NEW_NUMBER)
    # A number on two contacts: the match links the first created (the customer); then a
    # contact holding the new number made later, and a call matching both.
    twin = _customer(alice, workPhone=NEW_NUMBER)
    clock.now += timedelta(minutes=1)
    both = _call(alice, NEW_NUMBER)
    assert both.candidate_ids == (customer.id, twin.id) and both.contact_id == customer.id
    by_hand = _call(alice, "+1 317 555 0199")
    alice.link(by_hand.id, customer.id)

    undone = alice.unmerge(done.record.id)
    assert undone.relinked == tuple(sorted((bobs.id, matched.id, both.id)))
    assert alice.interaction(own_number.id).contact_id == customer.id
    assert alice.interaction(by_hand.id).contact_id == customer.id
    bobs_now = alice.interaction(bobs.id)
    assert (bobs_now.contact_id, bobs_now.candidate_ids) == (elsewhere.id, (ephemeral_id,))
    assert alice.interaction(matched.id).contact_id == ephemeral_id
    both_now = alice.interaction(both.id)
    assert (both_now.contact_id, both_now.candidate_ids) == (ephemeral_id, (ephemeral_id, twin.id))
    assert alice.interaction(first.id).contact_id == ephemeral_id
    assert alice.contact(ephemeral_id).last_interaction_date == both.started_at


def test_a_later_call_stays_when_the_kept_contact_kept_the_number(
    service_for: Factory, clock: FixedClock
) -> None:
    """The agent gave the merged-in number its own place on the customer after the merge (an
    edit the unmerge keeps): the number is still the customer's, and so is the call from it."""
    alice = service_for("alice")
    customer = _customer(alice)
    ephemeral_id = _call(alice, NEW_NUMBER).contact_id
    assert ephemeral_id is not None
    done = alice.merge(customer.id, ephemeral_id)
    merged = alice.contact(customer.id)
    alice.edit(
        customer.id,
        replace(
            ContactDraft.from_contact(merged),
            phones={
                PhoneKind.WORK: PhoneDraft(CUSTOMER_WORK),
                PhoneKind.CELL: PhoneDraft(NEW_NUMBER),
            },
        ),
        merged.version,
    )
    clock.now += timedelta(minutes=1)
    later = _call(alice, NEW_NUMBER)
    assert later.contact_id == customer.id
    undone = alice.unmerge(done.record.id)
    assert undone.relinked == ()
    assert alice.interaction(later.id).contact_id == customer.id


def test_a_merge_moves_the_merged_away_contacts_notes_and_an_unmerge_moves_them_back(
    service_for: Factory, clock: FixedClock
) -> None:
    """Notes written on the ephemeral contact are about the customer: the merge gives them to
    the kept contact as they are (author, dates, version), recorded in the merge; an unmerge
    takes back those still there, and notes written on the kept contact since stay."""
    alice, bob = service_for("alice"), service_for("bob")
    customer = _customer(alice)
    own = alice.add_note(customer.id, "Prefers email")
    clock.now += timedelta(minutes=1)
    ephemeral_id = _call(alice, NEW_NUMBER).contact_id
    assert ephemeral_id is not None
    first = alice.add_note(ephemeral_id, "Called about the refund")
    second = bob.add_note(ephemeral_id, "Rang back\nleft a message")
    moved = sorted((first.id, second.id))
    # The preview says which notes will move (bob's too: notes are every viewer's to read).
    alice.refresh()  # bob's note, on the embedded store
    assert alice.merge_preview(customer.id, ephemeral_id).notes == tuple(moved)

    done = alice.merge(customer.id, ephemeral_id)
    assert done.record.merge is not None and done.record.merge.moved_notes == tuple(moved)
    assert alice.audit(customer.id)[-1].merge == done.record.merge
    notes = {n.id: n for n in alice.contact_notes(customer.id)}
    assert notes.keys() == {own.id, first.id, second.id}
    for before in (first, second):
        assert notes[before.id] == replace(before, contact_id=customer.id)
    assert alice.repo.notes_for(ephemeral_id) == []

    clock.now += timedelta(minutes=1)
    later = alice.add_note(customer.id, "Merged: same person")
    alice.delete_note(first.id)
    undone = alice.unmerge(done.record.id)
    assert undone.unrestored == ()
    assert [n.id for n in alice.contact_notes(ephemeral_id)] == [second.id]
    assert alice.contact_notes(ephemeral_id)[0] == second
    assert {n.id for n in alice.contact_notes(customer.id)} == {own.id, later.id}


def _heard(
    service: ContactService, watch: StoreWatch, wanted: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """What ``service``'s watch and refresh report changed, read until ``wanted`` is in it or
    two seconds pass (notifications arrive just after the other process's commit)."""
    heard: set[tuple[str, str]] = set()
    deadline = time.monotonic() + 2
    while not wanted <= heard and time.monotonic() < deadline:
        fd = watch.fileno()
        if fd is not None:
            select.select([fd], [], [], 0.05)
        watch.changed()
        heard |= {(c.table, c.id) for c in service.refresh()}
    return heard


def test_other_apps_hear_of_every_row_a_merge_and_an_unmerge_change(
    service_for: Factory, clock: FixedClock
) -> None:
    alice = service_for("alice")
    customer = _customer(alice)
    first = _call(alice, NEW_NUMBER)
    gone = first.contact_id
    assert gone is not None
    bob = service_for("bob")
    watch = bob.watch()
    try:
        rows = {("contacts", customer.id), ("contacts", gone), ("interactions", first.id)}
        done = alice.merge(customer.id, gone)
        assert rows <= _heard(bob, watch, rows)
        assert bob.contact(gone).id == customer.id
        alice.unmerge(done.record.id)
        assert rows <= _heard(bob, watch, rows)
        assert bob.contact(gone).id == gone
    finally:
        watch.close()


def test_an_agent_relinks_other_agents_interactions_without_view_all(
    service_for: Factory, clock: FixedClock
) -> None:
    """Merging needs no right to read bob's interaction: the merge relinks it all the same
    (on PostgreSQL through the merge function's definer rights), and so does the unmerge,
    also for bob's call from the merged-in number made after the merge."""
    router = service_for("router", Permission.ROUTE)
    bobs = _call(router, NEW_NUMBER, agent="bob")
    alice = service_for("alice", *AGENT_ROLE)
    customer = _customer(alice)
    assert alice.merge_preview(customer.id, bobs.contact_id).relinked == (bobs.id,)
    done = alice.merge(customer.id, bobs.contact_id)
    assert done.record.merge is not None
    assert [r.interaction_id for r in done.record.merge.relinked] == [bobs.id]
    bob = service_for("bob", Permission.VIEW)
    assert bob.interaction(bobs.id).contact_id == customer.id
    clock.now += timedelta(minutes=1)
    later = _call(router, NEW_NUMBER, agent="bob")
    assert later.contact_id == customer.id
    undone = alice.unmerge(done.record.id)
    assert undone.relinked == (later.id,)
    bob.refresh()
    assert bob.interaction(bobs.id).contact_id == bobs.contact_id
    assert bob.interaction(later.id).contact_id == bobs.contact_id


def test_candidates_naming_the_merged_contact_name_the_kept_one_once(
    service: ContactService, clock: FixedClock
) -> None:
    shared = "+1 317 555 0188"
    one = _customer(service, cellPhone=shared)
    clock.now += timedelta(minutes=1)
    two = service.create_contact(
        ContactDraft(first_name="Pat", last_name="Lee", phones={PhoneKind.WORK: PhoneDraft(shared)})
    )
    call = _call(service, shared)
    assert call.candidate_ids == (one.id, two.id)
    service.merge(one.id, two.id)
    after = service.interaction(call.id)
    assert (after.contact_id, after.candidate_ids) == (one.id, (one.id,))


def test_a_phone_with_no_free_slot_is_a_collision_the_agent_resolves(
    service: ContactService,
) -> None:
    full = _customer(
        service,
        workPhone="+1 317 555 0101",
        homePhone="+1 317 555 0102",
        cellPhone="+1 317 555 0103",
        otherPhone="+1 317 555 0104",
    )
    other = service.create_contact(
        ContactDraft(
            first_name="Sam",
            last_name="Lee",
            title="Buyer",
            phones={PhoneKind.CELL: PhoneDraft("+1 317 555 0199")},
        )
    )
    plan = service.merge_preview(full.id, other.id)
    assert [(c.kind, c.from_slot) for c in plan.collisions] == [("phone", "cellPhone")]
    assert "homePhone=other" in plan.collisions[0].message
    with pytest.raises(InvalidInput, match="no free phone slot") as refused:
        service.merge(full.id, other.id)
    assert "Nothing was merged" in str(refused.value)
    assert service.contact(other.id).id == other.id  # nothing happened

    # Giving up the kept home phone makes room for it.
    plan = service.merge_preview(full.id, other.id, {"homePhone": "other"})
    assert not plan.collisions
    assert [(d.slot, d.side.value) for d in plan.dropped] == [("homePhone", "keep")]
    assert [(m.from_slot, m.to_slot) for m in plan.moves] == [("cellPhone", "homePhone")]
    # Or leaving it behind.
    plan = service.merge_preview(full.id, other.id, {"cellPhone": "keep"})
    assert not plan.collisions and [(d.slot, d.side.value) for d in plan.dropped] == [
        ("cellPhone", "other")
    ]
    done = service.merge(full.id, other.id, {"homePhone": "other"})
    assert done.contact.home_phone is not None
    assert done.contact.home_phone.e164 == "+13175550199"
    assert done.contact.title == "Buyer"  # the kept contact had none


def test_a_field_choice_takes_the_other_side(service: ContactService) -> None:
    keep = _customer(service)
    other = service.create_contact(
        ContactDraft(first_name="Samuel", last_name="Lee", emails={EmailKind.WORK: "s@x.example"})
    )
    plan = service.merge_preview(keep.id, other.id, {"firstName": "other"})
    assert plan.result.first_name == "Samuel"
    first = next(f for f in plan.fields if f.id == "firstName")
    assert (first.keep, first.other, first.result, first.source) == (
        "Sam",
        "Samuel",
        "Samuel",
        "other",
    )
    # The other's work email has no work slot free: it lands in the next email slot.
    assert [(m.from_slot, m.to_slot) for m in plan.moves] == [("workEmail", "personalEmail")]


@pytest.mark.parametrize(
    ("prefer", "message"),
    [
        ({"nickname": "other"}, "no field 'nickname'"),
        ({"firstName": "theirs"}, "'keep' or 'other'"),
    ],
)
def test_a_bad_choice_is_refused(
    service: ContactService, prefer: dict[str, str], message: str
) -> None:
    keep = _customer(service)
    other = _customer(service, cellPhone=NEW_NUMBER)
    with pytest.raises(InvalidInput, match=message):
        service.merge(keep.id, other.id, prefer)


def test_a_curated_contact_is_never_merged_into_an_ephemeral_one(
    service: ContactService,
) -> None:
    customer = _customer(service)
    stranger = _call(service, NEW_NUMBER).contact_id
    with pytest.raises(InvalidInput, match="keep the Curated one"):
        service.merge(stranger, customer.id)
    with pytest.raises(InvalidInput, match="into itself"):
        service.merge(customer.id, customer.id)
    with pytest.raises(NotFound):
        service.merge(customer.id, "no-such-id")


def test_a_merged_away_id_finds_the_kept_contact(
    service: ContactService, clock: FixedClock
) -> None:
    customer = _customer(service)
    first = _call(service, NEW_NUMBER)
    gone = first.contact_id
    assert gone is not None
    service.merge(customer.id, gone)
    later = _call(service, "+1 317 555 0166")
    linked = service.link(later.id, gone)
    assert linked.contact_id == customer.id
    assert service.contact(gone).id == customer.id
    with pytest.raises(InvalidInput, match="one contact already"):
        service.merge(customer.id, gone)
    # Through a chain of merges too.
    third = _customer(service, cellPhone="+1 317 555 0155")
    service.merge(third.id, customer.id)
    assert service.contact(gone).id == third.id


def test_an_import_row_naming_a_merged_away_id_updates_the_kept_contact(
    service: ContactService,
) -> None:
    customer = _customer(service)
    gone = _call(service, NEW_NUMBER).contact_id
    assert gone is not None
    service.merge(customer.id, gone)
    parsed = ParsedFile(
        rows=[
            ImportRow(
                line=2,
                draft=ContactDraft(first_name="Sam", last_name="Lee", title="Buyer"),
                present=frozenset({"firstName", "lastName", "title"}),
                contact_id=gone,
            )
        ]
    )
    report = service.import_contacts(parsed)
    assert not report.problems and not report.created
    assert [w.contact.id for w in report.updated] == [customer.id]
    assert report.warnings == [
        f"line 2: contact {gone} was merged into {customer.id}; the row updates that contact"
    ]
    assert service.contact(customer.id).title == "Buyer"
    assert service.repo.contact(gone) is None  # not made again under the old id


def test_a_stale_version_is_a_conflict_naming_who(service_for: Factory, clock: FixedClock) -> None:
    alice = service_for("alice")
    customer = _customer(alice)
    stranger = _call(alice, NEW_NUMBER).contact_id
    assert stranger is not None
    bob = service_for("bob")
    draft = ContactDraft.from_contact(customer)
    draft.title = "Buyer"
    bob.edit(customer.id, draft, customer.version)
    with pytest.raises(ConflictError) as kept_moved:
        alice.merge(customer.id, stranger, expected_versions=(customer.version, 1))
    assert kept_moved.value.contact_id == customer.id
    assert kept_moved.value.modified_by == "bob"
    assert kept_moved.value.expected == customer.version
    bob.promote(stranger, ContactDraft(first_name="Una", last_name="Known"), 1)
    with pytest.raises(ConflictError) as other_moved:
        alice.merge(customer.id, stranger, expected_versions=(customer.version + 1, 1))
    assert other_moved.value.contact_id == stranger
    assert (other_moved.value.expected, other_moved.value.current) == (1, 2)
    assert alice.contact(stranger).id == stranger  # nothing was merged


def test_unmerge_keeps_edits_made_since_and_says_which(
    service: ContactService, clock: FixedClock
) -> None:
    keep = service.create_contact(ContactDraft(first_name="Sam", last_name="Lee"))
    other = service.create_contact(
        ContactDraft(
            first_name="Sam",
            last_name="Lee",
            title="Buyer",
            emails={EmailKind.PERSONAL: "sam@home.example"},
            phones={PhoneKind.CELL: PhoneDraft(NEW_NUMBER)},
        )
    )
    done = service.merge(keep.id, other.id)
    merged = done.contact
    assert merged.title == "Buyer" and merged.personal_email == "sam@home.example"
    draft = ContactDraft.from_contact(merged)
    draft.title = "Head buyer"
    draft.emails[EmailKind.PERSONAL] = "sam@new.example"
    draft.last_name = "Lee-Park"  # a field the merge did not change
    edited = service.edit(keep.id, draft, merged.version)

    undone = service.unmerge(done.record.id)
    assert undone.unrestored == ("title", "personalEmail")
    kept = service.contact(keep.id)
    assert (kept.title, kept.personal_email, kept.last_name) == (
        "Head buyer",
        "sam@new.example",
        "Lee-Park",
    )
    assert kept.cell_phone is None  # moved by the merge and untouched since: given back
    assert kept.version == edited.version + 1
    assert service.contact(other.id) == done.record.merge.other_before  # type: ignore[union-attr]
    record = service.audit(keep.id)[-1]
    assert record.unmerge is not None
    assert record.unmerge.undoes == done.record.id
    assert record.unmerge.unrestored == ("title", "personalEmail")


@pytest.mark.parametrize("stores", ["embedded"], indirect=True)  # about the journal file
def test_a_merge_and_an_unmerge_are_one_journal_record_each(
    service: ContactService, store_path: Path
) -> None:
    customer = _customer(service)
    gone = _call(service, NEW_NUMBER).contact_id
    assert gone is not None
    journal = store_path.with_name(store_path.name + ".journal")
    lines = journal.read_bytes().count(b"\n")
    done = service.merge(customer.id, gone)
    assert journal.read_bytes().count(b"\n") == lines + 1
    service.unmerge(done.record.id)
    assert journal.read_bytes().count(b"\n") == lines + 2


def test_unmerge_twice_is_refused_clearly(service: ContactService, clock: FixedClock) -> None:
    customer = _customer(service)
    stranger = _call(service, NEW_NUMBER).contact_id
    assert stranger is not None
    done = service.merge(customer.id, stranger)
    clock.now += timedelta(minutes=1)
    service.unmerge(done.record.id)
    with pytest.raises(
        InvalidInput, match=r"already undone by alice at .* UTC; there is nothing left"
    ):
        service.unmerge(done.record.id)
    with pytest.raises(InvalidInput, match="is a create record, not a merge"):
        service.unmerge(service.audit(customer.id)[0].id)
    with pytest.raises(NotFound, match="No merge has the id nope"):
        service.unmerge("nope")


def test_an_earlier_merge_waits_for_the_later_one_to_be_undone(service: ContactService) -> None:
    a = _customer(service)
    b = _customer(service, cellPhone=NEW_NUMBER)
    c = _customer(service, cellPhone="+1 317 555 0155")
    first = service.merge(b.id, c.id)
    second = service.merge(a.id, b.id)
    with pytest.raises(InvalidInput, match="undo that later merge first"):
        service.unmerge(first.record.id)
    service.unmerge(second.record.id)
    service.unmerge(first.record.id)
    assert {service.contact(x.id).id for x in (a, b, c)} == {a.id, b.id, c.id}


# --- merge then unmerge puts the store back ------------------------------------------------


def test_a_match_key_the_linked_contact_does_not_hold_is_not_stored(
    service_for: Factory, clock: FixedClock
) -> None:
    """The match key is the store's, not the client's: a client (a router, an agent's own
    code) saving a call from the customer's own number that claims the ephemeral contact's
    number as its match key would have the unmerge move that call to the ephemeral contact.
    The store keeps a new interaction's key only where its link and candidates hold it, so
    the call stays with the customer; an honest key is kept."""
    alice = service_for("alice")
    customer = _customer(alice)
    clock.now += timedelta(minutes=1)
    first = _call(alice, NEW_NUMBER)
    ephemeral_id = first.contact_id
    assert ephemeral_id is not None and first.match_key == "tel:+13175550177"
    own = _call(alice, CUSTOMER_WORK)
    assert alice.interaction(own.id).match_key == own.match_key == "tel:+13175550101"
    forged = replace(own, id="forged-call", match_key=first.match_key)
    with alice.repo.write("alice") as uow:
        uow.save_interaction(forged)
    assert alice.interaction(forged.id).match_key == ""
    # A saved interaction keeps the key it arrived with, whatever a later save says.
    with alice.repo.write("alice") as uow:
        uow.save_interaction(replace(own, match_key=first.match_key))
    assert alice.interaction(own.id).match_key == "tel:+13175550101"

    done = alice.merge(customer.id, ephemeral_id)
    undone = alice.unmerge(done.record.id)
    assert forged.id not in undone.relinked and own.id not in undone.relinked
    assert alice.interaction(forged.id).contact_id == customer.id
    assert alice.interaction(first.id).contact_id == ephemeral_id


def _plant_old_notes(
    stores: Stores,
    service: ContactService,
    other_id: str,
    text: str,
    images: tuple[str, ...] = ("otherBefore",),
) -> None:
    """Give the merge's ``images`` (the merged-away contact's before-image, by default) in the
    merges table the old single notes field, as a merge an earlier build made holds it."""
    if stores.kind == "embedded":
        repo = service.repo
        assert isinstance(repo, Repository)
        with repo.store.transaction("test") as tx:
            row = tx.get("merges", other_id)
            assert row is not None
            for image in images:
                row["merge"][image]["notes"] = text
            tx.put("merges", other_id, row)
        return
    for image in images:
        stores._database.execute(
            f"UPDATE {SCHEMA}.merges SET doc = jsonb_set(doc, %s, %s) WHERE id = %s",
            (["merge", image, "notes"], Jsonb(text), other_id),
        )


def _plant_note(stores: Stores, service: ContactService, doc: dict[str, Any]) -> None:
    """Store a note document as the upgrade writes it (behind the service, as it does)."""
    if stores.kind == "embedded":
        repo = service.repo
        assert isinstance(repo, Repository)
        with repo.store.transaction("test") as tx:
            tx.put("notes", doc["id"], doc)
        return
    stores._database.execute(
        f"INSERT INTO {SCHEMA}.notes (id, contact_id, author, created, version, doc) "
        "VALUES (%s, %s, %s, %s, 1, %s)",
        (doc["id"], doc["entityId"], doc["createdBy"]["id"], doc["createDate"], Jsonb(doc)),
    )


def test_an_old_notes_field_in_a_merges_image_comes_back_as_a_note(
    stores: Stores, clock: FixedClock
) -> None:
    """A merge an earlier build made keeps the merged-away contact's old single notes field in
    its before-image; contacts no longer hold it. Undoing that merge brings the text back as
    a note of the restored contact (on PostgreSQL the unmerge was refused, on the embedded
    store the text was lost), by the contact's last editor at its last change, as the
    upgrade would have made it: neither bob, who merged, nor carol, who undoes it."""
    alice = stores.service("alice")
    customer = _customer(alice)
    clock.now += timedelta(minutes=1)
    first = _call(alice, NEW_NUMBER)
    assert first.contact_id is not None
    clock.now += timedelta(minutes=1)
    draft = ContactDraft.from_contact(alice.contact(first.contact_id))
    draft.first_name, draft.last_name = "Sam", "Lee"
    ephemeral = alice.edit(first.contact_id, draft, 1)
    clock.now += timedelta(minutes=1)
    done = stores.service("bob").merge(customer.id, ephemeral.id)
    _plant_old_notes(stores, alice, ephemeral.id, "Prefers email.\nCall after 5pm.")
    clock.now += timedelta(minutes=1)
    carol = stores.service("carol")
    undone = carol.unmerge(done.record.id)
    assert undone.restored.id == ephemeral.id
    [note] = carol.contact_notes(ephemeral.id)
    assert note.id == unmerged_note_id(done.record.id)
    assert note.text == "Prefers email.\nCall after 5pm."
    assert note.created_by == (ephemeral.modified_by or ephemeral.created_by) == "alice"
    assert note.create_date == note.modify_date == ephemeral.modify_date
    assert carol.contact_notes(customer.id) == []
    assert carol.contact(ephemeral.id) == ephemeral


def test_the_note_an_earlier_merge_gave_the_kept_contact_goes_back_not_copied(
    stores: Stores, clock: FixedClock
) -> None:
    """The earlier build's merge gave the customer, who had no notes field, the ephemeral
    contact's; the upgrade then made it the customer's note (by bob, who merged, at the
    merge). Undoing the merge gives that note back to the ephemeral contact, as the merge
    took it, rather than leave the ephemeral contact's text on the customer and copy it."""
    alice = stores.service("alice")
    customer = _customer(alice)
    clock.now += timedelta(minutes=1)
    first = _call(alice, NEW_NUMBER)
    assert first.contact_id is not None
    ephemeral_id = first.contact_id
    done = stores.service("bob").merge(customer.id, ephemeral_id)
    text = "Prefers email."
    _plant_old_notes(stores, alice, ephemeral_id, text, ("otherBefore", "keptAfter"))
    kept_doc = contact_to_doc(alice.contact(customer.id)) | {"notes": text}
    made, _ = notes_upgrade({customer.id: kept_doc}, set(), "2000-01-01T00:00:00.000Z")
    _plant_note(stores, alice, made[3])
    [gift] = alice.contact_notes(customer.id)
    assert (gift.text, gift.created_by) == (text, "bob")

    carol = stores.service("carol")
    carol.unmerge(done.record.id)
    assert carol.contact_notes(customer.id) == []
    [back] = carol.contact_notes(ephemeral_id)
    assert back == replace(gift, contact_id=ephemeral_id)
