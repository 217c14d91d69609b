"""The agent's screen: interactions on one side, the linked contact's profile on the other.

The panes only show things and post messages; this screen calls the service (in worker
threads, never on the event loop) and hands the panes what to show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Static

from contact_tui.domain.model import (
    Contact,
    ContactType,
    Interaction,
    InteractionState,
    Permission,
)
from contact_tui.service import ContactService, InvalidInput, PermissionDenied
from contact_tui.store.errors import StoreError
from contact_tui.ui.actions import FormOpener
from contact_tui.ui.render import safe
from contact_tui.ui.screens.dialogs import FatalScreen
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.widgets.interaction_pane import InteractionPane
from contact_tui.ui.widgets.profile_pane import ProfilePane, ProfileView

# How often the screen looks for other agents' changes. A look costs two stat calls when
# nothing changed; the brief is "within a second".
POLL_SECONDS = 0.5

# action -> (permission it needs, what the agent would be doing), for the reasons shown
# when an action is not allowed.
GATED = {
    "add_to_contacts": (Permission.PROMOTE, "Add to Contacts"),
    "new_contact": (Permission.ADD, "Create New Contact"),
    "edit": (Permission.EDIT, "Edit"),
    "link": (Permission.VIEW, "Link"),
    "unlink": (Permission.VIEW, "Unlink"),
    "directory": (Permission.VIEW, "Directory"),
    "end_interaction": (Permission.VIEW, "End"),
}


class MainScreen(Screen[None]):
    """Interactions, profile, and every action on them."""

    BINDINGS = [
        Binding("a", "add_to_contacts", "Add to Contacts", id="main.add_to_contacts"),
        Binding("n", "new_contact", "New", id="main.new_contact", tooltip="Create New Contact"),
        Binding("e", "edit", "Edit", id="main.edit"),
        Binding("l", "link", "Link", id="main.link", tooltip="Link or change the contact"),
        Binding("u", "unlink", "Unlink", id="main.unlink"),
        Binding("d", "directory", "Directory", id="main.directory"),
        Binding("x", "end_interaction", "End", id="main.end", tooltip="End the interaction"),
        Binding("tab", "app.focus_next", "Next pane", id="main.next_pane", show=False),
    ]

    def __init__(
        self, open_service: Callable[[], ContactService], clock: Callable[[], datetime]
    ) -> None:
        super().__init__()
        self._open_service = open_service
        self.clock = clock
        self.service: ContactService | None = None
        self.interaction: Interaction | None = None
        self.contact: Contact | None = None
        self._refreshing = False
        self._pending_force = False
        self._known: set[str] | None = None
        self._contacts: dict[str, Contact] = {}
        self._last_error: str | None = None

    def compose(self) -> ComposeResult:
        """Agent bar, the two panes, footer."""
        yield Static("contact-tui  opening the store…", id="agent-bar")
        with Container(id="panes"):
            yield InteractionPane(id="interaction-pane")
            yield ProfilePane(id="profile-pane")
        # The palette (ctrl+p) is left out of this footer: at 80 columns every column counts.
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Draw at once, then open the store in a worker (a big store takes a moment)."""
        self.query_one(ProfilePane).show(ProfileView(None, None, loading=True))
        self.query_one("#interaction-pane").loading = True
        self._open()

    @work(thread=True, exclusive=True, group="store-open", exit_on_error=False)
    def _open(self) -> None:
        try:
            service = self._open_service()
        except Exception as err:  # any failure to open is shown, not a traceback
            message = str(err) or type(err).__name__
            self.app.call_from_thread(self.app.push_screen, FatalScreen(message))
            return
        self.app.call_from_thread(self._ready, service)

    def _ready(self, service: ContactService) -> None:
        self.service = service
        agent = service.agent
        self.query_one("#agent-bar", Static).update(
            Text.assemble(
                ("contact-tui", "bold"),
                f"  {safe(agent.user, 30)} ({safe(agent.role_label, 40)})",
                ("  store ", "dim"),
                safe(str(service.repo.path), 500),
                no_wrap=True,
                overflow="ellipsis",
            )
        )
        self.query_one("#interaction-pane").loading = False
        self.query_one("#interaction-list").focus()
        self.reload(force=True)
        self.set_interval(POLL_SECONDS, self.reload)

    # --- keeping up with the store -------------------------------------------------------

    def reload(self, force: bool = False) -> None:
        """Look for changes (ours or other agents') and repaint what changed."""
        if self.service is None:
            return
        if self._refreshing:
            # One look is under way; a forced one (after our own save) runs right after it.
            self._pending_force = self._pending_force or force
            return
        self._refreshing = True
        self._reload_worker(force)

    def _done_refreshing(self) -> None:
        self._refreshing = False
        if self._pending_force:
            self._pending_force = False
            self.reload(force=True)

    @work(thread=True, group="store-refresh", exit_on_error=False)
    def _reload_worker(self, force: bool) -> None:
        service = self.service
        assert service is not None
        try:
            changes = service.repo.refresh()
            if not changes and not force:
                self.app.call_from_thread(self._tick)
                return
            # Only the agent's own queue, and only with view (the service refuses the rest);
            # without it the profile notes say why the list is empty.
            interactions = service.interactions() if service.can(Permission.VIEW) else []
            contacts = self._contacts_for(service, interactions)
        except Exception as err:  # keep polling alive whatever happened; say what it was
            self.app.call_from_thread(self._store_failed, str(err) or type(err).__name__)
            return
        self.app.call_from_thread(self._apply, interactions, contacts)

    @staticmethod
    def _contacts_for(
        service: ContactService, interactions: list[Interaction]
    ) -> dict[str, Contact]:
        if not service.can(Permission.VIEW):
            return {}  # the profile says a contact is linked but not who
        ids = {i.contact_id for i in interactions if i.contact_id}
        ids.update(c for i in interactions for c in i.candidate_ids)
        return {c.id: c for c in service.contacts(ids)}

    def _tick(self) -> None:
        """Nothing changed: only the ages move on."""
        self._done_refreshing()
        pane = self.query_one(InteractionPane)
        pane.show(pane.interactions, self.clock())

    def _store_failed(self, message: str) -> None:
        self._done_refreshing()
        if self._last_error != message:
            self._last_error = message
            self.notify(message, title="Store problem", severity="error", markup=False, timeout=15)

    def _apply(self, interactions: list[Interaction], contacts: dict[str, Contact]) -> None:
        self._last_error = None
        self._contacts = contacts
        if self._known is not None:
            for interaction in interactions:
                if interaction.id not in self._known:
                    self.notify(
                        f"New {interaction.channel_label} from "
                        f"{safe(interaction.from_.name or interaction.from_.address, 40)}",
                        markup=False,
                    )
        self._known = {i.id for i in interactions}
        self.query_one(InteractionPane).show(interactions, self.clock())
        self._show_profile()
        self._done_refreshing()

    @on(InteractionPane.Selected)
    def _selected(self, event: InteractionPane.Selected) -> None:
        self.interaction = event.interaction
        self._show_profile()

    def _show_profile(self) -> None:
        contacts = self._contacts
        interaction = self.interaction = self.query_one(InteractionPane).selected
        contact = (
            contacts.get(interaction.contact_id) if interaction and interaction.contact_id else None
        )
        self.contact = contact
        candidates = (
            tuple(contacts[c] for c in interaction.candidate_ids if c in contacts)
            if interaction
            else ()
        )
        self.query_one(ProfilePane).show(
            ProfileView(interaction, contact, candidates, self._denied_notes())
        )
        self.refresh_bindings()

    def _denied_notes(self) -> tuple[str, ...]:
        """Which actions this agent may not take, grouped by the permission they need."""
        service = self.service
        if service is None:
            return ()
        missing: dict[Permission, list[str]] = {}
        for permission, label in GATED.values():
            if not service.can(permission):
                missing.setdefault(permission, []).append(label)
        if not missing:
            return ()
        hidden = (
            (f"Your interactions are not shown: that needs {Permission.VIEW.value}.",)
            if Permission.VIEW in missing
            else ()
        )
        if len(missing) == len({p for p, _ in GATED.values()}):
            return (
                *hidden,
                f"Your roles ({service.agent.role_label}) allow no contact actions. "
                "Ask your admin for the agent role.",
            )
        return hidden + tuple(
            f"Not allowed for you: {', '.join(labels)} (needs {permission.value})."
            for permission, labels in missing.items()
        )

    # --- which actions apply now ---------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide actions that do not apply; show the ones not permitted as disabled."""
        if action not in GATED:
            return True
        service = self.service
        if service is None:
            return None
        interaction, contact = self.interaction, self.contact
        applies = {
            "add_to_contacts": contact is not None and contact.type != ContactType.CURATED,
            "new_contact": True,
            "edit": contact is not None,
            "link": interaction is not None,
            "unlink": interaction is not None and interaction.contact_id is not None,
            "directory": True,
            "end_interaction": interaction is not None
            and interaction.state != InteractionState.ENDED,
        }[action]
        if not applies:
            return False
        if not service.can(GATED[action][0]):
            return None
        return True

    # --- actions -------------------------------------------------------------------------

    def _forms(self) -> FormOpener:
        assert self.service is not None
        return FormOpener(self.app, self.service)

    def _saved(self, contact: Contact | None) -> None:
        if contact is not None:
            self.notify(
                f"Saved {safe(contact.display_name, 40)} ({contact.type.value}, "
                f"version {contact.version}).",
                markup=False,
            )
        self.reload(force=True)

    def action_add_to_contacts(self) -> None:
        """Promote the linked ephemeral contact: the form opens with what it holds."""
        if self.contact is not None:
            self._forms().promote(self.contact, self.interaction, self._saved)

    def action_new_contact(self) -> None:
        """Create a contact, linked to the selected interaction."""
        self._forms().create(self.interaction, self._saved)

    def action_edit(self) -> None:
        """Edit the linked contact."""
        if self.contact is not None:
            self._forms().edit(self.contact, self.interaction, self._saved)

    def action_link(self) -> None:
        """Pick a contact from the directory for this interaction."""
        assert self.service is not None
        interaction = self.interaction
        if interaction is None:
            return

        def picked(contact_id: str | None) -> None:
            if contact_id:
                self._run(lambda s: s.link(interaction.id, contact_id), "Linked.")

        self.app.push_screen(DirectoryScreen(self.service, interaction, picking=True), picked)

    def action_directory(self) -> None:
        """Open the directory to search, open, edit or create contacts."""
        assert self.service is not None
        self.app.push_screen(
            DirectoryScreen(self.service, self.interaction, picking=False),
            lambda _: self.reload(force=True),
        )

    def action_unlink(self) -> None:
        """Detach the contact from the selected interaction."""
        interaction = self.interaction
        if interaction is not None:
            self._run(lambda s: s.unlink(interaction.id), "Unlinked.")

    def action_end_interaction(self) -> None:
        """Mark the selected interaction ended."""
        interaction = self.interaction
        if interaction is not None:
            self._run(lambda s: s.end_interaction(interaction.id), "Interaction ended.")

    @on(ProfilePane.CandidateChosen)
    def _candidate_chosen(self, event: ProfilePane.CandidateChosen) -> None:
        interaction = self.interaction
        if interaction is not None and event.contact_id != interaction.contact_id:
            contact_id = event.contact_id
            self._run(lambda s: s.link(interaction.id, contact_id), "Linked.")

    def _run(self, change: Callable[[ContactService], object], done: str) -> None:
        if self.service is not None:
            self._run_worker(change, done)

    @work(thread=True, group="store-write", exit_on_error=False)
    def _run_worker(self, change: Callable[[ContactService], object], done: str) -> None:
        assert self.service is not None
        try:
            change(self.service)
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.app.call_from_thread(
                self.notify, str(err), severity="error", markup=False, timeout=10
            )
            return
        self.app.call_from_thread(self.notify, done, markup=False)
        self.app.call_from_thread(self.reload, True)
