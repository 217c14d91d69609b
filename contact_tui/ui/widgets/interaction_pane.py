"""The agent's interactions: a table, and the selected one's details below it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from contact_tui.domain.model import Interaction, InteractionState
from contact_tui.ui.render import age, cell, interaction_details

COLUMNS = (
    ("channel", "Channel", 9),
    ("from", "From", 18),
    ("name", "Name", 16),
    ("state", "State", 9),
    ("age", "Age", 4),
)


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

    def compose(self) -> ComposeResult:
        """Title, table, details."""
        yield Static("Interactions", id="interactions-title", classes="pane-title")
        table: DataTable[Text | str] = DataTable(
            id="interaction-list", cursor_type="row", zebra_stripes=False
        )
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        with VerticalScroll(id="interaction-detail"):
            yield Static("", id="interaction-detail-text")

    @property
    def selected(self) -> Interaction | None:
        """The interaction under the cursor."""
        table = self.query_one(DataTable)
        if not self.interactions or table.cursor_row < 0:
            return None
        return self.interactions[min(table.cursor_row, len(self.interactions) - 1)]

    def show(self, interactions: list[Interaction], now: datetime) -> None:
        """Show these interactions, keeping the cursor on the same one where it still exists."""
        table: DataTable[Text | str] = self.query_one(DataTable)
        previous = self.selected
        same_rows = [i.id for i in interactions] == [i.id for i in self.interactions]
        self.interactions = interactions
        if same_rows:
            for interaction in interactions:
                for key, value in self._cells(interaction, now).items():
                    table.update_cell(interaction.id, key, value)
        else:
            table.clear()
            for interaction in interactions:
                table.add_row(*self._cells(interaction, now).values(), key=interaction.id)
            if previous is not None and previous.id in {i.id for i in interactions}:
                table.move_cursor(row=table.get_row_index(previous.id))
        waiting = sum(1 for i in interactions if i.state != InteractionState.ENDED)
        self.query_one("#interactions-title", Static).update(
            Text.assemble(("Interactions", "bold"), f"  {waiting} open, {len(interactions)} in all")
        )
        self._show_detail()
        if not same_rows or previous != self.selected:
            self.post_message(self.Selected(self.selected))

    @staticmethod
    def _cells(interaction: Interaction, now: datetime) -> dict[str, Text | str]:
        return {
            "channel": interaction.channel_label,
            "from": cell(interaction.from_.address, 24),
            "name": cell(interaction.from_.name, 24),
            "state": interaction.state.value,
            "age": age(interaction.started_at, now),
        }

    def _show_detail(self) -> None:
        selected = self.selected
        detail = self.query_one("#interaction-detail-text", Static)
        if selected is None:
            detail.update(Text("No interactions yet. New ones appear here as they arrive."))
        else:
            detail.update(interaction_details(selected))

    @on(DataTable.RowHighlighted, "#interaction-list")
    def _moved(self) -> None:
        self._show_detail()
        # Another interaction's transcript starts at its top, not where the last one was left.
        self.query_one("#interaction-detail", VerticalScroll).scroll_home(
            animate=False, immediate=True
        )
        self.post_message(self.Selected(self.selected))
