"""Contact notes at the database boundary (issue 13): what an agent could try with ``psql``
against the notes table and its functions. Each test performs the attack on a plain
connection, as psql would, and shows it is refused and changes nothing, with a positive
control where the role may do it."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb

from contact_tui.domain.model import Permission
from contact_tui.domain.permissions import BUILTIN_ROLES
from contact_tui.store.postgres import admin
from contact_tui.store.postgres.schema import NOTIFY_CHANNEL, SCHEMA
from contact_tui.store.postgres.store import PostgresStore
from tests.contract import set_grants
from tests.pg.server import Database

pytestmark = pytest.mark.pg

AGENT = BUILTIN_ROLES["agent"]
SUPERVISOR = BUILTIN_ROLES["supervisor"]
CONTACT = {"id": "c1", "type": "Curated", "firstName": "Sam", "lastName": "Lee", "version": 1}


@pytest.fixture
def db(schema_database: Database) -> Database:
    """A fresh store with one contact and three logins: two agents and a supervisor."""
    with schema_database.connect() as conn:
        set_grants(conn, "note_alice", AGENT)
        set_grants(conn, "note_bob", AGENT)
        set_grants(conn, "note_boss", SUPERVISOR)
        set_grants(conn, "note_viewer", BUILTIN_ROLES["viewer"])
        conn.execute(
            f"INSERT INTO {SCHEMA}.contacts "
            "(id, doc, version, kind, created) VALUES ('c1', %s, 1, 'Curated', '')",
            (Jsonb(CONTACT),),
        )
    return schema_database


def add(conn: psycopg.Connection[Any], text: str, note_id: str | None = None) -> Any:
    row = conn.execute(
        f"SELECT {SCHEMA}.add_note(%s, 'c1', %s)", (note_id or str(uuid.uuid4()), text)
    ).fetchone()
    assert row is not None
    return row[0]


def notes(db: Database) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        return conn.execute(
            f"SELECT id, author, version, doc FROM {SCHEMA}.notes ORDER BY id"
        ).fetchall()


def audit(db: Database) -> list[Any]:
    with db.connect() as conn:
        return [r[0] for r in conn.execute(f"SELECT doc FROM {SCHEMA}.audit ORDER BY seq")]


def test_the_server_sets_the_author_time_and_audit_record(db: Database) -> None:
    with db.connect("note_alice") as conn:
        doc = add(conn, "Called twice.\nWants a refund.")
    assert doc["createdBy"] == {"id": "note_alice"} and doc["version"] == 1
    assert doc["entityId"] == "c1" and doc["entityType"] == "Contact"
    [(note_id, author, version, stored)] = notes(db)
    assert (note_id, author, version, stored) == (doc["id"], "note_alice", 1, doc)
    [record] = audit(db)
    assert record["agent"] == "note_alice" and record["action"] == "note-add"
    assert record["noteId"] == doc["id"] and record["contactId"] == "c1"
    assert record["at"] == doc["createDate"]  # the server's one clock reading for both


def test_no_one_writes_the_notes_table_but_through_the_functions(db: Database) -> None:
    """Forging the author or the time by writing the table directly is refused for every
    role, the supervisor's too."""
    with db.connect("note_alice") as conn:
        doc = add(conn, "mine")
    forged = {**doc, "id": "forged", "createdBy": {"id": "note_bob"}}
    for login in ("note_alice", "note_bob", "note_boss", "note_viewer"):
        with db.connect(login) as conn:
            for statement, args in (
                (
                    f"INSERT INTO {SCHEMA}.notes (id, contact_id, author, created, version, doc) "
                    "VALUES ('forged', 'c1', 'note_bob', '', 1, %s)",
                    (Jsonb(forged),),
                ),
                (f"UPDATE {SCHEMA}.notes SET author = 'note_bob'", None),
                (f"DELETE FROM {SCHEMA}.notes", None),
                (f"SELECT 1 FROM {SCHEMA}.notes FOR UPDATE", None),
            ):
                with pytest.raises(pg_errors.InsufficientPrivilege):
                    conn.execute(statement, args)
    [(_, author, _, stored)] = notes(db)
    assert author == "note_alice" and stored == doc


def test_an_agent_may_not_edit_or_delete_another_agents_note(db: Database) -> None:
    with db.connect("note_alice") as conn:
        doc = add(conn, "alice's words")
    before, trail = notes(db), audit(db)
    with db.connect("note_bob") as conn:
        for statement, args in (
            (f"SELECT {SCHEMA}.edit_note(%s, 'bob was here', 1)", (doc["id"],)),
            (f"SELECT {SCHEMA}.delete_note(%s)", (doc["id"],)),
        ):
            with pytest.raises(pg_errors.InsufficientPrivilege) as refused:
                conn.execute(statement, args)
            assert refused.value.diag.message_hint == Permission.NOTE_EDIT_ALL.value
    assert notes(db) == before and audit(db) == trail
    # The supervisor may; the author stays alice, the server names who changed it.
    with db.connect("note_boss") as conn:
        row = conn.execute(f"SELECT {SCHEMA}.edit_note(%s, 'fixed', 1)", (doc["id"],)).fetchone()
    assert row is not None
    assert row[0]["createdBy"] == {"id": "note_alice"} and row[0]["modifiedBy"] == "note_boss"
    assert audit(db)[-1]["agent"] == "note_boss"


def test_a_viewer_may_read_notes_but_not_add_and_no_role_reads_nothing(db: Database) -> None:
    with db.connect("note_alice") as conn:
        add(conn, "hello")
    with db.connect("note_viewer") as conn:
        assert len(conn.execute(f"SELECT * FROM {SCHEMA}.notes").fetchall()) == 1
        with pytest.raises(pg_errors.InsufficientPrivilege) as refused:
            add(conn, "viewer's note")
        assert refused.value.diag.message_hint == Permission.EDIT.value
    with db.connect() as conn:
        set_grants(conn, "note_viewer", frozenset())  # may use the store, holds nothing
    with db.connect("note_viewer") as conn:
        assert conn.execute(f"SELECT * FROM {SCHEMA}.notes").fetchall() == []
    assert len(notes(db)) == 1


@pytest.mark.parametrize(
    "text",
    ["bell \x07", "clear \x1b[2J", "cr \r", "rtl \u202e", "nul-less tab\t", "", "  \n  "],
)
def test_a_note_with_a_control_character_or_no_text_is_refused(db: Database, text: str) -> None:
    with db.connect("note_alice") as conn:
        with pytest.raises(pg_errors.InvalidParameterValue):
            add(conn, text)
        ok = add(conn, "fine")
        with pytest.raises(pg_errors.InvalidParameterValue):
            conn.execute(f"SELECT {SCHEMA}.edit_note(%s, %s, 1)", (ok["id"], text))
    assert [n[3]["noteText"] for n in notes(db)] == ["fine"]


def test_a_stale_edit_is_refused_and_names_who_changed_it(db: Database) -> None:
    with db.connect("note_alice") as conn:
        doc = add(conn, "v1")
        conn.execute(f"SELECT {SCHEMA}.edit_note(%s, 'v2', 1)", (doc["id"],))
        with pytest.raises(pg_errors.SerializationFailure) as stale:
            conn.execute(f"SELECT {SCHEMA}.edit_note(%s, 'v2 again', 1)", (doc["id"],))
    assert '"modifiedBy": "note_alice"' in (stale.value.diag.message_detail or "")


def test_other_apps_hear_of_a_new_note(db: Database) -> None:
    with db.connect("note_bob") as listener, db.connect("note_alice") as conn:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        doc = add(conn, "news")
        heard = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
    assert heard == [f"notes:{doc['id']}"]


def test_removing_the_contact_removes_its_notes(db: Database) -> None:
    with db.connect("note_alice") as conn:
        add(conn, "gone with the contact")
    with db.connect() as conn:
        conn.execute(f"DELETE FROM {SCHEMA}.contacts WHERE id = 'c1'")
    assert notes(db) == []


def test_notes_cannot_be_moved_to_another_contact_by_hand(db: Database) -> None:
    """move_notes is for absorbing only: a curated contact this transaction made in the place
    of an ephemeral one holding its identity. Moving notes to any other contact is refused."""
    with db.connect("note_alice") as conn:
        add(conn, "stays on c1")
    with db.connect() as conn:
        other = {**CONTACT, "id": "c2", "lastName": "Other"}
        conn.execute(
            f"INSERT INTO {SCHEMA}.contacts "
            "(id, doc, version, kind, created) VALUES ('c2', %s, 1, 'Curated', '')",
            (Jsonb(other),),
        )
    before = notes(db)
    for login in ("note_alice", "note_boss"):
        with db.connect(login) as conn, pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute(f"SELECT {SCHEMA}.move_notes('c1', 'c2')")
    assert notes(db) == before


# --- the old single notes field of a row an earlier build wrote -----------------------------


def test_db_init_moves_an_old_notes_field_into_the_contacts_first_note(db: Database) -> None:
    """A contact row an earlier build wrote (its shape check let the field in) holds the old
    single ``notes`` field, which the app no longer reads: ``db init`` makes it the contact's
    first note (author and time from the contact, as the embedded upgrade does), the contact
    keeps its version, and then every row passes the shape check that refuses the field."""
    text = "Prefers email.\nDeaf in one ear: speak up."
    old = {
        **CONTACT,
        "id": "c2",
        "notes": text,
        "modifiedBy": "note_bob",
        "modifyDate": "2025-06-07T08:09:10.000Z",
    }
    with db.connect() as conn:
        conn.execute(f"ALTER TABLE {SCHEMA}.contacts DROP CONSTRAINT contact_shape")
        conn.execute(
            f"INSERT INTO {SCHEMA}.contacts "
            "(id, doc, version, kind, created) VALUES ('c2', %s, 1, 'Curated', '')",
            (Jsonb(old),),
        )
        conn.execute(
            f"ALTER TABLE {SCHEMA}.contacts ADD CONSTRAINT contact_shape "
            f"CHECK ({SCHEMA}.contact_shape(doc, id, version, kind)) NOT VALID"
        )

    done = admin.init(db.url())

    assert "Moved the old notes field of 1 contact into its first note." in done
    with db.connect() as conn:
        [(author, created, doc)] = conn.execute(
            f"SELECT author, created, doc FROM {SCHEMA}.notes WHERE contact_id = 'c2'"
        ).fetchall()
        row = conn.execute(f"SELECT version, doc FROM {SCHEMA}.contacts WHERE id = 'c2'")
        version, contact = row.fetchone() or (None, None)
        conn.execute(f"ALTER TABLE {SCHEMA}.contacts VALIDATE CONSTRAINT contact_shape")
    assert (doc["noteText"], author, created) == (text, "note_bob", "2025-06-07T08:09:10.000Z")
    assert version == 1 and "notes" not in contact
    assert not any("notes field" in line for line in admin.init(db.url()))  # done once
    store = PostgresStore.open(db.url("note_alice"))
    try:
        assert [n.text for n in store.notes_for("c2")] == [text]
    finally:
        store.close()
