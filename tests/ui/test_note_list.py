"""The contact's notes as a list (issue 13 tryout), at 80x24 and keyboard only: a note is read
whole however long, an agent edits or deletes their own (anyone's with note edit-all), a note
changed meanwhile is a conflict that keeps the typed text, and a dialog with changed text asks
before Escape throws it away."""

from __future__ import annotations

import threading

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from contact_tui.domain.model import Note, Permission
from contact_tui.service import ContactService
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.help import HelpScreen
from contact_tui.ui.screens.main import MainScreen
from contact_tui.ui.screens.note_dialog import NoteDialog
from contact_tui.ui.screens.notes import NotesScreen
from tests.factories import AGENT, World
from tests.ui.pilot import (
    WAIT_SECONDS,
    main_screen,
    running,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    wait_until,
)

AGENT_PERMISSIONS = (Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE)
# 5,000 characters on one line, with a marker at its very end.
LONG = "Customer history: " + "x" * 4_970 + " END-MARKER"


def notes_of(world: World) -> list[Note]:
    return world.service().contact_notes(world.sam.id)


async def open_notes(pilot: Pilot[None], world: World, count: int) -> NotesScreen:
    """Select Sam's call, wait for the profile's notes, press T and wait for the list."""
    await select_interaction(pilot, world.sam_call.id)
    await wait_until(
        pilot, lambda: f"Notes ({count})" in text_of(pilot, "#profile-contact-notes"), "notes"
    )
    await pilot.press("T")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, NotesScreen), "the list")
    screen = pilot.app.screen
    assert isinstance(screen, NotesScreen)
    await wait_until(pilot, lambda: len(screen.notes) == count, "the notes listed")
    return screen


async def test_a_long_note_is_read_whole_and_edited_from_the_list(world: World) -> None:
    world.service().add_note(world.sam.id, LONG)
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(
            pilot, lambda: "Notes (1)" in text_of(pilot, "#profile-contact-notes"), "the note"
        )
        profile = text_of(pilot, "#profile-contact-notes")
        assert "END-MARKER" not in profile and "T shows it whole" in profile
        await open_notes(pilot, world, 1)
        assert any("Notes on Sam Lee" in line for line in screen_lines(pilot))
        assert text_of(pilot, "#notes-whole").endswith(LONG)  # every character of it
        # Tab to the note and page to its end: the marker is on the screen.
        await pilot.press("tab", "end")
        await settle(pilot)
        assert any("END-MARKER" in line for line in screen_lines(pilot))

        await pilot.press("shift+tab", "e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NoteDialog), "the editor")
        assert pilot.app.screen.query_one(TextArea).text == LONG
        await pilot.press(*" (checked)", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NotesScreen), "the list")
        await wait_until(pilot, lambda: "(checked)" in text_of(pilot, "#notes-whole"), "the edit")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the profile")
    [note] = notes_of(world)
    assert (note.text, note.version, note.modified_by) == (LONG + " (checked)", 2, AGENT)


async def test_a_note_changed_meanwhile_is_a_conflict_that_keeps_the_typed_text(
    world: World,
) -> None:
    note = world.service().add_note(world.sam.id, "Call after 5pm")
    async with running(world) as pilot:
        await open_notes(pilot, world, 1)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NoteDialog), "the editor")
        world.service().edit_note(note.id, "Call after 6pm", note.version)  # someone else
        await pilot.press(*" sharp", "ctrl+s")
        await wait_until(
            pilot, lambda: "was changed by" in text_of(pilot, "#note-problem"), "the conflict"
        )
        assert isinstance(pilot.app.screen, NoteDialog)
        assert pilot.app.screen.query_one(TextArea).text == "Call after 5pm sharp"
        assert "Your text is kept" in text_of(pilot, "#note-problem")
        assert notes_of(world)[0].text == "Call after 6pm"
        # Ctrl+S again saves the agent's text over theirs, knowingly.
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NotesScreen), "the list")
    assert notes_of(world)[0].text == "Call after 5pm sharp"


async def test_another_agents_note_is_refused_with_the_permission_message(
    world: World, told: list[str]
) -> None:
    world.service("bob").add_note(world.sam.id, "Bob's note")
    async with running(world, *AGENT_PERMISSIONS) as pilot:
        screen = await open_notes(pilot, world, 1)
        assert screen.check_action("edit", ()) is None  # shown disabled
        for key in ("e", "d"):
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen is screen, f"{key} opened {pilot.app.screen!r}"
        assert len(told) == 2
        for message in told:
            assert "written by bob, not by you" in message
            assert Permission.NOTE_EDIT_ALL.value in message and "ask your admin" in message
    assert [n.text for n in notes_of(world)] == ["Bob's note"]


async def test_delete_asks_first_keeping_is_the_default(world: World) -> None:
    world.service("bob").add_note(world.sam.id, "Bob's note")
    world.service().add_note(world.sam.id, "Alice's note")
    async with running(world) as pilot:  # every permission: note edit-all too
        await open_notes(pilot, world, 2)
        await pilot.press("down", "d")  # bob's (older) note
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "question")
        assert "by bob" in "\n".join(screen_lines(pilot))
        await pilot.press("enter")  # Enter keeps
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NotesScreen), "the list")
        assert len(notes_of(world)) == 2
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "question")
        await pilot.press("y")
        screen = pilot.app.screen
        assert isinstance(screen, NotesScreen)
        await wait_until(pilot, lambda: len(screen.notes) == 1, "the list without it")
        assert "Note deleted." in text_of(pilot, "#notes-say")
    assert [n.text for n in notes_of(world)] == ["Alice's note"]


async def test_keys_typed_right_after_the_list_opens_act_on_the_notes_shown(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T d typed at once: the list opens with the notes the profile showed, so d asks about
    the newest note rather than finding an empty list while the store is still being read
    (held here until the question is up)."""
    world.service().add_note(world.sam.id, "Alice's note")
    release = threading.Event()
    reading = ContactService.contact_notes

    def slow(self: ContactService, contact_id: str) -> list[Note]:
        release.wait(WAIT_SECONDS)
        return reading(self, contact_id)

    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(
            pilot, lambda: "Notes (1)" in text_of(pilot, "#profile-contact-notes"), "the note"
        )
        monkeypatch.setattr(ContactService, "contact_notes", slow)
        try:
            await pilot.press("T", "d")
            assert isinstance(pilot.app.screen, ConfirmDialog)
        finally:
            release.set()
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NotesScreen), "the list")
    assert [n.text for n in notes_of(world)] == ["Alice's note"]


async def test_escape_asks_before_throwing_away_a_changed_note(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NoteDialog), "the dialog")
        await pilot.press(*"Wants a callback", "escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "question")
        await pilot.press("n")  # keep editing
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NoteDialog), "the dialog")
        assert pilot.app.screen.query_one(TextArea).text == "Wants a callback"
        # Enter on the question keeps the text too: keeping is the default.
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "question")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NoteDialog), "the dialog")
        assert pilot.app.screen.query_one(TextArea).text == "Wants a callback"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the close")
        # Unchanged text leaves at once.
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NoteDialog), "the dialog")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the close")
    assert [n.text for n in notes_of(world)] == ["Wants a callback"]


async def test_the_notes_key_is_in_the_help_and_the_palette_and_the_lists_keys_too(
    world: World,
) -> None:
    world.service().add_note(world.sam.id, "Alice's note")
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        app = pilot.app
        assert "Notes (T)" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        help_text = "\n".join(screen_lines(pilot))
        assert "The contact's notes: read each whole, edit or" in help_text
        await pilot.press("escape")
        await open_notes(pilot, world, 1)
        await pilot.press("f1")  # over a dialog: F1 (the app's "?" is shut out there)
        await settle(pilot)
        help_text = "\n".join(screen_lines(pilot))
        assert "The contact's notes" in help_text and "Edit the highlighted note" in help_text
        assert "Delete the highlighted note (asks first" in help_text


async def test_a_notes_list_pushed_but_not_built_yet_says_its_keys_do_not_apply(
    world: World,
) -> None:
    """Textual may ask the screen on top what its keys allow before that screen is built
    (the merge picker crashed the app so): the notes list answers without its list."""
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        main = main_screen(pilot)
        assert main.contact is not None
        notes = NotesScreen(main.service, main.contact, [])
        pilot.app.push_screen(notes)
        assert pilot.app.screen is notes and not notes.children  # not composed yet
        assert notes.check_action("edit", ()) is False
        assert notes.check_action("delete", ()) is False
        await wait_until(pilot, lambda: notes.is_mounted, "the notes list")
        assert pilot.app.is_running
