"""The Textual app agents live in: the main screen, keys, help and the command palette."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import HelpPanel

from contact_tui.domain.clock import utcnow
from contact_tui.service import ContactService
from contact_tui.ui.keys import load_keymap
from contact_tui.ui.render import safe
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.main import MainScreen

# Columns of a toast's message, at most (it wraps over a few lines).
NOTICE_WIDTH = 400


class ContactApp(App[None]):
    """contact-tui's screen. The store opens in a worker once the screen is drawn."""

    CSS_PATH = "app.tcss"
    TITLE = "contact-tui"
    # Below 110 columns the two panes stack (the CSS keys off these classes): side by side,
    # the interaction table needs 62 columns and the profile about 45.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("question_mark", "toggle_help", "Help", id="app.help", key_display="?"),
        Binding("f1", "toggle_help", "Help", show=False, id="app.help_f1"),
    ]

    def __init__(
        self,
        open_service: Callable[[], ContactService],
        *,
        clock: Callable[[], datetime] = utcnow,
        cursor_blink: bool = True,
        keymap: dict[str, str] | None = None,
        keymap_problem: str = "",
    ) -> None:
        super().__init__()
        self.open_service = open_service
        self.clock = clock
        self.cursor_blink = cursor_blink
        self._keymap = keymap or {}
        self._keymap_problem = keymap_problem
        # Full redraws are costly over SSH; nothing here needs to move.
        self.animation_level = "none"

    def on_mount(self) -> None:
        """Apply the agent's keys and show the main screen."""
        if self._keymap:
            self.set_keymap(self._keymap)
        if self._keymap_problem:
            self.notify(self._keymap_problem, severity="warning", markup=False, timeout=10)
        self.push_screen(MainScreen(self.open_service, self.clock))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast, always through the safe helper and never as markup.

        Toasts quote store and customer text (a sender's name, a store error naming a file) and
        draw their text as given, so every one, whoever raises it, is escaped and clipped here.
        ``markup`` is accepted for Textual's signature and ignored.
        """
        super().notify(
            safe(message, NOTICE_WIDTH),
            title=safe(title, 80),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def action_toggle_help(self) -> None:
        """Show or hide the panel listing every key that works here."""
        try:
            self.screen.query_one(HelpPanel).remove()
        except NoMatches:
            self.action_show_help_panel()

    async def action_quit(self) -> None:
        """Quit, but ask first if a form holds typed, unsaved values."""
        if not any(isinstance(s, ContactForm) and s.dirty for s in self.screen_stack):
            self.exit()
            return

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        await self.push_screen(
            ConfirmDialog(
                Text("A contact form has unsaved changes. Quit and lose them?"),
                yes="Quit [y]",
                no="Stay [n]",
            ),
            answered,
        )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette lists the screen's actions that apply now, with their keys: those in
        the footer, and those kept out of it for room but given a tooltip."""
        yield from super().get_system_commands(screen)
        for binding in screen.BINDINGS:
            if not isinstance(binding, Binding) or not (binding.show or binding.tooltip):
                continue
            if screen.check_action(binding.action, ()) is not True:
                continue
            action = binding.action
            # Titles are markup: "[d]" would vanish as a tag, so the key goes in parentheses.
            yield SystemCommand(
                f"{binding.description} ({self.get_key_display(binding)})",
                binding.tooltip or binding.description,
                lambda action=action: self.call_later(screen.run_action, action),
            )


def run_app(open_service: Callable[[], ContactService]) -> None:
    """Run the app until the agent quits."""
    keymap, problem = load_keymap()
    ContactApp(open_service, keymap=keymap, keymap_problem=problem).run()
