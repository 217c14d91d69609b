"""``store copy`` benchmark: time and peak memory of moving a store up to PostgreSQL and back.

Not a test: nothing here asserts. Run ``.venv/bin/python tests/perf/bench_copy.py`` (default
100,000 contacts; ``--sizes 1000 10000``). It starts a throwaway PostgreSQL cluster
(tests/pg/cluster.py), builds an embedded store of realistic contacts with one interaction per
ten contacts and two audit records per contact, runs ``db init``, then times each copy in a
fresh process of its own, as an admin would run it:

* embedded -> pg: the embedded store into the empty database;
* pg -> embedded: that database into a new embedded store;

and prints wall time and the process's peak RSS (the server's memory is not counted).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from contact_tui.store.jsonstore import JsonStore  # noqa: E402
from contact_tui.store.postgres import admin  # noqa: E402
from tests.factories import build_world  # noqa: E402
from tests.perf.bench_store import build_store  # noqa: E402
from tests.pg.cluster import SUPERUSER, Cluster, RunAs, find_binaries  # noqa: E402

# Runs one copy through the command's own entry point and reports its cost.
CHILD = """
import json, resource, sys, time
from contact_tui.cli import main
started = time.perf_counter()
code = main(["--json", "store", "copy", sys.argv[1], sys.argv[2]])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"code": code, "seconds": seconds, "peak_mb": peak}), file=sys.stderr)
"""


def shapes(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """An interaction and an audit record as the app writes them (from the demo world)."""
    world = build_world(folder / "store.json")
    world.close()
    store = JsonStore(world.path, create=False)
    try:
        interaction = store.doc("interactions", store.table_ids("interactions")[0])
        audit = store.doc("audit", store.table_ids("audit")[0])
    finally:
        store.close()
    assert interaction is not None and audit is not None
    return interaction, audit


def build(path: Path, size: int, scratch: Path) -> None:
    """An embedded store of ``size`` contacts, size/10 interactions, 2*size audit records."""
    build_store(path, size)
    interaction, audit = shapes(scratch)
    store = JsonStore(path, create=False)
    try:
        ids = store.table_ids("contacts")
        with store.transaction("bench") as tx:
            for n, contact_id in enumerate(ids):
                for k in range(2):
                    audit_id = f"a-{n}-{k}"
                    tx.put("audit", audit_id, {**audit, "id": audit_id, "contactId": contact_id})
                if n % 10 == 0:
                    iid = f"i-{n}"
                    tx.put("interactions", iid, {**interaction, "id": iid, "contactId": contact_id})
            tx.put("settings", "ephemeral-ttl-days", {"value": 30})
    finally:
        store.close()


def measure(source: str, destination: str) -> dict[str, Any]:
    """One copy in a fresh process: exit code, wall seconds, peak RSS in MB."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, source, destination],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    figures: dict[str, Any] = json.loads(result.stderr.strip().splitlines()[-1])
    if figures["code"] != 0:
        raise SystemExit(f"copy failed: {result.stderr}")
    figures["counts"] = json.loads(result.stdout)["counts"]
    return figures


def main() -> None:
    """Build, copy both ways, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    args = parser.parse_args()
    cluster = Cluster(find_binaries(), RunAs.choose())
    cluster.start()
    try:
        base = f"?host={quote(cluster.socket_dir)}&port={cluster.port}"
        with psycopg.connect(f"postgresql://{SUPERUSER}@/postgres{base}", autocommit=True) as pg:
            for size in args.sizes:
                pg.execute(f"CREATE DATABASE copy_{size}")
        for size in args.sizes:
            url = f"postgresql://{SUPERUSER}@/copy_{size}{base}"
            admin.init(url)
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                for name in ("src", "back", "scratch"):
                    (folder / name).mkdir()
                source = folder / "src" / "store.json"
                started = time.perf_counter()
                build(source, size, folder / "scratch")
                built = time.perf_counter() - started
                megabytes = source.stat().st_size / 1e6
                print(f"{size:,} contacts: embedded store {megabytes:.0f} MB, built {built:.1f} s")
                for label, src, dst in (
                    ("embedded -> pg", str(source), url),
                    ("pg -> embedded", url, str(folder / "back" / "store.json")),
                ):
                    figures = measure(src, dst)
                    print(
                        f"  {label}: {figures['seconds']:.1f} s, peak RSS "
                        f"{figures['peak_mb']:.0f} MB ({figures['counts']})"
                    )
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
