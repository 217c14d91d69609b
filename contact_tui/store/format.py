"""The embedded store's on-disk format, written and read here only: by the engine
(``jsonstore``) and by ``doctor``, which must agree on every byte.

The snapshot is TinyDB's format, ``{"table": {"doc id": {...}}}``, plus a ``_meta`` table
naming the format and the snapshot's generation, so ``tinydb_view`` can open it with TinyDB.

The journal is one record a line: eight hex digits of CRC-32 over the JSON, a space, the JSON,
a newline. A line without its newline is a write still under way (or a crash); a complete line
whose checksum does not match is damage. The first line is a header naming the snapshot
generation the records apply to (and that snapshot's inode, for people reading the file);
record N (from 1) holds ``seq`` N and a list of operations, ``["put", table, id, doc]`` or
``["del", table, id]``, all committed together.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from contact_tui.bulk import paused_gc
from contact_tui.store.errors import StoreUnreadable
from contact_tui.store.safefs import Folder

FORMAT = 1
META = "_meta"
# merges: each merged-away contact's id -> the contact it was merged into and what the merge
# did (issue 13), so an id that is gone still finds its customer and a merge can be undone.
TABLES = ("contacts", "interactions", "audit", "settings", "notes", "merges")
# Tables later versions added whose absence means the store must be brought up to date
# (contact notes, issue 13). A snapshot an earlier version wrote lacks them, and reading it
# leaves them out (every reader takes a missing table as empty), so the store can tell it must
# be upgraded (``contact_tui.store.upgrade``). ``merges`` (issue 13 too) is not among them: a
# store without it has no merge to bring up to date, so reading fills it in empty, whether or
# not the snapshot has ``notes`` (and the notes upgrade leaves a snapshot's merges as they are).
LATER_TABLES = ("notes",)

Doc = dict[str, Any]
Op = list[Any]
Tables = dict[str, dict[str, Doc]]


def file_id(st: os.stat_result) -> tuple[int, int]:
    """A file's (device, inode): which file a name held, whatever it is called now."""
    return (st.st_dev, st.st_ino)


# --- the snapshot --------------------------------------------------------------------------


def dump_snapshot(tables: Mapping[str, Mapping[str, Doc]], gen: int) -> bytes:
    """A snapshot file's content for ``tables`` as generation ``gen``."""
    out: dict[str, Any] = dict(tables)
    out[META] = {"store": {"format": FORMAT, "generation": gen}}
    return orjson.dumps(out)


def parse_snapshot(path: Path, raw: bytes) -> tuple[Tables, int]:
    """The tables and generation in the snapshot bytes ``raw``, or StoreUnreadable naming
    ``path`` and what is wrong with them."""
    if not raw.strip():
        raise StoreUnreadable(path, "the file is empty")
    with paused_gc():  # a 64 MB parse is 2-3x slower with the cyclic GC scanning it
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as err:
            raise StoreUnreadable(path, f"it is not valid JSON ({err})") from None
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
        if name not in LATER_TABLES:
            data.setdefault(name, {})
    return data, store_meta["generation"]


def read_snapshot(
    path: Path, folder: Folder | None = None
) -> tuple[Tables, int, tuple[int, int], int]:
    """Read and parse a snapshot file: its tables, generation, (device, inode) and size in
    bytes. Raises StoreUnreadable naming ``path`` and what is wrong with it."""
    raw, st = _read_file(path, folder)
    tables, gen = parse_snapshot(path, raw)
    return tables, gen, file_id(st), len(raw)


# --- journal lines -------------------------------------------------------------------------


class FrameError(ValueError):
    """A complete journal line that does not check out."""


class DamagedLine(FrameError):
    """A journal record that does not check out, ``offset`` bytes into what was read."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


def frame(record: Any) -> bytes:
    """One journal line for ``record``."""
    payload = orjson.dumps(record)
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


def unframe(line: bytes) -> Any:
    """The record in one complete journal line (without its newline)."""
    if len(line) < 10 or line[8:9] != b" ":
        raise FrameError("the line is not a journal record")
    payload = line[9:]
    try:
        expected = int(line[:8], 16)
    except ValueError:
        raise FrameError("the checksum is not hexadecimal") from None
    if zlib.crc32(payload) != expected:
        raise FrameError("the checksum does not match (the line was changed or damaged)")
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        raise FrameError(f"the record is not JSON ({err})") from None


def journal_header(gen: int, snapshot: tuple[int, int]) -> bytes:
    """The header line of a new journal continuing snapshot generation ``gen``, whose file
    is ``snapshot`` (see :func:`file_id`)."""
    return frame({"contactTuiJournal": FORMAT, "generation": gen, "snapshot": list(snapshot)})


def parse_header(line: bytes) -> dict[str, Any]:
    """The header in a journal's first line (without its newline), or FrameError."""
    header = unframe(line)
    if not isinstance(header, dict) or not isinstance(header.get("generation"), int):
        raise FrameError("the first line is not a journal header")
    return header


def header_continues(header: Mapping[str, Any], gen: int) -> bool:
    """Whether a journal with ``header`` continues snapshot generation ``gen``.

    Only the generation decides. The inode the header names is not required to match: a copy
    of the folder (a restore from backup, a move to another disk) has new inode numbers, and
    ignoring the journal there would silently drop every change since the last compaction.
    Every writer makes a new generation on disk only by compacting (snapshot first, then
    journal), so a journal of generation ``gen`` continues exactly that snapshot.
    """
    return header.get("generation") == gen


def record_line(seq: int, at: str, by: str, ops: list[Op]) -> bytes:
    """The journal line of record number ``seq``: ``ops`` committed by ``by`` at ``at``."""
    return frame({"seq": seq, "at": at, "by": by, "ops": ops})


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


def records(data: bytes, start: int, seq: int) -> Iterator[tuple[dict[str, Any], int]]:
    """The records in the complete lines of ``data`` from offset ``start``, the first being
    number ``seq + 1``: each with the offset just past its line. An unfinished last line is
    left alone; a damaged line raises DamagedLine at its offset, after the good ones before
    it were yielded."""
    while (stop := data.find(b"\n", start)) >= 0:
        try:
            record = unframe(data[start:stop])
            check_record(record, seq + 1)
        except FrameError as err:
            raise DamagedLine(start, str(err)) from None
        seq += 1
        start = stop + 1
        yield record, start


def apply_ops(tables: dict[str, dict[str, Doc]], ops: Iterable[Op]) -> None:
    """Apply journal operations to plain tables (no indexes)."""
    for op in ops:
        rows = tables.setdefault(op[1], {})
        if op[0] == "put":
            rows[op[2]] = op[3]
        else:
            rows.pop(op[2], None)


# --- a journal read whole ------------------------------------------------------------------


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
    end = raw.find(b"\n")
    if end < 0:
        raise StoreUnreadable(path, "the first line is not a journal header")
    try:
        header = parse_header(raw[:end])
    except FrameError as err:
        raise StoreUnreadable(path, f"line 1: {err}") from None
    good: list[dict[str, Any]] = []
    damage = None
    read_to = end + 1  # just past the last good record
    try:
        for record, past in records(raw, read_to, 0):
            good.append(record)
            read_to = past
    except DamagedLine as err:
        damage = f"line {len(good) + 2} (byte {err.offset}) is damaged: {err.reason}"
    torn = 0 if damage else len(raw) - read_to
    return JournalFile(path, header, file_id(st), good, damage, torn)


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


__all__ = [
    "FORMAT",
    "LATER_TABLES",
    "META",
    "TABLES",
    "DamagedLine",
    "Doc",
    "FrameError",
    "JournalFile",
    "Op",
    "Tables",
    "apply_ops",
    "check_record",
    "dump_snapshot",
    "file_id",
    "frame",
    "header_continues",
    "journal_header",
    "parse_header",
    "parse_snapshot",
    "read_journal",
    "read_snapshot",
    "record_line",
    "unframe",
]
