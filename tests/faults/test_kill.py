"""Kill -9 a writer at random moments; after every kill the store must open in a state from
just before or just after the interrupted save, with no temporary files left once it is open.

The writer (``tests.faults.kill_worker``) saves one contact over and over, acknowledging each
save on stdout, with a compaction threshold so small that kills land in compactions too
(backup links, snapshot writes, journal replacement). :func:`run_kill_rounds` does the work
and is shared with ``tests/perf/bench_faults.py``, which runs 200 or more rounds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from contact_tui.domain.codec import contact_to_doc
from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Contact, ContactType
from contact_tui.store.doctor import diagnose
from contact_tui.store.errors import StoreError
from contact_tui.store.format import read_journal, read_snapshot
from contact_tui.store.layout import TMP_MARK
from contact_tui.store.repository import Repository
from tests.faults.kill_worker import service_for

ROOT = Path(__file__).resolve().parents[2]
FILLERS = 300  # other contacts, so that a snapshot write takes a while (~100 KB)
# Compaction thresholds a round picks from: every save compacts, or every few saves.
THRESHOLDS = (1, 1, 4_000, 16_000)
MAX_DELAY = 0.08  # seconds a worker runs after it is ready and before it is killed
CI_ROUNDS = 25


@dataclass
class KillReport:
    """What a run of kill rounds found; ``ok`` when nothing went wrong."""

    kills: int = 0
    saves: int = 0
    failed_opens: list[str] = field(default_factory=list)
    wrong_states: list[str] = field(default_factory=list)
    tmp_left: list[str] = field(default_factory=list)
    doctor_errors: list[str] = field(default_factory=list)
    landed: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every kill left a store that opened in a before-or-after state."""
        return not (self.failed_opens or self.wrong_states or self.tmp_left or self.doctor_errors)


def prepare_store(folder: Path) -> tuple[Path, str]:
    """A store with filler contacts and the counter contact (title "0"); its path and id."""
    path = folder / "store.json"
    fillers = {}
    for n in range(FILLERS):
        c = Contact(
            id=f"filler-{n:04d}",
            type=ContactType.CURATED,
            first_name="Filler",
            last_name=f"Number {n}",
            title="x" * 200,
            version=1,
        )
        fillers[c.id] = contact_to_doc(c)
    Repository.open(path, seed=lambda: {"contacts": fillers}).close()
    service = service_for(path, 1)
    counter = service.create_contact(
        ContactDraft(first_name="Kill", last_name="Counter", title="0")
    )
    service.repo.close()
    return path, counter.id


def _tmp_files(folder: Path) -> list[str]:
    return sorted(e.name for e in folder.iterdir() if TMP_MARK in e.name)


def where_it_landed(path: Path) -> str:
    """Where in a save the kill landed, judged from the files it left (before any open)."""
    tmps = _tmp_files(path.parent)
    if any(n.startswith(f".{path.name}{TMP_MARK}bak-") for n in tmps):
        return "compaction: linking a backup"
    if any(n.startswith(f".{path.name}.journal{TMP_MARK}") for n in tmps):
        return "compaction: writing the new journal"
    if tmps:
        return "compaction: writing the new snapshot"
    try:
        snap_gen = read_snapshot(path)[1]
        journal = read_journal(path.with_name(path.name + ".journal"))
    except StoreError:
        return "unreadable"
    if journal.header["generation"] < snap_gen:
        return "compaction: between its two renames"
    if journal.torn:
        return "appending a record (torn last line)"
    return "between saves, or a whole step"


def kill_round(path: Path, contact_id: str, rng: random.Random, report: KillReport) -> None:
    """Start a writer, kill -9 it at a random moment, then open the store and check it."""
    threshold = rng.choice(THRESHOLDS)
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.kill_worker", str(path), contact_id, str(threshold)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert worker.stdout is not None and worker.stderr is not None
    ready = worker.stdout.readline().decode()
    if not ready.startswith("READY "):
        worker.kill()
        worker.wait()
        err = worker.stderr.read().decode().strip().splitlines()
        report.failed_opens.append(f"the writer could not open the store: {err[-1:]} {ready!r}")
        return
    time.sleep(rng.uniform(0, MAX_DELAY))
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    report.kills += 1
    # A pipe write under PIPE_BUF is atomic, so a kill cannot cut an ACK line in two; still,
    # count only whole ones.
    lines = worker.stdout.read().decode().splitlines()
    acks = [int(line[4:]) for line in lines if line.startswith("ACK ") and line[4:].isdigit()]
    worker.stdout.close()
    worker.stderr.close()
    before = int(ready.split()[1])
    last_ack = acks[-1] if acks else before
    report.saves += last_ack - before
    report.landed[where_it_landed(path)] += 1

    try:
        repo = Repository.open(path)
    except StoreError as err:
        report.failed_opens.append(str(err))
        return
    try:
        contact = repo.contact(contact_id)
        value = int(contact.title) if contact is not None else -1
        audits = len(repo.audit_for(contact_id))
        if value not in (last_ack, last_ack + 1):
            report.wrong_states.append(f"title {value} after last ACK {last_ack}")
        elif contact is None or contact.version != value + 1 or audits != value + 1:
            # Each save is one record holding the contact and its audit record: a version or
            # an audit count out of step would be half a transaction.
            version = contact.version if contact else None
            report.wrong_states.append(f"title {value}, version {version}, {audits} audits")
    finally:
        repo.close()
    left = _tmp_files(path.parent)
    if left:
        report.tmp_left.append(", ".join(left))
    errors = [f.message for f in diagnose(path) if f.level == "error"]
    report.doctor_errors.extend(errors)


def run_kill_rounds(folder: Path, rounds: int, seed: int | None = None) -> KillReport:
    """Run ``rounds`` kill rounds on a new store in ``folder``; the same seed, the same delays."""
    rng = random.Random(seed)
    report = KillReport()
    started = time.monotonic()
    path, contact_id = prepare_store(folder)
    for _ in range(rounds):
        kill_round(path, contact_id, rng, report)
    report.seconds = time.monotonic() - started
    return report


def test_a_store_survives_kill_9_at_random_moments(tmp_path: Path) -> None:
    seed = int(os.environ.get("CONTACT_TUI_KILL_SEED", random.randrange(1 << 30)))
    report = run_kill_rounds(tmp_path, CI_ROUNDS, seed)
    context = f"seed {seed} (rerun with CONTACT_TUI_KILL_SEED={seed}): {report}"
    assert report.kills == CI_ROUNDS, context
    assert report.ok, context
    assert report.saves > 0, context
