"""`doctor` explains what is wrong with a store, and repairs only without loss."""

from __future__ import annotations

from pathlib import Path

from contact_tui.store.doctor import diagnose
from contact_tui.store.format import frame
from contact_tui.store.jsonstore import JsonStore


def levels(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [f.level for f in findings]


def test_a_healthy_store_reports_its_counts(store_path: Path) -> None:
    store = JsonStore(store_path)
    with store.transaction("alice") as tx:
        tx.put("contacts", "c1", {"id": "c1", "type": "Curated", "firstName": "Sam"})
    findings = diagnose(store_path)
    assert "error" not in levels(findings)
    assert any("1 contacts" in f.message for f in findings)


def test_unparseable_store_is_an_error_naming_the_file(store_path: Path) -> None:
    store_path.write_text("{oops")
    findings = diagnose(store_path)
    assert "error" in levels(findings)
    assert any(str(store_path) in f.message and "not valid JSON" in f.message for f in findings)
    assert store_path.read_text() == "{oops"


def test_a_missing_store_is_not_created(store_path: Path) -> None:
    findings = diagnose(store_path)
    assert "error" in levels(findings) and not store_path.exists()


def test_a_malformed_contact_is_named(store_path: Path) -> None:
    store = JsonStore(store_path)
    with store.transaction("alice") as tx:
        tx.put("contacts", "c1", {"id": "c1", "firstName": 42})
    messages = [f.message for f in diagnose(store_path) if f.level == "error"]
    assert any("'c1'" in m and "firstName" in m for m in messages)


def test_repair_cuts_a_damaged_journal_keeping_a_copy(store_path: Path) -> None:
    store = JsonStore(store_path)
    for n in range(3):
        with store.transaction("alice") as tx:
            tx.put("contacts", f"c{n}", {"id": f"c{n}", "firstName": "Sam"})
    journal = store.journal_path
    data = journal.read_bytes()
    damaged = data.replace(b'"c2","firstName"', b'"c2","firstNamX"')
    journal.write_bytes(damaged)
    assert "error" in levels(diagnose(store_path))
    assert journal.read_bytes() == damaged
    findings = diagnose(store_path, repair=True)
    assert "error" not in levels(findings)
    assert (journal.with_name("store.json.journal.damaged-1")).read_bytes() == damaged
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c0", "c1"]


def test_orphaned_temporary_files_are_reported_then_removed_by_repair(store_path: Path) -> None:
    JsonStore(store_path)
    orphan = store_path.with_name(".store.json.tmp-1-dead")
    orphan.write_bytes(frame({"x": 1}))
    assert "warning" in levels(diagnose(store_path))
    diagnose(store_path, repair=True)
    assert not orphan.exists()
