"""Several real processes sharing one store: no lost update, no duplicate id, no torn file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from contact_tui.domain.draft import ContactDraft
from contact_tui.service import ContactService
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.repository import Repository
from tests.factories import make_agent, make_config
from tests.store_worker import COUNTER_ID_FILE

PROCESSES = 8
EACH = 25


def test_eight_processes_saving_at_once_lose_no_update(store_path: Path) -> None:
    setup = ContactService(Repository.open(store_path), make_config(store_path), make_agent())
    counter = setup.create_contact(
        ContactDraft(first_name="Shared", last_name="Counter", title="0")
    )
    store_path.with_name(COUNTER_ID_FILE).write_text(counter.id)
    # A small compaction threshold makes compactions happen while the others read and write.
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.store_worker", str(store_path), f"agent{n}", str(EACH)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        for n in range(PROCESSES)
    ]
    created: list[str] = []
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err.decode()
        created.extend(json.loads(out)["created"])

    fresh = ContactService(Repository.open(store_path), make_config(store_path), make_agent())
    assert len(created) == len(set(created)) == PROCESSES * EACH
    assert all(fresh.repo.contact(cid) is not None for cid in created)
    final = fresh.contact(counter.id)
    assert final.title == str(PROCESSES * EACH)
    versions = [a.version for a in fresh.audit(counter.id) if a.version is not None]
    assert versions == list(range(1, PROCESSES * EACH + 2))
    # And the same state after folding the journal into a snapshot.
    JsonStore(store_path).compact()
    again = Repository.open(store_path)
    assert len(again.contact_ids()) == PROCESSES * EACH + 1
