"""Small modal dialogs: a yes/no question, the question before typed text is thrown away,
and a message that ends the app."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widget import AwaitMount
from textual.widgets import Button, Static

from contact_tui.ui.render import plain
from contact_tui.ui.widgets.keys_footer import KeysFooter


def close_or_ask(screen: ModalScreen[Any], dirty: bool, what: str) -> AwaitMount | None:
    """Escape in a text dialog: close ``screen`` at once when nothing was typed, else ask
    whether to discard ``what`` (a long note pasted and refused as too long is not lost to one
    key). Returned, so a key typed right after Escape (y, n) waits for the question."""
    if not dirty:
        screen.dismiss(None)
        return None

    def answered(discard: bool | None) -> None:
        if discard:
            screen.dismiss(None)

    return screen.app.push_screen(
        ConfirmDialog(
            Text(f"Discard what you typed in {what}?"),
            "Discard [y]",
            "Keep editing [n]",
            safe_no=True,  # Enter keeps the text: it is what the question protects
        ),
        answered,
    )


class ConfirmDialog(ModalScreen[bool]):
    """A question with two answers: y (or the first button) and n / escape."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n", "answer(False)", "No", id="dialog.no"),
        Binding("escape", "answer(False)", "No", show=False, id="dialog.escape"),
    ]

    def __init__(
        self, question: Text, yes: str = "Yes [y]", no: str = "No [n]", *, safe_no: bool = False
    ) -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no
        # For what cannot be undone: the no button is the highlighted one and has the focus,
        # so Enter, like n and Escape, answers no.
        self.safe_no = safe_no

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    Text(self.yes),
                    id="yes",
                    variant="default" if self.safe_no else "primary",
                    compact=True,
                    action="screen.answer(True)",
                )
                yield Button(
                    Text(self.no),
                    id="no",
                    variant="primary" if self.safe_no else "default",
                    compact=True,
                    action="screen.answer(False)",
                )
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Focus the safe answer when asked to."""
        if self.safe_no:
            self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        """Close with the answer."""
        self.dismiss(answer)


class FatalScreen(Screen[None]):
    """Shown when the app cannot go on (the store cannot be opened): the reason, and quit."""

    BINDINGS = [Binding("q", "app.quit", "Quit", id="fatal.quit")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        """The message, centred."""
        with Vertical(classes="dialog"):
            yield Static(Text("contact-tui cannot start", style="bold"), classes="dialog-title")
            # The reason can quote the store (a path, a damaged line): shown, never obeyed.
            yield Static(plain(self.message, 2000), classes="dialog-text")
            yield Static(Text("Press q to quit."), classes="dialog-text")
        yield KeysFooter(compact=True)
