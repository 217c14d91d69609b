"""The embedded store's interactions-by-contact index: kept up to date by this process's
writes and by other processes' (refresh), rebuilt on load, and seeing a transaction's own
staged interactions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contact_tui.domain import codec as docs
from contact_tui.domain.model import Channel, Interaction, Participant
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.repository import Repository
from contact_tui.store.transaction import Transaction
from tests.factories import build_world

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _call(n: int, contact: str | None, *candidates: str) -> Interaction:
    return Interaction(
        f"i{n}",
        Channel.VOICE,
        Participant(f"+1317555010{n}"),
        "alice",
        START + timedelta(minutes=n),
        contact_id=contact,
        candidate_ids=candidates,
    )


def test_the_index_follows_writes_other_processes_and_a_reload(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    mine, theirs = Repository.open(path), Repository.open(path)
    try:
        with mine.write("alice") as uow:
            uow.save_interaction(_call(1, "c1", "c1", "c2"))
            uow.save_interaction(_call(2, "c1"))
        assert [i.id for i in mine.interactions_for_contact("c1")] == ["i2", "i1"]
        assert mine.interactions_for_contact("c2") == []  # a candidate, not linked
        theirs.refresh()
        assert [i.id for i in theirs.interactions_for_contact("c1")] == ["i2", "i1"]
        with theirs.write("bob") as uow:
            uow.save_interaction(_call(2, "c2"))  # relinked by another process
        mine.refresh()
        assert [i.id for i in mine.interactions_for_contact("c1")] == ["i1"]
        assert [i.id for i in mine.interactions_for_contact("c2")] == ["i2"]
    finally:
        mine.close()
        theirs.close()
    reopened = Repository.open(path)
    try:
        assert [i.id for i in reopened.interactions_for_contact("c2")] == ["i2"]
        assert reopened.store._idx.by_contact == {"c1": {"i1"}, "c2": {"i1", "i2"}}
    finally:
        reopened.close()


def test_a_transaction_sees_its_own_staged_interactions(tmp_path: Path) -> None:
    repo = Repository.open(tmp_path / "store.json")
    try:
        with repo.write("alice") as uow:
            uow.save_interaction(_call(1, "c1"))
            uow.save_interaction(_call(2, None, "c1"))
        with repo.write("alice") as uow:
            assert uow.interaction_ids_naming(["c1"]) == ["i1", "i2"]
            uow.save_interaction(_call(1, "c3"))  # no longer names c1
            uow.save_interaction(_call(3, None, "c1"))  # new, names c1
            assert uow.interaction_ids_naming(["c1"]) == ["i2", "i3"]
            assert uow.interaction_ids_naming(["c3", "nobody"]) == ["i1"]
            assert uow.interaction_ids_naming([]) == []
    finally:
        repo.close()


def test_a_malformed_reference_is_passed_over_not_fatal(tmp_path: Path) -> None:
    doc = docs.interaction_to_doc(_call(1, "c1"))
    doc["candidateIds"] = ["c2", 7, None]
    repo = Repository.open(tmp_path / "store.json", seed=lambda: {"interactions": {"i1": doc}})
    try:
        assert repo.store._idx.by_contact == {"c1": {"i1"}, "c2": {"i1"}}
    finally:
        repo.close()


def test_a_merge_reads_only_the_interactions_naming_the_merged_away_contact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview and the merge find what to relink through the index: no scan of every
    interaction (a busy store holds many), and no interaction read but those naming it."""
    path = tmp_path / "store.json"
    world = build_world(path)
    try:
        service = world.service()
        keep, other = world.sam.id, world.unknown_call.contact_id or ""
        naming = {world.unknown_call.id}
        read: list[str] = []
        real_get = Transaction.get

        def get(self: Transaction, table: str, doc_id: str) -> Any:
            if table == "interactions":
                read.append(doc_id)
            return real_get(self, table, doc_id)

        def no_scan(real: Callable[[Any, str], list[str]]) -> Callable[[Any, str], list[str]]:
            def table_ids(self: Any, table: str) -> list[str]:
                assert table != "interactions", "every interaction scanned"
                return real(self, table)

            return table_ids

        monkeypatch.setattr(Transaction, "get", get)
        monkeypatch.setattr(Transaction, "table_ids", no_scan(Transaction.table_ids))
        monkeypatch.setattr(JsonStore, "table_ids", no_scan(JsonStore.table_ids))
        assert set(service.merge_preview(keep, other).relinked) == naming
        done = service.merge(keep, other)
        assert done.record.merge is not None
        assert {r.interaction_id for r in done.record.merge.relinked} == naming
        assert set(read) <= naming
    finally:
        world.close()
