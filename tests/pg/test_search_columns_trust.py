"""A hole, closed (issue 12, "An agent who connects with psql can do no more than in the
app"): save_contact took a contact's directory order and search text (p_last, p_first,
p_search) from the client. A user with edit who called it from psql with the document
unchanged but those three made up could hide a contact from every agent's name search, make
it turn up under a name it does not hold, pin it to the top of the directory, or store
megabytes of search text beyond the 512 KiB a document may hold, while the audit record of
that version listed no changed field.

The server now works the three columns out from the document (generated columns, the SQL
fold(): tests/pg/test_fold_sql.py). Each test performs the attack as psql would: the old call
with the columns made up, and writing the columns directly; both are refused, a save of the
document as it is keeps the columns the document gives, and search still shows the truth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from contact_tui.config import Agent
from contact_tui.domain import codec as docs
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import Contact, Permission, PhoneKind
from contact_tui.service import ContactService
from contact_tui.store.postgres.schema import MAX_CONTACT_BYTES, SCHEMA
from contact_tui.store.postgres.store import PostgresStore
from tests.contract import set_grants
from tests.factories import FixedClock, make_config
from tests.pg.server import Database

pytestmark = pytest.mark.pg

EDITOR = "trust_editor"  # may view and edit: an agent
READER = "trust_reader"  # another agent, searching


@pytest.fixture
def store(schema_database: Database, tmp_path: Path) -> tuple[Database, Contact]:
    """A store holding Sam Lee, saved by the app."""
    with schema_database.connect() as conn:
        set_grants(conn, EDITOR, frozenset({Permission.VIEW, Permission.ADD, Permission.EDIT}))
        set_grants(conn, READER, frozenset({Permission.VIEW}))
    service = _service(schema_database, EDITOR, tmp_path)
    try:
        sam = service.create_contact(
            ContactDraft(
                first_name="Sam", last_name="Lee", phones={PhoneKind.CELL: PhoneDraft("3175550123")}
            )
        )
    finally:
        service.close()
    return schema_database, sam


def _service(database: Database, user: str, tmp_path: Path) -> ContactService:
    pg = PostgresStore.open(database.url(user))
    agent = Agent(user=pg.user, groups=frozenset(), roles=(), permissions=pg.permissions())
    return ContactService(pg, make_config(tmp_path / "unused.json"), agent, FixedClock())


def _save_by_hand(database: Database, sam: Contact, last: str, first: str, search: str) -> None:
    """As psql would, as the editor: Sam's document as stored, the columns made up, passed to
    save_contact as it once took them (refused: it takes no columns), then written into the
    row directly (refused: no one, not even the table's owner, writes a generated column); then the
    document saved as it is, which is allowed."""
    doc = Jsonb(docs.contact_to_doc(sam))
    with database.connect(EDITOR) as conn:
        with pytest.raises(psycopg.errors.UndefinedFunction):
            conn.execute(
                f"SELECT {SCHEMA}.save_contact(%s, %s, NULL, %s, %s, %s)",
                (doc, sam.version, last, first, search),
            )
        with pytest.raises(psycopg.errors.GeneratedAlways):
            conn.execute(
                f"UPDATE {SCHEMA}.contacts SET sort_last = %s, sort_first = %s, search = %s "
                "WHERE id = %s",
                (last, first, search, sam.id),
            )
        with conn.transaction():
            conn.execute(f"SELECT {SCHEMA}.save_contact(%s, %s, NULL)", (doc, sam.version))


def _found(database: Database, query: str, tmp_path: Path) -> list[str]:
    """The names another agent's search for ``query`` shows."""
    service = _service(database, READER, tmp_path)
    try:
        return [f"{c.first_name} {c.last_name}" for c in service.search(query).contacts]
    finally:
        service.close()


def _last_audit_fields(database: Database, sam: Contact) -> Any:
    with database.connect() as conn:
        row = conn.execute(
            f"SELECT doc -> 'fields' FROM {SCHEMA}.audit WHERE contact_id = %s "
            "ORDER BY seq DESC LIMIT 1",
            (sam.id,),
        ).fetchone()
    assert row is not None
    return row[0]


def test_a_contact_cannot_be_hidden_from_name_search(
    store: tuple[Database, Contact], tmp_path: Path
) -> None:
    database, sam = store
    assert _found(database, "Lee", tmp_path) == ["Sam Lee"]  # before: the control
    _save_by_hand(database, sam, "", "", "")
    assert _last_audit_fields(database, sam) == []  # the history shows an edit of nothing
    assert _found(database, "Lee", tmp_path) == ["Sam Lee"]


def test_a_contact_cannot_be_found_under_a_name_it_does_not_hold(
    store: tuple[Database, Contact], tmp_path: Path
) -> None:
    database, sam = store
    _save_by_hand(database, sam, "doe", "jane", "jane\ndoe\njane.doe@example.com")
    assert _found(database, "Jane Doe", tmp_path) == []


def test_search_text_stays_within_what_the_document_holds(
    store: tuple[Database, Contact], tmp_path: Path
) -> None:
    database, sam = store
    _save_by_hand(database, sam, "lee", "sam", "sam\nlee" + "x" * 2 * MAX_CONTACT_BYTES)
    with database.connect() as conn:
        row = conn.execute(
            f"SELECT octet_length(search) FROM {SCHEMA}.contacts WHERE id = %s", (sam.id,)
        ).fetchone()
    assert row is not None
    assert row[0] <= MAX_CONTACT_BYTES
