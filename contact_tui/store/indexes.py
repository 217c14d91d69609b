"""The embedded store's in-memory indexes over the documents it holds.

Built once when the store is read, then kept up to date document by document as records are
applied, so no read ever scans a table: identity keys to contacts, the folded text a search
looks in, directory order, each agent's interactions, the interactions naming each contact
(linked to it, or offering it as a candidate), each contact's audit trail and its notes, and the
digits of each contact's phone numbers with an index of their 4-digit runs (a partial-number
search reads only the contacts holding the query's rarest run) and of each number's last four
digits (the numbers ending in the query, found without reading the others).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contact_tui.domain import codec as docs
from contact_tui.domain.search import MIN_PARTIAL_DIGITS
from contact_tui.store.format import Doc

SortedIds = list[tuple[tuple[str, str, str], str]]


@dataclass
class Indexes:
    """Indexes over the contacts, interactions, audit and notes tables."""

    by_key: dict[str, set[str]] = field(default_factory=dict)
    keys_of: dict[str, frozenset[str]] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    # codec.contact_doc_phone_digits and _phone_text of each contact that has any.
    digits: dict[str, str] = field(default_factory=dict)
    phone_text: dict[str, str] = field(default_factory=dict)
    # Each run of MIN_PARTIAL_DIGITS digits in a number, to the contacts holding it.
    digit_runs: dict[str, set[str]] = field(default_factory=dict)
    # Each number's last MIN_PARTIAL_DIGITS digits, to the contacts holding it: the numbers
    # "ending in" a partial number are found without reading the contacts holding its runs.
    ends_in: dict[str, set[str]] = field(default_factory=dict)
    by_agent: dict[str, set[str]] = field(default_factory=dict)
    # Contact id -> the interactions linked to it or offering it as a candidate: a contact's
    # history, and what expiry and absorbing relink, without reading every interaction.
    by_contact: dict[str, set[str]] = field(default_factory=dict)
    audit_by_contact: dict[str, list[str]] = field(default_factory=dict)
    notes_by_contact: dict[str, set[str]] = field(default_factory=dict)
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
        for doc_id, doc in tables.get("notes", {}).items():
            idx.note(doc_id, None, doc)
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
        elif table == "notes":
            self.note(doc_id, old, new)

    def contact(self, doc_id: str, old: Doc | None, new: Doc | None) -> None:
        """Re-index one contact."""
        for key in self.keys_of.pop(doc_id, frozenset()):
            ids = self.by_key.get(key)
            if ids is not None:
                ids.discard(doc_id)
                if not ids:
                    del self.by_key[key]
        self.text.pop(doc_id, None)
        self.phone_text.pop(doc_id, None)
        held = self.digits.pop(doc_id, "")
        for index, runs in ((self.digit_runs, digit_runs(held)), (self.ends_in, endings(held))):
            for run in runs:
                ids = index[run]
                ids.discard(doc_id)
                if not ids:
                    del index[run]
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
        if digits := docs.contact_doc_phone_digits(new):
            self.digits[doc_id] = digits
            for run in digit_runs(digits):
                self.digit_runs.setdefault(run, set()).add(doc_id)
            for run in endings(digits):
                self.ends_in.setdefault(run, set()).add(doc_id)
        if phone_text := docs.contact_doc_phone_text(new):
            self.phone_text[doc_id] = phone_text

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

    def note(self, doc_id: str, old: Doc | None, new: Doc | None) -> None:
        """Re-index one contact note under its contact."""
        if old is not None and isinstance(old.get("entityId"), str):
            ids = self.notes_by_contact.get(old["entityId"])
            if ids is not None:
                ids.discard(doc_id)
                if not ids:
                    del self.notes_by_contact[old["entityId"]]
        if new is not None and isinstance(new.get("entityId"), str):
            self.notes_by_contact.setdefault(new["entityId"], set()).add(doc_id)

    def directory_order(self, contacts: Mapping[str, Doc]) -> SortedIds:
        """Every contact as (sort key, id), in directory order."""
        if self.sorted_ids is None:
            self.sorted_ids = sorted((docs.contact_doc_sort_key(d), i) for i, d in contacts.items())
        return self.sorted_ids


def digit_runs(digits: str) -> set[str]:
    """Every run of MIN_PARTIAL_DIGITS digits in a phone digit text (numbers separated by
    spaces; a run never spans two numbers)."""
    n = MIN_PARTIAL_DIGITS
    return {number[i : i + n] for number in digits.split() for i in range(len(number) - n + 1)}


def endings(digits: str) -> set[str]:
    """The last MIN_PARTIAL_DIGITS digits of each number in a phone digit text that has as
    many."""
    n = MIN_PARTIAL_DIGITS
    return {number[-n:] for number in digits.split() if len(number) >= n}


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


__all__ = ["Indexes", "SortedIds", "digit_runs", "endings", "interaction_refs"]
