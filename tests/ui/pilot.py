"""Driving the app in the screen tests: run it at 80x24, wait for it, press keys as an agent
would, and read what the widgets and the terminal show.

Shared by the screen, hostile and permission tiers; the store they run over is built by
``tests.factories.build_world`` (the ``world`` fixture).
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from rich.text import Text
from textual._compositor import CompositorUpdate
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from contact_tui.domain.model import Permission
from contact_tui.domain.text import is_unsafe_char
from contact_tui.ui.app import ContactApp
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.main import MainScreen
from tests.factories import AGENT, World

# How long a wait for the app may take before a test fails (it normally takes ~0.1 s).
WAIT_SECONDS = 5.0


async def settle(pilot: Pilot[None]) -> None:
    """Let pending messages run, wait for running workers, then let their callbacks land."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS
) -> None:
    """Pause in small steps until ``condition()`` holds; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.05)
        await settle(pilot)


def main_screen(pilot: Pilot[None]) -> MainScreen:
    """The app's main screen (whatever is on top of it)."""
    return next(s for s in pilot.app.screen_stack if isinstance(s, MainScreen))


def store_open(pilot: Pilot[None]) -> bool:
    """True once the store is open: the main screen has taken the opening screen's place and
    is mounted."""
    return any(isinstance(s, MainScreen) and s.is_mounted for s in pilot.app.screen_stack)


def interaction_table(pilot: Pilot[None]) -> DataTable[Text | str]:
    """The main screen's interaction table."""
    table: DataTable[Text | str] = main_screen(pilot).query_one("#interaction-list", DataTable)
    return table


@asynccontextmanager
async def running(
    world: World, *permissions: Permission, rows: int = 5, notifications: bool = False
) -> AsyncIterator[Pilot[None]]:
    """Run the app for alice (every permission unless some are given) at 80x24.

    Returns once the store is open and the interaction table holds ``rows`` rows. Toasts
    are off unless ``notifications`` (as in Textual's run_test), so none covers a widget.
    """
    app = ContactApp(
        lambda: world.service(AGENT, *permissions), clock=world.clock, cursor_blink=False
    )
    async with app.run_test(size=(80, 24), notifications=notifications) as pilot:
        await wait_until(
            pilot,
            lambda: store_open(pilot) and interaction_table(pilot).row_count == rows,
            "the store to open",
        )
        await settle(pilot)
        yield pilot


async def select_interaction(pilot: Pilot[None], interaction_id: str) -> None:
    """Move the interaction table's cursor to one interaction with the up and down keys."""
    table = interaction_table(pilot)
    assert pilot.app.focused is table, "the interaction table should have the focus"
    steps = table.get_row_index(interaction_id) - table.cursor_row
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
    await settle(pilot)
    selected = main_screen(pilot).interaction
    assert selected is not None and selected.id == interaction_id


async def focus_by_tab(pilot: Pilot[None], widget_id: str, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab, when that is shorter) until ``widget_id`` has the focus,
    as an agent would."""
    chain = [w.id for w in pilot.app.screen.focus_chain]
    focused = pilot.app.focused
    key = "tab"
    if widget_id in chain and focused is not None and focused.id in chain:
        forward = (chain.index(widget_id) - chain.index(focused.id)) % len(chain)
        key = "tab" if forward <= len(chain) - forward else "shift+tab"
    for _ in range(limit):
        focused = pilot.app.focused
        if focused is not None and focused.id == widget_id:
            return
        await pilot.press(key)
    raise AssertionError(f"{key} never reached #{widget_id}")


async def replace_text(pilot: Pilot[None], widget_id: str, text: str) -> None:
    """Tab to an input, clear it (Home, then delete to the end) and type ``text``."""
    await focus_by_tab(pilot, widget_id)
    await pilot.press("home", "ctrl+k", *text)


async def focus_on(pilot: Pilot[None], widget_id: str) -> None:
    """Give ``widget_id`` on the active screen the focus directly, for tests where reaching it
    is not the point (tests/ui/test_form_keys.py and test_keys.py prove, key by key at 80x24,
    that an agent reaches every field): walking Tab costs two idle waits a key."""
    widget = pilot.app.screen.query_one(f"#{widget_id}")
    widget.focus()
    await pilot.pause()
    assert pilot.app.focused is widget, f"#{widget_id} did not take the focus"


async def fill(pilot: Pilot[None], widget_id: str, text: str) -> None:
    """Focus an input and put ``text`` in it at once, the cursor at its end as typing leaves it,
    for tests where typing is not the point: the input posts one ``Changed`` for the new text
    (typing posts one a key), so whatever checks a field on a change checks the final text."""
    await focus_on(pilot, widget_id)
    field = pilot.app.screen.query_one(f"#{widget_id}", Input)
    field.value = text
    field.cursor_position = len(text)
    await pilot.pause()


def shown(widget: Widget) -> str:
    """The plain text a Static shows (never markup: the app puts Text objects in them)."""
    assert isinstance(widget, Static)
    content = widget.content
    if isinstance(content, Text):
        return content.plain
    return str(widget.render())


def text_of(pilot: Pilot[None], selector: str) -> str:
    """The plain text of a Static on the active screen."""
    return shown(pilot.app.screen.query_one(selector))


def value_of(pilot: Pilot[None], selector: str) -> str:
    """The text in an Input on the active screen."""
    return pilot.app.screen.query_one(selector, Input).value


def screen_lines(pilot: Pilot[None]) -> list[str]:
    """The terminal's lines as the compositor drew them: what the agent actually sees."""
    return [strip.text for strip in pilot.app.screen._compositor.render_strips()]


def is_form_open(pilot: Pilot[None]) -> bool:
    """True when the contact form is the active screen."""
    return isinstance(pilot.app.screen, ContactForm)


async def save_form(pilot: Pilot[None]) -> None:
    """Press Ctrl+S in the open form and wait until the form has closed."""
    assert is_form_open(pilot)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the form to close")
    await settle(pilot)


# The escape sequences the app itself sends when it repaints: SGR styling and cursor moves.
_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;:]*[mH]")


def terminal_output(pilot: Pilot[None]) -> str:
    """What Textual would write to the terminal to repaint the whole screen now: the active
    screen (over the screens it shows through) turned into escape sequences by the app's own
    console, as ``App._display`` does for a real terminal."""
    app = pilot.app
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert isinstance(update, CompositorUpdate)
    return str(update.render_segments(app.console))


def assert_no_terminal_commands(pilot: Pilot[None]) -> str:
    """Fail if a repaint would send the terminal anything but text, styling and cursor moves:
    no OSC (window title, clipboard, hyperlink), no other CSI or DCS, no BEL or other control
    or bidi character. Returns the repaint's text, the app's own sequences removed."""
    output = _OWN_SEQUENCES.sub("", terminal_output(pilot))
    bad = sorted({ch for ch in output if ch != "\n" and is_unsafe_char(ch)})
    assert not bad, f"the terminal would be sent {bad!r}:\n" + "\n".join(screen_lines(pilot))
    return output


def write_raw(world: World, table: str, doc_id: str, **fields: object) -> None:
    """Change a stored document behind the service's back, as a store written by an older
    version or edited by hand can be: whatever the service would refuse today."""
    repo = world.repo()
    with repo.store.transaction("test") as tx:
        doc = tx.get(table, doc_id)
        assert doc is not None, f"no {table} document {doc_id}"
        tx.put(table, doc_id, {**doc, **fields})
