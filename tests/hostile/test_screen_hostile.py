"""The hostile corpus on the agent's screen at 80x24: shown literally, escaped or stripped,
never styled, linked or moving the cursor, and with the table columns still in line.

Every check reads what the compositor draws (the text and styles of the strips sent to the
terminal). Alignment is measured twice: with Rich's cell widths (what Textual lays out with)
and with a terminal's own per-character widths (:func:`terminal_width`); a character the two
disagree on would push the rest of its row out of line on a real terminal even though
Textual thinks it is fine.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import partial
from itertools import count
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import Channel, Interaction, Participant, PhoneKind, Platform
from contact_tui.domain.rules import MAX_DISPLAY_NAME_LENGTH, MAX_SUBJECT_LENGTH
from contact_tui.service import ContactService, NewInteraction
from contact_tui.ui.render import editable, safe
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.directory import ContactCard, DirectoryScreen
from contact_tui.ui.screens.main import MainScreen
from contact_tui.ui.widgets.interaction_pane import InteractionPane
from contact_tui.ui.widgets.profile_pane import ProfilePane, ProfileView
from tests.factories import AGENT, World
from tests.hostile.corpus import CORPUS, FORBIDDEN_ON_SCREEN, MARKUP, TEXTS
from tests.hostile.text_rules import name_rule_accepts, terminal_width
from tests.ui.pilot import (
    WAIT_SECONDS,
    interaction_table,
    main_screen,
    running,
    screen_lines,
    settle,
    wait_until,
)

# Characters terminals give different widths: emoji joined by ZWJ are one wide glyph on
# kitty, WezTerm or iTerm2 and several on xterm, VTE or tmux; a variation selector 16 widens
# "❤" on some and not others; skin-tone modifiers are wide on their own or nothing.
WIDTH_AMBIGUOUS = frozenset(
    ["\u200d", "\ufe0e", "\ufe0f", *(chr(c) for c in range(0x1F3FB, 0x1F400))]
)
STATE = re.compile(r"\balerting\b")
TYPE = re.compile(r"\b(Curated|Ephemeral)\b")

_whatsapp = count(200)
_phones = count(0)


def _whatsapp_number() -> str:
    return f"+44 7700 900{next(_whatsapp):03d}"


def _us_number() -> str:
    return f"+1 646 555 {next(_phones):04d}"


def hostile_whatsapp(service: ContactService, text: str) -> Interaction:
    """A WhatsApp message whose sender name (and so display name), subject and transcript are
    ``text``, the name and subject cut to their intake limits (longer ones are refused, see
    tests/hostile/test_ingest.py), taken in by ``service`` (one per test: opening a service
    reads the whole store). Intake escapes unsafe characters; the screen must still show what
    it gets safely."""
    return service.handle_interaction(
        NewInteraction(
            AGENT,
            Channel.MESSAGE,
            Participant(_whatsapp_number(), text[:MAX_DISPLAY_NAME_LENGTH]),
            platform=Platform.WHATSAPP,
            subject=text[:MAX_SUBJECT_LENGTH],
            transcript=(text, "end of transcript"),
        )
    )


# --- what may and may not reach the screen -----------------------------------------------------


def frame(pilot: Pilot[None]) -> list[Strip]:
    """The screen as the compositor draws it now, one strip a line. A full render costs a few
    milliseconds, so each state is rendered once and every check of it reads that render."""
    return pilot.app.screen._compositor.render_strips()


def lines_of(strips: list[Strip]) -> list[str]:
    """The text of a render's lines: what the agent sees."""
    return [strip.text for strip in strips]


def assert_safe_frame(strips: list[Strip], *, steady_widths: bool = True) -> list[str]:
    """No control, escape or bidi character and no hyperlink is in a render of the screen;
    with ``steady_widths``, no character whose width terminals disagree on either. Returns the
    render's lines."""
    for y, strip in enumerate(strips):
        for segment in strip:
            text = segment.text
            bad = FORBIDDEN_ON_SCREEN.intersection(text)
            assert not bad, f"line {y} sends {sorted(bad)!r} in {text!r}"
            assert getattr(segment.style, "link", None) is None, f"line {y} links {text!r}"
            if steady_widths:
                odd = WIDTH_AMBIGUOUS.intersection(text)
                assert not odd, f"line {y} sends width-ambiguous {sorted(odd)!r} in {text!r}"
    return lines_of(strips)


def assert_safe_screen(pilot: Pilot[None], *, steady_widths: bool = True) -> list[str]:
    """:func:`assert_safe_frame` on the screen as drawn now. Returns the screen's lines."""
    return assert_safe_frame(frame(pilot), steady_widths=steady_widths)


def assert_columns_in_line(lines: list[str], header_word: str, cell: re.Pattern[str]) -> int:
    """In a table's lines (header first), every row's ``cell`` starts in the column where the
    header's ``header_word`` does, measured by Rich and by a terminal. Returns how many rows
    were checked."""
    header = lines[0]
    column = terminal_width(header[: header.index(header_word)])
    rows = 0
    for line in lines[1:]:
        found = cell.search(line)
        if found is None:
            continue
        prefix = line[: found.start()]
        assert cell_len(prefix) == column, f"Rich puts it at {cell_len(prefix)}: {line!r}"
        assert terminal_width(prefix) == column, (
            f"a terminal puts it at {terminal_width(prefix)}, not {column}: {line!r}"
        )
        rows += 1
    return rows


def table_lines(lines: list[str], table: DataTable[Any]) -> list[str]:
    """The part of the screen's ``lines`` a DataTable occupies, its header first."""
    region = table.region
    return [line[region.x : region.right] for line in lines[region.y : region.bottom]]


def in_region(widget: Widget, snippet: str, lines: list[str]) -> bool:
    """True when the screen's ``lines`` show ``snippet`` where ``widget`` is drawn."""
    region = widget.region
    return any(snippet in line[region.x : region.right] for line in lines[region.y : region.bottom])


def _always() -> bool:
    return True


async def until_drawn(
    pilot: Pilot[None],
    shows: Callable[[list[str]], bool],
    what: str,
    ready: Callable[[], bool] = _always,
) -> list[Strip]:
    """Wait in short steps (no idle detection: the poll keeps a 2-core machine busy) until
    ``ready()`` holds (cheap checks of the app's state, before any render) and a render of the
    screen ``shows`` it; return that render, for the checks of this state to read. Pauses
    first, so the screen has laid out what changed. Fails naming ``what`` after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        await pilot.pause(0.01)
        if ready():
            strips = frame(pilot)
            if shows(lines_of(strips)):
                return strips
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {WAIT_SECONDS} s waiting for {what}:\n"
                + "\n".join(screen_lines(pilot))
            )


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Wait in short steps, as :func:`until_drawn` does, until ``condition()`` holds (it
    renders nothing)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {WAIT_SECONDS} s waiting for {what}:\n"
                + "\n".join(screen_lines(pilot))
            )
        await pilot.pause(0.01)


async def scroll_to_end(pilot: Pilot[None], *scrollers: VerticalScroll) -> None:
    """Scroll each of ``scrollers`` to its end, then let the screen repaint."""
    for scroller in scrollers:
        scroller.scroll_end(animate=False, immediate=True)
    await pilot.pause()


# --- the main screen ---------------------------------------------------------------------------


async def test_hostile_interactions_on_the_main_screen(world: World) -> None:
    """Each corpus string as a WhatsApp sender's name (so the table's Name column, the detail's
    From line and the ephemeral contact's display name and, where valid, its name in the
    profile), subject and transcript line. Curated contacts' names are in the profile of the
    directory's contact card below: the same pane."""
    service = world.service()
    made = {hostile_whatsapp(service, text).id: name for name, _, text in CORPUS}
    total = 5 + len(made)
    async with running(world, rows=total) as pilot:
        table = interaction_table(pilot)
        screen = main_screen(pilot)
        detail = screen.query_one("#interaction-detail", VerticalScroll)
        profile = screen.query_one("#profile-pane", VerticalScroll)
        literal_seen: set[str] = set()
        rows_checked = 0
        pane = screen.query_one(InteractionPane)
        assert len(pane.interactions) == total
        for index, interaction in enumerate(pane.interactions):
            # What the down key does, without its two waits for an idle CPU (about 0.1 s each
            # here, with the store poll running): the keys are tested in tests/ui.
            table.move_cursor(row=index)
            sender = safe(interaction.from_.name or interaction.from_.address, 200)[:8]
            strips = await until_drawn(
                pilot,
                partial(in_region, detail, sender),
                f"the detail of {sender}",
                ready=partial(_selected, screen, interaction),
            )
            lines = assert_safe_frame(strips)
            rows_checked += assert_columns_in_line(table_lines(lines, table), "State", STATE)
            text = "\n".join(lines)
            for name, category, value in CORPUS:
                if category == MARKUP and value[:14] in text:
                    literal_seen.add(name)
            if interaction.id in made:
                # The rest of the detail (subject, transcript) and of the profile.
                for scroller in (detail, profile):
                    scroller.scroll_end(animate=False, immediate=True)
                strips = await until_drawn(
                    pilot,
                    partial(in_region, detail, "end of transcript"),
                    f"the end of the transcript of {made[interaction.id]}",
                )
                assert_safe_frame(strips)
                for scroller in (detail, profile):  # the next one is read from its top
                    scroller.scroll_home(animate=False, immediate=True)
        assert rows_checked >= total, "every row was checked (most of them several times)"
        markup = {name for name, category, _ in CORPUS if category == MARKUP}
        assert literal_seen == markup, f"markup not shown literally: {markup - literal_seen}"


def _selected(screen: MainScreen, interaction: Interaction) -> bool:
    selected = screen.interaction
    return selected is not None and selected.id == interaction.id


# As many arrival toasts as fit on an 80x24 screen at once, long names wrapped.
TOASTS_AT_ONCE = 3


async def test_hostile_senders_are_announced_safely(world: World) -> None:
    service = world.service()
    async with running(world, notifications=True) as pilot:
        rows = 5
        for start in range(0, len(CORPUS), TOASTS_AT_ONCE):
            batch = CORPUS[start : start + TOASTS_AT_ONCE]
            for _, _, text in batch:
                hostile_whatsapp(service, text)
            rows += len(batch)
            main_screen(pilot).reload(force=True)  # what the half-second poll would do
            await settle(pilot)  # the look at the store, then what it found
            last = batch[-1][0]
            await wait_until(pilot, partial(_has_rows, pilot, rows), f"the batch ending {last}")
            strips = await until_drawn(
                pilot, partial(_has_toasts, len(batch)), f"the toasts up to {last}"
            )
            lines = assert_safe_frame(strips)
            # On the main screen, messages are in its notice line rather than toasts.
            notices = pilot.app.screen.query_one("#notices").region
            toasts = "".join(
                line[notices.x : notices.right] for line in lines[notices.y : notices.bottom]
            )
            for entry, category, text in batch:
                if category == MARKUP:
                    assert text[:10] in toasts, (entry, toasts)
            # Gone at once: the next batch's messages are only counted once they are drawn.
            pilot.app.clear_notifications()


def _has_rows(pilot: Pilot[None], rows: int) -> bool:
    return interaction_table(pilot).row_count == rows


def _has_toasts(toasts: int, lines: list[str]) -> bool:
    return sum("New WhatsApp from" in line for line in lines) >= toasts


# --- the directory and the contact card --------------------------------------------------------


async def test_hostile_names_in_the_directory_and_the_contact_card(world: World) -> None:
    service = world.service()
    valid = [(name, text) for name, _, text in CORPUS if name_rule_accepts(text)]
    for _, text in valid:
        service.create_contact(
            ContactDraft(
                first_name=text,
                last_name="Lee",
                phones={PhoneKind.CELL: PhoneDraft(_us_number())},
            )
        )
    contacts = len(world.contacts())
    async with running(world) as pilot:
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "directory")
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        results: DataTable[Any] = directory.query_one("#directory-results", DataTable)
        await wait_until(pilot, lambda: results.row_count == contacts, "every contact listed")
        await pilot.press("down")  # from the search box to the results
        await settle(pilot)
        # The table, a page at a time: every row comes into view once.
        rows_checked = 0
        while True:
            lines = assert_safe_screen(pilot)
            rows_checked += assert_columns_in_line(table_lines(lines, results), "Type", TYPE)
            if results.cursor_row == contacts - 1:
                break
            await pilot.press("pagedown")
            await pilot.pause()
        assert rows_checked >= contacts, "every row was checked"
        # The contact card, opened on the first row (Enter, without the key's waits: see
        # above), then showing each contact in turn as a card opened on it would: its
        # on_mount gives the card's profile pane the same view. A card opened and closed per
        # contact costs about 0.1 s of CPU each and draws nothing more.
        results.move_cursor(row=0)
        results.action_select_cursor()
        await until(pilot, partial(_card_open, pilot), "the card")
        card = pilot.app.screen
        assert isinstance(card, ContactCard)
        pane = card.query_one("#card-profile", ProfilePane)
        name_line = card.query_one("#profile-name", Static)
        assert len(directory.results) == contacts
        for index, contact in enumerate(directory.results):
            if index:
                pane.view = ProfileView(None, contact)
            shown = safe(contact.display_name, 120)
            strips = await until_drawn(
                pilot,
                partial(in_region, name_line, shown[:8]),
                f"the card of {shown[:8]}",
                ready=partial(_shows_name, name_line, shown),
            )
            assert_safe_frame(strips)
            if pane.max_scroll_y:
                await scroll_to_end(pilot, pane)
                assert_safe_screen(pilot)
                pane.scroll_home(animate=False, immediate=True)  # the next one from its top
        card.action_dismiss_card()  # Escape
        await until(pilot, partial(_is_active, pilot, directory), "the list")


def _card_open(pilot: Pilot[None]) -> bool:
    card = pilot.app.screen
    return isinstance(card, ContactCard) and card.is_mounted and bool(card.query("#profile-name"))


def _shows_name(name_line: Static, shown: str) -> bool:
    content = name_line.content
    return isinstance(content, Text) and content.plain == shown


def _is_active(pilot: Pilot[None], screen: Screen[Any]) -> bool:
    return pilot.app.screen is screen


# --- the form ----------------------------------------------------------------------------------


async def test_a_hostile_display_name_in_the_add_to_contacts_form(world: World) -> None:
    chosen = [
        "markup-link",
        "ansi-clear",
        "osc8-link",
        "rlo",
        "long-10000",
        "emoji-zwj",
        "zwj-sinhala",
    ]
    service = world.service()
    made = [hostile_whatsapp(service, TEXTS[name]) for name in chosen]
    async with running(world, rows=5 + len(made)) as pilot:
        table = interaction_table(pilot)
        screen = main_screen(pilot)
        for interaction in made:
            table.move_cursor(row=table.get_row_index(interaction.id))
            await until(pilot, partial(_selected, screen, interaction), "the selection")
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactForm), "the form")
            # Inputs show what they hold so the agent can edit it: only unsafe characters are
            # checked there, not widths. A value with unsafe characters, or too long for its
            # field, is kept out of the Input and shown escaped below it instead.
            assert_safe_screen(pilot, steady_widths=False)
            for field in pilot.app.screen.query(Input):
                assert editable(field.value), f"#{field.id} holds {field.value!r}"
            await pilot.press("escape")
            await until(pilot, partial(_form_closing, pilot, screen), "the form to answer")
            if isinstance(pilot.app.screen, ConfirmDialog):
                await pilot.press("y")  # "discard what you typed?" (the form was prefilled)
            await until(pilot, partial(_is_active, pilot, screen), "the form to close")


def _form_closing(pilot: Pilot[None], main: MainScreen) -> bool:
    return pilot.app.screen is main or isinstance(pilot.app.screen, ConfirmDialog)
