"""The contact's history on the profile and the wrap-up key (issue 13), at 80x24."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import TextArea

from contact_tui.domain.model import Channel, Interaction, NewInteraction, Participant, Permission
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.main import MainScreen
from contact_tui.ui.screens.wrap_up import WrapUpDialog
from tests.factories import AGENT, SAM_CELL, World
from tests.ui.pilot import (
    assert_no_terminal_commands,
    running,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    wait_until,
    write_raw,
)

SECRET = "Caller: my card number is 4111 1111 1111 1111"
OSC_52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
AGENT_PERMISSIONS = (Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE)


def _bobs_call_from_sam(world: World) -> str:
    """An interaction from Sam routed to bob, with what the customer said and bob's note."""
    router = world.service("carol", Permission.ROUTE, Permission.VIEW)
    call = router.handle_interaction(
        NewInteraction("bob", Channel.VOICE, Participant(SAM_CELL, "Sam Lee"), transcript=(SECRET,))
    )
    world.service("bob", Permission.VIEW).set_wrap_up(call.id, "Bob's private note")
    return call.id


async def test_type_a_wrap_up_note_and_see_it_in_the_contacts_history(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(
            pilot, lambda: "History" in text_of(pilot, "#profile-history"), "the history"
        )
        # The footer is full at 80 columns: the history names the key.
        assert "w: wrap-up note of the selected interaction" in text_of(pilot, "#profile-history")
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, WrapUpDialog), "the dialog")
        assert isinstance(pilot.app.focused, TextArea)
        await settle(pilot)
        footer = screen_lines(pilot)[-1]
        assert "Save" in footer and "Cancel" in footer
        await pilot.press(*"Refund promised", "enter", *"Call back Friday")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the close")
        await wait_until(
            pilot,
            lambda: "Refund promised" in text_of(pilot, "#profile-history"),
            "the note in the history",
        )
        history = text_of(pilot, "#profile-history")
        assert "Wrap-up Refund promised\n          Call back Friday" in history
        assert "\n  From    +1 317-555-0123\n" in history  # where the call came from
        assert world.interaction(world.sam_call.id).wrap_up_note == (
            "Refund promised\nCall back Friday"
        )
        # Escape, then yes to discarding, leaves the note as it was.
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, WrapUpDialog), "the dialog")
        assert pilot.app.screen.query_one(TextArea).text == "Refund promised\nCall back Friday"
        await pilot.press(*" more", "escape", "y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert world.interaction(world.sam_call.id).wrap_up_note.endswith("Friday")


async def test_escape_asks_before_throwing_away_a_pasted_note_refused_as_too_long(
    world: World,
) -> None:
    """The tryout: 12,000 characters pasted, Ctrl+S refused (too long), Escape: the text was
    gone. Now Escape asks, keeping is one key, and the text is all there to cut down."""
    pasted = "Call notes " + "y" * 11_989
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, WrapUpDialog), "the dialog")
        area = pilot.app.screen.query_one(TextArea)
        pilot.app.post_message(events.Paste(pasted))  # as the terminal sends a paste
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "10,000" in text_of(pilot, "#wrap-up-error")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "question")
        assert any("Discard what you typed" in line for line in screen_lines(pilot))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, WrapUpDialog), "the dialog")
        assert area.text == pasted
        await pilot.press("escape", "y")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the close")
    assert world.interaction(world.sam_call.id).wrap_up_note == ""


async def test_pasted_control_characters_are_escaped_before_they_reach_the_terminal(
    world: World,
) -> None:
    """A text area draws what it holds raw: a pasted OSC 52 (clipboard) sequence or bidi
    override becomes its visible escape as it comes in, and is saved as that text."""
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, WrapUpDialog), "the dialog")
        area = pilot.app.screen.query_one(TextArea)
        area.insert(f"Paid {OSC_52}\r\n\u202eevil")  # as a paste inserts it
        await settle(pilot)
        assert area.text == "Paid \\x1b]52;c;ZWNobyBwd25lZA==\\x07\n\\u202eevil"
        assert_no_terminal_commands(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the close")
        await wait_until(pilot, lambda: "Wrap-up" in text_of(pilot, "#profile-history"), "the note")
        assert world.interaction(world.sam_call.id).wrap_up_note == area.text
        assert_no_terminal_commands(pilot)


async def test_a_note_over_the_limit_keeps_the_dialog_open_and_writes_nothing(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, WrapUpDialog), "the dialog")
        pilot.app.screen.query_one(TextArea).insert("x" * 10_001)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WrapUpDialog)
        assert "The wrap-up note is too long" in text_of(pilot, "#wrap-up-error")
        assert world.interaction(world.sam_call.id).wrap_up_note == ""


async def test_a_hostile_note_in_the_store_is_shown_escaped_and_not_put_in_the_editor(
    world: World,
) -> None:
    write_raw(
        world, "interactions", world.sam_call.id, wrapUpNote=f"Ok {OSC_52} \u202eevil\nline 2"
    )
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(
            pilot, lambda: "Wrap-up" in text_of(pilot, "#profile-history"), "the history"
        )
        assert "Ok " in text_of(pilot, "#profile-history")
        assert_no_terminal_commands(pilot)
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, WrapUpDialog), "the dialog")
        assert pilot.app.screen.query_one(TextArea).text == ""
        assert_no_terminal_commands(pilot)


async def test_without_view_all_another_agents_interaction_is_left_out_of_the_history(
    world: World,
) -> None:
    """The rule for reading an interaction, applied to the history: an agent sees their own
    interactions with the contact; another agent's is left out entirely (no transcript, no
    note, not even that it happened), as PostgreSQL's row-level security leaves it out."""
    _bobs_call_from_sam(world)
    async with running(world, *AGENT_PERMISSIONS) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(
            pilot, lambda: "History" in text_of(pilot, "#profile-history"), "the history"
        )
        history = text_of(pilot, "#profile-history")
        assert AGENT in history and "bob" not in history
        screen = "\n".join(screen_lines(pilot))
        assert "4111" not in screen and "Bob's private note" not in screen


async def test_with_view_all_the_history_shows_others_interactions_and_notes(
    world: World,
) -> None:
    _bobs_call_from_sam(world)
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(
            pilot, lambda: "bob" in text_of(pilot, "#profile-history"), "bob's interaction"
        )
        history = text_of(pilot, "#profile-history")
        assert "Wrap-up Bob's private note" in history
        assert history.index("bob") < history.index(AGENT)  # newest first


async def _pause_until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition()`` holds, without waiting for its workers."""
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)


async def test_a_history_read_that_started_before_a_change_is_read_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read of the history in flight while the store changes may have missed the change:
    when it lands after the app looked at the store again, the profile shows it but reads once
    more, so the later wrap-up note does not stay hidden until some other change."""
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(
            pilot, lambda: "History" in text_of(pilot, "#profile-history"), "the history"
        )
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        read = screen.service.contact_history
        in_flight, release = threading.Event(), threading.Event()

        def slow_read(contact_id: str) -> list[Interaction]:
            history = read(contact_id)
            in_flight.set()
            release.wait(10)
            return history

        monkeypatch.setattr(screen.service, "contact_history", slow_read)
        agent = world.service(AGENT, *AGENT_PERMISSIONS)
        agent.set_wrap_up(world.sam_call.id, "First note")
        # Not wait_until: it waits for the workers, and the read is held until released.
        await _pause_until(pilot, in_flight.is_set, "a read of the history under way")
        epoch = screen._history_epoch
        agent.set_wrap_up(world.sam_call.id, "Late note")
        await _pause_until(pilot, lambda: screen._history_epoch > epoch, "the look at the store")
        release.set()  # the read that missed the late note lands now
        await wait_until(
            pilot, lambda: "Late note" in text_of(pilot, "#profile-history"), "the read again"
        )
