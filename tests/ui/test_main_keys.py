"""The main screen at 80x24, keys only (issue 10, items 5-9 and 15): Edit on an ephemeral
contact adds it to Contacts, End asks first, several matches are visible and chosen with one
key, a forbidden key says why, the list shows names and formatted numbers, Home and End work,
and messages never cover the profile nor outlive their truth."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import OptionList

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import ContactType, InteractionState, Permission
from contact_tui.ui.screens import main as main_module
from contact_tui.ui.screens.contact_form import ContactForm, FormMode
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.main import MainScreen
from tests.factories import World, voice
from tests.ui.pilot import (
    interaction_table,
    main_screen,
    running,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    wait_until,
)


async def test_e_on_an_ephemeral_contact_opens_add_to_contacts_and_unlinked_invites_to_create(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        assert main_screen(pilot).contact is not None
        assert main_screen(pilot).contact.type == ContactType.EPHEMERAL  # type: ignore[union-attr]
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ContactForm)
        assert form.request.mode == FormMode.PROMOTE
        assert FormMode.PROMOTE.value in text_of(pilot, "#form-title")

        # Back on the main screen (nothing typed: Escape closes at once), unlinked, an agent
        # with every permission is invited to create a contact.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        await pilot.press("u")
        await wait_until(
            pilot,
            lambda: "No contact is linked" in text_of(pilot, "#profile-name"),
            "the unlink",
        )
        assert text_of(pilot, "#profile-details") == (
            "Press n to create a contact, or l to link one from the directory."
        )


async def test_x_asks_first_and_escape_or_n_keeps_the_interaction(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        for cancel in ("escape", "n"):
            await pilot.press("x")
            await settle(pilot)
            assert isinstance(pilot.app.screen, ConfirmDialog)
            await pilot.press(cancel)
            await settle(pilot)
            assert isinstance(pilot.app.screen, MainScreen)
        assert world.interaction(world.sam_call.id).state != InteractionState.ENDED
        await pilot.press("x", "y")
        await wait_until(
            pilot,
            lambda: world.interaction(world.sam_call.id).state == InteractionState.ENDED,
            "the interaction to end",
        )


async def test_several_matches_show_on_the_row_and_at_the_top_and_c_chooses(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.shared_call.id)
        row = [str(c) for c in interaction_table(pilot).get_row(world.shared_call.id)]
        assert row[2].startswith("(2) Pat Jones")
        lines = screen_lines(pilot)
        top = next(i for i, line in enumerate(lines) if "Pat Jones" in line and "CURATED" in line)
        # Right under the name, on screen at 80x24 whatever the contact holds.
        assert (
            "2 contacts match; linked: the first created. Press c to choose another."
            in (lines[top + 1])
        )
        await pilot.press("c")
        options = main_screen(pilot).query_one("#candidates", OptionList)
        assert pilot.app.focused is options
        await settle(pilot)
        assert any("Pat Smith" in line for line in screen_lines(pilot))
        await pilot.press("down", "enter")
        await wait_until(
            pilot,
            lambda: world.interaction(world.shared_call.id).contact_id == world.pat_second.id,
            "the link to Pat Smith",
        )
        await wait_until(
            pilot,
            lambda: "linked: the one chosen" in text_of(pilot, "#profile-matches"),
            "the line to follow the choice",
        )
        focused: object = pilot.app.focused
        assert focused is interaction_table(pilot)  # back where the agent works
        assert "(2) Pat Smith" in str(interaction_table(pilot).get_row(world.shared_call.id)[2])

        await pilot.press("u")
        await wait_until(
            pilot,
            lambda: "none is linked" in text_of(pilot, "#profile-matches"),
            "the line to say none is linked",
        )
        assert "first created" not in text_of(pilot, "#profile-matches")


async def test_a_viewer_is_told_why_on_each_forbidden_key_and_never_invited(
    world: World, told: list[str]
) -> None:
    async with running(world, Permission.VIEW) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        screen = main_screen(pilot)
        for key, permission in (
            ("a", Permission.PROMOTE),
            ("n", Permission.ADD),
            ("e", Permission.PROMOTE),
        ):
            told.clear()
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen is screen
            assert len(told) == 1, (key, told)
            assert permission.value in told[0] and "ask your admin" in told[0], told
            # On screen, in the notice line above the footer (not a toast over the profile).
            assert permission.value in text_of(pilot, "#notices")
            assert any("ask your admin" in line for line in screen_lines(pilot)[-6:]), key

        # Unlinked, the profile offers only what a viewer may do: link, not create.
        await pilot.press("u")
        await wait_until(
            pilot,
            lambda: "No contact is linked" in text_of(pilot, "#profile-name"),
            "the unlink",
        )
        hint = text_of(pilot, "#profile-details")
        assert "l to link one" in hint and "create" not in hint


async def test_the_list_shows_contact_names_formatted_numbers_seven_rows_and_home_end(
    world: World,
) -> None:
    service = world.service()
    for n in range(3):
        service.handle_interaction(voice(f"212 555 01{n}9"))
        world.clock.now += timedelta(minutes=1)
    # Another agent adds the unknown caller to Contacts: the row shows the name they gave.
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    draft = ContactDraft.from_contact(service.contact(ephemeral_id))
    draft.first_name, draft.last_name = "Dana", "Reyes"
    service.promote(ephemeral_id, draft, service.contact(ephemeral_id).version)

    async with running(world, rows=8) as pilot:
        table = interaction_table(pilot)
        row = [str(c) for c in table.get_row(world.unknown_call.id)]
        assert row[1] == "+1 212-555-0100" and row[2] == "Dana Reyes"
        assert [str(c) for c in table.get_row(world.sam_call.id)][1] == "+1 317-555-0123"
        newest = [str(c) for c in table.get_row_at(0)]
        assert newest[1] == "+1 212-555-0129"  # typed without +1: the default region's
        assert [str(c) for c in table.get_row(world.email.id)][1] == "jo@example.com"

        visible = [line for line in screen_lines(pilot) if "alerting" in line]
        assert len(visible) >= 7, "\n".join(screen_lines(pilot))

        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        assert table.cursor_row == 0
        await settle(pilot)


async def test_notices_sit_above_the_footer_and_leave_the_profile_visible(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(main_module.NOTICE_SECONDS, "information", 0.3)
    async with running(world, notifications=True) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        before = screen_lines(pilot)
        profile_rows = [i for i, line in enumerate(before) if "Sam Lee" in line]
        await pilot.press("u")
        await wait_until(
            pilot, lambda: any("Unlinked." in line for line in screen_lines(pilot)), "Unlinked."
        )
        lines = screen_lines(pilot)
        notice_row = next(i for i, line in enumerate(lines) if "Unlinked." in line)
        assert notice_row == len(lines) - 2  # right above the footer
        assert not pilot.app.screen.query("Toast")
        # The profile was pushed up, not covered: its title and name are still on screen.
        assert any(line.strip() == "Profile" for line in lines)
        assert any("No contact is linked" in line for line in lines)
        assert profile_rows  # Sam's profile had been on screen before
        await wait_until(
            pilot,
            lambda: not any("Unlinked." in line for line in screen_lines(pilot)),
            "the notice to go",
        )


async def test_the_footer_offers_add_and_merge_for_an_unknown_caller_and_help_fits(
    world: World,
) -> None:
    """Issue 13: Merge is a key in the footer. At 80 columns, with Add to Contacts shown too,
    the footer still ends with Help: Quit (in help and the palette) makes room."""
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await settle(pilot)
        footer = screen_lines(pilot)[-1]
        assert footer.startswith("a Add to Contacts m Merge n New"), footer
        assert footer.rstrip().endswith("? Help"), footer
        assert "Quit" not in footer
        await select_interaction(pilot, world.sam_call.id)
        await settle(pilot)
        assert screen_lines(pilot)[-1].startswith("m Merge n New")
