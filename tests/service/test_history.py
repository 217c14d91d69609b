"""A contact's interaction history and interactions' wrap-up notes (issue 13), on both stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    AuditAction,
    Channel,
    Participant,
    Permission,
    PhoneKind,
)
from contact_tui.domain.rules import MAX_WRAP_UP_LENGTH
from contact_tui.service import ContactService, InvalidInput, NewInteraction, PermissionDenied
from contact_tui.store.errors import NotFound
from tests.factories import FixedClock

Factory = Callable[..., ContactService]
NUMBER = "+1 317 555 0123"
VIEW, VIEW_ALL, ROUTE, ADD, ADMIN = (
    Permission.VIEW,
    Permission.VIEW_ALL_INTERACTIONS,
    Permission.ROUTE,
    Permission.ADD,
    Permission.ADMIN,
)


def call(agent: str, number: str = NUMBER, subject: str = "", *lines: str) -> NewInteraction:
    return NewInteraction(
        agent, Channel.VOICE, Participant(number, "Sam"), subject=subject, transcript=lines
    )


def sam() -> ContactDraft:
    return ContactDraft(
        first_name="Sam", last_name="Lee", phones={PhoneKind.CELL: PhoneDraft(NUMBER)}
    )


def test_history_lists_the_contacts_interactions_newest_first(
    service: ContactService, clock: FixedClock
) -> None:
    contact = service.create_contact(sam())
    first = service.handle_interaction(call("alice", NUMBER, "Billing", "Hello"))
    clock.now += timedelta(minutes=5)
    second = service.handle_interaction(call("alice", NUMBER, "", "Second call"))
    clock.now += timedelta(minutes=5)
    service.handle_interaction(call("alice", "+1 212 555 0100"))  # someone else's number
    history = service.contact_history(contact.id)
    assert [i.id for i in history] == [second.id, first.id]
    assert history[1].subject == "Billing" and history[0].transcript == ("Second call",)


def test_a_wrap_up_note_is_kept_on_the_interaction_shown_in_history_and_audited(
    service: ContactService,
) -> None:
    contact = service.create_contact(sam())
    interaction = service.handle_interaction(call("alice"))
    note = "Refund promised.\nCall back Friday."
    saved = service.set_wrap_up(interaction.id, note)
    assert saved.wrap_up_note == note
    assert service.interaction(interaction.id).wrap_up_note == note
    assert [i.wrap_up_note for i in service.contact_history(contact.id)] == [note]
    wrap = [r for r in service.audit(contact.id) if r.action == AuditAction.WRAP_UP]
    assert len(wrap) == 1
    assert (wrap[0].agent, wrap[0].interaction_id, wrap[0].fields) == (
        "alice",
        interaction.id,
        ("wrapUpNote",),
    )


def test_a_blank_note_clears_it_and_the_same_note_again_writes_nothing(
    service: ContactService,
) -> None:
    contact = service.create_contact(sam())
    interaction = service.handle_interaction(call("alice"))
    service.set_wrap_up(interaction.id, "Resolved.  \r\n")
    assert service.interaction(interaction.id).wrap_up_note == "Resolved."
    service.set_wrap_up(interaction.id, "Resolved.")
    service.set_wrap_up(interaction.id, "  \n ")
    assert service.interaction(interaction.id).wrap_up_note == ""
    actions = [r.action for r in service.audit(contact.id)]
    assert actions.count(AuditAction.WRAP_UP) == 2  # written, cleared; not the repeat


def test_the_note_travels_with_link_unlink_and_end(service: ContactService) -> None:
    contact = service.create_contact(sam())
    other = service.create_contact(ContactDraft(first_name="Pat", last_name="Doe"))
    interaction = service.handle_interaction(call("alice"))
    service.set_wrap_up(interaction.id, "Wants a callback.")
    service.link(interaction.id, other.id)
    assert [i.wrap_up_note for i in service.contact_history(other.id)] == ["Wants a callback."]
    assert service.contact_history(contact.id) == []
    service.unlink(interaction.id)
    ended = service.end_interaction(interaction.id)
    assert ended.wrap_up_note == "Wants a callback."
    assert service.interaction(interaction.id).wrap_up_note == "Wants a callback."


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("x" * (MAX_WRAP_UP_LENGTH + 1), "too long"),
        ("Paid \x1b[2J\x1b]0;pwned\x07", "The wrap-up note"),
        ("Paid \u202eevil", "The wrap-up note"),
    ],
    ids=["too-long", "escape-sequences", "bidi-override"],
)
def test_a_bad_note_is_refused_and_nothing_is_written(
    service: ContactService, text: str, why: str
) -> None:
    contact = service.create_contact(sam())
    interaction = service.handle_interaction(call("alice"))
    before = service.audit(contact.id)
    with pytest.raises(InvalidInput, match=why):
        service.set_wrap_up(interaction.id, text)
    assert service.interaction(interaction.id).wrap_up_note == ""
    assert service.audit(contact.id) == before


def test_a_note_of_the_largest_size_is_kept_whole(service: ContactService) -> None:
    interaction = service.handle_interaction(call("alice"))
    text = ("a" * 99 + "\n") * (MAX_WRAP_UP_LENGTH // 100 - 1) + "b" * 99
    assert len(text) < MAX_WRAP_UP_LENGTH
    service.set_wrap_up(interaction.id, text)
    assert service.interaction(interaction.id).wrap_up_note == text


def test_another_agents_interaction_needs_view_all_for_a_note(service_for: Factory) -> None:
    router = service_for("carol", ROUTE, VIEW)
    bobs = router.handle_interaction(call("bob"))
    alice = service_for("alice", VIEW, ADD)
    with pytest.raises(PermissionDenied, match="routed to bob"):
        alice.set_wrap_up(bobs.id, "Not mine.")
    supervisor = service_for("sue", VIEW, VIEW_ALL)
    assert supervisor.set_wrap_up(bobs.id, "Checked by a supervisor.").wrap_up_note
    bob = service_for("bob", VIEW)
    assert bob.interaction(bobs.id).wrap_up_note == "Checked by a supervisor."
    assert bob.set_wrap_up(bobs.id, "Own note.").wrap_up_note == "Own note."


def test_history_leaves_out_other_agents_interactions_without_view_all(
    service_for: Factory, clock: FixedClock
) -> None:
    admin = service_for("alice")
    contact = admin.create_contact(sam())
    router = service_for("carol", ROUTE, VIEW)
    bobs = router.handle_interaction(call("bob", NUMBER, "Secret", "Bob's customer said"))
    clock.now += timedelta(minutes=1)
    alices = router.handle_interaction(call("alice", NUMBER, "Mine"))
    service_for("bob", VIEW).set_wrap_up(bobs.id, "Bob's note")
    agent = service_for("alice", VIEW)
    assert [i.id for i in agent.contact_history(contact.id)] == [alices.id]
    supervisor = service_for("sue", VIEW, VIEW_ALL)
    history = supervisor.contact_history(contact.id)
    assert [i.id for i in history] == [alices.id, bobs.id]
    assert history[1].wrap_up_note == "Bob's note"


def test_history_needs_view_and_an_existing_contact(service_for: Factory) -> None:
    contact = service_for("alice").create_contact(sam())
    with pytest.raises(PermissionDenied):
        service_for("bob", ADD).contact_history(contact.id)
    with pytest.raises(NotFound):
        service_for("alice", VIEW).contact_history("no-such-contact")


def test_expiry_unlinks_through_the_index_and_keeps_notes(
    service_for: Factory, clock: FixedClock
) -> None:
    admin = service_for("alice")
    old = admin.handle_interaction(call("alice", "+1 212 555 0199"))
    admin.set_wrap_up(old.id, "Old caller.")
    keep = admin.handle_interaction(call("alice", "+1 212 555 0142"))
    clock.now += timedelta(days=90)
    recent = admin.handle_interaction(call("alice", "+1 212 555 0142"))
    assert admin.expire_ephemeral() == [old.contact_id]
    after = admin.interaction(old.id)
    assert (after.contact_id, after.wrap_up_note) == (None, "Old caller.")
    assert admin.interaction(recent.id).contact_id == keep.contact_id


def test_a_contact_made_from_an_interaction_absorbs_the_ephemeral_ones_links(
    service_for: Factory, clock: FixedClock
) -> None:
    alice = service_for("alice")
    first = alice.handle_interaction(call("alice"))
    clock.now += timedelta(minutes=1)
    second = alice.handle_interaction(call("alice"))
    alice.set_wrap_up(first.id, "First call.")
    made = alice.create_contact(sam(), interaction_id=second.id)
    history = alice.contact_history(made.id)
    assert [(i.id, i.wrap_up_note) for i in history] == [(second.id, ""), (first.id, "First call.")]
