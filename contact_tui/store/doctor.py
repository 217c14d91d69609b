"""`contact-tui doctor`: check a store and say, in plain sentences, what is wrong.

It never creates a store, and it changes files only with ``repair=True``, and then only in
ways that lose nothing: a damaged journal tail is copied aside before it is cut off, and
left-over temporary files are removed under the store's lock.
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
from contact_tui.store.files import InterProcessLock, remove_orphans, tmp_prefix
from contact_tui.store.jsonstore import JsonStore

NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs"}


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
    if not os.access(folder, os.W_OK):
        warn(f"You cannot write to {folder}: you can read the store but not save to it.")

    orphans = [e for e in folder.iterdir() if e.name.startswith(tmp_prefix(path))]
    if orphans:
        if repair:
            with InterProcessLock(path.with_name(path.name + ".lock")).held():
                removed = remove_orphans(path)
            ok(f"Removed {len(removed)} temporary file(s) left by an interrupted save.")
        else:
            warn(
                f"{len(orphans)} temporary file(s) left by an interrupted save "
                f"(e.g. {orphans[0].name}); the next save or 'doctor --repair' removes them."
            )
    for stale in sorted(folder.glob(f"{path.name}.journal.stale-*")):
        warn(
            f"{stale.name} is a journal set aside after a crash during compaction; its records "
            "are already in the store. Delete it once you no longer want it."
        )

    if not path.exists():
        error(f"The store file {path} does not exist; the app creates it on first start.")
        return found
    _check_modes(path, warn)

    try:
        store = JsonStore(path, create=False)
    except JournalDamaged as err:
        if repair:
            _cut_journal(err, found)
            return found + diagnose(path, repair=False)
        error(str(err))
        return found
    except StoreError as err:
        error(str(err))
        backup = path.with_name(path.name + ".bak")
        if isinstance(err, StoreUnreadable) and backup.exists():
            warn(
                f"A backup from before the last compaction is at {backup} (with "
                f"{backup.name.replace('.bak', '.journal.bak')}). To restore by hand: stop all "
                "agents, move the damaged files away, copy both backups into place without .bak."
            )
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
                f"The journal ends in {tail} bytes of an unfinished save (a process died while "
                "saving); it was never committed and the next save removes it."
            )
    finally:
        store.close()
    return found


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
