"""Contact notes on the profile (issue 13), at 80x24 and keyboard only: the notes of the
linked contact, newest first with author and time, and a key that opens a dialog to add one."""

from __future__ import annotations

import time
import uuid

from textual.pilot import Pilot

from contact_tui.domain.model import Permission
from contact_tui.ui.screens.main import MainScreen
from contact_tui.ui.screens.note_dialog import NoteDialog
from tests.factories import AGENT, World
from tests.ui.pilot import (
    assert_no_terminal_commands,
    main_screen,
    running,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    wait_until,
)

OSC_52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # would set the clipboard of a terminal showing it


def notes_text(pilot: Pilot[None]) -> str:
    return text_of(pilot, "#profile-contact-notes")


async def test_an_agent_adds_a_note_from_the_profile_with_the_keyboard(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(pilot, lambda: "Notes (0)" in notes_text(pilot), "Sam's notes")
        assert "t adds one" in notes_text(pilot)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NoteDialog), "the dialog")
        assert any("Note on Sam Lee" in line for line in screen_lines(pilot))  # fits 80x24
        await pilot.press(*"Wants a callback", "enter", *"after 5pm")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the close")
        await wait_until(pilot, lambda: "Notes (1)" in notes_text(pilot), "the new note")
        shown = notes_text(pilot)
        assert AGENT in shown and "Wants a callback\n  after 5pm" in shown
    [note] = world.service().contact_notes(world.sam.id)
    assert (note.text, note.created_by) == ("Wants a callback\nafter 5pm", AGENT)
    assert world.contact(world.sam.id).version == world.sam.version  # a note is not an edit


async def test_an_empty_note_is_refused_in_the_dialog_and_escape_leaves(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NoteDialog), "the dialog")
        await pilot.press("space", "enter", "ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NoteDialog)
        assert "A note needs some text" in text_of(pilot, "#note-problem")
        await pilot.press("escape", "y")  # it asks first: something was typed
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the close")
    assert world.service().contact_notes(world.sam.id) == []


async def test_notes_show_newest_first_and_hostile_text_is_shown_not_obeyed(
    world: World,
) -> None:
    # Written below the service (which refuses control characters), as a hand-edited or older
    # store could hold them.
    repo = world.repo()
    with repo.write("bob") as uow:
        uow.add_note(str(uuid.uuid4()), world.sam.id, f"older {OSC_52} note")
    time.sleep(0.01)  # the store stamps notes with its clock, to the millisecond
    with repo.write("carol") as uow:
        uow.add_note(str(uuid.uuid4()), world.sam.id, "newer\u202etxt.exe")
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(pilot, lambda: "Notes (2)" in notes_text(pilot), "the two notes")
        shown = notes_text(pilot)
        assert shown.index("carol") < shown.index("bob")  # newest first
        assert "\\x1b]52" in shown and "\\u202e" in shown  # escaped, visible
        assert_no_terminal_commands(pilot)


async def test_a_viewer_sees_notes_but_the_note_key_is_disabled(world: World) -> None:
    world.service().add_note(world.sam.id, "Seen by viewers")
    async with running(world, Permission.VIEW) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(pilot, lambda: "Seen by viewers" in notes_text(pilot), "the note")
        assert "adds one" not in notes_text(pilot)
        screen = main_screen(pilot)
        assert screen.check_action("add_note", ()) is None  # shown disabled
        assert "externalContacts:contact:edit" in (screen.disabled_reason("add_note") or "")
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
