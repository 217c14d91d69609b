"""A database another build of contact-tui set up (issue 13 review): MIGRATION_1 is edited in
place until it is released, so a database made by an earlier build says "version 1" too, and
``db init`` called it up to date while its functions were another build's (saves then failed
with "function does not exist"). ``db init`` stores a fingerprint of the migrations' SQL beside
the version; ``db init`` and opening the store refuse a database whose fingerprint is not this
build's, in one sentence, with exit 7 (README: the schema is missing, older or newer).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_tui.domain.model import Permission
from contact_tui.store.errors import StoreUnavailable
from contact_tui.store.postgres import admin
from contact_tui.store.postgres.schema import SCHEMA, SCHEMA_FINGERPRINT, fingerprint
from contact_tui.store.postgres.store import PostgresStore
from tests.cli.runner import Runner, isolate_from_system_config
from tests.contract import set_grants
from tests.pg.server import Database

pytestmark = pytest.mark.pg

USER = "fingerprint_agent"
DIFFERENT = "was set up by a different build of contact-tui (schema version 1, but other SQL"


def _snapshot(database: Database) -> list[tuple[object, ...]]:
    """The schema's functions and the meta table: what an init could change."""
    with database.connect() as conn:
        return conn.execute(
            "SELECT p.proname, md5(p.prosrc) FROM pg_proc AS p JOIN pg_namespace AS n "
            f"ON n.oid = p.pronamespace WHERE n.nspname = '{SCHEMA}' UNION ALL "
            f"SELECT key, value FROM {SCHEMA}.meta ORDER BY 1, 2"
        ).fetchall()


@pytest.fixture
def earlier_build(schema_database: Database) -> Database:
    """A database an earlier build set up: version 1, no fingerprint, and one function this
    build calls missing (as after the earlier build's MIGRATION_1)."""
    with schema_database.connect() as conn:
        set_grants(conn, USER, frozenset({Permission.VIEW}))
        conn.execute(f"DELETE FROM {SCHEMA}.meta WHERE key = 'schema_fingerprint'")
        conn.execute(f"DROP FUNCTION {SCHEMA}.may_take(text)")
    return schema_database


def test_db_init_stores_this_builds_fingerprint(schema_database: Database) -> None:
    with schema_database.connect() as conn:
        assert admin.stored_fingerprint(conn) == SCHEMA_FINGERPRINT == fingerprint(1)
    assert admin.init(schema_database.url()) == [
        "The schema is up to date (version 1); nothing to do."
    ]


def test_db_init_refuses_a_database_an_earlier_build_set_up(
    earlier_build: Database, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_from_system_config(monkeypatch)
    before = _snapshot(earlier_build)
    result = run("db", "init", "--url", earlier_build.url())
    assert result.code == 7
    [line] = result.err.splitlines()
    assert DIFFERENT in line and "nothing was changed: recreate it" in line
    assert f"drop the schema {SCHEMA}, run 'contact-tui db init' again" in line
    assert _snapshot(earlier_build) == before


def test_db_init_refuses_another_builds_fingerprint_too(earlier_build: Database) -> None:
    with earlier_build.connect() as conn:
        conn.execute(f"INSERT INTO {SCHEMA}.meta VALUES ('schema_fingerprint', 'another build')")
    with pytest.raises(StoreUnavailable, match=DIFFERENT.replace("(", r"\(")):
        admin.init(earlier_build.url())


def test_the_app_refuses_to_open_it_rather_than_fail_at_the_first_save(
    earlier_build: Database, run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_from_system_config(monkeypatch)
    with pytest.raises(StoreUnavailable) as refused:
        PostgresStore.open(earlier_build.url(USER))
    message = str(refused.value)
    assert DIFFERENT in message and "ask your admin to recreate it" in message
    config = tmp_path / "pg.toml"
    config.write_text(f'[store]\nurl = "{earlier_build.url(USER)}"\n', encoding="utf-8")
    result = run("contact", "list", config_path=config)
    assert result.code == 7
    assert [DIFFERENT in line for line in result.err.splitlines()] == [True]
