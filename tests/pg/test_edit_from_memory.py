"""An edit of the version the agent's form showed starts from the contact the PostgreSQL store
read then, not from a second read in its transaction (issue 12, "Benchmarks": one statement
and one round trip less a save). The save's version check still decides: another agent's save
meanwhile is a conflict naming them, a contact removed and made again under its id is not
overwritten with what the old one held, a call that renewed the contact meanwhile keeps its
date, an edit that changes nothing is answered from the contact as stored, and the server
writes the one audit record of the edit, as before."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from contact_tui.domain.clock import utcnow
from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import AuditAction, AuditRecord, Contact, ContactType, Permission
from contact_tui.service import ContactService
from contact_tui.store.errors import ConflictError, StoreError
from contact_tui.store.postgres.schema import SCHEMA
from contact_tui.store.postgres.store import PgTransaction
from tests.contract import ContractDatabase, Stores

pytestmark = pytest.mark.pg

EDITING = (Permission.VIEW, Permission.ADD, Permission.EDIT)


def _made(service: ContactService) -> Contact:
    return service.create_contact(ContactDraft(first_name="Ada", last_name="Lovelace"))


def _edit(service: ContactService, contact: Contact, title: str) -> Contact:
    draft = ContactDraft.from_contact(contact)
    draft.title = title
    return service.edit(contact.id, draft, contact.version)


def _no_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every read of a contact inside a transaction."""
    reads: list[str] = []
    original = PgTransaction.contact

    def contact(self: PgTransaction, contact_id: str) -> Contact | None:
        reads.append(contact_id)
        return original(self, contact_id)

    monkeypatch.setattr(PgTransaction, "contact", contact)
    return reads


def test_an_edit_of_the_version_read_is_saved_without_reading_it_again(
    pg_stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = pg_stores.service("alice", *EDITING)
    shown = alice.contact(_made(alice).id)
    reads = _no_reads(monkeypatch)
    saved = _edit(alice, shown, "Countess")
    assert reads == []
    assert saved == alice.contact(shown.id)
    assert (saved.version, saved.title, saved.modified_by) == (2, "Countess", "alice")
    # The server's record of the edit, and no second one from the app.
    trail = alice.audit(shown.id)
    assert [(r.action, r.version, r.agent, r.fields) for r in trail] == [
        (AuditAction.CREATE, 1, "alice", trail[0].fields),
        (AuditAction.EDIT, 2, "alice", ("title",)),
    ]


def test_another_agents_save_meanwhile_is_a_conflict_naming_them(
    pg_stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = pg_stores.service("alice", *EDITING)
    bob = pg_stores.service("bob", *EDITING)
    shown = alice.contact(_made(alice).id)
    _edit(bob, bob.contact(shown.id), "Bob's")
    reads = _no_reads(monkeypatch)
    with pytest.raises(ConflictError) as caught:
        _edit(alice, shown, "Alice's")
    assert reads == []  # the save's version check found it
    assert (caught.value.expected, caught.value.current, caught.value.modified_by) == (
        1,
        2,
        "bob",
    )
    assert alice.contact(shown.id).title == "Bob's"


def test_an_edit_that_changes_nothing_of_a_contact_changed_since_is_still_a_conflict(
    pg_stores: Stores,
) -> None:
    alice = pg_stores.service("alice", *EDITING)
    bob = pg_stores.service("bob", *EDITING)
    shown = alice.contact(_made(alice).id)
    _edit(bob, bob.contact(shown.id), "Bob's")
    with pytest.raises(ConflictError):
        alice.edit(shown.id, ContactDraft.from_contact(shown), shown.version)
    # And one of the contact as it is now is answered with it, unsaved.
    now = alice.contact(shown.id)
    assert alice.edit(now.id, ContactDraft.from_contact(now), now.version) == now
    assert [r.version for r in alice.audit(now.id)] == [1, 2]


def test_a_call_meanwhile_keeps_its_date_in_the_contact_returned(pg_stores: Stores) -> None:
    alice = pg_stores.service("alice", *EDITING)
    shown = alice.contact(_made(alice).id)
    later = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    with pg_stores.service("bob", *EDITING).repo.write("bob") as uow:
        uow.touch_contact(shown.id, later)  # no new version
    saved = _edit(alice, shown, "Countess")
    assert saved.last_interaction_date == later
    assert saved == alice.contact(shown.id)


def test_a_contact_made_again_under_its_id_is_not_overwritten_from_the_old_one(
    pg_stores: Stores, contract_database: ContractDatabase
) -> None:
    alice = pg_stores.service("alice", *EDITING)
    shown = alice.contact(_made(alice).id)
    # Removed and made again under the same id (version 1 again), as only direct SQL or a
    # restored backup could: the version alone cannot tell them apart.
    contract_database.admin.execute(f"DELETE FROM {SCHEMA}.contacts WHERE id = %s", (shown.id,))
    again = Contact(
        id=shown.id,
        type=ContactType.CURATED,
        first_name="Grace",
        create_date=utcnow() + timedelta(days=1),
    )
    with pg_stores.service("bob", *EDITING).repo.write("bob") as uow:
        made = uow.save_contact(again, 0)
    assert made.version == shown.version == 1
    with pytest.raises(ConflictError):
        _edit(alice, shown, "Countess")
    kept = alice.contact(shown.id)
    assert (kept.first_name, kept.last_name, kept.title) == ("Grace", "", "")


def test_an_edit_of_a_version_the_store_does_not_hold_reads_it(
    pg_stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = pg_stores.service("alice", *EDITING)
    contact = _made(alice)
    other = pg_stores.service("alice", *EDITING)  # another process of hers: nothing read
    reads = _no_reads(monkeypatch)
    saved = _edit(other, contact, "Countess")
    assert reads == [contact.id]
    assert (saved.version, saved.title) == (2, "Countess")


# --- the last save goes out with COMMIT (save_contact(..., last=True)) ---------------------


def _audit(contact: Contact, action: AuditAction, version: int) -> AuditRecord:
    return AuditRecord(
        id=f"{action}-{version}",
        at=utcnow(),
        agent="alice",
        action=action,
        contact_id=contact.id,
        fields=("title",),
        version=version,
    )


def test_a_last_save_after_a_server_restart_is_made_on_a_new_connection(
    pg_stores: Stores, pg_server: Any
) -> None:
    alice = pg_stores.service("alice", *EDITING)
    shown = alice.contact(_made(alice).id)
    pg_server.restart()  # the store's connection is gone; nothing told it so
    # BEGIN, the save and COMMIT are the first thing sent after the restart.
    with alice.repo.write("alice") as uow:
        current = uow.contact_at(shown.id, shown.version)
        assert current == shown
        uow.add_audit(_audit(shown, AuditAction.EDIT, 2))
        saved = uow.save_contact(replace(current, title="Countess"), 1, last=True)
    assert saved == alice.contact(shown.id)
    assert (saved.version, saved.title) == (2, "Countess")
    assert [r.action for r in alice.audit(shown.id)] == [AuditAction.CREATE, AuditAction.EDIT]


def test_a_record_the_server_refuses_undoes_the_last_save_and_leaves_the_connection_clean(
    pg_stores: Stores,
) -> None:
    alice = pg_stores.service("alice", *EDITING)
    shown = alice.contact(_made(alice).id)
    # Sent with the save and COMMIT (the server's record of version 2 says edit): refused,
    # it takes the save down with it.
    with pytest.raises(StoreError), alice.repo.write("alice") as uow:
        current = uow.contact_at(shown.id, shown.version)
        assert current is not None
        uow.add_audit(_audit(shown, AuditAction.PROMOTE, 2))
        uow.save_contact(replace(current, title="Never"), 1, last=True)
    assert alice.contact(shown.id) == shown
    assert [r.version for r in alice.audit(shown.id)] == [1]
    # A conflict in a last save undoes it too; then the next edit goes through.
    with pytest.raises(ConflictError), alice.repo.write("alice") as uow:
        uow.save_contact(replace(shown, title="Stale"), 7, last=True)
    assert _edit(alice, shown, "Countess").version == 2


def test_nothing_is_written_after_a_last_save(pg_stores: Stores) -> None:
    alice = pg_stores.service("alice", *EDITING)
    shown = alice.contact(_made(alice).id)
    with pytest.raises(RuntimeError), alice.repo.write("alice") as uow:
        saved = uow.save_contact(replace(shown, title="Countess"), 1, last=True)
        uow.add_audit(_audit(shown, AuditAction.EDIT, 2))  # the server's own: nothing to send
        uow.set_setting("default-country-code", "44")
    # Committed with the save, and only that.
    assert alice.contact(shown.id) == saved
    assert alice.stored_setting("default-country-code") is None
    with pytest.raises(RuntimeError), alice.repo.write("alice") as uow:
        uow.save_contact(replace(saved, title="Again"), 2, last=True)
        uow.add_audit(_audit(shown, AuditAction.PROMOTE, 3))  # one the server did not write
    assert [r.version for r in alice.audit(shown.id)] == [1, 2, 3]


def test_changes_undone_by_a_refused_record_again_and_again_leave_the_connection_usable(
    pg_stores: Stores,
) -> None:
    """Statements a failed one made the server pass over were never prepared there, whatever
    psycopg asked (its fifth run of a statement prepares it)."""
    alice = pg_stores.service("alice", *EDITING)
    shown = alice.contact(_made(alice).id)
    for last in (False, True) * 4:
        with pytest.raises(StoreError), alice.repo.write("alice") as uow:
            uow.add_audit(_audit(shown, AuditAction.PROMOTE, 2))
            uow.save_contact(replace(shown, title="Never"), 1, last=last)
    assert _edit(alice, shown, "Countess").version == 2
    assert _edit(alice, alice.contact(shown.id), "Queen").version == 3


def test_an_answer_lost_after_the_commit_is_not_called_a_conflict_nor_nothing_saved(
    pg_stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch with its COMMIT reached the server and was committed; the answer was lost on
    the wire. Sending it again would report the agent's own edit as someone else's conflict,
    and "nothing was saved" would be false: the agent is told the outcome is not known."""
    alice = pg_stores.service("alice", *EDITING)
    shown = alice.contact(_made(alice).id)
    real_pipeline = psycopg.Connection.pipeline
    real_execute = psycopg.Connection.execute
    cursors: list[Any] = []
    armed = [True]

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        cursor = real_execute(self, *args, **kwargs)
        cursors.append(cursor)
        return cursor

    @contextlib.contextmanager
    def pipeline(self: Any) -> Iterator[Any]:
        with real_pipeline(self) as batch:
            yield batch
        if armed[0]:
            armed[0] = False
            for cursor in cursors:  # the answers never arrived
                cursor.pgresult = None
                cursor._statusmessage = None
            self.pgconn.finish()
            raise psycopg.OperationalError("connection cut")

    monkeypatch.setattr(psycopg.Connection, "pipeline", pipeline)
    monkeypatch.setattr(psycopg.Connection, "execute", execute)
    with pytest.raises(StoreError) as raised:
        _edit(alice, shown, "Countess")
    monkeypatch.undo()

    assert not isinstance(raised.value, ConflictError)
    assert "whether it was saved is not known" in str(raised.value)
    stored = alice.contact(shown.id)
    assert (stored.version, stored.title) == (2, "Countess")  # saved once
    assert [r.action for r in alice.audit(shown.id)] == [AuditAction.CREATE, AuditAction.EDIT]
