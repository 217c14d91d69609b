"""The wrap-up note of an interaction: a small modal with a text area, Save and Cancel."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import AwaitMount
from textual.widgets import Static, TextArea
from textual.widgets.text_area import Edit, EditResult

from contact_tui.domain.model import Interaction
from contact_tui.domain.rules import MAX_WRAP_UP_LENGTH, RuleError, validate_notes
from contact_tui.domain.text import printable_lines
from contact_tui.ui.render import safe
from contact_tui.ui.screens.dialogs import close_or_ask
from contact_tui.ui.widgets.keys_footer import KeysFooter

LABEL = "The wrap-up note"


def editable_note(note: str) -> bool:
    """True when a stored note may be put in the text area as it is: no character a terminal
    would obey (a store edited by hand can hold any), and no longer than the rule allows."""
    return len(note) <= MAX_WRAP_UP_LENGTH and printable_lines(note) == note


class NoteArea(TextArea):
    """A text area that never holds a character a terminal would obey: a text area draws what
    it holds raw, so typed or pasted control, bidi and other format characters become their
    visible escapes (``\\u202e``) as they come in. Line feeds stay; a carriage return is one."""

    def edit(self, edit: Edit) -> EditResult:
        """Every change of a text area goes through here: insert, paste, replace."""
        text = edit.text.replace("\r\n", "\n").replace("\r", "\n")
        clean = printable_lines(text)
        return super().edit(edit if clean == edit.text else replace(edit, text=clean))


class WrapUpDialog(ModalScreen[str | None]):
    """Write an interaction's wrap-up note: Ctrl+S saves (an empty note clears it), Escape
    cancels. The text is checked with the service's own rule before the dialog closes, so a
    note the service would refuse (too long) keeps what the agent typed and says what is
    wrong."""

    BINDINGS = [
        # Priority: the text area would otherwise take the keys as typing.
        Binding("ctrl+s", "save", "Save", id="wrap_up.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="wrap_up.cancel", priority=True),
    ]

    def __init__(self, interaction: Interaction, sender: str) -> None:
        super().__init__()
        self.interaction = interaction
        self.sender = sender
        note = interaction.wrap_up_note
        # A stored note is shown raw by a text area: only one the notes rule would let
        # through (a store edited by hand could hold escape sequences) is put in it.
        self.initial = note if editable_note(note) else ""

    def compose(self) -> ComposeResult:
        """A title naming the interaction, the text area, a line for what is wrong."""
        with Vertical(classes="dialog", id="wrap-up-dialog"):
            yield Static(
                Text.assemble(
                    ("Wrap-up note", "bold"),
                    f" for the {self.interaction.channel_label} interaction with ",
                    (safe(self.sender, 40), "bold"),
                ),
                classes="dialog-title",
            )
            yield NoteArea(
                self.initial,
                id="wrap-up-text",
                soft_wrap=True,
                tab_behavior="focus",
            )
            yield Static("", id="wrap-up-error", classes="hidden")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Start typing at the end of what is there."""
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        """Close with the note, if the notes rule takes it; else say why and stay."""
        text = self.query_one(TextArea).text
        try:
            validate_notes(text, LABEL, max_length=MAX_WRAP_UP_LENGTH)
        except RuleError as err:
            error = self.query_one("#wrap-up-error", Static)
            error.update(Text(safe(str(err), 300)))
            error.remove_class("hidden")
            return
        self.dismiss(text)

    @property
    def dirty(self) -> bool:
        """True when the text differs from what the dialog opened with."""
        return self.query_one(TextArea).text != self.initial

    def action_cancel(self) -> AwaitMount | None:
        """Close without saving; asks first when the text was changed."""
        return close_or_ask(self, self.dirty, "this wrap-up note")
