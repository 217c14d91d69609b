"""An interaction routed to an agent who does not exist, or who could never read it, is refused
before anything is saved, on both stores (issue 12): no queue would show it, so taking it would
lose the customer's call. On PostgreSQL an agent is a login role holding view; on the embedded
store, which keeps no users, someone the admin config gives view (``Config.may_view``).
"""

from __future__ import annotations

import pytest

from contact_tui.domain.model import Channel, NewInteraction, Participant, Permission
from contact_tui.service import ContactService, NotFound
from tests.contract import Factory


def _everything(service: ContactService) -> tuple[list[str], list[str]]:
    """Every contact and interaction id the store holds."""
    return sorted(service.repo.contact_ids()), sorted(service.repo.interaction_ids())


def _route(router: ContactService, agent: str) -> None:
    router.handle_interaction(
        NewInteraction(agent, Channel.VOICE, Participant("+1 317 555 0147", "Never Seen"))
    )


@pytest.mark.parametrize(
    "agent",
    [
        "nosuchuser",  # no user at all
        "dana",  # a user who may route (below), but not view: her queue is never read
    ],
)
def test_routing_to_no_agent_who_could_take_it_is_refused(service_for: Factory, agent: str) -> None:
    supervisor = service_for("alice")
    service_for("dana", Permission.ROUTE)  # on PostgreSQL a login role; the config knows no dana
    router = service_for("router", Permission.ROUTE)
    before = _everything(supervisor)
    with pytest.raises(NotFound) as refused:
        _route(router, agent)
    supervisor.refresh()
    assert str(refused.value) == (
        f"There is no agent {agent} who could take this interaction (no such user, or one "
        f"without the {Permission.VIEW.value} permission); nothing was saved."
    )
    assert _everything(supervisor) == before


def test_routing_to_an_agent_who_may_view_is_taken(service_for: Factory) -> None:
    """The control: bob may view (an agent in both stores), so his call is saved."""
    supervisor = service_for("alice")
    service_for("bob", Permission.VIEW)
    router = service_for("router", Permission.ROUTE)
    _route(router, "bob")
    supervisor.refresh()  # the embedded store reads another process's write on refresh
    assert [i.agent for i in supervisor.interactions("bob")] == ["bob"]
