"""What an agent may not do is neither reachable by key nor written to the store, and the
profile says which permission is missing."""

from __future__ import annotations

from contact_tui.domain.model import Permission
from contact_tui.ui.screens.main import MainScreen
from tests.factories import World
from tests.ui.pilot import is_form_open, main_screen, running, select_interaction, settle, text_of


async def test_a_view_only_agent_cannot_add_create_or_edit(world: World) -> None:
    async with running(world, Permission.VIEW) as pilot:
        before = world.state()
        # An ephemeral contact: Add to Contacts and Edit would apply, were they allowed.
        await select_interaction(pilot, world.unknown_call.id)
        screen = main_screen(pilot)
        for action in ("add_to_contacts", "new_contact", "edit"):
            assert screen.check_action(action, ()) is None, action  # shown, but disabled

        for key in ("a", "n", "e"):
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen is screen, f"{key} opened {pilot.app.screen!r}"

        notes = text_of(pilot, "#profile-notes")
        assert Permission.ADD.value in notes
        assert Permission.EDIT.value in notes
        assert Permission.PROMOTE.value in notes
        assert "Create New Contact" in notes
        assert world.state() == before


async def test_an_agent_without_promote_can_edit_but_not_add_to_contacts(world: World) -> None:
    async with running(world, Permission.VIEW, Permission.ADD, Permission.EDIT) as pilot:
        before = world.state()
        await select_interaction(pilot, world.unknown_call.id)
        screen = main_screen(pilot)
        assert screen.check_action("add_to_contacts", ()) is None
        # Edit on an ephemeral contact is Add to Contacts: not allowed either.
        assert screen.check_action("edit", ()) is None

        for key in ("a", "e"):
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen is screen
        notes = text_of(pilot, "#profile-notes")
        assert Permission.PROMOTE.value in notes
        assert Permission.ADD.value not in notes and Permission.EDIT.value not in notes
        assert world.state() == before

        await select_interaction(pilot, world.sam_call.id)  # Sam Lee, curated
        assert screen.check_action("edit", ()) is True
        await pilot.press("e")
        await settle(pilot)
        assert is_form_open(pilot)
        assert "Edit contact" in text_of(pilot, "#form-title")


async def test_an_agent_with_every_permission_sees_no_permission_notes(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        notes = pilot.app.screen.query_one("#profile-notes")
        assert "hidden" in notes.classes
        assert isinstance(pilot.app.screen, MainScreen)
