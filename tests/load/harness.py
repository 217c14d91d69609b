"""Runs writers and a reader against one store and checks every promise afterwards.

Shared by the CI tests (8 writers, a few seconds, over each store) and the benchmark (16
writers, longer). A store is an embedded store's path, or a :class:`PgTarget`: a PostgreSQL
database whose login roles the caller made (each writer ``agentN`` with the agent role, the
reader ``load_reader`` with view).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contact_tui.store.base import ContactStore
from contact_tui.store.postgres.store import PostgresStore
from contact_tui.store.repository import Repository

READER = "load_reader"
IMPORT_BATCH = 100  # contacts per import, for the writer that imports (PostgreSQL)


def writer_name(n: int) -> str:
    """The user (login role) of writer ``n``."""
    return f"agent{n}"


@dataclass(frozen=True)
class PgTarget:
    """A PostgreSQL store: ``url(role)`` is the URL for a login (the superuser for None)."""

    url: Callable[[str | None], str]


@dataclass
class LoadReport:
    """What happened, and what broke (``problems`` is empty when every promise held)."""

    writers: int
    seconds: float
    writes: int = 0
    conflicts: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    reader: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def writes_per_second(self) -> float:
        """Acknowledged writes per second, all writers together."""
        return self.writes / self.seconds


def _start(module: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )


def run_load(store: Path | PgTarget, writers: int, seconds: float) -> LoadReport:
    """Run the load and check the store against every acknowledgement. Over PostgreSQL the
    first writer also imports batches of new contacts, which the reader must never see in
    part."""
    if isinstance(store, PgTarget):
        targets = [store.url(writer_name(n)) for n in range(writers)]
        extra = [[str(IMPORT_BATCH)]] + [[] for _ in range(writers - 1)]
        reader_args = [store.url(READER), str(seconds + 0.5), str(IMPORT_BATCH)]
    else:
        Repository.open(store).close()
        targets = [str(store)] * writers
        extra = [[] for _ in range(writers)]
        reader_args = [str(store), str(seconds + 1)]
    procs = [
        _start(
            "tests.load.load_worker", targets[n], writer_name(n), str(seconds), str(n), *extra[n]
        )
        for n in range(writers)
    ]
    reader = _start("tests.load.load_reader", *reader_args)
    report = LoadReport(writers, seconds)
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=seconds * 10 + 120)
        if proc.returncode != 0:
            report.problems.append(f"a writer failed: {err.decode()[-2000:]}")
            continue
        outputs.append(json.loads(out.decode().strip().splitlines()[-1]))
    out, err = reader.communicate(timeout=seconds * 10 + 120)
    if reader.returncode != 0:
        report.problems.append(f"the reader failed: {err.decode()[-2000:]}")
    else:
        report.reader = json.loads(out.decode().strip().splitlines()[-1])
        report.problems.extend(f"reader saw: {f}" for f in report.reader["failures"])

    latencies = sorted(x for o in outputs for x in o["latencies"])
    report.writes = len(latencies)
    report.conflicts = sum(o["conflicts"] for o in outputs)
    if latencies:
        report.p50_ms = statistics.median(latencies) * 1000
        report.p99_ms = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000

    repo: ContactStore = (
        PostgresStore.open(store.url(None))
        if isinstance(store, PgTarget)
        else Repository.open(store)
    )
    try:
        report.problems.extend(check_store(repo, outputs))
    finally:
        repo.close()
    return report


def check_store(repo: ContactStore, outputs: list[dict[str, Any]]) -> list[str]:
    """What broke: every acknowledged id, edit and import checked against the store, and each
    contact's audit against its version."""
    problems: list[str] = []
    ids = Counter(i for o in outputs for i in (*o["created"], *o["interactions"]))
    problems.extend(f"id handed out twice: {i}" for i, n in ids.items() if n > 1)
    for o in outputs:
        for contact_id in o["created"]:
            if repo.contact(contact_id) is None:
                problems.append(f"acknowledged contact lost: {contact_id}")
        for interaction_id in o["interactions"]:
            if repo.interaction(interaction_id) is None:
                problems.append(f"acknowledged interaction lost: {interaction_id}")
        for contact_id, version in o["edits"]:
            contact = repo.contact(contact_id)
            if contact is None or contact.version < version:
                problems.append(f"acknowledged edit lost: {contact_id} v{version}")
    for contact_id in repo.contact_ids():
        contact = repo.contact(contact_id)
        assert contact is not None
        versions = sorted(a.version for a in repo.audit_for(contact_id) if a.version is not None)
        if versions != list(range(1, contact.version + 1)):
            problems.append(
                f"audit versions of {contact_id} are {versions}, not 1..{contact.version}"
            )
    return problems
