"""A contact or interaction named by the start of its id (the 8 characters the screen shows),
on both stores: one id found, several refused naming how many, a ``%`` or ``_`` taken as
itself, and nothing found that the agent could not read by its whole id."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contact_tui.domain.model import Channel, Contact, ContactType, Participant, Permission
from contact_tui.service import ContactService, InvalidInput, NewInteraction
from contact_tui.store.postgres.store import PostgresStore
from tests.service.test_import import store_contacts

Factory = Callable[..., ContactService]


def contact(contact_id: str, first: str) -> Contact:
    return Contact(id=contact_id, type=ContactType.CURATED, first_name=first, last_name="Lee")


def test_a_unique_start_of_an_id_finds_it_and_a_whole_id_is_itself(
    service: ContactService,
) -> None:
    store_contacts(
        service,
        contact("dae857bf-632a-4920-8728-7c904924ccdb", "Christine"),
        contact("2d34ba2e-1754-43ca-9ab4-64586231b82b", "Chris"),
    )
    whole = "dae857bf-632a-4920-8728-7c904924ccdb"
    assert service.resolve_id("contacts", "dae857bf") == whole
    assert service.resolve_id("contacts", "dae857bf-632a") == whole
    assert service.resolve_id("contacts", whole) == whole
    # Too short to stand for an id, or the start of none: left for the command to refuse.
    assert service.resolve_id("contacts", "dae857b") == "dae857b"
    assert service.resolve_id("contacts", "ffffffff") == "ffffffff"


def test_a_start_shared_by_several_ids_is_refused_naming_how_many(
    service: ContactService,
) -> None:
    store_contacts(
        service,
        contact("abcdefgh-1", "One"),
        contact("abcdefgh-2", "Two"),
        contact("abcdefgh", "Whole"),
    )
    with pytest.raises(InvalidInput, match="start of 2 contact ids; give more of the id"):
        service.resolve_id("contacts", "abcdefgh-")
    # An id that is also the start of others is itself.
    assert service.resolve_id("contacts", "abcdefgh") == "abcdefgh"


def test_percent_and_underscore_in_a_start_match_only_themselves(
    service: ContactService,
) -> None:
    store_contacts(
        service,
        contact("ab_cdefgh-1", "Under"),
        contact("abXcdefgh-2", "Letter"),
        contact("ab%cdefgh-3", "Percent"),
        contact("abYYcdefgh-4", "Letters"),
    )
    assert service.resolve_id("contacts", "ab_cdefg") == "ab_cdefgh-1"
    assert service.resolve_id("contacts", "ab%cdefg") == "ab%cdefgh-3"
    assert service.resolve_id("contacts", "ab\\cdefg") == "ab\\cdefg"  # none: as given


def test_a_start_finds_only_what_the_agent_may_read(service_for: Factory) -> None:
    store_contacts(service_for("carol"), contact("c0ffee00-0000-4000-8000-000000000001", "Pat"))
    router = service_for("carol", Permission.ROUTE, Permission.VIEW)
    bobs = router.handle_interaction(
        NewInteraction("bob", Channel.VOICE, Participant("+1 317 555 0123", "Sam"))
    )
    alices = router.handle_interaction(
        NewInteraction("alice", Channel.VOICE, Participant("+1 317 555 0124", "Kim"))
    )
    agent = service_for("alice", Permission.VIEW)
    # Another user each: on PostgreSQL the permissions are the database user's.
    supervisor = service_for("sue", Permission.VIEW, Permission.VIEW_ALL_INTERACTIONS)
    assert agent.resolve_id("interactions", alices.id[:8]) == alices.id
    # Bob's call is not alice's to read: its start finds nothing, as its whole id would not.
    assert agent.resolve_id("interactions", bobs.id[:8]) == bobs.id[:8]
    if isinstance(agent.repo, PostgresStore):  # the database's own row security leaves it out
        assert agent.repo.ids_starting("interactions", bobs.id[:8], 20) == []
    assert supervisor.resolve_id("interactions", bobs.id[:8]) == bobs.id
    # Without view no contact is found by the start of its id.
    blind = service_for("dave", Permission.ADD)
    assert blind.resolve_id("contacts", "c0ffee00") == "c0ffee00"
    assert agent.resolve_id("contacts", "c0ffee00") == "c0ffee00-0000-4000-8000-000000000001"
