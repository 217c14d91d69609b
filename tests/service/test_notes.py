"""Contact notes (issue 13) on both stores: their own documents, written and read through the
service, with the author and time the store sets, and the rule that only the author (or a
supervisor holding the note edit-all permission) may change one."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    AuditAction,
    Channel,
    Contact,
    Participant,
    Permission,
    PhoneKind,
)
from contact_tui.domain.rules import MAX_NOTE_LENGTH
from contact_tui.service import ContactService, InvalidInput, NewInteraction, PermissionDenied
from contact_tui.store.errors import ConflictError, NotFound

Factory = Callable[..., ContactService]
AGENT = (Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE)


def customer(service: ContactService) -> Contact:
    return service.create_contact(ContactDraft(first_name="Sam", last_name="Lee"))


def test_a_note_is_stored_with_its_author_and_time_and_listed_newest_first(
    service: ContactService,
) -> None:
    contact = customer(service)
    before = datetime.now(UTC) - timedelta(seconds=5)
    first = service.add_note(contact.id, "Called about the invoice.\nWill call back Monday.")
    time.sleep(0.01)  # dates are kept to the millisecond
    second = service.add_note(contact.id, "Paid.")
    assert first.created_by == "alice" and first.contact_id == contact.id
    assert first.text == "Called about the invoice.\nWill call back Monday."  # lines kept
    # The store's clock (the server's for PostgreSQL), not the service's fixed test clock.
    assert before <= first.create_date <= datetime.now(UTC) + timedelta(seconds=5)
    assert first.create_date != service.clock()
    assert [n.id for n in service.contact_notes(contact.id)] == [second.id, first.id]
    assert service.note(first.id) == first


def test_a_note_never_bumps_the_contacts_version(service: ContactService) -> None:
    contact = customer(service)
    note = service.add_note(contact.id, "one")
    service.edit_note(note.id, "two", note.version)
    service.delete_note(note.id)
    assert service.contact(contact.id).version == contact.version
    # An edit started before the notes still saves without a conflict.
    service.edit(contact.id, ContactDraft(first_name="Sam", last_name="Li"), 1)


def test_every_note_change_is_audited_with_who_and_which_note(service: ContactService) -> None:
    contact = customer(service)
    note = service.add_note(contact.id, "one")
    edited = service.edit_note(note.id, "two", note.version)
    service.delete_note(note.id)
    records = [r for r in service.audit(contact.id) if r.note_id is not None]
    assert [r.action for r in records] == [
        AuditAction.NOTE_ADD,
        AuditAction.NOTE_EDIT,
        AuditAction.NOTE_DELETE,
    ]
    assert {r.agent for r in records} == {"alice"}
    assert {r.note_id for r in records} == {note.id}
    assert [r.version for r in records] == [1, 2, 2]
    assert edited.version == 2 and edited.modified_by == "alice"
    assert service.contact_notes(contact.id) == []


def test_a_note_holds_1_to_32000_characters_of_safe_text(service: ContactService) -> None:
    contact = customer(service)
    assert len(service.add_note(contact.id, "x" * MAX_NOTE_LENGTH).text) == MAX_NOTE_LENGTH
    for bad in ("", "  \n ", "x" * (MAX_NOTE_LENGTH + 1), "evil \x1b[2J", "rtl \u202e"):
        with pytest.raises(InvalidInput) as caught:
            service.add_note(contact.id, bad)
        assert "noteText" in caught.value.errors
    assert len(service.contact_notes(contact.id)) == 1


def test_a_note_on_no_contact_is_not_found(service: ContactService) -> None:
    with pytest.raises(NotFound):
        service.add_note("no-such-contact", "hello")
    with pytest.raises(NotFound):
        service.contact_notes("no-such-contact")
    with pytest.raises(NotFound):
        service.edit_note("no-such-note", "hello", 1)
    with pytest.raises(NotFound):
        service.delete_note("no-such-note")


def test_a_stale_edit_is_a_conflict_naming_who_changed_the_note(service_for: Factory) -> None:
    alice = service_for("alice", *AGENT)
    boss = service_for("boss")  # every permission: a supervisor
    note = alice.add_note(customer(alice).id, "first words")
    boss.edit_note(note.id, "corrected", note.version)
    with pytest.raises(ConflictError) as caught:
        alice.edit_note(note.id, "my change", note.version)
    assert caught.value.modified_by == "boss"
    assert "This note was changed by boss" in str(caught.value)
    assert alice.note(note.id).text == "corrected"


def test_only_the_author_may_change_a_note_unless_they_hold_edit_all(
    service_for: Factory,
) -> None:
    alice = service_for("alice", *AGENT)
    bob = service_for("bob", *AGENT)
    boss = service_for("boss", *AGENT, Permission.NOTE_EDIT_ALL)
    note = alice.add_note(customer(alice).id, "alice's words")
    for attempt in (
        lambda: bob.edit_note(note.id, "bob's words", note.version),
        lambda: bob.delete_note(note.id),
    ):
        with pytest.raises(PermissionDenied) as caught:
            attempt()
        assert caught.value.permission == Permission.NOTE_EDIT_ALL
        assert "written by alice, not by you" in str(caught.value)
    assert not bob.may_change_note(note) and alice.may_change_note(note)
    assert alice.note(note.id).text == "alice's words"
    edited = boss.edit_note(note.id, "fixed by the supervisor", note.version)
    assert edited.created_by == "alice" and edited.modified_by == "boss"
    boss.delete_note(note.id)
    alice.refresh()  # the embedded store reads from memory: take in boss's change
    assert alice.contact_notes(edited.contact_id) == []


def test_reading_notes_needs_view_and_adding_needs_edit(service_for: Factory) -> None:
    alice = service_for("alice", *AGENT)
    contact = customer(alice)
    note = alice.add_note(contact.id, "hello")
    viewer = service_for("vera", Permission.VIEW)  # opened after: sees the note
    assert [n.id for n in viewer.contact_notes(contact.id)] == [note.id]
    with pytest.raises(PermissionDenied) as caught:
        viewer.add_note(contact.id, "mine")
    assert caught.value.permission == Permission.EDIT
    with pytest.raises(PermissionDenied):
        viewer.edit_note(note.id, "x", 1)
    nobody = service_for("nora", Permission.ADD)
    with pytest.raises(PermissionDenied) as caught:
        nobody.contact_notes(contact.id)
    assert caught.value.permission == Permission.VIEW


def test_a_contact_made_in_an_ephemeral_ones_place_takes_its_notes(
    service: ContactService,
) -> None:
    call = service.handle_interaction(
        NewInteraction("alice", Channel.VOICE, Participant("+1 317 555 0123", "Sam"))
    )
    assert call.contact_id is not None
    note = service.add_note(call.contact_id, "Noted during the call")
    draft = ContactDraft(
        first_name="Sam", last_name="Lee", phones={PhoneKind.CELL: PhoneDraft("+1 317 555 0123")}
    )
    made = service.create_contact(draft, interaction_id=call.id)
    [moved] = service.contact_notes(made.id)
    assert (moved.id, moved.text, moved.created_by) == (note.id, note.text, "alice")
    assert moved.create_date == note.create_date
