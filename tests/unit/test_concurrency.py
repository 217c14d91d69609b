"""Several real processes sharing one store: no lost update, no duplicate id, no torn file;
over the embedded store and over PostgreSQL (issue 12)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.permissions import BUILTIN_ROLES
from contact_tui.service import ContactService
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.repository import Repository
from tests.contract import set_grants, store_params
from tests.factories import make_agent, make_config
from tests.load.target import open_service
from tests.pg.server import Database
from tests.store_worker import COUNTER_ID_FILE

PROCESSES = 8
EACH = 25


@pytest.mark.parametrize("kind", store_params())
def test_eight_processes_saving_at_once_lose_no_update(
    kind: str, store_path: Path, request: pytest.FixtureRequest
) -> None:
    """Each process adds contacts and increments one shared counter, re-reading on each
    conflict: every increment lands once (a stale save is refused, never an overwrite), every
    contact is kept, and the counter's audit holds each version once."""
    users = [f"agent{n}" for n in range(PROCESSES)]
    if kind == "postgres":
        database: Database = request.getfixturevalue("schema_database")
        with database.connect() as conn:
            for user in users:
                set_grants(conn, user, BUILTIN_ROLES["agent"])
        targets = [database.url(user) for user in users]
        setup = open_service(database.url(users[0]), users[0])
    else:
        targets = [str(store_path)] * PROCESSES
        setup = ContactService(Repository.open(store_path), make_config(store_path), make_agent())
    counter = setup.create_contact(
        ContactDraft(first_name="Shared", last_name="Counter", title="0")
    )
    setup.close()
    store_path.with_name(COUNTER_ID_FILE).write_text(counter.id)
    # Over the embedded store, a small compaction threshold makes compactions happen while the
    # others read and write.
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.store_worker", target, user, str(EACH), counter.id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        for target, user in zip(targets, users, strict=True)
    ]
    created: list[str] = []
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err.decode()
        created.extend(json.loads(out)["created"])

    fresh = (
        open_service(targets[0], users[0])
        if kind == "postgres"
        else ContactService(Repository.open(store_path), make_config(store_path), make_agent())
    )
    try:
        assert len(created) == len(set(created)) == PROCESSES * EACH
        assert {c.id for c in fresh.contacts(created)} == set(created)
        final = fresh.contact(counter.id)
        assert final.title == str(PROCESSES * EACH)
        versions = [a.version for a in fresh.audit(counter.id) if a.version is not None]
        assert versions == list(range(1, PROCESSES * EACH + 2))
    finally:
        fresh.close()
    if kind == "embedded":
        # And the same state after folding the journal into a snapshot.
        JsonStore(store_path).compact()
        again = Repository.open(store_path)
        assert len(again.contact_ids()) == PROCESSES * EACH + 1
        again.close()
