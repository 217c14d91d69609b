"""Merging two contacts on screen (issue 13), and undoing a merge.

:class:`MergeScreen` is the side-by-side preview: every field group of both contacts, what the
kept one will hold, which phones, emails and messaging ids move and where they land, what a
choice gives up, the collisions still to choose, the interactions that will be relinked and
the notes that will move.
The agent chooses per row (the service's ``prefer``: k keeps the kept contact's value, o takes
the other's, a goes back to the automatic rule), the preview is worked out again by the service
after each choice, and one key merges. Nothing is written before that key. The preview follows
the store while it is open; Escape goes back to the pick.

:class:`MergesScreen` lists the merges into a contact that still stand, newest first; Enter
undoes the highlighted one once the agent confirms, and the agent is told which fields stayed
as someone edited them since.

Every customer value goes through :mod:`contact_tui.ui.render` (``safe``/``cell``/``plain``).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from contact_tui.domain.merge import GROUPS, IDENTITY_KEYS, FieldOutcome, Side, outranks
from contact_tui.domain.model import AuditRecord, Contact, EmailKind, PhoneKind
from contact_tui.domain.permissions import UseCase
from contact_tui.domain.present import counted
from contact_tui.service import (
    Change,
    ConflictError,
    ContactService,
    InvalidInput,
    MergeOutcome,
    MergePlan,
    PermissionDenied,
    StoreError,
    StoreUnavailable,
    UnmergeOutcome,
)
from contact_tui.ui.gating import not_allowed
from contact_tui.ui.protocols import ForwardsWorkerErrors, WorkerResult
from contact_tui.ui.render import cell, merge_entry, plain, safe, when
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.widgets.keys_footer import KeysFooter

# Columns of the preview table: the field's label and where its result comes from; the three
# values share the rest (16 columns each at 80, 29 at 120).
LABEL_WIDTH = 14
SOURCE_WIDTH = 7
CELL_PADDING = 2 * 5
SCROLLBAR = 1
MIN_VALUE = 10
# How the Takes column names where a row's result comes from (FieldOutcome.source).
SOURCE_WORDS = {"keep": "kept", "other": "other", "both": "both", "same": "same", "": ""}
# The slot groups: a value in one may move to another, or be held by the kept contact already.
_SLOTS = frozenset(
    {*(k.value for k in PhoneKind), *(k.value for k in EmailKind), *IDENTITY_KEYS.values()}
)
# Marks a row whose side the agent chose (rather than the automatic rule).
CHOSEN = "*"
COLLISION = "! "
# Relinked interactions named in the preview, at most (the rest are counted).
MAX_IDS = 10
# What the Takes words that do not say it themselves mean (the legend under the table).
TAKES_WORDS = {
    "moved": "came from another slot",
    "out": "went to another slot",
    "held": "kept one has it",
    "left": "left behind",
    "!": "no free slot",
}
# A contact's name in a sentence of the preview: two fit an 80-column line.
NAME_WIDTH = 24
# Seconds a notice stays in the preview's notice line (below what moves, covering nothing).
NOTICE_SECONDS: dict[SeverityLevel, float] = {"information": 4, "warning": 8, "error": 12}
# A change in the store, or a Merge typed that could not go through, stays longer: the agent
# must act on it.
CHANGE_SECONDS = 30.0


def takes(outcome: FieldOutcome, plan: MergePlan) -> str:
    """Where a row's result comes from, in a word: the source FieldOutcome gives, or, for a
    phone, email or messaging id slot, what happened to the other contact's value there:
    'moved' (another slot's value landed here), 'out' (this one went to another slot, see the
    Moves lines), 'left' (left behind by a choice), 'held' (the kept contact already holds it),
    '!' (no room: a collision). FieldOutcome.source compares the slot's own values only."""
    if any(m.to_slot == outcome.id and m.from_slot != m.to_slot for m in plan.moves):
        return "moved"
    if outcome.other and outcome.other != outcome.result:
        if any(c.from_slot == outcome.id for c in plan.collisions):
            return "!"
        if any(m.from_slot == outcome.id and m.to_slot != m.from_slot for m in plan.moves):
            return "out"
        if any(d.slot == outcome.id and d.side is Side.OTHER for d in plan.dropped):
            return "left"
        if outcome.id in _SLOTS and not outcome.result:
            return "held"
    return SOURCE_WORDS[outcome.source]


def contact_line(contact: Contact) -> str:
    """A contact as one line: name, type and id (made safe)."""
    return f"{safe(contact.display_name, 40)} ({contact.type.value}, {contact.id[:8]})"


def plan_details(plan: MergePlan, key_keep: str, key_other: str) -> Text:
    """What the table does not show: what moves where, what a choice gives up, the collisions
    still to choose (with the keys that choose), the interactions relinked and how many of the
    other contact's notes move."""
    text = Text()
    for move in plan.moves:
        text.append("Moves: ", style="bold")
        text.append(
            f"{move.kind} {safe(move.value, 60)} from the other's "
            f"{GROUPS[move.from_slot].lower()} to {GROUPS[move.to_slot].lower()}.\n"
        )
    for drop in plan.dropped:
        whose = "kept" if drop.side is Side.KEEP else "other"
        text.append("Given up: ", style="bold")
        text.append(f"the {whose} contact's {GROUPS[drop.slot].lower()} {safe(drop.value, 60)}.\n")
    for collision in plan.collisions:
        label = GROUPS[collision.from_slot].lower()
        text.append("Collision: ", style="bold reverse")
        text.append(
            f"the other's {label} {safe(collision.value, 60)} has no free {collision.kind} "
            f"slot. On the row of the slot to replace press {key_other}, or on its own row "
            f"({GROUPS[collision.from_slot]}) press {key_keep} to leave it behind.\n",
            style="bold",
        )
    count = len(plan.relinked)
    text.append(f"{counted(count, 'interaction')} will be relinked to the kept ")
    # Ids cut to their first 8 characters, as the titles show them: enough to tell apart.
    ids = [i[:8] for i in plan.relinked[:MAX_IDS]]
    more = f" and {count - MAX_IDS} more" if count > MAX_IDS else ""
    text.append("contact." if not count else "contact: " + ", ".join(ids) + more + ".")
    text.append(f"\n{counted(len(plan.notes), 'note')} of the other contact will move to it.")
    return text


def name_of(contact: Contact) -> str:
    """A contact's name for a sentence on this screen: made safe, short enough that two fit
    on an 80-column line with the words around them."""
    return safe(contact.display_name, NAME_WIDTH)


def legend(plan: MergePlan, chosen: bool) -> str:
    """What the Takes words in the table mean, for the words it shows that need saying (kept,
    other, both and same say it themselves)."""
    shown = {takes(outcome, plan) for outcome in plan.fields}
    words = [f"{word}: {meaning}" for word, meaning in TAKES_WORDS.items() if word in shown]
    if chosen:
        words.append(f"{CHOSEN}: your choice")
    return "Takes  " + "  ".join(words) if words else ""


def changed_rows(before: MergePlan, after: MergePlan) -> list[str]:
    """The field groups whose values on either contact differ between two previews."""
    old = {f.id: (f.keep, f.other) for f in before.fields}
    new = {f.id: (f.keep, f.other) for f in after.fields}
    return [
        group for group in {**old, **new} if old.get(group, ("", "")) != new.get(group, ("", ""))
    ]


def change_line(before: MergePlan, after: MergePlan) -> str:
    """Who changed which contact of the preview since ``before``, when, and which rows."""
    changed = [
        contact
        for was, contact in ((before.keep, after.keep), (before.other, after.other))
        if was.version != contact.version or was.id != contact.id
    ]
    rows = ", ".join(GROUPS.get(g, g) for g in changed_rows(before, after))
    if not changed:
        return "The store changed" + (f" ({rows})" if rows else "")
    first = changed[0]
    names = " and ".join(name_of(c) for c in changed)
    verb = "were" if len(changed) > 1 else "was"
    return (
        f"{names} {verb} changed by {safe(first.modified_by or 'someone', 20)} at "
        f"{when(first.modify_date)}" + (f" ({rows})" if rows else "")
    )


def merged_notice(outcome: MergeOutcome, undo: str) -> str:
    """What a merge did, by the contacts' names before it (the kept one's name may have
    changed with a field taken from the other: then its new name too), and ``undo``."""
    merge = outcome.record.merge
    if merge is None:
        return f"Merged into {safe(outcome.contact.display_name, 40)}. {undo}"
    kept = merge.kept_before.display_name
    now = outcome.contact.display_name
    renamed = f" (now {safe(now, 40)})" if now != kept else ""
    return (
        f"Merged {safe(merge.other_before.display_name, 40)} into {safe(kept, 40)}{renamed}; "
        f"{counted(len(merge.relinked), 'interaction')} relinked. {undo}"
    )


class MergeScreen(ForwardsWorkerErrors, Screen[MergeOutcome | None]):
    """The preview of merging ``other_id`` into ``keep_id``; confirming merges, Escape goes
    back (to the picker it came from) with nothing written. Returns the merge done, or None.

    The preview follows the store: when another agent changes either contact it is worked
    out again (the main screen, which watches the store, says so: :class:`FollowsStore`), and
    so it is when the merge finds a contact changed since the preview. Keys typed before the
    preview shows (a burst: the choices, ctrl+s) are kept and applied in order once it does.
    Notices go to a line of this screen (:class:`ShowsNotices`), never over the preview."""

    class Planned(WorkerResult):
        """The service's preview for the choices of request ``number``; ``swapped`` when the
        pair was turned round (the other contact was the more established one)."""

        def __init__(self, plan: MergePlan, number: int, swapped: bool) -> None:
            super().__init__()
            self.plan = plan
            self.number = number
            self.swapped = swapped

    class Refused(WorkerResult):
        """The preview or the merge was refused, or could not be read or written; ``pair``
        the two contacts (kept, other) where they could be read; ``passing`` when the store
        could not answer now (busy, a lock held too long), so asking again may work."""

        def __init__(
            self,
            message: str,
            number: int = 0,
            pair: tuple[Contact, Contact] | None = None,
            passing: bool = False,
        ) -> None:
            super().__init__()
            self.message = message
            self.number = number
            self.pair = pair
            self.passing = passing

    class Stale(WorkerResult):
        """The merge found a contact changed since the preview: nothing was written."""

        def __init__(self, error: ConflictError) -> None:
            super().__init__()
            self.error = error

    class Merged(WorkerResult):
        """The merge is stored."""

        def __init__(self, outcome: MergeOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    BINDINGS = [
        Binding("escape", "back", "Back", id="merge.back", tooltip="Back to the pick"),
        Binding("ctrl+s,f2", "confirm", "Merge", id="merge.confirm", tooltip="Merge as shown"),
        Binding(
            "k",
            "prefer('keep')",
            "Kept",
            id="merge.keep",
            tooltip="Keep the kept contact's value in the highlighted row",
        ),
        Binding(
            "o",
            "prefer('other')",
            "Other",
            id="merge.other",
            tooltip="Take the other contact's value in the highlighted row",
        ),
        Binding(
            "a",
            "prefer('')",
            "Auto",
            id="merge.auto",
            tooltip="The highlighted row as the merge rule decides",
        ),
        Binding(
            "s",
            "swap",
            "Swap",
            id="merge.swap",
            tooltip="Keep the other contact instead, merging this one into it",
        ),
    ]

    def __init__(self, service: ContactService, keep_id: str, other_id: str) -> None:
        super().__init__()
        self.service = service
        self.keep_id = keep_id
        self.other_id = other_id
        self.prefer: dict[str, str] = {}
        self.plan: MergePlan | None = None
        # The choices the preview shown was worked out for: what a preview that could not be
        # worked out again goes back to, so the table and the choices agree.
        self._shown_prefer: dict[str, str] = {}
        self.busy = True  # a preview is being worked out
        self.merging = False  # the merge is being written
        self._widths = (0, 0)
        # Preview requests: each one numbered, so an answer overtaken by a newer request
        # (a choice, a swap or a change made while it was worked out) is passed over.
        self._asked = 0
        # Until a preview shows, the pair is turned round when the other contact is the more
        # established one (the agent picked the wrong way round); not once the agent swaps.
        self._auto = True
        # The agent's choices undone by a change in the store, until the notice says so.
        self._undone: list[str] = []
        # Actions typed before there was a preview to apply them to, in the order typed.
        self._typed: list[tuple[str, str]] = []
        # The preview shown before a change in the store, and the conflict that found it
        # (None: the watch did), until the preview worked out again says what changed.
        self._before: MergePlan | None = None
        self._conflict: ConflictError | None = None
        self._status_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        """Title, the side-by-side table and what its Takes words mean, what moves and
        collides, the error line, the notice line, footer."""
        yield Static(Text("Merge preview: working it out…", style="bold"), id="merge-title")
        yield DataTable(id="merge-fields", cursor_type="row")
        yield Static("", id="merge-legend", classes="hidden")
        with VerticalScroll(id="merge-detail-pane"):
            yield Static("", id="merge-details")
        yield Static("", id="merge-error", classes="hidden")
        yield Static("", id="merge-status", classes="hidden")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Work out the preview."""
        self.query_one(DataTable).focus()
        self._fit_columns()
        self._ask()

    # --- the preview -----------------------------------------------------------------------

    def _ask(self) -> None:
        """Work the preview out (again) for the current pair and choices."""
        self.busy = True
        self._asked += 1
        first = self._auto and self.plan is None
        self._preview(self._asked, self.keep_id, self.other_id, dict(self.prefer), first)

    @work(
        thread=True,
        exclusive=True,
        group="merge-preview",
        exit_on_error=False,
        name="Working out the merge preview",
        description="the merge preview for the agent's choices",
    )
    def _preview(
        self, number: int, keep_id: str, other_id: str, prefer: dict[str, str], first: bool
    ) -> None:
        service = self.service
        swapped = False
        try:
            if first:
                keep, other = service.contact(keep_id), service.contact(other_id)
                if outranks(other, keep):
                    # Only the direction is wrong: the merge meant is the other way round.
                    keep_id, other_id, swapped = other_id, keep_id, True
            plan = service.merge_preview(keep_id, other_id, prefer)
        except StoreUnavailable as err:
            self.post_message(self.Refused(str(err), number, passing=True))
            return
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.Refused(str(err), number, self._pair(keep_id, other_id)))
            return
        self.post_message(self.Planned(plan, number, swapped))

    def _pair(self, keep_id: str, other_id: str) -> tuple[Contact, Contact] | None:
        """Both contacts of a refused preview, to name them (None when they cannot be read)."""
        try:
            return self.service.contact(keep_id), self.service.contact(other_id)
        except (PermissionDenied, StoreError):
            return None

    @on(Planned)
    def _planned(self, event: Planned) -> None:
        if event.number != self._asked:
            return  # a newer request is being worked out
        plan = event.plan
        before = self._before
        if before is not None:
            # The store changed: a choice stands only where neither contact's row changed.
            changed = set(changed_rows(before, plan))
            undone = [g for g in self.prefer if g in changed]
            if undone:
                for group in undone:
                    del self.prefer[group]
                self._undone.extend(undone)
                self._ask()
                return
        self.plan = plan
        self._shown_prefer = dict(self.prefer)
        self.busy = False
        self.keep_id, self.other_id = plan.keep.id, plan.other.id
        title = Text.assemble(
            ("Merge ", "bold"),
            (contact_line(plan.other), "bold"),
            " into ",
            (contact_line(plan.keep), "bold"),
        )
        self.query_one("#merge-title", Static).update(title)
        self._fill_rows()
        self.query_one("#merge-details", Static).update(
            plan_details(plan, self._key("prefer('keep')"), self._key("prefer('other')"))
        )
        text = legend(plan, bool(self.prefer))
        legend_line = self.query_one("#merge-legend", Static)
        legend_line.update(Text(text, no_wrap=True, overflow="ellipsis"))
        legend_line.set_class(not text, "hidden")
        self._set_error("")
        self.refresh_bindings()
        if event.swapped:
            # Keys typed before the preview showed were meant for the pair as picked: on the
            # pair turned round they would mean the opposite, so none is applied.
            dropped = bool(self._typed)
            self._typed.clear()
            self.show_notice(
                f"Turned round: {name_of(plan.other)} ({plan.other.type.value}) is merged "
                f"into {name_of(plan.keep)} ({plan.keep.type.value}), as a merge keeps the "
                "more established contact."
                + (
                    " The keys typed before it showed were not applied: check it, then press "
                    f"{self._key('confirm')}."
                    if dropped
                    else ""
                ),
                "information",
                None,
            )
        if before is not None:
            self._say_changed(before, plan)
        self._replay()

    def _say_changed(self, before: MergePlan, plan: MergePlan) -> None:
        """Say what changed in the store since the preview the agent saw, and what to do."""
        conflict, self._conflict, self._before = self._conflict, None, None
        undone, self._undone = self._undone, []
        moved = (before.keep.version, before.other.version) != (
            plan.keep.version,
            plan.other.version,
        )
        if conflict is None and not moved and not undone:
            return  # nothing the agent saw has changed
        line = change_line(before, plan)
        if undone:
            rows = ", ".join(GROUPS.get(g, g) for g in undone)
            line += f"; your choice on {rows} was undone"
        if conflict is not None or undone or changed_rows(before, plan):
            # What the agent confirmed (or was about to) is not what would be merged now.
            self._typed.clear()
        if conflict is not None:
            line = f"Nothing was merged: {line}; check the preview and press "
            line += f"{self._key('confirm')} again."
        else:
            line += "; the preview shows it now."
        self.show_notice(line, "warning", CHANGE_SECONDS)

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        if event.number and event.number != self._asked:
            return
        self.busy = False
        self.merging = False
        self._before = None
        self._conflict = None
        if event.number and event.passing and self.plan is not None:
            self._not_worked_out_again(event.message)
            return
        if event.number:
            self._clear_plan()  # what it showed is not what was asked for now
        message = event.message
        pair = event.pair
        if pair is not None:
            keep, other = pair
            self.query_one("#merge-title", Static).update(
                Text.assemble(
                    ("Cannot merge ", "bold"),
                    (contact_line(other), "bold"),
                    " into ",
                    (contact_line(keep), "bold"),
                )
            )
            if outranks(other, keep):
                message = (
                    f"{name_of(other)} is {other.type.value} and {name_of(keep)} is "
                    f"{keep.type.value}: a merge keeps the {other.type.value} one; press "
                    f"{self._key('swap')} to swap."
                )
        elif self.plan is None:
            self.query_one("#merge-title", Static).update(
                Text("Merge preview: cannot be shown (the line below says why)", style="bold")
            )
        self._set_error(message)
        if any(action == "confirm" for action, _ in self._typed):
            self.show_notice(
                "Nothing was merged: the preview cannot be shown as asked (the line above "
                "says why).",
                "warning",
                None,
            )
        self._typed.clear()
        self.refresh_bindings()

    def _not_worked_out_again(self, message: str) -> None:
        """The store could not answer a preview asked again (a choice, a swap, a change): the
        preview shown stays with the choices it was worked out for, so what Merge would merge
        is what the table shows, and every key works, so the agent can press theirs again."""
        plan = self.plan
        assert plan is not None
        asked = (self.keep_id, self.other_id, self.prefer)
        keyed = asked != (plan.keep.id, plan.other.id, self._shown_prefer)
        self.prefer = dict(self._shown_prefer)
        self.keep_id, self.other_id = plan.keep.id, plan.other.id
        self._set_error(
            f"{message} The preview could not be worked out again, so it still shows the "
            + (
                "choices before your last key: press that key again to retry."
                if keyed
                else "contacts as they were before a change in the store: a choice asks "
                "again, and Merge checks them first."
            )
        )
        if any(action == "confirm" for action, _ in self._typed):
            self.show_notice(
                "Nothing was merged: the preview could not be worked out again (the line "
                f"above says why); check it, then press {self._key('confirm')}.",
                "warning",
                None,
            )
        self._typed.clear()
        self.refresh_bindings()

    def _clear_plan(self) -> None:
        """Show no preview: the table, its legend and what moves are of another request."""
        self.plan = None
        self.query_one(DataTable).clear()
        self.query_one("#merge-details", Static).update("")
        self.query_one("#merge-legend", Static).set_class(True, "hidden")
        self._clear_status()

    def _set_error(self, message: str) -> None:
        line = self.query_one("#merge-error", Static)
        line.set_class(not message, "hidden")
        # Errors can quote contact text (a name in a conflict): shown, never obeyed.
        line.update(plain(message, 1000, style="bold"))

    def show_notice(self, message: str, severity: SeverityLevel, timeout: float | None) -> None:
        """Show ``message`` (made safe by the caller) in this screen's notice line, below
        what moves, for ``timeout`` seconds: a toast would cover the Moves lines."""
        line = self.query_one("#merge-status", Static)
        line.update(Text(safe(message, 400), style="" if severity == "information" else "bold"))
        line.set_class(False, "hidden")
        for level in ("information", "warning", "error"):
            line.set_class(level == severity, f"-{level}")
        if self._status_timer is not None:
            self._status_timer.stop()
        seconds = timeout if timeout is not None else NOTICE_SECONDS[severity]
        self._status_timer = self.set_timer(seconds, self._clear_status)

    def _clear_status(self) -> None:
        self.query_one("#merge-status", Static).set_class(True, "hidden")

    def _key(self, action: str) -> str:
        """The key that runs one of this screen's actions, as the agent's keymap has it."""
        for binding in self._bindings.key_to_bindings.values():
            for bound in binding:
                if bound.action == action:
                    return self.app.get_key_display(bound)
        return action

    def on_resize(self) -> None:
        """Share the width among the three values (wider at 120 columns than at 80)."""
        self.call_after_refresh(self._fit_columns)

    def _fit_columns(self) -> None:
        table: DataTable[Text | str] = self.query_one(DataTable)
        width = table.size.width or self.app.size.width
        rest = max(width - CELL_PADDING - SCROLLBAR - LABEL_WIDTH - SOURCE_WIDTH, 0)
        value = max(MIN_VALUE, rest // 3)
        widths = (value, value)
        if widths == self._widths:
            return
        self._widths = widths
        table.clear(columns=True)
        table.add_column("Field", key="field", width=LABEL_WIDTH)
        table.add_column("Kept", key="keep", width=value)
        table.add_column("Other", key="other", width=value)
        table.add_column("Result", key="result", width=value)
        table.add_column("Takes", key="takes", width=SOURCE_WIDTH)
        self._fill_rows()

    def _fill_rows(self) -> None:
        """Every field group either contact (or the result) holds, the cursor kept on its row."""
        plan = self.plan
        table: DataTable[Text | str] = self.query_one(DataTable)
        if plan is None or not table.columns:
            return
        current = self.highlighted_group
        table.clear()
        value = self._widths[0]
        colliding = {c.from_slot for c in plan.collisions}
        for outcome in plan.fields:
            if not (outcome.keep or outcome.other or outcome.result):
                continue
            label = Text(
                (COLLISION if outcome.id in colliding else "") + outcome.label,
                style="bold" if outcome.id in colliding else "",
                no_wrap=True,
                overflow="ellipsis",
            )
            word = takes(outcome, plan) + (CHOSEN if outcome.id in self.prefer else "")
            table.add_row(
                label,
                cell(outcome.keep, value),
                cell(outcome.other, value),
                cell(outcome.result, value),
                word,
                key=outcome.id,
            )
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current))

    @property
    def highlighted_group(self) -> str | None:
        """The field group of the row under the cursor."""
        table: DataTable[Text | str] = self.query_one(DataTable)
        if table.row_count == 0 or table.cursor_row < 0:
            return None
        return table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value

    # --- following the store -----------------------------------------------------------------

    def store_changed(self, changes: list[Change]) -> None:
        """Work the preview out again when either contact changed (or the other's notes or
        interactions, which it moves), keeping the agent's choices where they still apply;
        once it shows, the notice line says what changed."""
        if self.merging:
            return  # the merge checks the versions it was shown; a change is reported then
        ids = {self.keep_id, self.other_id}
        if any(c.id == "*" or (c.table == "contacts" and c.id in ids) for c in changes):
            if self._before is None:
                self._before = self.plan  # None before the first preview: nothing to say
            self._ask()
        elif self.plan is not None and any(c.table in ("interactions", "notes") for c in changes):
            self._ask()  # the interactions relinked or the notes moved may differ

    # --- choosing and confirming -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Merge is dimmed (its key says why) while the preview shows a problem to choose
        for, or without the permission; typed before the preview shows, Merge and the row
        choices are kept until it does."""
        if action == "confirm":
            if not self.service.allowed(UseCase.MERGE_CONTACTS):
                return None
            if self.busy or self.merging:
                return True  # kept for the preview (see action_confirm)
            return None if self.plan is None or self.plan.collisions else True
        if action == "prefer":
            return self.plan is not None or self.busy
        return True

    def disabled_reason(self, action: str) -> str | None:
        """Why Merge does nothing now."""
        if action != "confirm":
            return None
        lacking = sorted(self.service.missing(UseCase.MERGE_CONTACTS))
        if lacking:
            return not_allowed("Merge", lacking, self.service.agent.role_label)
        if self.plan is None:
            return "There is no preview to merge: the line above says why; Escape goes back."
        if self.plan.collisions:
            values = counted(len(self.plan.collisions), "value has", "values have")
            return (
                f"{values} no free slot: choose for each collision (see the "
                "Collision lines) before merging."
            )
        return None

    def _replay(self) -> None:
        """Apply the actions typed before the preview showed, in order, each once the
        preview is ready for it; a Merge stops at a problem the agent must choose for."""
        while self._typed and not self.busy and not self.merging and self.plan is not None:
            action, side = self._typed.pop(0)
            if action == "prefer":
                self._choose(side)
            elif action == "swap":
                self.action_swap()
            elif self.plan.collisions:
                self._typed.clear()
                count = len(self.plan.collisions)
                self.show_notice(
                    f"Not merged yet: {counted(count, 'value')} of the other "
                    f"contact {'have' if count != 1 else 'has'} no free slot; choose for each "
                    f"(see the Collision lines), then press {self._key('confirm')}.",
                    "warning",
                    CHANGE_SECONDS,
                )
            else:
                self.action_confirm()

    def action_prefer(self, side: str) -> None:
        """Choose the kept contact's or the other's value for the highlighted row ('' goes back
        to the rule), and work the preview out again; typed before the preview shows, applied
        to the row highlighted once it does."""
        if self.merging:
            return
        if self.busy and (self.plan is None or self._typed):
            # Behind a key still waiting (a Merge typed while the preview is worked out): in
            # turn, so a Merge merges the choices made before it, never one typed after.
            self._typed.append(("prefer", side))
            return
        self._choose(side)

    def _choose(self, side: str) -> None:
        """Apply a choice to the highlighted row and work the preview out again."""
        if self.plan is None:
            return
        group = self.highlighted_group
        if group is None:
            return
        if side:
            self.prefer[group] = side
        else:
            self.prefer.pop(group, None)
        self._ask()

    def action_swap(self) -> None:
        """Keep the other contact instead (refused when it is the less established one: the
        line says so); the choices start again."""
        if self.merging:
            return
        if self.busy and (self.plan is None or self._typed):
            self._typed.append(("swap", ""))  # in turn, as for a choice (action_prefer)
            return
        self.keep_id, self.other_id = self.other_id, self.keep_id
        self.prefer.clear()
        self._auto = False
        self._ask()

    def action_back(self) -> None:
        """Back to the pick, merging nothing (not while the merge is being written: it is
        too late to leave it unsaid)."""
        if not self.merging:
            self.dismiss(None)

    def action_confirm(self) -> None:
        """Merge as shown: against the versions the preview showed, so a contact changed
        since is reported (and the preview worked out again) rather than merged unseen.
        Pressed while the preview is being worked out, it merges once it shows."""
        if self.merging:
            return
        if self.busy:
            self._typed.append(("confirm", ""))
            self.show_notice(
                "Working out the preview: the merge follows once it shows.", "information", None
            )
            return
        plan = self.plan
        if plan is None or plan.collisions:
            return
        self.merging = True
        self.refresh_bindings()
        self._merge(plan, dict(self.prefer))

    @work(
        thread=True,
        exclusive=True,
        group="merge-write",
        exit_on_error=False,
        name="Merging the contacts",
        description="the merge the agent confirmed",
    )
    def _merge(self, plan: MergePlan, prefer: dict[str, str]) -> None:
        try:
            outcome = self.service.merge(
                plan.keep.id,
                plan.other.id,
                prefer,
                expected_versions=(plan.keep.version, plan.other.version),
            )
        except ConflictError as err:
            self.post_message(self.Stale(err))
            return
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.Refused(str(err)))
            return
        self.post_message(self.Merged(outcome))

    @on(Stale)
    def _stale(self, event: Stale) -> None:
        self.merging = False
        self._conflict = event.error
        self._before = self.plan
        self._ask()

    @on(Merged)
    def _merged(self, event: Merged) -> None:
        self.dismiss(event.outcome)

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """An unexpected failure (the app has said what): never stay busy."""
        self.busy = False
        self.merging = False
        self._typed.clear()
        self.refresh_bindings()


def standing_merges(records: list[AuditRecord]) -> list[AuditRecord]:
    """The MERGE records of a contact's audit trail that no UNMERGE record has undone, newest
    first."""
    undone = {r.unmerge.undoes for r in records if r.unmerge is not None}
    return [r for r in reversed(records) if r.merge is not None and r.id not in undone]


def unmerge_lines(outcome: UnmergeOutcome) -> str:
    """What an unmerge did, as the notice says it: who is back, what stayed as edited since."""
    text = (
        f"Undid the merge: {safe(outcome.restored.display_name, 40)} is back, and "
        f"{safe(outcome.kept.display_name, 40)} gave back what the merge gave it."
    )
    if outcome.unrestored:
        fields = ", ".join(GROUPS.get(g, g) for g in outcome.unrestored)
        text += f" Not restored, edited since the merge (the edits stay): {fields}."
    if outcome.left:
        count = len(outcome.left)
        text += (
            f" {counted(count, 'interaction')} someone relinked since "
            f"{'stay where they are' if count != 1 else 'stays where it is'}."
        )
    if outcome.relinked:
        text += (
            f" {counted(len(outcome.relinked), 'later interaction')} from what "
            f"{safe(outcome.restored.display_name, 40)} holds again went back to it."
        )
    return text


class MergesScreen(ForwardsWorkerErrors, ModalScreen[UnmergeOutcome | None]):
    """The merges into ``contact`` that still stand; Enter undoes the highlighted one (once
    the agent says yes). Returns the unmerge done, or None."""

    class Listed(WorkerResult):
        """The contact's standing merges."""

        def __init__(self, contact: Contact, merges: list[AuditRecord]) -> None:
            super().__init__()
            self.contact = contact
            self.merges = merges

    class Failed(WorkerResult):
        """The list or the unmerge was refused, or the store could not be read or written."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    class Unmerged(WorkerResult):
        """The unmerge is stored."""

        def __init__(self, outcome: UnmergeOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    BINDINGS = [Binding("escape", "back", "Back", id="merges.back")]

    def __init__(self, service: ContactService, contact: Contact) -> None:
        super().__init__()
        self.service = service
        self.contact = contact
        self.merges: list[AuditRecord] = []

    def compose(self) -> ComposeResult:
        """Title, the list, a line saying what Enter does (or what went wrong), footer."""
        with Vertical(id="merges-dialog", classes="dialog"):
            yield Static(self._title(), id="merges-title")
            yield OptionList(id="merges")
            yield Static(Text("Reading the contact's history…"), id="merges-note")
        yield KeysFooter(compact=True)

    def _title(self) -> Text:
        return Text.assemble(
            ("Merges into ", "bold"), (safe(self.contact.display_name, 50), "bold")
        )

    def on_mount(self) -> None:
        """Read the contact's history."""
        self.query_one(OptionList).focus()
        self._list()

    @work(
        thread=True,
        group="merges-read",
        exit_on_error=False,
        name="Reading the contact's merges",
        description="the merges into the contact on the profile",
    )
    def _list(self) -> None:
        try:
            # As it is now: the profile may still show a contact merged away a moment ago,
            # whose id finds the contact it was merged into.
            contact = self.service.contact(self.contact.id)
            merges = standing_merges(self.service.audit(contact.id))
        except (PermissionDenied, StoreError) as err:
            self.post_message(self.Failed(str(err)))
            return
        self.post_message(self.Listed(contact, merges))

    @on(Listed)
    def _listed(self, event: Listed) -> None:
        self.merges = event.merges
        self.contact = event.contact
        self.query_one("#merges-title", Static).update(self._title())
        options = self.query_one(OptionList)
        options.clear_options()
        for record in self.merges:
            options.add_option(Option(merge_entry(record), id=record.id))
        note = (
            "Enter undoes the highlighted merge: that contact comes back with its interactions."
            if self.merges
            else "No merge into this contact stands: there is nothing to undo. Escape goes back."
        )
        if self.merges:
            options.highlighted = 0
        self.query_one("#merges-note", Static).update(Text(note))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.query_one("#merges-note", Static).update(plain(event.message, 1000, style="bold"))

    @on(OptionList.OptionSelected, "#merges")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        record = next((r for r in self.merges if r.id == event.option.id), None)
        if record is None or record.merge is None:
            return
        other = record.merge.other_before
        question = Text.assemble(
            "Undo the merge of ",
            (safe(other.display_name, 40), "bold"),
            " into ",
            (safe(self.contact.display_name, 40), "bold"),
            "? It comes back with its id, fields and interactions; edits made since stay.",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.query_one("#merges-note", Static).update(Text("Undoing the merge…"))
                self._unmerge(record.id)

        # Keeping the merge is the default (Enter): undoing it splits the customer in two.
        self.app.push_screen(
            ConfirmDialog(question, yes="Undo [y]", no="Keep [n]", safe_no=True), answered
        )

    @work(
        thread=True,
        group="merges-write",
        exit_on_error=False,
        name="Undoing the merge",
        description="the unmerge the agent confirmed",
    )
    def _unmerge(self, merge_id: str) -> None:
        try:
            outcome = self.service.unmerge(merge_id)
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.Failed(str(err)))
            return
        self.post_message(self.Unmerged(outcome))

    @on(Unmerged)
    def _unmerged(self, event: Unmerged) -> None:
        self.dismiss(event.outcome)

    def action_back(self) -> None:
        """Back, undoing nothing."""
        self.dismiss(None)
