"""What every store offers the service: the one seam between the use cases and storage.

Two stores implement it: the embedded store (:class:`contact_tui.store.repository.Repository`
over a JSON file and its journal) and the PostgreSQL store. The service is typed against
these protocols only, so nothing above the store knows which one it talks to; everything
above the service reaches the store through the service.

Both stores keep contacts, interactions and audit records as Genesys JSON documents
(:mod:`contact_tui.domain.codec`); a save worked out ahead of a transaction
(:func:`prepare_save`) is therefore the same for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from contact_tui.domain import codec as docs
from contact_tui.domain.model import AuditRecord, Contact, Interaction, MergeDetail, Note

# How far a process has read the store: compared for equality only (has anything been
# committed since?), never taken apart above the store.
Position = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Change:
    """One document that changed: ``table`` and ``id``; ``id`` is '*' after a full reload."""

    table: str
    id: str
    agent: str = ""  # whose queue a changed interaction is in, where the store says


@dataclass(frozen=True)
class PreparedSave:
    """A contact's save worked out ahead of the store's transaction (see :func:`prepare_save`)."""

    contact: Contact  # as it will be stored, its version already one up
    expected_version: int  # the stored version it replaces (0: a new contact)
    fields: tuple[str, ...]  # the Genesys keys it changes, for the audit record
    doc: dict[str, Any]
    created: object  # the createDate of the contact it replaces: a re-created id differs


def prepare_save(contact: Contact, before: Contact | None) -> PreparedSave:
    """Everything a save computes that needs no store: the document and what changed.

    A bulk import prepares its saves outside the transaction and applies them with
    :meth:`StoreTransaction.apply_prepared`, so other agents wait for the write, not the work.
    """
    expected = 0 if before is None else before.version
    saved = replace(contact, version=expected + 1)
    doc = docs.contact_to_doc(saved)
    old = docs.contact_to_doc(before) if before is not None else None
    created = old.get("createDate") if old is not None else None
    return PreparedSave(saved, expected, docs.changed_fields(old, doc), doc, created)


class StoreWatch(Protocol):
    """Knowing, without reading the store, that another process may have changed it."""

    def fileno(self) -> int | None:
        """A descriptor that becomes readable when the store may have changed; None when the
        caller must instead call :meth:`changed` every few tenths of a second."""
        ...

    @property
    def alive(self) -> bool:
        """False once this watch has done its part; ask the store for the one that comes
        after it (``ContactStore.watch(after=...)``)."""
        ...

    @property
    def trouble(self) -> str:
        """What keeps the app from seeing changes now, for the agent ("Reconnecting to the
        database..."); empty when nothing does."""
        ...

    @property
    def recheck_seconds(self) -> float | None:
        """Seconds between calls of :meth:`changed` the app makes besides those
        :meth:`fileno` wakes it for (a database watch whose store must also look at what
        was committed now and then); None: none."""
        ...

    def changed(self) -> bool:
        """True when the store may have changed since the last call."""
        ...

    def close(self) -> None:
        """Stop watching."""
        ...


class StoreTransaction(Protocol):
    """Reads and writes inside one store transaction (see :meth:`ContactStore.write`).

    Everything written in the block is committed together, with its audit records, or not at
    all; a stale ``expected_version`` raises ``ConflictError`` naming who changed the contact.
    """

    def contact(self, contact_id: str) -> Contact | None:
        """A contact as of this transaction."""
        ...

    def contact_at(self, contact_id: str, version: int) -> Contact | None:
        """The contact a change that must start from ``version`` starts from: the store may
        give the one it last read or saved at that version without reading it again, since
        saving it checks the version (a contact that moved on or was removed since fails that
        save as it would have); otherwise as :meth:`contact`. A change that then saves
        nothing must read it with :meth:`contact`: only a save checks the version."""
        ...

    def contacts_by_key(self, key: str) -> list[Contact]:
        """Contacts indexed under an identity key, first-created first."""
        ...

    def contact_ids_by_key(self, key: str) -> list[str]:
        """The ids of the contacts under a key, first-created first, without reading them."""
        ...

    def contact_ids(self) -> list[str]:
        """Every contact id."""
        ...

    def contact_keys(self, contact_id: str) -> set[str]:
        """The identity keys a contact is indexed under now (none if it is gone)."""
        ...

    def save_contact(
        self, contact: Contact, expected_version: int, *, last: bool = False
    ) -> Contact:
        """Write a contact whose stored version must be ``expected_version`` (0: new);
        returns it as saved, its version one up. ``last``: the transaction ends with this
        save, so a store may send it with the commit; nothing may be written after it but the
        audit record of this very save (its record may come before it)."""
        ...

    def apply_prepared(self, prepared: PreparedSave) -> None:
        """Write a prepared save; ConflictError if the contact moved on since."""
        ...

    def touch_contact(self, contact_id: str, when: datetime) -> None:
        """Renew a contact's last-interaction date without a new version."""
        ...

    def changed_fields(self, before: Contact | None, after: Contact) -> tuple[str, ...]:
        """The Genesys keys that differ between two versions of a contact."""
        ...

    def delete_contact(self, contact_id: str) -> None:
        """Remove a contact."""
        ...

    def interaction(self, interaction_id: str) -> Interaction | None:
        """An interaction as of this transaction."""
        ...

    def save_interaction(self, interaction: Interaction) -> None:
        """Write an interaction (interactions carry no version: one agent owns each).

        Its ``match_key`` is the store's to keep, not the client's to choose: a new
        interaction keeps it only where its linked contact and every candidate hold that
        identity key now (else it is stored without one), and a saved one keeps the key it
        arrived with. An unmerge moves the calls by it, so a key the client made up would move
        a call to the wrong customer."""
        ...

    def interaction_ids(self) -> list[str]:
        """Every interaction id."""
        ...

    def interaction_ids_naming(self, contact_ids: Iterable[str]) -> list[str]:
        """The interactions linked to, or offering as a candidate, any of ``contact_ids``
        (found through an index, never by reading every interaction)."""
        ...

    def save_wrap_up(self, interaction: Interaction, record: AuditRecord) -> None:
        """Write ``interaction``'s wrap-up note, and nothing else of it, with its audit record
        (the PostgreSQL store writes the record itself, taking who and when from the server)."""
        ...

    def add_audit(self, record: AuditRecord) -> None:
        """Append an audit record."""
        ...

    def set_setting(self, name: str, value: Any) -> None:
        """Store an admin setting."""
        ...

    def position(self) -> Position:
        """The committed position this transaction started from."""
        ...

    def note(self, note_id: str) -> Note | None:
        """A contact note as of this transaction."""
        ...

    def notes_of(self, contact_ids: Iterable[str]) -> dict[str, list[Note]]:
        """The notes of each of ``contact_ids`` as of this transaction, oldest first (a
        contact without notes is left out), read at once (an import plans with it)."""
        ...

    def add_note(self, note_id: str, contact_id: str, text: str) -> Note:
        """Add a note to a contact (NotFound when there is none). The store sets the author
        and time (the acting user and the store's clock; in PostgreSQL, the server's) and
        writes its NOTE_ADD audit record; the contact's version does not change."""
        ...

    def edit_note(self, note_id: str, text: str, expected_version: int) -> Note:
        """Replace a note's text; a stale ``expected_version`` raises ConflictError naming who
        changed it. Audited (NOTE_EDIT) by the store."""
        ...

    def delete_note(self, note_id: str) -> None:
        """Remove a note (NotFound when there is none). Audited (NOTE_DELETE) by the store."""
        ...

    def move_notes(self, from_id: str, to_id: str) -> None:
        """Give every note of the contact ``from_id`` to ``to_id``, authors and times kept:
        the contact made from an interaction takes the ephemeral one's place (absorbing)."""
        ...

    def contact_ids_changed_since(self, position: Position) -> set[str] | None:
        """Contacts any process changed after ``position``; None when it cannot tell."""
        ...

    def merged_into(self, contact_id: str) -> str | None:
        """The contact a merged-away ``contact_id`` was merged into (one step), or None."""
        ...

    def standing_merge(self, merge_id: str) -> MergeDetail | None:
        """What the merge whose audit record is ``merge_id`` did, while it stands (None once
        it was undone, or when there is no such merge)."""
        ...

    def merge_contacts(
        self,
        kept: Contact,
        expected_version: int,
        other_id: str,
        other_version: int,
        record: AuditRecord,
    ) -> AuditRecord:
        """Merge contact ``other_id`` (at ``other_version``) into ``kept``, which is saved as
        given (its stored version must be ``expected_version``): every interaction linked to
        the other contact or offering it as a candidate is relinked to the kept one, the other
        is removed and its id remembered as merged into the kept one, and ``record`` (its id,
        and its fields) is written as the MERGE audit record with both contacts' documents as
        they were and the relinked interactions. Returns the record as written. ConflictError
        naming the contact that moved on; NotFound when one is gone."""
        ...

    def unmerge_contacts(
        self, merge_id: str, kept: Contact, expected_version: int, record: AuditRecord
    ) -> AuditRecord:
        """Undo the standing merge ``merge_id``: ``kept`` is saved as given (at
        ``expected_version``), the merged-away contact comes back exactly as it was, and each
        interaction the merge relinked that is still as the merge left it goes back.

        A call that arrived after the merge and was matched to the kept contact by a key (its
        ``matchKey``) the merged-away contact holds and the kept one, as saved, no longer does
        (the new number the merge brought) goes to the restored contact too, as it would have
        had there been no merge: its candidates name the restored contact instead of the kept
        one, and so does its link where the match made it (the link is its first candidate); a
        link an agent chose is left. The restored contact's last-interaction date is the
        latest such call's when that is later. Interactions the merge relinked are not
        considered again.

        ``record`` (its id, fields and unmerge detail) is written as the UNMERGE audit record of
        the kept contact (and one more for the one that came back). Returns the kept one's
        record, its ``unmerge.left`` naming the interactions someone moved since and its
        ``unmerge.relinked`` the later calls sent to the restored contact."""
        ...

    def erase_contact(self, contact_id: str, record: AuditRecord) -> AuditRecord:
        """Erase a contact for an erasure request, in this transaction: the contact, its
        identity keys and its notes are removed, and so is every contact merged into it
        (the same customer: the merge record's images hold their data); their interactions
        are unlinked and no longer offer them as candidates; every audit record about them,
        and every merge record naming them, keeps only its id, who, when, what and the
        contact id (fields, versions, notes, interactions and before-images gone); the
        merges rows naming them are removed. ``record`` (its id) is written as the ERASE
        record, which keeps who, when and the id only. Returns it as written. NotFound when
        there is no such contact. The embedded store rewrites its files after the commit so
        no file of its folder holds the erased data."""
        ...


class ContactStore(Protocol):
    """A store of contacts, interactions, audit records and settings."""

    @property
    def location(self) -> str:
        """Where the store is, for the agent bar and messages (never a password)."""
        ...

    def write(self, actor: str) -> AbstractContextManager[StoreTransaction]:
        """One atomic change made by ``actor``."""
        ...

    def refresh(self) -> list[Change]:
        """Take in other processes' changes; what changed (empty: nothing)."""
        ...

    def watch(self, after: StoreWatch | None = None) -> StoreWatch:
        """A watch that says when another process may have changed the store: the best one
        to start with, or the one that comes after ``after`` once it is no longer alive."""
        ...

    def position(self) -> Position:
        """How far this process has read the store."""
        ...

    def contact(self, contact_id: str) -> Contact | None:
        """A contact by id."""
        ...

    def contacts(self, ids: Iterable[str]) -> list[Contact]:
        """Contacts by id, skipping ids that no longer exist."""
        ...

    def contacts_by_key(self, key: str) -> list[Contact]:
        """Contacts indexed under an identity key, first-created first."""
        ...

    def search_text(self, needles: list[str], limit: int) -> tuple[list[Contact], int]:
        """Contacts whose names or emails contain every needle (folded), those whose folded
        last name starts with a needle first, then the others, each group in directory order:
        the first ``limit``, and how many there are, counted up to
        ``domain.search.count_cap(limit) + 1`` (more is not counted)."""
        ...

    def search_literal(self, text: str, limit: int) -> tuple[list[Contact], int]:
        """A quoted search: contacts whose names or emails contain ``text`` (folded) or whose
        kept (not E.164) phone text contains it (``codec.literal_phone_text``); ranked as
        :meth:`search_text` ranks ``text`` as one needle; the first ``limit`` and a count as
        for :meth:`search_text`."""
        ...

    def search_number(self, digits: str, limit: int) -> tuple[list[Contact], int]:
        """A partial number: contacts with a phone number (E.164, else as kept) holding the
        digit run ``digits``; those with a number ending in it first, each group in directory
        order; the first ``limit`` and a count as for :meth:`search_text`."""
        ...

    def contact_ids(self) -> list[str]:
        """Every contact id."""
        ...

    def ids_starting(self, table: str, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` ids of ``table`` ("contacts" or "interactions") that start with
        ``prefix`` (taken literally), in id order: the ones this user may read (the database
        filters them by its row security; the embedded store has every one)."""
        ...

    def interaction(self, interaction_id: str) -> Interaction | None:
        """An interaction by id."""
        ...

    def interactions_for(self, agent: str) -> list[Interaction]:
        """An agent's interactions, newest first."""
        ...

    def interaction_ids(self) -> list[str]:
        """Every interaction id."""
        ...

    def interactions_for_contact(self, contact_id: str) -> list[Interaction]:
        """The interactions linked to a contact that this user may read, newest first."""
        ...

    def audit_for(self, contact_id: str) -> list[AuditRecord]:
        """A contact's audit trail, oldest first."""
        ...

    def notes_for(self, contact_id: str) -> list[Note]:
        """A contact's notes, newest first."""
        ...

    def notes_of(self, contact_ids: Iterable[str]) -> dict[str, list[Note]]:
        """The notes of each of ``contact_ids``, oldest first (a contact without notes is
        left out), read at once: an export and an import read thousands of contacts' notes."""
        ...

    def note(self, note_id: str) -> Note | None:
        """A contact note by id."""
        ...

    def audit_record(self, audit_id: str) -> AuditRecord | None:
        """One audit record by its id."""
        ...

    def merged_into(self, contact_id: str) -> str | None:
        """The contact a merged-away ``contact_id`` was merged into (one step), or None."""
        ...

    def interaction_ids_to_relink(self, contact_id: str) -> list[str]:
        """The interactions linked to a contact or offering it as a candidate, whoever's they
        are (a merge preview says which it would relink)."""
        ...

    def setting(self, name: str) -> Any:
        """An admin setting, or None when never set."""
        ...

    def user_may_view(self, user: str) -> bool | None:
        """Whether ``user`` is one of this store's users who may read their interaction queue
        (an interaction routed to anyone else is lost work); None when the store keeps no users
        (the embedded store: the admin config and the host's accounts say who the agents are)."""
        ...

    def close(self) -> None:
        """Release connections and file handles."""
        ...


__all__ = [
    "Change",
    "ContactStore",
    "Position",
    "PreparedSave",
    "StoreTransaction",
    "StoreWatch",
    "prepare_save",
]
