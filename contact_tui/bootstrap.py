"""Wiring shared by the app and the command line: config -> agent -> store -> service."""

from __future__ import annotations

import contextlib
import grp
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from contact_tui.config import (
    Agent,
    Config,
    ConfigError,
    check_user_namespace,
    current_agent,
    load_config,
)
from contact_tui.domain.clock import utcnow
from contact_tui.domain.codec import format_date, parse_date
from contact_tui.service import ContactService, InvalidInput

# Re-exported for the command line, which reaches the store only through this layer: the
# database's own refusal of an action (exit 3).
from contact_tui.store.errors import StoreRefused as StoreRefused
from contact_tui.store.errors import StoreUnavailable, StoreUnreadable

# Each store, and the database admin's tools, are imported by the function that needs them:
# one command opens one store, and psycopg, the embedded store and the copy tool each cost a
# command's start-up time (tests/perf/bench_pg.py, "CLI").
if TYPE_CHECKING:
    from contact_tui.store.postgres.copy import CopyReport

SEED_NAME = "seed.json"
AGENT_PLACEHOLDER = "{agent}"


def seed_loader(store_path: Path, agent: str) -> Any:
    """A function giving the demo seed's tables when a store is created beside a seed.json.

    The seed's interactions are addressed to ``{agent}``, which becomes the user who
    creates the store, and are moved forward in time so the newest arrived a minute ago:
    the demo shows them waiting, not hours old.
    """
    seed_path = store_path.with_name(SEED_NAME)

    def load() -> Mapping[str, Mapping[str, dict[str, Any]]]:
        if not seed_path.exists():
            return {}
        try:
            data = orjson.loads(seed_path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as err:
            raise StoreUnreadable(seed_path, f"the demo seed is not valid JSON ({err})") from None
        if not isinstance(data, dict):
            raise StoreUnreadable(seed_path, "the demo seed is not a JSON object of tables")
        interactions = list(data.get("interactions", {}).values())
        for doc in interactions:
            if doc.get("agent") == AGENT_PLACEHOLDER:
                doc["agent"] = agent
        ephemeral = [
            doc for doc in data.get("contacts", {}).values() if doc.get("type") == "Ephemeral"
        ]
        _bring_forward(interactions, ephemeral)
        return data

    return load


def _bring_forward(interactions: list[dict[str, Any]], contacts: list[dict[str, Any]]) -> None:
    """Shift the demo's interactions, and the ephemeral contacts they made, to just now."""
    starts = [d for doc in interactions if (d := parse_date(doc.get("startedAt")))]
    if not starts:
        return
    shift = utcnow() - timedelta(minutes=1) - max(starts)
    for doc in (*interactions, *contacts):
        for key in ("startedAt", "createDate", "modifyDate", "lastInteractionDate"):
            moment = parse_date(doc.get(key))
            if moment is not None:
                doc[key] = format_date(moment + shift)


def open_service(
    config: Config | None = None, config_path: str | Path | None = None
) -> ContactService:
    """Load the config, work out the agent and open the store it names.

    Raises StoreUnavailable, naming the file and whom to ask, when the operating system denies
    access to the store (a user outside the store's group).
    """
    config = config or load_config(config_path)
    if config.store_url is not None:
        return _open_postgres(config, config.store_url)
    from contact_tui.store.repository import Repository

    agent = current_agent(config)
    try:
        repo = Repository.open(config.store_path, seed=seed_loader(config.store_path, agent.user))
    except PermissionError as err:
        raise StoreUnavailable(no_access_message(err, config.store_path)) from err
    return ContactService(repo, config, agent)


@contextlib.contextmanager
def scratch_service(config: Config) -> Iterator[ContactService]:
    """A service over an empty embedded store in a temporary folder, removed on leaving: what
    a dry run checks a file against when the configured store does not exist yet, since
    opening that store would create it."""
    from contact_tui.store.repository import Repository

    with tempfile.TemporaryDirectory(prefix="contact-tui-dry-run-") as folder:
        service = ContactService(
            Repository.open(Path(folder) / config.store_path.name), config, current_agent(config)
        )
        try:
            yield service
        finally:
            service.close()


def _open_postgres(config: Config, url: str) -> ContactService:
    """The PostgreSQL store: the user is the database's session user (peer authentication
    makes that the operating-system user on the shared host) and the permissions are the
    roles the database grants, never the config's or the client's word."""
    from contact_tui.store.postgres.copy import url_problem
    from contact_tui.store.postgres.store import PostgresStore

    check_user_namespace()
    if problem := url_problem(url):
        raise ConfigError(f"{config.describe_source()} [store] url: {problem}.")
    store = PostgresStore.open(url)
    try:
        permissions = store.permissions()
        roles = store.roles()
    except BaseException:
        store.close()
        raise
    agent = Agent(user=store.user, groups=frozenset(), roles=roles, permissions=permissions)
    return ContactService(store, config, agent)


# --- the database admin's commands (contact-tui db ..., store copy) --------------------------

# A login role an agent connects as: the Unix user names peer authentication maps, within
# PostgreSQL's 63 bytes. Names PostgreSQL reserves (pg_) and the store's own roles are refused.
_LOGIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}")


def admin_url(url: str) -> str:
    """``url`` checked as a PostgreSQL store's URL given on the command line; InvalidInput
    says what is wrong with it."""
    from contact_tui.store.postgres.copy import url_problem
    from contact_tui.store.postgres.store import describe

    if problem := url_problem(url):
        # Described, not quoted: the URL may hold the very password it is refused for.
        raise InvalidInput(f"The URL of {describe(url)} cannot be used: {problem}.")
    return url


def _login_name(user: str) -> str:
    from contact_tui.store.postgres.schema import ROLE_PREFIX

    if not _LOGIN_NAME.fullmatch(user) or user.startswith(("pg_", ROLE_PREFIX)):
        raise InvalidInput(
            f"{user!r} is not a user name this store grants roles to: use the agent's login "
            "name (letters, digits, _ . -; not starting with pg_ or "
            f"{ROLE_PREFIX})."
        )
    return user


def db_init(url: str) -> list[str]:
    """Create or upgrade the PostgreSQL store's schema and roles at ``url``: what was done."""
    from contact_tui.store.postgres import admin as pg_admin

    return pg_admin.init(admin_url(url))


def db_grant(url: str, user: str, roles: list[str]) -> list[str]:
    """Give the database user ``user`` (created when missing) the built-in ``roles``."""
    from contact_tui.store.postgres import admin as pg_admin

    return pg_admin.grant(admin_url(url), _login_name(user), roles)


def db_revoke(url: str, user: str, roles: list[str]) -> list[str]:
    """Take the built-in ``roles`` from the database user ``user``."""
    from contact_tui.store.postgres import admin as pg_admin

    return pg_admin.revoke(admin_url(url), _login_name(user), roles)


def db_reap(url: str, idle_seconds: float) -> list[str]:
    """End the store's users' sessions idle in a transaction for over ``idle_seconds``."""
    from contact_tui.store.postgres import admin as pg_admin

    return pg_admin.reap(admin_url(url), idle_seconds)


def copy_store(source: str, destination: str) -> CopyReport:
    """Copy a whole store into an empty one (``store copy``); each end is a PostgreSQL URL or
    an embedded store's path. A refusal before anything was written is invalid input."""
    from contact_tui.store.postgres.copy import CopyRefused, is_url
    from contact_tui.store.postgres.copy import copy_store as _copy_store

    ends = [
        admin_url(end) if is_url(end) else str(Path(end).absolute())
        for end in (source, destination)
    ]
    try:
        return _copy_store(*ends)
    except CopyRefused as err:
        raise InvalidInput(str(err)) from None


def no_access_message(err: OSError, store_path: Path | None) -> str:
    """One sentence for a file the OS would not let us open: which one, and what to ask for.

    For a file in the store's folder (``store_path`` is None when no config was loaded) it
    names the group that owns the folder, since being outside that group is the usual reason
    on a shared host.
    """
    named = Path(os.fsdecode(err.filename)) if err.filename else None
    folder = store_path.parent if store_path is not None else None
    if folder is not None and named is not None and not named.is_absolute():
        named = folder / named  # a name opened relative to the store folder's descriptor
    where = named or folder
    if folder is None or where is None or (where != folder and folder not in where.parents):
        return (
            f"No permission to open {where or 'a file'}; check its owner and mode, or ask "
            "its owner for access."
        )
    try:
        gid = os.stat(folder).st_gid
    except OSError:
        return (
            f"No permission to open {where}; ask your admin to give you access to the store "
            f"folder {folder} (usually by adding you to its group)."
        )
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = str(gid)
    if gid in os.getgroups() or gid == os.getgid():
        return (
            f"No permission to open {where} although you are in its group {group}; ask your "
            f"admin to give that group read and write access to the store folder {folder} "
            "and its files (chmod 2770 for the folder, 660 for the files)."
        )
    return (
        f"No permission to open {where}; ask your admin to add you to the group {group}, "
        f"which owns the store folder {folder}, then log in again."
    )
