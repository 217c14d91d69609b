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

On a shared host the folder is writable by the whole group, so doctor is careful in the same
ways as the store (see ``safefs``): it opens nothing that is not a regular file, keeps files
aside by hard link only, and reports a symlink, FIFO or device where a store file should be
as an error, leaving it alone. It also warns when a store file can be read through a hard
link outside the folder or has a mode wider than the folder's. ``--repair`` is not meant to
run as root (see :func:`repair_refusal`, which the command line enforces); plain ``doctor``
only reads, so root may run it.
"""

from __future__ import annotations

import fcntl
import grp
import os
import pwd
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from contact_tui.domain import codec as docs
from contact_tui.store.errors import (
    JournalDamaged,
    StoreError,
    StoreUnavailable,
    StoreUnreadable,
)
from contact_tui.store.files import (
    InterProcessLock,
    LockHolder,
    atomic_write,
    describe_os_error,
    lock_holder,
    open_lock_file,
    remove_orphans,
)
from contact_tui.store.format import (
    JournalFile,
    apply_ops,
    dump_snapshot,
    file_id,
    header_continues,
    journal_header,
    read_journal,
    read_snapshot,
)
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.layout import DAMAGED, StoreLayout, aside_prefix
from contact_tui.store.safefs import Folder
from contact_tui.store.upgrade import holds_old_notes


def _standing_merge(doc: Mapping[str, object], doc_id: str) -> object:
    """A row of the ``merges`` table checked as unmerge reads it; DocumentError if it cannot."""
    kept, audit, merge = doc.get("keptId"), doc.get("auditId"), doc.get("merge")
    if not isinstance(kept, str) or not isinstance(audit, str) or not isinstance(merge, dict):
        raise docs.DocumentError("merges", doc_id, "keptId, auditId or merge: missing")
    try:
        return docs.merge_from_doc(merge, doc_id)
    except docs.DocumentError as err:  # it names the audit table, where the record is too
        raise docs.DocumentError("merges", doc_id, err.reason) from None


NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs"}
# Below this much free space (or twice the snapshot, if more) doctor warns that saves and
# compactions are about to fail.
LOW_SPACE_BYTES = 16 * 1024 * 1024
LOCK_WAIT = 1.0  # a healthy save holds the lock for milliseconds


class Level(StrEnum):
    """How bad a finding is; 'contact-tui doctor' prints it before the message and exits
    non-zero when any is an error."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One line of the report."""

    level: Level
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


def repair_refusal(path: Path) -> str | None:
    """Why ``doctor --repair`` must not run in this process, or None when it may.

    Run as root, a repair would create, link and rename files in a folder that everyone in the
    store's group can write to: whatever they planted there would have root's power behind it.
    The store's owner (or a member of its group) can repair everything root could.
    """
    if os.geteuid() != 0:
        return None
    user = _repairer(path.parent)
    return (
        f"doctor --repair does not run as root, because files someone planted in {path.parent} "
        f"could turn root's writes against the system; run it as the store's owner instead: "
        f"sudo -u {user} contact-tui doctor --repair"
    )


def _repairer(folder: Path) -> str:
    """Who should run a repair: the folder's owner, or else a supervisor in its group."""
    try:
        st = os.stat(folder)
    except OSError:
        return "<a member of the store's group>"
    if st.st_uid != 0:
        try:
            return pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            return f"#{st.st_uid}"
    try:
        group = grp.getgrgid(st.st_gid)
    except KeyError:
        return f"<a member of group {st.st_gid}>"
    # Not a member by name: the first member listed may be the very user who planted the
    # files, and the advice would hand them the repair.
    return f"<a supervisor in group {group.gr_name}>"


def diagnose(path: Path, repair: bool = False) -> list[Finding]:
    """Check the store at ``path``; with ``repair``, fix what can be fixed without loss.

    The command line refuses ``repair`` as root (see :func:`repair_refusal`); this function
    does what it is asked.
    """
    path = Path(path)
    found: list[Finding] = []
    if not path.parent.is_dir():
        found.append(
            Finding(
                Level.ERROR,
                f"The store folder {path.parent} does not exist; create it or fix [store] path.",
            )
        )
        return found
    folder = Folder(path.parent)
    try:
        return _diagnose(StoreLayout(path), folder, repair, found)
    except StoreUnavailable as err:  # the folder itself cannot be opened
        return [*found, Finding(Level.ERROR, str(err))]
    finally:
        folder.close()


def _diagnose(
    layout: StoreLayout, folder: Folder, repair: bool, found: list[Finding]
) -> list[Finding]:
    path = layout.path

    def ok(msg: str) -> None:
        found.append(Finding(Level.OK, msg))

    def warn(msg: str) -> None:
        found.append(Finding(Level.WARNING, msg))

    def error(msg: str) -> None:
        found.append(Finding(Level.ERROR, msg))

    fs = filesystem_type(folder.path)
    if fs in NETWORK_FILESYSTEMS:
        error(
            f"{folder.path} is on {fs}: file locks are unreliable there. Move the store to a "
            "local filesystem."
        )
    elif fs:
        ok(f"{folder.path} is on a local filesystem ({fs}).")
    unsafe = _check_kinds(folder, layout, error)
    if unsafe & {layout.snapshot, layout.journal, layout.lock}:
        return found  # nothing more can be checked, or repaired, without opening it
    _check_writable(folder, layout, warn)
    _check_space(folder, layout, warn)
    _check_lock(folder, layout, warn)

    orphans = [name for name in folder.names() if layout.is_tmp(name)]
    if orphans:
        if repair:
            try:
                with InterProcessLock(layout.at(layout.lock), folder=folder).held():
                    removed = remove_orphans(folder, layout)
                ok(f"Removed {len(removed)} temporary file(s) left by an interrupted save.")
            except StoreError as err:
                error(f"{err} The temporary files were left alone.")
        else:
            warn(
                f"{len(orphans)} temporary file(s) left by an interrupted save "
                f"(e.g. {folder.path_of(orphans[0])}); the next open or save, or "
                "'doctor --repair', removes them."
            )
    for stale in sorted(n for n in folder.names() if layout.is_stale_journal(n)):
        warn(
            f"{folder.path_of(stale)} is a journal set aside after a crash during compaction; "
            "its records are already in the store, so delete it once you no longer want it."
        )

    journal = layout.at(layout.journal)
    backup = layout.at(layout.backup)
    has_backup = folder.lstat(layout.backup) is not None
    if folder.lstat(layout.snapshot) is None:
        if folder.lstat(layout.journal) is None:
            error(f"The store file {path} does not exist; the app creates it on first start.")
            return found
        # The app refuses to start a new store over a journal: that would hide its records.
        if repair and has_backup:
            warn(f"The store file {path} is missing but its journal {journal} is there.")
            if _restore_from_backup(layout, folder, found):
                return found + diagnose(path, repair=False)
            return found
        hint = (
            "run 'contact-tui doctor --repair' to rebuild it from the backup and the journal"
            if has_backup
            else "put the file back from your own backups (no backup of it is here)"
        )
        error(f"The store file {path} is missing but its journal {journal} is there; {hint}.")
        return found
    _check_modes(folder, layout, warn)

    try:
        # Only a repair brings an older store's documents up to date (store.upgrade).
        store = JsonStore(path, create=False, tidy=False, upgrade=repair)
    except JournalDamaged as err:
        if repair:
            if _cut_journal(err, folder, layout, found):
                return found + diagnose(path, repair=False)
            return found
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
        if repair and snapshot_bad and has_backup:
            assert isinstance(err, StoreUnreadable)
            warn(f"The store file {path} was unusable: {err.reason}.")  # errors follow on failure
            if _restore_from_backup(layout, folder, found):
                return found + diagnose(path, repair=False)
            return found
        error(str(err))
        if snapshot_bad and has_backup:
            warn(
                f"A backup from the last compaction is at {backup}; run 'contact-tui doctor "
                "--repair' to rebuild the store from it and the journals (the damaged files "
                f"are kept as {aside_prefix(layout.snapshot, DAMAGED)}N)."
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
            ("notes", docs.note_from_doc),
            ("merges", _standing_merge),
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
        old_notes = 0
        if store.is_older():
            old_notes = sum(
                1
                for i in store.table_ids("contacts")
                if holds_old_notes(store.doc("contacts", i) or {})
            )
        if old_notes:
            warn(
                f"{old_notes} contacts still hold the old single notes field (a store an earlier "
                "version wrote); the next app or command with write access that opens the store "
                "moves each into the contact's first note, and 'contact-tui doctor --repair' "
                "does it now."
            )
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


def _check_kinds(folder: Folder, layout: StoreLayout, error: Callable[[str], None]) -> set[str]:
    """Report every store file name that holds something other than a regular file; the
    names. Such a thing is never opened: following it is how a planted link or FIFO would
    turn a user's (or root's) process against them."""
    unsafe = set()
    for name in layout.regular_files:
        kind = folder.kind(name)
        if kind is None:
            continue
        unsafe.add(name)
        error(
            f"{folder.path_of(name)} is {kind}, not a regular file, so the store never opens "
            f"it (nor does doctor --repair); someone who can write to {folder.path} may have "
            "put it there to attack the store's users: check it (ls -l), move it out of the "
            "folder, then run 'contact-tui doctor' again."
        )
    return unsafe


def _check_writable(folder: Folder, layout: StoreLayout, warn: Callable[[str], None]) -> None:
    """Warn when saves will fail: a read-only filesystem, or store files we cannot write.

    The lock and the journal are opened for writing (and closed, unchanged) rather than
    checked with ``os.access``, which answers yes to root even on a read-only filesystem.
    """
    with_folder = folder.path
    try:
        if os.statvfs(with_folder).f_flag & os.ST_RDONLY:
            warn(
                f"{with_folder} is on a read-only filesystem: the store can be read but not "
                "saved to; ask your admin to mount it read-write or to move the store."
            )
            return
    except OSError:
        pass
    for name in (layout.lock, layout.journal):
        try:
            fd, _ = folder.open(name, os.O_RDWR)
        except FileNotFoundError:
            continue
        except OSError as err:
            warn(f"Saves will fail: {describe_os_error(err, folder.path_of(name))}")
            return
        except StoreError:
            continue  # not a regular file: reported by _check_kinds
        os.close(fd)
    if not os.access(with_folder, os.W_OK):
        warn(
            f"You cannot write to {with_folder}: the store can be read but saves or "
            "compactions fail; ask your admin to give the store's group write access to the "
            "folder."
        )


def _check_space(folder: Folder, layout: StoreLayout, warn: Callable[[str], None]) -> None:
    try:
        vfs = os.statvfs(folder.path)
        st = folder.lstat(layout.snapshot)
    except OSError:
        return
    size = st.st_size if st is not None else 0
    free = vfs.f_bavail * vfs.f_frsize
    if free < max(LOW_SPACE_BYTES, 2 * size):
        warn(
            f"The disk holding {folder.path} has only {free // 1024} KB free: saves fail once "
            "it is full and compactions need room for a second copy of the store; free some "
            "space."
        )


def _check_lock(folder: Folder, layout: StoreLayout, warn: Callable[[str], None]) -> None:
    """Say who holds the store's lock if it stays held (a dead holder releases it at once).

    Waits at most LOCK_WAIT, and opens the lock file only if it exists (never makes it).
    """
    try:
        fd = open_lock_file(folder, layout.lock, create=False)
    except (OSError, StoreError):
        return  # missing, or not ours to open: reported elsewhere
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.01)
                    continue
                holder: LockHolder | None = lock_holder(os.fstat(fd).st_ino)
                who = str(holder) if holder else "another process"
                warn(
                    f"The lock {folder.path_of(layout.lock)} is held by {who} for over "
                    f"{LOCK_WAIT:g} s, so saves wait for it; if that process is stuck, end it (a "
                    "process that ends, even by kill -9, releases the lock at once)."
                )
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
            return
    finally:
        os.close(fd)


def _check_modes(folder: Folder, layout: StoreLayout, warn: Callable[[str], None]) -> None:
    """Warn about store files other agents cannot write, and about files readable beyond the
    folder's policy: a mode wider than the folder's, another group, or a hard link elsewhere
    (through which a user keeps reading the store after leaving the group)."""
    dir_st = os.fstat(folder.fd)
    # Owner and group read and write by design (FILE_MODE); others only if the folder lets
    # them in anyway.
    policy = 0o660 | (0o006 if dir_st.st_mode & 0o007 else 0)
    for name in (layout.snapshot, layout.journal):
        st = folder.lstat(name)
        if st is None or not stat.S_ISREG(st.st_mode):
            continue
        p = folder.path_of(name)
        if name == layout.snapshot and not st.st_mode & stat.S_IWGRP:
            warn(
                f"{p} is not group-writable (mode {stat.filemode(st.st_mode)}): other agents "
                "cannot save. Run: chmod 660 on the store files."
            )
        if st.st_mode & 0o777 & ~policy:
            warn(
                f"{p} has mode {stat.filemode(st.st_mode)}, wider than its folder "
                f"({stat.filemode(dir_st.st_mode)}) allows, so anyone with a link to it "
                f"elsewhere can use that access; run: chmod {st.st_mode & policy & 0o777:o} {p}"
            )
        if dir_st.st_mode & stat.S_ISGID and st.st_gid != dir_st.st_gid:
            group, folder_group = _group_name(st.st_gid), _group_name(dir_st.st_gid)
            warn(
                f"{p} belongs to group {group}, not to the folder's group {folder_group}, so "
                f"members of {group} may read it; run: chgrp {folder_group} {p}"
            )
        if st.st_nlink > 1:
            inside = sum(
                1
                for other in folder.names()
                if (o := folder.lstat(other)) is not None and file_id(o) == file_id(st)
            )
            if st.st_nlink > inside:
                warn(
                    f"{p} has {st.st_nlink - inside} hard link(s) outside its folder, through "
                    "which someone can keep reading it even after leaving the group; the next "
                    "save moves the store to new files, and 'find / -xdev -samefile "
                    f"{p}' lists the links to delete."
                )


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _torn_tail(store: JsonStore) -> int:
    j = store._journal
    if j is None:
        return 0
    return max(0, os.fstat(j.fd).st_size - j.offset)


def _cut_journal(
    err: JournalDamaged, folder: Folder, layout: StoreLayout, found: list[Finding]
) -> bool:
    """Under the store's lock, keep the journal aside (a hard link) and replace it with its
    part before the damaged record. False, with an error finding, when that cannot be done;
    nothing is changed then."""
    journal = layout.at(layout.journal)  # the file err.path names
    try:
        with InterProcessLock(layout.at(layout.lock), folder=folder).held():
            raw, _ = folder.read(layout.journal)
            good = raw[: err.offset]
            if len(raw) <= err.offset or not good.endswith(b"\n"):
                found.append(
                    Finding(
                        Level.ERROR,
                        f"The journal {journal} changed while being repaired; run 'contact-tui "
                        "doctor' again. Nothing was changed.",
                    )
                )
                return False
            (kept,) = folder.link_aside([layout.journal], DAMAGED)
            atomic_write(journal, good, folder)
    except OSError as oserr:
        found.append(
            Finding(Level.ERROR, f"{describe_os_error(oserr, journal)} Nothing was repaired.")
        )
        return False
    except StoreError as store_err:
        found.append(Finding(Level.ERROR, f"{store_err} Nothing was repaired."))
        return False
    found.append(
        Finding(
            Level.OK,
            f"Cut the journal back to before line {err.line} (byte {err.offset}); the full "
            f"journal, damaged part included, is kept as {folder.path_of(kept)}.",
        )
    )
    return True


def _read_backup_journal(
    folder: Folder, layout: StoreLayout, gen: int
) -> tuple[JournalFile | None, str]:
    """The backup journal if it continues backup generation ``gen``, else why not."""
    name = layout.journal_backup
    if folder.lstat(name) is None:
        return None, f"there is no {name}"
    try:
        jf = read_journal(layout.at(name), folder)
    except StoreUnreadable as err:
        return None, str(err)
    if not header_continues(jf.header, gen):
        return None, (
            f"{name} is of generation {jf.header.get('generation')}, not {gen} (its "
            "compaction was interrupted)"
        )
    return jf, ""


def _restore_from_backup(layout: StoreLayout, folder: Folder, found: list[Finding]) -> bool:
    """Rebuild an unreadable or missing snapshot from the backup pair and the journals.

    See the module docstring for why this is correct. Returns False (with an error finding)
    when the backup cannot be used; nothing is changed then.
    """
    path = layout.path
    journal = layout.at(layout.journal)
    bak = layout.at(layout.backup)
    lock = InterProcessLock(layout.at(layout.lock), folder=folder)
    try:
        lock.acquire()
    except StoreError as err:
        found.append(Finding(Level.ERROR, f"{err} Nothing was repaired."))
        return False
    try:
        try:
            tables, gen, _, _ = read_snapshot(bak, folder)
        except StoreUnreadable as err:
            found.append(
                Finding(
                    Level.ERROR,
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
        bj, why = _read_backup_journal(folder, layout, gen)
        if bj is not None:
            for record in bj.records:
                apply_ops(tables, record["ops"])
            replayed.append(f"{len(bj.records)} record(s) of {layout.journal_backup}")
            state_gen = None if bj.damage else gen + 1
            if bj.damage:
                notes.append(f"{layout.journal_backup} stops early: {bj.damage}")
        gen_now = gen
        up_to_date = False  # proven to hold every record of the current journal?
        cur: JournalFile | None = None
        if folder.lstat(layout.journal) is not None:
            try:
                cur = read_journal(journal, folder)
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
                replayed.append(f"{len(cur.records)} record(s) of {layout.journal}")
                up_to_date = cur.damage is None
                if cur.damage:
                    notes.append(f"{layout.journal} stops early: {cur.damage}")
            else:
                if bj is None:
                    notes.append(f"the backup's journal was not used: {why}")
                notes.append(
                    f"{layout.journal} (generation {cur_gen}, {len(cur.records)} record(s)) "
                    "does not continue the backup"
                )
        elif not notes:
            notes.append(f"there is no {layout.journal} to replay")
        if not up_to_date and not notes:
            notes.append("the journals could not be joined up")
        # Skip a generation: the damaged snapshot's own generation is unknown (at most
        # gen_now + 1, after a crash between a compaction's renames), and every generation must
        # be new so that running readers reload rather than follow.
        new_gen = gen_now + 2
        data = dump_snapshot(tables, new_gen)
        # Keep the damaged files under new names (hard links, so that the rewrites that follow
        # replace each name atomically and there is never a moment without it).
        present = [n for n in (layout.snapshot, layout.journal) if folder.lstat(n) is not None]
        kept = folder.link_aside(present, DAMAGED)
        st = atomic_write(path, data, folder)
        atomic_write(journal, journal_header(new_gen, file_id(st)), folder)
    except OSError as err:
        found.append(Finding(Level.ERROR, f"{describe_os_error(err, path)} Nothing was repaired."))
        return False
    except StoreError as err:
        found.append(Finding(Level.ERROR, str(err)))
        return False
    finally:
        lock.release()
    counts = ", ".join(
        f"{len(tables.get(t, {}))} {t}" for t in ("contacts", "interactions", "audit")
    )
    aside = " and ".join(str(folder.path_of(k)) for k in kept) or "nothing"
    found.append(
        Finding(
            Level.OK,
            f"Rebuilt {path} from {', then '.join(replayed)}: {counts}; the damaged files are "
            f"kept as {aside}.",
        )
    )
    if not up_to_date:
        found.append(
            Finding(
                Level.WARNING,
                "Changes saved after the last compaction may be lost: "
                + "; ".join(notes)
                + ". The files are kept; restore from your own backups if something is missing.",
            )
        )
    else:
        found.append(
            Finding(
                Level.OK,
                "Nothing saved since the last compaction was lost: every journal record was "
                "replayed.",
            )
        )
    return True


__all__ = ["Finding", "diagnose", "filesystem_type", "lock_holder", "repair_refusal"]
