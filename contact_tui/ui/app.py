"""The Textual app. For now a read-only first screen; the agent's full screen comes next."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from contact_tui.domain.text import printable
from contact_tui.service import ContactService


class ContactApp(App[None]):
    """Shows the agent's interactions and who each is linked to."""

    TITLE = "contact-tui"
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, service: ContactService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        """Header, the interactions table, footer."""
        yield Header()
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        """Fill the table from the store."""
        self.sub_title = f"{self.service.agent.user} ({self.service.agent.role_label})"
        table = self.query_one(DataTable)
        table.add_columns("Channel", "From", "Name", "Contact")
        for interaction in self.service.interactions():
            contact = (
                self.service.repo.contact(interaction.contact_id)
                if interaction.contact_id
                else None
            )
            table.add_row(
                interaction.channel_label,
                Text(printable(interaction.from_.address)),
                Text(printable(interaction.from_.name)),
                Text(printable(contact.display_name)) if contact else "(none)",
            )


def run_app(service: ContactService) -> None:
    """Run the app until the agent quits."""
    ContactApp(service).run()
