"""The dialog an agent writes a contact note in: a few lines of text, saved with Ctrl+S.

Keyboard only, and it fits 80x24: Enter starts a new line (a note may hold several), Ctrl+S
saves, Escape leaves without saving. The text is checked with the note's rule before the
dialog closes, so a mistake is fixed in place; the service checks it again when it saves.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea

from contact_tui.domain.rules import MAX_NOTE_LENGTH, RuleError, validate_note
from contact_tui.ui.render import safe


class NoteDialog(ModalScreen[str | None]):
    """Asks for a note on the contact named ``name``; dismissed with its text, or None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="note.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.contact_name = name

    def compose(self) -> ComposeResult:
        """A title, the text area, a line for what is wrong, and the keys."""
        with Vertical(id="note-dialog", classes="dialog"):
            yield Static(
                Text.assemble("Note on ", (safe(self.contact_name, 50), "bold")),
                classes="dialog-title",
            )
            yield TextArea(id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Static(
                Text(f"Up to {MAX_NOTE_LENGTH:,} characters. Ctrl+S saves, Escape cancels."),
                id="note-problem",
            )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Start typing at once."""
        self.query_one("#note-text", TextArea).focus()

    def action_save(self) -> None:
        """Close with the text, if the note's rule takes it; else say why and stay open."""
        text = self.query_one("#note-text", TextArea).text
        try:
            validate_note(text)
        except RuleError as err:
            self.query_one("#note-problem", Static).update(Text(str(err), style="bold"))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without a note."""
        self.dismiss(None)
