"""`contact-tui doctor`: check a store and say, in plain sentences, what is wrong.

It never creates a store, and it changes files only with ``repair=True``, and then only in
ways that lose nothing: a damaged journal tail is copied aside before it is cut off,
left-over temporary files are removed under the store's lock, and a damaged snapshot is
rebuilt from the backup of the last compaction, keeping the damaged files as ``.damaged-N``.

Rebuilding from the backup. At each compaction the store keeps the snapshot and journal it is
replacing as ``store.json.bak`` and ``store.json.journal.bak`` (generation g), and writes
snapshot g+1 holding exactly "backup snapshot + every record of the backup journal", then a
fresh journal of generation g+1. So when the snapshot is unreadable:

* the backup snapshot plus its journal's records is the state at the last compaction, and
* if the backup journal was read to its end (no damaged record) and the current journal's
  header says generation g+1, the current journal's records continue exactly that state, so
  replaying them as well loses nothing at all.

The backup journal is used only if its header names the backup's generation (a crash between
the two backup links can leave a pair from different compactions); the inode in a header is
not required to match, because copies of the folder have new inodes (see jsonstore). Anything
not replayed is reported, and stays on disk in the ``.damaged-N`` files and the backups.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contact_tui.store import documents as docs
from contact_tui.store.errors import JournalDamaged, StoreError, StoreUnreadable
from contact_tui.store.files import (
    InterProcessLock,
    atomic_write,
    describe_os_error,
    fsync_dir,
    is_store_tmp,
    remove_orphans,
)
from contact_tui.store.jsonstore import (
    JournalFile,
    JsonStore,
    apply_ops,
    journal_header,
    read_journal,
    read_snapshot,
    snapshot_bytes,
)

NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs"}
# Below this much free space (or twice the snapshot, if more) doctor warns that saves and
# compactions are about to fail.
LOW_SPACE_BYTES = 16 * 1024 * 1024
LOCK_WAIT = 1.0  # a healthy save holds the lock for milliseconds


@dataclass(frozen=True)
class Finding:
    """One line of the report: level is 'ok', 'warning' or 'error'."""

    level: str
    message: str


def filesystem_type(path: Path) -> str | None:
    """The type of the filesystem holding ``path`` (from /proc/mounts), or None if unknown."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, best_type = "", None
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, best_type = mount, parts[2]
    return best_type


def diagnose(path: Path, repair: bool = False) -> list[Finding]:
    """Check the store at ``path``; with ``repair``, fix what can be fixed without loss."""
    path = Path(path)
    found: list[Finding] = []

    def ok(msg: str) -> None:
        found.append(Finding("ok", msg))

    def warn(msg: str) -> None:
        found.append(Finding("warning", msg))

    def error(msg: str) -> None:
        found.append(Finding("error", msg))

    folder = path.parent
    if not folder.is_dir():
        error(f"The store folder {folder} does not exist; create it or fix [store] path.")
        return found
    fs = filesystem_type(folder)
    if fs in NETWORK_FILESYSTEMS:
        error(
            f"{folder} is on {fs}: file locks are unreliable there. Move the store to a local "
            "filesystem."
        )
    elif fs:
        ok(f"{folder} is on a local filesystem ({fs}).")
    _check_writable(path, warn)
    _check_space(path, warn)
    lock_path = path.with_name(path.name + ".lock")
    _check_lock(lock_path, warn)

    orphans = [e for e in folder.iterdir() if is_store_tmp(path, e.name)]
    if orphans:
        if repair:
            with InterProcessLock(lock_path).held():
                removed = remove_orphans(path)
            ok(f"Removed {len(removed)} temporary file(s) left by an interrupted save.")
        else:
            warn(
                f"{len(orphans)} temporary file(s) left by an interrupted save "
                f"(e.g. {folder / orphans[0].name}); the next open or save, or "
                "'doctor --repair', removes them."
            )
    for stale in sorted(folder.glob(f"{path.name}.journal.stale-*")):
        warn(
            f"{stale} is a journal set aside after a crash during compaction; its records are "
            "already in the store, so delete it once you no longer want it."
        )

    journal = path.with_name(path.name + ".journal")
    backup = path.with_name(path.name + ".bak")
    if not path.exists():
        if not journal.exists():
            error(f"The store file {path} does not exist; the app creates it on first start.")
            return found
        # The app refuses to start a new store over a journal: that would hide its records.
        if repair and backup.exists():
            warn(f"The store file {path} is missing but its journal {journal} is there.")
            if _restore_from_backup(path, found):
                return found + diagnose(path, repair=False)
            return found
        hint = (
            "run 'contact-tui doctor --repair' to rebuild it from the backup and the journal"
            if backup.exists()
            else "put the file back from your own backups (no backup of it is here)"
        )
        error(f"The store file {path} is missing but its journal {journal} is there; {hint}.")
        return found
    _check_modes(path, warn)

    try:
        store = JsonStore(path, create=False, tidy=False)
    except JournalDamaged as err:
        if repair:
            _cut_journal(err, found)
            return found + diagnose(path, repair=False)
        error(str(err))
        return found
    except StoreError as err:
        # Damaged content, not a file we may not read (read_snapshot raises those from the
        # OSError): rebuilding a sound file we merely cannot read would be wrong.
        snapshot_bad = (
            isinstance(err, StoreUnreadable)
            and err.path == path
            and not isinstance(err.__cause__, OSError)
        )
        if repair and snapshot_bad and backup.exists():
            assert isinstance(err, StoreUnreadable)
            warn(f"The store file {path} was unusable: {err.reason}.")  # errors follow on failure
            if _restore_from_backup(path, found):
                return found + diagnose(path, repair=False)
            return found
        error(str(err))
        if snapshot_bad and backup.exists():
            warn(
                f"A backup from the last compaction is at {backup}; run 'contact-tui doctor "
                "--repair' to rebuild the store from it and the journals (the damaged files "
                "are kept as .damaged-N)."
            )
        elif snapshot_bad:
            warn(f"There is no backup ({backup}); put {path} back from your own backups.")
        return found
    try:
        stats = store.stats()
        ok(
            f"{path} opens: {stats.contacts} contacts, {stats.interactions} interactions, "
            f"{stats.audit} audit records; generation {stats.generation}, "
            f"{stats.journal_records} journal records ({stats.journal_bytes} bytes)."
        )
        bad = 0
        for table, convert in (
            ("contacts", docs.contact_from_doc),
            ("interactions", docs.interaction_from_doc),
            ("audit", docs.audit_from_doc),
        ):
            for doc_id in store.table_ids(table):
                doc = store.doc(table, doc_id)
                try:
                    convert(doc or {}, doc_id)
                except docs.DocumentError as err:
                    bad += 1
                    if bad <= 20:
                        error(f"{err}; fix or remove it by hand.")
        if not bad:
            ok("Every contact, interaction and audit record is well formed.")
        tail = _torn_tail(store)
        if tail:
            warn(
                f"The journal {store.journal_path} ends in {tail} bytes of an unfinished save (a "
                "process died or the disk filled while saving); it was never committed and the "
                "next save removes it."
            )
    finally:
        store.close()
    return found


def _check_writable(path: Path, warn: Callable[[str], None]) -> None:
    """Warn when saves will fail: a read-only filesystem, or store files we cannot write.

    The lock and the journal are opened for writing (and closed, unchanged) rather than
    checked with ``os.access``, which answers yes to root even on a read-only filesystem.
    """
    folder = path.parent
    with contextlib.suppress(OSError):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            warn(
                f"{folder} is on a read-only filesystem: the store can be read but not saved "
                "to; ask your admin to mount it read-write or to move the store."
            )
            return
    for name in (".lock", ".journal"):
        target = path.with_name(path.name + name)
        try:
            fd = os.open(target, os.O_RDWR)
        except FileNotFoundError:
            continue
        except OSError as err:
            warn(f"Saves will fail: {describe_os_error(err, target)}")
            return
        os.close(fd)
    if not os.access(folder, os.W_OK):
        warn(
            f"You cannot write to {folder}: the store can be read but saves or compactions "
            "fail; ask your admin to give the store's group write access to the folder."
        )


def _check_space(path: Path, warn: Callable[[str], None]) -> None:
    try:
        vfs = os.statvfs(path.parent)
        size = path.stat().st_size if path.exists() else 0
    except OSError:
        return
    free = vfs.f_bavail * vfs.f_frsize
    if free < max(LOW_SPACE_BYTES, 2 * size):
        warn(
            f"The disk holding {path.parent} has only {free // 1024} KB free: saves fail once "
            "it is full and compactions need room for a second copy of the store; free some "
            "space."
        )


def _check_lock(lock_path: Path, warn: Callable[[str], None]) -> None:
    """Say who holds the store's lock if it stays held (a dead holder releases it at once)."""
    if not lock_path.exists():
        return
    lock = InterProcessLock(lock_path, timeout=LOCK_WAIT)
    try:
        lock.acquire()
    except StoreError:
        holder = lock_holder(lock_path)
        who = f"process {holder[0]} ({holder[1]})" if holder else "another process"
        warn(
            f"The lock {lock_path} is held by {who} for over {LOCK_WAIT:g} s, so saves wait "
            "for it; if that process is stuck, end it (a process that ends, even by kill -9, "
            "releases the lock at once)."
        )
    else:
        lock.release()


def lock_holder(lock_path: Path) -> tuple[int, str] | None:
    """The pid and command line of the process holding a ``flock`` on ``lock_path``, from
    /proc/locks (Linux), or None when unknown."""
    try:
        ino = os.stat(lock_path).st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters read "1: -> FLOCK ...".
        if len(parts) < 6 or parts[1] != "FLOCK":
            continue
        dev_ino = parts[5].split(":")
        if len(dev_ino) == 3 and dev_ino[2] == str(ino) and parts[4].isdigit():
            pid = int(parts[4])
            try:
                raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                cmd = raw.replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                cmd = ""
            return pid, cmd[:80] or "command unknown"
    return None


def _check_modes(path: Path, warn: Callable[[str], None]) -> None:
    st = path.stat()
    if not st.st_mode & stat.S_IWGRP:
        warn(
            f"{path} is not group-writable (mode {stat.filemode(st.st_mode)}): other agents "
            "cannot save. Run: chmod 660 on the store files."
        )


def _torn_tail(store: JsonStore) -> int:
    j = store._journal
    if j is None:
        return 0
    return max(0, os.fstat(j.fd).st_size - j.offset)


def _cut_journal(err: JournalDamaged, found: list[Finding]) -> None:
    """Copy the journal aside, then cut it at the damaged record, under the store's lock."""
    journal = err.path
    store_path = journal.with_name(journal.name.removesuffix(".journal"))
    with InterProcessLock(store_path.with_name(store_path.name + ".lock")).held():
        n = 1
        while (copy := journal.with_name(f"{journal.name}.damaged-{n}")).exists():
            n += 1
        shutil.copy2(journal, copy)
        with open(journal, "r+b") as f:
            f.truncate(err.offset)
            f.flush()
            with contextlib.suppress(OSError):
                os.fsync(f.fileno())
    found.append(
        Finding(
            "ok",
            f"Cut the journal back to before line {err.line} (byte {err.offset}); the full "
            f"journal, damaged part included, is kept as {copy}.",
        )
    )


def _damaged_name(path: Path, journal: Path) -> int:
    """The first N for which neither ``path.damaged-N`` nor ``journal.damaged-N`` exists."""
    n = 1
    while any(p.with_name(f"{p.name}.damaged-{n}").exists() for p in (path, journal)):
        n += 1
    return n


def _keep_aside(src: Path, n: int) -> Path | None:
    """Keep ``src`` under the name ``src.damaged-N`` (a hard link, so that the rewrite that
    follows replaces ``src`` atomically and there is never a moment without it)."""
    if not src.exists():
        return None
    dst = src.with_name(f"{src.name}.damaged-{n}")
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def _read_backup_journal(jbak: Path, gen: int) -> tuple[JournalFile | None, str]:
    """The backup journal if it continues backup generation ``gen``, else why not."""
    if not jbak.exists():
        return None, f"there is no {jbak.name}"
    try:
        jf = read_journal(jbak)
    except StoreUnreadable as err:
        return None, str(err)
    if jf.header.get("generation") != gen:
        return None, (
            f"{jbak.name} is of generation {jf.header.get('generation')}, not {gen} (its "
            "compaction was interrupted)"
        )
    return jf, ""


def _restore_from_backup(path: Path, found: list[Finding]) -> bool:
    """Rebuild an unreadable or missing snapshot from the backup pair and the journals.

    See the module docstring for why this is correct. Returns False (with an error finding)
    when the backup cannot be used; nothing is changed then.
    """
    journal = path.with_name(path.name + ".journal")
    bak = path.with_name(path.name + ".bak")
    jbak = path.with_name(path.name + ".journal.bak")
    lock = InterProcessLock(path.with_name(path.name + ".lock"))
    try:
        lock.acquire()
    except StoreError as err:
        found.append(Finding("error", f"{err} Nothing was repaired."))
        return False
    try:
        try:
            tables, gen, _, _ = read_snapshot(bak)
        except StoreUnreadable as err:
            found.append(
                Finding(
                    "error",
                    f"The backup cannot be used either ({err}); put {path} back from your own "
                    "backups. Nothing was changed.",
                )
            )
            return False
        notes: list[str] = []
        replayed = [f"the backup {bak} (generation {gen})"]
        # The generation whose journal continues the state rebuilt so far (None: no journal
        # does, because a journal stopped at a damaged record).
        state_gen: int | None = gen
        bj, why = _read_backup_journal(jbak, gen)
        if bj is not None:
            for record in bj.records:
                apply_ops(tables, record["ops"])
            replayed.append(f"{len(bj.records)} record(s) of {jbak.name}")
            state_gen = None if bj.damage else gen + 1
            if bj.damage:
                notes.append(f"{jbak.name} stops early: {bj.damage}")
        gen_now = gen
        up_to_date = False  # proven to hold every record of the current journal?
        cur: JournalFile | None = None
        if journal.exists():
            try:
                cur = read_journal(journal)
            except StoreUnreadable as err:
                notes.append(f"the journal was not used: {err}")
        if cur is not None:
            cur_gen = int(cur.header["generation"])
            gen_now = max(gen_now, cur_gen)
            if bj is not None and cur.ino == bj.ino:
                # The backup journal is the current one (a compaction stopped after linking
                # it): already replayed.
                up_to_date = bj.damage is None
            elif cur_gen == state_gen:
                for record in cur.records:
                    apply_ops(tables, record["ops"])
                replayed.append(f"{len(cur.records)} record(s) of {journal.name}")
                up_to_date = cur.damage is None
                if cur.damage:
                    notes.append(f"{journal.name} stops early: {cur.damage}")
            else:
                if bj is None:
                    notes.append(f"the backup's journal was not used: {why}")
                notes.append(
                    f"{journal.name} (generation {cur_gen}, {len(cur.records)} record(s)) does "
                    "not continue the backup"
                )
        elif not notes:
            notes.append(f"there is no {journal.name} to replay")
        if not up_to_date and not notes:
            notes.append("the journals could not be joined up")
        # Skip a generation: the damaged snapshot's own generation is unknown (at most
        # gen_now + 1, after a crash between a compaction's renames), and every generation must
        # be new so that running readers reload rather than follow.
        new_gen = gen_now + 2
        data = snapshot_bytes(tables, new_gen)
        n = _damaged_name(path, journal)
        kept = [k for k in (_keep_aside(path, n), _keep_aside(journal, n)) if k is not None]
        atomic_write(path, data)
        atomic_write(journal, journal_header(new_gen, path))
        fsync_dir(path.parent)
    except OSError as err:
        found.append(Finding("error", describe_os_error(err, path)))
        return False
    except StoreError as err:
        found.append(Finding("error", str(err)))
        return False
    finally:
        lock.release()
    counts = ", ".join(
        f"{len(tables.get(t, {}))} {t}" for t in ("contacts", "interactions", "audit")
    )
    aside = " and ".join(str(k) for k in kept) or "nothing"
    found.append(
        Finding(
            "ok",
            f"Rebuilt {path} from {', then '.join(replayed)}: {counts}; the damaged files are "
            f"kept as {aside}.",
        )
    )
    if not up_to_date:
        found.append(
            Finding(
                "warning",
                "Changes saved after the last compaction may be lost: "
                + "; ".join(notes)
                + ". The files are kept; restore from your own backups if something is missing.",
            )
        )
    else:
        found.append(
            Finding(
                "ok",
                "Nothing saved since the last compaction was lost: every journal record was "
                "replayed.",
            )
        )
    return True


__all__ = ["Finding", "diagnose", "filesystem_type", "lock_holder"]
