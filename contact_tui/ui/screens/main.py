"""The agent's screen: interactions on one side, the linked contact's profile on the other.

The panes only show things and post messages; this screen calls the service (in worker
threads, never on the event loop; they post their results back as messages) and hands the
panes what to show. It is made with the service already open (``screens.opening`` opens it).

An idle screen costs next to nothing and sends the terminal nothing: the store's folder is
watched (inotify, see ``store.watch``) and the store is read in a worker only when a file in it
changed (a database's notifications, and its store's look every few seconds at what was
committed, one query that changes nothing when nothing was); ages are repainted only when one
of their texts changes, and then only those cells.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.worker import Worker

from contact_tui.domain.model import (
    AuditRecord,
    Contact,
    ContactType,
    Interaction,
    Note,
)
from contact_tui.domain.permissions import UseCase
from contact_tui.service import (
    Change,
    ContactService,
    InvalidInput,
    MergeOutcome,
    PermissionDenied,
    StoreError,
    StoreWatch,
    UnmergeOutcome,
)
from contact_tui.ui import gating
from contact_tui.ui.actions import FormOpener
from contact_tui.ui.gating import GATED as GATED  # opening.py imports it from here
from contact_tui.ui.gating import Selection
from contact_tui.ui.protocols import FollowsStore, ForwardsWorkerErrors, WorkerResult
from contact_tui.ui.render import safe
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.directory import DirectoryScreen, merge_key
from contact_tui.ui.screens.merge import (
    MergesScreen,
    merged_notice,
    unmerge_lines,
)
from contact_tui.ui.screens.note_dialog import NoteDialog
from contact_tui.ui.screens.notes import NotesScreen
from contact_tui.ui.screens.sizing import take_size_classes
from contact_tui.ui.screens.wrap_up import WrapUpDialog
from contact_tui.ui.widgets.interaction_pane import InteractionPane, sender_address
from contact_tui.ui.widgets.keys_footer import KeysFooter
from contact_tui.ui.widgets.profile_pane import ProfilePane, ProfileView

# Where inotify cannot be had, how often the screen compares the store files' sizes and times
# (two lstat calls on the event loop; the store is read in a worker only when they differ).
POLL_SECONDS = 0.5

# Seconds a notice stays in the notice line when its sender gave no time.
NOTICE_SECONDS: dict[SeverityLevel, float] = {"information": 4, "warning": 8, "error": 12}
# Notices shown at once (the newest); older ones wait out their time unseen.
MAX_NOTICES = 3


def main_layout(agent_bar: Text | str, *, opening: bool = False) -> ComposeResult:
    """Agent bar, the two panes, the notice line, footer: the main screen, and the opening
    screen while the store opens (so nothing moves once it is open)."""
    yield Static(agent_bar, id="agent-bar")
    with Container(id="panes"):
        # While the store opens a loading indicator covers the interaction pane: an empty box
        # of its size stands in for it (making the table only to hide it cost a fifth of a start).
        yield Vertical(id="interaction-pane") if opening else InteractionPane(id="interaction-pane")
        yield ProfilePane(id="profile-pane")
    # Notices (saved, linked, a new interaction, errors) go here rather than in toasts:
    # a toast would cover the profile at 80x24; this line pushes it up instead.
    yield Static("", id="notices", classes="hidden")
    # The palette (ctrl+p) is left out of this footer: at 80 columns every column counts.
    # The app's Quit is left out: with Add to Contacts and Merge shown (the caller's contact not
    # yet in Contacts) the footer fills 80 columns without it. Help and the palette list it.
    yield KeysFooter(compact=True, show_command_palette=False, leave_out=frozenset({"quit"}))


class MainScreen(ForwardsWorkerErrors, Screen[None]):
    """Interactions, profile, and every action on them, over an open service."""

    class StoreRefreshed(WorkerResult):
        """A look at the store found changes (or was forced): what to show now."""

        def __init__(
            self, interactions: list[Interaction], contacts: dict[str, Contact], region: str
        ) -> None:
            super().__init__()
            self.interactions = interactions
            self.contacts = contacts
            self.region = region

    class StoreUnchanged(WorkerResult):
        """A look at the store found nothing new."""

    class StoreChanged(WorkerResult):
        """A look at the store found ``changes``: for the screens over this one that follow
        the store (the merge preview), whether or not they concern this one."""

        def __init__(self, changes: list[Change]) -> None:
            super().__init__()
            self.changes = changes

    class StoreFailed(WorkerResult):
        """The store could not be read, for the reason given."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    class ChangeSaved(WorkerResult):
        """A change (link, unlink, end) is stored; ``done`` says which."""

        def __init__(self, done: str) -> None:
            super().__init__()
            self.done = done

    class HistoryRead(WorkerResult):
        """A contact's interactions (None when they could not be read, for ``problem``) and
        the merges into it that stand (MERGE audit records, newest first)."""

        def __init__(
            self,
            contact_id: str,
            history: tuple[Interaction, ...] | None,
            problem: str = "",
            merges: tuple[AuditRecord, ...] = (),
            epoch: int = 0,
        ) -> None:
            super().__init__()
            self.contact_id = contact_id
            self.history = history
            self.problem = problem
            self.merges = merges
            self.epoch = epoch  # the look at the store the read started after

    class ChangeRefused(WorkerResult):
        """A change was refused or could not be written, for the reason given."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    class NotesLoaded(WorkerResult):
        """The notes of the contact ``contact_id``, newest first."""

        def __init__(self, contact_id: str, notes: tuple[Note, ...]) -> None:
            super().__init__()
            self.contact_id = contact_id
            self.notes = notes

    BINDINGS = [
        Binding("a", "add_to_contacts", "Add to Contacts", id="main.add_to_contacts"),
        # Next to Add to Contacts: the two ways an unknown caller's contact ends up in Contacts.
        Binding(
            "m",
            "merge",
            "Merge",
            id="main.merge",
            tooltip="Merge this caller's contact into the customer they are",
        ),
        Binding("n", "new_contact", "New", id="main.new_contact", tooltip="Create New Contact"),
        Binding("e", "edit", "Edit", id="main.edit"),
        Binding("l", "link", "Link", id="main.link", tooltip="Link or change the contact"),
        Binding("u", "unlink", "Unlink", id="main.unlink"),
        Binding(
            "c",
            "choose_contact",
            "Choose",
            id="main.choose_contact",
            tooltip="Choose among the contacts that match",
        ),
        Binding("d", "directory", "Directory", id="main.directory"),
        Binding("x", "end_interaction", "End", id="main.end", tooltip="End the interaction"),
        # Not in the footer: at 80 columns it is full (with Add to Contacts shown, "? Help"
        # would be cut off); the profile's history names the key instead.
        Binding(
            "w",
            "wrap_up",
            "Wrap-up",
            id="main.wrap_up",
            show=False,
            tooltip="Write the selected interaction's wrap-up note",
        ),
        # Not in the footer: with Add to Contacts shown, "? Help" would be cut off at 80
        # columns; the profile's notes heading names the key.
        Binding(
            "t",
            "add_note",
            "Note",
            id="main.add_note",
            show=False,
            tooltip="Add a note to the contact",
        ),
        # Not in the footer either: the profile's notes heading names it.
        Binding(
            "T",
            "notes",
            "Notes",
            id="main.notes",
            show=False,
            tooltip="The contact's notes: read each whole, edit or delete one",
        ),
        # Not in the footer either: the notice after a merge names it, as do the help and the
        # palette.
        Binding(
            "M",
            "merges",
            "Undo a merge",
            id="main.merges",
            show=False,
            tooltip="The merges into this contact: undo one",
        ),
        # Erasure is a supervisor's, rare, and cannot be undone: not in the footer (it is full
        # at 80 columns), a shifted key so a slip of "d" only opens a question that keeps.
        Binding(
            "D",
            "erase",
            "Erase",
            id="main.erase",
            show=False,
            tooltip="Erase the shown contact for an erasure request (asks first)",
        ),
        Binding("tab", "app.focus_next", "Next pane", id="main.next_pane", show=False),
        Binding("escape", "to_list", "Interactions", id="main.to_list", show=False),
    ]

    # What the footer shows of each gated action (True shown, False hidden, None dimmed). The
    # footer redraws itself when this changes, and only then: a footer repaint is a full line
    # of bytes, on every cursor move otherwise.
    gates: reactive[tuple[bool | None, ...]] = reactive((), repaint=False, bindings=True)

    def __init__(
        self,
        service: ContactService,
        clock: Callable[[], datetime],
        watch: StoreWatch | None = None,
    ) -> None:
        super().__init__()
        take_size_classes(self)
        self.service = service
        self.clock = clock
        self._first_watch = watch  # made with the service, off the event loop
        self.interaction: Interaction | None = None
        self.contact: Contact | None = None
        # The first look at the store is under way from the start (it starts on mount).
        self._refreshing = True
        # A look asked for while one ran: None for none, else whether it must be forced.
        self._pending: bool | None = None
        self._known: set[str] | None = None
        self._contacts: dict[str, Contact] = {}
        self._region = "US"
        # Contacts' histories as last read; those read since the last look at the store are
        # fresh, the others are shown until the new read lands (no flicker), and one read
        # runs per contact at a time.
        self._history: dict[str, tuple[Interaction, ...]] = {}
        # The standing merges into each contact, read with its history (shown among it).
        self._merges: dict[str, tuple[AuditRecord, ...]] = {}
        self._history_fresh: set[str] = set()
        self._history_reading: set[str] = set()
        # Counts looks at the store: a read that started before the latest look may have
        # missed its change, so it is shown but not fresh, and read again.
        self._history_epoch = 0
        self._last_error: str | None = None
        self._watch: StoreWatch | None = None
        self._trouble = ""
        self._watch_fd: int | None = None
        self._poll: Timer | None = None
        self._recheck: Timer | None = None
        self._ages: Timer | None = None
        # Notices shown in the notice line: (number, text, severity), oldest first.
        self._notices: list[tuple[int, Text, SeverityLevel]] = []
        self._notice_count = 0
        # The shown contact's notes, as last read: (contact id, notes).
        self._contact_notes: tuple[str, tuple[Note, ...]] | None = None

    def compose(self) -> ComposeResult:
        """Agent bar (who, and which store), the two panes, the notice line, footer."""
        yield from main_layout(self._agent_bar())

    def _agent_bar(self, trouble: str = "") -> Text:
        """Who, which store, and what keeps the app from seeing others' changes, if anything
        (the database is being reconnected to)."""
        agent = self.service.agent
        return Text.assemble(
            ("contact-tui", "bold"),
            f"  {safe(agent.user, 30)} ({safe(agent.role_label, 40)})",
            *((("  " + trouble, "bold reverse"),) if trouble else ()),
            ("  store ", "dim"),
            safe(self.service.store_location, 500),
            no_wrap=True,
            overflow="ellipsis",
        )

    def on_mount(self) -> None:
        """Take the first look at the store, and watch it for changes from then on."""
        self.query_one(ProfilePane).view = ProfileView(None, None, loading=True)
        self.query_one("#interaction-list").focus()
        self._start_watching(first=self._first_watch)
        self._reload_worker(True)

    def on_unmount(self) -> None:
        """Stop watching the store."""
        self._stop_watching()

    # --- keeping up with the store -------------------------------------------------------

    def _start_watching(
        self, after: StoreWatch | None = None, first: StoreWatch | None = None
    ) -> None:
        """Wake when the store may have changed: on the store's descriptor where it has one
        (inotify on the embedded store's folder, the database's notifications), else on a
        timer that asks it. ``after``: the watch that ended, which the store replaces;
        ``first``: a watch already made (the opening screen makes it in its worker)."""
        watch = self._watch = first or self.service.watch(after)
        self._show_trouble(watch.trouble)
        fd = watch.fileno()
        if fd is not None:
            self._watch_fd = fd
            asyncio.get_running_loop().add_reader(fd, self._store_touched)
            # The database's watch also has its store look at what was committed now and
            # then (a session need not send its notices); a look finding nothing paints nothing.
            if watch.recheck_seconds is not None:
                self._recheck = self.set_interval(watch.recheck_seconds, self._store_touched)
            return
        self._poll = self.set_interval(POLL_SECONDS, self._store_touched)

    def _stop_waking(self) -> None:
        """Stop waking for the current watch (it is not closed)."""
        if self._watch_fd is not None:
            asyncio.get_running_loop().remove_reader(self._watch_fd)
            self._watch_fd = None
        for timer in (self._poll, self._recheck):
            if timer is not None:
                timer.stop()
        self._poll = self._recheck = None

    def _stop_watching(self) -> None:
        self._stop_waking()
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def _show_trouble(self, trouble: str) -> None:
        """Say in the agent bar what keeps others' changes from showing, or nothing."""
        if trouble != self._trouble:
            self._trouble = trouble
            self.query_one("#agent-bar", Static).update(self._agent_bar(trouble))

    def _store_touched(self) -> None:
        """The watch fired (or the fallback timer ticked): read the store if it changed."""
        watch = self._watch
        if watch is None or not watch.changed():
            return
        if not watch.alive:
            # This watch has done its part (the embedded store's folder was moved or removed,
            # or the database connection was lost, or has come back): the store gives the one
            # that carries on from it.
            self._stop_waking()
            self._start_watching(after=watch)
            watch.close()
        self.call_later(self.reload)

    def reload(self, force: bool = False) -> None:
        """Look for changes (ours or other agents') and repaint what changed."""
        if self._refreshing:
            # One look is under way; another runs right after it (forced if either asked).
            self._pending = bool(self._pending) or force
            return
        self._refreshing = True
        self._reload_worker(force)

    @on(StoreUnchanged)
    def _done_refreshing(self) -> None:
        self._refreshing = False
        if self._pending is not None:
            force, self._pending = self._pending, None
            self.reload(force=force)

    @work(
        thread=True,
        group="store-refresh",
        exit_on_error=False,
        name="Looking for changes in the store",
        description="the main screen's look at the store after its files changed",
    )
    def _reload_worker(self, force: bool) -> None:
        service = self.service
        try:
            changes = service.refresh()
            if changes:
                self.post_message(self.StoreChanged(changes))
            if not force and not self._concerns(changes):
                self.post_message(self.StoreUnchanged())
                return
            # Only the agent's own queue, and only with view (the service refuses the rest);
            # without it the profile notes say why the list is empty.
            interactions = (
                service.interactions() if service.allowed(UseCase.READ_INTERACTIONS) else []
            )
            contacts = self._contacts_for(service, interactions)
            region = service.region
        except Exception as err:  # keep watching whatever happened; say what it was
            self.post_message(self.StoreFailed(str(err) or type(err).__name__))
            return
        self.post_message(self.StoreRefreshed(interactions, contacts, region))

    @on(StoreChanged)
    def _tell_followers(self, event: StoreChanged) -> None:
        for screen in self.app.screen_stack:
            if screen is not self and isinstance(screen, FollowsStore):
                screen.store_changed(event.changes)

    def _concerns(self, changes: list[Change]) -> bool:
        """True when a change may alter what this screen shows: one of its interactions or
        contacts, an interaction that may be new in this agent's queue, a setting, or a
        reload of everything. Others' saves of contacts no one here shows are passed over,
        so a busy centre's changes cost an idle screen nothing but reading the news."""
        known, shown = self._known, self._contacts
        if known is None:
            return bool(changes)
        me = self.service.agent.user
        for change in changes:
            if change.table == "contacts" and change.id not in shown:
                continue
            if (
                change.table == "interactions"
                and change.id not in known
                and change.agent not in ("", me)
            ):
                continue  # new in another agent's queue
            if change.table == "audit":
                continue
            return True
        return False

    @staticmethod
    def _contacts_for(
        service: ContactService, interactions: list[Interaction]
    ) -> dict[str, Contact]:
        if not service.allowed(UseCase.VIEW_CONTACTS):
            return {}  # the profile says a contact is linked but not who
        ids = {i.contact_id for i in interactions if i.contact_id}
        ids.update(c for i in interactions for c in i.candidate_ids)
        return {c.id: c for c in service.contacts(ids)}

    @on(StoreFailed)
    def _store_failed(self, event: StoreFailed) -> None:
        message = event.message
        self._done_refreshing()
        if self._last_error != message:
            self._last_error = message
            self.notify(message, title="Store problem", severity="error", markup=False, timeout=15)

    @on(StoreRefreshed)
    def _apply(self, event: StoreRefreshed) -> None:
        interactions, contacts, region = event.interactions, event.contacts, event.region
        self._last_error = None
        self._contacts = contacts
        self._region = region
        if self._known is not None:
            for interaction in interactions:
                if interaction.id not in self._known:
                    sender = interaction.from_.name or sender_address(interaction, region)
                    self.notify(
                        f"New {interaction.channel_label} from {safe(sender, 40)}", markup=False
                    )
        self._known = {i.id for i in interactions}
        self._history_fresh.clear()
        self._history_epoch += 1
        self.query_one(InteractionPane).show(interactions, self.clock(), contacts, region)
        self._show_profile()
        if self.contact is not None:
            self._load_notes(self.contact.id)  # a change may have been to its notes
        self._ages_due()
        self._done_refreshing()

    def _ages_due(self) -> None:
        """Repaint the ages that changed, and come back when the next one will."""
        if self._ages is not None:
            self._ages.stop()
        wait = self.query_one(InteractionPane).refresh_ages(self.clock())
        # A little after the change, so the clock has surely passed it.
        self._ages = None if wait is None else self.set_timer(wait + 0.05, self._ages_due)

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
        may_choose = self.check_action("choose_contact", ()) is True
        notes = None
        if contact is not None and self._contact_notes is not None:
            notes = self._contact_notes[1] if self._contact_notes[0] == contact.id else None
        if contact is not None and notes is None:
            self._load_notes(contact.id)
        may_note = self.check_action("add_note", ()) is True
        # Not check_action: on a curated contact it lets m say where merging is done.
        may_merge = gating.main_gate("merge", self._selection(), self.service.agent) is True
        may_undo = self.check_action("merges", ()) is True
        self.query_one(ProfilePane).view = ProfileView(
            interaction,
            contact,
            self._candidates(),
            self._denied_notes(),
            hint=self._hint(),
            choose_key=self._key_for("choose_contact") if may_choose else "",
            history=self._history_of(contact),
            wrap_up_key=self._key_for("wrap_up") if self._may("wrap_up") else "",
            contact_notes=notes,
            note_key=self._key_for("add_note") if may_note else "",
            notes_key=self._key_for("notes") if self._may("notes") else "",
            merge_key=self._key_for("merge") if may_merge else "",
            merges=self._merges.get(contact.id, ()) if contact is not None else (),
            undo_merge_key=self._key_for("merges") if may_undo else "",
            region=self._region,
        )
        self.gates = tuple(self.check_action(action, ()) for action in GATED)

    def _history_of(self, contact: Contact | None) -> tuple[Interaction, ...] | None:
        """The contact's history as last read (None: not yet, or not the agent's to see),
        starting a read when it is not fresh."""
        if contact is None or not self.service.allowed(UseCase.CONTACT_HISTORY):
            return None
        if contact.id not in self._history_fresh and contact.id not in self._history_reading:
            self._history_reading.add(contact.id)
            self._read_history(contact.id, self._history_epoch)
        return self._history.get(contact.id)

    @work(
        thread=True,
        group="history",
        exit_on_error=False,
        name="Reading the contact's history",
        description="the main screen's read of the selected contact's interactions",
    )
    def _read_history(self, contact_id: str, epoch: int) -> None:
        service = self.service
        try:
            history = tuple(service.contact_history(contact_id))
            merges: tuple[AuditRecord, ...] = ()
            if service.allowed(UseCase.VIEW_CONTACTS):
                merges = tuple(service.merges_into(contact_id))
        except Exception as err:  # say what it was; the profile goes on without it
            problem = str(err) or type(err).__name__
            self.post_message(self.HistoryRead(contact_id, None, problem, epoch=epoch))
            return
        self.post_message(self.HistoryRead(contact_id, history, merges=merges, epoch=epoch))

    @on(HistoryRead)
    def _history_read(self, event: HistoryRead) -> None:
        self._history_reading.discard(event.contact_id)
        if event.epoch == self._history_epoch:
            self._history_fresh.add(event.contact_id)
        if event.history is None:
            self._history.pop(event.contact_id, None)
            self._merges.pop(event.contact_id, None)
            self.notify(event.problem, severity="error", markup=False, timeout=10)
        else:
            self._history[event.contact_id] = event.history
            self._merges[event.contact_id] = event.merges
        if self.contact is not None and self.contact.id == event.contact_id:
            self._show_profile()

    def _candidates(self) -> tuple[Contact, ...]:
        """The contacts the selected interaction matched on arrival that still exist."""
        interaction = self.interaction
        if interaction is None:
            return ()
        return tuple(self._contacts[c] for c in interaction.candidate_ids if c in self._contacts)

    def _key_for(self, action: str) -> str:
        """The key that runs one of this screen's actions, as the agent's keymap has it."""
        for active in self.active_bindings.values():
            if active.node is self and active.binding.action == action:
                return self.app.get_key_display(active.binding)
        return ""

    def _hint(self) -> str:
        """What the profile suggests for an interaction with no contact: only what this agent
        may do, with the keys that do it."""
        offers = []
        if self._may("new_contact"):
            offers.append(f"{self._key_for('new_contact')} to create a contact")
        if self._may("link"):
            offers.append(f"{self._key_for('link')} to link one from the directory")
        return f"Press {', or '.join(offers)}." if offers else ""

    def _selection(self) -> Selection:
        return Selection(self.interaction, self.contact, self._candidates())

    def _may(self, action: str) -> bool:
        """True when this agent holds every permission ``action`` needs now."""
        return gating.may(action, self.contact, self.service.agent)

    def _denied_notes(self) -> tuple[str, ...]:
        """Which actions this agent may not take, grouped by the permission they need."""
        return gating.denied_notes(self.service.agent)

    # --- which actions apply now (the rules are in ui/gating.py) --------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide actions that do not apply; show the ones not permitted as disabled (their
        key then says why: :meth:`disabled_reason`)."""
        if action == "to_list":
            return self.app.focused is not self.query_one("#interaction-list")
        gate = gating.main_gate(action, self._selection(), self.service.agent)
        contact = self.contact
        if action == "merge" and gate is False and contact is not None and self._may("merge"):
            # On a contact already in Contacts, m says where two contacts are merged.
            return contact.type == ContactType.CURATED
        return gate

    def disabled_reason(self, action: str) -> str | None:
        """Why the key for ``action`` does nothing: the permission it needs and whom to ask."""
        return gating.main_disabled_reason(action, self._selection(), self.service.agent)

    # --- notices -------------------------------------------------------------------------

    def show_notice(self, message: str, severity: SeverityLevel, timeout: float | None) -> None:
        """Show ``message`` (already made safe) in the notice line for ``timeout`` seconds."""
        self._notice_count += 1
        entry = (
            self._notice_count,
            Text(message, style="" if severity == "information" else "bold"),
            severity,
        )
        self._notices.append(entry)
        self._paint_notices()
        seconds = timeout if timeout is not None else NOTICE_SECONDS[severity]
        self.set_timer(seconds, lambda: self._expire_notice(entry[0]))

    def clear_notices(self) -> None:
        """Empty the notice line now."""
        self._notices.clear()
        self._paint_notices()

    def _expire_notice(self, number: int) -> None:
        self._notices = [n for n in self._notices if n[0] != number]
        self._paint_notices()

    def _paint_notices(self) -> None:
        line = self.query_one("#notices", Static)
        # Newest first: when older ones wrap, the line's height cuts them, not the newest.
        shown = self._notices[-MAX_NOTICES:][::-1]
        line.set_class(not shown, "hidden")
        severities = {severity for _, _, severity in shown}
        worst = next((s for s in ("error", "warning") if s in severities), "information")
        for severity in ("information", "warning", "error"):
            line.set_class(severity == worst, f"-{severity}")
        line.update(Text("\n").join(text for _, text, _ in shown))

    # --- actions -------------------------------------------------------------------------

    def _forms(self) -> FormOpener:
        return FormOpener(self.app, self.service)

    def _saved(self, contact: Contact | None) -> None:
        if contact is not None:
            self.notify(
                f"Saved {safe(contact.display_name, 40)} ({contact.type.value}, "
                f"version {contact.version}).",
                markup=False,
            )
        self.reload(force=True)

    # The form actions await the form's mount (its first field is focused by then): the app
    # hands on the key typed next only after that (ui.keyorder), so it lands in the form.
    async def action_add_to_contacts(self) -> None:
        """Promote the linked ephemeral contact: the form opens with what it holds."""
        if self.contact is not None:
            await self._forms().promote(self.contact, self.interaction, self._saved)

    async def action_new_contact(self) -> None:
        """Create a contact, linked to the selected interaction."""
        await self._forms().create(self.interaction, self._saved)

    async def action_edit(self) -> None:
        """Edit the linked contact; one not yet in Contacts is added to them (as in Genesys,
        an ephemeral contact is never edited in place: it would still expire)."""
        contact = self.contact
        if contact is None:
            return
        if contact.type != ContactType.CURATED:
            await self._forms().promote(contact, self.interaction, self._saved)
        else:
            await self._forms().edit(contact, self.interaction, self._saved)

    def action_link(self) -> None:
        """Pick a contact from the directory for this interaction."""
        interaction = self.interaction
        if interaction is None:
            return

        def picked(contact_id: str | None) -> None:
            if contact_id:
                self._run(lambda s: s.link(interaction.id, contact_id), "Linked.")

        self.app.push_screen(DirectoryScreen(self.service, interaction, picking=True), picked)

    def action_directory(self) -> None:
        """Open the directory to search, open, edit or create contacts."""
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
        """Mark the selected interaction ended, once the agent confirms (one key ends a
        live call otherwise)."""
        interaction = self.interaction
        if interaction is None:
            return

        def answered(end: bool | None) -> None:
            if end:
                self._run(lambda s: s.end_interaction(interaction.id), "Interaction ended.")

        sender = interaction.from_.name or sender_address(interaction, self._region)
        question = Text.assemble(
            f"End the {interaction.channel_label} interaction with ",
            (safe(sender, 60), "bold"),
            "? It stays in your list, marked ended.",
        )
        self.app.push_screen(ConfirmDialog(question, yes="End [y]", no="Keep [n]"), answered)

    async def action_wrap_up(self) -> None:
        """Write the selected interaction's wrap-up note in a small dialog (its mount is
        awaited, so text typed right after the key lands in it)."""
        interaction = self.interaction
        if interaction is None:
            return

        def written(text: str | None) -> None:
            if text is not None:
                self._run(lambda s: s.set_wrap_up(interaction.id, text), "Wrap-up note saved.")

        sender = interaction.from_.name or sender_address(interaction, self._region)
        await self.app.push_screen(WrapUpDialog(interaction, sender), written)

    async def action_add_note(self) -> None:
        """Write a note on the linked contact (the store records who and when); the dialog's
        mount is awaited, so text typed right after the key lands in it."""
        contact = self.contact
        if contact is None:
            return

        def written(text: str | None) -> None:
            if text:
                self._run(lambda s: s.add_note(contact.id, text), "Note added.")

        await self.app.push_screen(NoteDialog(contact.display_name), written)

    async def action_notes(self) -> None:
        """List the shown contact's notes, to read one whole, edit or delete it (the list's
        mount is awaited, so a key typed right after lands in it)."""
        contact = self.contact
        if contact is None:
            return

        def closed(changed: bool | None) -> None:
            if changed:
                self.reload(force=True)

        shown = self._contact_notes
        notes = shown[1] if shown is not None and shown[0] == contact.id else None
        await self.app.push_screen(NotesScreen(self.service, contact, notes), closed)

    @work(
        thread=True,
        group="notes",
        exit_on_error=False,
        name="Reading the contact's notes",
        description="the main screen's read of the shown contact's notes",
    )
    def _load_notes(self, contact_id: str) -> None:
        try:
            notes = tuple(self.service.contact_notes(contact_id))
        except (PermissionDenied, StoreError):
            notes = ()  # the contact is gone, or not the agent's to see: show no notes
        self.post_message(self.NotesLoaded(contact_id, notes))

    @on(NotesLoaded)
    def _notes_loaded(self, event: NotesLoaded) -> None:
        self._contact_notes = (event.contact_id, event.notes)
        if self.contact is not None and self.contact.id == event.contact_id:
            self._show_profile()

    async def action_merge(self) -> None:
        """Merge the caller's contact (not yet in Contacts) into the customer the agent picks:
        the directory opens searching for what the interaction knows of the caller, then the
        preview shows what the merge would do; nothing is written before the agent confirms.
        The directory's mount is awaited, so a name typed right after the key lands in its
        search box (ui.keyorder), not on this screen's keys."""
        interaction, contact = self.interaction, self.contact
        if interaction is None or contact is None:
            return
        if contact.type == ContactType.CURATED:
            self.notify(
                f"{safe(contact.display_name, 40)} is already in Contacts; to merge two "
                f"contacts, open the directory ({self._key_for('directory') or 'd'}) and press "
                f"{merge_key(self.app)} on one of them.",
                markup=False,
            )
            return
        known = interaction.from_.name or sender_address(interaction, self._region)
        picker = DirectoryScreen(
            self.service, interaction, picking=True, query=known, merging=contact
        )
        await self.app.push_screen(picker, lambda _: self._merged(picker.merge_outcome))

    def _merged(self, outcome: MergeOutcome | None) -> None:
        """Say what the merge did and how to undo it; the profile then shows the kept contact
        (the interaction was relinked to it). Looked at again either way: the preview's
        reads may have taken in others' changes."""
        if outcome is not None:
            undo = self._key_for("merges") or "M"
            self.notify(
                merged_notice(outcome, f"To undo, press {undo} on its profile."),
                markup=False,
                timeout=12,
            )
        self.reload(force=True)

    def action_merges(self) -> None:
        """List the merges into the shown contact, to undo one."""
        contact = self.contact
        if contact is None:
            return

        def undone(outcome: UnmergeOutcome | None) -> None:
            if outcome is not None:
                self.notify(unmerge_lines(outcome), markup=False, timeout=12)
                self.reload(force=True)

        self.app.push_screen(MergesScreen(self.service, contact), undone)

    def action_erase(self) -> None:
        """Erase the shown contact for an erasure request, once the agent confirms: the
        question says what goes and that it cannot be undone, and keeping it is the default."""
        contact = self.contact
        if contact is None:
            return
        name = safe(contact.display_name, 40)
        contact_id = contact.id

        def answered(erase: bool | None) -> None:
            if erase:
                self._run(
                    lambda s: s.erase_contact(contact_id),
                    f"Erased {name}: the contact, its notes and the contacts merged into it "
                    "are gone, its interactions unlinked, its audit cut to who and when.",
                )

        question = Text.assemble(
            "Erase ",
            (name, "bold"),
            " for an erasure request? This removes the contact, its notes and the contacts "
            "merged into it, unlinks its interactions (they keep what arrived with them) and "
            "cuts its audit records to who, when and what. ",
            ("It cannot be undone.", "bold"),
        )
        self.app.push_screen(
            ConfirmDialog(question, yes="Erase [y]", no="Keep [n]", safe_no=True), answered
        )

    def action_choose_contact(self) -> None:
        """Go to the list of contacts that match, to pick the one to link."""
        self.query_one("#candidates", OptionList).focus()

    def action_to_list(self) -> None:
        """Back to the interaction list from the profile."""
        self.query_one("#interaction-list").focus()
        self.query_one(ProfilePane).scroll_home(animate=False)

    @on(ProfilePane.CandidateChosen)
    def _candidate_chosen(self, event: ProfilePane.CandidateChosen) -> None:
        interaction = self.interaction
        self.action_to_list()
        if interaction is not None and event.contact_id != interaction.contact_id:
            contact_id = event.contact_id
            self._run(lambda s: s.link(interaction.id, contact_id), "Linked.")

    @work(
        thread=True,
        group="store-write",
        exit_on_error=False,
        name="Saving your change",
        description="the main screen's change: a link, unlink, end, note, merge or erasure",
    )
    def _run(self, change: Callable[[ContactService], object], done: str) -> None:
        try:
            change(self.service)
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.ChangeRefused(str(err)))
            return
        self.post_message(self.ChangeSaved(done))

    @on(ChangeSaved)
    def _change_saved(self, event: ChangeSaved) -> None:
        self.notify(event.done, markup=False)
        self.reload(force=True)

    @on(ChangeRefused)
    def _change_refused(self, event: ChangeRefused) -> None:
        self.notify(event.message, severity="error", markup=False, timeout=10)

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """A worker raised what it did not expect (the app has said so): never stay busy."""
        if worker.group == "store-refresh":
            self._done_refreshing()
        elif worker.group == "store-write":
            # The change may or may not have been made: show the store as it is.
            self.reload(force=True)
