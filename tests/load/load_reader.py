"""A reader under load: checks that no reader ever sees a torn or unparseable store.

``python -m tests.load.load_reader STORE SECONDS`` keeps one store open and refreshes it,
re-reads the snapshot file from scratch, and opens the whole store afresh, in a loop; it
prints how many of each it did and every failure it met.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import orjson

from contact_tui.store.errors import StoreError
from contact_tui.store.jsonstore import JsonStore


def run(store: Path, seconds: float) -> dict[str, object]:
    """Read until ``seconds`` have passed; return counts and failures."""
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


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), float(sys.argv[2]))))
