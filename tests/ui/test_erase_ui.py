"""Erasing the shown contact on screen (issue 13), keys only at 80x24: a supervisor erases it
after the question (y), which says what goes and that it cannot be undone; n, Escape and Enter
keep it; an agent without the delete permission finds the key disabled and erases nothing."""

from __future__ import annotations

import pytest

from contact_tui.domain.model import Permission
from contact_tui.domain.permissions import BUILTIN_ROLES
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.main import MainScreen
from tests.factories import World
from tests.ui.pilot import (
    main_screen,
    running,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    wait_until,
)

SUPERVISOR = tuple(BUILTIN_ROLES["supervisor"])
AGENT_ROLE = tuple(BUILTIN_ROLES["agent"])


async def test_a_supervisor_erases_the_shown_contact(world: World) -> None:
    async with running(world, *SUPERVISOR) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        assert text_of(pilot, "#profile-name") == "Sam Lee"
        screen = main_screen(pilot)
        assert screen.check_action("erase", ()) is True
        # Kept out of the footer (full at 80 columns), like w, t, m and M.
        binding = screen.active_bindings.get("D")
        assert binding is not None and not binding.binding.show

        await pilot.press("D")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        question = " ".join(" ".join(screen_lines(pilot)).split())
        assert "Erase Sam Lee" in question, question
        assert "cannot be undone" in question and "its notes" in question, question
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the answer")
        await wait_until(
            pilot, lambda: "Erased Sam Lee" in text_of(pilot, "#notices"), "the erase notice"
        )
        await wait_until(
            pilot, lambda: text_of(pilot, "#profile-name") != "Sam Lee", "the profile cleared"
        )
        assert screen.contact is None
        assert screen.check_action("erase", ()) is False  # no contact shown: nothing to erase

    contacts, interactions = world.state()
    assert world.sam.id not in contacts
    assert interactions[world.sam_call.id].contact_id is None


@pytest.mark.parametrize("key", ["n", "escape", "enter"])
async def test_n_escape_or_enter_keeps_the_contact(world: World, key: str) -> None:
    before = world.state()
    async with running(world, *SUPERVISOR) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        # Keeping is the default: Enter answers the focused button, which is Keep.
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert text_of(pilot, "#profile-name") == "Sam Lee"
        assert "Erased" not in text_of(pilot, "#notices")
    assert world.state() == before


async def test_an_agent_without_delete_sees_the_key_disabled(world: World) -> None:
    assert Permission.DELETE not in AGENT_ROLE
    before = world.state()
    async with running(world, *AGENT_ROLE, notifications=True) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        screen = main_screen(pilot)
        assert screen.check_action("erase", ()) is None
        binding = screen.active_bindings.get("D")
        assert binding is not None and not binding.enabled
        # The profile does not tell every agent what a supervisor may do.
        assert Permission.DELETE.value not in "\n".join(screen_lines(pilot))
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        notice = text_of(pilot, "#notices")
        assert "Erase is not allowed" in notice and Permission.DELETE.value in notice, notice
    assert world.state() == before
