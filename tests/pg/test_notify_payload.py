"""What a change's notification tells every listener (README, "How PostgreSQL enforces the
permissions"): PostgreSQL lets any session ``LISTEN`` on any channel, permission or not, so the
payload is public to everyone who can connect. It is held here to the table, the id and, for
an interaction, whose queue it is in: never a name, a number, an address or what the customer
said. And the mitigation the README gives works: with ``CONNECT`` on the database only for the
store's users, a login with no contact-tui role cannot listen at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from contact_tui.config import Agent
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import Channel, NewInteraction, Participant, Permission, PhoneKind
from contact_tui.service import ContactService
from contact_tui.store.postgres.schema import NOTIFY_CHANNEL, USER_ROLE
from contact_tui.store.postgres.store import PostgresStore
from tests.contract import set_grants
from tests.factories import FixedClock, make_config
from tests.pg.server import Database

pytestmark = pytest.mark.pg

SUPERVISOR = "notify_supervisor"
AGENT = "notify_agent"
OUTSIDER = "notify_outsider"  # a login of the site with no contact-tui role at all

# What the customer and the agent wrote: none of it may be in a notification.
SECRETS = ("Imogen", "Quartermaine", "5550177", "imogen@example.com", "card ends 4242", "refund")
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
PAYLOAD = re.compile(
    rf"(contacts|notes):{UUID}|interactions:{UUID}\n[a-z_]+|settings:[a-z][a-z0-9-]*"
)


@pytest.fixture
def database(schema_database: Database) -> Database:
    with schema_database.connect() as conn:
        set_grants(conn, SUPERVISOR, frozenset(Permission))
        set_grants(conn, AGENT, frozenset({Permission.VIEW}))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(OUTSIDER)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(OUTSIDER)))
    return schema_database


def _supervisor(database: Database, tmp_path: Path) -> ContactService:
    store = PostgresStore.open(database.url(SUPERVISOR))
    agent = Agent(user=store.user, groups=frozenset(), roles=(), permissions=store.permissions())
    return ContactService(store, make_config(tmp_path / "unused.json"), agent, FixedClock())


def test_a_listener_without_any_role_hears_ids_and_queues_only(
    database: Database, tmp_path: Path
) -> None:
    with database.connect(OUTSIDER) as listener:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        service = _supervisor(database, tmp_path)
        try:
            imogen = service.create_contact(
                ContactDraft(
                    first_name="Imogen",
                    last_name="Quartermaine",
                    phones={PhoneKind.CELL: PhoneDraft("+1 317 555 0177")},
                )
            )
            call = service.handle_interaction(
                NewInteraction(
                    AGENT,
                    Channel.VOICE,
                    Participant("+1 317 555 0177", "Imogen Quartermaine"),
                    transcript=("Caller: my card ends 4242, I want a refund",),
                )
            )
            service.add_note(imogen.id, "imogen@example.com asked for a refund")
            service.set_setting("ephemeral-ttl-days", 30)
        finally:
            service.close()
        # The contact made, then touched by the call; the call; the note; the setting.
        heard = [n.payload for n in listener.notifies(timeout=2, stop_after=5)]
    assert heard[:3] == [f"contacts:{imogen.id}"] * 2 + [f"interactions:{call.id}\n{AGENT}"]
    assert heard[3].startswith("notes:") and heard[4] == "settings:ephemeral-ttl-days"
    for payload in heard:
        assert PAYLOAD.fullmatch(payload), payload
        assert not any(secret in payload for secret in SECRETS), payload


def test_with_connect_for_the_stores_users_only_an_outsider_cannot_listen(
    database: Database,
) -> None:
    """README's mitigation: REVOKE CONNECT ... FROM PUBLIC, GRANT CONNECT ... TO the store's
    user role. The outsider is refused at the door; an agent (through its group) still gets in
    and hears changes."""
    name = sql.Identifier(database.name)
    with database.connect() as conn:
        conn.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(name))
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(name, sql.Identifier(USER_ROLE))
        )
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        database.connect(OUTSIDER).close()
    with database.connect(AGENT) as agent:
        agent.execute(f"LISTEN {NOTIFY_CHANNEL}")
        agent.execute(f"NOTIFY {NOTIFY_CHANNEL}, 'settings:probe'")
        assert [n.payload for n in agent.notifies(timeout=2, stop_after=1)] == ["settings:probe"]
