"""A save on the PostgreSQL store makes few round trips and comes out as it did before they were
cut (issue 12, "Benchmarks"): BEGIN goes with the first statement and is sent again on a new
connection after a server restart; the server writes a contact version's audit record with the
save, the app's records go with COMMIT only when they say more, and a refused one still undoes
the whole change; the server derives a contact's identity keys again only when what
they come from changed, and they still follow every save."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from contact_tui.domain import codec as docs
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    AuditAction,
    AuditRecord,
    Contact,
    ContactType,
    MessagingIdentity,
    PhoneKind,
    PhoneNumber,
    Platform,
)
from contact_tui.service import ContactService
from contact_tui.store.errors import StoreError, StoreRefused
from contact_tui.store.postgres.schema import SCHEMA
from contact_tui.store.postgres.store import PostgresStore
from tests.contract import ContractDatabase, Stores
from tests.pg.test_schema import contacts

pytestmark = pytest.mark.pg


def made(service: ContactService) -> Contact:
    draft = ContactDraft(
        first_name="Ada",
        last_name="Lovelace",
        phones={PhoneKind.CELL: PhoneDraft("+1 317 555 0101")},
    )
    return service.create_contact(draft)


def test_a_save_after_a_server_restart_is_made_on_a_new_connection(
    pg_stores: Stores, pg_server: Any
) -> None:
    service = pg_stores.service("alice")
    contact = made(service)
    record = service.audit(contact.id)[0]
    pg_server.restart()  # the store's connection is gone; nothing told it so
    # The write is the first thing after the restart (the service would read a setting
    # first, which reconnects on its own).
    with service.repo.write("alice") as uow:
        current = uow.contact(contact.id)
        assert current == contact
        uow.save_contact(replace(current, title="Countess"), current.version)
        uow.add_audit(replace(record, id="edit", action=AuditAction.EDIT, version=2))
    saved = service.contact(contact.id)
    assert (saved.version, saved.title) == (2, "Countess")
    assert [r.action for r in service.audit(contact.id)] == [AuditAction.CREATE, AuditAction.EDIT]


def test_an_audit_record_the_server_refuses_undoes_the_whole_change(
    pg_stores: Stores, contract_database: ContractDatabase
) -> None:
    service = pg_stores.service("alice")
    contact = made(service)
    first = service.audit(contact.id)[0]
    store = PostgresStore.open(contract_database.url("alice"))
    try:
        # The audit record is sent with COMMIT, after the save went through: refused there
        # (the server's record of that version says edit), it must take the save down with it.
        with pytest.raises(StoreError), store.write("alice") as uow:
            current = uow.contact(contact.id)
            assert current is not None
            uow.save_contact(replace(current, title="Never"), current.version)
            uow.add_audit(replace(first, action=AuditAction.PROMOTE, version=2))
        assert store.contact(contact.id) == contact
        assert store.audit_for(contact.id) == [first]
        # The connection was left clean: the next change goes through. Its record is sent
        # (this transaction did not read the contact, so cannot tell an edit from a promotion)
        # and the server finds it is the one it wrote.
        with store.write("alice") as uow:
            uow.save_contact(replace(contact, title="Later"), contact.version)
            uow.add_audit(replace(first, id="second", action=AuditAction.EDIT, version=2))
    finally:
        store.close()
    assert service.contact(contact.id).title == "Later"
    trail = service.audit(contact.id)
    assert [(r.action, r.version, r.fields) for r in trail] == [
        (AuditAction.CREATE, 1, first.fields),
        (AuditAction.EDIT, 2, ("title",)),
    ]


def test_a_transaction_of_audit_records_alone_is_refused(
    pg_stores: Stores, contract_database: ContractDatabase
) -> None:
    service = pg_stores.service("alice")
    contact = made(service)
    record = AuditRecord(
        id="only",
        at=service.clock(),
        agent="alice",
        action=AuditAction.EDIT,
        contact_id=contact.id,
    )
    store = PostgresStore.open(contract_database.url("alice"))
    try:
        # A record of a change no one made (the forged audit, through the app's own store).
        with pytest.raises(StoreRefused), store.write("alice") as uow:
            uow.add_audit(record)
    finally:
        store.close()
    assert [r.action for r in service.audit(contact.id)] == [AuditAction.CREATE]


def _save(conn: psycopg.Connection[Any], doc: dict[str, Any], expected: int) -> None:
    conn.execute(f"SELECT {SCHEMA}.save_contact(%s, %s, NULL)", (Jsonb(doc), expected))


def everything(n: int) -> Contact:
    """A contact with every phone, email and messaging identity set, all told apart by ``n``."""
    phone = PhoneNumber(display=f"+1317555{n}100", e164=f"+1317555{n}100", country_code=1)
    platforms = (Platform.WHATSAPP, Platform.TWITTER, Platform.FACEBOOK, Platform.LINE,
                 Platform.INSTAGRAM, Platform.WEBCHAT)  # fmt: skip
    return Contact(
        id="c-1",
        type=ContactType.CURATED,
        first_name="A",
        last_name="B",
        work_phone=replace(phone, display=f"+1317555{n}101", e164=f"+1317555{n}101"),
        home_phone=replace(phone, display=f"+1317555{n}102", e164=f"+1317555{n}102"),
        cell_phone=phone,
        other_phone=replace(phone, display=f"+1317555{n}103", e164=f"+1317555{n}103"),
        work_email=f"work{n}@example.com",
        personal_email=f"home{n}@example.com",
        other_email=f"other{n}@example.com",
        identities=tuple(
            MessagingIdentity(
                platform=p,
                ids=(f"+1317555{n}104",) if p == Platform.WHATSAPP else (f"{p.value}{n}",),
            )
            for p in platforms
        ),
    )


def _keys(conn: psycopg.Connection[Any], contact_id: str) -> set[str]:
    rows = conn.execute(
        f"SELECT key FROM {SCHEMA}.contact_keys WHERE contact_id = %s", (contact_id,)
    ).fetchall()
    return {r[0] for r in rows}


OLD, NEW = docs.contact_to_doc(everything(1)), docs.contact_to_doc(everything(2))


# Every member the two contacts differ in (each phone, email and identity), and one that
# derives no key.
CHANGES = {k: NEW[k] for k in sorted(OLD) if OLD[k] != NEW[k]} | {"title": "Countess"}


@pytest.mark.parametrize("member", CHANGES)
def test_the_identity_keys_follow_a_change_to_any_one_member(
    contract_database: ContractDatabase, member: str
) -> None:
    """A member the server did not look at before deriving the keys again would keep the old
    ones: each is changed alone."""
    conn = contract_database.admin
    conn.execute(f"DELETE FROM {SCHEMA}.contacts WHERE id = %s", (OLD["id"],))
    _save(conn, OLD, 0)
    assert _keys(conn, OLD["id"]) == docs.contact_doc_keys(OLD)
    changed = {**OLD, member: CHANGES[member]}
    _save(conn, changed, 1)
    assert _keys(conn, OLD["id"]) == docs.contact_doc_keys(changed)


@given(contacts(), contacts(), st.data())
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_identity_keys_follow_every_save(
    contract_database: ContractDatabase, before: Contact, after: Contact, data: st.DataObject
) -> None:
    conn = contract_database.admin
    conn.execute(f"DELETE FROM {SCHEMA}.contacts WHERE id = %s", (before.id,))
    old = docs.contact_to_doc(before)
    _save(conn, old, 0)
    # Any members changed together: keys derived again from the whole document.
    theirs = docs.contact_to_doc(after)
    members = sorted(set(old) | set(theirs))
    changed = data.draw(st.sets(st.sampled_from(members)))
    new = {k: v for k, v in old.items() if k not in changed}
    new.update({k: theirs[k] for k in changed if k in theirs})
    _save(conn, new, 1)
    assert _keys(conn, before.id) == docs.contact_doc_keys(new)
