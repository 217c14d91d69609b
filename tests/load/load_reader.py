"""A reader under load: checks that no reader ever sees a torn store or a half-applied change.

``python -m tests.load.load_reader TARGET SECONDS`` reads in a loop until SECONDS have passed
and prints how many reads of each kind it made and every failure it met.

An embedded store (TARGET a path): it keeps one store open and refreshes it, re-reads the
snapshot file from scratch, and opens the whole store afresh.

PostgreSQL (TARGET a URL naming a login with view): each statement is one snapshot of the
server; in each, every import batch (tests.load.load_worker) is all there or not there at all,
and every contact's audit holds exactly the versions 1..its version (a save and its audit
record are one transaction); every contact it lists reads back through the app's store.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from contact_tui.store.errors import StoreError
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.postgres.schema import SCHEMA
from tests.load.load_worker import BATCH_PREFIX
from tests.load.target import is_url


def run(store: Path, seconds: float) -> dict[str, object]:
    """Read an embedded store until ``seconds`` have passed; return counts and failures."""
    follower = JsonStore(store)
    failures: list[str] = []
    refreshes = snapshot_reads = opens = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            follower.refresh()
            refreshes += 1
            orjson.loads(store.read_bytes())  # the snapshot must parse at every instant
            snapshot_reads += 1
            if refreshes % 10 == 0:
                JsonStore(store).close()
                opens += 1
        except (StoreError, orjson.JSONDecodeError, OSError) as err:
            failures.append(f"{type(err).__name__}: {err}")
        time.sleep(0.005)
    contacts = len(follower.table_ids("contacts"))
    follower.close()
    return {
        "refreshes": refreshes,
        "snapshot_reads": snapshot_reads,
        "opens": opens,
        "failures": failures,
        "contacts_seen": contacts,
    }


# Per import batch in one snapshot: how many of its contacts there are.
BATCHES = f"""
SELECT doc ->> 'lastName', count(*) FROM {SCHEMA}.contacts
WHERE doc ->> 'lastName' LIKE %s GROUP BY 1
"""
# In one snapshot: the contacts whose audit versions are not exactly 1..version.
AUDIT_GAPS = f"""
SELECT c.id, c.version, a.versions FROM {SCHEMA}.contacts AS c
LEFT JOIN LATERAL (
    SELECT array_agg((doc ->> 'version')::int ORDER BY (doc ->> 'version')::int) AS versions
    FROM {SCHEMA}.audit WHERE contact_id = c.id AND jsonb_typeof(doc -> 'version') = 'number'
) AS a ON true
WHERE a.versions IS DISTINCT FROM ARRAY(SELECT generate_series(1, c.version))
"""


def run_pg(url: str, seconds: float, batch: int) -> dict[str, object]:
    """Read a PostgreSQL store until ``seconds`` have passed; return counts and failures."""
    import psycopg

    from contact_tui.store.postgres.store import PostgresStore

    store = PostgresStore.open(url)
    conn = psycopg.connect(url, autocommit=True)
    failures: list[str] = []
    snapshots = full_reads = 0
    batches_seen: set[str] = set()
    end = time.monotonic() + seconds
    # On a loaded machine the writers may start after the reader's time is up: it reads on
    # (for at most a minute) until it has seen an import, or it would check nothing.
    last_chance = end + 60
    while (now := time.monotonic()) < end or (not batches_seen and now < last_chance):
        try:
            sizes: list[tuple[Any, ...]] = conn.execute(BATCHES, (BATCH_PREFIX + "%",)).fetchall()
            failures.extend(
                f"import {tag} half there: {n} of {batch}" for tag, n in sizes if n != batch
            )
            batches_seen.update(tag for tag, _ in sizes)
            gaps = conn.execute(AUDIT_GAPS).fetchall()
            failures.extend(
                f"contact {i} at version {v} has audit versions {a}" for i, v, a in gaps
            )
            snapshots += 1
            if snapshots % 10 == 0:
                store.contacts(store.contact_ids())  # every contact reads back
                full_reads += 1
        except (StoreError, psycopg.Error) as err:
            failures.append(f"{type(err).__name__}: {err}")
        time.sleep(0.005)
    contacts = len(store.contact_ids())
    conn.close()
    store.close()
    return {
        "snapshot_reads": snapshots,
        "opens": full_reads,
        "batches_seen": len(batches_seen),
        "failures": failures,
        "contacts_seen": contacts,
    }


if __name__ == "__main__":
    target, seconds = sys.argv[1], float(sys.argv[2])
    if is_url(target):
        print(json.dumps(run_pg(target, seconds, int(sys.argv[3]))))
    else:
        print(json.dumps(run(Path(target), seconds)))
