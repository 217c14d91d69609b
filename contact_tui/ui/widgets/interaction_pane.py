"""The agent's interactions: a table, and the selected one's details below it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey, RowKey

from contact_tui.domain.model import (
    Contact,
    ContactType,
    Interaction,
    InteractionState,
    MatchKind,
)
from contact_tui.domain.present import sender_address as sender_address
from contact_tui.ui.render import age, cell, interaction_details

COLUMNS = (
    ("channel", "Channel", 9),
    ("from", "From", 18),
    ("name", "Name", 16),
    ("state", "State", 9),
    ("age", "Age", 4),
)

Cell = Text | str


def shown_name(interaction: Interaction, contact: Contact | None) -> str:
    """The Name column: the linked contact's own name once an agent curated it (or it was
    identified), else the caller-ID or sender name the interaction came with."""
    if contact is not None and contact.type != ContactType.EPHEMERAL:
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        if name:
            return name
    return interaction.from_.name


def match_count(interaction: Interaction) -> int:
    """How many contacts matched the sender when several did (0 otherwise)."""
    several = interaction.match == MatchKind.MULTIPLE and len(interaction.candidate_ids) > 1
    return len(interaction.candidate_ids) if several else 0


def seconds_to_next_age(then: datetime, now: datetime) -> float:
    """Seconds until :func:`render.age` of ``then`` shows another text: the next second under
    a minute, the next minute under an hour, and so on."""
    elapsed = max(0.0, (now - then).total_seconds())
    for unit, below in ((1, 60), (60, 3600), (3600, 86400)):
        if elapsed < below:
            return (int(elapsed // unit) + 1) * unit - elapsed
    return (int(elapsed // 86400) + 1) * 86400 - elapsed


class InteractionTable(DataTable[Cell]):
    """The interaction list: Home and End go to the first and last interaction, and a cell
    can be changed repainting only that cell (an age ticking over)."""

    BINDINGS = [
        Binding("home", "scroll_top", "First", show=False, id="interactions.first"),
        Binding("end", "scroll_bottom", "Last", show=False, id="interactions.last"),
    ]

    def set_cell(self, row_key: str, column_key: str, value: Cell) -> None:
        """Change one cell and repaint that cell alone. ``update_cell`` repaints the whole
        table, which over SSH is the whole table's bytes for one changed age."""
        row, column = RowKey(row_key), ColumnKey(column_key)
        self._data[row][column] = value
        # The render caches are keyed by this count: bumping it drops the stale cell.
        self._update_count += 1
        self.refresh_coordinate(Coordinate(self.get_row_index(row), self.get_column_index(column)))


class InteractionPane(Vertical):
    """Lists interactions; posts :class:`InteractionPane.Selected` when the cursor moves."""

    class Selected(Message):
        """The agent moved to another interaction (or to none)."""

        def __init__(self, interaction: Interaction | None) -> None:
            super().__init__()
            self.interaction = interaction

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.interactions: list[Interaction] = []
        # What each row's cells show now, so a repaint sends only the cells that changed.
        self._shown: dict[str, dict[str, Cell]] = {}
        self._title: Text | None = None
        self._detail_of: Interaction | None = None
        self._detail_shown = False

    def compose(self) -> ComposeResult:
        """Title, table, details."""
        yield Static("Interactions", id="interactions-title", classes="pane-title")
        table = InteractionTable(id="interaction-list", cursor_type="row", zebra_stripes=False)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        with VerticalScroll(id="interaction-detail"):
            yield Static("", id="interaction-detail-text")

    @property
    def selected(self) -> Interaction | None:
        """The interaction under the cursor."""
        table = self.query_one(InteractionTable)
        if not self.interactions or table.cursor_row < 0:
            return None
        return self.interactions[min(table.cursor_row, len(self.interactions) - 1)]

    def show(
        self,
        interactions: list[Interaction],
        now: datetime,
        contacts: Mapping[str, Contact] | None = None,
        region: str = "US",
    ) -> None:
        """Show these interactions, keeping the cursor on the same one where it still exists.
        ``contacts`` (by id) gives linked contacts' names; ``region`` reads numbers without +."""
        contacts = contacts or {}
        table = self.query_one(InteractionTable)
        previous = self.selected
        same_rows = [i.id for i in interactions] == [i.id for i in self.interactions]
        self.interactions = interactions
        rows = {
            i.id: self._cells(i, now, contacts.get(i.contact_id or ""), region)
            for i in interactions
        }
        if same_rows:
            for row_id, cells in rows.items():
                shown = self._shown[row_id]
                for key, value in cells.items():
                    if shown.get(key) != value:
                        table.set_cell(row_id, key, value)
        else:
            table.clear()
            for row_id, cells in rows.items():
                table.add_row(*cells.values(), key=row_id)
            if previous is not None and previous.id in rows:
                table.move_cursor(row=table.get_row_index(previous.id))
        self._shown = rows
        waiting = sum(1 for i in interactions if i.state != InteractionState.ENDED)
        title = Text.assemble(
            ("Interactions", "bold"), f"  {waiting} open, {len(interactions)} in all"
        )
        if title != self._title:
            self._title = title
            self.query_one("#interactions-title", Static).update(title)
        self._show_detail()
        if not same_rows or previous != self.selected:
            self.post_message(self.Selected(self.selected))

    def refresh_ages(self, now: datetime) -> float | None:
        """Repaint the age cells whose text changed by ``now``; return the seconds until the
        next one changes (None with no rows)."""
        if not self.interactions:
            return None
        table = self.query_one(InteractionTable)
        for interaction in self.interactions:
            text = age(interaction.started_at, now)
            shown = self._shown.get(interaction.id)
            if shown is not None and shown.get("age") != text:
                shown["age"] = text
                table.set_cell(interaction.id, "age", text)
        return min(seconds_to_next_age(i.started_at, now) for i in self.interactions)

    @staticmethod
    def _cells(
        interaction: Interaction, now: datetime, contact: Contact | None, region: str
    ) -> dict[str, Cell]:
        name = cell(shown_name(interaction, contact), 24)
        count = match_count(interaction)
        if count:
            # Several contacts match: say so on the row, where it cannot be scrolled away.
            name = Text.assemble((f"({count}) ", "bold"), name)
            name.no_wrap, name.overflow = True, "ellipsis"
        return {
            "channel": interaction.channel_label,
            "from": cell(sender_address(interaction, region), 24),
            "name": name,
            "state": interaction.state.value,
            "age": age(interaction.started_at, now),
        }

    def _show_detail(self) -> None:
        selected = self.selected
        if self._detail_shown and selected == self._detail_of:
            return  # the same interaction, unchanged: nothing to repaint
        self._detail_of, self._detail_shown = selected, True
        detail = self.query_one("#interaction-detail-text", Static)
        if selected is None:
            detail.update(Text("No interactions yet. New ones appear here as they arrive."))
        else:
            detail.update(interaction_details(selected))

    @on(DataTable.RowHighlighted, "#interaction-list")
    def _moved(self) -> None:
        self._show_detail()
        # Another interaction's transcript starts at its top, not where the last one was left
        # (a scroll that moves nothing would still repaint the pane).
        detail = self.query_one("#interaction-detail", VerticalScroll)
        if detail.scroll_y:
            detail.scroll_home(animate=False, immediate=True)
        self.post_message(self.Selected(self.selected))
