"""The embedded store: a TinyDB-format JSON snapshot plus a JSON-lines journal.

This module is the engine: opening, following, writing and compacting. The files' names
are in ``layout``, their format (snapshot, journal header and records) in ``format``, the
in-memory indexes in ``indexes`` and the staged writes in ``transaction``.

Every file is opened relative to the folder's descriptor, never through a symlink, and only
if it is a regular file of bounded size (``safefs``): on a shared host the folder is writable
by the whole group.

Why not TinyDB's own JSONStorage: it rewrites the whole file on every insert and re-reads it on
every query (5.9 s and 3.9 s at 100,000 contacts), and it is not safe across processes. This
store keeps TinyDB's on-disk format, so ``tinydb_view.open_tinydb`` opens a snapshot with
TinyDB itself, but serves reads from memory through indexes and appends each write to the
journal.

Concurrency, in short (README "How the store stays safe" has the long form):

* A write takes the inter-process lock, reads whatever other processes appended since it last
  looked (cost proportional to those records), checks contact versions, appends one line and
  fsyncs it. One line is one transaction, so a reader sees all of it or none of it.
* Readers never lock: they poll the journal's size and read only the new complete lines.
* When the journal outgrows the snapshot, the writer holding the lock compacts: it writes a new
  snapshot (temporary file, fsync, rename) and then a new journal whose header names it.
  A reader that was following the old journal reads it to its end (that is exactly the new
  snapshot) and switches to the new journal without re-parsing the snapshot.
* A crash at any instant leaves the old or the new state: a torn last line is not a committed
  record (the next writer truncates it), and renames are atomic. Temporary files a crashed
  writer left are removed at the next open (if the lock is free at that moment) or save.
* A journal belongs to the snapshot whose generation its header names. The header also names
  the snapshot's inode, but that is not required to match: copying the folder (a restore from
  backup, a move to another disk) changes inode numbers, and it must not drop the journal.
* A snapshot or journal with a hard link outside the store's files is moved to a new file at
  the next save (a compaction), so a link someone made stops receiving new records.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import gc
import itertools
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contact_tui.bulk import paused_gc
from contact_tui.domain import codec as docs
from contact_tui.domain.clock import utcnow
from contact_tui.domain.search import MIN_PARTIAL_DIGITS, count_cap
from contact_tui.domain.text import fold
from contact_tui.store.base import Change
from contact_tui.store.errors import (
    JournalDamaged,
    StoreError,
    StoreUnavailable,
    StoreUnreadable,
)
from contact_tui.store.files import (
    InterProcessLock,
    atomic_write,
    describe_os_error,
    remove_orphans,
)
from contact_tui.store.format import (
    TABLES,
    DamagedLine,
    Doc,
    FrameError,
    Op,
    Tables,
    dump_snapshot,
    file_id,
    header_continues,
    journal_header,
    parse_header,
    read_snapshot,
    record_line,
    records,
)
from contact_tui.store.indexes import Indexes, SortedIds
from contact_tui.store.layout import STALE, StoreLayout
from contact_tui.store.safefs import Folder, check_size
from contact_tui.store.transaction import Transaction
from contact_tui.store.upgrade import UPGRADE_ACTOR, is_older, needs_upgrade, notes_upgrade


@dataclass
class _Journal:
    """The journal file this process follows and how far it has read it."""

    fd: int
    ino: tuple[int, int]
    offset: int
    writable: bool


@dataclass
class StoreStats:
    """Counts for the header line and for ``doctor``."""

    contacts: int
    interactions: int
    audit: int
    generation: int
    journal_records: int
    journal_bytes: int
    snapshot_bytes: int
    notes: int = 0


def _last_name(entry: tuple[tuple[str, str, str], str]) -> str:
    """The folded last name of a directory entry (its sort key's first part)."""
    return entry[0][0]


class JsonStore:
    """A contact store in one folder, safe to share between many agent processes on one host.

    Reads are served from memory; call :meth:`refresh` to take in what other processes wrote.
    Writes go through :meth:`transaction`. All methods are thread-safe.
    """

    def __init__(
        self,
        path: Path,
        *,
        seed: Callable[[], Mapping[str, Mapping[str, Doc]]] | None = None,
        compact_min_bytes: int = 4 * 1024 * 1024,
        compact_ratio: float = 0.5,
        lock_timeout: float = 10.0,
        create: bool = True,
        tidy: bool = True,
        upgrade: bool = True,
    ) -> None:
        """Open (or, with ``create``, make from ``seed`` if given) the store at ``path``.

        With ``tidy`` (the default; ``doctor`` turns it off to report first), temporary files a
        crashed writer left behind are removed if the lock is free right now. With ``upgrade``
        (the default; ``doctor`` and ``store copy`` turn it off, as they read a store as it
        is), documents an earlier version wrote are brought up to date (``upgrade``).

        Raises StoreUnreadable when a file exists but cannot be parsed; it is left untouched.
        """
        self.path = Path(path)
        self.layout = StoreLayout(self.path)
        self.journal_path = self.layout.at(self.layout.journal)
        self.lock_path = self.layout.at(self.layout.lock)
        self.backup_path = self.layout.at(self.layout.backup)
        self.compact_min_bytes = compact_min_bytes
        self.compact_ratio = compact_ratio
        self._folder = Folder(self.path.parent)
        self._lock = InterProcessLock(self.lock_path, lock_timeout, self._folder)
        self._mutex = threading.RLock()
        self._tables: Tables = {}
        self._gen = 0
        self._snap_ino: tuple[int, int] = (0, 0)
        self._snap_bytes = 0
        self._seq = 0
        self._loaded_at: tuple[int, int] = (0, 0)
        self._journal: _Journal | None = None
        self._idx = Indexes()
        # Set under the lock when the snapshot or journal has another hard link: the save
        # then compacts, moving the store to new files (see _prepare_write).
        self._linked = False
        # The first look opens the folder: a missing one is reported here (StoreUnavailable).
        if self._folder.lstat(self.layout.snapshot) is None:
            if not create:
                raise StoreUnreadable(self.path, "the file does not exist", "Nothing was created.")
            self._create(seed)
        if tidy:
            self._tidy()
        self._load()
        if upgrade:
            self._upgrade()

    # --- opening -------------------------------------------------------------------------

    def _create(self, seed: Callable[[], Mapping[str, Mapping[str, Doc]]] | None) -> None:
        with self._lock.held():
            if self._folder.lstat(self.layout.snapshot) is not None:
                return  # another process created it while we waited
            if self._folder.lstat(self.layout.journal) is not None:
                raise StoreUnreadable(
                    self.path,
                    "the file is missing but its journal exists",
                    "Run 'contact-tui doctor --repair' to rebuild it from the backup and the "
                    "journal; nothing was created.",
                )
            tables: Tables = {t: {} for t in TABLES}
            if seed is not None:
                for name, table in seed().items():
                    tables.setdefault(name, {}).update(table)
            st = atomic_write(self.path, dump_snapshot(tables, 1), self._folder)
            self._write_journal_header(1, file_id(st))

    def _tidy(self) -> None:
        """Remove temporary files left by a writer that died, if the lock is free right now.

        Never waits for the lock, so opening never stalls behind a save (that writer removes
        them itself at its next save). Temporary files are written only under the lock, so
        while we hold it, any that exist are orphans.
        """
        try:
            if not any(self.layout.is_tmp(name) for name in self._folder.names()):
                return
        except OSError:
            return
        lock = InterProcessLock(self.lock_path, folder=self._folder)
        if lock.try_acquire():
            try:
                with contextlib.suppress(OSError):
                    remove_orphans(self._folder, self.layout)
            finally:
                lock.release()

    def _upgrade(self) -> None:
        """Bring a store an earlier version wrote (or wrote to) up to date: move each
        contact's old single ``notes`` field into a note, in one journal record, then compact,
        so the new snapshot holds the ``notes`` table and no contact holding the field, and no
        process upgrades it again (see ``contact_tui.store.upgrade``).

        Here, on open, because every process opens before it reads: the first one with write
        access does it, once, and the others catch up by reading what it wrote. Not at
        compaction (which runs only when the journal has grown, so agents would meanwhile see
        the old field and no notes) and not only in ``doctor --repair`` (which no one runs on
        a healthy store). Never waits: with the lock busy, or the store not writable now, the
        store is read as it is (the old field unread until it moves) and the next open tries
        again.
        """
        if not needs_upgrade(self._tables) or not self._lock.try_acquire():
            return
        try:
            with self._mutex:
                self._prepare_write()
                if not needs_upgrade(self._tables):
                    return  # another process upgraded it while we opened
                ops = notes_upgrade(
                    self._tables.get("contacts", {}),
                    self._tables.get("notes", {}),
                    docs.format_date(utcnow()),
                )
                if ops:
                    self._append(ops, UPGRADE_ACTOR)
                self._tables.setdefault("notes", {})
                self._compact()
        except (StoreError, OSError):
            pass  # not writable now: read as it is; a later open upgrades it
        finally:
            self._lock.release()

    def _load(self) -> None:
        """Read the snapshot and replay its journal; retry if a compaction ran meanwhile."""
        seen_ino: tuple[int, int] | None = None
        for _ in range(5):
            tables, gen, ino, size = read_snapshot(self.path, self._folder)
            journal, header = self._open_journal()
            if journal is not None and header is not None and header["generation"] > gen:
                os.close(journal.fd)
                if ino == seen_ino:
                    # No compaction replaced the snapshot between two reads: not a race, the
                    # snapshot really is older than its journal.
                    raise StoreUnreadable(
                        self.path,
                        f"it is generation {gen} but its journal {self.journal_path.name} "
                        f"continues generation {header['generation']}, so the file is an older "
                        "copy",
                        "Put back the newest copy, or run 'contact-tui doctor --repair' to "
                        "rebuild it from the backup and the journal; nothing was changed.",
                    )
                seen_ino = ino
                continue  # compacted between our two reads: read the new snapshot
            with self._mutex:
                self._close_journal()
                self._tables, self._gen, self._snap_ino, self._snap_bytes = tables, gen, ino, size
                self._seq = 0
                if journal is not None and header is not None and header_continues(header, gen):
                    self._journal = journal
                elif journal is not None:
                    os.close(journal.fd)  # stale: a writer sets it aside (see _prepare_write)
                with paused_gc():
                    self._read_records()
                    self._idx = Indexes.build(self._tables)
                    self._loaded_at = self.position()
                # Loaded documents live as long as the process: keep the GC from rescanning them.
                gc.freeze()
            return
        raise StoreUnreadable(self.path, "it kept changing while being read (compactions racing)")

    def _open_journal(self) -> tuple[_Journal | None, dict[str, Any] | None]:
        name = self.layout.journal
        try:
            fd, st = self._folder.open(name, os.O_RDWR | os.O_APPEND)
            writable = True
        except FileNotFoundError:
            return None, None
        except OSError as err:
            if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise StoreUnreadable(self.journal_path, err.strerror or str(err)) from err
            try:
                fd, st = self._folder.open(name, os.O_RDONLY)
            except OSError as err2:
                raise StoreUnreadable(self.journal_path, err2.strerror or str(err2)) from err2
            writable = False
        try:
            check_size(self.journal_path, st.st_size, st)
        except StoreError:
            os.close(fd)
            raise
        head = os.pread(fd, 4096, 0)
        end = head.find(b"\n")
        if end < 0:
            if st.st_size == 0 or len(head) < 4096:
                # An empty or torn header: a writer crashed while creating it.
                return _Journal(fd, file_id(st), st.st_size, writable), {"generation": -1}
            os.close(fd)
            raise StoreUnreadable(self.journal_path, "the first line is not a journal header")
        try:
            header = parse_header(head[:end])
        except FrameError as err:
            os.close(fd)
            raise StoreUnreadable(self.journal_path, f"line 1: {err}") from None
        return _Journal(fd, file_id(st), end + 1, writable), header

    def _write_journal_header(self, gen: int, snap_ino: tuple[int, int]) -> None:
        atomic_write(self.journal_path, journal_header(gen, snap_ino), self._folder)

    def _close_journal(self) -> None:
        if self._journal is not None:
            with contextlib.suppress(OSError):
                os.close(self._journal.fd)
            self._journal = None

    # --- following other processes ---------------------------------------------------------

    def _read_records(self) -> list[Change]:
        """Apply every complete record past our offset in the journal we follow."""
        with paused_gc():  # another agent's import can be one record of 100,000 contacts
            return self._read_records_now()

    def _read_records_now(self) -> list[Change]:
        j = self._journal
        if j is None:
            return []
        st = os.fstat(j.fd)
        size = st.st_size
        if size <= j.offset:
            return []
        check_size(self.journal_path, size, st)  # someone's gigabytes must not reach our memory
        chunk = os.pread(j.fd, size - j.offset, j.offset)
        changes: list[Change] = []
        base = j.offset
        try:
            # Complete lines only: a partial last one is a write under way, or a torn tail.
            for record, end in records(chunk, 0, self._seq):
                for op in record["ops"]:
                    changes.append(self._apply(op))
                # Offset and record number move together, record by record: after a damaged
                # line the next read starts at that line, not at records already applied.
                self._seq = record["seq"]
                j.offset = base + end
        except DamagedLine as err:
            raise JournalDamaged(
                self.journal_path, base + err.offset, self._seq + 2, err.reason
            ) from None
        return changes

    def _follow(self) -> list[Change]:
        """Catch up with other processes: new records, or a switch to a compacted journal."""
        try:
            changes = self._read_records()
        except JournalDamaged:
            j = self._journal
            st = self._folder.lstat(self.layout.journal)
            if j is None or st is None or file_id(st) == j.ino:
                raise
            # ``doctor --repair`` replaced the damaged journal with its good part (keeping
            # this one aside): start again from what is on disk now.
            self._load()
            return [Change(t, "*") for t in TABLES]
        # lstat: a symlink put in the journal's place is a new file to open (and refuse).
        st = self._folder.lstat(self.layout.journal)
        if self._journal is not None and st is not None and file_id(st) == self._journal.ino:
            return changes
        expected = self._gen
        if self._journal is not None:
            # The journal was replaced under the lock, so the old one is final: read it to the
            # end. Our state then equals the snapshot the compactor wrote, one generation on.
            changes += self._read_records()
            self._close_journal()
            if st is None:
                return changes  # journal removed by hand; a writer compacts (_prepare_write)
            expected = self._gen + 1
        if st is None:
            return changes
        journal, header = self._open_journal()
        if journal is None or header is None:
            return changes
        if header["generation"] == expected and (expected != self._gen or self._seq == 0):
            self._gen = expected
            if isinstance(header.get("snapshot"), list):
                self._snap_ino = (int(header["snapshot"][0]), int(header["snapshot"][1]))
            self._seq = 0
            self._journal = journal
            return changes + self._read_records()
        os.close(journal.fd)
        if header["generation"] < expected:
            return changes  # stale journal left by a crash mid-compaction; a writer fixes it
        self._load()  # we missed a whole generation: start again from the snapshot
        return [Change(t, "*") for t in TABLES]

    def refresh(self) -> list[Change]:
        """Take in what other processes committed since the last look; return what changed.

        Costs one ``fstat`` and one ``lstat`` when nothing changed, and otherwise time in
        proportion to the new records.
        """
        with self._mutex:
            return self._follow()

    # --- writing ---------------------------------------------------------------------------

    def _prepare_write(self) -> None:
        """Under the lock: be fully caught up, with a journal of our generation to append to."""
        remove_orphans(self._folder, self.layout)
        self._follow()
        snap = self._folder.lstat(self.layout.snapshot)
        if snap is None:
            raise StoreUnreadable(
                self.path,
                "the file has disappeared",
                "Run 'contact-tui doctor --repair' to rebuild it from the backup and the journal; "
                "nothing was written.",
            )
        snap_ino = file_id(snap)
        if snap_ino != self._snap_ino:
            # The snapshot was replaced without a new journal: a compaction crashed between its
            # two renames, or someone restored a file. Start again from what is on disk.
            self._load()
        j = self._journal
        if j is None:
            if self._seq > 0:
                self._compact()  # our memory holds records whose journal is gone: keep them
                return
            if self._folder.lstat(self.layout.journal) is not None:
                # Not ours to use, nor to lose: keep it under a new name.
                self._folder.set_aside(self.layout.journal, STALE)
            self._write_journal_header(self._gen, self._snap_ino)
            journal, _ = self._open_journal()
            self._journal = journal
            j = journal
        assert j is not None
        if not j.writable:
            self._reopen_for_writing(j)
        jst = os.fstat(j.fd)
        size = jst.st_size
        # A second name for the snapshot or journal is a backup link after a compaction that
        # stopped half way, or a link someone made to keep reading the store (perhaps after
        # leaving the group). Either way this save compacts: new files, which no link reaches.
        self._linked = snap.st_nlink > 1 or jst.st_nlink > 1
        if size < j.offset:
            # Cut back under us (``doctor --repair``): what we applied past the cut is gone.
            self._load()
            self._prepare_write()
            return
        if size > j.offset:
            # Bytes after the last complete record: a writer died mid-line. Not committed.
            os.ftruncate(j.fd, j.offset)
            os.fsync(j.fd)

    def _reopen_for_writing(self, j: _Journal) -> None:
        """Under the lock: the journal was opened read-only (no permission, or a read-only
        filesystem at the time). That may have been fixed since, so try again; if not, say
        why saving is impossible. Without this, a reader that opened the store during the
        fault could never save again."""
        try:
            fd, st = self._folder.open(self.layout.journal, os.O_RDWR | os.O_APPEND)
        except OSError as err:
            raise StoreUnavailable(describe_os_error(err, self.journal_path)) from err
        if file_id(st) != j.ino:  # replaced meanwhile (we follow it under the lock)
            os.close(fd)
            raise StoreUnavailable(
                f"The journal {self.journal_path} was replaced while being reopened; try again."
            )
        os.close(j.fd)
        j.fd, j.writable = fd, True

    def _append(self, ops: list[Op], actor: str) -> None:
        j = self._journal
        assert j is not None
        line = record_line(self._seq + 1, docs.format_date(utcnow()), actor, ops)
        try:
            view = memoryview(line)
            while view:
                written = os.write(j.fd, view)
                view = view[written:]
            os.fsync(j.fd)
        except OSError as err:
            # Take back whatever part of the line reached the file, so it is not half a record.
            with contextlib.suppress(OSError):
                os.ftruncate(j.fd, j.offset)
            raise StoreUnavailable(describe_os_error(err, self.journal_path)) from err
        with paused_gc():  # an import applies 200,000 operations here, under the lock
            for op in ops:
                self._apply(op)
        self._seq += 1
        j.offset += len(line)

    @contextlib.contextmanager
    def transaction(self, actor: str) -> Iterator[Transaction]:
        """Run a block of reads and writes as one atomic, durable change.

        The block sees the latest committed state (it runs under the inter-process lock).
        Writes are staged on the Transaction and committed as one journal record when the
        block ends without an exception; otherwise nothing is written.
        """
        with self._mutex:
            # Catch up before taking the lock: after another agent's big import that is
            # seconds of reading, which every other writer would otherwise wait out too.
            # Whatever this cannot read is met again, and explained, under the lock.
            with contextlib.suppress(StoreError, OSError):
                self._follow()
            with self._lock.held():
                self._prepare_write_or_explain()
                tx = Transaction(self._tables, self._idx, self)
                yield tx
                if tx.ops:
                    self._append(tx.ops, actor)
                    if tx.rewrite_files:
                        self._rewrite_files()
                    elif self._linked or self._should_compact():
                        self._compact_after_commit()

    def _prepare_write_or_explain(self) -> None:
        """``_prepare_write``, turning a bare OS error into a sentence naming the file."""
        try:
            self._prepare_write()
        except OSError as err:
            where = Path(os.fsdecode(err.filename)) if err.filename else self.journal_path
            raise StoreUnavailable(describe_os_error(err, where)) from err

    def _compact_after_commit(self) -> None:
        """Compact after a save. The save is already committed (its record is in the journal
        and fsynced), so a failure here (full disk, read-only folder) must not report it as
        failed: compaction is left for a later save, and every file is still consistent (see
        ``_compact``). The journal goes on growing meanwhile; ``doctor`` says why saves
        cannot compact it (no space, no write access)."""
        with contextlib.suppress(StoreError, OSError):
            self._compact()

    def _rewrite_files(self) -> None:
        """After an erasure: compact twice, so that no file of the folder holds what it
        removed: the first compaction writes a snapshot without it and backs up the files
        that held it, the second backs up the clean ones in their place. Unlike a routine
        compaction, a failure is reported: the erasure is committed, but the old files are
        still on disk."""
        try:
            self._compact()
            self._compact()
        except (StoreError, OSError) as err:
            raise StoreUnavailable(
                f"The erasure was saved, but the store's files in {self.path.parent} could "
                f"not be rewritten to drop the erased data ({err}): they hold it until a later "
                "save compacts the store; free space or fix the folder's write access, and "
                "tell your admin."
            ) from err

    def _should_compact(self) -> bool:
        j = self._journal
        if j is None:
            return False
        limit = max(self.compact_min_bytes, int(self._snap_bytes * self.compact_ratio))
        return j.offset > limit

    def compact(self) -> None:
        """Fold the journal into a new snapshot now (``doctor`` and tests use this)."""
        with self._mutex, self._lock.held():
            self._prepare_write_or_explain()
            self._compact()

    def _compact(self) -> None:
        """Under the lock: write snapshot generation+1, then a journal that names it.

        Interrupted at any point (a crash, a full disk) it leaves a consistent store: before the
        snapshot's rename, the old snapshot and journal; after it, a snapshot holding every
        record and a journal of the previous generation, which readers ignore and the next
        writer sets aside.
        """
        gen = self._gen + 1
        data = dump_snapshot(self._tables, gen)
        self._backup()
        snap_ino = file_id(atomic_write(self.path, data, self._folder))
        self._write_journal_header(gen, snap_ino)
        self._close_journal()
        self._gen, self._snap_ino, self._snap_bytes, self._seq = gen, snap_ino, len(data), 0
        self._linked = False
        journal, _ = self._open_journal()
        self._journal = journal

    def _backup(self) -> None:
        """Keep the snapshot and journal being replaced as .bak (hard links: no copying)."""
        folder, layout = self._folder, self.layout
        tmp = layout.backup_tmp(os.getpid())
        for src, dst in ((layout.snapshot, layout.backup), (layout.journal, layout.journal_backup)):
            with contextlib.suppress(OSError):
                folder.unlink(tmp)
            try:
                # Not following a symlink: what is linked is the name's own file.
                os.link(src, tmp, src_dir_fd=folder.fd, dst_dir_fd=folder.fd, follow_symlinks=False)
                folder.replace(tmp, dst)
            except OSError:
                with contextlib.suppress(OSError):
                    folder.unlink(tmp)

    # --- applying operations ---------------------------------------------------------------

    def _apply(self, op: Op) -> Change:
        kind, table, doc_id = op[0], op[1], op[2]
        rows = self._tables.setdefault(table, {})
        old = rows.get(doc_id)
        new: Doc | None = op[3] if kind == "put" else None
        if new is not None:
            rows[doc_id] = new
        else:
            rows.pop(doc_id, None)
        self._idx.update(table, doc_id, old, new, (self._gen, self._seq + 1))
        return Change(table, doc_id)

    # --- reads -----------------------------------------------------------------------------

    def position(self) -> tuple[int, int]:
        """Where this process has read up to: (snapshot generation, journal record). It
        changes with every commit, from any process, once it has been taken in."""
        return (self._gen, self._seq)

    def contact_ids_changed_since(self, position: tuple[int, int]) -> set[str] | None:
        """The contacts any process changed after ``position`` (as taken in so far), or None
        when the store was read afresh since, and so cannot tell."""
        if self._loaded_at > position:
            return None
        return {i for i, at in self._idx.changed_at.items() if at > position}

    def doc(self, table: str, doc_id: str) -> Doc | None:
        """A raw document (for the conversion layer and doctor only)."""
        with self._mutex:
            return self._tables.get(table, {}).get(doc_id)

    def contact_ids_by_key(self, key: str) -> list[str]:
        """Ids of the contacts indexed under an identity key, first-created first."""
        with self._mutex:
            ids = self._idx.by_key.get(key, ())
            contacts = self._tables.get("contacts", {})
            return sorted(ids, key=lambda i: docs.created_order_key(contacts[i]))

    def contact_ids_matching(
        self, needles: Iterable[str], limit: int, phone_literal: str | None = None
    ) -> tuple[list[str], int]:
        """Contacts whose names or emails contain every needle (case-folded), or whose kept
        (not E.164) phone text contains ``phone_literal`` (a quoted search): those whose
        folded last name starts with a needle first, then the others, each group in directory
        order; the first ``limit`` ids and how many matched, counted up to
        ``count_cap(limit) + 1``."""
        folded = [fold(n) for n in needles if n]
        cap = count_cap(limit) + 1
        with self._mutex:
            ordered = self._sorted()
            if not folded and not phone_literal:  # the whole directory: no need to look
                return [doc_id for _, doc_id in ordered[:limit]], min(len(ordered), cap)
            text, phones = self._idx.text, self._idx.phone_text
            # Every match: one pass over the folded texts for the first needle (a C-level
            # loop, about 10 ms at 100,000 contacts), the others only over what it found.
            found: set[str] = set()
            if folded:
                ids = [i for i, t in text.items() if folded[0] in t]
                for needle in folded[1:]:
                    ids = [i for i in ids if needle in text[i]]
                found.update(ids)
            if phone_literal:
                found.update(i for i, t in phones.items() if phone_literal in t)
            total, starts = min(len(found), cap), tuple(folded)
            if len(found) < cap:  # a few: sorted, a last name starting with a needle first
                contacts = self._tables.get("contacts", {})
                keys = sorted(docs.contact_doc_sort_key(contacts[i]) for i in found)
                keys.sort(key=lambda k: not k[0].startswith(starts))
                return [k[2] for k in keys[:limit]], total
            # Many: each needle's stretch of the directory (it is in last-name order, found by
            # bisection) up to the page's end, then the others walking the directory.
            first: set[int] = set()
            for needle in starts:
                at, hits = bisect.bisect_left(ordered, needle, key=_last_name), 0
                while at < len(ordered) and hits < limit and ordered[at][0][0].startswith(needle):
                    if ordered[at][1] in found:
                        first.add(at)
                        hits += 1
                    at += 1
            page = [ordered[at][1] for at in sorted(first)[:limit]]
            if len(page) < limit:
                rest = (
                    i for (last, _, _), i in ordered if i in found and not last.startswith(starts)
                )
                page += itertools.islice(rest, limit - len(page))
            return page, total

    def contact_ids_by_number(self, digits: str, limit: int) -> tuple[list[str], int]:
        """Contacts with a phone number holding the digit run ``digits`` (at least
        MIN_PARTIAL_DIGITS): those with a number ending in it first, then the others, each
        group in directory order; the first ``limit`` ids and how many matched, counted up to
        ``count_cap(limit) + 1``."""
        n, cap = MIN_PARTIAL_DIGITS, count_cap(limit) + 1
        with self._mutex:
            idx, contacts = self._idx, self._tables.get("contacts", {})
            numbers, ending = idx.digits, digits + " "
            key = docs.contact_doc_sort_key
            # Ending in the digits: a few contacts, straight from the index of numbers' ends.
            ends = idx.ends_in.get(digits[-n:], set())
            first = sorted(key(contacts[i]) for i in ends if ending in numbers[i])
            page = [k[2] for k in first[:limit]]
            # The others hold the query's rarest run of n digits; counted only up to the cap.
            runs = idx.digit_runs
            holders = min(
                (runs.get(digits[i : i + n], set()) for i in range(len(digits) - n + 1)), key=len
            )

            def inside(doc_id: str) -> bool:
                held = numbers[doc_id]
                return digits in held and ending not in held

            rest = list(itertools.islice(filter(inside, holders), max(cap - len(first), 0)))
            total = min(len(first) + len(rest), cap)
            need = limit - len(page)
            if need > 0 and total < cap:  # every match counted: sort the few
                page += [k[2] for k in sorted(key(contacts[i]) for i in rest)[:need]]
            elif need > 0:
                # Many match (a run most numbers hold, an area code): walk the directory to
                # the page's end rather than sort them all (100 ms at 100,000 contacts).
                walk = (i for _, i in self._sorted() if i in holders and inside(i))
                page += itertools.islice(walk, need)
            return page, total

    def _sorted(self) -> SortedIds:
        return self._idx.directory_order(self._tables.get("contacts", {}))

    def interaction_ids_for(self, agent: str) -> list[str]:
        """Ids of an agent's interactions, newest first."""
        with self._mutex:
            rows = self._tables.get("interactions", {})
            ids = self._idx.by_agent.get(agent, set())
            return sorted(ids, key=lambda i: str(rows[i].get("startedAt", "")), reverse=True)

    def interaction_ids_for_contact(self, contact_id: str) -> list[str]:
        """Ids of the interactions linked to a contact, newest first (ties by id, as the
        PostgreSQL store orders them)."""
        with self._mutex:
            rows = self._tables.get("interactions", {})
            ids = sorted(
                i
                for i in self._idx.by_contact.get(contact_id, ())
                if rows[i].get("contactId") == contact_id
            )
            return sorted(ids, key=lambda i: str(rows[i].get("startedAt", "")), reverse=True)

    def interaction_ids_naming(self, contact_ids: Iterable[str]) -> list[str]:
        """Ids of the interactions linked to, or offering as a candidate, any of
        ``contact_ids``, sorted (the index, as :meth:`Transaction.interaction_ids_naming`)."""
        with self._mutex:
            found: set[str] = set()
            for contact_id in set(contact_ids):
                found.update(self._idx.by_contact.get(contact_id, ()))
            return sorted(found)

    def note_ids_for(self, contact_id: str) -> list[str]:
        """Ids of a contact's notes, newest first."""
        with self._mutex:
            rows = self._tables.get("notes", {})
            ids = self._idx.notes_by_contact.get(contact_id, ())
            return sorted(ids, key=lambda i: docs.created_order_key(rows[i]), reverse=True)

    def audit_ids_for(self, contact_id: str) -> list[str]:
        """Ids of a contact's audit records, in the order they were written."""
        with self._mutex:
            return list(self._idx.audit_by_contact.get(contact_id, ()))

    def table_ids(self, table: str) -> list[str]:
        """Every id in a table (for expiry, export and doctor)."""
        with self._mutex:
            return list(self._tables.get(table, {}))

    def setting(self, name: str) -> Any:
        """An admin setting stored in the store, or None when never set."""
        with self._mutex:
            doc = self._tables.get("settings", {}).get(name)
            return None if doc is None else doc.get("value")

    def is_older(self) -> bool:
        """Whether the store is still as an earlier version wrote it (see ``upgrade``)."""
        with self._mutex:
            return is_older(self._tables)

    def stats(self) -> StoreStats:
        """Sizes and generation, for the header and ``doctor``."""
        with self._mutex:
            return StoreStats(
                contacts=len(self._tables.get("contacts", {})),
                interactions=len(self._tables.get("interactions", {})),
                audit=len(self._tables.get("audit", {})),
                generation=self._gen,
                journal_records=self._seq,
                journal_bytes=self._journal.offset if self._journal else 0,
                snapshot_bytes=self._snap_bytes,
                notes=len(self._tables.get("notes", {})),
            )

    def close(self) -> None:
        """Release the journal's and the folder's file handles (used again, the store reopens
        them)."""
        with self._mutex:
            self._close_journal()
            self._folder.close()


__all__ = ["Change", "JsonStore", "StoreStats"]
