"""What the admin commands set up against a hostile user of the store: a cap on the sessions
one login may hold, and ending the sessions that sit on locks inside an idle transaction
(which any session can allow itself: the timeout is a setting users may change)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from contact_tui.config import Agent
from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Channel, Participant
from contact_tui.service import ContactService, NewInteraction
from contact_tui.store.errors import StoreUnavailable
from contact_tui.store.postgres import admin
from contact_tui.store.postgres.store import PostgresStore
from tests.factories import make_config

pytestmark = pytest.mark.pg


@contextmanager
def every_session_taken(database: Any, user: str) -> Iterator[None]:
    """``user`` (an agent) holding as many sessions as ``db grant`` lets one login hold."""
    admin.grant(database.url(), user, ["agent"])
    held = [psycopg.connect(database.url(user)) for _ in range(admin.CONNECTION_LIMIT)]
    try:
        yield
    finally:
        for conn in held:
            conn.close()


def test_a_granted_login_may_hold_only_a_few_sessions(schema_database: Any) -> None:
    with (
        every_session_taken(schema_database, "greedy"),
        pytest.raises(psycopg.OperationalError, match="too many connections for role"),
    ):
        psycopg.connect(schema_database.url("greedy"))


def test_reap_ends_a_session_holding_a_row_while_idle_in_a_transaction(
    schema_database: Any, tmp_path: Path
) -> None:
    url = schema_database.url()
    admin.grant(url, "holder", ["viewer"])
    admin.grant(url, "worker", ["agent"])
    worker_store = PostgresStore.open(schema_database.url("worker"))
    agent = Agent("worker", frozenset(), ("agent",), worker_store.permissions())
    service = ContactService(worker_store, make_config(tmp_path / "unused.json"), agent)
    made = service.handle_interaction(
        NewInteraction(channel=Channel.VOICE, sender=Participant("+1 317 555 0142"), agent="worker")
    )
    assert made.contact_id is not None

    # A viewer's own session, as psql would open it: no timeouts, a row locked, then idle.
    hostile = psycopg.connect(schema_database.url("holder"))
    hostile.execute("SET idle_in_transaction_session_timeout = 0")
    hostile.execute(
        "SELECT contact_tui.touch_contact(%s, %s)", (made.contact_id, "2026-11-28T09:00:00.000Z")
    )
    time.sleep(0.3)

    ended = admin.reap(url, idle_seconds=0.2)

    assert len(ended) == 1 and "holder" in ended[0], ended
    with pytest.raises(psycopg.OperationalError):
        hostile.execute("SELECT 1")
    # The row is free again: the agent's edit goes through at once.
    contact = service.contact(made.contact_id)
    draft = replace(ContactDraft.from_contact(contact), first_name="Free", last_name="Again")
    saved = service.promote(contact.id, draft, contact.version)
    assert saved.first_name == "Free"
    assert admin.reap(url, idle_seconds=0.2) == []  # the app's own sessions are never idle
    worker_store.close()
    hostile.close()


def test_a_user_at_their_session_cap_is_told_so_not_that_the_server_is_down(
    schema_database: Any,
) -> None:
    with (
        every_session_taken(schema_database, "busy"),
        pytest.raises(StoreUnavailable, match="has no free connection for you"),
    ):
        PostgresStore.open(schema_database.url("busy"))


def test_losing_the_server_mid_session_tells_the_agent_their_entries_are_kept(
    schema_database: Any, pg_server: Any
) -> None:
    admin.grant(schema_database.url(), "steady", ["agent"])
    store = PostgresStore.open(schema_database.url("steady"))
    try:
        with pg_server.stopped():
            with pytest.raises(StoreUnavailable):
                store.contact_ids()  # the dropped connection, found out
            with pytest.raises(StoreUnavailable) as again:
                store.contact_ids()  # and no new one to be had
        assert "cannot reconnect now" in str(again.value)
        assert "your entries are kept" in str(again.value)
        assert "[store] url" not in str(again.value)  # nothing an agent could fix
        assert store.contact_ids() == []  # back once the server is
    finally:
        store.close()
