"""Search benchmark (issues 12 and 13): the directory's searches on both stores side by side.

Not a test: nothing here asserts but that both stores give the same results. Run
``.venv/bin/python tests/perf/bench_search.py`` (``--sizes 100000`` for a quick run). It builds
the contacts of tests/perf/bench_store.py as an embedded store (up to ``--embedded-max``) and,
through tests/perf/bench_pg.py's helpers, in a throwaway PostgreSQL cluster (or, with
``--socket``, in the databases ``bench_<size>`` of a running cluster that bench_pg's fill made,
holding the current schema), then times ``service.search`` in this process, as the app calls
it: each query ``--repeat`` times after one untimed run, p50 and p95 wall time, and the CPU time
per search of this process and of the server's backend (from /proc; 10 ms ticks, so an average).

Queries: names (one contact; a fragment; a last name ~6% of contacts share, "Whitfield"; first
and last), partial numbers (8 digits of one number; the last four, a few contacts; a run every
work number holds, "7946"), and a quoted kept number.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from contact_tui import bootstrap  # noqa: E402
from contact_tui.service import ContactService  # noqa: E402
from contact_tui.store.postgres import admin  # noqa: E402
from contact_tui.store.postgres.store import PostgresStore  # noqa: E402
from tests.perf.bench_pg import (  # noqa: E402
    APP_ROLE,
    fill,
    name_queries,
    start_cluster,
    superuser_url,
    write_config,
)
from tests.perf.bench_store import build_store, e164_for, open_service  # noqa: E402


def queries(size: int) -> dict[str, str]:
    """What an agent types, by kind: each label names what it shows."""
    names = name_queries(size)
    one = e164_for(size // 3)
    return {
        "name: one contact": names["one"],
        "name: fragment": names["fragment"],
        "name: common last": names["last"],
        "name: first+last": names["first+last"],
        "number: 8 digits": one[-8:],
        "number: last four": one[-4:],
        "number: common run": "7946",
        "quoted kept number": f'"7946 {(size // 3) % 10_000:04d}"',
    }


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds used so far by one server backend (0 when it cannot be read)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:13]) / os.sysconf("SC_CLK_TCK")


def measure(
    service: ContactService, size: int, repeat: int, backend: int | None
) -> tuple[dict[str, dict[str, float]], dict[str, list[str]]]:
    """Each query's p50/p95 wall (ms), CPU per search (ms) here and in the server, its count,
    and the ids it found (to compare the stores)."""
    figures: dict[str, dict[str, float]] = {}
    found: dict[str, list[str]] = {}
    for label, query in queries(size).items():
        result = service.search(query)  # untimed: plans cached, pages read once
        found[label] = [c.id for c in result.contacts]
        walls = []
        cpu, server = time.process_time(), _backend_cpu(backend)
        for _ in range(repeat):
            started = time.perf_counter()
            service.search(query)
            walls.append(time.perf_counter() - started)
        walls.sort()
        figures[label] = {
            "p50": statistics.median(walls) * 1000,
            "p95": walls[min(len(walls) - 1, int(len(walls) * 0.95))] * 1000,
            "cpu": (time.process_time() - cpu) / repeat * 1000,
            "server_cpu": (_backend_cpu(backend) - server) / repeat * 1000,
            "total": result.total,
            "capped": result.capped,
        }
    return figures, found


@contextlib.contextmanager
def postgres_databases(socket: str | None, port: int, sizes: list[int]) -> Iterator[str]:
    """The socket folder of a cluster holding ``bench_<size>`` for each size: ``socket``'s
    (already filled), or a throwaway one filled here."""
    if socket is not None:
        yield socket
        return
    cluster = start_cluster(memory=False)
    try:
        for size in sizes:
            database = f"bench_{size}"
            with psycopg.connect(superuser_url(cluster), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            url = superuser_url(cluster, database)
            admin.init(url)
            admin.grant(url, APP_ROLE, ["agent"])
            print(f"  postgres {size:,}: {fill(url, size)}", flush=True)
        yield cluster.socket_dir
    finally:
        cluster.stop()


def bench_postgres(
    socket: str, port: int, size: int, folder: Path, repeat: int
) -> tuple[dict[str, dict[str, float]], dict[str, list[str]]]:
    """The figures for the PostgreSQL database ``bench_<size>``, searched as APP_ROLE."""
    url = f"postgresql://{APP_ROLE}@/bench_{size}?host={socket}&port={port}"
    service = bootstrap.open_service(
        config_path=write_config(folder, f"search-pg-{size}", f'url = "{url}"')
    )
    try:
        store = service.repo
        assert isinstance(store, PostgresStore)
        backend = store.connection().info.backend_pid  # the service's own backend
        return measure(service, size, repeat, backend)
    finally:
        service.close()


def bench_embedded(
    size: int, folder: Path, repeat: int
) -> tuple[dict[str, dict[str, float]], dict[str, list[str]]]:
    """The figures for an embedded store of ``size`` contacts, searched in this process."""
    path = folder / f"store-{size}"
    build_store(path, size)
    service = open_service(path)
    try:
        return measure(service, size, repeat, None)
    finally:
        service.close()


def print_table(columns: dict[str, dict[str, dict[str, float]]]) -> None:
    """One line per query: each column's p50/p95 wall and CPU per search (client+server)."""
    labels = list(next(iter(columns.values())))
    heads = "".join(f" | {name:>34}" for name in columns)
    print(f"{'query':<20}{heads}")
    print(f"{'':<20}" + " | p50 ms  p95 ms  cpu ms (srv)  hits" * len(columns))
    for label in labels:
        cells = []
        for figures in columns.values():
            f = figures[label]
            more = ">" if f["capped"] else " "
            cells.append(
                f" | {f['p50']:6.1f}  {f['p95']:6.1f}  {f['cpu']:5.1f} ({f['server_cpu']:5.1f})"
                f" {more}{int(f['total']):4d}"
            )
        print(f"{label:<20}" + "".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--embedded-max", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--socket", help="a running cluster's socket folder (bench_<size> made)")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    print(f"load before: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    columns: dict[str, dict[str, dict[str, float]]] = {}
    same: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        folder = Path(tmp)
        with postgres_databases(args.socket, args.port, args.sizes) as socket:
            for size in args.sizes:
                embedded: dict[str, list[str]] | None = None
                if size <= args.embedded_max:
                    columns[f"embedded {size:,}"], embedded = bench_embedded(
                        size, folder, args.repeat
                    )
                columns[f"postgres {size:,}"], found = bench_postgres(
                    socket, args.port, size, folder, args.repeat
                )
                if embedded is not None:
                    differ = [q for q in found if found[q] != embedded[q]]
                    same.append(
                        f"{size:,}: " + (f"DIFFERENT for {differ}" if differ else "identical")
                    )
    print(f"load after: {Path('/proc/loadavg').read_text().strip()}")
    print_table(columns)
    print("results of the two stores: " + "; ".join(same))
    if args.json:
        args.json.write_text(json.dumps(columns, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
