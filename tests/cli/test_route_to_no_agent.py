"""``contact-tui interaction new --agent nosuchuser`` (the routing integration pushing a call for
an agent) and ``interaction import`` with such a line: refused with exit 5 (not found) and one
sentence naming the agent, nothing saved, on the embedded store and on PostgreSQL (issue 12).

Why 5 and not 2: the command is well formed and every field is valid; what is missing is a
thing the store would have to hold, as for ``contact show`` of an id no contact has. An
integration can tell "my request is malformed" (2: fix the integration) from "that agent is not
there" (5: route the call elsewhere, tell the admin) by the code alone.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from contact_tui.cli.exits import EXIT_NOT_FOUND, EXIT_OK
from contact_tui.domain.model import Permission
from tests.cli.runner import Result, Runner
from tests.contract import schema_template, set_grants
from tests.pg.server import Databases, PgServer

NEW_CALL = ("interaction", "new", "--channel", "voice", "--from", "+1 317 555 0148")


def refused_for(result: Result, agent: str, where: str = "") -> None:
    """Exit 5, nothing on stdout, one sentence naming ``agent`` (after ``where``)."""
    assert result.code == EXIT_NOT_FOUND, (result.code, result.err)
    assert result.out == ""
    assert result.err.splitlines() == [
        f"contact-tui: {where}There is no agent {agent} who could take this interaction (no "
        f"such user, or one without the {Permission.VIEW.value} permission); nothing was "
        "saved." + (" Nothing was imported." if where else "")
    ]


def queue_sizes(run: Runner, *agents: str) -> list[int]:
    """How many interactions each agent's queue holds, as the supervisor sees them."""
    sizes = []
    for agent in agents:
        listed = run("--json", "interaction", "list", "--all-states", "--agent", agent)
        assert listed.code == EXIT_OK, listed.err
        sizes.append(len(listed.json()))
    return sizes


def jsonl(tmp_path: Path, *agents: str) -> str:
    """An import file with one call per agent."""
    path = tmp_path / "calls.jsonl"
    lines = [
        json.dumps({"agent": a, "channel": "voice", "from": f"+1 317 555 01{50 + n}"})
        for n, a in enumerate(agents)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


# --- the embedded store: an agent is whom the admin config gives view -------------------------


def test_a_call_for_no_agent_is_refused(run: Runner) -> None:
    refused_for(run(*NEW_CALL, "--agent", "nosuchuser"), "nosuchuser")
    assert queue_sizes(run, "nosuchuser") == [0]
    assert run(*NEW_CALL, "--agent", "bob").code == EXIT_OK  # bob is an agent in the config


def test_an_import_with_one_call_for_no_agent_imports_nothing(run: Runner, tmp_path: Path) -> None:
    result = run("interaction", "import", jsonl(tmp_path, "bob", "nosuchuser", "bob"))
    refused_for(result, "nosuchuser", f"{tmp_path / 'calls.jsonl'} line 2: ")
    assert queue_sizes(run, "bob", "nosuchuser") == [0, 0]


# --- PostgreSQL: an agent is a login role holding view ----------------------------------------


@dataclass(frozen=True)
class PgStore:
    """A fresh PostgreSQL store where ``route_agent`` may view and ``route_no_view`` may route
    but not view; commands run as the routing integration or as the supervisor."""

    router: Runner
    supervisor: Runner


@pytest.fixture
def template(pg_server: PgServer) -> str:
    """The schema's template: made before ``pg_databases`` notes the roles to drop after the
    test, so the group roles it creates are kept."""
    return schema_template(pg_server)


@pytest.fixture
def pg_store(run: Runner, template: str, pg_databases: Databases, tmp_path: Path) -> PgStore:
    database = pg_databases.create(template=template)
    with database.connect() as conn:
        set_grants(conn, "route_router", frozenset({Permission.ROUTE}))
        set_grants(conn, "route_agent", frozenset({Permission.VIEW}))
        set_grants(conn, "route_no_view", frozenset({Permission.ROUTE}))
        set_grants(conn, "route_supervisor", frozenset(Permission))

    def as_user(user: str) -> Runner:
        config = tmp_path / f"{user}.toml"
        config.write_text(f'[store]\nurl = "{database.url(user)}"\n', encoding="utf-8")
        return functools.partial(run, config_path=config)

    return PgStore(as_user("route_router"), as_user("route_supervisor"))


@pytest.mark.parametrize("agent", ["nosuchuser", "route_no_view"])
def test_postgres_refuses_a_call_for_no_agent(pg_store: PgStore, agent: str) -> None:
    refused_for(pg_store.router(*NEW_CALL, "--agent", agent), agent)
    assert pg_store.router(*NEW_CALL, "--agent", "route_agent").code == EXIT_OK
    assert queue_sizes(pg_store.supervisor, agent, "route_agent") == [0, 1]


def test_postgres_imports_nothing_for_a_file_with_a_call_for_no_agent(
    pg_store: PgStore, tmp_path: Path
) -> None:
    result = pg_store.router("interaction", "import", jsonl(tmp_path, "route_agent", "nosuchuser"))
    refused_for(result, "nosuchuser", f"{tmp_path / 'calls.jsonl'} line 2: ")
    assert queue_sizes(pg_store.supervisor, "route_agent") == [0]
