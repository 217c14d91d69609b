"""Bringing an embedded store written by an earlier version up to this one's documents.

Contact notes: a contact once held one free-text ``notes`` field; notes are now documents of
their own (the ``notes`` table, Genesys Cloud's Note shape). Each contact still holding the old
field has it moved into its first note, written by the contact's last editor (``modifiedBy``,
else ``createdBy``) at the contact's last change (``modifyDate``, else ``createDate``), and the
field leaves the contact in the same journal record that creates the note, so a crash keeps
one or the other, never neither. The contact's version does not change: the move is not an
edit, and an agent editing the contact meanwhile must not meet a conflict for it.

This version never writes the field: a contact document has no ``notes`` key (the codec
neither writes nor reads one), and an import adds a row's notes as notes. ``JsonStore`` upgrades
when it opens a store an earlier version wrote (one without the ``notes`` table,
``format.LATER_TABLES``), or one where some contact holds the field anyway (an earlier version
still writing to an upgraded store), under the write lock, and then compacts, so the new
snapshot holds the ``notes`` table and no contact holding the field. ``store copy`` applies the
upgrade to what it reads from an embedded store, so a copy into PostgreSQL holds the notes too.
PostgreSQL's ``db init`` moves the field of any contact row holding it (a row an earlier build
wrote) the same way (``postgres.admin.init``), and the server refuses to store a contact
document holding it. ``doctor`` reports contacts still holding the field.

A merge an earlier build made keeps the field in its before-images (the merges table), which
no upgrade rewrites: undoing it gives the text back as a note of the contact it restores
(:func:`unmerged_note`), or gives back the kept contact's note the upgrade made of it where
the merge had given the kept contact that text (:func:`merge_gift`), on both stores.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Mapping

from contact_tui.store.format import Doc, Op

# Who the journal says wrote the upgrade's record.
UPGRADE_ACTOR = "contact-tui upgrade"
# Note ids made from the contact id and version, so two copies of one old store agree.
_NOTES_NAMESPACE = uuid.UUID("6f0d2b1e-4c3a-5e8f-9a7b-1c2d3e4f5a6b")


def is_older(tables: Mapping[str, object]) -> bool:
    """Whether a store's tables are an earlier version's (no ``notes`` table)."""
    return "notes" not in tables


def needs_upgrade(tables: Mapping[str, Mapping[str, Doc]]) -> bool:
    """Whether a store's tables need :func:`notes_upgrade`: an earlier version's, or some
    contact still holds the old field (a scan of the contacts in memory: milliseconds at
    100,000)."""
    contacts = tables.get("contacts", {})
    return is_older(tables) or any(_movable(doc) for doc in contacts.values())


def _movable(doc: Mapping[str, object]) -> bool:
    """Whether :func:`notes_upgrade` moves (or drops, when blank) the contact's old field: a
    field that is not text is left for doctor to report, and must not make every open of the
    store upgrade (and compact) again."""
    return holds_old_notes(doc) and (doc["notes"] is None or isinstance(doc["notes"], str))


def holds_old_notes(doc: Mapping[str, object]) -> bool:
    """Whether a contact document still has the old single ``notes`` field."""
    return "notes" in doc


def _note_id(contact_id: str, doc: Mapping[str, object], taken: Collection[str]) -> str:
    base = f"{contact_id}\n{doc.get('version')}"
    note_id = str(uuid.uuid5(_NOTES_NAMESPACE, base))
    n = 0
    while note_id in taken:  # the field came back (an older app wrote it) and moves again
        n += 1
        note_id = str(uuid.uuid5(_NOTES_NAMESPACE, f"{base}\n{n}"))
    return note_id


def _text(doc: Mapping[str, object], *keys: str) -> str:
    for key in keys:
        value = doc.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def notes_upgrade(contacts: Mapping[str, Doc], note_ids: Collection[str], now: str) -> list[Op]:
    """The journal operations moving each contact's old ``notes`` field into its first note
    (see the module docstring); ``note_ids`` are the notes already stored, ``now`` the date
    for a contact that has none (codec.format_date). Empty when nothing holds the field."""
    ops: list[Op] = []
    taken = set(note_ids)
    for contact_id, doc in contacts.items():
        if not holds_old_notes(doc):
            continue
        text = doc["notes"]
        if isinstance(text, str) and text.strip():
            note_id = _note_id(contact_id, doc, taken)
            taken.add(note_id)
            note = _old_notes_note(note_id, contact_id, text, doc, now)
            ops.append(["put", "notes", note_id, note])
        elif not (text is None or isinstance(text, str)):
            continue  # not text: left for doctor to report, never dropped
        ops.append(["put", "contacts", contact_id, {k: v for k, v in doc.items() if k != "notes"}])
    return ops


def unmerged_note_id(merge_id: str) -> str:
    """The id of the note :func:`unmerged_note` makes when merge ``merge_id`` is undone: the
    md5 of the merge id as a UUID, which PostgreSQL's unmerge_contacts computes alike
    (``md5(...)::uuid``), so both stores give one merge's note one id."""
    return str(uuid.UUID(hashlib.md5(f"unmerge\n{merge_id}".encode()).hexdigest()))


def merge_gift(merge: Mapping[str, object]) -> tuple[str, str, str] | None:
    """The old notes field a merge an earlier build made gave the kept contact from the
    merged-away one (the kept contact had other text or none), as the upgrade then made it the
    kept contact's note: its text, author and date (:func:`notes_upgrade`: the contact's last
    editor at its last change, which are the merge's while no one edited the contact since).
    None when the merge gave no such field. An unmerge gives that note back, unedited, to the
    contact it brings back, rather than leave the other contact's text on the kept one and
    make a second copy (:func:`unmerged_note`); PostgreSQL's unmerge_contacts does the same."""
    after, before, other = (merge.get(k) for k in ("keptAfter", "keptBefore", "otherBefore"))
    if not (isinstance(after, Mapping) and isinstance(before, Mapping)):
        return None
    if not isinstance(other, Mapping):
        return None
    text, when = after.get("notes"), _text(after, "modifyDate", "createDate")
    if not isinstance(text, str) or not text.strip() or not when:
        return None
    if text != other.get("notes") or before.get("notes") == text:
        return None
    return text, _text(after, "modifiedBy", "createdBy"), when


def unmerged_note(merge_id: str, other: Mapping[str, object], now: str) -> Doc | None:
    """The note an unmerge gives the contact it brings back, when a merge an earlier build
    made kept that contact's old single ``notes`` field in its before-image (``other``);
    None when the image holds no such text. The contact's document comes back without the
    field (this version never writes it), so without this note the text would be lost.

    Written as :func:`notes_upgrade` would have written it had the contact not been merged
    away when the store was upgraded: by the contact's last editor at its last change. Not by
    the agent undoing the merge, nor the one who made it: neither wrote that text, and a note
    says who wrote it (its author may edit it). PostgreSQL's unmerge_contacts applies the same
    rule in SQL (schema.py)."""
    text = other.get("notes")
    if not isinstance(text, str) or not text.strip():
        return None
    return _old_notes_note(unmerged_note_id(merge_id), str(other.get("id", "")), text, other, now)


def _old_notes_note(
    note_id: str, contact_id: str, text: str, doc: Mapping[str, object], now: str
) -> Doc:
    """The note an old ``notes`` field ``text`` of contact document ``doc`` becomes: by the
    contact's last editor at its last change (``now`` when it has no date)."""
    when = _text(doc, "modifyDate", "createDate") or now
    return {
        "id": note_id,
        "entityId": contact_id,
        "entityType": "Contact",
        "noteText": text,
        "createDate": when,
        "modifyDate": when,
        "createdBy": {"id": _text(doc, "modifiedBy", "createdBy")},
        "version": 1,
    }


__all__ = [
    "UPGRADE_ACTOR",
    "holds_old_notes",
    "is_older",
    "merge_gift",
    "needs_upgrade",
    "notes_upgrade",
    "unmerged_note",
    "unmerged_note_id",
]
