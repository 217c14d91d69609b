"""Other processes' changes reach the screen without the agent doing anything."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contact_tui.config import CONFIG_ENV, SYSTEM_CONFIG
from contact_tui.domain.draft import ContactDraft
from tests.factories import AGENT, World
from tests.ui.pilot import (
    interaction_table,
    running,
    select_interaction,
    settle,
    text_of,
    wait_until,
)

# The main screen looks for changes every 0.5 s; "within a second" leaves room for a slow
# machine, and 1.5 s is where this test gives up.
ARRIVAL_BUDGET = 1.5


def write_config(folder: Path, store: Path) -> Path:
    """A config.toml making the current OS user a supervisor over ``store``, and the world's
    agent, whom the interaction is routed to, an agent."""
    user = pwd.getpwuid(os.getuid()).pw_name
    path = folder / "config.toml"
    agent = f'{json.dumps(AGENT)} = "agent"\n' if user != AGENT else ""
    # json.dumps quotes both as TOML basic strings, whatever they contain.
    path.write_text(
        f'[store]\npath = {json.dumps(str(store))}\n\n[users]\n{json.dumps(user)} = "supervisor"\n'
        + agent,
        encoding="utf-8",
    )
    return path


@pytest.mark.skipif(SYSTEM_CONFIG.exists(), reason=f"{SYSTEM_CONFIG} would override the config")
async def test_an_interaction_handed_over_by_the_cli_appears_within_a_second(
    world: World, tmp_path: Path
) -> None:
    config = write_config(tmp_path, world.path)
    env = {k: v for k, v in os.environ.items() if k != "CONTACT_TUI_DEBUG"}
    env[CONFIG_ENV] = str(config)
    command = [
        sys.executable,
        "-m",
        "contact_tui",
        "--json",
        "interaction",
        "new",
        "--channel",
        "voice",
        "--from",
        "+1 212 555 0142",
        "--agent",
        AGENT,
    ]

    async with running(world) as pilot:
        table = interaction_table(pilot)
        rows = table.row_count
        # In a thread, so the app keeps running (and polling) while the CLI starts up.
        done = await asyncio.to_thread(
            subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        new_id = json.loads(done.stdout)["id"]

        handed_over = time.monotonic()
        while table.row_count == rows and time.monotonic() - handed_over < ARRIVAL_BUDGET:
            await pilot.pause(0.05)
        waited = time.monotonic() - handed_over
        assert table.row_count == rows + 1, f"no new row after {waited:.2f} s"
        row = [str(c) for c in table.get_row(new_id)]
        assert row[0] == "Voice" and row[1] == "+1 212-555-0142"
        stored = world.interaction(new_id)
        assert stored.agent == AGENT and stored.contact_id is not None


async def test_another_agents_edit_of_the_shown_contact_appears_in_the_profile(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        assert "Title" not in text_of(pilot, "#profile-details")

        bob = world.service("bob")
        draft = ContactDraft.from_contact(bob.contact(world.sam.id))
        draft.title = "Dr"
        bob.edit(world.sam.id, draft, 1)

        await wait_until(
            pilot,
            lambda: "Dr" in text_of(pilot, "#profile-details"),
            "bob's title to show",
            timeout=ARRIVAL_BUDGET,
        )
        assert "by bob" in text_of(pilot, "#profile-details")
        await settle(pilot)
