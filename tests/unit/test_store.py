"""The embedded store: durability, sharing between instances, damage handling, indexes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from contact_tui.domain.model import Contact, ContactType
from contact_tui.store import jsonstore
from contact_tui.store.errors import (
    ConflictError,
    JournalDamaged,
    StoreUnavailable,
    StoreUnreadable,
)
from contact_tui.store.files import InterProcessLock, atomic_write
from contact_tui.store.format import frame
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.repository import Repository
from contact_tui.store.tinydb_view import open_tinydb


def contact_doc(
    cid: str, last: str = "Lee", e164: str | None = None, **extra: Any
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": cid,
        "type": "Curated",
        "firstName": "Sam",
        "lastName": last,
        "createDate": "2026-01-01T00:00:00.000Z",
        "version": 1,
    }
    if e164:
        doc["workPhone"] = {"display": e164, "e164": e164, "userInput": e164}
    doc.update(extra)
    return doc


def put(store: JsonStore, doc: dict[str, Any], actor: str = "alice") -> None:
    with store.transaction(actor) as tx:
        tx.put("contacts", doc["id"], doc)


def test_new_store_is_created_from_the_seed_and_reopens_the_same(store_path: Path) -> None:
    seed = {"contacts": {"c1": contact_doc("c1", e164="+13175550123")}}
    store = JsonStore(store_path, seed=lambda: seed)
    assert store.doc("contacts", "c1") == seed["contacts"]["c1"]
    again = JsonStore(store_path)
    assert again.doc("contacts", "c1") == seed["contacts"]["c1"]
    assert again.contact_ids_by_key("tel:+13175550123") == ["c1"]


def test_new_files_are_owner_and_group_read_write_despite_a_strict_umask(store_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, contact_doc("c1"))
    for path in (store.path, store.journal_path, store.lock_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o660, path


def test_a_replaced_snapshot_keeps_the_mode_the_admin_gave_it(store_path: Path) -> None:
    store = JsonStore(store_path)
    os.chmod(store_path, 0o640)
    put(store, contact_doc("c1"))
    store.compact()
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o640


def test_a_save_reaches_another_open_instance_on_refresh(store_path: Path) -> None:
    a = JsonStore(store_path)
    b = JsonStore(store_path)
    put(a, contact_doc("c1", e164="+13175550123"))
    assert b.doc("contacts", "c1") is None
    changes = b.refresh()
    assert [(c.table, c.id) for c in changes] == [("contacts", "c1")]
    assert b.contact_ids_by_key("tel:+13175550123") == ["c1"]
    assert b.refresh() == []


def test_refresh_never_rereads_the_snapshot_even_across_compactions(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = JsonStore(store_path, compact_min_bytes=1, compact_ratio=0)  # every save compacts
    b = JsonStore(store_path)

    def no_reparse(*_: object) -> None:
        raise AssertionError("the snapshot was parsed again")

    # Neither store parses it again: a compacts it itself, b follows the journals.
    monkeypatch.setattr(jsonstore, "read_snapshot", no_reparse)
    gen_before = a.stats().generation
    for n in range(10):
        put(a, contact_doc(f"c{n}"))
        b.refresh()
    assert a.stats().generation == gen_before + 10
    assert b.stats().generation == gen_before + 10
    assert sorted(b.table_ids("contacts")) == sorted(f"c{n}" for n in range(10))


def test_a_reader_that_missed_two_compactions_reloads_and_is_correct(store_path: Path) -> None:
    a = JsonStore(store_path, compact_min_bytes=1, compact_ratio=0)
    b = JsonStore(store_path)
    put(a, contact_doc("c1"))
    put(a, contact_doc("c2"))
    assert a.stats().generation == b.stats().generation + 2
    b.refresh()
    assert sorted(b.table_ids("contacts")) == ["c1", "c2"]


def test_a_stale_version_is_a_conflict_naming_who_changed_it(store_path: Path) -> None:
    repo_a = Repository(JsonStore(store_path))
    repo_b = Repository(JsonStore(store_path))
    with repo_a.write("alice") as uow:
        new = Contact(id="c1", type=ContactType.CURATED, first_name="Sam", modified_by="alice")
        uow.save_contact(new, 0)
    repo_b.refresh()
    seen_by_b = repo_b.contact("c1")
    assert seen_by_b is not None and seen_by_b.version == 1
    with repo_a.write("alice") as uow:
        current = uow.contact("c1")
        assert current is not None
        uow.save_contact(replace(current, title="Dr"), 1)
    with pytest.raises(ConflictError) as caught, repo_b.write("bob") as uow:
        uow.save_contact(replace(seen_by_b, title="Prof"), 1)
    assert caught.value.current == 2 and caught.value.expected == 1
    assert "alice" in str(caught.value)
    repo_b.refresh()
    after = repo_b.contact("c1")
    assert after is not None and (after.version, after.title) == (2, "Dr")


def test_a_failed_transaction_writes_nothing(store_path: Path) -> None:
    store = JsonStore(store_path)
    size = store.journal_path.stat().st_size
    with pytest.raises(RuntimeError), store.transaction("alice") as tx:
        tx.put("contacts", "c1", contact_doc("c1"))
        raise RuntimeError("validation failed half way")
    assert store.journal_path.stat().st_size == size
    assert store.doc("contacts", "c1") is None


def test_a_torn_last_record_is_not_committed_and_the_next_save_removes_it(store_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, contact_doc("c1"))
    whole = store.journal_path.read_bytes()
    torn = frame({"seq": 2, "ops": [["put", "contacts", "c2", contact_doc("c2")]]})[:-20]
    with open(store.journal_path, "ab") as f:
        f.write(torn)
    reopened = JsonStore(store_path)
    assert reopened.doc("contacts", "c2") is None
    assert reopened.doc("contacts", "c1") is not None
    put(reopened, contact_doc("c3"))
    content = store.journal_path.read_bytes()
    assert content.startswith(whole) and torn not in content
    final = JsonStore(store_path)
    assert sorted(final.table_ids("contacts")) == ["c1", "c3"]


def test_a_damaged_record_is_reported_and_nothing_is_overwritten(store_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, contact_doc("c1"))
    put(store, contact_doc("c2"))
    data = bytearray(store.journal_path.read_bytes())
    at = data.index(b'"c1"')
    data[at + 1] = ord("X")  # change one byte of the first record: its checksum fails
    store.journal_path.write_bytes(bytes(data))
    before = (store_path.read_bytes(), store.journal_path.read_bytes())
    with pytest.raises(JournalDamaged) as caught:
        JsonStore(store_path)
    assert str(store.journal_path) in str(caught.value)
    assert "line 2" in str(caught.value)
    assert (store_path.read_bytes(), store.journal_path.read_bytes()) == before


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b"[1, 2]", "not an object"),
        (b'{"_default": {"1": {"name": "x"}}}', "not a contact-tui store"),
        (b'{"_meta": {"store": {"format": 1, "generation": 1}}, "contacts": []}', "not an object"),
    ],
)
def test_an_unreadable_snapshot_is_reported_with_path_and_reason_and_left_alone(
    store_path: Path, content: bytes, reason: str
) -> None:
    store_path.write_bytes(content)
    with pytest.raises(StoreUnreadable) as caught:
        JsonStore(store_path)
    assert str(store_path) in str(caught.value) and reason in str(caught.value)
    assert store_path.read_bytes() == content
    assert not store_path.with_name("store.json.journal").exists()


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="does not exist"):
        JsonStore(tmp_path / "nowhere" / "store.json")


def test_compaction_folds_the_journal_into_a_snapshot_tinydb_can_open(store_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, contact_doc("c1", last="Lee"))
    put(store, contact_doc("c2", last="Okafor"))
    store.compact()
    assert store.stats().journal_records == 0
    assert store_path.with_name("store.json.bak").exists()
    db = open_tinydb(store_path)
    from tinydb import Query

    hits = db.table("contacts").search(Query().lastName == "Okafor")
    assert [str(h.doc_id) for h in hits] == ["c2"]
    reopened = JsonStore(store_path)
    assert sorted(reopened.table_ids("contacts")) == ["c1", "c2"]


def test_a_crash_between_the_two_renames_of_a_compaction_loses_nothing(store_path: Path) -> None:
    a = JsonStore(store_path)
    put(a, contact_doc("c1"))
    put(a, contact_doc("c2"))
    # What a compactor writes first: the new snapshot (generation + 1) holding both records.
    tables = orjson.loads(store_path.read_bytes())
    tables["contacts"] = {"c1": contact_doc("c1"), "c2": contact_doc("c2")}
    tables["_meta"]["store"]["generation"] += 1
    atomic_write(store_path, orjson.dumps(tables))
    # ... and then it died before replacing the journal.
    b = JsonStore(store_path)
    assert sorted(b.table_ids("contacts")) == ["c1", "c2"]
    put(b, contact_doc("c3"))
    assert list(store_path.parent.glob("store.json.journal.stale-*"))
    a.refresh()
    assert sorted(a.table_ids("contacts")) == ["c1", "c2", "c3"]
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1", "c2", "c3"]


def test_temporary_files_left_by_a_crash_are_removed_by_the_next_save(store_path: Path) -> None:
    store = JsonStore(store_path)
    orphan = store_path.with_name(".store.json.tmp-99999-dead")
    orphan.write_bytes(b"half a snapshot")
    put(store, contact_doc("c1"))
    assert not orphan.exists()


def test_indexes_follow_edits_and_deletes(store_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, contact_doc("c1", e164="+13175550123", workEmail="Sam@Example.com"))
    assert store.contact_ids_by_key("email:sam@example.com") == ["c1"]
    put(store, contact_doc("c1", e164="+13175550199"))
    assert store.contact_ids_by_key("tel:+13175550123") == []
    assert store.contact_ids_by_key("tel:+13175550199") == ["c1"]
    assert store.contact_ids_by_key("email:sam@example.com") == []
    with store.transaction("alice") as tx:
        tx.delete("contacts", "c1")
    assert store.contact_ids_by_key("tel:+13175550199") == []


def test_several_matches_come_first_created_first(store_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, contact_doc("late", e164="+13175550123", createDate="2026-05-01T00:00:00.000Z"))
    put(store, contact_doc("early", e164="+13175550123", createDate="2025-05-01T00:00:00.000Z"))
    assert store.contact_ids_by_key("tel:+13175550123") == ["early", "late"]


def test_text_search_is_case_insensitive_in_directory_order_with_a_total(store_path: Path) -> None:
    store = JsonStore(store_path)
    for cid, last in (("1", "Zhang"), ("2", "álvarez"), ("3", "Lee"), ("4", "Leeds")):
        put(store, contact_doc(cid, last=last))
    ids, total = store.contact_ids_matching(["LEE"], limit=1)
    assert (ids, total) == (["3"], 2)
    ids, total = store.contact_ids_matching([], limit=10)
    assert total == 4 and ids[-1] == "1"


def test_the_lock_of_a_killed_holder_is_free_at_once(store_path: Path) -> None:
    lock_path = store_path.with_name("store.json.lock")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from contact_tui.store.files import InterProcessLock;"
            f"InterProcessLock(Path({str(lock_path)!r})).acquire(); print('held', flush=True);"
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == b"held"
    busy = InterProcessLock(lock_path, timeout=0.2)
    with pytest.raises(StoreUnavailable, match="busy"):
        busy.acquire()
    holder.kill()
    holder.wait()
    started = time.monotonic()
    InterProcessLock(lock_path, timeout=5).acquire()
    assert time.monotonic() - started < 1.0


def test_a_damaged_record_is_named_and_after_repair_an_open_store_saves_again(
    store_path: Path,
) -> None:
    reader, writer = JsonStore(store_path), JsonStore(store_path)
    for i in range(3):
        with writer.transaction("w") as tx:
            tx.put("settings", f"k{i}", {"value": i})
    journal = store_path.with_name(store_path.name + ".journal")
    lines = journal.read_bytes().split(b"\n")
    good = len(b"\n".join(lines[:3])) + 1  # the header and records 1 and 2
    lines[3] = lines[3][:-3] + b"XX}"  # damage record 3
    journal.write_bytes(b"\n".join(lines))

    with pytest.raises(JournalDamaged, match=f"byte {good}"), reader.transaction("r") as tx:
        tx.put("settings", "mine", {"value": 1})
    assert reader.setting("k1") == 1  # the good records were taken in
    os.truncate(journal, good)  # what doctor --repair does
    with reader.transaction("r") as tx:
        tx.put("settings", "mine", {"value": 1})
    assert JsonStore(store_path).setting("mine") == 1
    reader.close()
    writer.close()
