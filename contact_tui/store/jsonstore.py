"""The embedded store: a TinyDB-format JSON snapshot plus a JSON-lines journal.

Layout, for a store at ``data/store.json`` (``layout.StoreLayout`` has every name)::

    store.json            snapshot in TinyDB's format: {"table": {"doc id": {...}}}
    store.json.journal    header line, then one line per committed transaction
    store.json.lock       flock'ed by writers; never deleted
    store.json.bak, store.json.journal.bak
                          the snapshot and journal as they were before the last compaction

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
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from contact_tui.bulk import paused_gc
from contact_tui.domain.clock import utcnow
from contact_tui.domain.text import fold
from contact_tui.store import documents as docs
from contact_tui.store.errors import (
    JournalDamaged,
    StoreError,
    StoreUnavailable,
    StoreUnreadable,
)
from contact_tui.store.files import (
    FILE_MODE,
    FrameError,
    InterProcessLock,
    atomic_write,
    describe_os_error,
    frame,
    remove_orphans,
    unframe,
)
from contact_tui.store.layout import STALE, StoreLayout
from contact_tui.store.safefs import Folder, check_size

FORMAT = 1
META = "_meta"
TABLES = ("contacts", "interactions", "audit", "settings")

Doc = dict[str, Any]
Op = list[Any]


@dataclass(frozen=True, slots=True)
class Change:
    """One document that changed: ``table`` and ``id``; ``id`` is '*' after a full reload."""

    table: str
    id: str


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


@dataclass
class _Indexes:
    """In-memory indexes over the contacts table, rebuilt at load and kept up to date."""

    by_key: dict[str, set[str]] = field(default_factory=dict)
    keys_of: dict[str, frozenset[str]] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    by_agent: dict[str, set[str]] = field(default_factory=dict)
    audit_by_contact: dict[str, list[str]] = field(default_factory=dict)
    sorted_ids: list[tuple[tuple[str, str, str], str]] | None = None
    # The position of the last record that changed each contact, since the store was loaded.
    changed_at: dict[str, tuple[int, int]] = field(default_factory=dict)


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
    ) -> None:
        """Open (or, with ``create``, make from ``seed`` if given) the store at ``path``.

        With ``tidy`` (the default; ``doctor`` turns it off to report first), temporary files a
        crashed writer left behind are removed if the lock is free right now.

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
        self._tables: dict[str, dict[str, Doc]] = {}
        self._gen = 0
        self._snap_ino: tuple[int, int] = (0, 0)
        self._snap_bytes = 0
        self._seq = 0
        self._loaded_at: tuple[int, int] = (0, 0)
        self._journal: _Journal | None = None
        self._idx = _Indexes()
        # Why the last compaction after a save failed (the save itself stood), or None.
        self.compaction_error: str | None = None
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
            tables: dict[str, dict[str, Doc]] = {t: {} for t in TABLES}
            if seed is not None:
                for name, table in seed().items():
                    tables.setdefault(name, {}).update(table)
            tables[META] = {"store": {"format": FORMAT, "generation": 1}}
            st = atomic_write(self.path, orjson.dumps(tables), self._folder)
            self._write_journal_header(1, _ino(st))

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

    def _read_snapshot(self) -> tuple[dict[str, dict[str, Doc]], int, tuple[int, int], int]:
        return read_snapshot(self.path, self._folder)

    def _load(self) -> None:
        """Read the snapshot and replay its journal; retry if a compaction ran meanwhile."""
        seen_ino: tuple[int, int] | None = None
        for _ in range(5):
            tables, gen, ino, size = self._read_snapshot()
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
                if journal is not None and header is not None and _header_matches(header, gen):
                    self._journal = journal
                elif journal is not None:
                    os.close(journal.fd)  # stale: a writer sets it aside (see _prepare_write)
                gc_was_enabled = gc.isenabled()
                gc.disable()
                try:
                    self._read_records()
                    self._rebuild_indexes()
                    self._loaded_at = self.position()
                finally:
                    if gc_was_enabled:
                        gc.enable()
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
            check_size(self.journal_path, st.st_size)
        except StoreError:
            os.close(fd)
            raise
        head = os.pread(fd, 4096, 0)
        end = head.find(b"\n")
        if end < 0:
            if st.st_size == 0 or len(head) < 4096:
                # An empty or torn header: a writer crashed while creating it.
                return _Journal(fd, _ino(st), st.st_size, writable), {"generation": -1}
            os.close(fd)
            raise StoreUnreadable(self.journal_path, "the first line is not a journal header")
        try:
            header = unframe(head[:end])
            if not isinstance(header, dict) or not isinstance(header.get("generation"), int):
                raise FrameError("the first line is not a journal header")
        except FrameError as err:
            os.close(fd)
            raise StoreUnreadable(self.journal_path, f"line 1: {err}") from None
        return _Journal(fd, _ino(st), end + 1, writable), header

    def _write_journal_header(self, gen: int, snap_ino: tuple[int, int]) -> None:
        header = {"contactTuiJournal": FORMAT, "generation": gen, "snapshot": list(snap_ino)}
        atomic_write(self.journal_path, frame(header), self._folder)

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
        size = os.fstat(j.fd).st_size
        if size <= j.offset:
            return []
        check_size(self.journal_path, size)  # someone's gigabytes must not reach our memory
        chunk = os.pread(j.fd, size - j.offset, j.offset)
        end = chunk.rfind(b"\n")
        if end < 0:
            return []  # only a partial line: a write under way, or a torn tail
        changes: list[Change] = []
        base = j.offset
        start = 0
        while start <= end:
            stop = chunk.index(b"\n", start)
            line = chunk[start:stop]
            try:
                record = unframe(line)
                ops = self._check_record(record)
            except FrameError as err:
                raise JournalDamaged(
                    self.journal_path, base + start, self._seq + 2, str(err)
                ) from None
            for op in ops:
                changes.append(self._apply(op))
            # Offset and record number move together, record by record: after a damaged line
            # the next read starts at that line, not at records already applied.
            self._seq = record["seq"]
            j.offset = base + stop + 1
            start = stop + 1
        return changes

    def _check_record(self, record: Any) -> list[Op]:
        return check_record(record, self._seq + 1)

    def _follow(self) -> list[Change]:
        """Catch up with other processes: new records, or a switch to a compacted journal."""
        try:
            changes = self._read_records()
        except JournalDamaged:
            j = self._journal
            st = self._folder.lstat(self.layout.journal)
            if j is None or st is None or _ino(st) == j.ino:
                raise
            # ``doctor --repair`` replaced the damaged journal with its good part (keeping
            # this one aside): start again from what is on disk now.
            self._load()
            return [Change(t, "*") for t in TABLES]
        # lstat: a symlink put in the journal's place is a new file to open (and refuse).
        st = self._folder.lstat(self.layout.journal)
        if self._journal is not None and st is not None and _ino(st) == self._journal.ino:
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
        snap_ino = _ino(snap)
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
        if _ino(st) != j.ino:  # replaced meanwhile (we follow it under the lock)
            os.close(fd)
            raise StoreUnavailable(
                f"The journal {self.journal_path} was replaced while being reopened; try again."
            )
        os.close(j.fd)
        j.fd, j.writable = fd, True

    def _append(self, ops: list[Op], actor: str) -> None:
        j = self._journal
        assert j is not None
        record = {
            "seq": self._seq + 1,
            "at": docs.format_date(utcnow()),
            "by": actor,
            "ops": ops,
        }
        line = frame(record)
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
                tx = Transaction(self)
                yield tx
                if tx.ops:
                    self._append(tx.ops, actor)
                    if self._linked or self._should_compact():
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
        ``_compact``). The reason is kept in ``compaction_error``."""
        try:
            self._compact()
        except (StoreError, OSError) as err:
            if isinstance(err, OSError):
                err = StoreUnavailable(describe_os_error(err, self.path))
            self.compaction_error = str(err)
        else:
            self.compaction_error = None

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
        tables: dict[str, Any] = dict(self._tables)
        tables[META] = {"store": {"format": FORMAT, "generation": gen}}
        data = orjson.dumps(tables)
        self._backup()
        snap_ino = _ino(atomic_write(self.path, data, self._folder))
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

    # --- applying operations and keeping indexes -------------------------------------------

    def _apply(self, op: Op) -> Change:
        kind, table, doc_id = op[0], op[1], op[2]
        rows = self._tables.setdefault(table, {})
        old = rows.get(doc_id)
        new: Doc | None = op[3] if kind == "put" else None
        if new is not None:
            rows[doc_id] = new
        else:
            rows.pop(doc_id, None)
        if table == "contacts":
            self._index_contact(doc_id, old, new)
            self._idx.changed_at[doc_id] = (self._gen, self._seq + 1)
        elif table == "interactions":
            self._index_interaction(doc_id, old, new)
        elif table == "audit" and new is not None and old is None:
            cid = new.get("contactId")
            if isinstance(cid, str):
                self._idx.audit_by_contact.setdefault(cid, []).append(doc_id)
        return Change(table, doc_id)

    def _index_contact(self, doc_id: str, old: Doc | None, new: Doc | None) -> None:
        idx = self._idx
        for key in idx.keys_of.pop(doc_id, frozenset()):
            ids = idx.by_key.get(key)
            if ids is not None:
                ids.discard(doc_id)
                if not ids:
                    del idx.by_key[key]
        idx.text.pop(doc_id, None)
        if (
            old is None
            or new is None
            or docs.contact_doc_sort_key(old) != docs.contact_doc_sort_key(new)
        ):
            idx.sorted_ids = None
        if new is None:
            return
        keys = frozenset(docs.contact_doc_keys(new))
        idx.keys_of[doc_id] = keys
        for key in keys:
            idx.by_key.setdefault(key, set()).add(doc_id)
        idx.text[doc_id] = docs.contact_doc_search_text(new)

    def _index_interaction(self, doc_id: str, old: Doc | None, new: Doc | None) -> None:
        by_agent = self._idx.by_agent
        if old is not None and isinstance(old.get("agent"), str):
            by_agent.get(old["agent"], set()).discard(doc_id)
        if new is not None and isinstance(new.get("agent"), str):
            by_agent.setdefault(new["agent"], set()).add(doc_id)

    def _rebuild_indexes(self) -> None:
        self._idx = _Indexes()
        for doc_id, doc in self._tables.get("contacts", {}).items():
            self._index_contact(doc_id, None, doc)
        for doc_id, doc in self._tables.get("interactions", {}).items():
            self._index_interaction(doc_id, None, doc)
        for doc_id, doc in self._tables.get("audit", {}).items():
            cid = doc.get("contactId") if isinstance(doc, dict) else None
            if isinstance(cid, str):
                self._idx.audit_by_contact.setdefault(cid, []).append(doc_id)

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

    def contact_ids_matching(self, needles: Iterable[str], limit: int) -> tuple[list[str], int]:
        """Contacts whose names or emails contain every needle (case-folded), in directory
        order: the first ``limit`` ids and how many matched in all."""
        folded = [fold(n) for n in needles if n]
        with self._mutex:
            ordered = self._sorted()
            if not folded:  # the whole directory: no need to look at each
                return [doc_id for _, doc_id in ordered[:limit]], len(ordered)
            text = self._idx.text
            hits: list[str] = []
            total = 0
            for _, doc_id in ordered:
                haystack = text.get(doc_id, "")
                if all(n in haystack for n in folded):
                    total += 1
                    if len(hits) < limit:
                        hits.append(doc_id)
            return hits, total

    def _sorted(self) -> list[tuple[tuple[str, str, str], str]]:
        if self._idx.sorted_ids is None:
            contacts = self._tables.get("contacts", {})
            self._idx.sorted_ids = sorted(
                (docs.contact_doc_sort_key(d), i) for i, d in contacts.items()
            )
        return self._idx.sorted_ids

    def contact_position(self, doc_id: str) -> int:
        """Where a contact falls in directory order (for keeping a selection in view)."""
        with self._mutex:
            doc = self._tables.get("contacts", {}).get(doc_id)
            if doc is None:
                return -1
            return bisect.bisect_left(self._sorted(), (docs.contact_doc_sort_key(doc), doc_id))

    def interaction_ids_for(self, agent: str) -> list[str]:
        """Ids of an agent's interactions, newest first."""
        with self._mutex:
            rows = self._tables.get("interactions", {})
            ids = self._idx.by_agent.get(agent, set())
            return sorted(ids, key=lambda i: str(rows[i].get("startedAt", "")), reverse=True)

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
            )

    def close(self) -> None:
        """Release the journal's and the folder's file handles (used again, the store reopens
        them)."""
        with self._mutex:
            self._close_journal()
            self._folder.close()


class Transaction:
    """Reads and staged writes inside :meth:`JsonStore.transaction`.

    Reads see the committed state plus this transaction's own staged writes.
    """

    def __init__(self, store: JsonStore) -> None:
        self._store = store
        self._staged: dict[tuple[str, str], Doc | None] = {}
        # Identity keys of staged contacts, indexed when first looked up (and then as contacts
        # are staged), so a lookup costs the same whether the transaction holds one contact or
        # a 100,000-row import, and a transaction that never looks up pays nothing.
        self._staged_keys: dict[str, set[str]] = {}
        self._unindexed: list[tuple[str, Doc | None, Doc | None]] = []
        self.ops: list[Op] = []

    def get(self, table: str, doc_id: str) -> Doc | None:
        """A document as this transaction sees it."""
        if (table, doc_id) in self._staged:
            return self._staged[(table, doc_id)]
        return self._store._tables.get(table, {}).get(doc_id)

    def put(self, table: str, doc_id: str, doc: Doc) -> None:
        """Stage a whole-document write."""
        self._stage(table, doc_id, doc)
        self.ops.append(["put", table, doc_id, doc])

    def delete(self, table: str, doc_id: str) -> None:
        """Stage a delete."""
        self._stage(table, doc_id, None)
        self.ops.append(["del", table, doc_id])

    def _stage(self, table: str, doc_id: str, doc: Doc | None) -> None:
        if table == "contacts":
            self._unindexed.append((doc_id, self._staged.get((table, doc_id)), doc))
        self._staged[(table, doc_id)] = doc

    def _index_staged(self) -> None:
        for doc_id, before, doc in self._unindexed:
            if before is not None:
                for key in docs.contact_doc_keys(before):
                    self._staged_keys.get(key, set()).discard(doc_id)
            if doc is not None:
                for key in docs.contact_doc_keys(doc):
                    self._staged_keys.setdefault(key, set()).add(doc_id)
        self._unindexed.clear()

    def contact_ids_by_key(self, key: str) -> list[str]:
        """Like :meth:`JsonStore.contact_ids_by_key`, counting staged contacts too."""
        self._index_staged()
        # Committed contacts under the key, unless this transaction changed them; then the
        # staged contacts under it.
        ids = {
            i for i in self._store._idx.by_key.get(key, ()) if ("contacts", i) not in self._staged
        }
        ids.update(self._staged_keys.get(key, ()))
        found = [(i, d) for i in ids if (d := self.get("contacts", i)) is not None]
        found.sort(key=lambda pair: docs.created_order_key(pair[1]))
        return [i for i, _ in found]

    def position(self) -> tuple[int, int]:
        """The committed position this transaction reads (see JsonStore.position)."""
        return self._store.position()

    def contact_ids_changed_since(self, position: tuple[int, int]) -> set[str] | None:
        """See :meth:`JsonStore.contact_ids_changed_since` (committed changes only)."""
        return self._store.contact_ids_changed_since(position)

    def table_ids(self, table: str) -> list[str]:
        """Every id in a table as this transaction sees it."""
        ids = set(self._store._tables.get(table, {}))
        for (t, doc_id), doc in self._staged.items():
            if t == table:
                (ids.add if doc is not None else ids.discard)(doc_id)
        return list(ids)


def _ino(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def _header_matches(header: Mapping[str, Any], gen: int) -> bool:
    """Whether a journal header continues snapshot generation ``gen``.

    Only the generation decides. The inode the header names is not required to match: a copy
    of the folder (a restore from backup, a move to another disk) has new inode numbers, and
    ignoring the journal there would silently drop every change since the last compaction.
    Every writer makes a new generation on disk only through ``_compact`` (snapshot first,
    then journal), so a journal of generation ``gen`` continues exactly that snapshot.
    """
    return header.get("generation") == gen


def check_record(record: Any, seq: int) -> list[Op]:
    """The operations of journal record number ``seq``, or FrameError saying what is off."""
    if not isinstance(record, dict) or not isinstance(record.get("ops"), list):
        raise FrameError("the record has no list of operations")
    if record.get("seq") != seq:
        raise FrameError(f"expected record {seq}, found {record.get('seq')!r}")
    ops = record["ops"]
    for op in ops:
        ok = (
            isinstance(op, list)
            and len(op) in (3, 4)
            and op[0] in ("put", "del")
            and isinstance(op[1], str)
            and isinstance(op[2], str)
            and (op[0] == "del" or (len(op) == 4 and isinstance(op[3], dict)))
        )
        if not ok:
            raise FrameError(f"malformed operation {str(op)[:80]}")
    checked: list[Op] = ops
    return checked


def _read_file(path: Path, folder: Folder | None) -> tuple[bytes, os.stat_result]:
    """The whole of the store file ``path``, read safely (see ``safefs``) from ``folder`` (its
    folder, or opened here). Raises StoreUnreadable naming ``path``; one caused by the OS
    (no permission) has that OSError as its cause."""
    opened = folder or Folder(path.parent)
    try:
        return opened.read(path.name)
    except FileNotFoundError:
        raise StoreUnreadable(path, "the file does not exist") from None
    except OSError as err:
        raise StoreUnreadable(path, err.strerror or str(err)) from err
    finally:
        if folder is None:
            opened.close()


def read_snapshot(
    path: Path, folder: Folder | None = None
) -> tuple[dict[str, dict[str, Doc]], int, tuple[int, int], int]:
    """Parse a snapshot file: its tables, generation, (device, inode) and size in bytes.

    Raises StoreUnreadable naming ``path`` and what is wrong with it.
    """
    raw, st = _read_file(path, folder)
    ino = _ino(st)
    if not raw.strip():
        raise StoreUnreadable(path, "the file is empty")
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a 64 MB parse is 2-3x slower with the cyclic GC scanning it
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise StoreUnreadable(path, f"it is not valid JSON ({err})") from None
    finally:
        if gc_was_enabled:
            gc.enable()
    tables, gen = _check_snapshot(path, data)
    return tables, gen, ino, len(raw)


@dataclass
class JournalFile:
    """A journal read whole (for ``doctor``): its header and its good records, in order."""

    path: Path
    header: dict[str, Any]
    ino: tuple[int, int]
    records: list[dict[str, Any]]
    damage: str | None  # why reading stopped before the end, or None
    torn: int  # bytes of an unfinished last line (never committed)


def read_journal(path: Path, folder: Folder | None = None) -> JournalFile:
    """Read a journal file whole, stopping at the first damaged record.

    Raises StoreUnreadable when the file cannot be read or its header line is not one.
    """
    raw, st = _read_file(path, folder)
    ino = _ino(st)
    end = raw.find(b"\n")
    if end < 0:
        raise StoreUnreadable(path, "the first line is not a journal header")
    try:
        header = unframe(raw[:end])
        if not isinstance(header, dict) or not isinstance(header.get("generation"), int):
            raise FrameError("the first line is not a journal header")
    except FrameError as err:
        raise StoreUnreadable(path, f"line 1: {err}") from None
    records: list[dict[str, Any]] = []
    damage = None
    start = end + 1
    while (stop := raw.find(b"\n", start)) >= 0:
        try:
            record = unframe(raw[start:stop])
            check_record(record, len(records) + 1)
        except FrameError as err:
            damage = f"line {len(records) + 2} (byte {start}) is damaged: {err}"
            break
        records.append(record)
        start = stop + 1
    torn = 0 if damage else len(raw) - start
    return JournalFile(path, header, ino, records, damage, torn)


def apply_ops(tables: dict[str, dict[str, Doc]], ops: Iterable[Op]) -> None:
    """Apply journal operations to plain tables (no indexes)."""
    for op in ops:
        rows = tables.setdefault(op[1], {})
        if op[0] == "put":
            rows[op[2]] = op[3]
        else:
            rows.pop(op[2], None)


def snapshot_bytes(tables: Mapping[str, Mapping[str, Doc]], gen: int) -> bytes:
    """A snapshot file's content for ``tables`` as generation ``gen``."""
    out: dict[str, Any] = {k: v for k, v in tables.items() if k != META}
    out[META] = {"store": {"format": FORMAT, "generation": gen}}
    return orjson.dumps(out)


def journal_header(gen: int, snapshot: os.stat_result) -> bytes:
    """The header line of a new journal continuing the snapshot file whose status is
    ``snapshot`` (as ``atomic_write`` returns it)."""
    return frame({"contactTuiJournal": FORMAT, "generation": gen, "snapshot": list(_ino(snapshot))})


def _check_snapshot(path: Path, data: Any) -> tuple[dict[str, dict[str, Doc]], int]:
    """The tables and generation of a parsed snapshot, or StoreUnreadable saying what is off."""
    if not isinstance(data, dict):
        raise StoreUnreadable(path, f"the top level is a JSON {type(data).__name__}, not an object")
    meta = data.get(META)
    store_meta = meta.get("store") if isinstance(meta, dict) else None
    if not isinstance(store_meta, dict) or not isinstance(store_meta.get("generation"), int):
        raise StoreUnreadable(
            path,
            "it is not a contact-tui store (no _meta table)",
            "Point the config at a contact-tui store, or import this file with "
            "'contact-tui import'.",
        )
    if store_meta.get("format") != FORMAT:
        raise StoreUnreadable(
            path, f"it has format {store_meta.get('format')!r}; this version reads {FORMAT}"
        )
    for name, table in data.items():
        if not isinstance(table, dict):
            raise StoreUnreadable(path, f"table {name!r} is not an object")
        for doc_id, doc in table.items():
            if not isinstance(doc, dict):
                raise StoreUnreadable(
                    path, f"document {doc_id!r} in table {name!r} is not an object"
                )
    for name in TABLES:
        data.setdefault(name, {})
    return data, store_meta["generation"]


__all__ = [
    "FILE_MODE",
    "Change",
    "JournalFile",
    "JsonStore",
    "StoreStats",
    "Transaction",
    "apply_ops",
    "check_record",
    "journal_header",
    "read_journal",
    "read_snapshot",
    "snapshot_bytes",
]
