"""``contact-tui db init|grant|revoke``, and every way a PostgreSQL store can fail a command:
each one sentence with its exit code (README), and nothing half-written.

Every test here may create or grant roles, which belong to the whole server: they run in the
one ``postgres`` xdist group.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from contact_tui.domain.model import Permission
from contact_tui.store.postgres import store as pg_store
from contact_tui.store.postgres.schema import SCHEMA_VERSION
from tests.cli.runner import Result, Runner
from tests.contract import schema_template, set_grants
from tests.pg.server import Database, Databases, PgServer


def pg_config(folder: Path, url: str) -> Path:
    """An admin config naming the PostgreSQL store at ``url``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pg.toml"
    path.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    return path


@pytest.fixture
def template(pg_server: PgServer) -> str:
    """The schema's template database: made first, so the group roles it creates exist before
    ``pg_databases`` notes which roles to drop after the test."""
    return schema_template(pg_server)


@pytest.fixture
def database(template: str, pg_databases: Databases) -> Database:
    """A database holding the store's schema."""
    return pg_databases.create(template=template)


@pytest.fixture
def empty_database(template: str, pg_databases: Databases) -> Database:
    """A database without the store's schema."""
    return pg_databases.create()


@pytest.fixture
def as_user(
    run: Runner, database: Database, pg_server: PgServer, tmp_path: Path
) -> Callable[..., Callable[..., Result]]:
    """``as_user("alice", *permissions)(ARGS...)``: run a command as the database user alice
    holding exactly those permissions, over ``database`` (configured as [store] url)."""

    def make(user: str, *permissions: Permission) -> Callable[..., Result]:
        with pg_server.connect() as conn:
            set_grants(conn, user, frozenset(permissions))
        config = pg_config(tmp_path / user, database.url(user))

        def command(*args: str) -> Result:
            return run(*args, config_path=config)

        return command

    return make


def count(database: Database, table: str) -> int:
    """Rows in one of the store's tables, counted as the superuser."""
    with database.connect() as conn:
        row = conn.execute(f"SELECT count(*) FROM contact_tui.{table}").fetchone()
    assert row is not None
    return int(row[0])


# --- db init, grant, revoke ----------------------------------------------------------------


def test_db_init_creates_the_schema_then_has_nothing_to_do(
    run: Runner, empty_database: Database
) -> None:
    result = run("db", "init", "--url", empty_database.url())
    assert result.code == 0, result.err
    assert f"Upgraded the schema to version {SCHEMA_VERSION}." in result.out
    again = run("--json", "db", "init", "--url", empty_database.url())
    assert again.code == 0
    assert again.json() == {
        "done": [f"The schema is up to date (version {SCHEMA_VERSION}); nothing to do."]
    }


def test_db_init_takes_the_config_url_and_wants_one(
    run: Runner, database: Database, tmp_path: Path, config: Path
) -> None:
    result = run("db", "init", config_path=pg_config(tmp_path / "pg", database.url()))
    assert result.code == 0, result.err
    assert "up to date" in result.out
    # The test's default config names an embedded store: there is nothing to initialise.
    result = run("db", "init")
    assert result.code == 8
    assert f"The config ({config}) names no PostgreSQL store" in result.err


def test_db_init_refuses_a_newer_schema_and_so_does_the_app(
    run: Runner, database: Database, as_user: Callable[..., Callable[..., Result]]
) -> None:
    with database.connect() as conn:
        conn.execute("UPDATE contact_tui.meta SET value = '99' WHERE key = 'schema_version'")
    result = run("db", "init", "--url", database.url())
    assert result.code == 7
    assert "has schema version 99, newer than this contact-tui (1); nothing was changed" in (
        result.err
    )
    result = as_user("alice", Permission.VIEW)("contact", "list")
    assert result.code == 7
    assert "newer than this contact-tui understands (1); upgrade contact-tui" in result.err


def test_grant_creates_the_login_role_and_the_app_shows_its_roles(
    run: Runner, database: Database, tmp_path: Path
) -> None:
    user = f"agent_{secrets.token_hex(3)}"
    url = database.url()
    result = run("db", "grant", "--url", url, user, "agent", "supervisor")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"Created the login role {user}.",
        f"Granted agent to {user}.",
        f"Granted supervisor to {user}.",
    ]
    as_them = pg_config(tmp_path / user, database.url(user))
    shown = run("--json", "admin", "show", config_path=as_them)
    assert shown.code == 0, shown.err
    assert shown.json()["agent"]["roles"] == ["agent", "supervisor"]

    assert run("db", "revoke", "--url", url, user, "supervisor").code == 0
    shown = run("--json", "admin", "show", config_path=as_them)
    assert shown.json()["agent"]["roles"] == ["agent"]
    assert "contactTui:admin" not in str(shown.json()["agent"]["permissions"])


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("grant", "sam", "boss"), 2, "invalid choice: 'boss'"),
        (("grant", "pg_monitor", "agent"), 2, "'pg_monitor' is not a user name"),
        (("grant", "contact_tui_admin", "agent"), 2, "not starting with pg_ or contact_tui_"),
        (("grant", "sam\x1b]0;x", "agent"), 2, "is not a user name"),
        (("revoke", "nobody_here", "agent"), 5, "There is no database user 'nobody_here'"),
    ],
)
def test_grant_and_revoke_refuse_what_they_cannot_do(
    run: Runner, database: Database, args: tuple[str, ...], code: int, says: str
) -> None:
    result = run("db", args[0], "--url", database.url(), *args[1:])
    assert result.code == code
    assert says in result.err
    assert "\x1b" not in result.err


def test_an_agent_cannot_grant(run: Runner, database: Database, pg_server: PgServer) -> None:
    with pg_server.connect() as conn:
        set_grants(conn, "alice", frozenset(Permission))
    result = run("db", "grant", "--url", database.url("alice"), "mallory", "supervisor")
    assert result.code == 3
    assert "permission denied to create role" in result.err
    assert "the db commands are for the store's owner" in result.err


@pytest.mark.parametrize(
    "url",
    ["postgresql://admin:secret@/contact_tui", "postgresql:///contact_tui?nonsense=1", "x://y"],
)
def test_db_refuses_a_url_it_cannot_use(run: Runner, url: str) -> None:
    result = run("db", "init", "--url", url)
    assert result.code == 2
    assert "cannot be used" in result.err
    assert "secret" not in result.err


# --- the errors of a PostgreSQL store, through any command ---------------------------------


def test_server_down(as_user: Callable[..., Callable[..., Result]], pg_server: PgServer) -> None:
    command = as_user("alice", Permission.VIEW)
    with pg_server.stopped():
        result = command("contact", "list")
    assert result.code == 7
    assert "Cannot reach the database at PostgreSQL" in result.err
    assert "the server may be down or the [store] url in the config may be wrong" in result.err


def test_no_such_database(run: Runner, pg_server: PgServer, tmp_path: Path) -> None:
    config = pg_config(tmp_path, pg_server.url("no_such_db"))
    result = run("contact", "list", config_path=config)
    assert result.code == 7
    assert "There is no such database at PostgreSQL no_such_db" in result.err


def test_a_config_url_that_is_not_valid(run: Runner, pg_server: PgServer, tmp_path: Path) -> None:
    config = pg_config(tmp_path, pg_server.url("contact_tui") + "&nonsense=1")
    result = run("contact", "list", config_path=config)
    assert result.code == 8
    assert (
        "[store] url: it is not a valid PostgreSQL URL (invalid URI query parameter" in result.err
    )


def test_authentication_refused(run: Runner, database: Database, tmp_path: Path) -> None:
    config = pg_config(tmp_path, database.url("nobody_at_all"))
    result = run("contact", "list", config_path=config)
    assert result.code == 7
    assert "The database refused you at PostgreSQL" in result.err
    assert "ask your admin to run 'contact-tui db grant' for your user" in result.err


def test_the_database_refuses_what_a_lying_client_claims(
    as_user: Callable[..., Callable[..., Result]],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = as_user("alice", Permission.VIEW)
    # The client believes it holds every permission; the server's own check still says no.
    monkeypatch.setattr(pg_store.PostgresStore, "permissions", lambda self: frozenset(Permission))
    result = command("contact", "add", "--first", "Sam", "--last", "Lee")
    assert result.code == 3, result.err
    assert "alice may not add contacts: that needs the externalContacts:contact:add" in result.err
    assert count(database, "contacts") == count(database, "audit") == 0


def test_no_schema_sends_the_admin_to_db_init(
    run: Runner, empty_database: Database, tmp_path: Path
) -> None:
    result = run("contact", "list", config_path=pg_config(tmp_path, empty_database.url()))
    assert result.code == 7
    assert "has no contact-tui schema; this contact-tui needs version 1: ask your admin" in (
        result.err
    )
    assert "'contact-tui db init'" in result.err


def test_an_older_schema_sends_the_admin_to_db_init(
    as_user: Callable[..., Callable[..., Result]], monkeypatch: pytest.MonkeyPatch
) -> None:
    command = as_user("alice", Permission.VIEW)
    monkeypatch.setattr(pg_store, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    result = command("contact", "list")
    assert result.code == 7
    assert f"has schema version {SCHEMA_VERSION}; this contact-tui needs version " in result.err
    assert "run 'contact-tui db init'" in result.err


@pytest.fixture
def held_contact(
    as_user: Callable[..., Callable[..., Result]], database: Database
) -> Iterator[tuple[Callable[..., Result], str]]:
    """alice (an agent) and a contact she made, whose row another session holds locked."""
    command = as_user("alice", *(Permission.VIEW, Permission.ADD, Permission.EDIT))
    added = command("--json", "contact", "add", "--first", "Sam", "--last", "Lee")
    assert added.code == 0, added.err
    contact_id = str(added.json()["id"])
    with database.connect() as holder, holder.transaction():
        holder.execute("SELECT 1 FROM contact_tui.contacts WHERE id = %s FOR UPDATE", (contact_id,))
        yield command, contact_id


def test_statement_timeout(
    held_contact: tuple[Callable[..., Result], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    command, contact_id = held_contact
    monkeypatch.setitem(pg_store.SESSION_OPTIONS, "lock_timeout", "10s")
    monkeypatch.setitem(pg_store.SESSION_OPTIONS, "statement_timeout", "200ms")
    result = command("contact", "edit", contact_id, "--first", "Samuel")
    assert result.code == 7
    assert "did not answer in time; nothing was saved. Try again." in result.err


def test_lock_timeout(
    held_contact: tuple[Callable[..., Result], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    command, contact_id = held_contact
    monkeypatch.setitem(pg_store.SESSION_OPTIONS, "lock_timeout", "200ms")
    result = command("contact", "edit", contact_id, "--first", "Samuel")
    assert result.code == 7
    assert "is holding what this change needs; nothing was saved. Try again in a moment." in (
        result.err
    )


def test_connection_lost_mid_save_writes_nothing(
    as_user: Callable[..., Callable[..., Result]],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = as_user("alice", Permission.VIEW, Permission.ADD)
    save = pg_store.PgTransaction._save

    def save_then_cut(self: pg_store.PgTransaction, *args: Any, **kwargs: Any) -> Any:
        # The contact is written in this transaction (BEGIN went with it); the server ends
        # the session before the audit record and COMMIT reach it (a new contact's save is
        # not its transaction's last statement: the audit record follows).
        assert not kwargs.get("last")
        saved = save(self, *args, **kwargs)
        assert self._conn is not None
        pid = self._conn.info.backend_pid
        with database.connect() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return saved

    monkeypatch.setattr(pg_store.PgTransaction, "_save", save_then_cut)
    result = command("contact", "add", "--first", "Sam", "--last", "Lee")
    assert result.code == 7, result.err
    assert "Lost the connection to the database at PostgreSQL" in result.err
    assert "nothing was saved" in result.err
    assert count(database, "contacts") == count(database, "audit") == 0


def test_db_reap_ends_a_session_idle_in_a_transaction(
    run: Runner, database: Database, pg_server: PgServer
) -> None:
    with pg_server.connect() as conn:
        set_grants(conn, "idler", frozenset({Permission.VIEW}))
    idler = psycopg.connect(database.url("idler"))
    idler.execute("SET idle_in_transaction_session_timeout = 0")
    idler.execute("BEGIN")
    idler.execute("SELECT count(*) FROM contact_tui.contacts")
    time.sleep(0.3)
    result = run("db", "reap", "--url", database.url(), "--idle", "0.2")
    assert result.code == 0, result.err
    assert "Ended idler's session" in result.out
    with pytest.raises(psycopg.OperationalError):
        idler.execute("SELECT 1")
    again = run("db", "reap", "--url", database.url(), "--idle", "0.2")
    assert "No session was idle in a transaction that long." in again.out


@pytest.mark.parametrize("idle", ["soon", "0", "-5", "99999999"])
def test_db_reap_refuses_a_time_that_is_not_a_sensible_number(run: Runner, idle: str) -> None:
    result = run("db", "reap", "--url", "postgresql:///x?host=/nowhere", "--idle", idle)
    assert result.code == 2
    assert "--idle" in result.err
