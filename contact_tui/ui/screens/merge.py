"""Merging two contacts on screen (issue 13), and undoing a merge.

:class:`MergeScreen` is the side-by-side preview: every field group of both contacts, what the
kept one will hold, which phones, emails and messaging ids move and where they land, what a
choice gives up, the collisions still to choose, the interactions that will be relinked and
the notes that will move.
The agent chooses per row (the service's ``prefer``: k keeps the kept contact's value, o takes
the other's, a goes back to the automatic rule), the preview is worked out again by the service
after each choice, and one key merges. Nothing is written before that key.

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
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from contact_tui.domain.merge import GROUPS, IDENTITY_KEYS, FieldOutcome, Side
from contact_tui.domain.model import AuditRecord, Contact, EmailKind, PhoneKind
from contact_tui.domain.permissions import UseCase
from contact_tui.service import (
    ContactService,
    InvalidInput,
    MergeOutcome,
    MergePlan,
    PermissionDenied,
    StoreError,
    UnmergeOutcome,
)
from contact_tui.ui.gating import not_allowed
from contact_tui.ui.protocols import ForwardsWorkerErrors, WorkerResult
from contact_tui.ui.render import cell, plain, safe, when
from contact_tui.ui.screens.dialogs import ConfirmDialog

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
    text.append(f"{count} interaction{'s' if count != 1 else ''} will be relinked to the kept ")
    # Ids cut to their first 8 characters, as the titles show them: enough to tell apart.
    ids = [i[:8] for i in plan.relinked[:MAX_IDS]]
    more = f" and {count - MAX_IDS} more" if count > MAX_IDS else ""
    text.append("contact." if not count else "contact: " + ", ".join(ids) + more + ".")
    notes = len(plan.notes)
    text.append(f"\n{notes} note{'s' if notes != 1 else ''} of the other contact will move to it.")
    return text


class MergeScreen(ForwardsWorkerErrors, Screen[MergeOutcome | None]):
    """The preview of merging ``other_id`` into ``keep_id``; confirming merges, Escape goes
    back with nothing written. Returns the merge done, or None."""

    class Planned(WorkerResult):
        """The service's preview for the current choices."""

        def __init__(self, plan: MergePlan) -> None:
            super().__init__()
            self.plan = plan

    class Refused(WorkerResult):
        """The preview or the merge was refused, or could not be read or written."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    class Merged(WorkerResult):
        """The merge is stored."""

        def __init__(self, outcome: MergeOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    BINDINGS = [
        Binding("escape", "back", "Back", id="merge.back"),
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
        self.busy = True
        self._widths = (0, 0)

    def compose(self) -> ComposeResult:
        """Title, the side-by-side table, what moves and collides, the error line, footer."""
        yield Static(Text("Merge preview: working it out…", style="bold"), id="merge-title")
        yield DataTable(id="merge-fields", cursor_type="row")
        with VerticalScroll(id="merge-detail-pane"):
            yield Static("", id="merge-details")
        yield Static("", id="merge-error", classes="hidden")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Work out the preview."""
        self.query_one(DataTable).focus()
        self._fit_columns()
        self._preview()

    # --- the preview -----------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="merge-preview",
        exit_on_error=False,
        name="Working out the merge preview",
        description="the merge preview for the agent's choices",
    )
    def _preview(self) -> None:
        try:
            plan = self.service.merge_preview(self.keep_id, self.other_id, dict(self.prefer))
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.Refused(str(err)))
            return
        self.post_message(self.Planned(plan))

    @on(Planned)
    def _planned(self, event: Planned) -> None:
        plan = self.plan = event.plan
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
        self._set_error("")
        self.refresh_bindings()

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self.busy = False
        self._set_error(event.message)
        self.refresh_bindings()

    def _set_error(self, message: str) -> None:
        line = self.query_one("#merge-error", Static)
        line.set_class(not message, "hidden")
        # Errors can quote contact text (a name in a conflict): shown, never obeyed.
        line.update(plain(message, 1000, style="bold"))

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

    # --- choosing and confirming -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Merge is dimmed (its key says why) until there is a preview with no collision and
        the agent may merge; the row choices apply once there is a preview."""
        if action == "confirm":
            if not self.service.allowed(UseCase.MERGE_CONTACTS):
                return None
            return None if self.busy or self.plan is None or self.plan.collisions else True
        if action == "prefer":
            return self.plan is not None
        return True

    def disabled_reason(self, action: str) -> str | None:
        """Why Merge does nothing now."""
        if action != "confirm":
            return None
        lacking = sorted(self.service.missing(UseCase.MERGE_CONTACTS))
        if lacking:
            return not_allowed("Merge", lacking, self.service.agent.role_label)
        if self.busy:
            return "The preview is being worked out; press the key again once it shows."
        if self.plan is None:
            return "There is no preview to merge: the line above says why; Escape goes back."
        if self.plan.collisions:
            return (
                f"{len(self.plan.collisions)} value(s) have no free slot: choose for each "
                "collision (see the Collision lines) before merging."
            )
        return None

    def action_prefer(self, side: str) -> None:
        """Choose the kept contact's or the other's value for the highlighted row ('' goes back
        to the rule), and work the preview out again."""
        group = self.highlighted_group
        if group is None or self.plan is None:
            return
        if side:
            self.prefer[group] = side
        else:
            self.prefer.pop(group, None)
        self.busy = True
        self._preview()

    def action_swap(self) -> None:
        """Keep the other contact instead (the service refuses keeping the less established
        one, and the line says so); the choices start again."""
        self.keep_id, self.other_id = self.other_id, self.keep_id
        self.prefer.clear()
        self.busy = True
        self._preview()

    def action_back(self) -> None:
        """Back, merging nothing."""
        self.dismiss(None)

    def action_confirm(self) -> None:
        """Merge as shown: against the versions the preview showed, so a contact changed
        since is reported rather than merged unseen."""
        plan = self.plan
        if plan is None or plan.collisions or self.busy:
            return
        self.busy = True
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
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.Refused(str(err)))
            return
        self.post_message(self.Merged(outcome))

    @on(Merged)
    def _merged(self, event: Merged) -> None:
        self.dismiss(event.outcome)

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """An unexpected failure (the app has said what): never stay busy."""
        self.busy = False
        self.refresh_bindings()


def standing_merges(records: list[AuditRecord]) -> list[AuditRecord]:
    """The MERGE records of a contact's audit trail that no UNMERGE record has undone, newest
    first."""
    undone = {r.unmerge.undoes for r in records if r.unmerge is not None}
    return [r for r in reversed(records) if r.merge is not None and r.id not in undone]


def merge_label(record: AuditRecord) -> Text:
    """One standing merge as a line: when, who merged, whom, how many interactions moved."""
    assert record.merge is not None
    other = record.merge.other_before
    count = len(record.merge.relinked)
    return Text.assemble(
        f"{when(record.at)}  ",
        (safe(other.display_name, 30), "bold"),
        f" ({other.type.value}) by {safe(record.agent, 20)}, ",
        f"{count} interaction{'s' if count != 1 else ''}",
    )


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
        text += f" {len(outcome.left)} interaction(s) someone relinked since stay where they are."
    if outcome.relinked:
        text += (
            f" {len(outcome.relinked)} later interaction(s) from what "
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
        yield Footer(compact=True)

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
            options.add_option(Option(merge_label(record), id=record.id))
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
