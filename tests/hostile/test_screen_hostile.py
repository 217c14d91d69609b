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
from collections.abc import Callable, Iterator
from functools import partial
from itertools import count
from typing import Any

from rich.cells import cell_len
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Input

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import Channel, Interaction, Participant, PhoneKind, Platform
from contact_tui.domain.rules import MAX_DISPLAY_NAME_LENGTH, MAX_SUBJECT_LENGTH
from contact_tui.service import NewInteraction
from contact_tui.ui.render import editable, safe
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.directory import ContactCard, DirectoryScreen
from contact_tui.ui.widgets.interaction_pane import InteractionPane
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


def hostile_whatsapp(world: World, text: str) -> Interaction:
    """A WhatsApp message whose sender name (and so display name), subject and transcript are
    ``text``, the name and subject cut to their intake limits (longer ones are refused, see
    tests/hostile/test_ingest.py). Intake escapes unsafe characters; the screen must still
    show what it gets safely."""
    return world.service().handle_interaction(
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


def drawn(pilot: Pilot[None]) -> Iterator[tuple[int, str, object]]:
    """Every segment the compositor draws: (screen line, text, style)."""
    for y, strip in enumerate(pilot.app.screen._compositor.render_strips()):
        for segment in strip:
            yield y, segment.text, segment.style


def assert_safe_screen(pilot: Pilot[None], *, steady_widths: bool = True) -> list[str]:
    """No control, escape or bidi character and no hyperlink reaches the terminal; with
    ``steady_widths``, no character whose width terminals disagree on either. Returns the
    screen's lines."""
    for y, text, style in drawn(pilot):
        bad = FORBIDDEN_ON_SCREEN.intersection(text)
        assert not bad, f"line {y} sends {sorted(bad)!r} in {text!r}"
        assert getattr(style, "link", None) is None, f"line {y} links {text!r}"
        if steady_widths:
            odd = WIDTH_AMBIGUOUS.intersection(text)
            assert not odd, f"line {y} sends width-ambiguous {sorted(odd)!r} in {text!r}"
    return screen_lines(pilot)


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


def table_lines(pilot: Pilot[None], table: DataTable[Any]) -> list[str]:
    """The screen lines a DataTable occupies, its header first."""
    region = table.region
    return [line[region.x : region.right] for line in screen_lines(pilot)][region.y : region.bottom]


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Wait in short steps (no idle detection: the poll keeps a 2-core machine busy) until
    ``condition()`` holds; fail naming ``what`` after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {WAIT_SECONDS} s waiting for {what}:\n"
                + "\n".join(screen_lines(pilot))
            )
        await pilot.pause(0.01)


def in_region(pilot: Pilot[None], widget: Widget, snippet: str) -> bool:
    """True when the screen shows ``snippet`` where ``widget`` is drawn."""
    region = widget.region
    lines = screen_lines(pilot)[region.y : region.bottom]
    return any(snippet in line[region.x : region.right] for line in lines)


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
    made = {hostile_whatsapp(world, text).id: name for name, _, text in CORPUS}
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
            await until(
                pilot,
                partial(_shows_detail, pilot, interaction, detail, sender),
                f"the detail of {sender}",
            )
            lines = assert_safe_screen(pilot)
            rows_checked += assert_columns_in_line(table_lines(pilot, table), "State", STATE)
            text = "\n".join(lines)
            for name, category, value in CORPUS:
                if category == MARKUP and value[:14] in text:
                    literal_seen.add(name)
            if interaction.id in made:
                # The rest of the detail (subject, transcript) and of the profile.
                for scroller in (detail, profile):
                    scroller.scroll_end(animate=False, immediate=True)
                await until(
                    pilot,
                    partial(in_region, pilot, detail, "end of transcript"),
                    f"the end of the transcript of {made[interaction.id]}",
                )
                assert_safe_screen(pilot)
                for scroller in (detail, profile):  # the next one is read from its top
                    scroller.scroll_home(animate=False, immediate=True)
        assert rows_checked >= total, "every row was checked (most of them several times)"
        markup = {name for name, category, _ in CORPUS if category == MARKUP}
        assert literal_seen == markup, f"markup not shown literally: {markup - literal_seen}"


def _shows_detail(
    pilot: Pilot[None], interaction: Interaction, detail: Widget, sender: str
) -> bool:
    selected = main_screen(pilot).interaction
    return (
        selected is not None and selected.id == interaction.id and in_region(pilot, detail, sender)
    )


# As many arrival toasts as fit on an 80x24 screen at once, long names wrapped.
TOASTS_AT_ONCE = 3


async def test_hostile_senders_are_announced_safely(world: World) -> None:
    async with running(world, notifications=True) as pilot:
        rows = 5
        for start in range(0, len(CORPUS), TOASTS_AT_ONCE):
            batch = CORPUS[start : start + TOASTS_AT_ONCE]
            for _, _, text in batch:
                hostile_whatsapp(world, text)
            rows += len(batch)
            main_screen(pilot).reload(force=True)  # what the half-second poll would do
            last = batch[-1][0]
            await wait_until(pilot, partial(_has_rows, pilot, rows), f"the batch ending {last}")
            await wait_until(
                pilot, partial(_has_toasts, pilot, len(batch)), f"the toasts up to {last}"
            )
            lines = assert_safe_screen(pilot)
            # On the main screen, messages are in its notice line rather than toasts.
            notices = pilot.app.screen.query_one("#notices").region
            toasts = "".join(
                line[notices.x : notices.right] for line in lines[notices.y : notices.bottom]
            )
            for entry, category, text in batch:
                if category == MARKUP:
                    assert text[:10] in toasts, (entry, toasts)
            pilot.app.clear_notifications()
            await settle(pilot)


def _has_rows(pilot: Pilot[None], rows: int) -> bool:
    return interaction_table(pilot).row_count == rows


def _has_toasts(pilot: Pilot[None], toasts: int) -> bool:
    return sum("New WhatsApp from" in line for line in screen_lines(pilot)) >= toasts


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
            assert_safe_screen(pilot)
            rows_checked += assert_columns_in_line(table_lines(pilot, results), "Type", TYPE)
            if results.cursor_row == contacts - 1:
                break
            await pilot.press("pagedown")
            await pilot.pause()
        assert rows_checked >= contacts, "every row was checked"
        # The contact card of each: the profile pane the main screen shows, for this contact.
        for index in range(contacts):
            results.move_cursor(row=index)
            name = safe(directory.results[index].display_name, 120)[:8]
            results.action_select_cursor()  # Enter, without the key's waits (see above)
            await until(pilot, partial(_shows_card, pilot, name), f"the card of {name}")
            card = pilot.app.screen
            assert isinstance(card, ContactCard)
            assert_safe_screen(pilot)
            pane = card.query_one("#card-profile", VerticalScroll)
            if pane.max_scroll_y:
                await scroll_to_end(pilot, pane)
                assert_safe_screen(pilot)
            card.action_dismiss_card()  # Escape
            await until(pilot, partial(_is_active, pilot, directory), "the list")


def _shows_card(pilot: Pilot[None], name: str) -> bool:
    card = pilot.app.screen
    if not isinstance(card, ContactCard) or not card.is_mounted:
        return False
    widgets = card.query("#profile-name")
    return bool(widgets) and in_region(pilot, widgets.first(), name)


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
    made = [hostile_whatsapp(world, TEXTS[name]) for name in chosen]
    async with running(world, rows=5 + len(made)) as pilot:
        table = interaction_table(pilot)
        for interaction in made:
            table.move_cursor(row=table.get_row_index(interaction.id))
            await settle(pilot)
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactForm), "the form")
            # Inputs show what they hold so the agent can edit it: only unsafe characters are
            # checked there, not widths. A value with unsafe characters, or too long for its
            # field, is kept out of the Input and shown escaped below it instead.
            assert_safe_screen(pilot, steady_widths=False)
            for field in pilot.app.screen.query(Input):
                assert editable(field.value), f"#{field.id} holds {field.value!r}"
            await pilot.press("escape")
            await settle(pilot)
            if not isinstance(pilot.app.screen, type(main_screen(pilot))):
                await pilot.press("y")  # "discard what you typed?" (the form was prefilled)
            await wait_until(
                pilot, lambda: pilot.app.screen is main_screen(pilot), "the form to close"
            )
