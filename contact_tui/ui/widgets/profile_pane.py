"""The profile of the contact linked to the selected interaction."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from contact_tui.domain.model import Contact, ContactType, Interaction, MatchKind
from contact_tui.ui.render import contact_details, safe


@dataclass(frozen=True)
class ProfileView:
    """What the profile pane shows: a contact, the candidates to choose from, and notes."""

    interaction: Interaction | None
    contact: Contact | None
    candidates: tuple[Contact, ...] = ()
    notes: tuple[str, ...] = ()
    loading: bool = False


def candidate_label(contact: Contact) -> Text:
    """One line per matching contact: name, type, first phone or email."""
    first = next((p.display for _, p in contact.phones()), "") or next(
        (e for _, e in contact.emails()), ""
    )
    return Text.assemble(
        safe(contact.display_name, 40),
        (f"  {contact.type.value}", "italic"),
        f"  {safe(first, 30)}",
    )


class ProfilePane(VerticalScroll):
    """Shows a :class:`ProfileView`; posts :class:`ProfilePane.CandidateChosen`."""

    class CandidateChosen(Message):
        """The agent picked one of several matching contacts."""

        def __init__(self, contact_id: str) -> None:
            super().__init__()
            self.contact_id = contact_id

    def compose(self) -> ComposeResult:
        """Badge, name, details, candidates, notes."""
        yield Static("Profile", classes="pane-title")
        yield Static("", id="profile-badge")
        yield Static("", id="profile-name")
        yield Static("", id="profile-details")
        yield Static("", id="profile-matches", classes="hidden")
        yield OptionList(id="candidates", classes="hidden")
        yield Static("", id="profile-notes")

    def show(self, view: ProfileView) -> None:
        """Repaint from ``view``."""
        badge = self.query_one("#profile-badge", Static)
        name = self.query_one("#profile-name", Static)
        details = self.query_one("#profile-details", Static)
        contact = view.contact
        badge.remove_class("-ephemeral", "-curated", "-identified", "-none")
        if view.loading:
            badge.update("")
            name.update(Text("Opening the store…"))
            details.update("")
        elif contact is not None:
            badge.add_class(f"-{contact.type.value.lower()}")
            badge.update(Text(f" {contact.type.value.upper()} "))
            name.update(Text(safe(contact.display_name, 120), style="bold"))
            details.update(contact_details(contact))
        elif view.interaction is None:
            badge.update("")
            name.update(Text("No interaction selected."))
            details.update("")
        elif view.interaction.contact_id is not None:
            badge.add_class("-identified")
            badge.update(Text(" LINKED "))
            name.update(Text("A contact is linked to this interaction."))
            details.update(Text("Seeing it needs the externalContacts:contact:view permission."))
        else:
            badge.add_class("-none")
            badge.update(Text(" NO CONTACT "))
            name.update(Text("No contact is linked to this interaction."))
            details.update(
                Text("Press n to create a contact, or l to link one from the directory.")
            )
        self._show_candidates(view)
        notes = self.query_one("#profile-notes", Static)
        # Notes quote role names and permissions from the admin config: made safe too.
        notes.update(Text("\n".join(safe(n, 400) for n in view.notes), style="italic"))
        notes.set_class(not view.notes, "hidden")

    def _show_candidates(self, view: ProfileView) -> None:
        title = self.query_one("#profile-matches", Static)
        options = self.query_one("#candidates", OptionList)
        several = (
            view.interaction is not None
            and view.interaction.match == MatchKind.MULTIPLE
            and len(view.candidates) > 1
        )
        title.set_class(not several, "hidden")
        options.set_class(not several, "hidden")
        if not several:
            return
        title.update(
            Text.assemble(
                (f"{len(view.candidates)} contacts match. ", "bold"),
                "Linked: the first created. Choose another with Enter:",
            )
        )
        current = view.contact.id if view.contact else None
        highlighted = options.highlighted
        options.clear_options()
        for candidate in view.candidates:
            marker = "● " if candidate.id == current else "  "
            options.add_option(Option(Text(marker) + candidate_label(candidate), id=candidate.id))
        if highlighted is None or highlighted >= len(view.candidates):
            # Start on the linked contact, so Down then Enter picks the next one.
            ids = [c.id for c in view.candidates]
            highlighted = ids.index(current) if current in ids else 0
        options.highlighted = highlighted

    @on(OptionList.OptionSelected, "#candidates")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.post_message(self.CandidateChosen(event.option.id))


def is_curated(contact: Contact | None) -> bool:
    """True for a curated contact (no Add to Contacts for it)."""
    return contact is not None and contact.type == ContactType.CURATED
