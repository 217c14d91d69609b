"""Erasure at the database boundary (issue 13): what an agent could try with ``psql``. The
audit table is append-only for users; ``erase_contact`` alone rewrites records, and only for a
session user holding view and delete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Permission
from contact_tui.store.postgres.schema import SCHEMA
from tests.contract import ContractDatabase, Stores
from tests.factories import FixedClock
from tests.permissions.matrix import pg_fingerprint

pytestmark = pytest.mark.pg

ERASE_SQL = f"SELECT {SCHEMA}.erase_contact(%s, %s)"
# Every permission but delete: a supervisor whose delete was taken away.
WITHOUT_DELETE = tuple(p for p in Permission if p != Permission.DELETE)


@pytest.fixture
def pg(request: pytest.FixtureRequest, store_path: Path, clock: FixedClock) -> Iterator[Stores]:
    """The contract suite's PostgreSQL store, emptied, with its users made as asked."""
    stores = Stores("postgres", store_path, clock, request)
    yield stores
    stores.close()


def _psql(pg: Stores, user: str) -> psycopg.Connection[Any]:
    database: ContractDatabase = pg._database
    return psycopg.connect(database.url(user), autocommit=True)


def test_without_delete_no_session_can_erase_or_scrub_the_audit(pg: Stores) -> None:
    alice = pg.service("alice")
    zelda = alice.create_contact(ContactDraft(first_name="Zelda", last_name="Quixotic"))
    pg.service("erase_nodelete", *WITHOUT_DELETE)
    admin = pg._database.admin
    before = pg_fingerprint(admin)
    with _psql(pg, "erase_nodelete") as conn:
        with pytest.raises(pg_errors.InsufficientPrivilege) as refused:
            conn.execute(ERASE_SQL, (zelda.id, "e1"))
        assert refused.value.diag.message_hint == Permission.DELETE.value
        # Nor rewrite, remove or plant audit rows, or remove the contact, by hand.
        attempts = (
            f"UPDATE {SCHEMA}.audit SET doc = doc - 'fields' WHERE contact_id = %s",
            f"DELETE FROM {SCHEMA}.audit WHERE contact_id = %s",
            f"INSERT INTO {SCHEMA}.audit (id, contact_id, agent, at, doc) "
            "VALUES ('x', %s, 'x', now(), '{}')",
            f"DELETE FROM {SCHEMA}.contacts WHERE id = %s",
            f"TRUNCATE {SCHEMA}.audit",
        )
        for attempt in attempts:
            with pytest.raises(pg_errors.InsufficientPrivilege):
                conn.execute(attempt, (zelda.id,) if "%s" in attempt else None)
    assert pg_fingerprint(admin) == before
    # Positive control: with view and delete the same call erases and scrubs.
    pg.service("erase_eraser", Permission.VIEW, Permission.DELETE)
    with _psql(pg, "erase_eraser") as conn:
        written = conn.execute(ERASE_SQL, (zelda.id, "e1")).fetchone()
    assert written is not None and written[0]["agent"] == "erase_eraser"
    rows = admin.execute(
        f"SELECT doc FROM {SCHEMA}.audit WHERE contact_id = %s ORDER BY seq", (zelda.id,)
    ).fetchall()
    assert [r[0]["action"] for r in rows] == ["create", "erase"]
    assert all(set(r[0]) == {"id", "at", "agent", "action", "contactId", "fields"} for r in rows)
    assert all(r[0]["fields"] == [] for r in rows)
    gone = admin.execute(f"SELECT count(*) FROM {SCHEMA}.contacts WHERE id = %s", (zelda.id,))
    assert gone.fetchone() == (0,)


def test_a_viewer_cannot_erase_either(pg: Stores) -> None:
    alice = pg.service("alice")
    zelda = alice.create_contact(ContactDraft(first_name="Zelda", last_name="Quixotic"))
    pg.service("erase_viewer", Permission.VIEW)
    with _psql(pg, "erase_viewer") as conn, pytest.raises(pg_errors.InsufficientPrivilege):
        conn.execute(ERASE_SQL, (zelda.id, "e1"))
    # Delete alone is not enough either: the function asks for view first.
    pg.service("erase_blind", Permission.DELETE)
    with _psql(pg, "erase_blind") as conn, pytest.raises(pg_errors.InsufficientPrivilege) as no:
        conn.execute(ERASE_SQL, (zelda.id, "e1"))
    assert no.value.diag.message_hint == Permission.VIEW.value
    assert alice.repo.contact(zelda.id) is not None
