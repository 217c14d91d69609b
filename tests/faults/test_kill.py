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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from contact_tui.domain.codec import contact_to_doc
from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Contact, ContactType, Permission
from contact_tui.store.doctor import diagnose
from contact_tui.store.errors import StoreError
from contact_tui.store.format import read_journal, read_snapshot
from contact_tui.store.layout import TMP_MARK
from contact_tui.store.postgres.schema import SCHEMA
from contact_tui.store.postgres.store import PostgresStore
from contact_tui.store.repository import Repository
from tests.contract import set_grants
from tests.faults.kill_worker import service_for
from tests.load.target import open_service

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


# --- PostgreSQL: the server rolls back what a killed writer left open ------------------------

PG_ROUNDS = 4
PG_EDITORS = 2
PG_BATCH = 100  # contacts per import: a transaction long enough to be killed inside
PG_MAX_DELAY = 0.05
IMPORTER = "kill_importer"
# In one snapshot: the contacts whose audit versions are not exactly 1..version.
AUDIT_GAPS = f"""
SELECT c.id, c.version, a.versions FROM {SCHEMA}.contacts AS c
LEFT JOIN LATERAL (
    SELECT array_agg((doc ->> 'version')::int ORDER BY (doc ->> 'version')::int) AS versions
    FROM {SCHEMA}.audit WHERE contact_id = c.id AND jsonb_typeof(doc -> 'version') = 'number'
) AS a ON true
WHERE a.versions IS DISTINCT FROM ARRAY(SELECT generate_series(1, c.version))
"""


def _editor(n: int) -> str:
    return f"kill_editor{n}"


@dataclass
class PgKillReport:
    """What the PostgreSQL kill rounds found; ``problems`` is empty when nothing was left
    half-written."""

    kills: int = 0
    saves: int = 0
    imports: int = 0
    open_at_kill: int = 0  # kills that landed with a transaction holding uncommitted writes
    problems: list[str] = field(default_factory=list)


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.kill_worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )


def _backend(su: psycopg.Connection[Any], login: str) -> tuple[int, bool] | None:
    """The server process serving ``login`` and whether its transaction has written."""
    row = su.execute(
        "SELECT pid, backend_xid IS NOT NULL FROM pg_stat_activity WHERE usename = %s", (login,)
    ).fetchone()
    return None if row is None else (int(row[0]), bool(row[1]))


def _kill(worker: subprocess.Popen[bytes]) -> list[str]:
    """Kill -9 ``worker``; the whole lines it printed."""
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    assert worker.stdout is not None and worker.stderr is not None
    lines = worker.stdout.read().decode().splitlines()
    worker.stdout.close()
    worker.stderr.close()
    return lines


def pg_kill_round(
    url: Callable[[str | None], str], counters: list[str], rng: random.Random, report: PgKillReport
) -> None:
    """Start the editors and the importer, kill -9 each (the importer once its transaction
    has written, the editors at random moments), then check that the server rolled back
    whatever they left open."""
    editors = [_spawn(url(_editor(n)), counters[n], "0") for n in range(PG_EDITORS)]
    importer = _spawn(url(IMPORTER), "--import", str(PG_BATCH))
    workers = [*editors, importer]
    readies = []
    for worker in workers:
        assert worker.stdout is not None
        readies.append(worker.stdout.readline().decode())
    if not all(r.startswith("READY ") for r in readies):
        for worker in workers:
            worker.kill()
            worker.wait()
        report.problems.append(f"a writer could not start: {readies}")
        return
    with psycopg.connect(url(None), autocommit=True) as su:
        # The importer: once its transaction holds uncommitted contacts.
        deadline = time.monotonic() + 5
        while (found := _backend(su, IMPORTER)) is None or not found[1]:
            if time.monotonic() > deadline:
                report.problems.append("the importer never started writing")
                break
            time.sleep(0.002)
        gone = [found[0]] if found else []
        report.open_at_kill += bool(found and found[1])
        import_lines = _kill(importer)
        time.sleep(rng.uniform(0, PG_MAX_DELAY))
        edits = []
        for n, editor in enumerate(editors):
            found = _backend(su, _editor(n))
            report.open_at_kill += bool(found and found[1])
            gone += [found[0]] if found else []
            edits.append(_kill(editor))
        report.kills += len(workers)
        # The server notices each lost client and rolls its transaction back.
        deadline = time.monotonic() + 5
        while su.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (gone,)).fetchone():
            if time.monotonic() > deadline:
                report.problems.append("a killed writer's session outlived it")
                break
            time.sleep(0.01)
        for n, lines in enumerate(edits):
            before = int(readies[n].split()[1])
            acks = [int(x[4:]) for x in lines if x.startswith("ACK ") and x[4:].isdigit()]
            last = acks[-1] if acks else before
            report.saves += last - before
            row = su.execute(
                f"SELECT (doc ->> 'title')::int, version FROM {SCHEMA}.contacts WHERE id = %s",
                (counters[n],),
            ).fetchone()
            if row is None or row[0] not in (last, last + 1) or row[1] != row[0] + 1:
                report.problems.append(f"counter {n}: (title, version) {row} after ACK {last}")
        started = [x[6:] for x in import_lines if x.startswith("START ")]
        acked = {x[4:] for x in import_lines if x.startswith("ACK ")}
        report.imports += len(acked)
        for tag in started:
            count = su.execute(
                f"SELECT count(*) FROM {SCHEMA}.contacts WHERE doc ->> 'lastName' = %s", (tag,)
            ).fetchone()
            wanted = {PG_BATCH} if tag in acked else {0, PG_BATCH}
            if count is None or count[0] not in wanted:
                report.problems.append(
                    f"import {tag}: {count} contacts, acknowledged: {tag in acked}"
                )
        gaps = su.execute(AUDIT_GAPS).fetchall()
        report.problems.extend(
            f"contact {i} at version {v}, audit versions {a}" for i, v, a in gaps
        )
    store = PostgresStore.open(url(None))
    try:
        store.contacts(store.contact_ids())  # every contact reads back
    except StoreError as err:
        report.problems.append(f"a contact is unreadable: {err}")
    finally:
        store.close()


@pytest.mark.pg
def test_a_postgres_store_keeps_nothing_half_written_after_kill_9(schema_database: Any) -> None:
    """Kill -9 of writers mid-transaction (an import holding uncommitted contacts, editors at
    random moments): the server rolls back what each left open, every contact reads back,
    each counter is at its last acknowledged save or the one in flight (with its audit), and
    each import is all there or not there at all."""
    seed = int(os.environ.get("CONTACT_TUI_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    with schema_database.connect() as su:
        for login in (*(_editor(n) for n in range(PG_EDITORS)), IMPORTER):
            set_grants(su, login, frozenset(Permission))
    service = open_service(schema_database.url(IMPORTER), IMPORTER)
    try:
        counters = [
            service.create_contact(
                ContactDraft(first_name="Kill", last_name=f"Counter {n}", title="0")
            ).id
            for n in range(PG_EDITORS)
        ]
    finally:
        service.close()
    report = PgKillReport()
    for _ in range(PG_ROUNDS):
        pg_kill_round(schema_database.url, counters, rng, report)
    context = f"seed {seed} (rerun with CONTACT_TUI_KILL_SEED={seed}): {report}"
    assert report.problems == [], context
    assert report.kills == PG_ROUNDS * (PG_EDITORS + 1), context
    assert report.open_at_kill >= PG_ROUNDS, context  # each importer killed mid-transaction
    assert report.saves > 0, context
