"""Kinds that are enums in the code keep the words they have always had in the store, in
``--json`` output and in exit-code decisions; a stored word this version does not know is
kept, never a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import pytest

from contact_tui.domain import codec as docs
from contact_tui.domain.model import AuditAction, AuditRecord
from contact_tui.exchange.importer import ProblemKind, RowProblem
from contact_tui.service import ContactService, SearchKind
from contact_tui.store.doctor import Level, diagnose
from contact_tui.store.jsonstore import JsonStore

WHEN = datetime(2026, 11, 28, 9, 30, 15, 123000, tzinfo=UTC)

# The words written before these became enums: stores and scripts depend on them.
STORED_WORDS: dict[type[StrEnum], set[str]] = {
    AuditAction: {
        "create",
        "edit",
        "promote",
        "link",
        "unlink",
        "expire",
        "import",
        "absorb",
        "setting",
        "wrap-up",  # an interaction's wrap-up note (issue 13)
        "note-add",  # contact notes (issue 13)
        "note-edit",
        "note-delete",
        "merge",  # issue 13
        "unmerge",
        "erase",  # a contact erased on request (issue 13)
    },
    SearchKind: {"all", "phone", "email", "name", "literal", "number"},
    ProblemKind: {"invalid", "permission", "conflict"},
    Level: {"ok", "warning", "error"},
}


@pytest.mark.parametrize("enum", list(STORED_WORDS), ids=lambda e: e.__name__)
def test_each_kind_keeps_its_words(enum: type[StrEnum]) -> None:
    assert {member.value for member in enum} == STORED_WORDS[enum]
    assert all(json.dumps(member) == json.dumps(member.value) for member in enum)


@pytest.mark.parametrize("action", list(AuditAction))
def test_an_audit_record_is_stored_as_its_word_and_read_back_as_the_member(
    action: AuditAction,
) -> None:
    record = AuditRecord("a1", WHEN, "alice", action, "c1", ("title",), 2, None)
    doc = docs.audit_to_doc(record)
    assert type(doc["action"]) is str and doc["action"] == action.value
    back = docs.audit_from_doc(doc)
    assert back == record and back.action is action


def test_an_unknown_stored_action_is_kept_as_written(
    store_path: Path, service_for: Callable[..., ContactService]
) -> None:
    """A record a newer version wrote ('split') loads, shows as written, and is no error."""
    store = JsonStore(store_path)
    with store.transaction("bob") as tx:
        tx.put("contacts", "c1", {"id": "c1", "type": "Curated", "firstName": "Sam"})
        tx.put(
            "audit",
            "a1",
            {
                "id": "a1",
                "at": "2026-11-28T09:30:15.123Z",
                "agent": "bob",
                "action": "split",
                "contactId": "c1",
                "fields": [],
            },
        )
    store.close()
    [record] = service_for("alice").audit("c1")
    assert record.action == "split" and not isinstance(record.action, AuditAction)
    assert docs.audit_to_doc(record)["action"] == "split"
    assert Level.ERROR not in {f.level for f in diagnose(store_path)}


def test_a_row_problem_is_invalid_unless_said_otherwise() -> None:
    assert RowProblem(3, "bad").kind is ProblemKind.INVALID
