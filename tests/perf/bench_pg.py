"""PostgreSQL store benchmark: the figures issue 12 asks for, beside the embedded store's.

Not a test: nothing here asserts. Run ``.venv/bin/python tests/perf/bench_pg.py`` (or with
``--sizes 100000``). It starts its own throwaway PostgreSQL cluster (tests/pg/cluster.py; on
disk with fsync and synchronous commit on, as in production, unless ``--memory``), installs the
schema and roles with ``contact_tui.store.postgres.admin``, fills a database per size in bulk
(COPY as the table owner, the derived columns computed by the same codec functions the store
uses, then checked against what a real save writes), builds the same contacts as an embedded
store (tests/perf/bench_store.py's data), and measures, in fresh processes opened through
``contact_tui.bootstrap`` as an agent's app and CLI open them:

* phone lookup: ``service.search`` of a number typed with formatting, and the store's
  ``contacts_by_key`` alone; p50
* name search: ``service.search`` of names (one hit, a common last name, first + last, a
  fragment); p50 of each
* save: one process editing contacts (p50/p99), then 8 writer processes at once for a few
  seconds (saves/s, p50/p99, conflicts, client and server CPU per save); then the same at the
  store level (a transaction of save_contact and add_audit, without the service's checks).
  Each writer watches the store as the app does (each of its notices taken in before a save)
* seen: how long after a save returns another agent's process, woken by its watch (PostgreSQL:
  LISTEN/NOTIFY; embedded: inotify), has refreshed and reads the changed contact
* usable: a process that opens the service and reads the agent's interaction list and their
  contacts (the app's first screen, without Textual), and the real app headless until its
  interaction list shows; wall time from process start and peak RSS
* CLI: ``contact-tui contact search`` and ``contact-tui interaction new``; wall and peak RSS
* 50 sessions (PostgreSQL only): 50 agents' stores and watches connected at once, each having
  read its list and searched; the server's memory as the sum of its processes' RSS and PSS

The embedded store is measured only up to ``--embedded-max`` contacts (default 100,000): at
1,000,000 each process would hold several GB, and eight writers more than this machine has.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from contact_tui import bootstrap  # noqa: E402
from contact_tui.domain import codec  # noqa: E402
from contact_tui.domain.clock import utcnow  # noqa: E402
from contact_tui.domain.draft import ContactDraft  # noqa: E402
from contact_tui.domain.model import (  # noqa: E402
    Address,
    AuditAction,
    AuditRecord,
    Channel,
    Contact,
    ContactType,
    NewInteraction,
    Participant,
)
from contact_tui.domain.rules import parse_phone  # noqa: E402
from contact_tui.service import ContactService  # noqa: E402
from contact_tui.store.postgres import admin  # noqa: E402
from contact_tui.store.postgres.schema import SCHEMA  # noqa: E402
from contact_tui.store.postgres.store import PostgresStore  # noqa: E402
from tests.perf.bench_store import (  # noqa: E402
    FIRST,
    LAST,
    build_store,
    cell_phone,
    e164_for,
    work_phone,
)
from tests.pg.cluster import SUPERUSER, Cluster, RunAs, find_binaries  # noqa: E402

APP_ROLE = "bench_app"  # the agent whose app, CLI and interactions are measured
WRITERS = [f"bench_w{n}" for n in range(8)]
SESSIONS = [f"bench_s{n:02d}" for n in range(50)]
CLI = ROOT / ".venv" / "bin" / "contact-tui"
TIME = "/usr/bin/time"  # GNU time (Debian: apt-get install time)
INTERACTIONS = 20  # in the measured agent's list
TARGET = "00000000-0000-4000-8000-000000000007"  # the contact the "seen" test changes
NOW = utcnow()  # every generated contact's create and modify date, so a check can regenerate it


def contact_id(n: int) -> str:
    """The id of contact ``n`` (bench_store's ids)."""
    return f"00000000-0000-4000-8000-{n:012d}"


def contact_docs(size: int) -> Iterator[dict[str, Any]]:
    """The documents of bench_store.build_store(path, size), the same contacts in the same
    order (same random seed and draws), one at a time."""
    rng = random.Random(size)
    now = NOW
    for n in range(size):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contact = Contact(
            id=contact_id(n),
            type=ContactType.CURATED if n % 5 else ContactType.EPHEMERAL,
            first_name=first,
            last_name=f"{last}{n}",
            title="Buyer",
            cell_phone=cell_phone(n),
            work_phone=work_phone(n),
            work_email=f"{first.lower()}.{n}@example.com",
            address=Address("1 Main St", "", "Springfield", "IL", "62701", "US"),
            create_date=now,
            modify_date=now,
            version=1,
            created_by="bench",
            modified_by="bench",
        )
        yield codec.contact_to_doc(contact)


def name_queries(size: int) -> dict[str, str]:
    """Name searches an agent types: one contact, a common last name, first and last, a
    fragment of a name."""
    rng = random.Random(size)
    names = [(rng.choice(FIRST), rng.choice(LAST)) for _ in range(size // 3 + 1)]
    first, last = names[0]
    return {
        "one": f"{names[-1][1]}{size // 3}",
        "last": "Whitfield",
        "first+last": "Priya Sato",
        "fragment": "hevch",
        "contact0": f"{first} {last}0",
    }


# What can be measured, each on its own (--parts): a change to the save path is measured by
# "writers" alone in a minute, not the whole run's quarter of an hour.
PARTS = frozenset({"reads", "seen", "writers", "usable", "cli", "sessions"})

# --- the cluster and the fill ----------------------------------------------------------------


def start_cluster(memory: bool) -> Cluster:
    """A throwaway cluster (tests/pg/cluster.py), with production durability unless
    ``memory``: the test cluster turns fsync and synchronous commit off and lives in /dev/shm,
    which would flatter every save."""
    cluster = Cluster(find_binaries(), RunAs.choose())
    if not memory:
        cluster.folder.rmdir()
        cluster.folder = Path(tempfile.mkdtemp(prefix="contact-tui-pg-"))
        cluster.data = cluster.folder / "data"
        cluster.log = cluster.folder / "server.log"
    cluster.start()
    if not memory:
        with psycopg.connect(superuser_url(cluster), autocommit=True) as conn:
            for name in ("fsync", "synchronous_commit", "full_page_writes"):
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = on").format(sql.Identifier(name)))
        cluster.pause()
        cluster.resume()
    return cluster


def url_for(cluster: Cluster, database: str, role: str) -> str:
    """A libpq URL for ``role`` on ``database`` over the cluster's socket."""
    return f"postgresql://{role}@/{database}?host={cluster.socket_dir}&port={cluster.port}"


def superuser_url(cluster: Cluster, database: str = "postgres") -> str:
    """The superuser's URL (who runs init and owns the tables)."""
    return url_for(cluster, database, SUPERUSER)


def _copy_field(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def fill(url: str, size: int) -> dict[str, float]:
    """Fill an initialised, empty database with ``size`` contacts and their identity keys, as
    save_contact would store them: COPY as the table owner, the secondary indexes dropped
    during the load and made again after, triggers off (no 1,000,000 notifications nor change
    log rows); the CHECK on every document still runs."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s "
            "AND tablename IN ('contacts', 'contact_keys') AND indexname NOT LIKE '%%_pkey'",
            (SCHEMA,),
        ).fetchall()
        for name, _ in indexes:
            conn.execute(
                sql.SQL("DROP INDEX {}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(name))
            )
        keys: list[str] = []
        with conn.cursor() as cur:
            with cur.copy(
                f"COPY {SCHEMA}.contacts (id, doc, version, kind, created) FROM STDIN"
            ) as copy:
                lines: list[str] = []
                for doc in contact_docs(size):
                    fields = (
                        doc["id"],
                        orjson.dumps(doc).decode(),
                        str(doc["version"]),
                        doc["type"],
                        doc.get("createDate", ""),
                    )
                    lines.append("\t".join(_copy_field(f) for f in fields) + "\n")
                    keys.extend(
                        f"{_copy_field(k)}\t{doc['id']}\n" for k in codec.contact_doc_keys(doc)
                    )
                    if len(lines) >= 5000:
                        copy.write("".join(lines))
                        lines.clear()
                copy.write("".join(lines))
            copied = time.perf_counter() - started
            with cur.copy(f"COPY {SCHEMA}.contact_keys (key, contact_id) FROM STDIN") as copy:
                for at in range(0, len(keys), 20000):
                    copy.write("".join(keys[at : at + 20000]))
        keyed = time.perf_counter() - started
        for _, definition in indexes:
            conn.execute(definition)
        indexed = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
        db_mb = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return {
        "contacts_s": copied,
        "keys_s": keyed - copied,
        "index_s": indexed - keyed,
        "fill_s": time.perf_counter() - started,
        "db_mb": (db_mb[0] if db_mb else 0) / 1e6,
    }


def check_fill(cluster: Cluster, database: str, size: int) -> str:
    """Read a few bulk-loaded contacts back through PostgresStore as the agent and compare
    them, their keys and their derived columns with what the codec and a real save give."""
    url = url_for(cluster, database, APP_ROLE)
    store = PostgresStore.open(url)
    rng = random.Random(7)
    picks = sorted({0, size - 1, *(rng.randrange(size) for _ in range(5))})
    wanted = {doc["id"]: doc for n, doc in enumerate(contact_docs(size)) if n in picks}
    try:
        for n in picks:
            cid = contact_id(n)
            got = store.contact(cid)
            assert got is not None, cid
            # Numbers as the app keeps what is typed: an edit through the service leaves them
            # (and the keys and search columns they make) as they were.
            for phone, sms in ((got.cell_phone, True), (got.work_phone, False)):
                assert phone is not None, cid
                assert parse_phone(phone.user_input, "US", accepts_sms=sms) == phone, phone
            assert codec.contact_to_doc(got) == wanted[cid], cid
            assert [c.id for c in store.contacts_by_key(f"tel:{e164_for(n)}")] == [cid], cid
            last = wanted[cid]["lastName"]
            found, total = store.search_text([last], 5)
            assert cid in [c.id for c in found], (cid, last, total)
            with store.write(APP_ROLE) as tx:
                assert tx.contact_keys(cid) == codec.contact_doc_keys(wanted[cid]), cid
        # A real save of the same document (through save_contact) must leave the derived
        # columns and the keys exactly as the bulk load wrote them.
        cid = contact_id(picks[1])
        with psycopg.connect(superuser_url(cluster, database)) as conn:
            before = conn.execute(
                f"SELECT kind, created, sort_last, sort_first, search, "
                f"(SELECT array_agg(key ORDER BY key) FROM {SCHEMA}.contact_keys "
                f"WHERE contact_id = c.id), "
                f"(SELECT array_agg(k ORDER BY k) FROM {SCHEMA}.doc_keys(c.doc) AS k) "
                f"FROM {SCHEMA}.contacts AS c WHERE id = %s",
                (cid,),
            ).fetchone()
            assert before is not None and before[5] == before[6], before
        with store.write(APP_ROLE) as tx:
            current = tx.contact(cid)
            assert current is not None
            saved = tx.save_contact(current, current.version)
            tx.add_audit(edit_record(APP_ROLE, cid, (), saved.version))
        with psycopg.connect(superuser_url(cluster, database)) as conn:
            after = conn.execute(
                f"SELECT kind, created, sort_last, sort_first, search, "
                f"(SELECT array_agg(key ORDER BY key) FROM {SCHEMA}.contact_keys "
                f"WHERE contact_id = c.id), "
                f"(SELECT array_agg(k ORDER BY k) FROM {SCHEMA}.doc_keys(c.doc) AS k) "
                f"FROM {SCHEMA}.contacts AS c WHERE id = %s",
                (cid,),
            ).fetchone()
        assert before == after, (before, after)
    finally:
        store.close()
    return f"{len(picks)} contacts read back and 1 re-saved: documents, keys and columns match"


def write_config(folder: Path, name: str, store_line: str) -> Path:
    """A config file for the app and CLI (the agent's roles come from the database for
    PostgreSQL, from ``[users]`` for the embedded store)."""
    path = folder / f"{name}.toml"
    path.write_text(f'[store]\n{store_line}\n\n[users]\nroot = "agent"\n', encoding="utf-8")
    return path


def add_interactions(config: Path, size: int, count: int) -> None:
    """Route ``count`` calls from known numbers to the config's agent, through the service."""
    service = bootstrap.open_service(config_path=config)
    try:
        rng = random.Random(3)
        for _ in range(count):
            e164 = e164_for(rng.randrange(size))
            sender = Participant(f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}", "Caller")
            service.handle_interaction(
                NewInteraction(agent=service.agent.user, channel=Channel.VOICE, sender=sender)
            )
    finally:
        service.close()


# --- child processes ---------------------------------------------------------------------------


def _rss_mb() -> float:
    """This process's peak RSS. VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss
    over exec from the forked parent, so every child would report the benchmark's own size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _cpu_s() -> float:
    """CPU time this process used so far (user + system): unlike wall time, not inflated by
    other work on the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def app_watch(service: ContactService) -> Callable[[], None]:
    """The app's watch on the store: a look (before each save) takes in what it heard, as the
    app does when the watch's descriptor turns readable, and refreshes. A PostgreSQL store
    keeps the admin settings only while a watch listens, as in the app."""
    watch = service.watch()
    fd = watch.fileno()

    def look() -> None:
        if fd is not None and select.select([fd], [], [], 0)[0]:
            watch.changed()
        service.refresh()

    return look


def child_reads(config: Path, size: int) -> dict[str, Any]:
    """Open the service; phone lookups, name searches and single-process saves."""
    started = time.perf_counter()
    service = bootstrap.open_service(config_path=config)
    figures: dict[str, Any] = {"open_s": time.perf_counter() - started}
    look = app_watch(service)
    rng = random.Random(1)
    typed_times, key_times = [], []
    for _ in range(200):
        e164 = e164_for(rng.randrange(size))
        typed = f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
        t = time.perf_counter()
        hits = service.search(typed).contacts
        typed_times.append(time.perf_counter() - t)
        assert len(hits) == 1, typed
        t = time.perf_counter()
        assert service.repo.contacts_by_key(f"tel:{e164}")
        key_times.append(time.perf_counter() - t)
    figures["phone_ms"] = _p(typed_times, 0.5)
    figures["phone_p99_ms"] = _p(typed_times, 0.99)
    figures["key_ms"] = _p(key_times, 0.5)
    searches = {}
    for label, query in name_queries(size).items():
        times = []
        for _ in range(15):
            t = time.perf_counter()
            result = service.search(query)
            times.append(time.perf_counter() - t)
        searches[label] = {"ms": _p(times, 0.5), "total": result.total}
    figures["search"] = searches
    saves = []
    for i in range(50):
        cid = contact_id(rng.randrange(size))
        look()
        contact = service.contact(cid)
        draft = ContactDraft.from_contact(contact)
        draft.title = f"Buyer {i}"
        t = time.perf_counter()
        service.edit(cid, draft, contact.version)
        saves.append(time.perf_counter() - t)
    figures["save_ms"] = _p(saves, 0.5)
    figures["save_p99_ms"] = _p(saves, 0.99)
    figures["rss_mb"] = _rss_mb()
    service.close()
    return figures


def child_usable(config: Path, spawned: float) -> dict[str, Any]:
    """The app's first screen without Textual: open, the agent's list, its contacts."""
    service = bootstrap.open_service(config_path=config)
    interactions = service.interactions()
    ids = {i.contact_id for i in interactions if i.contact_id}
    contacts = service.contacts(ids)
    done = time.time()
    assert interactions and contacts
    return {"usable_s": done - spawned, "cpu_s": _cpu_s(), "rss_mb": _rss_mb()}


def child_app(config: Path, spawned: float) -> dict[str, Any]:
    """The real app, headless at 80x24, until its interaction list shows the agent's queue."""
    import asyncio

    from contact_tui.ui.app import ContactApp
    from contact_tui.ui.screens.main import MainScreen
    from contact_tui.ui.widgets.interaction_pane import InteractionPane

    async def run() -> float:
        app = ContactApp(lambda: bootstrap.open_service(config_path=config), cursor_blink=False)
        async with app.run_test(headless=True, size=(80, 24)) as pilot:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                screen = app.screen
                if (
                    isinstance(screen, MainScreen)
                    and screen.query_one(InteractionPane).selected is not None
                ):
                    return time.time()
                await pilot.pause(0.005)
        raise RuntimeError("the app never showed its interaction list")

    shown = asyncio.run(run())
    return {"usable_s": shown - spawned, "cpu_s": _cpu_s(), "rss_mb": _rss_mb()}


def child_watch(config: Path, ready: Path, count: int) -> dict[str, Any]:
    """Watch like the app (the store's descriptor, else a 0.5 s timer); each time the target
    contact's title changes, note when its new title was read."""
    service = bootstrap.open_service(config_path=config)
    watch = service.watch()
    fd = watch.fileno()
    seen: dict[str, float] = {}
    cpu = 0.0
    ready.write_text("ready")
    deadline = time.time() + 60
    while len(seen) < count and time.time() < deadline:
        if fd is not None:
            select.select([fd], [], [], 1.0)
        else:
            time.sleep(0.5)
        c0 = time.process_time()
        if watch.changed():
            service.refresh()
            # What the app's reload reads: the agent's list and its contacts, then the profile.
            service.interactions()
            title = service.contact(TARGET).title
            seen.setdefault(title, time.time())
        cpu += time.process_time() - c0
    watch.close()
    return {"seen": seen, "cpu_ms": cpu * 1000, "fd": fd is not None}


def child_writer(
    config: Path, start: Path, seconds: float, worker: int, size: int, level: str
) -> dict[str, Any]:
    """Wait for the start file, then edit random contacts for ``seconds``: through the service
    (``level`` "service", as the app saves), or straight through the store ("store": a
    transaction of save_contact and add_audit on the contact as read, without the service's
    checks, to show what the store alone can do)."""
    service = bootstrap.open_service(config_path=config)
    look = app_watch(service)
    save = _store_save if level == "store" else _service_save
    rng = random.Random(worker)
    # One save before the clock starts: what a process pays once (the country names a kept
    # number's warning loads, 0.5 s; the server session's first plans) is not throughput.
    look()
    save(service, service.contact(contact_id(worker)), f"Warmed up by {worker}")
    Path(f"{start}.ready{worker}").write_text("ready")
    while not start.exists():
        time.sleep(0.01)
    latencies = []
    conflicts = 0
    cpu = _cpu_s()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        cid = contact_id(rng.randrange(size))
        look()
        contact = service.contact(cid)
        title = f"Edited by {worker} at {time.time():.3f}"
        t = time.perf_counter()
        try:
            save(service, contact, title)
        except Exception:
            conflicts += 1
            continue
        latencies.append(time.perf_counter() - t)
    return {
        "saves": len(latencies),
        "conflicts": conflicts,
        "latencies": latencies,
        "cpu_s": _cpu_s() - cpu,
    }


def _service_save(service: ContactService, contact: Contact, title: str) -> None:
    draft = ContactDraft.from_contact(contact)
    draft.title = title
    service.edit(contact.id, draft, contact.version)


def _store_save(service: ContactService, contact: Contact, title: str) -> None:
    user = service.agent.user
    now = utcnow()
    with service.repo.write(user) as uow:
        saved = uow.save_contact(
            replace(contact, title=title, modify_date=now, modified_by=user), contact.version
        )
        uow.add_audit(edit_record(user, contact.id, ("title",), saved.version))


def edit_record(user: str, cid: str, fields: tuple[str, ...], version: int) -> AuditRecord:
    """The audit record of an edit (the store refuses a contact version without one)."""
    return AuditRecord(
        id=str(uuid.uuid4()),
        at=utcnow(),
        agent=user,
        action=AuditAction.EDIT,
        contact_id=cid,
        fields=fields,
        version=version,
    )


# --- the parent --------------------------------------------------------------------------------


def run_child(*args: str) -> subprocess.Popen[bytes]:
    """Start this script in child mode."""
    return subprocess.Popen(
        [sys.executable, __file__, "--child", *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )


def result(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    """A child's JSON result; raises if it failed."""
    out, _ = proc.communicate(timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"child {proc.args!r} failed with {proc.returncode}")
    data: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return data


def timed_child(*args: str) -> dict[str, Any]:
    """Run a usable/app child, passing it the moment it was started; a failure (the app is
    edited by others while this runs) gives no figures and is printed, not fatal."""
    try:
        return result(run_child(*args, repr(time.time())))
    except RuntimeError as err:
        print(f"  {args[0]} failed: {err}", flush=True)
        return {"usable_s": None, "cpu_s": None, "rss_mb": None}


def measure_usable(config: Path) -> dict[str, Any]:
    """Time to usable and RSS, without Textual and with the real app headless."""
    usable = timed_child("usable", str(config))
    shown = timed_child("app", str(config))
    return {
        "usable_s": usable["usable_s"],
        "usable_cpu_s": usable["cpu_s"],
        "usable_mb": usable["rss_mb"],
        "app_s": shown["usable_s"],
        "app_cpu_s": shown["cpu_s"],
        "app_mb": shown["rss_mb"],
    }


def measure_seen(config: Path, folder: Path, count: int = 15) -> dict[str, Any]:
    """Edit the target contact ``count`` times; how long until the watcher read each."""
    ready = folder / f"ready-{time.monotonic_ns()}"
    watcher = run_child("watch", str(config), str(ready), str(count))
    while not ready.exists():
        time.sleep(0.01)
    time.sleep(0.3)
    service = bootstrap.open_service(config_path=config)
    committed: dict[str, float] = {}
    for i in range(count):
        contact = service.contact(TARGET)
        draft = ContactDraft.from_contact(contact)
        draft.title = f"Seen {i}"
        # From the moment the save starts: the change's own write is part of the wait.
        committed[draft.title] = time.time()
        service.edit(TARGET, draft, contact.version)
        time.sleep(0.25)
    service.close()
    watched = result(watcher)
    delays = [watched["seen"][t] - at for t, at in committed.items() if t in watched["seen"]]
    return {
        "seen_ms": statistics.median(delays) * 1000 if delays else None,
        "seen_max_ms": max(delays) * 1000 if delays else None,
        "seen_n": f"{len(delays)}/{count}",
        "seen_cpu_ms": watched["cpu_ms"],
    }


def measure_writers(
    configs: list[Path],
    folder: Path,
    seconds: float,
    size: int,
    cluster: Cluster | None,
    level: str = "service",
) -> dict[str, Any]:
    """8 writer processes at once; with a cluster, the server's CPU time too (where the two
    cores went). ``level`` "store" saves without the service (figures prefixed ``s_``)."""
    start = folder / f"start-{time.monotonic_ns()}"
    procs = [
        run_child("write", str(cfg), str(start), str(seconds), str(w), str(size), level)
        for w, cfg in enumerate(configs)
    ]
    while not all(Path(f"{start}.ready{w}").exists() for w in range(len(configs))):
        time.sleep(0.05)
    server_cpu = server_cpu_s(cluster) if cluster else 0.0
    start.write_text("go")
    outs = [result(p) for p in procs]
    server_cpu = server_cpu_s(cluster) - server_cpu if cluster else 0.0
    latencies = [x for o in outs for x in o["latencies"]]
    saves = max(1, len(latencies) + sum(o["conflicts"] for o in outs))
    prefix = "s_" if level == "store" else ""
    return {
        f"{prefix}w_client_cpu_ms": sum(o["cpu_s"] for o in outs) / saves * 1000,
        f"{prefix}w_server_cpu_ms": server_cpu / saves * 1000 if cluster else None,
        f"{prefix}writes_per_s": len(latencies) / seconds,
        f"{prefix}w_p50_ms": _p(latencies, 0.5),
        f"{prefix}w_p99_ms": _p(latencies, 0.99),
        f"{prefix}conflicts": sum(o["conflicts"] for o in outs),
    }


def measure_cli(config: Path, size: int, runs: int = 5) -> dict[str, Any]:
    """Wall time and peak RSS of ``contact search`` and ``interaction new``, medians."""
    env = {**os.environ, "CONTACT_TUI_CONFIG": str(config)}
    env.pop("CI", None)
    e164 = e164_for(size // 2)
    commands = {
        "search": [str(CLI), "contact", "search", name_queries(size)["one"]],
        "search_phone": [str(CLI), "contact", "search", f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"],
        "new": [str(CLI), "interaction", "new", "--channel", "voice", "--from", e164],
    }
    figures: dict[str, Any] = {}
    for label, command in commands.items():
        walls: list[float] = []
        cpu: list[float] = []
        rss: list[float] = []
        for _ in range(runs):
            # GNU time reports the command's peak RSS: this process's own rusage would carry
            # its size over the fork (see _rss_mb).
            handle, name = tempfile.mkstemp(prefix="bench-time-")
            os.close(handle)
            report = Path(name)
            t = time.perf_counter()
            done = subprocess.run(
                [TIME, "-f", "%M %U %S", "-o", str(report), *command],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=ROOT,
                check=False,
            )
            walls.append(time.perf_counter() - t)
            if done.returncode != 0:
                raise RuntimeError(f"{command} exited {done.returncode}: {done.stderr.decode()}")
            peak_kb, user, system = report.read_text().split()[-3:]
            report.unlink()
            cpu.append(float(user) + float(system))
            rss.append(int(peak_kb) / 1024)
        figures[f"cli_{label}_s"] = statistics.median(walls)
        figures[f"cli_{label}_cpu_s"] = statistics.median(cpu)
        figures[f"cli_{label}_mb"] = max(rss)
    return figures


def server_pids(cluster: Cluster) -> list[int]:
    """The server's processes: the postmaster and its children."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                    pids.append(int(entry.name))
    return pids


def server_cpu_s(cluster: Cluster) -> float:
    """CPU time used so far by the server's processes, including exited sessions (the
    postmaster's reaped children count in its cutime/cstime)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in server_pids(cluster):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])
    return total / ticks


def server_memory(cluster: Cluster) -> dict[str, float]:
    """The server's processes (the postmaster and its children): summed RSS and PSS, MB."""
    pids = server_pids(cluster)
    rss = pss = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
    return {"processes": len(pids), "rss_mb": rss / 1024, "pss_mb": pss / 1024}


def measure_sessions(cluster: Cluster, database: str, size: int) -> dict[str, Any]:
    """50 agents connected at once, as their apps are: a store connection and a LISTEN
    connection each; each has read its interaction list, looked a number up and searched a
    name, all at the same time. Then the server's memory, with every session still open."""
    before = server_memory(cluster)
    stores: list[PostgresStore] = []
    watches = []
    for role in SESSIONS:
        store = PostgresStore.open(url_for(cluster, database, role))
        stores.append(store)
        watches.append(store.watch())
    queries = list(name_queries(size).values())

    def work(n: int, store: PostgresStore) -> None:
        store.interactions_for(store.user)
        store.contacts_by_key(f"tel:{e164_for(n * 7919 % size)}")
        store.search_text(queries[n % len(queries)].lower().split(), 50)

    t = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n, s)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    worked = time.perf_counter() - t
    after = server_memory(cluster)
    for watch in watches:
        watch.close()
    for store in stores:
        store.close()
    return {
        "sessions": len(stores),
        "connections": 2 * len(stores),
        "round_s": worked,
        "idle_rss_mb": before["rss_mb"],
        "idle_pss_mb": before["pss_mb"],
        "server_processes": after["processes"],
        "server_rss_mb": after["rss_mb"],
        "server_pss_mb": after["pss_mb"],
    }


def bench_postgres(
    cluster: Cluster, folder: Path, size: int, seconds: float, parts: frozenset[str] = PARTS
) -> dict[str, Any]:
    """The PostgreSQL figures of ``parts`` for one size, in a database of its own."""
    database = f"bench_{size}"
    with psycopg.connect(superuser_url(cluster), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    url = superuser_url(cluster, database)
    admin.init(url)
    for role in (APP_ROLE, *WRITERS, *SESSIONS):
        admin.grant(url, role, ["agent"])
    figures: dict[str, Any] = {"store": "postgres", "size": size}
    figures.update(fill(url, size))
    figures["check"] = check_fill(cluster, database, size)
    print(
        f"  postgres {size:,}: filled in {figures['fill_s']:.0f} s, {figures['check']}", flush=True
    )
    app_config = write_config(
        folder, f"pg-{size}", f'url = "{url_for(cluster, database, APP_ROLE)}"'
    )
    add_interactions(app_config, size, INTERACTIONS)
    for role in SESSIONS:
        add_interactions(
            write_config(folder, role, f'url = "{url_for(cluster, database, role)}"'), size, 3
        )
    writer_configs = [
        write_config(folder, f"pg-{size}-{role}", f'url = "{url_for(cluster, database, role)}"')
        for role in WRITERS
    ]
    if "reads" in parts:
        figures.update(result(run_child("reads", str(app_config), str(size))))
    if "seen" in parts:
        figures.update(measure_seen(app_config, folder))
    if "writers" in parts:
        figures.update(measure_writers(writer_configs, folder, seconds, size, cluster))
        figures.update(measure_writers(writer_configs, folder, seconds, size, cluster, "store"))
    if "usable" in parts:
        figures.update(measure_usable(app_config))
    if "cli" in parts:
        figures.update(measure_cli(app_config, size))
    if "sessions" in parts:
        figures.update(measure_sessions(cluster, database, size))
    return figures


def bench_embedded(
    folder: Path, size: int, seconds: float, parts: frozenset[str] = PARTS
) -> dict[str, Any]:
    """The embedded store's figures of ``parts`` for one size (every process is the same OS
    user)."""
    path = folder / f"embedded-{size}" / "store.json"
    path.parent.mkdir()
    t = time.perf_counter()
    build_store(path, size)
    figures: dict[str, Any] = {"store": "embedded", "size": size, "fill_s": time.perf_counter() - t}
    figures["db_mb"] = sum(p.stat().st_size for p in path.parent.iterdir() if p.is_file()) / 1e6
    config = write_config(folder, f"embedded-{size}", f'path = "{path}"')
    add_interactions(config, size, INTERACTIONS)
    print(f"  embedded {size:,}: built in {figures['fill_s']:.0f} s", flush=True)
    if "reads" in parts:
        figures.update(result(run_child("reads", str(config), str(size))))
    if "seen" in parts:
        figures.update(measure_seen(config, folder))
    if "writers" in parts:
        figures.update(measure_writers([config] * 8, folder, seconds, size, None))
        figures.update(measure_writers([config] * 8, folder, seconds, size, None, "store"))
    if "usable" in parts:
        figures.update(measure_usable(config))
    if "cli" in parts:
        figures.update(measure_cli(config, size))
    return figures


COLUMNS: list[tuple[str, str, str]] = [
    # (heading, key, format); None values print as "-"
    ("store MB", "db_mb", "{:.0f}"),
    ("fill s", "fill_s", "{:.0f}"),
    ("open s", "open_s", "{:.2f}"),
    ("phone ms (search)", "phone_ms", "{:.2f}"),
    ("phone ms (by key)", "key_ms", "{:.2f}"),
    ("save p50 ms (1 proc)", "save_ms", "{:.2f}"),
    ("save p99 ms (1 proc)", "save_p99_ms", "{:.2f}"),
    ("8 writers saves/s", "writes_per_s", "{:.0f}"),
    ("8 writers p50 ms", "w_p50_ms", "{:.2f}"),
    ("8 writers p99 ms", "w_p99_ms", "{:.2f}"),
    ("8 writers conflicts", "conflicts", "{}"),
    ("8 writers client CPU ms/save", "w_client_cpu_ms", "{:.2f}"),
    ("8 writers server CPU ms/save", "w_server_cpu_ms", "{:.2f}"),
    ("store level: 8 writers saves/s", "s_writes_per_s", "{:.0f}"),
    ("store level: 8 writers p50 ms", "s_w_p50_ms", "{:.2f}"),
    ("store level: 8 writers p99 ms", "s_w_p99_ms", "{:.2f}"),
    ("store level: client CPU ms/save", "s_w_client_cpu_ms", "{:.2f}"),
    ("store level: server CPU ms/save", "s_w_server_cpu_ms", "{:.2f}"),
    ("seen p50 ms", "seen_ms", "{:.0f}"),
    ("seen max ms", "seen_max_ms", "{:.0f}"),
    ("seen count", "seen_n", "{}"),
    ("usable s (no UI)", "usable_s", "{:.2f}"),
    ("usable CPU s (no UI)", "usable_cpu_s", "{:.2f}"),
    ("usable RSS MB (no UI)", "usable_mb", "{:.0f}"),
    ("app usable s (Textual)", "app_s", "{:.2f}"),
    ("app CPU s (Textual)", "app_cpu_s", "{:.2f}"),
    ("app RSS MB (Textual)", "app_mb", "{:.0f}"),
    ("CLI search name s", "cli_search_s", "{:.2f}"),
    ("CLI search name CPU s", "cli_search_cpu_s", "{:.2f}"),
    ("CLI search name MB", "cli_search_mb", "{:.0f}"),
    ("CLI search phone s", "cli_search_phone_s", "{:.2f}"),
    ("CLI search phone CPU s", "cli_search_phone_cpu_s", "{:.2f}"),
    ("CLI search phone MB", "cli_search_phone_mb", "{:.0f}"),
    ("CLI interaction new s", "cli_new_s", "{:.2f}"),
    ("CLI interaction new CPU s", "cli_new_cpu_s", "{:.2f}"),
    ("CLI interaction new MB", "cli_new_mb", "{:.0f}"),
    ("50 sessions: server RSS MB", "server_rss_mb", "{:.0f}"),
    ("50 sessions: server PSS MB", "server_pss_mb", "{:.0f}"),
    ("50 sessions: server processes", "server_processes", "{}"),
    ("50 sessions: one round s", "round_s", "{:.2f}"),
    ("idle server PSS MB", "idle_pss_mb", "{:.0f}"),
]


def print_table(rows: list[dict[str, Any]]) -> None:
    """One column per (store, size), one line per figure."""
    heads = [f"{r['store']} {r['size']:,}" for r in rows]
    width = max(len(c[0]) for c in COLUMNS) + 2
    print("".ljust(width) + "".join(h.rjust(18) for h in heads))
    for label in ("search",):
        for query in rows[0].get(label, {}):
            cells = []
            for r in rows:
                found = r.get(label, {}).get(query)
                cells.append(f"{found['ms']:.2f} ({found['total']:,})" if found else "-")
            print(f"name ms ({query}, hits)".ljust(width) + "".join(c.rjust(18) for c in cells))
    for heading, key, fmt in COLUMNS:
        cells = [fmt.format(r[key]) if r.get(key) is not None else "-" for r in rows]
        print(heading.ljust(width) + "".join(c.rjust(18) for c in cells))


def main() -> None:
    """Parse the arguments, run every size, print the figures."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, args = sys.argv[2], sys.argv[3:]
        config = Path(args[0])
        if mode == "reads":
            out = child_reads(config, int(args[1]))
        elif mode == "usable":
            out = child_usable(config, float(args[1]))
        elif mode == "app":
            out = child_app(config, float(args[1]))
        elif mode == "watch":
            out = child_watch(config, Path(args[1]), int(args[2]))
        else:
            out = child_writer(
                config, Path(args[1]), float(args[2]), int(args[3]), int(args[4]), args[5]
            )
        print(json.dumps(out))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--embedded-max", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--memory", action="store_true", help="cluster in /dev/shm, fsync off")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--parts",
        default=",".join(sorted(PARTS)),
        help="which figures to measure (comma-separated; default all): " + ", ".join(sorted(PARTS)),
    )
    options = parser.parse_args()
    parts = frozenset(p for p in options.parts.split(",") if p)
    if not parts <= PARTS:
        parser.error(f"unknown parts: {', '.join(sorted(parts - PARTS))}")
    binaries = find_binaries()
    memory_gb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    durability = "in memory, fsync off" if options.memory else "on disk, fsync on"
    print(
        f"machine: {os.cpu_count()} cores, {memory_gb:.0f} GB, {platform.platform()}, "
        f"Python {sys.version.split()[0]}, PostgreSQL {binaries.version} ({durability}, "
        "default shared_buffers)",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    cluster = start_cluster(options.memory)
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-", dir=ROOT / "tests" / "perf"))
    try:
        for size in (int(s) for s in options.sizes.split(",")):
            rows.append(bench_postgres(cluster, folder, size, options.seconds, parts))
            if size <= options.embedded_max:
                rows.append(bench_embedded(folder, size, options.seconds, parts))
            if options.json:
                options.json.write_text(json.dumps(rows, indent=1))
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print_table(rows)


if __name__ == "__main__":
    main()
