"""The contract suite's stores: every service test that is not about files runs over both the
embedded store and PostgreSQL (issue 12), through the same ``service_for`` fixture.

Over PostgreSQL each user is a database login role holding exactly the permissions the test
gives (through the permission roles ``db init`` makes), and the service's agent is what the
server says: its ``session_user`` and the roles it grants, never the test's word. Each test
process has its own server (tests/pg/server.py), so roles never race between xdist workers;
each test sets its users' grants afresh and starts from empty tables.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from contact_tui.config import Agent
from contact_tui.domain.model import Permission
from contact_tui.service import ContactService
from contact_tui.store.postgres import admin
from contact_tui.store.postgres.schema import PERMISSION_ROLES, ROLE_PREFIX, USER_ROLE
from contact_tui.store.postgres.store import PostgresStore
from contact_tui.store.repository import Repository
from tests.factories import FixedClock, make_agent, make_config

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
    "notes",
    "contacts",
    "interactions",
    "audit",
    "settings",
    "merges",
)


class ContractDatabase:
    """One database with the schema for every contract test of this process: emptying its
    tables (a few ms) replaces making and dropping a database per test (~150 ms)."""

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

    @property
    def admin(self) -> psycopg.Connection[Any]:
        """A superuser connection to the database, made again after a server restart."""
        try:
            self._admin.execute("SELECT 1")
        except psycopg.OperationalError:
            self._admin = self.server.connect(self.name)
        return self._admin

    def url(self, role: str | None = None) -> str:
        """A URL for ``role`` (the superuser when None)."""
        return str(self.server.url(self.name, role))

    def empty(self) -> None:
        """Every table emptied, as a fresh copy of the template would be."""
        tables = sql.SQL(", ").join(sql.Identifier("contact_tui", t) for t in TABLES)
        self.admin.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(tables))

    def drop(self) -> None:
        """Drop the database (at the end of the session)."""
        self.admin.close()
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
        set_grants(self._database.admin, user, held)
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
