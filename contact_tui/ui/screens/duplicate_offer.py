"""The offer the contact form makes when a save would duplicate a stored contact: the contacts
already holding its numbers or addresses, why, and one key for each way on (issue 13).

Merging into the stored contact is offered only on Add to Contacts (the form promotes the
caller's ephemeral contact) to an agent who may merge: the form answers it with the service's
merge, which does not take what the agent typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from contact_tui.domain.duplicates import DuplicateMatch
from contact_tui.ui.render import safe
from contact_tui.ui.widgets.keys_footer import KeysFooter


class Choice(StrEnum):
    """What the agent chose to do about the duplicate."""

    OPEN = "open"  # see the stored contact (read-only); the form stays as it was
    LINK = "link"  # link the current interaction to the stored contact; save nothing
    SAVE = "save"  # save anyway, beside the stored contact
    MERGE = "merge"  # merge the caller's ephemeral contact into the stored one; save nothing


@dataclass(frozen=True)
class Answer:
    """The choice, and the stored contact it is about."""

    choice: Choice
    match: DuplicateMatch


class DuplicateOffer(ModalScreen[Answer | None]):
    """The likely duplicates of the contact about to be saved; Escape goes back to the form
    with everything typed still there."""

    BINDINGS = [
        Binding("o", "answer('open')", "Open it", id="duplicate.open"),
        Binding("l", "answer('link')", "Link instead", id="duplicate.link"),
        Binding("s", "answer('save')", "Save anyway", id="duplicate.save"),
        Binding("m", "answer('merge')", "Merge into it", id="duplicate.merge"),
        Binding("escape", "back", "Back to the form", id="duplicate.back"),
    ]

    def __init__(
        self, matches: tuple[DuplicateMatch, ...], can_link: bool, can_merge: bool = False
    ) -> None:
        super().__init__()
        self.matches = matches
        self.can_link = can_link
        self.can_merge = can_merge

    def compose(self) -> ComposeResult:
        """What matched, the list of contacts, the keys."""
        many = len(self.matches) > 1
        with Vertical(classes="dialog", id="duplicate-dialog"):
            yield Static(
                Text.assemble(
                    ("Not saved yet: ", "bold"),
                    f"{len(self.matches)} other contacts already have"
                    if many
                    else "another contact already has",
                    " a number or address you entered.",
                ),
                classes="dialog-title",
            )
            yield OptionList(
                *(Option(self._line(m), id=m.contact.id) for m in self.matches),
                id="duplicate-list",
            )
            yield Static(self._keys(), id="duplicate-keys", classes="dialog-text")
        yield KeysFooter(compact=True)

    @staticmethod
    def _line(match: DuplicateMatch) -> Text:
        contact = match.contact
        return Text.assemble(
            (safe(contact.display_name, 40), "bold"),
            f" ({contact.type.value}) ",
            safe(", ".join(match.reasons), 120),
        )

    def _keys(self) -> Text:
        """The keys, in words: the footer may be cut at 80 columns."""
        parts = [("o", "open it")]
        if self.can_link:
            parts.append(("l", "link this interaction to it instead"))
        if self.can_merge:
            parts.append(
                ("m", "merge the caller's contact into it (your typed changes are not saved)")
            )
        parts += [("s", "save anyway"), ("esc", "back to the form")]
        line = Text()
        for n, (key, what) in enumerate(parts):
            line.append(("  " if n else "") + key, style="bold")
            line.append(f" {what}")
        return line

    def on_mount(self) -> None:
        """The first match is highlighted; the arrows choose another."""
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Link applies only when the form has an interaction the agent may link; merge only
        when the form promotes an ephemeral contact and the agent may merge."""
        if action == "answer" and parameters == ("link",):
            return self.can_link
        if action == "answer" and parameters == ("merge",):
            return self.can_merge
        return True

    def action_answer(self, choice: str) -> None:
        """Close with the choice, about the highlighted contact."""
        index = self.query_one(OptionList).highlighted or 0
        self.dismiss(Answer(Choice(choice), self.matches[index]))

    def action_back(self) -> None:
        """Back to the form, nothing chosen."""
        self.dismiss(None)
