"""Where a load or kill worker process works: an embedded store's path or a PostgreSQL URL.

A worker is given one string; a ``postgresql:`` URL names the database and the login it acts
as (the server's ``session_user`` and grants make its agent), anything else is an embedded
store's path (the agent is the user named, holding every permission).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contact_tui.config import Agent
from contact_tui.service import ContactService
from contact_tui.store.repository import Repository
from tests.factories import make_agent, make_config


def is_url(target: str) -> bool:
    """True when ``target`` names a PostgreSQL store."""
    return target.startswith(("postgresql:", "postgres:"))


def open_service(target: str, user: str, **repo_options: Any) -> ContactService:
    """A service over ``target`` for ``user``; ``repo_options`` go to the embedded store."""
    if is_url(target):
        # Here, not at the top: an embedded worker starts without loading psycopg.
        from contact_tui.store.postgres.store import PostgresStore

        store = PostgresStore.open(target)
        agent = Agent(store.user, frozenset(), store.roles(), store.permissions())
        return ContactService(store, make_config(Path("unused")), agent)
    path = Path(target)
    return ContactService(
        Repository.open(path, **repo_options), make_config(path), make_agent(user)
    )
