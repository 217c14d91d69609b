"""The embedded store's in-memory indexes over the documents it holds.

Built once when the store is read, then kept up to date document by document as records are
applied, so no read ever scans a table: identity keys to contacts, the folded text a search
looks in, directory order, each agent's interactions, the interactions naming each contact
(linked to it, or offering it as a candidate) and each contact's audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contact_tui.domain import codec as docs
from contact_tui.store.format import Doc

SortedIds = list[tuple[tuple[str, str, str], str]]


@dataclass
class Indexes:
    """Indexes over the contacts, interactions and audit tables."""

    by_key: dict[str, set[str]] = field(default_factory=dict)
    keys_of: dict[str, frozenset[str]] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    by_agent: dict[str, set[str]] = field(default_factory=dict)
    # Contact id -> the interactions linked to it or offering it as a candidate: a contact's
    # history, and what expiry and absorbing relink, without reading every interaction.
    by_contact: dict[str, set[str]] = field(default_factory=dict)
    audit_by_contact: dict[str, list[str]] = field(default_factory=dict)
    # Directory order, worked out when first asked for after a change that moves a contact.
    sorted_ids: SortedIds | None = None
    # The position of the last record that changed each contact, since the store was loaded.
    changed_at: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def build(cls, tables: Mapping[str, Mapping[str, Doc]]) -> Indexes:
        """Indexes over every document in ``tables``."""
        idx = cls()
        for doc_id, doc in tables.get("contacts", {}).items():
            idx.contact(doc_id, None, doc)
        for doc_id, doc in tables.get("interactions", {}).items():
            idx.interaction(doc_id, None, doc)
        for doc_id, doc in tables.get("audit", {}).items():
            cid = doc.get("contactId") if isinstance(doc, dict) else None
            if isinstance(cid, str):
                idx.audit_by_contact.setdefault(cid, []).append(doc_id)
        return idx

    def update(
        self, table: str, doc_id: str, old: Doc | None, new: Doc | None, at: tuple[int, int]
    ) -> None:
        """Take in one document of ``table`` changing from ``old`` to ``new`` (None: absent)
        by the record at position ``at``."""
        if table == "contacts":
            self.contact(doc_id, old, new)
            self.changed_at[doc_id] = at
        elif table == "interactions":
            self.interaction(doc_id, old, new)
        elif table == "audit" and new is not None and old is None:
            cid = new.get("contactId")
            if isinstance(cid, str):
                self.audit_by_contact.setdefault(cid, []).append(doc_id)

    def contact(self, doc_id: str, old: Doc | None, new: Doc | None) -> None:
        """Re-index one contact."""
        for key in self.keys_of.pop(doc_id, frozenset()):
            ids = self.by_key.get(key)
            if ids is not None:
                ids.discard(doc_id)
                if not ids:
                    del self.by_key[key]
        self.text.pop(doc_id, None)
        if (
            old is None
            or new is None
            or docs.contact_doc_sort_key(old) != docs.contact_doc_sort_key(new)
        ):
            self.sorted_ids = None
        if new is None:
            return
        keys = frozenset(docs.contact_doc_keys(new))
        self.keys_of[doc_id] = keys
        for key in keys:
            self.by_key.setdefault(key, set()).add(doc_id)
        self.text[doc_id] = docs.contact_doc_search_text(new)

    def interaction(self, doc_id: str, old: Doc | None, new: Doc | None) -> None:
        """Re-index one interaction."""
        by_agent = self.by_agent
        if old is not None and isinstance(old.get("agent"), str):
            by_agent.get(old["agent"], set()).discard(doc_id)
        if new is not None and isinstance(new.get("agent"), str):
            by_agent.setdefault(new["agent"], set()).add(doc_id)
        by_contact = self.by_contact
        if old is not None:
            for contact_id in interaction_refs(old):
                ids = by_contact.get(contact_id)
                if ids is not None:
                    ids.discard(doc_id)
                    if not ids:
                        del by_contact[contact_id]
        if new is not None:
            # Inline rather than interaction_refs: this runs for every interaction at load.
            linked = new.get("contactId")
            if isinstance(linked, str) and linked:
                by_contact.setdefault(linked, set()).add(doc_id)
            for contact_id in new.get("candidateIds") or ():
                if isinstance(contact_id, str):
                    by_contact.setdefault(contact_id, set()).add(doc_id)

    def directory_order(self, contacts: Mapping[str, Doc]) -> SortedIds:
        """Every contact as (sort key, id), in directory order."""
        if self.sorted_ids is None:
            self.sorted_ids = sorted((docs.contact_doc_sort_key(d), i) for i, d in contacts.items())
        return self.sorted_ids


def interaction_refs(doc: Doc | None) -> set[str]:
    """The contacts a raw interaction document names: its link and its candidates (tolerant:
    a malformed part names nothing; the codec reports it when the interaction is read)."""
    if doc is None:
        return set()
    refs = {c for c in doc.get("candidateIds") or () if isinstance(c, str)}
    linked = doc.get("contactId")
    if isinstance(linked, str) and linked:
        refs.add(linked)
    return refs


__all__ = ["Indexes", "SortedIds", "interaction_refs"]
