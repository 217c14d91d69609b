"""A transaction of the embedded store: reads, and writes staged until it commits.

``JsonStore.transaction`` makes one under the store's lock and, when the block ends without
an exception, appends its operations to the journal as one record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from contact_tui.domain import codec as docs
from contact_tui.store.format import Doc, Op
from contact_tui.store.indexes import Indexes, interaction_refs


class Committed(Protocol):
    """What a transaction asks the store about its committed state."""

    def position(self) -> tuple[int, int]:
        """See :meth:`JsonStore.position`."""
        ...

    def contact_ids_changed_since(self, position: tuple[int, int]) -> set[str] | None:
        """See :meth:`JsonStore.contact_ids_changed_since`."""
        ...


class Transaction:
    """Reads and staged writes inside :meth:`JsonStore.transaction`.

    Reads see the committed state plus this transaction's own staged writes. ``tables`` and
    ``indexes`` are the store's own (live, not copies): nothing else changes them while the
    transaction holds the store.
    """

    def __init__(
        self,
        tables: Mapping[str, Mapping[str, Doc]],
        indexes: Indexes,
        committed: Committed,
    ) -> None:
        self._tables = tables
        self._idx = indexes
        self._committed = committed
        self._staged: dict[tuple[str, str], Doc | None] = {}
        # Identity keys of staged contacts, indexed when first looked up (and then as contacts
        # are staged), so a lookup costs the same whether the transaction holds one contact or
        # a 100,000-row import, and a transaction that never looks up pays nothing.
        self._staged_keys: dict[str, set[str]] = {}
        self._unindexed: list[tuple[str, Doc | None, Doc | None]] = []
        # Interactions staged here: the committed index does not know what they name now.
        self._staged_interactions: set[str] = set()
        self.ops: list[Op] = []
        # Set by a write whose data must leave every file of the store (an erasure): the
        # store then rewrites its files after the commit (see JsonStore.transaction).
        self.rewrite_files = False

    def get(self, table: str, doc_id: str) -> Doc | None:
        """A document as this transaction sees it."""
        if (table, doc_id) in self._staged:
            return self._staged[(table, doc_id)]
        return self._tables.get(table, {}).get(doc_id)

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
        elif table == "interactions":
            self._staged_interactions.add(doc_id)
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
        ids = {i for i in self._idx.by_key.get(key, ()) if ("contacts", i) not in self._staged}
        ids.update(self._staged_keys.get(key, ()))
        found = [(i, d) for i in ids if (d := self.get("contacts", i)) is not None]
        found.sort(key=lambda pair: docs.created_order_key(pair[1]))
        return [i for i, _ in found]

    def interaction_ids_naming(self, contact_ids: Iterable[str]) -> list[str]:
        """The interactions linked to, or offering as a candidate, any of ``contact_ids``, as
        this transaction sees them (sorted, for a stable order of writes)."""
        wanted = set(contact_ids)
        found: set[str] = set()
        for contact_id in wanted:
            found.update(self._idx.by_contact.get(contact_id, ()))
        found -= self._staged_interactions
        for doc_id in self._staged_interactions:
            if interaction_refs(self._staged[("interactions", doc_id)]) & wanted:
                found.add(doc_id)
        return sorted(found)

    def position(self) -> tuple[int, int]:
        """The committed position this transaction reads (see JsonStore.position)."""
        return self._committed.position()

    def contact_ids_changed_since(self, position: tuple[int, int]) -> set[str] | None:
        """See :meth:`JsonStore.contact_ids_changed_since` (committed changes only)."""
        return self._committed.contact_ids_changed_since(position)

    def note_ids_of(self, contact_id: str) -> list[str]:
        """The committed notes of a contact that this transaction has not deleted or moved to
        another contact."""
        ids = self._idx.notes_by_contact.get(contact_id, ())
        return [
            i for i in ids if (doc := self.get("notes", i)) and doc.get("entityId") == contact_id
        ]

    def audit_ids_of(self, contact_id: str) -> list[str]:
        """The committed audit records of a contact (from the index; records staged in this
        transaction are not in it)."""
        return list(self._idx.audit_by_contact.get(contact_id, ()))

    def table_ids(self, table: str) -> list[str]:
        """Every id in a table as this transaction sees it."""
        ids = set(self._tables.get(table, {}))
        for (t, doc_id), doc in self._staged.items():
            if t == table:
                (ids.add if doc is not None else ids.discard)(doc_id)
        return list(ids)


__all__ = ["Committed", "Transaction"]
