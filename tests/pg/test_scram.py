"""Agents on other hosts authenticate with SCRAM (README, "Setting up PostgreSQL", step 2): the
password comes from libpq's own places (``~/.pgpass`` or the file ``PGPASSFILE`` names, mode
0600; or ``PGPASSWORD``), never from the config, which refuses a URL holding one; the agent is
the server's ``session_user``; a wrong or missing password is one sentence with exit 7.

One throwaway cluster of its own (tests/pg/cluster.py), started once for the one test: it also
listens on TCP localhost, where ``pg_hba.conf`` asks every client for a SCRAM password. A
``host`` line, not ``hostssl``: TLS is libpq's and the server's, not the app's, and the test
would only add a certificate. GSSAPI (Kerberos) needs a KDC this machine does not have, so it
is not tested (README says so).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from contact_tui.config import ConfigError, load_config
from contact_tui.store.postgres import admin
from contact_tui.store.postgres.store import PostgresStore
from tests.cli.runner import Result, Runner, isolate_from_system_config
from tests.pg.cluster import SUPERUSER, Binaries, Cluster, RunAs
from tests.pg.server import locate

AGENT = "scram_agent"
PASSWORD = "correct horse battery staple"
DATABASE = "contact_tui"

# The superuser keeps trust on the cluster's own socket (the fixture's setup); every TCP client
# must give a SCRAM password.
HBA = """\
local all all trust
host all all 127.0.0.1/32 scram-sha-256
"""


class ScramCluster(Cluster):
    """A throwaway cluster that also listens on 127.0.0.1 with SCRAM authentication."""

    def __init__(self, binaries: Binaries, run_as: RunAs, port: int) -> None:
        super().__init__(binaries, run_as, port=port)
        self._configured = False

    def resume(self) -> None:
        """Before the first start (initdb and cluster.py's settings are written by then): TCP
        on localhost, passwords kept as SCRAM (13's default is md5), and this module's
        ``pg_hba.conf``; a later line of postgresql.conf wins over an earlier one."""
        if not self._configured:
            with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
                conf.write(
                    "listen_addresses = '127.0.0.1'\npassword_encryption = 'scram-sha-256'\n"
                )
            (self.data / "pg_hba.conf").write_text(HBA, encoding="utf-8")
            self._configured = True
        super().resume()


@dataclass(frozen=True)
class Server:
    """The SCRAM cluster: the agent's URL (no password in it) and where its password goes."""

    port: int
    url: str

    def pgpass_line(self, password: str) -> str:
        """A ``~/.pgpass`` line for the agent: host:port:database:user:password."""
        return f"127.0.0.1:{self.port}:{DATABASE}:{AGENT}:{password}\n"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def scram_server() -> Iterator[Server]:
    """The cluster, with the store's schema in ``contact_tui`` and ``scram_agent`` an agent
    whose password is :data:`PASSWORD`, kept by the server as a SCRAM verifier."""
    binaries, run_as = locate()
    port = _free_port()
    cluster = ScramCluster(binaries, run_as, port)
    try:
        cluster.start()
        socket_url = f"postgresql://{SUPERUSER}@/{DATABASE}?host={cluster.socket_dir}&port={port}"
        with psycopg.connect(
            host=cluster.socket_dir, port=port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        admin.init(socket_url)
        admin.grant(socket_url, AGENT, ["agent"])
        with psycopg.connect(socket_url, autocommit=True) as conn:
            # Utility statements take no parameters: the password as a quoted literal.
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(AGENT), sql.Literal(PASSWORD)
                )
            )
            kept = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (AGENT,))
            row = kept.fetchone()
            assert row is not None and row[0].startswith("SCRAM-SHA-256$")
        yield Server(port, f"postgresql://{AGENT}@127.0.0.1:{port}/{DATABASE}")
    finally:
        cluster.stop()


@pytest.fixture
def no_password_around(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No password from this machine's environment or home: only what a test puts there."""
    isolate_from_system_config(monkeypatch)
    for name in ("PGPASSWORD", "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE", "PGUSER", "PGHOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.pgpass of the tester's


def pg_config(tmp_path: Path, url: str) -> Path:
    """An admin config naming the store by a URL without a password."""
    path = tmp_path / "config.toml"
    path.write_text(f"[store]\nurl = {json.dumps(url)}\n", encoding="utf-8")
    return path


def pgpass(tmp_path: Path, server: Server, password: str, mode: int) -> Path:
    """A password file with one line for the agent, with ``mode``."""
    path = tmp_path / "pgpass"
    path.write_text(server.pgpass_line(password), encoding="utf-8")
    path.chmod(mode)
    return path


def refused(result: Result) -> str:
    """Exit 7, nothing on stdout, one line on stderr (returned), no password in it."""
    assert result.code == 7, (result.code, result.err)
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("contact-tui: "), result.err
    assert PASSWORD not in result.err and "wrong" not in result.err
    return lines[0]


NEW_CALL = ("--json", "interaction", "new", "--channel", "voice", "--from", "+1 317 555 0161")


@pytest.mark.pg
@pytest.mark.usefixtures("no_password_around")
def test_scram_from_another_host(
    scram_server: Server, run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every case in one test, so that the cluster starts once whichever xdist worker runs it
    (work stealing spreads a module's tests over the workers, each with its own fixtures)."""
    config = pg_config(tmp_path, scram_server.url)

    # The password from the file PGPASSFILE names (as from ~/.pgpass): the agent is the
    # server's session user, over TCP (the socket has no SCRAM line).
    monkeypatch.setenv("PGPASSFILE", str(pgpass(tmp_path, scram_server, PASSWORD, 0o600)))
    store = PostgresStore.open(scram_server.url)
    try:
        assert store.user == AGENT
        row = store.connection().execute("SELECT session_user, inet_client_addr()").fetchone()
        assert row is not None and row[0] == AGENT and str(row[1]) == "127.0.0.1"
    finally:
        store.close()
    # The whole app: the interaction is the session user's, whoever the OS user is.
    result = run(*NEW_CALL, config_path=config)
    assert result.code == 0, result.err
    assert result.json()["agent"] == AGENT

    # A wrong password: one sentence, exit 7, saying where the password is kept.
    pgpass(tmp_path, scram_server, "wrong", 0o600)
    assert refused(run(*NEW_CALL, config_path=config)) == (
        f"contact-tui: The database at PostgreSQL {DATABASE} on 127.0.0.1 refused your password "
        f'(FATAL:  password authentication failed for user "{AGENT}"); correct it in your '
        "~/.pgpass (or the file PGPASSFILE names), or ask your admin to set a new one."
    )

    # libpq passes over a password file others can read: the agent is told why.
    pgpass(tmp_path, scram_server, PASSWORD, 0o644)
    assert refused(run(*NEW_CALL, config_path=config)) == (
        f"contact-tui: The database at PostgreSQL {DATABASE} on 127.0.0.1 asks for a password "
        "and none was found; put it in your ~/.pgpass with mode 0600 (libpq ignores a file "
        "others can read), or in the file PGPASSFILE names."
    )

    # PGPASSWORD is libpq's too.
    monkeypatch.delenv("PGPASSFILE")
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    result = run(*NEW_CALL, config_path=config)
    assert result.code == 0, result.err
    assert result.json()["agent"] == AGENT


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://{AGENT}:{PASSWORD.replace(' ', '%20')}@db.example.net/{DATABASE}",
        f"postgresql://{AGENT}@db.example.net/{DATABASE}?password=secret",
    ],
)
def test_the_config_refuses_a_url_holding_a_password(tmp_path: Path, url: str) -> None:
    """Every agent can read the config, so a password there would be everyone's."""
    path = pg_config(tmp_path, url)
    with pytest.raises(ConfigError) as refusal:
        load_config(path, env={})
    assert str(refusal.value) == (
        f"{path} [store] url holds a password, which everyone who can read the config could "
        "use; connect with peer authentication over the socket, or keep the password in each "
        "user's ~/.pgpass."
    )
    assert "secret" not in str(refusal.value) and "horse" not in str(refusal.value)
