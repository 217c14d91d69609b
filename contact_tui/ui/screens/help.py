"""The app's own help: the keys of the screen the agent is on, with what each does.

Built from :func:`contact_tui.ui.keys.bound_actions`, so it shows the keys the agent's
``keys.toml`` gives (not the defaults), leaves out what does not apply here, and marks what is
not available now; nothing is listed that the screen would not do.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from contact_tui.ui.keys import BoundAction, bound_actions
from contact_tui.ui.widgets.keys_footer import KeysFooter

# What each action does, by binding id (the ids keys.toml uses); an id not listed here shows
# its binding's tooltip or description instead.
WHAT_IT_DOES = {
    "main.add_to_contacts": "Add to Contacts: keep the caller's ephemeral contact for good",
    "main.new_contact": "Create New Contact, linked to the selected interaction",
    "main.edit": "Edit the linked contact",
    "main.link": "Link or change the contact (search the directory and pick)",
    "main.unlink": "Unlink the contact from the interaction",
    "main.directory": "Directory: search by name, phone (any format) or email",
    "main.end": "End the selected interaction",
    "main.next_pane": "Next pane",
    "main.wrap_up": "Wrap-up note of the selected interaction",
    "wrap_up.save": "Save the wrap-up note (an empty one clears it)",
    "wrap_up.cancel": "Close without saving the note (asks first if you changed it)",
    "main.notes": "The contact's notes: read each whole, edit or delete one",
    "notes.back": "Back to the profile",
    "notes.edit": "Edit the highlighted note (yours, or anyone's with note edit-all)",
    "notes.delete": "Delete the highlighted note (asks first; keeping it is the default)",
    "note.save": "Save the note",
    "note.cancel": "Close without saving the note (asks first if you changed it)",
    "main.merge": "Merge the caller's contact into the customer (pick, preview, confirm)",
    "main.merges": "The merges into the shown contact: undo one",
    "main.erase": "Erase the shown contact (asks first; cannot be undone)",
    "form.save": "Save the contact",
    "form.save_f2": "Save the contact",
    "form.cancel": "Close without saving (asks first if you typed something)",
    "directory.back": "Back, picking nothing",
    "directory.new": "Create New Contact, starting from what is in the search box",
    "directory.edit": "Edit the highlighted contact",
    "directory.link": "Link the highlighted contact to the current interaction",
    "directory.import": "Import contacts from a Genesys JSON, CSV or vCard file",
    "directory.export": "Export the contacts as Genesys JSON, CSV or vCard",
    "directory.results": "From the search box to the results",
    "directory.search": "Back to the search box",
    "directory.merge": "Merge the highlighted contact into another (pick it next)",
    "card.merge": "Merge this contact into another one (pick it next)",
    "card.merges": "The merges into this contact: undo one",
    "merge.back": "Back; nothing is merged",
    "merge.confirm": "Merge as the preview shows",
    "merge.keep": "Keep the kept contact's value in the highlighted row",
    "merge.other": "Take the other contact's value in the highlighted row (replaces the slot)",
    "merge.auto": "The highlighted row as the merge rule decides",
    "merge.swap": "Keep the other contact instead, merging this one into it",
    "merges.back": "Back; nothing is undone",
    "card.back": "Close the contact card",
    "card.edit": "Edit this contact",
    "card.link": "Link this contact to the current interaction",
    "conflict.mine": "Keep your value in the highlighted field",
    "conflict.theirs": "Take their value in the highlighted field",
    "conflict.toggle": "Switch the highlighted field between yours and theirs",
    "conflict.merge": "Put the chosen values in the form, to review and save",
    "conflict.overwrite": "Save your form as it is over their version",
    "conflict.see_theirs": "Show their version in the form (drops your entries)",
    "conflict.back": "Back to the form; nothing is saved",
    "dialog.yes": "Yes",
    "dialog.no": "No",
    "app.quit": "Quit (asks first if a form has unsaved changes)",
    "app.help": "This help",
    "app.help_f1": "This help",
    "app.focus_next": "Next field or pane",
    "app.focus_previous": "Previous field or pane",
    "command_palette": "Command palette: run any action here by name",
}
KEY_WIDTH = 16


def what_it_does(action: BoundAction) -> str:
    """The line of help for one action."""
    binding = action.binding
    return (
        WHAT_IT_DOES.get(binding.id or "")
        or WHAT_IT_DOES.get(binding.action)
        or binding.tooltip
        or binding.description
    )


SCREEN_TITLES = {
    "MainScreen": "Main screen",
    "ContactForm": "Contact form",
    "DirectoryScreen": "Directory",
    "ContactCard": "Contact card",
    "ConflictDialog": "Saved by someone else",
    "ConfirmDialog": "Question",
    "ExchangeDialog": "Import or export",
    "MergeScreen": "Merge preview",
    "MergesScreen": "Merges into this contact",
    "NotesScreen": "The contact's notes",
    "NoteDialog": "Contact note",
    "WrapUpDialog": "Wrap-up note",
}


def screen_title(screen: Screen[object]) -> str:
    """What the agent calls the screen."""
    name = type(screen).__name__
    if name in SCREEN_TITLES:
        return SCREEN_TITLES[name]
    words = "".join(f" {ch.lower()}" if ch.isupper() else ch for ch in name).strip()
    return words.capitalize()


def help_text(screen: Screen[object]) -> Group:
    """The keys of ``screen`` and the app-wide ones, grouped, each with what it does."""
    actions = bound_actions(screen)
    parts: list[RenderableType] = []
    groups = (
        (screen_title(screen), [a for a in actions if not a.everywhere]),
        ("Everywhere", [a for a in actions if a.everywhere]),
    )
    for title, group in groups:
        if not group:
            continue
        if parts:
            parts.append(Text(""))
        parts.append(Text(title, style="bold underline"))
        table = Table.grid(padding=(0, 1))
        table.add_column(width=KEY_WIDTH, no_wrap=True, overflow="fold")
        table.add_column(ratio=1)
        for action in group:
            line = Text(what_it_does(action), style="" if action.enabled else "dim")
            if not action.enabled:
                line.append("  (not available now)", style="italic")
            keys = Text(", ".join(action.keys), style="bold" if action.enabled else "dim")
            table.add_row(keys, line)
        parts.append(table)
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath, over it; any help key or Escape closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("question_mark", "close", "Close", show=False, id="help.close_key"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        """The keys (scrolling if they do not fit) and a footer."""
        with Vertical(id="help-dialog", classes="dialog"), VerticalScroll(id="help-body"):
            yield Static(help_text(self.under), id="help-keys")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Focus the list so the arrow and page keys scroll it."""
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        """Back to the screen underneath."""
        self.dismiss(None)
