"""The dialog an agent writes a contact note in: a few lines of text, saved with Ctrl+S.

Keyboard only, and it fits 80x24: Enter starts a new line (a note may hold several), Ctrl+S
saves, Escape leaves without saving (asking first when the text was changed). The text is
checked with the note's rule before the dialog closes, so a mistake is fixed in place; the
service checks it again when it saves.

Editing a note, the dialog saves it itself (``save``, in a worker) from the version it started
from, and closes only once it is saved: a note someone changed meanwhile is a conflict, said
in the dialog with the typed text kept, and Ctrl+S again saves it over theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import AwaitMount
from textual.widgets import Static, TextArea
from textual.worker import Worker

from contact_tui.domain.rules import MAX_NOTE_LENGTH, RuleError, validate_note
from contact_tui.domain.text import printable_lines
from contact_tui.service import ConflictError, InvalidInput, PermissionDenied, StoreError
from contact_tui.ui.protocols import ForwardsWorkerErrors, WorkerResult
from contact_tui.ui.render import plain, safe
from contact_tui.ui.screens.dialogs import close_or_ask
from contact_tui.ui.screens.wrap_up import NoteArea
from contact_tui.ui.widgets.keys_footer import KeysFooter

# Saves an edited note: (text, the version it was edited from); raises what the service does.
SaveNote = Callable[[str, int], object]

HINT = f"Up to {MAX_NOTE_LENGTH:,} characters. Ctrl+S saves, Escape cancels."


class NoteDialog(ForwardsWorkerErrors, ModalScreen[str | None]):
    """Asks for a note on the contact named ``name``, starting from ``text``; dismissed with
    the text (saved already when ``save`` is given), or None."""

    class Saved(WorkerResult):
        """The edited note is stored."""

    class Refused(WorkerResult):
        """The save was refused or could not be written; ``conflict``: the version the note
        has now, when someone changed it meanwhile."""

        def __init__(self, message: str, conflict: int | None = None) -> None:
            super().__init__()
            self.message = message
            self.conflict = conflict

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="note.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
    ]

    def __init__(
        self, name: str, text: str = "", *, save: SaveNote | None = None, version: int = 0
    ) -> None:
        super().__init__()
        self.contact_name = name
        # A stored note is shown raw by a text area: what a terminal would obey is put in it
        # escaped (visible), as the note area does with what is typed or pasted.
        self.initial = printable_lines(text[: MAX_NOTE_LENGTH * 2])
        self.save = save
        self.version = version
        self.busy = False

    def compose(self) -> ComposeResult:
        """A title, the text area, a line for what is wrong, and the keys."""
        what = "Edit the note on " if self.save is not None else "Note on "
        with Vertical(id="note-dialog", classes="dialog"):
            yield Static(
                Text.assemble(what, (safe(self.contact_name, 50), "bold")),
                classes="dialog-title",
            )
            yield NoteArea(self.initial, id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Static(Text(HINT), id="note-problem")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Start typing at once, at the end of what is there."""
        area = self.query_one("#note-text", TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def text(self) -> str:
        """What the text area holds now."""
        return self.query_one("#note-text", TextArea).text

    @property
    def dirty(self) -> bool:
        """True when the text differs from what the dialog opened with."""
        return self.text != self.initial

    def _problem(self, message: str) -> None:
        self.query_one("#note-problem", Static).update(plain(message, 1000, style="bold"))

    def action_save(self) -> None:
        """Close with the text, if the note's rule takes it (and, editing, once it is saved);
        else say why and stay open with the text as typed."""
        if self.busy:
            return
        text = self.text
        try:
            validate_note(text)
        except RuleError as err:
            self._problem(str(err))
            return
        if self.save is None:
            self.dismiss(text)
            return
        self.busy = True
        self._problem("Saving…")
        self._save(text, self.version)

    @work(
        thread=True,
        group="note-save",
        exclusive=True,
        exit_on_error=False,
        name="Saving the note",
        description="the note dialog's save of an edited note",
    )
    def _save(self, text: str, version: int) -> None:
        assert self.save is not None
        try:
            self.save(text, version)
        except ConflictError as err:
            self.post_message(self.Refused(str(err), conflict=err.current))
            return
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.Refused(str(err)))
            return
        self.post_message(self.Saved())

    @on(Saved)
    def _saved(self) -> None:
        self.busy = False
        self.dismiss(self.text)

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self.busy = False
        message = event.message
        if event.conflict is not None:
            # Ctrl+S again means "mine over theirs": the next save starts from their version.
            self.version = event.conflict
            message += " Your text is kept: Ctrl+S saves it over theirs, Escape keeps theirs."
        self._problem(message)

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """The save raised what it did not expect (the app has said so): the text stays."""
        self.busy = False

    def action_cancel(self) -> AwaitMount | None:
        """Close without saving; asks first when the text was changed. Not while a save is
        under way: it may land, and the list would not know."""
        if self.busy:
            return None
        return close_or_ask(self, self.dirty, "this note")
