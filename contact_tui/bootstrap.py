"""Wiring shared by the app and the command line: config -> agent -> store -> service."""

from __future__ import annotations

import grp
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

from contact_tui.config import Config, current_agent, load_config
from contact_tui.domain.clock import utcnow
from contact_tui.service import ContactService
from contact_tui.store.documents import format_date, parse_date
from contact_tui.store.errors import StoreUnavailable, StoreUnreadable
from contact_tui.store.repository import Repository

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
    agent = current_agent(config)
    try:
        repo = Repository.open(config.store_path, seed=seed_loader(config.store_path, agent.user))
    except PermissionError as err:
        raise StoreUnavailable(no_access_message(err, config.store_path)) from err
    return ContactService(repo, config, agent)


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
