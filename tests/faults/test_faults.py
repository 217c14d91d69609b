"""Faults the store must survive: damaged or missing files, a read-only folder, a full disk,
a lock whose holder died. Each gives one sentence naming the file and what to do, never
overwrites existing data, and ``doctor`` explains it; where the store's own journal or backup
can repair it, ``doctor --repair`` does and says what it did.

Already covered in tests/unit: a torn last record, a damaged record and ``--repair`` cutting it,
unparseable snapshots (message and file left alone), a missing folder, a crash between a
compaction's two renames, orphans removed by a save or ``--repair``, a dead lock holder
releasing the lock at once.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from contact_tui.store.doctor import Finding, diagnose
from contact_tui.store.errors import JournalDamaged, StoreUnavailable, StoreUnreadable
from contact_tui.store.format import read_journal, read_snapshot
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.layout import TMP_MARK
from tests.faults.faultfs import fd_path, fill_disk, make_read_only

ROOT = Path(__file__).resolve().parents[2]


def doc(cid: str) -> dict[str, Any]:
    return {"id": cid, "type": "Curated", "firstName": "Sam", "lastName": f"Lee {cid}"}


def put(store: JsonStore, *ids: str) -> None:
    for cid in ids:
        with store.transaction("alice") as tx:
            tx.put("contacts", cid, doc(cid))


def files(folder: Path) -> dict[str, bytes]:
    """Every file in the folder and its bytes (the lock file is empty and never changes)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def tmp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if TMP_MARK in p.name]


def messages(findings: list[Finding], level: str) -> list[str]:
    return [f.message for f in findings if f.level == level]


ALL = ["c0", "c1", "c2", "c3", "c4", "c5"]


def store_with_history(path: Path) -> JsonStore:
    """Two compactions, then two more saves: the backup is generation 2 with two records in
    its journal, the snapshot generation 3, and the journal holds c4 and c5."""
    store = JsonStore(path)
    put(store, "c0", "c1")
    store.compact()
    put(store, "c2", "c3")
    store.compact()
    put(store, "c4", "c5")
    assert store.stats().generation == 3
    return store


# --- damaged data file: explained, left alone, rebuilt from the backup and the journals ---------


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit(path: Path, change: str) -> None:
    data = orjson.loads(path.read_bytes())
    if change == "contact":
        data["contacts"]["c0"] = "Sam Lee"
    else:
        data["contacts"] = list(data["contacts"].values())
    path.write_bytes(orjson.dumps(data))


DAMAGE = {
    "truncated mid-JSON": (_truncate, "not valid JSON"),
    "not JSON at all": (lambda p: p.write_bytes(b"\x00\xff\xfe garbage"), "not valid JSON"),
    "a contact that is not an object": (
        lambda p: _edit(p, "contact"),
        "document 'c0' in table 'contacts' is not an object",
    ),
    "a table that is a list": (lambda p: _edit(p, "table"), "table 'contacts' is not an object"),
    "empty": (lambda p: p.write_bytes(b""), "the file is empty"),
    "an older copy put back": (
        lambda p: p.write_bytes(p.with_name("store.json.bak").read_bytes()),
        "older copy",
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_data_file_is_explained_and_rebuilt_from_backup_and_journals(
    store_path: Path, damage: str
) -> None:
    spoil, reason = DAMAGE[damage]
    store_with_history(store_path).close()
    spoil(store_path)
    folder = store_path.parent
    before = files(folder)

    with pytest.raises(StoreUnreadable) as caught:
        JsonStore(store_path)
    message = str(caught.value)
    assert str(store_path) in message and reason in message and "doctor" in message
    findings = diagnose(store_path)
    assert any(str(store_path) in m and reason in m for m in messages(findings, "error"))
    assert any("--repair" in m and "store.json.bak" in m for m in messages(findings, "warning"))
    assert files(folder) == before, "opening or diagnosing changed a file"

    repaired = diagnose(store_path, repair=True)
    assert not messages(repaired, "error"), repaired
    done = " ".join(messages(repaired, "ok"))
    assert f"Rebuilt {store_path}" in done and "6 contacts" in done
    assert "Nothing saved since the last compaction was lost" in done
    after = JsonStore(store_path)
    assert sorted(after.table_ids("contacts")) == ALL
    # Nothing was deleted: the damaged pair is kept, the backups are untouched.
    assert (folder / "store.json.damaged-1").read_bytes() == before["store.json"]
    assert (folder / "store.json.journal.damaged-1").read_bytes() == before["store.json.journal"]
    for name in ("store.json.bak", "store.json.journal.bak"):
        assert (folder / name).read_bytes() == before[name]
    # The rebuilt store keeps working: saves, compactions, and a second repair-free check.
    put(after, "c6")
    after.compact()
    assert sorted(JsonStore(store_path).table_ids("contacts")) == [*ALL, "c6"]
    assert not messages(diagnose(store_path), "error")


def test_a_missing_data_file_beside_its_journal_is_rebuilt(store_path: Path) -> None:
    store_with_history(store_path).close()
    store_path.unlink()
    with pytest.raises(StoreUnreadable, match="missing but its journal exists"):
        JsonStore(store_path)
    assert not store_path.exists(), "the app must not start a new store over a journal"
    findings = diagnose(store_path)
    assert any(str(store_path) in m and "--repair" in m for m in messages(findings, "error"))
    repaired = diagnose(store_path, repair=True)
    assert not messages(repaired, "error"), repaired
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ALL


def test_without_a_backup_doctor_says_so_and_repair_changes_nothing(store_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, "c0")
    store.close()
    _truncate(store_path)
    before = files(store_path.parent)
    findings = diagnose(store_path, repair=True)
    assert any(str(store_path) in m for m in messages(findings, "error"))
    assert any("no backup" in m for m in messages(findings, "warning"))
    assert files(store_path.parent) == before


def test_a_sound_file_we_may_not_read_is_not_rebuilt(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_with_history(store_path).close()
    before = files(store_path.parent)
    real_open = os.open

    def denied(file: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        # The store opens its files by name relative to the folder's descriptor.
        if os.fsdecode(file) == store_path.name and kwargs.get("dir_fd") is not None:
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(file))
        return real_open(file, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    findings = diagnose(store_path, repair=True)
    monkeypatch.undo()
    assert any(
        str(store_path) in m and "Permission denied" in m for m in messages(findings, "error")
    )
    assert not any("Rebuilt" in m for m in messages(findings, "ok"))
    assert files(store_path.parent) == before


def test_a_backup_pair_from_two_compactions_is_used_only_as_far_as_it_is_sound(
    store_path: Path,
) -> None:
    store_with_history(store_path).close()
    folder = store_path.parent
    # The backup journal of an earlier compaction (a crash between the two backup links).
    jbak = folder / "store.json.journal.bak"
    header = orjson.loads(jbak.read_bytes().split(b"\n")[0][9:])
    jbak.write_bytes(jbak.read_bytes().replace(b'"generation":2', b'"generation":1', 1))
    assert header["generation"] == 2
    _truncate(store_path)
    findings = diagnose(store_path, repair=True)
    assert not messages(findings, "error"), findings
    lost = " ".join(messages(findings, "warning"))
    assert "may be lost" in lost and "store.json.journal.bak" in lost
    # The backup snapshot alone: what was there at the compaction before last.
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c0", "c1"]
    assert (folder / "store.json.damaged-1").exists()
    assert (folder / "store.json.journal.damaged-1").exists()


def test_a_compaction_stopped_after_its_backup_links_still_rebuilds_everything(
    store_path: Path,
) -> None:
    store = store_with_history(store_path)
    store._backup()  # the backups are now hard links to the live snapshot and journal
    store.close()
    # Damage by replacing the file (as editors save); damage in place would hit the backup too,
    # the same inode (doctor then says the backup cannot be used: see the no-backup test).
    half = store_path.with_name("half")
    half.write_bytes(store_path.read_bytes()[:100])
    os.replace(half, store_path)
    findings = diagnose(store_path, repair=True)
    assert not messages(findings, "error"), findings
    assert "Nothing saved since the last compaction was lost" in " ".join(messages(findings, "ok"))
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ALL


def test_a_copied_store_folder_keeps_its_journal(tmp_path: Path) -> None:
    """A restore by copying (cp -r, tar, rsync) or a move to another disk changes inode
    numbers; the journal still belongs to its snapshot's generation."""
    (tmp_path / "a").mkdir()
    original = store_with_history(tmp_path / "a" / "store.json")
    original.close()
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    copy = tmp_path / "b" / "store.json"
    store = JsonStore(copy)
    assert sorted(store.table_ids("contacts")) == ALL
    put(store, "c6")
    assert not list(copy.parent.glob("*.stale-*")), "the journal was set aside as stale"
    assert sorted(JsonStore(copy).table_ids("contacts")) == [*ALL, "c6"]
    assert not messages(diagnose(copy), "warning")


def test_a_journal_cut_back_under_a_running_writer_stays_sound(store_path: Path) -> None:
    """``doctor --repair`` cuts a damaged journal; an agent that had read past the cut must
    not append after a gap (that would make a record out of sequence, i.e. new damage)."""
    writer = JsonStore(store_path)
    put(writer, "c0", "c1", "c2")
    journal = writer.journal_path
    lines = journal.read_bytes().split(b"\n")
    with open(journal, "r+b") as f:
        f.truncate(len(lines[0]) + len(lines[1]) + 2)  # header and the record of c0
    put(writer, "c9")
    again = JsonStore(store_path)
    assert sorted(again.table_ids("contacts")) == ["c0", "c9"]
    assert not messages(diagnose(store_path), "error")


# --- a read-only folder --------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS], ids=["EACCES", "EROFS"])
def test_a_save_to_a_read_only_folder_fails_clearly_and_changes_nothing(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    store = JsonStore(store_path)
    put(store, "c1")
    folder = store_path.parent
    before = files(folder)
    lift = make_read_only(monkeypatch, folder, code)

    with pytest.raises(StoreUnavailable) as caught:
        put(store, "c2")
    message = str(caught.value)
    assert str(store.lock_path) in message and "ask your admin" in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert store.doc("contacts", "c2") is None
    assert files(folder) == before
    # Reading still works: a fresh process opens the store and sees everything.
    reader = JsonStore(store_path)
    assert reader.doc("contacts", "c1") == doc("c1")
    with pytest.raises(StoreUnavailable):
        put(reader, "c2")
    findings = diagnose(store_path)
    assert not messages(findings, "error")
    assert any(
        "Saves will fail" in m and str(store.lock_path) in m for m in messages(findings, "warning")
    )
    assert files(folder) == before

    lift()
    put(store, "c2")
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1", "c2"]


def test_a_folder_where_new_files_cannot_be_made_still_saves_and_compacts_later(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Existing files writable, folder not (mode 2770 lost its w bit): appends work, but a
    compaction's temporary file cannot be made. The save stands; compaction waits."""
    store = JsonStore(store_path, compact_min_bytes=1, compact_ratio=0)
    put(store, "c1")
    snapshot = store_path.read_bytes()
    real_open = os.open

    def no_new_files(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if flags & os.O_CREAT and TMP_MARK in os.fsdecode(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(os, "open", no_new_files)
    put(store, "c2")  # committed even though its compaction failed
    assert store.stats().journal_records == 1  # in the journal, not compacted
    assert store_path.read_bytes() == snapshot
    assert not tmp_files(store_path.parent)
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1", "c2"]
    with pytest.raises(StoreUnavailable, match="No permission"):
        store.compact()  # an explicit compaction says why it cannot
    monkeypatch.setattr(os, "open", real_open)
    put(store, "c3")
    assert store_path.read_bytes() != snapshot
    assert store.stats().journal_records == 0


# --- a full disk ---------------------------------------------------------------------------


def _low_space(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``statvfs`` report an almost full disk for ``folder`` (for doctor)."""
    real = os.statvfs

    def fake(path: Any) -> Any:
        st = real(path)
        if Path(os.fsdecode(path)).resolve() == folder.resolve():
            return SimpleNamespace(f_flag=st.f_flag, f_bavail=1, f_frsize=st.f_frsize)
        return st

    monkeypatch.setattr(os, "statvfs", fake)


def test_a_full_disk_during_a_save_commits_nothing_and_says_so(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JsonStore(store_path)
    put(store, "c1")
    other = JsonStore(store_path)
    before = files(store_path.parent)
    journal = str(store.journal_path)
    lift = fill_disk(monkeypatch, lambda p: p == journal, partial=25)  # half a line, then full

    with pytest.raises(StoreUnavailable) as caught:
        put(store, "c2")
    assert str(caught.value) == (
        f"The disk holding {journal} is full; free some space and try again."
    )
    assert files(store_path.parent) == before, "the partial line was not taken back"
    assert store.doc("contacts", "c2") is None
    assert other.refresh() == []
    _low_space(monkeypatch, store_path.parent)
    warnings = messages(diagnose(store_path), "warning")
    assert any(str(store_path.parent) in m and "free some space" in m for m in warnings)

    lift()
    put(store, "c2")
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1", "c2"]


def test_a_half_line_that_could_not_be_taken_back_is_never_committed(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JsonStore(store_path)
    put(store, "c1")
    journal = str(store.journal_path)
    lift = fill_disk(monkeypatch, lambda p: p == journal, partial=40)

    def broken_truncate(fd: int, length: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "ftruncate", broken_truncate)
    with pytest.raises(StoreUnavailable, match="is full"):
        put(store, "c2")
    monkeypatch.undo()
    lift()
    assert not store.journal_path.read_bytes().endswith(b"\n"), "expected a torn tail"
    reopened = JsonStore(store_path)
    assert reopened.table_ids("contacts") == ["c1"]
    warnings = messages(diagnose(store_path), "warning")
    assert any(journal in m and "unfinished save" in m for m in warnings)
    put(reopened, "c3")  # the next save cuts the half line off first
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1", "c3"]
    assert read_journal(store.journal_path).torn == 0


@pytest.mark.parametrize("step", ["snapshot", "journal"])
def test_a_full_disk_during_compaction_keeps_every_save_and_leaves_no_temporary_file(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    store = JsonStore(store_path, compact_min_bytes=1, compact_ratio=0)
    put(store, "c1")
    snapshot = store_path.read_bytes()
    gen = store.stats().generation
    target = (
        f".{store_path.name}{TMP_MARK}" if step == "snapshot" else f".store.json.journal{TMP_MARK}"
    )
    lift = fill_disk(monkeypatch, lambda p: Path(p).name.startswith(target), partial=20)

    put(store, "c2")  # the record is committed; only the compaction after it failed
    named = store_path if step == "snapshot" else store.journal_path
    assert store.stats().journal_records == 1  # in the journal, not compacted
    assert not tmp_files(store_path.parent)
    if step == "snapshot":
        assert store_path.read_bytes() == snapshot
    else:  # the new snapshot is in place; the journal is the previous generation's
        assert read_snapshot(store_path)[1] == gen + 1
        assert read_journal(store.journal_path).header["generation"] == gen
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1", "c2"]
    assert not messages(diagnose(store_path), "error")
    with pytest.raises(StoreUnavailable) as full:
        store.compact()  # an explicit compaction does report it
    assert str(full.value) == f"The disk holding {named} is full; free some space and try again."
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1", "c2"]

    lift()
    put(store, "c3")
    assert store.stats().journal_records == 0  # compacted now
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1", "c2", "c3"]
    assert not tmp_files(store_path.parent)


# --- left-over temporary files and a lock whose holder died --------------------------------


def test_temporary_files_of_every_kind_are_removed_at_the_next_open(store_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, "c1")
    store.close()
    folder = store_path.parent
    orphans = [
        folder / f".store.json{TMP_MARK}4242-deadbeef",  # a snapshot being written
        folder / f".store.json.journal{TMP_MARK}4242-deadbeef",  # a journal being replaced
        folder / f".store.json{TMP_MARK}bak-4242",  # a backup link
    ]
    for orphan in orphans:
        orphan.write_bytes(b"half")
    unrelated = folder / f".other.json{TMP_MARK}1-x"
    unrelated.write_bytes(b"not ours")
    warned = messages(diagnose(store_path), "warning")
    assert any("3 temporary file(s)" in m for m in warned)
    assert all(o.exists() for o in orphans), "doctor without --repair changed files"
    JsonStore(store_path)
    assert not any(o.exists() for o in orphans)
    assert unrelated.exists()


def test_an_open_never_waits_for_the_lock_to_tidy_up(store_path: Path) -> None:
    writer = JsonStore(store_path)
    orphan = store_path.with_name(f".store.json{TMP_MARK}1-x")
    with writer.transaction("alice"):
        orphan.write_bytes(b"being written")  # as a writer holding the lock does
        started = time.monotonic()
        reader = JsonStore(store_path)  # the lock is held: it must not wait or delete
        assert time.monotonic() - started < 0.5
        assert orphan.exists()
    assert reader.stats().contacts == 0


@pytest.fixture
def lock_holder(store_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process in the middle of a save (holding the lock), which the test can kill."""
    JsonStore(store_path)
    code = (
        "import sys, time; from pathlib import Path;"
        "from contact_tui.store.jsonstore import JsonStore;"
        "s = JsonStore(Path(sys.argv[1]));"
        "tx = s.transaction('holder'); t = tx.__enter__();"
        "t.put('contacts', 'never', {'id': 'never'});"
        "print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(store_path)], cwd=ROOT, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == b"held"
    yield holder
    holder.kill()
    holder.wait()
    holder.stdout.close()


def test_a_lock_held_by_a_live_process_is_explained_and_a_dead_one_costs_nothing(
    store_path: Path, lock_holder: subprocess.Popen[bytes]
) -> None:
    mine = JsonStore(store_path, lock_timeout=0.3)
    lock = store_path.with_name("store.json.lock")
    with pytest.raises(StoreUnavailable) as caught:
        put(mine, "c1")
    assert str(lock) in str(caught.value) and "doctor" in str(caught.value)
    warned = messages(diagnose(store_path), "warning")
    assert any(str(lock) in m and f"process {lock_holder.pid}" in m for m in warned), warned

    lock_holder.kill()  # kill -9 in the middle of its save
    lock_holder.wait()
    started = time.monotonic()
    put(mine, "c1")
    assert time.monotonic() - started < 1.0
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1"]
    findings = diagnose(store_path)
    assert not any("lock" in m for m in messages(findings, "warning"))
    assert not messages(findings, "error")


def test_a_damaged_journal_still_refuses_to_open_and_doctor_names_it(store_path: Path) -> None:
    """A sanity check that damage is not mistaken for a torn tail by the new readers."""
    store = JsonStore(store_path)
    put(store, "c1", "c2")
    data = store.journal_path.read_bytes()
    store.journal_path.write_bytes(data.replace(b'"c1"', b'"cX"', 1))
    with pytest.raises(JournalDamaged):
        JsonStore(store_path)
    assert read_journal(store.journal_path).damage is not None
    errors = messages(diagnose(store_path), "error")
    assert any(str(store.journal_path) in m and "--repair" in m for m in errors)


# --- the same faults on a real filesystem (where this machine lets us mount one) ------------


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 512 KB tmpfs mounted for the test (root only; skipped where mounting is refused)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k,mode=0770", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


def _fill(folder: Path, leave: int) -> Path:
    """Fill the filesystem of ``folder`` until about ``leave`` bytes are free."""
    filler = folder / "filler"
    vfs = os.statvfs(folder)
    size = max(0, vfs.f_bavail * vfs.f_frsize - leave)
    with open(filler, "wb") as f:
        f.write(b"\0" * size)
    return filler


def test_a_really_full_disk(tiny_tmpfs: Path) -> None:
    path = tiny_tmpfs / "store.json"
    store = JsonStore(path, compact_min_bytes=1, compact_ratio=0)  # every save compacts
    with store.transaction("alice") as tx:  # a snapshot of about 60 KB
        for n in range(300):
            tx.put("contacts", f"f{n}", {**doc(f"f{n}"), "note": "x" * 150})
    put(store, "c0")  # now the backup is a 60 KB snapshot too, and its journal is small
    snapshot = path.read_bytes()
    # A compaction frees the previous backup (60 KB) before writing the new snapshot, so it
    # fails only if the snapshot grows by more than the free space: a 20 KB contact, 28 KB free.
    filler = _fill(tiny_tmpfs, 28 * 1024)
    with store.transaction("alice") as tx:
        tx.put("contacts", "c1", {**doc("c1"), "note": "z" * 20000})
    assert store.stats().journal_records == 1  # committed, not compacted
    assert path.read_bytes() == snapshot and not tmp_files(tiny_tmpfs)
    assert store.doc("contacts", "c1") is not None
    assert "c1" in JsonStore(path).table_ids("contacts")
    fd = os.open(filler, os.O_WRONLY | os.O_APPEND)
    try:  # now fill the disk to the last byte
        with pytest.raises(OSError) as full:
            while True:
                os.write(fd, b"\0" * 4096)
        assert full.value.errno == errno.ENOSPC
    finally:
        os.close(fd)
    journal = store.journal_path.read_bytes()
    with (
        pytest.raises(StoreUnavailable, match="is full; free some space"),
        store.transaction("alice") as tx,
    ):
        tx.put("contacts", "big", {**doc("big"), "note": "y" * 20000})
    assert store.journal_path.read_bytes() == journal
    assert store.doc("contacts", "big") is None
    filler.unlink()
    put(store, "c2")
    reopened = JsonStore(path)
    assert {"c1", "c2"} <= set(reopened.table_ids("contacts"))
    assert not tmp_files(tiny_tmpfs)


def test_a_really_read_only_filesystem(tiny_tmpfs: Path) -> None:
    path = tiny_tmpfs / "store.json"
    store = JsonStore(path)
    put(store, "c1")
    store.close()
    remount = ["mount", "-o", "remount,ro", str(tiny_tmpfs)]
    subprocess.run(remount, check=True, capture_output=True)
    try:
        reader = JsonStore(path)  # reading a store on a read-only filesystem works
        assert reader.doc("contacts", "c1") == doc("c1")
        with pytest.raises(StoreUnavailable) as caught:
            put(reader, "c2")
        assert "read-only filesystem; ask your admin" in str(caught.value)
        assert any("read-only filesystem" in m for m in messages(diagnose(path), "warning"))
    finally:
        remount[2] = "remount,rw"
        subprocess.run(remount, check=True, capture_output=True)
    put(reader, "c2")
    assert sorted(JsonStore(path).table_ids("contacts")) == ["c1", "c2"]


def test_fd_path_names_the_file(tmp_path: Path) -> None:
    target = tmp_path / "x"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        assert fd_path(fd) == str(target)
    finally:
        os.close(fd)
