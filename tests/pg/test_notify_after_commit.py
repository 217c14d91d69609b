"""The app's sessions send their change notices right after each commit, not in it (issue 12,
"Benchmarks": NOTIFY in a transaction makes its commit wait for every notifying commit before
it, disk write included, so eight agents saving at once committed one at a time). What a
listener hears is unchanged: every committed change, once, after its commit; nothing of a
transaction that was undone. A session that did not ask for this (psql, an admin tool) is
announced in its transaction as before. Nothing makes a session that asked (psql can ask too)
send what it kept: its changes then reach others' apps by their look at what was committed,
every store.SWEEP_SECONDS, not by a notice (tests/pg/test_sweep.py). A committed save whose
notices could not be sent is still a save: the notices wait for the next commit."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.types.json import Jsonb

from contact_tui.domain import codec as docs
from contact_tui.domain.model import Contact, ContactType, Permission
from contact_tui.store.postgres.schema import NOTIFY_CHANNEL, PENDING_NOTICES_BYTES, SCHEMA
from contact_tui.store.postgres.store import PostgresStore
from tests.contract import set_grants
from tests.pg.server import Database

pytestmark = pytest.mark.pg

WRITER = "notice_writer"
CID = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def database(schema_database: Database) -> Database:
    with schema_database.connect() as conn:
        set_grants(conn, WRITER, frozenset(Permission))
    return schema_database


@pytest.fixture
def listener(database: Database) -> Iterator[psycopg.Connection]:
    with database.connect(WRITER) as conn:
        conn.autocommit = True
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        yield conn


@pytest.fixture
def store(database: Database) -> Iterator[PostgresStore]:
    opened = PostgresStore.open(database.url(WRITER))
    yield opened
    opened.close()


def _contact(title: str = "") -> Contact:
    return Contact(id=CID, type=ContactType.CURATED, first_name="Ada", title=title)


def _heard(listener: psycopg.Connection, wait: float = 0.5) -> list[str]:
    return [n.payload for n in listener.notifies(timeout=wait, stop_after=10)]


def _kept(store: PostgresStore) -> str:
    row = (
        store.connection()
        .execute("SELECT current_setting(%s, true)", (f"{SCHEMA}.pending_notices",))
        .fetchone()
    )
    return str(row[0] or "") if row else ""


def test_a_committed_save_is_heard_once_and_nothing_stays_kept(
    store: PostgresStore, listener: psycopg.Connection
) -> None:
    with store.write(WRITER) as uow:
        saved = uow.save_contact(_contact(), 0)
        # Kept by the session, not queued in the transaction (whose commit would then wait
        # for every other notifying commit), and a listener hears nothing before the commit.
        assert f"contacts:{CID}" in _kept(store)
        assert _heard(listener, 0.2) == []
    assert saved.version == 1
    assert _heard(listener) == [f"contacts:{CID}"]
    assert _kept(store) == ""


def test_an_undone_transaction_is_never_announced(
    store: PostgresStore, listener: psycopg.Connection
) -> None:
    with pytest.raises(RuntimeError), store.write(WRITER) as uow:
        uow.save_contact(_contact(), 0)
        raise RuntimeError("the use case failed after the save")
    assert store.contact(CID) is None
    # The next commit sends only its own change, not the undone one's notice.
    with store.write(WRITER) as uow:
        uow.save_contact(_contact("second"), 0)
    assert _heard(listener) == [f"contacts:{CID}"]
    assert _kept(store) == ""


def test_a_session_that_did_not_ask_is_announced_in_its_transaction(
    database: Database, listener: psycopg.Connection
) -> None:
    """psql, say: no announce_committed call after its commit, and still heard."""
    with database.connect(WRITER) as conn:
        conn.autocommit = True
        conn.execute(
            f"SELECT {SCHEMA}.save_contact(%s, 0, NULL)", (Jsonb(docs.contact_to_doc(_contact())),)
        )
    assert _heard(listener) == [f"contacts:{CID}"]


def test_an_import_sized_transaction_keeps_a_few_and_sends_the_rest_with_its_commit(
    store: PostgresStore, listener: psycopg.Connection
) -> None:
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(300)]
    with store.write(WRITER) as uow:
        for cid in ids:
            uow.save_contact(Contact(id=cid, type=ContactType.CURATED, first_name="Ada"), 0)
        # The first ones kept, up to the allowance (the last one may pass it by its own
        # size), and the rest queued in the transaction: kept whole, 300 notices would be
        # one session setting of 13 kB, copied and parsed again at each save.
        kept = _kept(store)
        assert 0 < len(json.loads(kept or "[]")) < len(ids)
        assert PENDING_NOTICES_BYTES <= len(kept.encode()) < PENDING_NOTICES_BYTES + 64
    heard = [n.payload for n in listener.notifies(timeout=1, stop_after=len(ids))]
    assert sorted(heard) == sorted(f"contacts:{cid}" for cid in ids)
    assert _kept(store) == ""


def test_a_save_whose_notices_cannot_be_sent_is_still_saved_and_they_wait(
    store: PostgresStore, listener: psycopg.Connection
) -> None:
    # Notices the server cannot send (one longer than NOTIFY takes), kept from before: the
    # announce after the next commit fails, as it would with the notification queue full.
    store.connection().execute(
        "SELECT set_config(%s, %s, false)",
        (f"{SCHEMA}.pending_notices", f'["contacts:{"x" * 9000}"]'),
    )
    with store.write(WRITER) as uow:
        saved = uow.save_contact(_contact(), 0)
    current = store.contact(CID)
    assert current is not None and current.version == saved.version == 1
    # Its own notice went with the commit (the kept ones already filled the allowance).
    assert _heard(listener) == [f"contacts:{CID}"]
    assert "x" * 9000 in _kept(store)
