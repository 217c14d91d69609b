"""The contract suite's stores: every service test that is not about files runs over both the
embedded store and PostgreSQL (issue 12), through the same ``service_for`` fixture.

Over PostgreSQL each user is a database login role holding exactly the permissions the test
gives (through the permission roles ``db init`` makes), and the service's agent is what the
server says: its ``session_user`` and the roles it grants, never the test's word. Each test
process has its own server (tests/pg/server.py), so roles never race between xdist workers;
each test sets its users' grants afresh and starts from empty tables.

The server side of a new connection costs more than most contract tests: ~6 ms to start the
session and ~15 ms more for its first save (catalogs and PL/pgSQL functions are loaded once per
session), against ~3 ms for a save on a session that has made one. So the stores a test opens
connect through a pool of sessions its process keeps (``KeptSessions``): each store is a new
``PostgresStore`` holding nothing from an earlier test, on a session an earlier test's store
left idle, with no transaction open and listening on nothing.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.pq import TransactionStatus

from contact_tui.config import Agent
from contact_tui.domain.model import Permission
from contact_tui.domain.permissions import BUILTIN_ROLES
from contact_tui.service import ContactService
from contact_tui.store.postgres import admin
from contact_tui.store.postgres import store as pg_store
from contact_tui.store.postgres.schema import PERMISSION_ROLES, ROLE_PREFIX, SCHEMA, USER_ROLE
from contact_tui.store.postgres.store import PostgresStore
from contact_tui.store.repository import Repository
from tests.factories import TEST_AGENTS, FixedClock, make_agent, make_config

STORES = ("embedded", "postgres")
Factory = Callable[..., ContactService]


def store_params() -> list[Any]:
    """``pytest.param`` for each store; the PostgreSQL one is marked ``pg``."""
    return [
        pytest.param("embedded", id="embedded"),
        pytest.param(
            "postgres",
            id="postgres",
            marks=pytest.mark.pg,
        ),
    ]


def schema_template(pg_server: Any) -> str:
    """A template database holding the store's schema, made once per test process."""
    return str(pg_server.template("contact_tui", lambda url: admin.init(url)))


def set_grants(
    conn: psycopg.Connection[Any], user: str, permissions: frozenset[Permission]
) -> None:
    """``user`` exists as a login role holding exactly ``permissions`` (one query when it
    already does: most tests reuse alice and bob as the last test left them). ``conn`` is a
    superuser's."""
    wanted = {USER_ROLE, *(PERMISSION_ROLES[p] for p in permissions)}
    ident = sql.Identifier(user)
    row = conn.execute(
        "SELECT u.oid IS NOT NULL, coalesce(array_agg(r.rolname) FILTER "
        "(WHERE r.rolname IS NOT NULL), '{}') FROM (SELECT %s::text AS name) AS n "
        "LEFT JOIN pg_roles u ON u.rolname = n.name "
        "LEFT JOIN pg_auth_members m ON m.member = u.oid "
        "LEFT JOIN pg_roles r ON r.oid = m.roleid AND r.rolname LIKE %s GROUP BY u.oid",
        (user, ROLE_PREFIX + "%"),
    ).fetchone()
    exists, held = (row[0], set(row[1])) if row is not None else (False, set())
    if not exists:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
    for role in held - wanted:
        conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(role), ident))
    for role in wanted - held:
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), ident))


# The store's tables, emptied between the contract tests that share a database.
TABLES = (
    "contact_keys",
    "contact_changes",
    "kept_notices",
    "notes",
    "contacts",
    "interactions",
    "audit",
    "settings",
    "merges",
)

# Emptying as a fresh copy of the template would be, in one round trip and one transaction:
# DELETE rather than TRUNCATE (on tables this small ~0.1 ms of server time against ~4 ms:
# TRUNCATE makes new files for each table and its indexes), with triggers off as for a replica
# (no notifications; TRUNCATE fires none either), and the audit's numbering started again as
# RESTART IDENTITY would.
EMPTY = "; ".join(
    [
        "SET LOCAL session_replication_role = replica",
        *(f"DELETE FROM {SCHEMA}.{table}" for table in TABLES),
        f"SELECT setval(pg_get_serial_sequence('{SCHEMA}.audit', 'seq'), 1, false)",
    ]
)


# The store's own connect, taken before any test can replace it.
STORE_CONNECT = pg_store.connect


class KeptConnection(psycopg.Connection[Any]):
    """A connection whose ``close()`` hands it back to the pool it came from when it can be used
    again as a new one would be (see :meth:`KeptSessions.take_back`)."""

    pool: KeptSessions | None = None
    url = ""

    def close(self) -> None:
        """Back to the pool if it takes it, else closed."""
        pool, self.pool = self.pool, None
        if pool is None or not pool.take_back(self):
            super().close()


class KeptSessions:
    """The sessions the contract tests' stores connect through, per URL, kept across tests.

    ``connect`` stands in for the store's own (``contact_tui.store.postgres.store.connect``)
    while a contract test runs: the same options, and where no session can be made, the store's
    own connect says why."""

    def __init__(self) -> None:
        self._idle: dict[str, list[KeptConnection]] = {}
        self._lock = threading.Lock()

    def connect(self, url: str) -> psycopg.Connection[Any]:
        """An idle session for ``url`` that still answers, else a new one."""
        while True:
            with self._lock:
                idle = self._idle.get(url)
                conn = idle.pop() if idle else None
            if conn is None:
                break
            try:
                # It may have died idle (a test restarted the server).
                conn.execute("SELECT")
            except psycopg.Error:
                psycopg.Connection.close(conn)
                continue
            conn.pool = self
            return conn
        try:
            conn = KeptConnection.connect(**pg_store.connection_options(url))
        except psycopg.OperationalError:
            return STORE_CONNECT(url)  # raises StoreUnavailable naming the reason
        conn.pool, conn.url = self, url
        return conn

    def take_back(self, conn: KeptConnection) -> bool:
        """Keep ``conn`` for a later store if it is as a new session would be: in autocommit,
        idle (no transaction open or failed), and listening on nothing (a watch's session is
        closed, so no notification it was sent reaches a later test)."""
        if conn.closed or conn.broken or not conn.autocommit:
            return False
        if conn.info.transaction_status != TransactionStatus.IDLE:
            return False
        try:
            if conn.execute("SELECT pg_listening_channels()").fetchone() is not None:
                return False
        except psycopg.Error:
            return False
        with self._lock:
            self._idle.setdefault(conn.url, []).append(conn)
        return True

    def close(self) -> None:
        """Close every idle session (at the end of the test process)."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                psycopg.Connection.close(conn)


class ContractDatabase:
    """One database with the schema for every contract test of this process: emptying its
    tables (well under a ms) replaces making and dropping a database per test (~150 ms)."""

    def __init__(self, pg_server: Any) -> None:
        self.server = pg_server
        template = schema_template(pg_server)
        self.name = f"contract_{secrets.token_hex(4)}"
        with pg_server.connect() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(self.name), sql.Identifier(template)
                )
            )
        # Kept open: connecting costs more than most of what a contract test does.
        self._admin: psycopg.Connection[Any] = pg_server.connect(self.name)
        self.sessions = KeptSessions()

    @property
    def admin(self) -> psycopg.Connection[Any]:
        """A superuser connection to the database, made again when the kept one is known to be
        lost (:meth:`execute` finds out by using it)."""
        if self._admin.closed or self._admin.broken:
            self._admin = self.server.connect(self.name)
        return self._admin

    def execute(self, query: Any, params: Any = None) -> psycopg.Cursor[Any]:
        """Run ``query`` as the superuser; once more on a new connection if the server dropped
        the kept one since its last use (every query the fixtures run may run twice)."""
        try:
            return self.admin.execute(query, params)
        except psycopg.OperationalError:
            if not self._admin.broken:
                raise
            return self.admin.execute(query, params)

    def url(self, role: str | None = None) -> str:
        """A URL for ``role`` (the superuser when None)."""
        return str(self.server.url(self.name, role))

    def grant(self, user: str, permissions: frozenset[Permission]) -> None:
        """``user`` holds exactly ``permissions`` (see :func:`set_grants`); made again on a new
        connection if the server dropped the kept one (setting grants twice changes nothing)."""
        try:
            set_grants(self.admin, user, permissions)
        except psycopg.OperationalError:
            if not self._admin.broken:
                raise
            set_grants(self.admin, user, permissions)

    def ensure_agents(self) -> None:
        """The agents tests route interactions to (``TEST_AGENTS``, as make_config lists them
        for the embedded store) are login roles that may view, as the store requires of whom
        an interaction is for; one query when they already are (an earlier test may have
        given one other grants: those without view become agents again)."""
        lacking = self.execute(
            "SELECT n FROM unnest(%s::text[]) AS n WHERE NOT EXISTS (SELECT 1 FROM pg_roles r "
            "WHERE r.rolname = n AND r.rolcanlogin AND pg_has_role(r.oid, %s, 'MEMBER'))",
            (list(TEST_AGENTS), PERMISSION_ROLES[Permission.VIEW]),
        ).fetchall()
        for (name,) in lacking:
            self.grant(name, BUILTIN_ROLES["agent"])

    def empty(self) -> None:
        """Every table emptied, as a fresh copy of the template would be."""
        self.execute(EMPTY)

    def drop(self) -> None:
        """Drop the database (at the end of the session)."""
        self.sessions.close()
        self._admin.close()
        with self.server.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


@pytest.fixture(scope="session")
def contract_database(pg_server: Any) -> Iterator[ContractDatabase]:
    """The database this process's contract tests share (emptied before each)."""
    database = ContractDatabase(pg_server)
    yield database
    database.drop()


class Stores:
    """Builds services over one store of the chosen kind."""

    def __init__(self, kind: str, store_path: Path, clock: FixedClock, request: Any) -> None:
        self.kind = kind
        self.store_path = store_path
        self.clock = clock
        self._closers: list[Callable[[], None]] = []
        self._server: Any = None
        if kind == "postgres":
            self._server = request.getfixturevalue("pg_server")
            database = request.getfixturevalue("contract_database")
            database.empty()
            self._url_for = database.url
            self._database = database
            database.ensure_agents()
            # The test's stores connect through the process's kept sessions.
            monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
            monkeypatch.setattr(pg_store, "connect", database.sessions.connect)

    def service(
        self, user: str = "alice", *permissions: Permission, **defaults: object
    ) -> ContactService:
        """A service for ``user`` holding ``permissions`` (all of them when none are given)."""
        config = make_config(self.store_path, **defaults)
        if self.kind == "embedded":
            repo = Repository.open(self.store_path)
            self._closers.append(repo.close)
            return ContactService(repo, config, make_agent(user, *permissions), self.clock)
        held = frozenset(permissions) if permissions else frozenset(Permission)
        self._database.grant(user, held)
        store = PostgresStore.open(self._url_for(user))
        self._closers.append(store.close)
        agent = Agent(
            user=store.user,
            groups=frozenset(),
            roles=("test",),
            permissions=store.permissions(),
        )
        assert agent.user == user and agent.permissions == held
        return ContactService(store, config, agent, self.clock)

    def close(self) -> None:
        """Close every store opened."""
        for close in self._closers:
            close()


@pytest.fixture
def schema_database(request: pytest.FixtureRequest) -> Any:
    """A fresh database holding the store's schema (copied from a template made once)."""
    # The template first: the roles db init makes outlive the test (pg_databases drops only
    # the roles made while it is in use).
    template = schema_template(request.getfixturevalue("pg_server"))
    return request.getfixturevalue("pg_databases").create(template=template)


@pytest.fixture(params=store_params())
def stores(request: pytest.FixtureRequest, store_path: Path, clock: FixedClock) -> Iterator[Stores]:
    """The store kind this test runs over."""
    built = Stores(request.param, store_path, clock, request)
    yield built
    built.close()


__all__ = [
    "STORES",
    "Factory",
    "Stores",
    "contract_database",
    "schema_database",
    "set_grants",
    "store_params",
    "stores",
]
