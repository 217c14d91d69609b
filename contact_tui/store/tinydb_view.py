"""Open a store snapshot with TinyDB itself, read-only, for scripts and ad hoc queries.

The snapshot is a TinyDB database whose document ids are UUID strings rather than TinyDB's
default integers, so it needs a table class that keeps ids as text. It shows the state as of
the last compaction: records still in the journal are not in it (``contact-tui doctor`` and
the app read both).

The file is read the store's way (no symlink followed, a regular file of bounded size, see
``safefs``) into TinyDB's memory storage, so writes through the database never reach it.
"""

from __future__ import annotations

from pathlib import Path

from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Table

from contact_tui.store.format import read_snapshot


class StrIdTable(Table):
    """A TinyDB table whose document ids are the store's UUID strings."""

    document_id_class = str  # type: ignore[assignment]  # TinyDB's stubs say int only


class SnapshotDB(TinyDB):
    """TinyDB over a store snapshot, with string document ids."""

    table_class = StrIdTable


def open_tinydb(path: Path) -> TinyDB:
    """The snapshot at ``path`` as a TinyDB database in memory (the file is never written).

    Raises StoreUnreadable, as the store does, for a file that is not a sound snapshot.
    """
    tables = read_snapshot(path)[0]
    db = SnapshotDB(storage=MemoryStorage)
    db.storage.write(tables)
    return db
