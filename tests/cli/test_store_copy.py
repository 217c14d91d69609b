"""``contact-tui store copy``: everything moves between an embedded store and PostgreSQL either
way, exactly (ids, versions, who and when, audit order), is checked after, and never lands on
a store that already holds data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from contact_tui.domain import codec as docs
from contact_tui.domain.model import Permission, PhoneKind
from contact_tui.service import ContactService
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.postgres import copy as pg_copy
from contact_tui.store.postgres.store import PostgresStore
from tests.cli.runner import Runner
from tests.contract import schema_template, set_grants
from tests.factories import (
    NOTE_A,
    SAM_CELL,
    StoreBuilder,
    build_world,
    make_agent,
    make_config,
    write_old_store,
)
from tests.pg.server import Database, Databases, PgServer

Tables = dict[str, list[tuple[str, Any]]]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """An embedded store holding contacts, interactions and audit records by two agents, a
    setting, a contact's notes and a standing merge (a duplicate of Kai merged into Kai)."""
    (tmp_path / "source").mkdir()
    world = build_world(tmp_path / "source" / "store.json")
    try:
        bob = world.service("bob")
        world.clock.now += timedelta(minutes=1)
        build = StoreBuilder(bob, world.clock)
        kai = build.curated("Kai", "Bob-Made", PhoneKind.WORK, "+44 20 7946 0958")
        duplicate = build.curated("Kai", "Duplicate", PhoneKind.CELL, "+44 7700 900999")
        bob.merge(kai.id, duplicate.id)
        bob.set_setting("ephemeral-ttl-days", "30")
        made = StoreBuilder(bob, world.clock).curated(
            "Ada", "Noted", PhoneKind.HOME, "+44 20 7946 0959"
        )
        bob.add_note(made.id, "Prefers email.\nDeaf in one ear: speak up.")
        bob.add_note(made.id, "Second note")
    finally:
        world.close()
    return world.path


def embedded_tables(path: Path) -> Tables:
    """Every document of the embedded store at ``path``, table by table, in stored order."""
    store = JsonStore(path, create=False, tidy=False)
    try:
        return {
            table: [(i, store.doc(table, i)) for i in store.table_ids(table)]
            for table in ("contacts", "interactions", "audit", "settings", "notes", "merges")
        }
    finally:
        store.close()


def pg_tables(database: Database) -> Tables:
    """Every document of the store in ``database``, read as its superuser; audit in its order."""
    with database.connect() as conn:
        tables: Tables = {}
        for table, query in (
            ("contacts", "SELECT id, doc FROM contact_tui.contacts"),
            ("interactions", "SELECT id, doc FROM contact_tui.interactions"),
            ("audit", "SELECT id, doc FROM contact_tui.audit ORDER BY seq"),
            (
                "settings",
                "SELECT name, jsonb_build_object('value', value) FROM contact_tui.settings",
            ),
            ("notes", "SELECT id, doc FROM contact_tui.notes"),
            ("merges", "SELECT id, doc FROM contact_tui.merges"),
        ):
            tables[table] = [(str(i), doc) for i, doc in conn.execute(query)]
        return tables


def grant_everything(pg_server: PgServer, user: str) -> None:
    """``user`` is a login role holding every permission."""
    with pg_server.connect() as conn:
        set_grants(conn, user, frozenset(Permission))


def same(left: Tables, right: Tables) -> None:
    """The same documents: contacts, interactions and settings by id, the audit in order."""
    for table in ("contacts", "interactions", "settings", "notes", "merges"):
        assert dict(left[table]) == dict(right[table]), table
    assert left["audit"] == right["audit"]


def test_embedded_to_postgres_and_back_keeps_every_document_exactly(
    run: Runner, source: Path, schema_database: Database, tmp_path: Path
) -> None:
    before = embedded_tables(source)
    assert {d["modifiedBy"] for _, d in before["contacts"]} == {"alice", "bob", "system"}
    assert {d["agent"] for _, d in before["audit"]} == {"alice", "bob"}

    result = run("--json", "store", "copy", str(source), schema_database.url())
    assert result.code == 0, result.err
    report = result.json()
    assert report["counts"] == {table: len(rows) for table, rows in before.items()}
    same(pg_tables(schema_database), before)

    back = tmp_path / "back" / "store.json"
    back.parent.mkdir()
    result = run("--json", "store", "copy", schema_database.url(), str(back))
    assert result.code == 0, result.err
    assert result.json()["checksum"] == report["checksum"]
    same(embedded_tables(back), before)


def test_the_copy_fills_the_columns_and_keys_the_store_reads(
    run: Runner, source: Path, schema_database: Database
) -> None:
    assert run("store", "copy", str(source), schema_database.url()).code == 0
    with schema_database.connect() as conn:
        rows = conn.execute(
            "SELECT id, version, kind, created, doc FROM contact_tui.contacts"
        ).fetchall()
        keys = set(conn.execute("SELECT key, contact_id FROM contact_tui.contact_keys"))
        audit = conn.execute("SELECT agent, doc ->> 'agent' FROM contact_tui.audit").fetchall()
    for _, version, kind, created, doc in rows:
        assert (version, kind, created) == (doc["version"], doc["type"], doc["createDate"])
    # The identity index the server derives equals the one the embedded store derives.
    assert keys == {(k, i) for i, _, _, _, doc in rows for k in docs.contact_doc_keys(doc)}
    assert all(column == in_doc for column, in_doc in audit)


def test_an_agent_finds_the_copied_store_as_it_was(
    run: Runner, source: Path, schema_database: Database, pg_server: PgServer
) -> None:
    assert run("store", "copy", str(source), schema_database.url()).code == 0
    grant_everything(pg_server, "alice")
    store = PostgresStore.open(schema_database.url("alice"))
    try:
        sam = store.contacts_by_key("tel:" + SAM_CELL.replace(" ", ""))
        assert [c.first_name for c in sam] == ["Sam"]
        found, total = store.search_text(["bob-made"], 10)
        assert total == 1 and found[0].created_by == "bob" and found[0].version == 2
        trail = store.audit_for(found[0].id)
        assert [(r.agent, r.action) for r in trail] == [("bob", "create"), ("bob", "merge")]
        assert store.setting("ephemeral-ttl-days") == 30
        # The merge copied stands: its merged-away contact comes back on PostgreSQL.
        merge = trail[-1].merge
        assert merge is not None
        service = ContactService(
            store,
            make_config(Path("unused")),  # the PostgreSQL store has no path
            make_agent("alice"),
        )
        undone = service.unmerge(trail[-1].id)
        assert undone.restored == merge.other_before
        assert store.contact(merge.other_before.id) == merge.other_before
        assert store.search_text(["duplicate"], 10)[1] == 1
    finally:
        store.close()


def test_postgres_to_postgres(
    run: Runner, source: Path, pg_server: PgServer, pg_databases: Databases
) -> None:
    first = pg_databases.create(template=schema_template(pg_server))
    second = pg_databases.create(template=schema_template(pg_server))
    assert run("store", "copy", str(source), first.url()).code == 0
    result = run("store", "copy", first.url(), second.url())
    assert result.code == 0, result.err
    assert (
        "Copied 8 contacts, 5 interactions, 18 audit records, 1 setting, 2 contact notes and "
        "1 standing merge from" in result.out
    )
    same(pg_tables(second), pg_tables(first))


def test_embedded_to_embedded_and_into_an_empty_existing_store(
    run: Runner, source: Path, tmp_path: Path
) -> None:
    new = tmp_path / "new" / "store.json"
    new.parent.mkdir()
    assert run("store", "copy", str(source), str(new)).code == 0
    empty = tmp_path / "empty" / "store.json"
    empty.parent.mkdir()
    JsonStore(empty).close()  # made by an app started once, say: it holds nothing
    result = run("store", "copy", str(source), str(empty))
    assert result.code == 0, result.err
    same(embedded_tables(new), embedded_tables(source))
    same(embedded_tables(empty), embedded_tables(source))


def test_refuses_a_postgres_destination_that_holds_data(
    run: Runner, source: Path, schema_database: Database
) -> None:
    assert run("store", "copy", str(source), schema_database.url()).code == 0
    before = pg_tables(schema_database)
    result = run("store", "copy", str(source), schema_database.url())
    assert result.code == 2
    assert "already holds contacts, interactions, audit, settings" in result.err
    assert "nothing was copied" in result.err
    assert pg_tables(schema_database) == before


def test_refuses_an_embedded_destination_that_holds_data(
    run: Runner, source: Path, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other = build_world(tmp_path / "other" / "store.json").path
    before = other.read_bytes()
    result = run("store", "copy", str(source), str(other))
    assert result.code == 2
    assert f"The store {other} already holds data" in result.err
    assert other.read_bytes() == before


def test_a_database_without_the_schema_is_sent_to_db_init(
    run: Runner, source: Path, pg_database: Database
) -> None:
    result = run("store", "copy", str(source), pg_database.url())
    assert result.code == 7
    assert "has no contact-tui schema; run 'contact-tui db init" in result.err


def test_an_agent_cannot_copy_in_or_out(
    run: Runner, source: Path, schema_database: Database, pg_server: PgServer, tmp_path: Path
) -> None:
    grant_everything(pg_server, "alice")
    # Into the database: writing the tables directly, keeping others' names, is the admin's.
    result = run("store", "copy", str(source), schema_database.url("alice"))
    assert result.code == 3, result.err
    assert "as the database admin who ran 'contact-tui db init'" in result.err
    assert pg_tables(schema_database)["contacts"] == []
    # Out of it: row-level security would hide other agents' interactions; refused, not partial.
    assert run("store", "copy", str(source), schema_database.url()).code == 0
    out = tmp_path / "out" / "store.json"
    out.parent.mkdir()
    result = run("store", "copy", schema_database.url("alice"), str(out))
    assert result.code == 3, result.err
    assert "would not let alice read every row" in result.err
    assert not out.exists()


def test_a_copy_that_does_not_read_back_the_same_is_rolled_back(
    run: Runner, source: Path, schema_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    columns, make_row = pg_copy._PG_WRITES["contacts"]

    def lossy(doc_id: str, doc: dict[str, Any]) -> tuple[Any, ...]:
        return make_row(doc_id, {k: v for k, v in doc.items() if k != "modifiedBy"})

    monkeypatch.setitem(pg_copy._PG_WRITES, "contacts", (columns, lossy))
    result = run("store", "copy", str(source), schema_database.url())
    assert result.code == 1
    assert "has the source's counts but not its checksum; nothing was written" in result.err
    assert all(rows == [] for rows in pg_tables(schema_database).values())


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://admin:secret@/contact_tui", "holds a password"),
        ("postgresql:///contact_tui?password=secret", "holds a password"),
        ("postgresql:///contact_tui?nonsense=1", "not a valid PostgreSQL URL"),
    ],
)
def test_refuses_a_url_it_cannot_use(run: Runner, source: Path, url: str, says: str) -> None:
    result = run("store", "copy", str(source), url)
    assert result.code == 2
    assert says in result.err
    assert "secret" not in result.err  # a password is never printed back


def test_a_missing_source_is_named(run: Runner, tmp_path: Path) -> None:
    result = run("store", "copy", str(tmp_path / "nowhere.json"), str(tmp_path / "dest.json"))
    assert result.code == 6
    assert "nowhere.json: the file does not exist" in result.err
    assert not (tmp_path / "dest.json").exists()


def test_a_destination_folder_that_does_not_exist(
    run: Runner, source: Path, tmp_path: Path
) -> None:
    result = run("store", "copy", str(source), str(tmp_path / "missing" / "store.json"))
    assert result.code == 2
    assert f"The folder {tmp_path / 'missing'} does not exist; create it first" in result.err


def test_text_the_database_refuses_is_not_copied(
    run: Runner, source: Path, schema_database: Database
) -> None:
    # Written past the app (which cleans every text), as a hand-edited store could be.
    store = JsonStore(source, create=False)
    try:
        contact_id = store.table_ids("contacts")[0]
        doc = store.doc("contacts", contact_id)
        assert doc is not None
        with store.transaction("mallory") as tx:
            tx.put("contacts", contact_id, {**doc, "title": "Buyer\u202e"})
    finally:
        store.close()
    result = run("store", "copy", str(source), schema_database.url())
    assert result.code == 2
    assert "refused a document of contacts holding control or format characters" in result.err
    assert all(rows == [] for rows in pg_tables(schema_database).values())


def test_a_store_an_earlier_version_wrote_brings_its_notes_field_as_first_notes(
    run: Runner, tmp_path: Path, schema_database: Database
) -> None:
    old = tmp_path / "old" / "store.json"
    old.parent.mkdir()
    write_old_store(old)
    before = old.read_bytes()
    result = run("--json", "store", "copy", str(old), schema_database.url())
    assert result.code == 0, result.err
    assert result.json()["counts"]["notes"] == 2
    assert old.read_bytes() == before  # the source is read, never upgraded by a copy
    copied = dict(pg_tables(schema_database)["notes"])
    by_contact = {doc["entityId"]: doc for doc in copied.values()}
    assert by_contact["a"]["noteText"] == NOTE_A and by_contact["a"]["createdBy"] == {"id": "bob"}
    assert by_contact["b"]["createDate"] == "2024-12-31T23:59:59.999Z"
    assert not any("notes" in doc for _, doc in pg_tables(schema_database)["contacts"])
    # And back: the embedded copy holds the same notes, as a store of this version.
    back = tmp_path / "back" / "store.json"
    back.parent.mkdir()
    assert run("store", "copy", schema_database.url(), str(back)).code == 0
    assert dict(embedded_tables(back)["notes"]) == copied
