"""The Textual app agents live in: the main screen, keys, help and the command palette."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.actions import ActionParseResult, parse
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from contact_tui.domain.clock import utcnow
from contact_tui.service import ContactService
from contact_tui.ui.keyorder import InOrderKeys
from contact_tui.ui.keys import bound_actions, load_keymap
from contact_tui.ui.protocols import ExplainsDisabled, ShowsNotices, WorkerOwner
from contact_tui.ui.render import safe
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.help import HelpScreen
from contact_tui.ui.screens.main import MainScreen
from contact_tui.ui.screens.note_dialog import NoteDialog
from contact_tui.ui.screens.opening import OpeningScreen
from contact_tui.ui.screens.wrap_up import WrapUpDialog

# Columns of a toast's message, at most (it wraps over a few lines).
NOTICE_WIDTH = 400


class ContactApp(InOrderKeys[None]):
    """contact-tui's screen. The store opens in a worker once the screen is drawn."""

    CSS_PATH = "app.tcss"
    TITLE = "contact-tui"
    # Below 110 columns the two panes stack (the CSS keys off these classes): side by side,
    # the interaction table needs 62 columns and the profile about 45.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding(
            "question_mark",
            "toggle_help",
            "Help",
            id="app.help",
            key_display="?",
            tooltip="The keys of this screen, with what each does",
        ),
        # Priority, so F1 also works over the form and dialogs (which shut out app keys);
        # "?" is not, as it would be taken from every text field.
        Binding(
            "f1",
            "toggle_help",
            "Help",
            show=False,
            id="app.help_f1",
            priority=True,
            tooltip="The keys of this screen, with what each does",
        ),
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
        """Apply the agent's keys, and open the store (then the main screen shows)."""
        if self._keymap:
            self.set_keymap(self._keymap)
        if self._keymap_problem:
            self.notify(self._keymap_problem, severity="warning", markup=False, timeout=10)
        self.push_screen(OpeningScreen(self.open_service, self.clock))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a message (on the main screen in its notice line, elsewhere as a toast),
        always through the safe helper and never as markup.

        Messages quote store and customer text (a sender's name, a store error naming a file) and
        draw their text as given, so every one, whoever raises it, is escaped and clipped here.
        ``markup`` is accepted for Textual's signature and ignored.
        """
        text = safe(message, NOTICE_WIDTH)
        screen = self.screen if self.screen_stack else None
        if isinstance(screen, ShowsNotices):
            # On the main screen a toast would cover the profile at 80x24 (on the merge
            # preview, what moves): its notice line shows the message instead, pushing the
            # rest up for a few seconds.
            screen.show_notice(f"{safe(title, 80)}: {text}" if title else text, severity, timeout)
            return
        super().notify(
            text, title=safe(title, 80), severity=severity, timeout=timeout, markup=False
        )

    def clear_notifications(self) -> None:
        """Clear every message: the toasts and the main screen's notice line."""
        super().clear_notifications()
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.clear_notices()

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run an action; when its key is pressed but the screen disabled it (check_action
        None: shown dimmed), say why instead of ignoring the key."""
        if await super().run_action(action, default_namespace, namespaces):
            return True
        target = default_namespace if isinstance(default_namespace, ExplainsDisabled) else None
        if target is not None and isinstance(action, str):
            namespace, name, parameters = parse(action)
            if not namespace and target.check_action(name, parameters) is None:
                reason = target.disabled_reason(name)
                if reason:
                    self.notify(reason, severity="warning", timeout=8)
        return False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any worker that raised what it did not expect (its screen forwards it here, see
        ``protocols``): report it."""
        if event.state == WorkerState.ERROR:
            self.report_worker_failure(event.worker, event.worker.error)

    def report_worker_failure(self, worker: Worker[Any], error: BaseException | None) -> None:
        """Say in one sentence that ``worker`` failed (or the handler of what it posted), and
        have the screen that owns it drop the busy state it held, so nothing waits for it
        forever."""
        for node in worker.node.ancestors_with_self:
            if isinstance(node, WorkerOwner):
                node.worker_failed(worker, error)
                break
        what = worker.name or "A background task"
        detail = f"{type(error).__name__}: {error}" if error is not None else "no detail"
        self.notify(
            f"{what} failed with an unexpected error ({detail}); check whether it took "
            "effect, try again, and tell your admin if it happens again.",
            title="Unexpected error",
            severity="error",
            timeout=15,
        )

    def action_toggle_help(self) -> None:
        """Show the keys of the current screen, or close them when they are showing."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(self.screen))

    def action_show_help_panel(self) -> None:
        """Textual's key panel (the palette's "Keys") is replaced by the app's own help."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_hide_help_panel(self) -> None:
        """Close the app's help if it is showing."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)

    async def action_quit(self) -> None:
        """Quit, but ask first if a form or a note dialog holds typed, unsaved text."""
        holding = (ContactForm, WrapUpDialog, NoteDialog)
        if not any(isinstance(s, holding) and s.dirty for s in self.screen_stack):
            self.exit()
            return

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        await self.push_screen(
            ConfirmDialog(
                Text("What you typed in an open form or note is not saved. Quit and lose it?"),
                yes="Quit [y]",
                no="Stay [n]",
            ),
            answered,
        )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette lists the screen's actions that apply now, with the keys that run them
        (the agent's keymap applied): those in the footer, and those kept out of it for room
        but given a tooltip."""
        for command in super().get_system_commands(screen):
            if command.callback != self.action_show_help_panel:  # ours is listed below
                yield command
        for bound in bound_actions(screen):
            binding = bound.binding
            if not bound.enabled or not (binding.show or binding.tooltip):
                continue
            if bound.everywhere and binding.action != "toggle_help":
                continue  # quit is Textual's own command above; the palette is open
            action = binding.action
            target: Screen[object] | App[None] = self if bound.everywhere else screen
            # Titles are markup: "[d]" would vanish as a tag, so the key goes in parentheses.
            yield SystemCommand(
                f"{binding.description} ({bound.keys[0]})",
                binding.tooltip or binding.description,
                lambda action=action, target=target: self.call_later(target.run_action, action),
            )


def run_app(open_service: Callable[[], ContactService]) -> None:
    """Run the app until the agent quits."""
    keymap, problem = load_keymap()
    ContactApp(open_service, keymap=keymap, keymap_problem=problem).run()
