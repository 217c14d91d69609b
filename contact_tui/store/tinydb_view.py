"""Open a store snapshot with TinyDB itself, read-only, for scripts and ad hoc queries.

The snapshot is a TinyDB database whose document ids are UUID strings rather than TinyDB's
default integers, so it needs a table class that keeps ids as text. It shows the state as of
the last compaction: records still in the journal are not in it (``contact-tui doctor`` and
the app read both).
"""

from __future__ import annotations

from pathlib import Path

from tinydb import TinyDB
from tinydb.table import Table


class StrIdTable(Table):
    """A TinyDB table whose document ids are the store's UUID strings."""

    document_id_class = str  # type: ignore[assignment]  # TinyDB's stubs say int only


class SnapshotDB(TinyDB):
    """TinyDB over a store snapshot, with string document ids."""

    table_class = StrIdTable


def open_tinydb(path: Path) -> TinyDB:
    """The snapshot at ``path`` as a read-only TinyDB database."""
    return SnapshotDB(str(path), access_mode="r")
