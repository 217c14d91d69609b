"""Create New Contact on an ephemeral contact's interaction takes its place (issue 10, item 3).

Left behind, the ephemeral contact was first-created and so won the next match from the same
caller; the agent saw the stranger again instead of the customer they had just created.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    Channel,
    ContactType,
    EmailKind,
    MatchKind,
    Participant,
    PhoneKind,
)
from contact_tui.service import ContactService, NewInteraction
from tests.factories import FixedClock

CALLER = "+1 317 555 0199"


def _email(sender: str) -> NewInteraction:
    return NewInteraction("alice", Channel.EMAIL, Participant(sender, "Jo"), subject="Order")


def test_the_next_email_links_the_created_contact_not_the_ephemeral_one(
    service: ContactService, clock: FixedClock
) -> None:
    first = service.handle_interaction(_email("jo@example.com"))
    ephemeral_id = first.contact_id
    assert ephemeral_id is not None
    clock.now += timedelta(minutes=1)
    made = service.create_contact(
        ContactDraft(first_name="Jo", last_name="Park", emails={EmailKind.WORK: "jo@example.com"}),
        first.id,
    )
    assert service.repo.contact(ephemeral_id) is None
    assert service.interaction(first.id).contact_id == made.id
    actions = [(r.action, r.contact_id) for r in service.audit(ephemeral_id)]
    assert ("absorb", ephemeral_id) in actions

    clock.now += timedelta(minutes=1)
    again = service.handle_interaction(_email("JO@example.com"))
    assert (again.match, again.contact_id, again.candidate_ids) == (
        MatchKind.SINGLE,
        made.id,
        (made.id,),
    )


def test_every_interaction_of_the_ephemeral_contact_follows_it(
    service: ContactService, clock: FixedClock
) -> None:
    calls = []
    for _ in range(3):
        calls.append(
            service.handle_interaction(NewInteraction("alice", Channel.VOICE, Participant(CALLER)))
        )
        clock.now += timedelta(minutes=1)
    ephemeral_id = calls[0].contact_id
    assert {c.contact_id for c in calls} == {ephemeral_id}
    made = service.create_contact(
        ContactDraft(
            first_name="Sam", last_name="Ray", phones={PhoneKind.CELL: PhoneDraft(CALLER)}
        ),
        calls[1].id,
    )
    assert [service.interaction(c.id).contact_id for c in calls] == [made.id] * 3


def test_a_contact_for_someone_else_leaves_the_ephemeral_contact_alone(
    service: ContactService,
) -> None:
    call = service.handle_interaction(NewInteraction("alice", Channel.VOICE, Participant(CALLER)))
    assert call.contact_id is not None
    # The agent learns the caller is ringing for someone else and creates that person.
    made = service.create_contact(
        ContactDraft(
            first_name="Ana", last_name="Lima", emails={EmailKind.WORK: "ana@example.com"}
        ),
        call.id,
    )
    kept = service.repo.contact(call.contact_id)
    assert kept is not None and kept.type == ContactType.EPHEMERAL
    assert service.interaction(call.id).contact_id == made.id


def test_a_curated_contact_wins_the_match_over_an_older_ephemeral_one(
    service_for: Callable[..., ContactService], clock: FixedClock
) -> None:
    service = service_for("alice")
    stranger = service.handle_interaction(
        NewInteraction("alice", Channel.VOICE, Participant(CALLER))
    )
    clock.now += timedelta(minutes=1)
    # Created from the directory, not from the call: nothing is absorbed.
    known = service.create_contact(
        ContactDraft(first_name="Sam", last_name="Ray", phones={PhoneKind.WORK: PhoneDraft(CALLER)})
    )
    clock.now += timedelta(minutes=1)
    again = service.handle_interaction(NewInteraction("alice", Channel.VOICE, Participant(CALLER)))
    assert again.match == MatchKind.MULTIPLE
    assert again.contact_id == known.id
    assert again.candidate_ids == (known.id, stranger.contact_id)
