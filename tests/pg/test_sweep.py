"""No session can keep its committed changes from other agents' apps for longer than
store.SWEEP_SECONDS (issue 12). The app's sessions keep their change notices until right after
each commit (tests/pg/test_notify_after_commit.py), and nothing makes a session send them: psql
can ask to keep them too and never send them, an announce can fail, a client can die between
its commit and its notices. So the watch also has the store look, every half of SWEEP_SECONDS,
at what the server recorded as committed since its last look (schema.committed_since), and
takes that in as if heard. A look that finds nothing is one query and paints nothing.

SWEEP_SECONDS is shortened here to a fraction of a second."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from contact_tui.domain import codec as docs
from contact_tui.domain.model import (
    Channel,
    Contact,
    ContactType,
    Interaction,
    Participant,
    Permission,
)
from contact_tui.store.base import Change
from contact_tui.store.postgres import store as pg_store
from contact_tui.store.postgres.schema import NOTIFY_CHANNEL, SCHEMA, USER_ROLE
from contact_tui.store.postgres.store import NotifyWatch, PostgresStore
from contact_tui.ui.app import ContactApp
from tests.contract import Stores, set_grants
from tests.factories import FixedClock
from tests.painting import paint_every_frame
from tests.pg.server import Database
from tests.ui.pilot import interaction_table, main_screen, store_open, wait_until

pytestmark = pytest.mark.pg

SWEEP = 0.3  # seconds, for these tests
HIDER = "sweep_hider"  # keeps its notices and never sends them
VICTIM = "sweep_victim"  # an agent whose app must still see the change
CID = "00000000-0000-4000-8000-0000000000a1"


@pytest.fixture
def database(schema_database: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr(pg_store, "SWEEP_SECONDS", SWEEP)
    with schema_database.connect() as conn:
        set_grants(conn, HIDER, frozenset(Permission))
        set_grants(conn, VICTIM, frozenset({Permission.VIEW}))
    return schema_database


@pytest.fixture
def victim(database: Database) -> Iterator[tuple[PostgresStore, NotifyWatch]]:
    """The victim's store and its watch, and its first refresh done (as the app's first look:
    the store notes where the server is before reading anything)."""
    store = PostgresStore.open(database.url(VICTIM))
    watch = store.watch()
    assert isinstance(watch, NotifyWatch)
    assert store.refresh() == []
    yield store, watch
    watch.close()
    store.close()


@pytest.fixture
def listener(database: Database) -> Iterator[psycopg.Connection]:
    with database.connect(VICTIM) as conn:
        conn.autocommit = True
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        yield conn


def _contact() -> Contact:
    return Contact(id=CID, type=ContactType.CURATED, first_name="Ada")


def _call(agent: str) -> Interaction:
    return Interaction(
        id=str(uuid.uuid4()),
        channel=Channel.VOICE,
        from_=Participant("+1 317 555 0149", "Caller"),
        agent=agent,
        started_at=FixedClock()(),
    )


def _heard(listener: psycopg.Connection) -> list[str]:
    return [n.payload for n in listener.notifies(timeout=0.2, stop_after=10)]


def _app_looks(store: PostgresStore, watch: NotifyWatch, until: float) -> list[Change]:
    """What the app does: the watch's timer ticks every recheck_seconds and, when the watch
    says so, the app refreshes; the changes found, once any are, or by ``until`` (monotonic)."""
    assert watch.recheck_seconds == SWEEP / 2
    found: list[Change] = []
    while not found and time.monotonic() < until:
        time.sleep(watch.recheck_seconds)
        if watch.changed():
            found = store.refresh()
    return found


def test_a_session_that_keeps_its_notices_and_never_sends_them_is_seen_within_the_sweep(
    database: Database,
    victim: tuple[PostgresStore, NotifyWatch],
    listener: psycopg.Connection,
) -> None:
    """The attack: psql asks to keep its notices, saves a contact and routes a call to the
    victim, commits, and never calls announce_committed."""
    store, watch = victim
    call = _call(VICTIM)
    with database.connect(HIDER) as hider:
        hider.autocommit = True
        hider.execute(f"SET {SCHEMA}.notify_after_commit = on")
        hider.execute(
            f"SELECT {SCHEMA}.save_contact(%s, 0, NULL)",
            (Jsonb(docs.contact_to_doc(_contact())),),
        )
        hider.execute(
            f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(docs.interaction_to_doc(call)),)
        )
        committed = time.monotonic()
        assert _heard(listener) == []  # the notices are really kept
        # The bound: SWEEP_SECONDS, and slack for a loaded machine.
        found = _app_looks(store, watch, committed + SWEEP + 1.0)
        assert set(found) == {
            Change("contacts", CID),
            Change("interactions", call.id, VICTIM),
        }
        # Taken in once: the next look finds nothing more.
        assert _app_looks(store, watch, time.monotonic() + 2 * SWEEP) == []


def test_a_look_that_finds_nothing_is_one_query_and_no_change(
    victim: tuple[PostgresStore, NotifyWatch], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, watch = victim
    queries: list[str] = []
    rows = store._rows

    def counting(sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
        queries.append(sql)
        return rows(sql, args)

    monkeypatch.setattr(store, "_rows", counting)
    time.sleep(SWEEP / 2)
    assert watch.changed()  # due: the app's refresh looks
    assert store.refresh() == []
    assert len(queries) == 1 and "committed_since" in queries[0]
    # Between looks a refresh asks the server nothing.
    assert not watch.changed()
    assert store.refresh() == []
    assert len(queries) == 1


def test_notices_kept_after_a_failed_announce_are_seen_by_the_next_look(
    database: Database,
    victim: tuple[PostgresStore, NotifyWatch],
    listener: psycopg.Connection,
) -> None:
    """The app's own session: the commit works and the announce after it fails (here: refused;
    the notification queue full in production). The save stands, and others see it."""
    store, watch = victim
    writer = PostgresStore.open(database.url(HIDER))
    try:
        with database.connect() as su:
            su.execute(f"REVOKE EXECUTE ON FUNCTION {SCHEMA}.announce_committed() FROM {USER_ROLE}")
        with writer.write(HIDER) as uow:
            uow.save_contact(_contact(), 0)
            uow.save_interaction(_call(VICTIM))
        assert writer.contact(CID) is not None
        assert _heard(listener) == []
        found = _app_looks(store, watch, time.monotonic() + SWEEP + 1.0)
        assert Change("contacts", CID) in found
        assert any(c.table == "interactions" and c.agent == VICTIM for c in found)
    finally:
        writer.close()


def test_a_look_that_finds_more_than_it_takes_reloads_everything(
    database: Database,
    victim: tuple[PostgresStore, NotifyWatch],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An import committed between two looks: one bounded answer, and the app reloads."""
    store, watch = victim
    monkeypatch.setattr(pg_store, "SWEEP_LIMIT", 3)
    with database.connect(HIDER) as hider:
        hider.execute(f"SET {SCHEMA}.notify_after_commit = on")
        for n in range(5):
            contact = Contact(
                id=f"00000000-0000-4000-8000-{n:012d}", type=ContactType.CURATED, first_name="A"
            )
            hider.execute(
                f"SELECT {SCHEMA}.save_contact(%s, 0, NULL)",
                (Jsonb(docs.contact_to_doc(contact)),),
            )
        hider.commit()
    assert _app_looks(store, watch, time.monotonic() + SWEEP + 1.0) == [Change("*", "*")]


def test_a_look_reads_the_records_through_their_indexes(database: Database) -> None:
    """However long the records of what was committed (a day's saves): a look reads only the
    transactions after its last one, by their index, never the whole of either table."""
    with database.connect() as su:
        su.execute(
            f"INSERT INTO {SCHEMA}.contact_changes (contact_id) "
            "SELECT 'old-' || n FROM generate_series(1, 50000) AS n"
        )
        su.execute(
            f"INSERT INTO {SCHEMA}.kept_notices (payload) "
            "SELECT 'notes:old-' || n FROM generate_series(1, 50000) AS n"
        )
        su.commit()
        su.execute(f"ANALYZE {SCHEMA}.contact_changes")
        su.execute(f"ANALYZE {SCHEMA}.kept_notices")
        su.commit()
        since = su.execute("SELECT pg_current_snapshot()::text").fetchone()
        assert since is not None
        found = su.execute(
            f"SELECT payloads FROM {SCHEMA}.committed_since(%s, 10)", (since[0],)
        ).fetchone()
        assert found == ([],)
        scans = su.execute(
            "SELECT relname, seq_scan FROM pg_stat_xact_user_tables "
            "WHERE relname IN ('contact_changes', 'kept_notices') ORDER BY relname"
        ).fetchall()
        assert scans == [("contact_changes", 0), ("kept_notices", 0)]


async def test_the_apps_looks_paint_nothing_until_one_finds_a_kept_change(
    store_path: Any, clock: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent's screen, idle over several looks: each is one query and nothing is read
    again or sent to the terminal. Then a call routed to her by a session that keeps its
    notices and never sends them shows within the bound."""
    monkeypatch.setattr(pg_store, "SWEEP_SECONDS", SWEEP)
    stores = Stores("postgres", store_path, clock, request)
    try:
        router = stores.service("router", Permission.ROUTE)
        call = _call("alice")
        alice = stores.service("alice", Permission.VIEW)
        app = ContactApp(lambda: alice, clock=stores.clock, cursor_blink=False)
        paint_every_frame(app)  # the test counts what reaches the terminal
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: store_open(pilot), "the store to open")
            screen = main_screen(pilot)
            assert isinstance(screen._watch, NotifyWatch)
            await pilot.pause(SWEEP)  # the first paint done
            looks: list[list[Change]] = []
            reads: list[int] = []
            paints: list[object] = []
            refresh, interactions, display = alice.refresh, alice.interactions, app._display

            def counting_refresh() -> list[Change]:
                looks.append(refresh())
                return looks[-1]

            def counting_interactions() -> list[Interaction]:
                reads.append(1)
                return interactions()

            def counting_display(on: Any, renderable: Any) -> None:
                if renderable is not None:
                    paints.append(renderable)
                display(on, renderable)

            monkeypatch.setattr(alice, "refresh", counting_refresh)
            monkeypatch.setattr(alice, "interactions", counting_interactions)
            monkeypatch.setattr(app, "_display", counting_display)
            await wait_until(pilot, lambda: len(looks) >= 3, "three looks", timeout=10 * SWEEP)
            assert looks == [[], [], []] and reads == [] and paints == []

            store = router.repo
            assert isinstance(store, PostgresStore)
            hider = store.connection()  # the router's own session, used as psql would be
            hider.execute(
                f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(docs.interaction_to_doc(call)),)
            )
            await wait_until(
                pilot,
                lambda: interaction_table(pilot).row_count == 1,
                "the kept call",
                timeout=SWEEP + 1.5,
            )
            assert reads and paints
    finally:
        stores.close()


def test_a_user_without_view_is_refused_the_look_once_and_never_asks_again(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look tells what the notices tell, to viewers only; an app without view shows
    nothing a look could change, so it stops looking instead of failing every time."""
    with database.connect() as su:
        set_grants(su, "sweep_router", frozenset({Permission.ROUTE}))
    store = PostgresStore.open(database.url("sweep_router"))
    watch = store.watch()
    try:
        queries: list[str] = []
        rows = store._rows

        def counting(sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
            queries.append(sql)
            return rows(sql, args)

        monkeypatch.setattr(store, "_rows", counting)
        assert store.refresh() == []  # the first look, refused
        time.sleep(SWEEP / 2)
        assert watch.changed()
        assert store.refresh() == []
        assert len(queries) == 1
    finally:
        watch.close()
        store.close()


def test_looks_never_come_further_apart_than_the_sweep_whatever_else_calls_the_watch(
    victim: tuple[PostgresStore, NotifyWatch], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's timer calls the watch every recheck_seconds, and its socket wakes the app
    for notices at any moment between: however those fall, and with ticks a little late or
    early, the next look is due before SWEEP_SECONDS have passed since the last one."""
    store, watch = victim
    now = [0.0]
    watch._swept_at = 0.0
    tick = watch.recheck_seconds
    looks = [0.0]
    calls = sorted(
        [k * tick + (0.02, -0.01, 0.0)[k % 3] for k in range(1, 200)]
        + [k * 0.37 * SWEEP for k in range(1, 150)]
    )
    with monkeypatch.context() as clock:  # undone before the fixtures close the watch
        clock.setattr(time, "monotonic", lambda: now[0])
        for at in calls:
            now[0] = at
            watch.changed()
            if store._sweep_due:
                store._sweep_due = False
                looks.append(at)
    assert len(looks) > 50
    assert max(b - a for a, b in itertools.pairwise(looks)) < SWEEP
