"""The database itself refuses an interaction routed to no agent who could read it (issue 12):
save_interaction checks that the agent is a login role holding view, so neither ``psql`` nor a
client that skips the service's own look (``PostgresStore.user_may_view``) can push a call
into a queue no one will ever see.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb

from contact_tui.config import Agent
from contact_tui.domain import codec as docs
from contact_tui.domain.model import (
    Channel,
    Interaction,
    NewInteraction,
    Participant,
    Permission,
)
from contact_tui.service import ContactService, NotFound
from contact_tui.store.errors import no_agent_to_take
from contact_tui.store.postgres.schema import SCHEMA
from contact_tui.store.postgres.store import PostgresStore
from tests.contract import set_grants
from tests.factories import FixedClock, make_config
from tests.pg.server import Database

pytestmark = pytest.mark.pg

ROUTER = "sqlroute_router"
AGENT = "sqlroute_agent"
NO_VIEW = "sqlroute_no_view"  # may route, may not view
GROUP = "sqlroute_group"  # holds view, but cannot log in


@pytest.fixture
def database(schema_database: Database) -> Database:
    """A fresh store with the router, an agent, a login without view and a NOLOGIN role
    holding view."""
    with schema_database.connect() as conn:
        set_grants(conn, ROUTER, frozenset({Permission.ROUTE}))
        set_grants(conn, AGENT, frozenset({Permission.VIEW}))
        set_grants(conn, NO_VIEW, frozenset({Permission.ROUTE}))
        set_grants(conn, GROUP, frozenset({Permission.VIEW}))
        conn.execute(f"ALTER ROLE {GROUP} NOLOGIN")
    return schema_database


def _rows(database: Database) -> list[Any]:
    with database.connect() as conn:
        return conn.execute(
            f"SELECT agent FROM {SCHEMA}.interactions UNION ALL "
            f"SELECT id FROM {SCHEMA}.contacts UNION ALL SELECT id FROM {SCHEMA}.audit"
        ).fetchall()


@pytest.mark.parametrize("agent", ["nosuchuser", NO_VIEW, GROUP])
def test_psql_cannot_push_a_call_for_no_agent(database: Database, agent: str) -> None:
    """As psql would: a plain session of the router calling save_interaction."""
    call = Interaction(
        id=str(uuid.uuid4()),
        channel=Channel.VOICE,
        from_=Participant("+1 317 555 0149", "Never Seen"),
        agent=agent,
        started_at=FixedClock()(),
    )
    save = f"SELECT {SCHEMA}.save_interaction(%s)"
    with database.connect(ROUTER) as router:
        with pytest.raises(pg_errors.NoDataFound) as refused:
            router.execute(save, (Jsonb(docs.interaction_to_doc(call)),))
        assert refused.value.diag.message_primary == (
            f"There is no agent {agent} who could take this interaction (no such user, or one "
            f"without the {Permission.VIEW.value} permission); nothing was saved."
        )
        assert _rows(database) == []
        # The control: the same call for an agent is taken.
        router.execute(save, (Jsonb(docs.interaction_to_doc(replace(call, agent=AGENT))),))
    assert _rows(database) == [(AGENT,)]


def test_a_client_that_skips_its_own_look_is_refused_by_the_server(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The client believes everyone is an agent; the server's check still refuses the save,
    and the ephemeral contact and audit records of the same transaction are not kept."""
    monkeypatch.setattr(PostgresStore, "user_may_view", lambda self, user: True)
    store = PostgresStore.open(database.url(ROUTER))
    agent = Agent(user=store.user, groups=frozenset(), roles=(), permissions=store.permissions())
    service = ContactService(store, make_config(tmp_path / "unused.json"), agent, FixedClock())
    try:
        with pytest.raises(NotFound, match=r"^There is no agent nosuchuser who could take"):
            service.handle_interaction(
                NewInteraction(
                    "nosuchuser", Channel.VOICE, Participant("+1 317 555 0149", "Never Seen")
                )
            )
    finally:
        service.close()
    assert _rows(database) == []


def test_the_client_and_the_server_ask_one_rule_and_say_one_sentence(
    database: Database, tmp_path: Path
) -> None:
    """Who may take an interaction is declared once, in the server's may_take: narrowing it
    there (as an admin changing the rule would) changes what the client's look answers and
    what save_interaction refuses alike, and both say the same sentence
    (store.errors.NO_AGENT_TO_TAKE)."""
    store = PostgresStore.open(database.url(ROUTER))
    agent = Agent(user=store.user, groups=frozenset(), roles=(), permissions=store.permissions())
    service = ContactService(store, make_config(tmp_path / "unused.json"), agent, FixedClock())
    call = NewInteraction(AGENT, Channel.VOICE, Participant("+1 317 555 0149", "Never Seen"))
    try:
        assert store.user_may_view(AGENT) and not store.user_may_view(NO_VIEW)
        with database.connect() as conn:
            conn.execute(
                f"CREATE OR REPLACE FUNCTION {SCHEMA}.may_take(p_user text) RETURNS boolean "
                "LANGUAGE sql STABLE AS $$ SELECT false $$"
            )
        assert not store.user_may_view(AGENT)
        with pytest.raises(NotFound) as by_client:
            service.handle_interaction(call)
        assert str(by_client.value) == no_agent_to_take(AGENT)
        doc = docs.interaction_to_doc(
            Interaction(
                id=str(uuid.uuid4()),
                channel=Channel.VOICE,
                from_=call.sender,
                agent=AGENT,
                started_at=FixedClock()(),
            )
        )
        with database.connect(ROUTER) as router, pytest.raises(pg_errors.NoDataFound) as refused:
            router.execute(f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(doc),))
        assert refused.value.diag.message_primary == no_agent_to_take(AGENT)
    finally:
        service.close()
    assert _rows(database) == []
