"""The embedded store as the service sees it: :class:`contact_tui.store.base.ContactStore`
over a :class:`JsonStore`, domain objects in, domain objects out. Nothing above this module
sees a document.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from contact_tui.domain import codec as docs
from contact_tui.domain.clock import utcnow
from contact_tui.domain.model import (
    AuditAction,
    AuditRecord,
    Contact,
    Interaction,
    MergeDetail,
    Note,
    Relink,
    UnmergeDetail,
)
from contact_tui.store.base import Change, Position, PreparedSave, StoreWatch
from contact_tui.store.errors import ConflictError, NotFound, StoreError, StoreUnreadable
from contact_tui.store.jsonstore import JsonStore, StoreStats
from contact_tui.store.transaction import Transaction
from contact_tui.store.upgrade import merge_gift, unmerged_note
from contact_tui.store.watch import watch_folder


class UnitOfWork:
    """Reads and writes inside one store transaction; see :meth:`Repository.write`."""

    def __init__(self, tx: Transaction, path: Path, actor: str = "") -> None:
        self._tx = tx
        self._path = path
        self._actor = actor  # who the write is by: a note's author, its audit records' agent

    def contact(self, contact_id: str) -> Contact | None:
        """A contact as of this transaction."""
        doc = self._tx.get("contacts", contact_id)
        return None if doc is None else _contact(doc, contact_id, self._path)

    def contact_at(self, contact_id: str, version: int) -> Contact | None:
        """See :meth:`StoreTransaction.contact_at`: read here, where a read costs no trip."""
        return self.contact(contact_id)

    def contacts_by_key(self, key: str) -> list[Contact]:
        """Contacts indexed under an identity key, first-created first."""
        found = (self.contact(i) for i in self._tx.contact_ids_by_key(key))
        return [c for c in found if c is not None]

    def contact_ids(self) -> list[str]:
        """Every contact id."""
        return self._tx.table_ids("contacts")

    def save_contact(
        self, contact: Contact, expected_version: int, *, last: bool = False
    ) -> Contact:
        """Write a contact whose stored version must be ``expected_version`` (0: a new one).

        Returns the contact as saved, with its version increased by one. A stale
        ``expected_version`` raises ConflictError naming who changed it and when. ``last``
        changes nothing here: the commit writes everything at once anyway.
        """
        current_version = self._check_version(contact.id, expected_version)
        saved = replace(contact, version=current_version + 1)
        self._tx.put("contacts", saved.id, docs.contact_to_doc(saved))
        return saved

    def apply_prepared(self, prepared: PreparedSave) -> None:
        """Write a prepared save; ConflictError if the contact is no longer at the version it
        was prepared from (see :meth:`save_contact`)."""
        self._check_version(prepared.contact.id, prepared.expected_version)
        doc = prepared.doc
        current = self._tx.get("contacts", prepared.contact.id)
        if current is not None and current.get("createDate") != prepared.created:
            # Removed and made again under the same id since: the same version number, but
            # not the contact this save was worked out from.
            raise ConflictError(
                prepared.contact.id,
                prepared.expected_version,
                int(current.get("version", 0)),
                str(current.get("modifiedBy", "")),
                docs.parse_date(current.get("modifyDate")),
            )
        renewed = current.get("lastInteractionDate") if current is not None else None
        if renewed is not None and renewed != doc.get("lastInteractionDate"):
            # A call renewed it after the save was prepared (a renewal bumps no version).
            doc = {**doc, "lastInteractionDate": renewed}
        self._tx.put("contacts", prepared.contact.id, doc)

    def contact_ids_by_key(self, key: str) -> list[str]:
        """The ids of the contacts indexed under a key, without reading the contacts."""
        return self._tx.contact_ids_by_key(key)

    def position(self) -> Position:
        """The store's position this transaction started from (see JsonStore.position)."""
        return self._tx.position()

    def contact_ids_changed_since(self, position: Position) -> set[str] | None:
        """Contacts any process changed after ``position``; None when it cannot tell."""
        return self._tx.contact_ids_changed_since(position)

    def contact_keys(self, contact_id: str) -> set[str]:
        """The identity keys a contact is indexed under now (none if it is gone)."""
        doc = self._tx.get("contacts", contact_id)
        return set() if doc is None else docs.contact_doc_keys(doc)

    def touch_contact(self, contact_id: str, when: datetime) -> None:
        """Renew a contact's last-interaction date without a new version.

        This is bookkeeping, not an edit: bumping the version here would make an agent who
        is editing the contact see a conflict just because the customer called again.
        """
        current = self._tx.get("contacts", contact_id)
        if current is not None:
            self._tx.put(
                "contacts", contact_id, {**current, "lastInteractionDate": docs.format_date(when)}
            )

    def _check_version(self, contact_id: str, expected_version: int) -> int:
        """The stored version, which must be ``expected_version``; else NotFound or
        ConflictError naming who changed it and when."""
        current = self._tx.get("contacts", contact_id)
        current_version = int(current.get("version", 0)) if current is not None else 0
        if current is None and expected_version != 0:
            raise NotFound(f"No contact has the id {contact_id}; it may have been removed.")
        if current is not None and current_version != expected_version:
            raise ConflictError(
                contact_id,
                expected_version,
                current_version,
                str(current.get("modifiedBy", "")),
                docs.parse_date(current.get("modifyDate")),
            )
        return current_version

    def changed_fields(self, before: Contact | None, after: Contact) -> tuple[str, ...]:
        """The Genesys keys that differ between two versions of a contact."""
        old = docs.contact_to_doc(before) if before is not None else None
        return docs.changed_fields(old, docs.contact_to_doc(after))

    def delete_contact(self, contact_id: str) -> None:
        """Remove a contact (expiry of ephemeral contacts), and its notes with it, as the
        database's foreign key does."""
        self._tx.delete("contacts", contact_id)
        for note_id in self._tx.note_ids_of(contact_id):
            self._tx.delete("notes", note_id)

    def interaction(self, interaction_id: str) -> Interaction | None:
        """An interaction as of this transaction."""
        doc = self._tx.get("interactions", interaction_id)
        return None if doc is None else _interaction(doc, interaction_id, self._path)

    def save_interaction(self, interaction: Interaction) -> None:
        """Write an interaction (interactions carry no version: one agent owns each); its
        match key as :meth:`StoreTransaction.save_interaction` says."""
        doc = docs.interaction_to_doc(interaction)
        old = self._tx.get("interactions", interaction.id)
        doc.pop("matchKey", None)
        if old is not None:
            key = old.get("matchKey")
        else:
            key = interaction.match_key
            refs = {r for r in (interaction.contact_id, *interaction.candidate_ids) if r}
            if not refs or any(key not in self.contact_keys(r) for r in refs):
                key = None
        if isinstance(key, str) and key:
            doc["matchKey"] = key
        self._tx.put("interactions", interaction.id, doc)

    def interaction_ids(self) -> list[str]:
        """Every interaction id."""
        return self._tx.table_ids("interactions")

    def interaction_ids_naming(self, contact_ids: Iterable[str]) -> list[str]:
        """The interactions linked to, or offering as a candidate, any of ``contact_ids``
        (from the index: no interaction is read to find them)."""
        return self._tx.interaction_ids_naming(contact_ids)

    def save_wrap_up(self, interaction: Interaction, record: AuditRecord) -> None:
        """Write ``interaction``'s wrap-up note (the rest of it as stored stays) and its audit
        record ``record``, together."""
        doc = self._tx.get("interactions", interaction.id)
        if doc is None:
            raise NotFound(f"No interaction has the id {interaction.id}.")
        doc = {k: v for k, v in doc.items() if k != "wrapUpNote"}
        if interaction.wrap_up_note:
            doc["wrapUpNote"] = interaction.wrap_up_note
        self._tx.put("interactions", interaction.id, doc)
        self.add_audit(record)

    def add_audit(self, record: AuditRecord) -> None:
        """Append an audit record."""
        self._tx.put("audit", record.id, docs.audit_to_doc(record))

    def set_setting(self, name: str, value: Any) -> None:
        """Store an admin setting."""
        self._tx.put("settings", name, {"value": value})

    # --- contact notes: the store sets who and when, and audits each change --------------

    def note(self, note_id: str) -> Note | None:
        """A contact note as of this transaction."""
        doc = self._tx.get("notes", note_id)
        return None if doc is None else _note(doc, note_id, self._path)

    def notes_of(self, contact_ids: Iterable[str]) -> dict[str, list[Note]]:
        """See :meth:`StoreTransaction.notes_of`."""
        found: dict[str, list[Note]] = {}
        for contact_id in dict.fromkeys(contact_ids):
            notes = [n for i in self._tx.note_ids_of(contact_id) if (n := self.note(i))]
            if notes:
                found[contact_id] = sorted(notes, key=_note_order)
        return found

    def add_note(self, note_id: str, contact_id: str, text: str) -> Note:
        """Add a note by the acting user, dated by this machine's clock (see
        :meth:`StoreTransaction.add_note`)."""
        if self._tx.get("contacts", contact_id) is None:
            raise NotFound(f"No contact has the id {contact_id}; it may have been removed.")
        now = utcnow()
        note = Note(note_id, contact_id, text, self._actor, now, now)
        self._tx.put("notes", note_id, docs.note_to_doc(note))
        self._audit_note(AuditAction.NOTE_ADD, note)
        return note

    def edit_note(self, note_id: str, text: str, expected_version: int) -> Note:
        """Replace a note's text (see :meth:`StoreTransaction.edit_note`)."""
        current = self._current_note(note_id)
        if current.version != expected_version:
            raise ConflictError(
                note_id,
                expected_version,
                current.version,
                current.modified_by or current.created_by,
                current.modify_date,
                thing="note",
            )
        note = replace(
            current,
            text=text,
            modify_date=utcnow(),
            version=current.version + 1,
            modified_by=self._actor,
        )
        self._tx.put("notes", note_id, docs.note_to_doc(note))
        self._audit_note(AuditAction.NOTE_EDIT, note)
        return note

    def delete_note(self, note_id: str) -> None:
        """Remove a note (see :meth:`StoreTransaction.delete_note`)."""
        current = self._current_note(note_id)
        self._tx.delete("notes", note_id)
        self._audit_note(AuditAction.NOTE_DELETE, current)

    def move_notes(self, from_id: str, to_id: str) -> None:
        """Give every note of ``from_id`` to ``to_id`` (see
        :meth:`StoreTransaction.move_notes`)."""
        for note_id in self._tx.note_ids_of(from_id):
            doc = self._tx.get("notes", note_id)
            if doc is not None:
                self._tx.put("notes", note_id, {**doc, "entityId": to_id})

    def _current_note(self, note_id: str) -> Note:
        note = self.note(note_id)
        if note is None:
            raise NotFound(f"No note has the id {note_id}; it may have been deleted.")
        return note

    def _audit_note(self, action: AuditAction, note: Note) -> None:
        record = AuditRecord(
            id=str(uuid.uuid4()),
            at=note.modify_date if action != AuditAction.NOTE_DELETE else utcnow(),
            agent=self._actor,
            action=action,
            contact_id=note.contact_id,
            fields=("noteText",) if action != AuditAction.NOTE_DELETE else (),
            version=note.version,
            note_id=note.id,
        )
        self.add_audit(record)

    # --- merging (issue 13) ------------------------------------------------------------------

    def merged_into(self, contact_id: str) -> str | None:
        """The contact a merged-away id was merged into (one step), or None."""
        return _kept_id(self._tx.get("merges", contact_id))

    def standing_merge(self, merge_id: str) -> MergeDetail | None:
        """What the merge ``merge_id`` (its audit record's id) did, while it stands."""
        found = self._merge_row(merge_id)
        return None if found is None else _merge_detail(found[1], self._path)

    def _merge_row(self, merge_id: str) -> tuple[str, dict[str, Any]] | None:
        # A handful of standing merges per day: a scan costs less than an index to keep.
        for other_id in self._tx.table_ids("merges"):
            doc = self._tx.get("merges", other_id)
            if doc is not None and doc.get("auditId") == merge_id:
                return other_id, doc
        return None

    def merge_contacts(
        self,
        kept: Contact,
        expected_version: int,
        other_id: str,
        other_version: int,
        record: AuditRecord,
    ) -> AuditRecord:
        """See :meth:`contact_tui.store.base.StoreTransaction.merge_contacts`."""
        kept_before = self.contact(kept.id)
        other_before = self.contact(other_id)
        if kept_before is None or other_before is None:
            gone = kept.id if kept_before is None else other_id
            raise NotFound(f"No contact has the id {gone}; it may have been removed.")
        self._check_version(other_id, other_version)
        saved = self.save_contact(kept, expected_version)
        relinked: list[Relink] = []
        # The interactions-by-contact index finds them (sorted: a stable order of writes).
        for interaction_id in self.interaction_ids_naming([other_id]):
            doc = self._tx.get("interactions", interaction_id)
            if doc is None:
                continue
            candidates = tuple(doc.get("candidateIds") or ())
            linked = doc.get("contactId")
            if linked != other_id and other_id not in candidates:
                continue
            after = tuple(dict.fromkeys(kept.id if c == other_id else c for c in candidates))
            now = kept.id if linked == other_id else linked
            changed = {**doc, "contactId": now} if now is not None else dict(doc)
            if after:
                changed["candidateIds"] = list(after)
            self._tx.put("interactions", interaction_id, changed)
            relinked.append(Relink(interaction_id, linked, now, candidates, after))
        # The merged-away contact's notes are about the customer kept: they go with it (as
        # they are: moving a note is not editing it), and an unmerge brings them back.
        moved_notes = sorted(self._tx.note_ids_of(other_id))
        self.move_notes(other_id, kept.id)
        self._tx.delete("contacts", other_id)
        merge = MergeDetail(kept_before, other_before, saved, tuple(relinked), tuple(moved_notes))
        self._tx.put(
            "merges",
            other_id,
            {
                "id": other_id,
                "keptId": kept.id,
                "auditId": record.id,
                "merge": docs.merge_to_doc(merge),
            },
        )
        written = replace(
            record, contact_id=kept.id, version=saved.version, merge=merge, unmerge=None
        )
        self.add_audit(written)
        return written

    def unmerge_contacts(
        self, merge_id: str, kept: Contact, expected_version: int, record: AuditRecord
    ) -> AuditRecord:
        """See :meth:`contact_tui.store.base.StoreTransaction.unmerge_contacts`."""
        found = self._merge_row(merge_id)
        if found is None:
            raise NotFound(f"No standing merge has the id {merge_id}.")
        other_id, row = found
        merge = _merge_detail(row, self._path)
        if row.get("keptId") != kept.id:
            raise NotFound(f"Merge {merge_id} did not keep contact {kept.id}.")
        if self._tx.get("contacts", other_id) is not None:
            raise StoreError(
                f"The id {other_id} is in use again, so the merged-away contact cannot come "
                "back under it; nothing was changed."
            )
        saved = self.save_contact(kept, expected_version)
        self._tx.put("contacts", other_id, docs.contact_to_doc(merge.other_before))
        # A merge an earlier build made may keep the old notes field in the image: its text
        # comes back as a note (the document above is written without the field), the one
        # the upgrade made of it on the kept contact where the merge gave it the text.
        images = row["merge"] if isinstance(row.get("merge"), dict) else {}
        if not self._give_back_gift(merge_gift(images), kept.id, other_id):
            image = images.get("otherBefore")
            note = unmerged_note(merge_id, image, docs.format_date(utcnow())) if image else None
            if note is not None and self._tx.get("notes", note["id"]) is None:
                self._tx.put("notes", note["id"], note)
        left: list[str] = []
        for link in merge.relinked:
            doc = self._tx.get("interactions", link.interaction_id)
            if doc is None:
                continue
            restored = dict(doc)
            moved = False
            if doc.get("contactId") == link.contact_after:
                restored.pop("contactId", None)
                if link.contact_before is not None:
                    restored["contactId"] = link.contact_before
            else:
                moved = True
            if tuple(doc.get("candidateIds") or ()) == link.candidates_after:
                restored.pop("candidateIds", None)
                if link.candidates_before:
                    restored["candidateIds"] = list(link.candidates_before)
            else:
                moved = True
            if moved:
                left.append(link.interaction_id)
            if restored != doc:
                self._tx.put("interactions", link.interaction_id, restored)
        later = self._relink_later_calls(merge, kept.id, other_id)
        # The notes the merge moved go back, unless deleted since; notes added to the kept
        # contact since stay with it (whom they are about is not known).
        for note_id in merge.moved_notes:
            doc = self._tx.get("notes", note_id)
            if doc is not None and doc.get("entityId") == kept.id:
                self._tx.put("notes", note_id, {**doc, "entityId": other_id})
        self._tx.delete("merges", other_id)
        detail = UnmergeDetail(
            merge_id, record.unmerge.unrestored if record.unmerge else (), tuple(left), later
        )
        written = replace(
            record, contact_id=kept.id, version=saved.version, merge=None, unmerge=detail
        )
        self.add_audit(written)
        # The contact that came back has its own record, so its history shows its return.
        self.add_audit(
            replace(
                written,
                id=f"{record.id}:{other_id}",
                contact_id=other_id,
                fields=(),
                version=merge.other_before.version,
            )
        )
        return written

    def _give_back_gift(
        self, gift: tuple[str, str, str] | None, kept_id: str, other_id: str
    ) -> bool:
        """Move the kept contact's note the upgrade made of what an earlier build's merge gave
        it (``gift``: see upgrade.merge_gift), still unedited, to ``other_id``; whether one
        was found."""
        if gift is None:
            return False
        for note_id in sorted(self._tx.note_ids_of(kept_id)):
            doc = self._tx.get("notes", note_id)
            if doc is None or doc.get("version") != 1:
                continue
            author = doc.get("createdBy")
            author_id = author.get("id") if isinstance(author, dict) else None
            if (doc.get("noteText"), author_id, doc.get("createDate")) == gift:
                self._tx.put("notes", note_id, {**doc, "entityId": other_id})
                return True
        return False

    def _relink_later_calls(
        self, merge: MergeDetail, kept_id: str, other_id: str
    ) -> tuple[str, ...]:
        """Send the calls matched to the kept contact after the merge by a key that went back
        with the restored contact to it (see StoreTransaction.unmerge_contacts); their ids."""
        back = docs.contact_doc_keys(docs.contact_to_doc(merge.other_before))
        back -= self.contact_keys(kept_id)
        if not back:
            return ()
        merged = {r.interaction_id for r in merge.relinked}
        moved: list[str] = []
        latest = merge.other_before.last_interaction_date
        for interaction_id in self.interaction_ids_naming([kept_id]):
            found = self.interaction(interaction_id)
            if found is None or found.id in merged or found.match_key not in back:
                continue
            if kept_id not in found.candidate_ids:
                continue  # not the match's doing: an agent linked it, and it is theirs
            candidates = tuple(
                dict.fromkeys(other_id if c == kept_id else c for c in found.candidate_ids)
            )
            linked = found.contact_id
            if linked == kept_id and found.candidate_ids[0] == kept_id:
                linked = other_id  # the match linked it (its first candidate); an agent's stays
                if latest is None or found.started_at > latest:
                    latest = found.started_at
            self.save_interaction(replace(found, contact_id=linked, candidate_ids=candidates))
            moved.append(found.id)
        if latest != merge.other_before.last_interaction_date and latest is not None:
            self.touch_contact(other_id, latest)
        return tuple(moved)

    # --- erasure (issue 13) ------------------------------------------------------------------

    def erase_contact(self, contact_id: str, record: AuditRecord) -> AuditRecord:
        """See :meth:`contact_tui.store.base.StoreTransaction.erase_contact`."""
        if self._tx.get("contacts", contact_id) is None:
            raise NotFound(f"No contact has the id {contact_id}; it may have been removed.")
        merges = {
            other_id: row
            for other_id in self._tx.table_ids("merges")
            if (row := self._tx.get("merges", other_id)) is not None
        }
        # The contacts merged into it (and into those) are the same customer, and the merges
        # rows keep their documents: they go too.
        erased = {contact_id}
        pending = [contact_id]
        while pending:
            kept = pending.pop()
            for other_id, row in merges.items():
                if row.get("keptId") == kept and other_id not in erased:
                    erased.add(other_id)
                    pending.append(other_id)
        for gone in sorted(erased):
            if self._tx.get("contacts", gone) is not None:
                self.delete_contact(gone)  # its notes with it
        for other_id, row in merges.items():
            if other_id in erased or row.get("keptId") in erased:
                self._tx.delete("merges", other_id)
        for interaction_id in self.interaction_ids_naming(erased):
            interaction = self.interaction(interaction_id)
            if interaction is None:
                continue
            linked = None if interaction.contact_id in erased else interaction.contact_id
            candidates = tuple(c for c in interaction.candidate_ids if c not in erased)
            if (linked, candidates) != (interaction.contact_id, interaction.candidate_ids):
                self.save_interaction(
                    replace(interaction, contact_id=linked, candidate_ids=candidates)
                )
        about = {a for gone in erased for a in self._tx.audit_ids_of(gone)}
        # Merge records in other contacts' histories keep their images of it too.
        for audit_id in self._tx.table_ids("audit"):
            doc = self._tx.get("audit", audit_id)
            merge = doc.get("merge") if doc is not None else None
            if isinstance(merge, dict) and _names_any(merge, erased):
                about.add(audit_id)
        for audit_id in sorted(about):
            doc = self._tx.get("audit", audit_id)
            if doc is not None and (scrubbed := _scrubbed(doc)) != doc:
                self._tx.put("audit", audit_id, scrubbed)
        written = AuditRecord(record.id, record.at, record.agent, AuditAction.ERASE, contact_id)
        self.add_audit(written)
        self._tx.rewrite_files = True
        return written


class Repository:
    """The embedded store: domain-level access to a :class:`JsonStore`."""

    def __init__(self, store: JsonStore) -> None:
        self.store = store

    @classmethod
    def open(cls, path: Path, **kwargs: Any) -> Repository:
        """Open the store at ``path``; see :class:`JsonStore` for the keyword arguments."""
        return cls(JsonStore(path, **kwargs))

    @property
    def path(self) -> Path:
        """The snapshot file, for messages and the header."""
        return self.store.path

    @property
    def location(self) -> str:
        """The snapshot file's path, for the agent bar and messages."""
        return str(self.store.path)

    def watch(self, after: StoreWatch | None = None) -> StoreWatch:
        """inotify on the store's folder, or an ``lstat`` comparison where there is none or
        the inotify watch ``after`` ended (its folder was moved or removed)."""
        return watch_folder(self.store.path, poll=after is not None)

    @contextlib.contextmanager
    def write(self, actor: str) -> Iterator[UnitOfWork]:
        """One atomic change: everything staged in the block is committed together or not at all."""
        with self.store.transaction(actor) as tx:
            yield UnitOfWork(tx, self.store.path, actor)

    def refresh(self) -> list[Change]:
        """Take in other processes' changes; see :meth:`JsonStore.refresh`."""
        return self.store.refresh()

    def position(self) -> Position:
        """How far this process has read the store (see JsonStore.position)."""
        return self.store.position()

    def contact(self, contact_id: str) -> Contact | None:
        """A contact by id."""
        doc = self.store.doc("contacts", contact_id)
        return None if doc is None else _contact(doc, contact_id, self.store.path)

    def contacts(self, ids: Iterable[str]) -> list[Contact]:
        """Contacts by id, skipping ids that no longer exist."""
        found = (self.contact(i) for i in ids)
        return [c for c in found if c is not None]

    def contacts_by_key(self, key: str) -> list[Contact]:
        """Contacts indexed under an identity key, first-created first."""
        return self.contacts(self.store.contact_ids_by_key(key))

    def search_text(self, needles: list[str], limit: int) -> tuple[list[Contact], int]:
        """Contacts whose names or emails contain every needle, a last name starting with one
        first; the first ``limit`` and a count up to ``count_cap(limit) + 1``."""
        ids, total = self.store.contact_ids_matching(needles, limit)
        return self.contacts(ids), total

    def search_literal(self, text: str, limit: int) -> tuple[list[Contact], int]:
        """Contacts whose names or emails contain ``text`` (folded) or whose kept phone text
        contains it (ASCII letters lowered); the first ``limit`` and a capped count."""
        ids, total = self.store.contact_ids_matching([text], limit, docs.literal_phone_text(text))
        return self.contacts(ids), total

    def search_number(self, digits: str, limit: int) -> tuple[list[Contact], int]:
        """Contacts with a number holding the digit run, ending in it first; the first
        ``limit`` and a capped count."""
        ids, total = self.store.contact_ids_by_number(digits, limit)
        return self.contacts(ids), total

    def contact_ids(self) -> list[str]:
        """Every contact id."""
        return self.store.table_ids("contacts")

    def ids_starting(self, table: str, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` ids of ``table`` starting with ``prefix``, in id order."""
        return sorted(i for i in self.store.table_ids(table) if i.startswith(prefix))[:limit]

    def interaction(self, interaction_id: str) -> Interaction | None:
        """An interaction by id."""
        doc = self.store.doc("interactions", interaction_id)
        return None if doc is None else _interaction(doc, interaction_id, self.store.path)

    def interactions_for(self, agent: str) -> list[Interaction]:
        """An agent's interactions, newest first."""
        found = (self.interaction(i) for i in self.store.interaction_ids_for(agent))
        return [i for i in found if i is not None]

    def interaction_ids(self) -> list[str]:
        """Every interaction id."""
        return self.store.table_ids("interactions")

    def interactions_for_contact(self, contact_id: str) -> list[Interaction]:
        """The interactions linked to a contact, newest first (everyone's: the service
        leaves out what the agent may not read)."""
        found = (self.interaction(i) for i in self.store.interaction_ids_for_contact(contact_id))
        return [i for i in found if i is not None]

    def audit_for(self, contact_id: str) -> list[AuditRecord]:
        """A contact's audit trail, oldest first."""
        records = []
        for audit_id in self.store.audit_ids_for(contact_id):
            doc = self.store.doc("audit", audit_id)
            if doc is not None:
                try:
                    records.append(docs.audit_from_doc(doc, audit_id))
                except docs.DocumentError as err:
                    raise StoreUnreadable(self.store.path, str(err)) from None
        return records

    def notes_for(self, contact_id: str) -> list[Note]:
        """A contact's notes, newest first."""
        found = (self.note(i) for i in self.store.note_ids_for(contact_id))
        return [n for n in found if n is not None]

    def notes_of(self, contact_ids: Iterable[str]) -> dict[str, list[Note]]:
        """See :meth:`ContactStore.notes_of`."""
        found: dict[str, list[Note]] = {}
        for contact_id in dict.fromkeys(contact_ids):
            notes = self.notes_for(contact_id)
            if notes:
                found[contact_id] = notes[::-1]
        return found

    def note(self, note_id: str) -> Note | None:
        """A contact note by id."""
        doc = self.store.doc("notes", note_id)
        return None if doc is None else _note(doc, note_id, self.store.path)

    def setting(self, name: str) -> Any:
        """An admin setting, or None when never set."""
        return self.store.setting(name)

    def audit_record(self, audit_id: str) -> AuditRecord | None:
        """One audit record by its id."""
        doc = self.store.doc("audit", audit_id)
        if doc is None:
            return None
        try:
            return docs.audit_from_doc(doc, audit_id)
        except docs.DocumentError as err:
            raise StoreUnreadable(self.store.path, str(err)) from None

    def merged_into(self, contact_id: str) -> str | None:
        """The contact a merged-away id was merged into (one step), or None."""
        return _kept_id(self.store.doc("merges", contact_id))

    def interaction_ids_to_relink(self, contact_id: str) -> list[str]:
        """Interactions linked to a contact or offering it as a candidate (from the index)."""
        return self.store.interaction_ids_naming([contact_id])

    def stats(self) -> StoreStats:
        """Sizes, for the header and doctor."""
        return self.store.stats()

    def user_may_view(self, user: str) -> None:
        """None: this store keeps no users; the admin config says who the agents are."""
        return None

    def close(self) -> None:
        """Release file handles."""
        self.store.close()


def _contact(doc: dict[str, Any], contact_id: str, path: Path) -> Contact:
    try:
        return docs.contact_from_doc(doc, contact_id)
    except docs.DocumentError as err:
        raise StoreUnreadable(
            path, str(err), "Fix or remove that contact; run 'contact-tui doctor'."
        ) from None


def _kept_id(doc: dict[str, Any] | None) -> str | None:
    kept = doc.get("keptId") if doc is not None else None
    return kept if isinstance(kept, str) else None


def _merge_detail(row: dict[str, Any], path: Path) -> MergeDetail:
    merge = row.get("merge")
    try:
        if not isinstance(merge, dict):
            raise docs.DocumentError("merges", str(row.get("id", "")), "merge: missing")
        return docs.merge_from_doc(merge, str(row.get("id", "")))
    except docs.DocumentError as err:
        raise StoreUnreadable(path, str(err)) from None


# What an audit record about an erased contact keeps: who, when, what, and which contact.
_KEPT_BY_ERASURE = ("id", "at", "agent", "action", "contactId")


def _scrubbed(doc: dict[str, Any]) -> dict[str, Any]:
    return {**{k: doc[k] for k in _KEPT_BY_ERASURE if k in doc}, "fields": []}


def _names_any(merge: dict[str, Any], ids: set[str]) -> bool:
    """Whether a merge's images are of any of ``ids``."""
    for key in ("keptBefore", "otherBefore", "keptAfter"):
        image = merge.get(key)
        if isinstance(image, dict) and image.get("id") in ids:
            return True
    return False


def _interaction(doc: dict[str, Any], interaction_id: str, path: Path) -> Interaction:
    try:
        return docs.interaction_from_doc(doc, interaction_id)
    except docs.DocumentError as err:
        raise StoreUnreadable(
            path, str(err), "Fix or remove that interaction; run 'contact-tui doctor'."
        ) from None


def _note_order(note: Note) -> tuple[datetime, str]:
    """First-written first, as ``codec.created_order_key`` orders the stored documents."""
    return note.create_date, note.id


def _note(doc: dict[str, Any], note_id: str, path: Path) -> Note:
    try:
        return docs.note_from_doc(doc, note_id)
    except docs.DocumentError as err:
        raise StoreUnreadable(
            path, str(err), "Fix or remove that note; run 'contact-tui doctor'."
        ) from None
