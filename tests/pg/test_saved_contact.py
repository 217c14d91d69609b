"""A save returns the contact as stored (issue 12, client CPU per save): PostgresStore takes
the contact it sent with what the server set (version, who modified and created it) instead
of reading the returned document again, and reads it when the server changed more (a later
last call). Either way the contact returned is the one a fresh read gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contact_tui.domain.model import Contact, ContactType, Permission
from contact_tui.store.postgres.store import PostgresStore
from tests.contract import ContractDatabase, set_grants

EDITOR = "saved_editor"


def _fresh_read(database: ContractDatabase, contact_id: str) -> Contact | None:
    store = PostgresStore.open(database.url(EDITOR))
    try:
        return store.contact(contact_id)
    finally:
        store.close()


def _store(database: ContractDatabase) -> PostgresStore:
    database.empty()
    set_grants(
        database.admin, EDITOR, frozenset({Permission.VIEW, Permission.ADD, Permission.EDIT})
    )
    return PostgresStore.open(database.url(EDITOR))


def test_a_save_returns_what_a_read_gives(contract_database: ContractDatabase) -> None:
    store = _store(contract_database)
    try:
        new = Contact(id="c-1", type=ContactType.CURATED, first_name="Sam", last_name="Lee")
        # The client's word for who made and changed it is not the server's.
        with store.write(EDITOR) as tx:
            created = tx.save_contact(replace(new, created_by="x", modified_by="y"), 0)
        assert created == _fresh_read(contract_database, "c-1")
        assert (created.version, created.created_by, created.modified_by) == (1, EDITOR, EDITOR)
        with store.write(EDITOR) as tx:
            edited = tx.save_contact(replace(created, title="Dr", created_by="z"), 1)
        assert edited == _fresh_read(contract_database, "c-1")
        assert (edited.version, edited.created_by, edited.title) == (2, EDITOR, "Dr")
    finally:
        store.close()


def test_a_later_call_kept_by_the_server_is_in_the_contact_returned(
    contract_database: ContractDatabase,
) -> None:
    store = _store(contract_database)
    try:
        made = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
        sam = Contact(id="c-1", type=ContactType.CURATED, last_name="Lee", create_date=made)
        with store.write(EDITOR) as tx:
            sam = tx.save_contact(sam, 0)
        called = made + timedelta(days=1)
        with store.write(EDITOR) as tx:
            tx.touch_contact("c-1", called)  # a call renews it while the edit is worked out
        with store.write(EDITOR) as tx:
            saved = tx.save_contact(replace(sam, title="Dr"), sam.version)
        assert saved.last_interaction_date == called
        assert saved == _fresh_read(contract_database, "c-1")
    finally:
        store.close()
