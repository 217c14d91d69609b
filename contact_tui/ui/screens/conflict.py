"""When a save finds that another agent saved the contact first: what each of you changed,
and the agent's way on.

Fields only they changed take their value and fields only this agent changed keep this
agent's (as :func:`merge_drafts` replays them); a field both changed is shown side by side,
with who saved theirs, and the agent picks per field. Or the agent overwrites their version
with the form as it is (saved, and audited, as this agent's edit), or looks at their version.
The same dialog serves a promote race: the contact was added to Contacts by someone else, and
the agent's entries can be saved onto it as an edit.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from contact_tui.domain.draft import ContactDraft, PhoneDraft, field_label, merge_drafts
from contact_tui.domain.fields import ADDRESS_PARTS, FIELD_BY_ID, TEXT_FIELDS
from contact_tui.domain.model import Contact, EmailKind, PhoneKind
from contact_tui.ui.render import cell, safe, when
from contact_tui.ui.widgets.keys_footer import KeysFooter

SURVEY = "surveyOptOut"
# Columns of the side-by-side table's cells: with their padding, 72 of the dialog's 76.
FIELD_WIDTH = 14
VALUE_WIDTH = 26
CHOSEN = "● "
NOT_CHOSEN = "  "

FieldValue = str | bool | tuple[str, bool]


def field_values(draft: ContactDraft) -> dict[str, FieldValue]:
    """Every field of a draft by its id, in form order; a phone is its text and SMS flag."""
    full = draft.complete()
    values: dict[str, FieldValue] = {f.id: full.text_of(f.id) for f in TEXT_FIELDS}
    for kind in PhoneKind:
        phone = full.phones[kind]
        values[kind.value] = (phone.text, phone.accepts_sms)
    for email_kind in EmailKind:
        values[email_kind.value] = full.emails[email_kind]
    for part in ADDRESS_PARTS:
        values[f"address.{part}"] = full.address[part]
    values[SURVEY] = full.survey_opt_out
    return values


def with_value(draft: ContactDraft, field_id: str, value: FieldValue) -> ContactDraft:
    """A copy of ``draft`` with one field (as :func:`field_values` names it) set."""
    changed = deepcopy(draft.complete())
    if field_id == SURVEY and isinstance(value, bool):
        changed.survey_opt_out = value
    elif field_id in PhoneKind._value2member_map_ and isinstance(value, tuple):
        changed.phones[PhoneKind(field_id)] = PhoneDraft(value[0], value[1])
    elif field_id in EmailKind._value2member_map_ and isinstance(value, str):
        changed.emails[EmailKind(field_id)] = value
    elif field_id.startswith("address.") and isinstance(value, str):
        changed.address[field_id.removeprefix("address.")] = value
    elif (spec := FIELD_BY_ID.get(field_id)) in TEXT_FIELDS and isinstance(value, str):
        setattr(changed, spec.attr, value)
    else:
        raise KeyError(field_id)
    return changed


def shown_value(value: FieldValue) -> str:
    """A field's value as the dialog shows it."""
    if isinstance(value, bool):
        return "opted out" if value else "may be surveyed"
    if isinstance(value, tuple):
        text, sms = value
        return f"{text} (SMS)" if text and sms else text
    return value


def label_of(field_id: str) -> str:
    """The label an agent knows a field by."""
    return "Surveys" if field_id == SURVEY else field_label(field_id)


@dataclass(frozen=True)
class Conflict:
    """The form's starting point, what the agent has typed, and the version saved meanwhile.

    ``promoted`` is True when the agent was adding an ephemeral contact to Contacts and
    someone else did it first: their entries can only go onto it as an edit.
    """

    base: ContactDraft
    mine: ContactDraft
    latest: Contact
    promoted: bool = False

    @cached_property
    def theirs(self) -> ContactDraft:
        """Their version, as a draft."""
        return ContactDraft.from_contact(self.latest)

    @cached_property
    def _values(self) -> tuple[dict[str, FieldValue], ...]:
        return field_values(self.base), field_values(self.mine), field_values(self.theirs)

    def _changed(self, whose: int) -> list[str]:
        base = self._values[0]
        return [f for f, value in self._values[whose].items() if value != base[f]]

    @property
    def both_changed(self) -> list[str]:
        """Fields both changed, to different values: the agent picks whose to keep."""
        theirs = set(self._changed(2))
        mine, their_values = self._values[1], self._values[2]
        return [f for f in self._changed(1) if f in theirs and mine[f] != their_values[f]]

    @property
    def only_theirs(self) -> list[str]:
        """Fields only the other agent changed: their value is taken."""
        mine = set(self._changed(1))
        return [f for f in self._changed(2) if f not in mine]

    @property
    def only_mine(self) -> list[str]:
        """Fields only this agent changed: theirs is left as it was, so this agent's is kept."""
        theirs = set(self._changed(2))
        return [f for f in self._changed(1) if f not in theirs]

    def value(self, field_id: str, mine: bool) -> FieldValue:
        """This agent's value of a field, or theirs."""
        return self._values[1 if mine else 2][field_id]

    def merged(self, theirs_for: frozenset[str] = frozenset()) -> ContactDraft:
        """Each agent's changes kept, with their value in the fields named in ``theirs_for``
        (of those both changed) and this agent's in the others."""
        merged = merge_drafts(self.base, self.mine, self.theirs)
        for field_id in self.both_changed:
            if field_id in theirs_for:
                merged = with_value(merged, field_id, self.value(field_id, mine=False))
        return merged

    @property
    def who(self) -> str:
        """Who saved the version the agent's save ran into."""
        return self.latest.modified_by or "someone"


class Resolution(StrEnum):
    """The agent's way on from a conflict."""

    MERGE = "merge"  # the picked values go into the form, to review and save
    OVERWRITE = "overwrite"  # the form is saved as it is over their version
    THEIRS = "theirs"  # their version goes into the form; the agent's entries are dropped


@dataclass(frozen=True)
class ConflictAnswer:
    """What the agent chose, and (for MERGE) the fields where they took the other's value."""

    resolution: Resolution
    theirs_for: frozenset[str] = frozenset()


class ConflictDialog(ModalScreen[ConflictAnswer | None]):
    """The fields both agents changed side by side, a pick per field, and the ways on.

    Dismisses with the agent's answer, or None (Escape) to go back to the form unsaved.
    """

    # Priority: the table of fields has the focus and would take these keys for its cursor.
    BINDINGS = [
        Binding("left,m", "pick(False)", "Mine", id="conflict.mine", priority=True),
        Binding("right,t", "pick(True)", "Theirs", id="conflict.theirs", priority=True),
        Binding("space", "switch", "Switch", show=False, id="conflict.toggle", priority=True),
        Binding("enter", "answer('merge')", "Use these", id="conflict.merge", priority=True),
        Binding("o", "answer('overwrite')", "Overwrite with mine", id="conflict.overwrite"),
        Binding("s", "answer('theirs')", "See theirs", id="conflict.see_theirs"),
        Binding("escape", "back", "Back", id="conflict.back"),
    ]

    def __init__(self, conflict: Conflict, contact_name: str) -> None:
        super().__init__()
        self.conflict = conflict
        self.contact_name = contact_name
        # Fields where the agent has picked their value; the agent's own is the default.
        self.theirs_for: set[str] = set()

    def compose(self) -> ComposeResult:
        """Who saved first, the fields side by side, what else changed, and the keys."""
        with Vertical(id="conflict-dialog", classes="dialog"):
            yield Static(self._headline(), id="conflict-who", classes="dialog-text")
            table: DataTable[Text] = DataTable(
                id="conflict-fields", cursor_type="row", zebra_stripes=False
            )
            yield table
            yield Static(self._others(), id="conflict-others", classes="dialog-text")
            yield Static(self._ways(), id="conflict-ways", classes="dialog-text")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Fill the side-by-side table (hidden when no field was changed by both)."""
        table: DataTable[Text] = self.query_one("#conflict-fields", DataTable)
        table.add_column("Field", key="field", width=FIELD_WIDTH)
        table.add_column("Yours", key="mine", width=VALUE_WIDTH)
        table.add_column(
            Text(safe(f"Theirs ({self.conflict.who})", VALUE_WIDTH)),
            key="theirs",
            width=VALUE_WIDTH,
        )
        for field_id in self.conflict.both_changed:
            table.add_row(*self._cells(field_id), key=field_id)
        table.display = bool(self.conflict.both_changed)
        table.focus()

    def _headline(self) -> Text:
        latest = self.conflict.latest
        saved = f"{when(latest.modify_date)}, version {latest.version}"
        name = safe(self.contact_name, 40)
        who = safe(self.conflict.who, 40)
        if self.conflict.promoted:
            added = safe(latest.display_name, 40)
            lead = f"{who} added this contact to Contacts first, as {added} ({saved}). "
            lead += "Your entries can be saved onto it as an edit."
        else:
            lead = f"{who} saved {name} while you were editing ({saved})."
        text = Text()
        text.append(lead, style="bold")
        if self.conflict.both_changed:
            text.append(
                "\nYou both changed the fields below: pick whose value to keep in each "
                "(← or m yours, → or t theirs, space switches)."
            )
        else:
            text.append("\nNo field was changed by both of you.")
        return text

    def _cells(self, field_id: str) -> tuple[Text, Text, Text]:
        theirs = field_id in self.theirs_for
        mine_value = shown_value(self.conflict.value(field_id, mine=True))
        their_value = shown_value(self.conflict.value(field_id, mine=False))
        return (
            cell(label_of(field_id), FIELD_WIDTH),
            self._choice(mine_value, chosen=not theirs),
            self._choice(their_value, chosen=theirs),
        )

    @staticmethod
    def _choice(value: str, chosen: bool) -> Text:
        shown = cell(value or "(empty)", VALUE_WIDTH - len(CHOSEN))
        mark = Text(CHOSEN if chosen else NOT_CHOSEN, style="bold")
        if not chosen:
            shown.stylize("dim")
        else:
            shown.stylize("bold")
        return mark + shown

    def _others(self) -> Text:
        text = Text()
        theirs = [label_of(f) for f in self.conflict.only_theirs]
        mine = [label_of(f) for f in self.conflict.only_mine]
        if theirs:
            text.append(f"Only {safe(self.conflict.who, 40)} changed: ")
            text.append(", ".join(theirs), style="bold")
            text.append(" (their values are taken).\n")
        if mine:
            text.append("Only you changed: ")
            text.append(", ".join(mine), style="bold")
            text.append(" (your values are kept).\n")
        text.rstrip()
        return text

    def _ways(self) -> Text:
        edit = " (as an edit)" if self.conflict.promoted else ""
        return Text.assemble(
            ("enter", "bold"),
            f" put these values in the form, to review and save{edit}\n",
            ("o", "bold"),
            f" overwrite with mine: save the form as it is{edit}, undoing their changes\n",
            ("s", "bold"),
            " see theirs: their version in the form, your entries dropped\n",
            ("esc", "bold"),
            " back to the form, nothing saved",
        )

    def _redraw(self, field_id: str) -> None:
        table: DataTable[Text] = self.query_one("#conflict-fields", DataTable)
        for column, value in zip(("field", "mine", "theirs"), self._cells(field_id), strict=True):
            table.update_cell(field_id, column, value)

    @property
    def _highlighted(self) -> str | None:
        fields = self.conflict.both_changed
        row = self.query_one("#conflict-fields", DataTable).cursor_row
        return fields[row] if 0 <= row < len(fields) else None

    def action_pick(self, theirs: bool) -> None:
        """Keep theirs (or yours) in the highlighted field."""
        field_id = self._highlighted
        if field_id is None:
            return
        if theirs:
            self.theirs_for.add(field_id)
        else:
            self.theirs_for.discard(field_id)
        self._redraw(field_id)

    def action_switch(self) -> None:
        """Switch the highlighted field between yours and theirs."""
        field_id = self._highlighted
        if field_id is not None:
            self.action_pick(field_id not in self.theirs_for)

    def action_answer(self, resolution: str) -> None:
        """Close with the agent's choice."""
        self.dismiss(ConflictAnswer(Resolution(resolution), frozenset(self.theirs_for)))

    def action_back(self) -> None:
        """Back to the form; nothing is saved."""
        self.dismiss(None)
