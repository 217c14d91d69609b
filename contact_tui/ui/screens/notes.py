"""A contact's notes as a list, to read each one whole and to edit or delete one.

The profile shows only the first lines of the newest notes; here the highlighted note is shown
whole (up to the 32,000 characters a note may hold) in a pane the agent scrolls. Edit reuses the
note dialog, which saves with the version it started from (a note changed meanwhile is a
conflict that keeps the typed text); delete asks first, keeping the note by default. Whose notes
an agent may change is the service's rule: a key that the rule refuses for the highlighted note
shows disabled and says why, in the words of every refused key.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import AwaitMount
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from contact_tui.domain.model import Contact, Note
from contact_tui.domain.permissions import UseCase
from contact_tui.domain.present import counted
from contact_tui.domain.rules import MAX_NOTE_LENGTH
from contact_tui.service import ContactService, InvalidInput, PermissionDenied, StoreError
from contact_tui.ui.gating import not_allowed
from contact_tui.ui.protocols import ForwardsWorkerErrors, WorkerResult
from contact_tui.ui.render import LABEL_STYLE, plain, safe, when
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.note_dialog import NoteDialog
from contact_tui.ui.widgets.keys_footer import KeysFooter

# A note is shown whole up to this many characters: more than any the app writes, so only a
# store edited by hand holds a longer one, and a 20 MB one must not stall the screen.
MAX_SHOWN = MAX_NOTE_LENGTH + 1
# What the list shows of a note's first line.
FIRST_LINE = 40


def note_heading(note: Note) -> Text:
    """One note in the list: who wrote it and when, then the start of its first line."""
    first = note.text[: FIRST_LINE * 4].split("\n", 1)[0]
    return Text.assemble(
        (safe(note.created_by or "unknown", 20), "bold"),
        f"  {when(note.create_date)}  ",
        safe(first, FIRST_LINE),
        no_wrap=True,
        overflow="ellipsis",
    )


def whole_note(note: Note) -> Text:
    """A note as the reading pane shows it: who wrote it, when, who changed it last, then every
    line of it, each made safe (control and bidi characters shown escaped, never obeyed)."""
    text = Text()
    text.append(safe(note.created_by or "unknown", 40), style=LABEL_STYLE)
    text.append(f"  {when(note.create_date)}")
    if note.version > 1:
        changer = safe(note.modified_by or "unknown", 40)
        text.append(f"  (edited {when(note.modify_date)} by {changer})", style="dim")
    body = note.text[:MAX_SHOWN]
    for line in body.split("\n"):
        text.append("\n")
        text.append(safe(line, MAX_SHOWN))
    if len(note.text) > MAX_SHOWN:
        text.append(
            f"\n… cut after {MAX_SHOWN:,} characters: the note is longer than any the app "
            "writes ('contact-tui contact note list' prints it all).",
            style="dim",
        )
    return text


class NotesScreen(ForwardsWorkerErrors, ModalScreen[bool]):
    """The notes of ``contact``, newest first, the highlighted one whole below the list.
    Returns whether a note was changed or deleted (so the profile reads them again)."""

    class Listed(WorkerResult):
        """The contact's notes as they are now."""

        def __init__(self, notes: list[Note]) -> None:
            super().__init__()
            self.notes = notes

    class Failed(WorkerResult):
        """A read or a delete was refused, or the store could not be read or written."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    class Deleted(WorkerResult):
        """A note is deleted."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="notes.back"),
        Binding("e", "edit", "Edit", id="notes.edit"),
        Binding("d,delete", "delete", "Delete", id="notes.delete"),
    ]

    def __init__(
        self, service: ContactService, contact: Contact, notes: Sequence[Note] | None = None
    ) -> None:
        super().__init__()
        self.service = service
        self.contact = contact
        # The notes as the profile last read them, listed at once (so a key typed right after
        # the one that opened the list acts on them); read again on mount.
        self._first = list(notes) if notes is not None else None
        self.notes: list[Note] = []
        self.changed = False
        self._news = ""  # what the last change did, said with the list read after it

    def compose(self) -> ComposeResult:
        """Title, the list, the highlighted note whole, a line for what happened, footer."""
        with Vertical(id="notes-dialog", classes="dialog"):
            yield Static(
                Text.assemble(("Notes on ", "bold"), (safe(self.contact.display_name, 50), "bold")),
                classes="dialog-title",
            )
            yield OptionList(id="notes-list")
            with VerticalScroll(id="notes-reader"):
                yield Static("", id="notes-whole")
            yield Static(Text("Reading the notes…"), id="notes-say")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """List the notes the profile showed, and read them as they are now."""
        self.query_one(OptionList).focus()
        if self._first is not None:
            self._show(self._first)
        self._list()

    @property
    def highlighted(self) -> Note | None:
        """The note under the list's cursor (None before any are read: the footer of the screen
        below may ask before this one is built, and its list does not exist yet)."""
        if not self.notes:
            return None
        index = self.query_one(OptionList).highlighted
        return self.notes[index] if index is not None and index < len(self.notes) else None

    # --- reading ---------------------------------------------------------------------------

    @work(
        thread=True,
        group="notes-read",
        exclusive=True,
        exit_on_error=False,
        name="Reading the contact's notes",
        description="the notes screen's read of the contact's notes",
    )
    def _list(self) -> None:
        try:
            notes = self.service.contact_notes(self.contact.id)
        except (PermissionDenied, StoreError) as err:
            self.post_message(self.Failed(str(err)))
            return
        self.post_message(self.Listed(notes))

    @on(Listed)
    def _listed(self, event: Listed) -> None:
        self._show(event.notes)

    def _show(self, notes: list[Note]) -> None:
        """List ``notes``, keeping the highlighted one highlighted where it still is."""
        was = self.highlighted
        self.notes = notes
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(Option(note_heading(n), id=n.id) for n in self.notes)
        ids = [n.id for n in self.notes]
        if self.notes:
            options.highlighted = ids.index(was.id) if was is not None and was.id in ids else 0
        count = len(self.notes)
        news, self._news = self._news, ""
        self._say(
            news
            + (
                f"{counted(count, 'note')}, newest first. Tab scrolls the note."
                if count
                else "This contact has no notes. Escape goes back."
            )
        )
        self._show_whole()
        self.refresh_bindings()

    @on(OptionList.OptionHighlighted, "#notes-list")
    def _moved(self) -> None:
        self._show_whole()
        self.refresh_bindings()

    @on(OptionList.OptionSelected, "#notes-list")
    def _read(self) -> None:
        """Enter on a note: to its text, to scroll it."""
        self.query_one("#notes-reader").focus()

    def _show_whole(self) -> None:
        note = self.highlighted
        self.query_one("#notes-whole", Static).update(whole_note(note) if note else "")
        self.query_one("#notes-reader", VerticalScroll).scroll_home(animate=False)

    def _say(self, message: str, *, bold: bool = False) -> None:
        self.query_one("#notes-say", Static).update(
            plain(message, 1000, style="bold" if bold else "")
        )

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self._say(event.message, bold=True)

    # --- which keys apply --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Edit and Delete need a highlighted note; on one the agent may not change (another
        agent's, without edit-all; any, without edit) they show disabled and say why."""
        if action not in ("edit", "delete"):
            return True
        note = self.highlighted
        if note is None:
            return False
        return True if self.service.may_change_note(note) else None

    def disabled_reason(self, action: str) -> str | None:
        """Why Edit or Delete does nothing on the highlighted note: the permission it needs."""
        note = self.highlighted
        if action not in ("edit", "delete") or note is None:
            return None
        label = "Editing or deleting a note"
        lacking = sorted(self.service.missing(UseCase.EDIT_NOTE))
        if not lacking and note.created_by != self.service.agent.user:
            author = safe(note.created_by or "an unknown author", 40)
            label = f"This note was written by {author}, not by you; changing it"
            lacking = sorted(self.service.missing(UseCase.OTHERS_NOTE))
        if not lacking:
            return None
        return not_allowed(label, lacking, self.service.agent.role_label)

    # --- changing ----------------------------------------------------------------------------

    def action_edit(self) -> AwaitMount | None:
        """Edit the highlighted note in the note dialog; it saves from the version shown. The
        dialog's mount is awaited (returned), so keys typed right after ``e`` land in it."""
        note = self.highlighted
        if note is None:
            return None
        note_id = note.id

        def save(text: str, version: int) -> None:
            self.service.edit_note(note_id, text, version)

        def edited(text: str | None) -> None:
            if text is not None:
                self.changed = True
                self._news = "Note saved. "
                self._list()

        return self.app.push_screen(
            NoteDialog(self.contact.display_name, note.text, save=save, version=note.version),
            edited,
        )

    def action_delete(self) -> AwaitMount | None:
        """Delete the highlighted note once the agent says yes; keeping it is the default (the
        question's mount is awaited, so a ``y`` typed right after ``d`` answers it)."""
        note = self.highlighted
        if note is None:
            return None
        note_id = note.id
        question = Text.assemble(
            "Delete the note by ",
            (safe(note.created_by or "unknown", 40), "bold"),
            f" of {when(note.create_date)}? ",
            ("It cannot be undone.", "bold"),
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._say("Deleting the note…")
                # The profile reads its notes again however this list closes: Escape while
                # the delete runs must not leave the deleted note shown there.
                self.changed = True
                self._delete(note_id)

        return self.app.push_screen(
            ConfirmDialog(question, yes="Delete [y]", no="Keep [n]", safe_no=True), answered
        )

    @work(
        thread=True,
        group="notes-write",
        exit_on_error=False,
        name="Deleting the note",
        description="the note delete the agent confirmed",
    )
    def _delete(self, note_id: str) -> None:
        try:
            self.service.delete_note(note_id)
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.Failed(str(err)))
            return
        self.post_message(self.Deleted())

    @on(Deleted)
    def _deleted(self) -> None:
        self.changed = True
        self._news = "Note deleted. "
        self._list()

    def action_back(self) -> None:
        """Back to the profile."""
        self.dismiss(self.changed)
