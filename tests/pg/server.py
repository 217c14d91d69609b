"""PostgreSQL for the tests: a pytest plugin (registered in tests/conftest.py) with the fixtures
``pg_server`` (one server for the test process), ``pg_databases`` (make databases, all dropped
after the test) and ``pg_database`` (one fresh empty database).

Which server: the one ``CONTACT_TUI_TEST_PG_URL`` names (a libpq URL with a superuser; one
test process only, ``-n 0``), else a throwaway cluster this process starts
(tests/pg/cluster.py). Under pytest-xdist each worker
starts its own: roles are cluster-wide, so workers sharing a server would race on the same
role names, and a test that restarts the server would cut off the other workers' tests. One
costs about 1.3 s to make and start, paid once per worker, in parallel.

With no server binaries, the tests that need one are skipped on a developer's machine and fail
in CI (CI=true), where the PostgreSQL tests must run. Every test using ``pg_server`` is marked
``pg`` (``pytest -m 'not pg'`` leaves them out).
"""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tests.pg.cluster import (
    PEER_DATABASE,
    SUPERUSER,
    Binaries,
    Cluster,
    NoServerError,
    RunAs,
    find_binaries,
)

URL_ENV = "CONTACT_TUI_TEST_PG_URL"

__all__ = ["PEER_DATABASE", "URL_ENV", "Database", "Databases", "PgServer"]


class PgServer:
    """The server the tests use: where it is, URLs and superuser connections for it, template
    databases, and (for the throwaway cluster) stopping and restarting it."""

    def __init__(
        self, base: Mapping[str, str], cluster: Cluster | None, binaries: Binaries | None
    ) -> None:
        self._base = dict(base)
        self.cluster = cluster
        self.binaries = binaries
        self._templates: dict[str, str] = {}
        # The superuser's session for making and dropping databases and roles, kept: a session
        # costs the server ~6 ms to start, and a test with databases of its own took four.
        self._kept: psycopg.Connection[Any] | None = None
        self._version: int | None = None

    @property
    def host(self) -> str:
        """libpq's ``host``: the socket folder of the throwaway cluster."""
        return self._base.get("host", "")

    @property
    def port(self) -> str:
        """libpq's ``port`` (for a socket, part of the socket file's name)."""
        return self._base.get("port", "5432")

    @property
    def superuser(self) -> str:
        """The role the fixtures connect as to create and drop databases and roles."""
        return self._base.get("user") or getpass.getuser()

    def url(self, database: str = "postgres", role: str | None = None) -> str:
        """A libpq URL (``postgresql://...``) for ``role`` (the superuser when None) on
        ``database``. The throwaway cluster trusts any role on its socket, so none needs a
        password."""
        params = {**self._base, "dbname": database, "user": role or self.superuser}
        if role not in (None, self.superuser):
            # The superuser's password (CONTACT_TUI_TEST_PG_URL) is no other role's.
            params.pop("password", None)
        return _uri(params)

    def connect(self, database: str = "postgres", role: str | None = None) -> psycopg.Connection:
        """An autocommit connection (what CREATE DATABASE needs) as ``role`` on ``database``;
        close it, or use it in a ``with`` block."""
        return psycopg.connect(self.url(database, role), autocommit=True)

    @property
    def version(self) -> int:
        """The server's version number (150004 for 15.4)."""
        if self._version is None:
            self._version = int(self.admin("SHOW server_version_num")[0][0])
        return self._version

    def admin(self, query: sql.SQL | sql.Composed | str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of ``query`` run as the superuser on the ``postgres`` database, through a
        kept session; run once more on a new one if the kept one was lost (a test restarted
        the server): only statements that fail without harm when run twice come here."""
        try:
            return self._run_kept(query, params)
        except psycopg.OperationalError:
            if self._kept is None or not self._kept.broken:
                raise
        return self._run_kept(query, params)

    def _run_kept(self, query: sql.SQL | sql.Composed | str, params: Sequence[Any]) -> list[Any]:
        if self._kept is None or self._kept.closed or self._kept.broken:
            self._kept = self.connect()
        cursor = self._kept.execute(query, params or None)
        return cursor.fetchall() if cursor.description is not None else []

    def template(self, key: str, install: Callable[[str], None]) -> str:
        """The name of a template database made once per test process: ``install(url)`` fills
        it (say, the store's schema) through a superuser URL; connections it leaves open are cut
        off. ``pg_databases.create(template=...)`` then copies it in milliseconds."""
        if key in self._templates:
            return self._templates[key]
        name = f"tpl_{key}_{secrets.token_hex(4)}"
        _create_database(self, name, "template0")
        try:
            install(self.url(name))
            # A copy fails while anyone is connected to its template.
            self.admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            self.admin(
                sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                    sql.Identifier(name)
                )
            )
        except BaseException:
            _drop_database(self, name)
            raise
        self._templates[key] = name
        return name

    def restart(self) -> None:
        """Stop the server (cutting off every session) and start it again, as an admin's
        restart would."""
        with self.stopped():
            pass

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """The server is down inside the block and up again after it, even on failure."""
        if self.cluster is None:
            pytest.skip(f"Stopping the server needs the throwaway cluster; unset {URL_ENV}.")
        self.cluster.pause()
        try:
            yield
        finally:
            self.cluster.resume()

    def program(self, name: str) -> str:
        """The path of one of the server installation's programs (psql, pg_dump...)."""
        if self.binaries is None:
            pytest.skip(f"The server's programs are unknown with {URL_ENV} set.")
        return self.binaries.path(name)

    def close(self) -> None:
        """Drop the templates from a server that outlives the run; stop the throwaway one."""
        if self._kept is not None:
            self._kept.close()
            self._kept = None
        if self.cluster is not None:
            self.cluster.stop()
            return
        for name in self._templates.values():
            _drop_database(self, name)
        if self._kept is not None:
            self._kept.close()


@dataclass(frozen=True)
class Database:
    """One database of the test server, named ``name``."""

    server: PgServer
    name: str

    def url(self, role: str | None = None) -> str:
        """A libpq URL for ``role`` (the superuser when None) on this database."""
        return self.server.url(self.name, role)

    def connect(self, role: str | None = None) -> psycopg.Connection:
        """An autocommit connection as ``role`` (the superuser when None) to this database."""
        return self.server.connect(self.name, role)


class Databases:
    """Makes databases for one test. After the test it drops them and the roles the test
    created (roles belong to the whole server, not to a database)."""

    def __init__(self, server: PgServer) -> None:
        self.server = server
        self._made: list[str] = []
        self._roles_before = _roles(server)

    def create(self, template: str = "template0", name: str | None = None) -> Database:
        """A new database copied from ``template`` (empty by default, or one made by
        ``pg_server.template``), named ``name`` or a fresh random name."""
        name = name or f"t_{secrets.token_hex(6)}"
        _create_database(self.server, name, template)
        self._made.append(name)
        return Database(self.server, name)

    def drop_all(self) -> None:
        """Drop the databases made, then the roles created since this object was."""
        for name in self._made:
            _drop_database(self.server, name)
        for role in sorted(_roles(self.server) - self._roles_before):
            self.server.admin(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def locate() -> tuple[Binaries, RunAs]:
    """The server binaries and who runs them; with none, skip the test on a developer's
    machine and fail it in CI, where the PostgreSQL tests must run."""
    try:
        return find_binaries(), RunAs.choose()
    except NoServerError as error:
        if os.environ.get("CI"):
            pytest.fail(f"{error} CI must run the PostgreSQL tests.", pytrace=False)
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL server for this test process (see the module docstring)."""
    external = os.environ.get(URL_ENV)
    if external and int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
        pytest.fail(
            f"{URL_ENV} names one server for all the test processes, whose tests would race "
            "on its roles (they belong to the whole server); run pytest with -n 0.",
            pytrace=False,
        )
    if external:
        params = {key: str(value) for key, value in conninfo_to_dict(external).items()}
        server = PgServer(params, cluster=None, binaries=None)
    else:
        binaries, run_as = locate()
        cluster = Cluster(binaries, run_as)
        try:
            cluster.start()
        except BaseException:
            cluster.stop()
            raise
        base = {"host": cluster.socket_dir, "port": str(cluster.port), "user": SUPERUSER}
        server = PgServer(base, cluster, binaries)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_databases(pg_server: PgServer) -> Iterator[Databases]:
    """Make databases for this test with ``create()``; they (and the roles the test made) are
    dropped after it."""
    databases = Databases(pg_server)
    yield databases
    databases.drop_all()


@pytest.fixture
def pg_database(pg_databases: Databases) -> Database:
    """A fresh empty database, dropped after the test."""
    return pg_databases.create()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``pg`` every test that uses the server, so ``-m 'not pg'`` can leave them out."""
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.pg)


def _roles(server: PgServer) -> set[str]:
    return {row[0] for row in server.admin("SELECT rolname FROM pg_roles")}


def _create_database(server: PgServer, name: str, template: str) -> None:
    query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(template)
    )
    if server.version >= 150000:
        # Copying the files is 3-4 times faster than writing a small template through the
        # WAL (15's default); 13 and 14 copy files and know no STRATEGY.
        query += sql.SQL(" STRATEGY FILE_COPY")
    server.admin(query)


def _drop_database(server: PgServer, name: str) -> None:
    if not server.admin("SELECT 1 FROM pg_database WHERE datname = %s", (name,)):
        return  # the test dropped it itself
    server.admin(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(sql.Identifier(name)))
    # FORCE: a test's leftover sessions must not keep its database alive.
    server.admin(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _uri(params: Mapping[str, str]) -> str:
    """A ``postgresql://user[:password]@/dbname?host=...`` URL from libpq parameters."""
    rest = dict(params)
    user = rest.pop("user", "")
    password = rest.pop("password", "")
    database = rest.pop("dbname", "")
    login = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    query = urlencode(rest, quote_via=quote)
    return f"postgresql://{login + '@' if login else ''}/{quote(database, safe='')}" + (
        f"?{query}" if query else ""
    )
