"""The names of the files an embedded store keeps in its folder, spelled once.

For a store at ``data/store.json``::

    store.json              snapshot in TinyDB's format
    store.json.journal      header line, then one line per committed transaction
    store.json.lock         flock'ed by writers; never deleted
    store.json.bak          the snapshot before the last compaction
    store.json.journal.bak  the journal before the last compaction
    store.json.damaged-N, store.json.journal.damaged-N
                            kept by ``doctor --repair`` before it rebuilt or cut a file
    store.json.journal.stale-N
                            a journal set aside after a crash during compaction
    .store.json.tmp-*, .store.json.journal.tmp-*
                            being written (or left by a writer that died)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TMP_MARK = ".tmp-"
DAMAGED = "damaged"
STALE = "stale"


def aside_prefix(name: str, suffix: str) -> str:
    """The start of the names the file ``name`` is kept under when set aside as ``suffix``
    (DAMAGED or STALE); the N-th is this prefix and N."""
    return f"{name}.{suffix}-"


def tmp_prefix(target: str) -> str:
    """The prefix of the temporary files written to replace the file named ``target`` (any
    file written by ``safefs.replace_file``: store files and exports alike)."""
    return f".{target}{TMP_MARK}"


@dataclass(frozen=True)
class StoreLayout:
    """Where each file of the store at ``path`` lives: names inside ``folder``, and paths for
    messages. Files are always opened by name relative to the folder (see ``safefs``)."""

    path: Path

    @property
    def folder(self) -> Path:
        """The store's folder."""
        return self.path.parent

    @property
    def snapshot(self) -> str:
        """The snapshot's name."""
        return self.path.name

    @property
    def journal(self) -> str:
        """The journal's name."""
        return f"{self.path.name}.journal"

    @property
    def lock(self) -> str:
        """The lock file's name."""
        return f"{self.path.name}.lock"

    @property
    def backup(self) -> str:
        """The name of the snapshot kept at the last compaction."""
        return f"{self.path.name}.bak"

    @property
    def journal_backup(self) -> str:
        """The name of the journal kept at the last compaction."""
        return f"{self.journal}.bak"

    @property
    def regular_files(self) -> tuple[str, ...]:
        """Every name that, when present, must be a regular file the store may open."""
        return (self.snapshot, self.journal, self.lock, self.backup, self.journal_backup)

    def is_stale_journal(self, name: str) -> bool:
        """Whether ``name`` is a journal set aside after a crash during compaction."""
        return name.startswith(aside_prefix(self.journal, STALE))

    def at(self, name: str) -> Path:
        """The path of ``name`` in the folder (for messages and tests)."""
        return self.folder / name

    def tmp_prefix(self, target: str) -> str:
        """The prefix of the temporary files written to replace ``target``."""
        return tmp_prefix(target)

    def is_tmp(self, name: str) -> bool:
        """Whether ``name`` is a temporary file of this store (its snapshot's, backups' or
        journal's)."""
        return name.startswith((self.tmp_prefix(self.snapshot), self.tmp_prefix(self.journal)))

    def backup_tmp(self, pid: int) -> str:
        """The temporary name a compaction links a file to before renaming it to a backup."""
        return f"{self.tmp_prefix(self.snapshot)}bak-{pid}"


__all__ = ["DAMAGED", "STALE", "TMP_MARK", "StoreLayout", "aside_prefix", "tmp_prefix"]
