"""Runs writers and a reader against one store and checks every promise afterwards.

Shared by the CI test (8 writers, a few seconds) and the benchmark (16 writers, longer).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contact_tui.store.repository import Repository


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


def run_load(store: Path, writers: int, seconds: float) -> LoadReport:
    """Run the load and check the store against every acknowledgement."""
    Repository.open(store).close()
    procs = [
        _start("tests.load.load_worker", str(store), f"agent{n}", str(seconds), str(n))
        for n in range(writers)
    ]
    reader = _start("tests.load.load_reader", str(store), str(seconds + 1))
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

    repo = Repository.open(store)
    ids = Counter(i for o in outputs for i in (*o["created"], *o["interactions"]))
    report.problems.extend(f"id handed out twice: {i}" for i, n in ids.items() if n > 1)
    for o in outputs:
        for contact_id in o["created"]:
            if repo.contact(contact_id) is None:
                report.problems.append(f"acknowledged contact lost: {contact_id}")
        for interaction_id in o["interactions"]:
            if repo.interaction(interaction_id) is None:
                report.problems.append(f"acknowledged interaction lost: {interaction_id}")
        for contact_id, version in o["edits"]:
            contact = repo.contact(contact_id)
            if contact is None or contact.version < version:
                report.problems.append(f"acknowledged edit lost: {contact_id} v{version}")
    for contact_id in repo.contact_ids():
        contact = repo.contact(contact_id)
        assert contact is not None
        versions = sorted(a.version for a in repo.audit_for(contact_id) if a.version is not None)
        if versions != list(range(1, contact.version + 1)):
            report.problems.append(
                f"audit versions of {contact_id} are {versions}, not 1..{contact.version}"
            )
    repo.close()
    return report
