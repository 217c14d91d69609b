"""The agent's screen over PostgreSQL: another agent's change arrives by notification (no
polling of the database), and after a server restart the screen says it is reconnecting and
then catches up with what happened meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual.pilot import Pilot

from contact_tui.domain.model import Channel, Interaction, Participant, Permission
from contact_tui.service import Change, ContactService, NewInteraction
from contact_tui.store.postgres.store import RECONNECTING, NotifyWatch
from contact_tui.ui.app import ContactApp
from tests.contract import Stores
from tests.ui.pilot import interaction_table, main_screen, store_open, text_of, wait_until

pytestmark = pytest.mark.pg


@pytest.fixture
def stores(request: pytest.FixtureRequest, store_path: Any, clock: Any) -> Any:
    """PostgreSQL only: these tests are about its notifications."""
    built = Stores("postgres", store_path, clock, request)
    yield built
    built.close()


def route(router: ContactService, number: str, agent: str = "alice") -> None:
    """The routing integration hands ``agent`` a call from ``number``."""
    router.handle_interaction(
        NewInteraction(channel=Channel.VOICE, sender=Participant(number), agent=agent)
    )


@asynccontextmanager
async def alice_with_one_call(stores: Stores) -> AsyncIterator[tuple[Pilot[None], ContactService]]:
    """The app for alice (view only) once it lists the one call the router gave her; and the
    router's service."""
    router = stores.service("router", Permission.ROUTE)
    route(router, "+1 317 555 0101")
    alice = stores.service("alice", Permission.VIEW)
    app = ContactApp(lambda: alice, clock=stores.clock, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            pilot,
            lambda: store_open(pilot) and interaction_table(pilot).row_count == 1,
            "the store to open",
        )
        yield pilot, router


async def test_another_agents_change_arrives_by_notification(stores: Stores) -> None:
    async with alice_with_one_call(stores) as (pilot, router):
        screen = main_screen(pilot)
        assert isinstance(screen._watch, NotifyWatch)  # a LISTEN, not a timer
        assert screen._poll is None

        route(router, "+1 317 555 0102")
        await wait_until(pilot, lambda: interaction_table(pilot).row_count == 2, "the new call")


async def test_a_server_restart_says_reconnecting_then_catches_up(
    stores: Stores, pg_server: Any
) -> None:
    async with alice_with_one_call(stores) as (pilot, router):
        with pg_server.stopped():
            await wait_until(
                pilot,
                lambda: RECONNECTING in text_of(pilot, "#agent-bar"),
                "the agent bar to say it is reconnecting",
            )
        router.close()
        # A call routed before the app listens again: no notification reaches the app, so
        # only catching up shows it.
        route(stores.service("router", Permission.ROUTE), "+1 317 555 0102")
        await wait_until(
            pilot,
            lambda: (
                interaction_table(pilot).row_count == 2
                and RECONNECTING not in text_of(pilot, "#agent-bar")
            ),
            "the app to reconnect and show the call routed meanwhile",
            timeout=15,
        )
        assert isinstance(main_screen(pilot)._watch, NotifyWatch)


async def test_changes_the_screen_does_not_show_cost_it_no_reload(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with alice_with_one_call(stores) as (pilot, router):
        service = main_screen(pilot).service
        looks: list[int] = []
        refreshes: list[list[Change]] = []
        original_interactions, original_refresh = service.interactions, service.refresh

        def counting_interactions() -> list[Interaction]:
            looks.append(1)
            return original_interactions()

        def counting_refresh() -> list[Change]:
            refreshes.append(original_refresh())
            return refreshes[-1]

        monkeypatch.setattr(service, "interactions", counting_interactions)
        monkeypatch.setattr(service, "refresh", counting_refresh)
        # A call for bob, and a contact no interaction of alice's shows.
        bob = stores.service("bob", Permission.VIEW)
        router.handle_interaction(
            NewInteraction(
                channel=Channel.VOICE, sender=Participant("+1 317 555 0199"), agent="bob"
            )
        )
        bob.close()
        await wait_until(
            pilot, lambda: sum(len(r) for r in refreshes) >= 2, "the notifications to be read"
        )
        assert looks == []  # heard, and passed over: the queue was not read again
        assert interaction_table(pilot).row_count == 1

        route(router, "+1 317 555 0103")  # her own: read at once
        await wait_until(pilot, lambda: interaction_table(pilot).row_count == 2, "her new call")
        assert looks
