"""Eight agent processes and a reader on one store for a few seconds: every promise holds,
over the embedded store and over PostgreSQL (issue 12, "Tests and CI")."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_tui.domain.permissions import BUILTIN_ROLES
from tests.contract import set_grants, store_params
from tests.load.harness import READER, PgTarget, run_load, writer_name
from tests.pg.server import Database

WRITERS = 8


@pytest.fixture(params=store_params())
def load_store(request: pytest.FixtureRequest, store_path: Path) -> Path | PgTarget:
    """The store the load runs on: an embedded store's path, or a fresh PostgreSQL database
    with a login per writer (the agent role) and the reader's (viewer)."""
    if request.param == "embedded":
        return store_path
    database: Database = request.getfixturevalue("schema_database")
    with database.connect() as conn:
        for n in range(WRITERS):
            set_grants(conn, writer_name(n), BUILTIN_ROLES["agent"])
        set_grants(conn, READER, BUILTIN_ROLES["viewer"])
    return PgTarget(database.url)


def test_eight_writers_and_a_reader_lose_nothing_and_never_see_a_torn_store(
    load_store: Path | PgTarget,
) -> None:
    """No acknowledged save is lost, no id is handed out twice, no save overwrites another
    silently (a stale one is reported as a conflict: each contact's audit holds each version
    once), and the reader never sees a torn file (embedded) or half an import, or a contact
    without its audit record (PostgreSQL)."""
    postgres = isinstance(load_store, PgTarget)
    report = run_load(load_store, writers=WRITERS, seconds=2 if postgres else 4)
    assert report.problems == []
    assert report.writes > 100  # the load really ran
    assert report.reader["snapshot_reads"] > (20 if postgres else 50)
    assert report.reader["opens"] > 0
    if postgres:
        assert report.reader["batches_seen"] > 0  # imports ran while it read
