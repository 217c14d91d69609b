"""The throwaway PostgreSQL server and its fixtures (tests/pg/server.py, tests/pg/cluster.py):
databases that work and are independent, roles, peer authentication, restarts, templates,
and no server left behind, not even by a test process killed with -9."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.pg.cluster import BIN_ENV, Cluster, NoServerError, find_binaries
from tests.pg.server import PEER_DATABASE, Database, Databases, PgServer, locate

ROOT = Path(__file__).resolve().parents[2]


def throwaway(server: PgServer) -> Cluster:
    """The fixture's own cluster; tests about it make no sense against an outside server."""
    if server.cluster is None:
        pytest.skip("This test checks the throwaway cluster; CONTACT_TUI_TEST_PG_URL is set.")
    return server.cluster


def test_database_works_over_the_socket_only(pg_database: Database) -> None:
    with pg_database.connect() as conn:
        conn.execute("CREATE TABLE t (v text)")
        conn.execute("INSERT INTO t VALUES ('é')")
        assert conn.execute("SELECT v FROM t").fetchone() == ("é",)
        assert conn.info.server_version >= 130000
        assert conn.execute("SELECT current_database()").fetchone() == (pg_database.name,)
        if pg_database.server.cluster is not None:
            # A Unix socket has no server address, and nothing listens on TCP.
            assert conn.execute("SELECT inet_server_addr()").fetchone() == (None,)
            assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
            assert conn.execute("SELECT upper('é')").fetchone() == ("É",)


def test_two_databases_are_independent(pg_databases: Databases) -> None:
    first, second = pg_databases.create(), pg_databases.create()
    assert first.name != second.name
    with first.connect() as conn:
        conn.execute("CREATE TABLE only_here (v int)")
    with second.connect() as conn:
        found = conn.execute("SELECT to_regclass('only_here')").fetchone()
    assert found == (None,)


def test_a_role_made_in_the_test_connects_as_itself(pg_database: Database) -> None:
    with pg_database.connect() as admin:
        admin.execute("CREATE ROLE dora_server_test LOGIN")
    with pg_database.connect("dora_server_test") as conn:
        assert conn.execute("SELECT session_user").fetchone() == ("dora_server_test",)
        # Not the superuser in disguise: dora_server_test may not make databases.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE DATABASE not_allowed")


def test_roles_and_databases_are_gone_after_the_test(pg_server: PgServer) -> None:
    databases = Databases(pg_server)
    made = databases.create()
    with made.connect() as admin:
        admin.execute("CREATE ROLE dropped_role_probe LOGIN")
        admin.execute("GRANT CREATE ON SCHEMA public TO dropped_role_probe")
    with made.connect("dropped_role_probe") as conn:
        conn.execute(
            "CREATE TABLE dropped_role_probes (v int)"
        )  # an object dropped_role_probe owns, in that database
    databases.drop_all()
    with pg_server.connect() as admin:
        rows = admin.execute(
            "SELECT (SELECT count(*) FROM pg_database WHERE datname = %s),"
            " (SELECT count(*) FROM pg_roles WHERE rolname = 'dropped_role_probe')",
            (made.name,),
        ).fetchone()
    assert rows == (0, 0)


def test_peer_database_admits_only_the_os_user_of_the_same_name(
    pg_server: PgServer, pg_databases: Databases
) -> None:
    throwaway(pg_server)
    me = getpass.getuser()
    peer = pg_databases.create(name=PEER_DATABASE)
    with pg_server.connect() as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(me)))
        admin.execute("CREATE ROLE eve_peer_test LOGIN")
    with peer.connect(me) as conn:
        assert conn.execute("SELECT session_user").fetchone() == (me,)
    # Trusted elsewhere, eve_peer_test is refused here: the server asks the kernel who we are.
    with pytest.raises(psycopg.OperationalError, match="Peer authentication failed"):
        peer.connect("eve_peer_test")


def test_stopped_server_refuses_and_comes_back(pg_server: PgServer, pg_database: Database) -> None:
    throwaway(pg_server)
    with pg_server.stopped(), pytest.raises(psycopg.OperationalError):
        pg_database.connect()
    with pg_database.connect() as after:
        assert after.execute("SELECT 1").fetchone() == (1,)


def test_restart_cuts_open_sessions(pg_server: PgServer, pg_database: Database) -> None:
    throwaway(pg_server)
    with pg_database.connect() as before:
        pg_server.restart()
        with pytest.raises(psycopg.OperationalError):
            before.execute("SELECT 1")
    with pg_database.connect() as after:
        assert after.execute("SELECT 1").fetchone() == (1,)


def test_the_servers_own_programs_reach_it(pg_server: PgServer, pg_database: Database) -> None:
    psql = pg_server.program("psql")
    out = subprocess.run(
        [psql, "--no-psqlrc", "--tuples-only", "--command", "SELECT current_database()"],
        env={
            **os.environ,
            "PGHOST": pg_server.host,
            "PGPORT": pg_server.port,
            "PGUSER": pg_server.superuser,
            "PGDATABASE": pg_database.name,
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == pg_database.name


def test_template_is_installed_once_and_copied(
    pg_server: PgServer, pg_databases: Databases
) -> None:
    installs: list[str] = []
    leftover: list[psycopg.Connection] = []

    def install(url: str) -> None:
        installs.append(url)
        conn = psycopg.connect(url, autocommit=True)
        conn.execute("CREATE TABLE seeded AS SELECT 1 AS v")
        leftover.append(conn)  # left open: copying must work all the same

    key = f"demo{os.getpid()}"
    template = pg_server.template(key, install)
    assert pg_server.template(key, install) == template
    assert len(installs) == 1
    first, second = pg_databases.create(template), pg_databases.create(template)
    with first.connect() as conn:
        conn.execute("INSERT INTO seeded VALUES (2)")
    with second.connect() as conn:
        assert conn.execute("SELECT array_agg(v) FROM seeded").fetchone() == ([1],)
    leftover[0].close()


def test_server_runs_as_a_non_root_user_owning_its_folders(pg_server: PgServer) -> None:
    cluster = throwaway(pg_server)
    assert cluster.run_as.uid != 0
    pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
    assert os.stat(f"/proc/{pid}").st_uid == cluster.run_as.uid
    assert os.stat(cluster.data).st_uid == cluster.run_as.uid
    assert os.stat(cluster.folder).st_uid == cluster.run_as.uid


def test_no_server_is_a_skip_on_a_developer_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(BIN_ENV, str(tmp_path / "nothing"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="No PostgreSQL 13 or newer server"):
        locate()


def test_no_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(BIN_ENV, str(tmp_path / "nothing"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the PostgreSQL tests"):
        locate()


def test_a_server_older_than_13_is_not_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for program in ("initdb", "pg_ctl"):
        fake = tmp_path / program
        fake.write_text("#!/bin/sh\necho 'initdb (PostgreSQL) 12.20'\n")
        fake.chmod(0o755)
    monkeypatch.setenv(BIN_ENV, str(tmp_path))
    with pytest.raises(NoServerError, match=f"{BIN_ENV}="):
        find_binaries()


@pytest.mark.pg
def test_a_killed_test_process_leaves_no_server(tmp_path: Path) -> None:
    locate()  # skip or fail like the fixtures when there is no server
    # A test process that starts a cluster and is then killed with -9: no teardown runs.
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from tests.pg.cluster import Cluster, RunAs, find_binaries\n"
            "cluster = Cluster(find_binaries(), RunAs.choose())\n"
            "cluster.start()\n"
            "print(cluster.data, flush=True)\n"
            "time.sleep(60)\n",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    data = Path(child.stdout.readline().strip())
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    child.send_signal(signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 10
    while (_alive(postmaster) or data.parent.exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(postmaster), "the server outlived its test process"
    assert not data.parent.exists(), "the cluster's folder outlived its test process"


def _alive(pid: int) -> bool:
    # A dead process nobody has reaped yet (a zombie) is not running. A reaped pid could be
    # reused, but not within the few seconds this takes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
