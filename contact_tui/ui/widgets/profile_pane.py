"""The profile of the contact linked to the selected interaction."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from contact_tui.domain.model import AuditRecord, Channel, Contact, Interaction, Note, Platform
from contact_tui.domain.present import first_reachable
from contact_tui.ui import gating
from contact_tui.ui.render import contact_details, contact_history, contact_notes_text, safe


@dataclass(frozen=True)
class ProfileView:
    """What the profile pane shows: a contact, the candidates to choose from, and notes.

    ``hint`` is what the agent may do about an interaction with no contact ("" when nothing
    is allowed); ``choose_key`` is the key that opens the candidate list ("" when choosing is
    not allowed); ``merge_key`` the key that merges the contact into a customer ("" when
    merging does not apply or is not allowed). The screen builds them from what this agent may
    do, with their own keys."""

    interaction: Interaction | None
    contact: Contact | None
    candidates: tuple[Contact, ...] = ()
    notes: tuple[str, ...] = ()
    loading: bool = False
    hint: str = ""
    choose_key: str = ""
    # The contact's interactions the agent may read, newest first; None while unknown (not
    # read yet, or the agent may not see them).
    history: tuple[Interaction, ...] | None = None
    # The key that writes the selected interaction's wrap-up note ("" when not allowed).
    wrap_up_key: str = ""
    # The shown contact's notes, newest first (None: not read yet), and the key that adds one
    # ("" when the agent may not).
    contact_notes: tuple[Note, ...] | None = None
    note_key: str = ""
    # The key that lists the notes to read each whole, edit or delete one ("": not allowed).
    notes_key: str = ""
    merge_key: str = ""
    # The standing merges into the shown contact (shown among its history), and the key that
    # lists them to undo one ("" when the agent may not).
    merges: tuple[AuditRecord, ...] = ()
    undo_merge_key: str = ""
    # The store's region: the history formats the numbers interactions came from for it.
    region: str = "US"


def candidate_label(contact: Contact) -> Text:
    """One line per matching contact: name, type, first phone or email."""
    return Text.assemble(
        safe(contact.display_name, 40),
        (f"  {contact.type.value}", "italic"),
        f"  {safe(first_reachable(contact), 30)}",
    )


def several_match(view: ProfileView) -> bool:
    """True when the interaction matched more than one contact that still exists."""
    return gating.several_match(view.interaction, view.candidates)


def matches_line(view: ProfileView) -> Text:
    """What the profile says about several matching contacts, true to the link as it is now:
    the first created is linked at arrival, but the agent may have chosen or unlinked since."""
    count = len(view.candidates)
    linked = view.contact.id if view.contact else None
    if linked is None:
        state, verb = "none is linked", "choose one"
    elif linked == view.candidates[0].id:
        state, verb = "linked: the first created", "choose another"
    else:
        state, verb = "linked: the one chosen", "change it"
    line = Text.assemble((f"{count} contacts match", "bold"), f"; {state}.")
    if view.choose_key:
        line.append(f" Press {view.choose_key} to {verb}.")
    return line


class ProfilePane(VerticalScroll):
    """Shows its :attr:`view`, which its screen assigns; posts
    :class:`ProfilePane.CandidateChosen`."""

    # What the pane shows. Assigning an equal view does nothing; a new one repaints the parts
    # that changed (see watch_view).
    view: var[ProfileView] = var(ProfileView(None, None), init=False)

    class CandidateChosen(Message):
        """The agent picked one of several matching contacts."""

        def __init__(self, contact_id: str) -> None:
            super().__init__()
            self.contact_id = contact_id

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        # What each part shows now: a part is repainted only when its text changes, so moving
        # between interactions of one contact sends the terminal nothing for the profile.
        self._shown: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        """Badge and name, the several-matches line, details, candidates, notes."""
        yield Static("Profile", classes="pane-title")
        with Horizontal(id="profile-head"):
            yield Static("", id="profile-badge")
            yield Static("", id="profile-name")
        yield Static("", id="profile-matches", classes="hidden")
        yield Static("", id="profile-details")
        yield Static("", id="profile-contact-notes", classes="hidden")
        yield Static("", id="profile-merge", classes="hidden")
        yield OptionList(id="candidates", classes="hidden")
        yield Static("", id="profile-history", classes="hidden")
        yield Static("", id="profile-notes")

    def _set(self, widget_id: str, content: Text | str, hidden: bool | None = None) -> None:
        """Put ``content`` in a Static (and show or hide it) unless it already shows that."""
        widget = self.query_one(f"#{widget_id}", Static)
        if hidden is not None:
            widget.set_class(hidden, "hidden")
        if self._shown.get(widget_id) != content:
            self._shown[widget_id] = content
            widget.update(content)

    def watch_view(self, view: ProfileView) -> None:
        """Repaint from the new ``view``, only the parts that changed."""
        contact = view.contact
        badge = self.query_one("#profile-badge", Static)
        kind = "" if view.loading or (contact is None and view.interaction is None) else "-none"
        badge_text = ""
        if view.loading:
            self._set("profile-name", Text("Opening the store…"))
            self._set("profile-details", "")
        elif contact is not None:
            kind, badge_text = f"-{contact.type.value.lower()}", f" {contact.type.value.upper()} "
            self._set("profile-name", Text(safe(contact.display_name, 120), style="bold"))
            self._set("profile-details", contact_details(contact))
        elif view.interaction is None:
            self._set("profile-name", Text("No interaction selected."))
            self._set("profile-details", "")
        elif view.interaction.contact_id is not None:
            kind, badge_text = "-identified", " LINKED "
            self._set("profile-name", Text("A contact is linked to this interaction."))
            self._set(
                "profile-details",
                Text("Seeing it needs the externalContacts:contact:view permission."),
            )
        else:
            badge_text = " NO CONTACT "
            self._set("profile-name", Text("No contact is linked to this interaction."))
            self._set("profile-details", Text(view.hint))
        for name in ("-ephemeral", "-curated", "-identified", "-none"):
            badge.set_class(name == kind, name)
        badge.set_class(not badge_text, "hidden")
        self._set("profile-badge", Text(badge_text))
        self._show_contact_notes(view)
        self._show_candidates(view)
        shows_history = contact is not None and not view.loading and view.history is not None
        self._set(
            "profile-history",
            contact_history(
                view.history or (), view.wrap_up_key, view.merges, view.undo_merge_key, view.region
            )
            if shows_history
            else "",
            hidden=not shows_history,
        )
        # The Merge key is not in the footer (no room at 80 columns): named where it applies.
        offer = (
            f"A customer {new_identity(view.interaction)}? Press {view.merge_key} to merge "
            "this contact into theirs."
        )
        self._set(
            "profile-merge",
            Text(offer if view.merge_key else ""),
            hidden=not view.merge_key or contact is None,
        )
        # Notes quote role names and permissions from the admin config: made safe too.
        notes = Text("\n".join(safe(n, 400) for n in view.notes), style="italic")
        self._set("profile-notes", notes, hidden=not view.notes)

    def _show_contact_notes(self, view: ProfileView) -> None:
        """The contact's notes (written by agents: customer text, shown safely), once read."""
        if view.contact is None or view.loading or view.contact_notes is None:
            self._set("profile-contact-notes", "", hidden=True)
            return
        text = contact_notes_text(view.contact_notes, view.note_key, view.notes_key)
        self._set("profile-contact-notes", text, hidden=False)

    def _show_candidates(self, view: ProfileView) -> None:
        options = self.query_one("#candidates", OptionList)
        several = several_match(view)
        options.set_class(not several, "hidden")
        if not several:
            self._set("profile-matches", "", hidden=True)
            self._shown.pop("candidates", None)
            return
        self._set("profile-matches", matches_line(view), hidden=False)
        current = view.contact.id if view.contact else None
        listed = (current, tuple((c.id, c.version) for c in view.candidates))
        if self._shown.get("candidates") == listed:
            return
        self._shown["candidates"] = listed
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


def new_identity(interaction: Interaction | None) -> str:
    """How a known customer reaches the agent unrecognised, in the interaction's own terms:
    calling or texting from a new number, writing from a new address, messaging from a new
    account."""
    if interaction is None or interaction.channel == Channel.VOICE:
        return "calling from a new number"
    if interaction.channel == Channel.EMAIL:
        return "writing from a new address"
    if interaction.platform is None or interaction.platform == Platform.SMS:
        return "texting from a new number"
    return f"messaging from a new {interaction.platform.label} account"
