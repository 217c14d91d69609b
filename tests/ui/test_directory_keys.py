"""A key the agent's roles do not permit in the directory says why, naming the permission and
whom to ask, as on the main screen (issue 10, item 8); an agent who may is told nothing."""

from __future__ import annotations

from textual.pilot import Pilot

from contact_tui.domain.model import Permission
from contact_tui.ui.protocols import not_allowed
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.exchange import ExchangeDialog
from tests.factories import World
from tests.ui.pilot import is_form_open, running, settle, wait_until


async def open_directory(pilot: Pilot[None]) -> DirectoryScreen:
    """Press d on the main screen and wait for the directory's first search (so F4 has a
    highlighted contact to act on)."""
    await pilot.press("d")
    await settle(pilot)
    directory = pilot.app.screen
    assert isinstance(directory, DirectoryScreen)
    await wait_until(pilot, lambda: directory.highlighted is not None, "the first search")
    return directory


async def test_a_viewer_pressing_a_forbidden_key_is_told_which_permission_and_whom_to_ask(
    world: World, told: list[str]
) -> None:
    async with running(world, Permission.VIEW) as pilot:
        directory = await open_directory(pilot)
        before = world.state()
        for key, label, missing in (
            ("f3", "Create New Contact", Permission.ADD),
            ("f4", "Edit", Permission.EDIT),
            ("f6", "Import", Permission.ADD),
        ):
            told.clear()

            await pilot.press(key)
            await settle(pilot)

            assert pilot.app.screen is directory, key
            assert told == [
                f"{label} is not allowed for you: it needs the {missing.value} permission, "
                f"which your roles ({directory.service.agent.role_label}) do not give; ask "
                "your admin for it."
            ], key
            assert world.state() == before, key


def test_an_action_needing_two_missing_permissions_names_both() -> None:
    # Import needs view and add; the directory itself needs view, so no key reaches this.
    reason = not_allowed("Import", [Permission.VIEW, Permission.ADD], "router")
    assert f"the {Permission.VIEW.value} and {Permission.ADD.value} permissions" in reason
    assert reason.endswith("(router) do not give; ask your admin for it.")


async def test_an_agent_with_the_permissions_is_told_nothing_and_the_keys_work(
    world: World, told: list[str]
) -> None:
    async with running(world) as pilot:
        directory = await open_directory(pilot)
        told.clear()
        for key in ("f3", "f4"):
            await pilot.press(key)
            await settle(pilot)
            assert is_form_open(pilot), key
            await pilot.press("escape")  # nothing typed: closes without asking
            await settle(pilot)
            assert pilot.app.screen is directory
        for key in ("f6", "f7"):
            await pilot.press(key)
            await settle(pilot)
            opened = pilot.app.screen
            assert isinstance(opened, ExchangeDialog), key
            await pilot.press("escape")
            await settle(pilot)
            assert pilot.app.screen is directory
        assert not [m for m in told if "not allowed" in m], told
