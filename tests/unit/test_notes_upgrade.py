"""Upgrading an embedded store an earlier version wrote (issue 13): each contact's single
``notes`` field becomes its first note, with nothing lost, once, in the same write that removes
the field; doctor reports such a store and leaves it as it is unless asked to repair."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from contact_tui.domain import codec as docs
from contact_tui.store.doctor import Level, diagnose
from contact_tui.store.files import InterProcessLock
from contact_tui.store.format import read_journal
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.repository import Repository
from tests.factories import NOTE_A, build_world, write_old_store


def test_each_old_notes_field_becomes_the_contacts_first_note_with_nothing_lost(
    store_path: Path,
) -> None:
    write_old_store(store_path)
    repo = Repository.open(store_path)
    try:
        [a_note] = repo.notes_for("a")
        assert a_note.text == NOTE_A  # exactly, spaces and blank lines included
        assert a_note.created_by == "bob"  # the last editor
        assert docs.format_date(a_note.create_date) == "2025-06-07T08:09:10.000Z"
        [b_note] = repo.notes_for("b")
        assert (b_note.text, b_note.created_by) == ("Only the creator", "dave")
        assert docs.format_date(b_note.create_date) == "2024-12-31T23:59:59.999Z"
        assert repo.notes_for("c") == [] and repo.notes_for("e") == []
        for contact_id in ("a", "b", "c", "e"):
            doc = repo.store.doc("contacts", contact_id)
            assert doc is not None and "notes" not in doc
            assert doc["version"] == 3  # not an edit: no agent meets a conflict for it
    finally:
        repo.close()
    # The field left each contact in the same record that made its note.
    backup_journal = read_journal(store_path.with_name("store.json.journal.bak"))
    [upgrade] = [r for r in backup_journal.records if r["by"] == "contact-tui upgrade"]
    touched = {(op[1], op[2]) for op in upgrade["ops"]}
    assert ("notes", a_note.id) in touched and ("contacts", "a") in touched
    assert ("notes", b_note.id) in touched and ("contacts", "b") in touched


def test_the_upgrade_is_done_once_and_kept(store_path: Path) -> None:
    write_old_store(store_path)
    JsonStore(store_path).close()
    snapshot = orjson.loads(store_path.read_bytes())
    assert len(snapshot["notes"]) == 2  # compacted: the snapshot holds the table now
    generation = snapshot["_meta"]["store"]["generation"]
    again = Repository.open(store_path)
    try:
        assert len(again.notes_for("a")) == 1
        assert again.store.stats().generation == generation  # nothing more was written
    finally:
        again.close()


def test_a_field_an_earlier_version_writes_into_an_upgraded_store_moves_on_the_next_open(
    store_path: Path,
) -> None:
    write_old_store(store_path)
    JsonStore(store_path).close()  # upgraded

    def written_by_an_older_app(snapshot: dict[str, Any]) -> None:
        snapshot["contacts"]["a"]["notes"] = "Written by the older app"

    _rewrite_snapshot(store_path, written_by_an_older_app)
    repo = Repository.open(store_path)
    try:
        texts = sorted(n.text for n in repo.notes_for("a"))
        assert texts == sorted([NOTE_A, "Written by the older app"])  # nothing lost
        doc = repo.store.doc("contacts", "a")
        assert doc is not None and "notes" not in doc and doc["version"] == 3
    finally:
        repo.close()
    assert not [m for m in _problems(store_path) if "old single notes field" in m]


def test_a_store_busy_at_open_is_read_as_it_is_and_upgraded_by_a_later_open(
    store_path: Path,
) -> None:
    write_old_store(store_path)
    holder = InterProcessLock(store_path.with_name("store.json.lock"))
    holder.acquire()
    try:
        busy = Repository.open(store_path)  # does not wait for the lock
        try:
            assert busy.notes_for("a") == []
            # Not shown (a contact has no notes field), but still there for the next open.
            unchanged = busy.store.doc("contacts", "a")
            assert unchanged is not None and unchanged["notes"] == NOTE_A
        finally:
            busy.close()
    finally:
        holder.release()
    later = Repository.open(store_path)
    try:
        assert [n.text for n in later.notes_for("a")] == [NOTE_A]
    finally:
        later.close()


def test_doctor_reports_an_old_store_and_only_repair_upgrades_it(store_path: Path) -> None:
    write_old_store(store_path)
    before = store_path.read_bytes()
    found = diagnose(store_path)
    [warning] = [f for f in found if "old single notes field" in f.message]
    assert warning.level == Level.WARNING and warning.message.startswith(
        "3 contacts"
    )  # "e" too, whose field is empty
    assert store_path.read_bytes() == before  # doctor without --repair changes nothing
    diagnose(store_path, repair=True)
    assert not [f for f in diagnose(store_path) if "old single notes field" in f.message]
    assert len(orjson.loads(store_path.read_bytes())["notes"]) == 2


# --- the merges table (issue 13) beside the notes table ---------------------------------------


def _rewrite_snapshot(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Compact the store (so the snapshot holds everything), then change the snapshot."""
    store = JsonStore(path)
    try:
        store.compact()
    finally:
        store.close()
    snapshot = orjson.loads(path.read_bytes())
    change(snapshot)
    path.write_bytes(orjson.dumps(snapshot))


def _problems(path: Path) -> list[str]:
    return [f.message for f in diagnose(path) if f.level != Level.OK]


def test_a_store_with_notes_but_no_merges_table_is_not_upgraded_and_merges(
    store_path: Path,
) -> None:
    """The version with contact notes and without merging wrote no ``merges`` table: such a
    store is current (nothing to bring up to date), reads as having no merge, and merges."""
    world = build_world(store_path)
    world.close()
    _rewrite_snapshot(store_path, lambda s: s.pop("merges"))
    generation = orjson.loads(store_path.read_bytes())["_meta"]["store"]["generation"]
    assert _problems(store_path) == []
    service = world.service()
    try:
        assert isinstance(service.repo, Repository)
        assert not service.repo.store.is_older()
        assert service.repo.store.stats().generation == generation  # not upgraded
        other = world.unknown_call.contact_id or ""
        assert service.repo.merged_into(other) is None
        done = service.merge(world.sam.id, other)
        assert service.repo.merged_into(other) == world.sam.id
        service.unmerge(done.record.id)
        assert service.repo.contact(other) is not None
    finally:
        world.close()
    assert _problems(store_path) == []


def test_a_store_with_merges_but_no_notes_table_is_upgraded_and_keeps_its_merges(
    store_path: Path,
) -> None:
    """A store with a standing merge and no ``notes`` table (a contact's notes still in its
    field) is upgraded: the field becomes a note, and the merge still stands and undoes."""
    world = build_world(store_path)
    other = world.unknown_call.contact_id or ""
    try:
        done = world.service().merge(world.sam.id, other)
    finally:
        world.close()

    def older(snapshot: dict[str, Any]) -> None:
        snapshot.pop("notes")
        snapshot["contacts"][world.pat_first.id]["notes"] = "Kept in the old field"

    _rewrite_snapshot(store_path, older)
    assert any("old single notes field" in m for m in _problems(store_path))
    service = world.service()  # opening upgrades it
    try:
        assert isinstance(service.repo, Repository)
        assert not service.repo.store.is_older()
        assert [n.text for n in service.repo.notes_for(world.pat_first.id)] == [
            "Kept in the old field"
        ]
        assert service.repo.merged_into(other) == world.sam.id
        undone = service.unmerge(done.record.id)
        assert undone.restored.id == other and service.repo.merged_into(other) is None
    finally:
        world.close()
    assert _problems(store_path) == []


def test_doctor_names_a_damaged_standing_merge(store_path: Path) -> None:
    world = build_world(store_path)
    try:
        world.service().merge(world.sam.id, world.unknown_call.contact_id or "")
    finally:
        world.close()

    def damage(snapshot: dict[str, Any]) -> None:
        [row] = snapshot["merges"].values()
        del row["merge"]["otherBefore"]

    _rewrite_snapshot(store_path, damage)
    [problem] = _problems(store_path)
    assert problem.startswith("merges document") and "merge.otherBefore: missing" in problem


def test_a_blank_or_unreadable_old_field_does_not_upgrade_the_store_at_every_open(
    store_path: Path,
) -> None:
    """A field of spaces holds nothing and goes; one that is not text stays for doctor to
    name. Neither makes each later open take the lock and compact the store again."""
    write_old_store(store_path)
    JsonStore(store_path).close()  # upgraded

    def odd_fields(snapshot: dict[str, Any]) -> None:
        snapshot["contacts"]["a"]["notes"] = "   "
        snapshot["contacts"]["b"]["notes"] = 5

    _rewrite_snapshot(store_path, odd_fields)
    JsonStore(store_path).close()  # the blank field goes here
    generation = orjson.loads(store_path.read_bytes())["_meta"]["store"]["generation"]
    again = Repository.open(store_path)
    try:
        assert again.store.stats().generation == generation  # nothing more was written
        a_doc, b_doc = again.store.doc("contacts", "a"), again.store.doc("contacts", "b")
        assert a_doc is not None and "notes" not in a_doc
        assert b_doc is not None and b_doc["notes"] == 5  # kept, never dropped
    finally:
        again.close()
