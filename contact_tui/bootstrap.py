"""Wiring shared by the app and the command line: config -> agent -> store -> service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

from contact_tui.config import Config, current_agent, load_config
from contact_tui.domain.clock import utcnow
from contact_tui.service import ContactService
from contact_tui.store.documents import format_date, parse_date
from contact_tui.store.errors import StoreUnreadable
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
    """Load the config, work out the agent and open the store it names."""
    config = config or load_config(config_path)
    agent = current_agent(config)
    repo = Repository.open(config.store_path, seed=seed_loader(config.store_path, agent.user))
    return ContactService(repo, config, agent)
