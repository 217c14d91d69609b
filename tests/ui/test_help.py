"""Help (? or F1) is the app's own: the keys of the screen the agent is on, with what each
does, as the agent's keys.toml has them."""

from __future__ import annotations

from contact_tui.domain.model import Permission
from contact_tui.ui.app import ContactApp
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.help import HelpScreen
from tests.factories import AGENT, World
from tests.ui.pilot import (
    is_form_open,
    running,
    screen_lines,
    select_interaction,
    settle,
    store_open,
    wait_until,
)


def seen(lines: list[str]) -> str:
    return "\n".join(lines)


async def test_help_lists_the_main_screens_keys_first_then_f1_over_the_form_the_forms(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        lines = screen_lines(pilot)
        text = seen(lines)
        heading = next(i for i, line in enumerate(lines) if "Main screen" in line)
        first_key = lines[heading + 1]
        # The main screen's own keys first, in the footer's order (Add to Contacts, shown for
        # a contact not in Contacts, then Merge).
        assert "Add to Contacts" in first_key or "Merge the caller" in first_key, text
        for what in ("Edit the linked contact", "Directory: search", "Erase the shown contact"):
            assert what in text, f"{what!r} missing:\n{text}"
        await pilot.press("end")  # at 80x24 the keys that work everywhere are scrolled to
        await settle(pilot)
        scrolled = seen(screen_lines(pilot))
        assert "Everywhere" in scrolled and "This help" in scrolled, scrolled
        for generic in ("Cursor up", "Scroll", "cursor_up", "Page up"):
            assert generic not in text
        await pilot.press("question_mark")  # closes it again
        await settle(pilot)
        assert not isinstance(pilot.app.screen, HelpScreen)

        # F1 over the form: the form's keys, not the main screen's.
        await pilot.press("e")
        await settle(pilot)
        assert is_form_open(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        text = seen(screen_lines(pilot))
        assert "Contact form" in text and "Save the contact" in text
        assert "^s, f2" in text
        assert "Main screen" not in text  # the keys under the form do not work from it
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactForm)


async def test_help_marks_what_the_role_does_not_allow(world: World) -> None:
    async with running(world, Permission.VIEW) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("f1")
        await settle(pilot)
        text = seen(screen_lines(pilot))
        edit_line = next(line for line in text.splitlines() if "Edit the linked contact" in line)
        assert "not available now" in edit_line


async def test_help_and_the_palette_show_a_key_rebound_in_keys_toml(world: World) -> None:
    app = ContactApp(
        lambda: world.service(AGENT),
        clock=world.clock,
        cursor_blink=False,
        keymap={"main.directory": "f6", "directory.new": "f9"},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: store_open(pilot), "the store")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        directory_line = next(line for line in screen_lines(pilot) if "Directory: search" in line)
        assert " f6 " in directory_line and " d " not in directory_line
        await pilot.press("f1")
        await settle(pilot)

        await pilot.press("ctrl+p", *"director")
        await wait_until(
            pilot, lambda: "Directory (f6)" in seen(screen_lines(pilot)), "the palette's hit"
        )
        assert "Directory (d)" not in seen(screen_lines(pilot))
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("f6")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "the directory"
        )
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "New (f9)" in titles and "New (f3)" not in titles
        await pilot.press("f1")
        await settle(pilot)
        new_line = next(line for line in screen_lines(pilot) if "Create New Contact" in line)
        assert "f9" in new_line and "f3" not in new_line
