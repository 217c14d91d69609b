"""Every kind of widget that shows store or customer text, fed text the store should never
hold but can (a store written by an older version, or edited by hand): ESC and CSI, OSC, BEL,
a right-to-left override and 20,000 characters. Each is shown escaped and clipped, and a
repaint sends the terminal nothing but text, styling and cursor moves.

The contact form's fields (Input) and its title are in test_stored_hostile_form.py. The app
has no TextArea, tooltips with store text, or Select with store text (the exchange dialog's
Select lists formats only); its header is the agent bar (OS user, role, store path).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList
from textual.widgets._toast import Toast

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import Interaction, PhoneKind
from contact_tui.domain.text import is_unsafe_char
from contact_tui.ui.app import ContactApp
from contact_tui.ui.screens.dialogs import FatalScreen
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.exchange import ExchangeDialog
from tests.factories import SHARED_NUMBER, World
from tests.ui.pilot import (
    assert_no_terminal_commands,
    interaction_table,
    main_screen,
    running,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    wait_until,
    write_raw,
)

LONG = "L" * 20_000
# name -> (stored text, how the screen shows its start)
PAYLOADS: dict[str, tuple[str, str]] = {
    "csi": ("Sam\x1b[2J\x1b[H", "Sam\\x1b[2J"),
    "osc": ("\x1b]52;c;Y3VybCBldmlsIHwgc2gK\x07Clip", "\\x1b]52;c;"),
    "bel": ("Ring\x07\x07", "Ring\\x07\\x07"),
    "rlo": ("Invoice \u202efdp.exe", "Invoice \\u202efdp"),
    "long": (LONG, "LLLLLLLL"),
}


def has_no_unsafe(text: str) -> bool:
    """True when ``text`` holds no character a terminal could act on."""
    return not any(is_unsafe_char(ch) for ch in text if ch != "\n")


def hostile_interaction(world: World, text: str) -> Interaction:
    """A copy of the world's email whose sender, subject and transcript are ``text``, written
    into the store as it is (the service would refuse it)."""
    repo = world.repo()
    new_id = str(uuid.uuid4())
    with repo.store.transaction("test") as tx:
        doc = tx.get("interactions", world.email.id)
        assert doc is not None
        tx.put(
            "interactions",
            new_id,
            {
                **doc,
                "id": new_id,
                "from": {"address": text, "name": text},
                "subject": text,
                "transcript": [text, "end of transcript"],
            },
        )
    return world.interaction(new_id)


async def test_interaction_table_cells_and_detail_show_hostile_text_escaped(
    world: World,
) -> None:
    made = {name: hostile_interaction(world, text) for name, (text, _) in PAYLOADS.items()}
    async with running(world, rows=5 + len(made)) as pilot:
        table = interaction_table(pilot)
        for name, interaction in made.items():
            shown = PAYLOADS[name][1]
            await select_interaction(pilot, interaction.id)
            # DataTable: the From and Name cells.
            row = table.get_row(interaction.id)
            for value in (row[1], row[2]):
                assert has_no_unsafe(str(value)), (name, value)
                assert str(value).startswith(shown[:8]), (name, value)
            # Static: the From line, subject and transcript of the detail.
            detail = text_of(pilot, "#interaction-detail-text")
            assert has_no_unsafe(detail)
            assert detail.count(shown) >= 3, (name, detail[:300])
            output = assert_no_terminal_commands(pilot)
            assert shown[:8] in output, name
        long_detail = text_of(pilot, "#interaction-detail-text")
        assert max(len(line) for line in long_detail.split("\n")) <= 2000 + 10
        assert "L" * 1999 + "…" in long_detail, "a 20,000-character line is clipped"


async def test_candidate_option_list_shows_hostile_names_escaped(world: World) -> None:
    service = world.service()
    extra = [
        service.create_contact(
            ContactDraft(
                first_name=f"Extra{n}",
                last_name="Lee",
                phones={PhoneKind.HOME: PhoneDraft(SHARED_NUMBER)},
            )
        )
        for n in range(3)
    ]
    candidates = [world.pat_first, world.pat_second, *extra]
    for contact, (text, _) in zip(candidates, PAYLOADS.values(), strict=True):
        write_raw(world, "contacts", contact.id, firstName=text, lastName="")
    write_raw(world, "interactions", world.shared_call.id, candidateIds=[c.id for c in candidates])
    async with running(world) as pilot:
        await select_interaction(pilot, world.shared_call.id)
        options = main_screen(pilot).query_one("#candidates", OptionList)
        await wait_until(pilot, lambda: options.option_count == len(candidates), "the options")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(len(candidates))]
        for prompt, (name, (_, shown)) in zip(prompts, PAYLOADS.items(), strict=True):
            assert has_no_unsafe(prompt), (name, prompt)
            assert shown[:8] in prompt, (name, prompt)
        assert max(len(p) for p in prompts) < 100, "names are clipped"
        profile = main_screen(pilot).query_one("#profile-pane")
        for index in range(len(candidates)):
            options.highlighted = index
            options.scroll_to_highlight()
            profile.scroll_to_widget(options, animate=False)
            await settle(pilot)
            assert_no_terminal_commands(pilot)


def has_toast(pilot: Pilot[None]) -> bool:
    """True when a toast is on the screen."""
    return bool(pilot.app.screen.query(Toast))


async def test_toasts_show_hostile_text_escaped(world: World) -> None:
    async with running(world, notifications=True) as pilot:
        # Whoever raises a toast (a store error, a sender's name), it goes through the app.
        for name, (text, shown) in PAYLOADS.items():
            pilot.app.notify(text, title=text, markup=True)
            # On the main screen messages go to its notice line, not a toast (issue 10).
            await wait_until(
                pilot,
                lambda: (
                    has_toast(pilot)
                    or "hidden" not in pilot.app.screen.query_one("#notices").classes
                ),
                f"the {name} message",
            )
            await settle(pilot)
            output = assert_no_terminal_commands(pilot)
            assert shown[:8] in output, (name, screen_lines(pilot)[-8:])
            # Gone at once: the next message is waited for and settled before it is read.
            pilot.app.clear_notifications()
        # An arrival announced by the screen's poll.
        hostile_interaction(world, PAYLOADS["osc"][0])
        main_screen(pilot).reload(force=True)
        await wait_until(
            pilot,
            lambda: any("New Email from" in line for line in screen_lines(pilot)),
            "the arrival toast",
        )
        assert "\\x1b]52;c;Y3Vy" in assert_no_terminal_commands(pilot)


@pytest.mark.parametrize("name", ["osc", "rlo", "long"])
async def test_screen_titles_show_hostile_text_escaped(world: World, name: str) -> None:
    text, shown = PAYLOADS[name]
    interaction = hostile_interaction(world, text)
    async with running(world, rows=6) as pilot:
        await select_interaction(pilot, interaction.id)
        await pilot.press("l")  # pick a contact to link: the title names the sender
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "picker")
        await settle(pilot)
        title = text_of(pilot, "#directory-title")
        assert title.startswith("Pick a contact to link to " + shown[:8]), title
        assert has_no_unsafe(title) and len(title) < 80
        assert_no_terminal_commands(pilot)


async def test_the_command_palette_over_a_hostile_interaction(world: World) -> None:
    interaction = hostile_interaction(world, PAYLOADS["osc"][0])
    async with running(world, rows=6) as pilot:
        await select_interaction(pilot, interaction.id)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), "palette")
        await pilot.press(*"link")
        await settle(pilot)
        assert any("Link" in line for line in screen_lines(pilot))
        assert_no_terminal_commands(pilot)
        await pilot.press("escape")


async def test_a_fatal_message_quoting_the_store_is_escaped(world: World) -> None:
    text, shown = PAYLOADS["osc"]

    def refuse() -> Any:
        raise RuntimeError(f"The store cannot be read: line 3 is {text}")

    app = ContactApp(refuse, clock=world.clock, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, FatalScreen), "the reason")
        await settle(pilot)
        output = assert_no_terminal_commands(pilot)
        assert shown in output


async def test_the_export_path_from_a_hostile_folder_name_stays_out_of_the_input(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "exports\x1b]2;PWNED\x07"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert "\x1b" in os.getcwd()
    async with running(world) as pilot:
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "directory")
        await settle(pilot)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExchangeDialog), "export")
        await settle(pilot)
        path = pilot.app.screen.query_one("#exchange-path", Input).value
        assert path.startswith("contacts-") and path.endswith(".csv"), path
        assert_no_terminal_commands(pilot)
        results: DataTable[Any] = pilot.app.screen_stack[-2].query_one(DataTable)
        assert results.row_count > 0
