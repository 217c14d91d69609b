"""Turning contacts and interactions into text for the screen, safely.

Customer text (names, subjects, transcripts, display names) is data, never markup: every
value goes into a ``rich.text.Text`` as plain text (no markup parsing), after
:func:`printable` has escaped control and bidi characters and :func:`terminal_text` has dropped
the few whose width terminals disagree on, and is clipped so a 10,000-character name cannot push
the layout around. Labels are ours and carry the styling.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from contact_tui.domain.model import Contact, Interaction, PhoneNumber
from contact_tui.domain.text import clip, terminal_text

LABEL_STYLE = "bold"
DIM = "dim"
MAX_VALUE = 200
MAX_NOTE_LINES = 20


def safe(value: str, limit: int = MAX_VALUE) -> str:
    """Customer text made printable, without characters of uncertain width (see
    :func:`terminal_text`), and clipped to ``limit`` columns, with an ellipsis."""
    return clip(terminal_text(value), limit)


def cell(value: str, limit: int = 40) -> Text:
    """A table cell holding customer text: plain, printable, clipped."""
    return Text(safe(value, limit), no_wrap=True, overflow="ellipsis")


def age(then: datetime, now: datetime) -> str:
    """'12s', '4m', '3h', '2d': short enough for a table column."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def when(moment: datetime | None) -> str:
    """A date for 'last changed' lines, in UTC so every agent reads the same thing."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown"


def phone_line(phone: PhoneNumber) -> Text:
    """A number, its extension, its SMS flag, and a marker when it is not searchable."""
    line = Text(safe(phone.display, 60))
    if phone.accepts_sms:
        line.append("  SMS", style="bold")
    if not phone.searchable:
        line.append("  (not searchable)", style="italic")
    return line


def _row(text: Text, label: str, value: Text | str) -> None:
    text.append(f"{label:<10}", style=LABEL_STYLE)
    text.append(value if isinstance(value, Text) else Text(safe(value)))
    text.append("\n")


def contact_details(contact: Contact) -> Text:
    """Everything the profile shows about a contact below its name, one fact a line."""
    text = Text()
    if contact.title:
        _row(text, "Title", contact.title)
    for kind, phone in contact.phones():
        _row(text, kind.label, phone_line(phone))
    for email_kind, email in contact.emails():
        _row(text, email_kind.label, email)
    for identity in contact.identities:
        _row(text, identity.platform.label, identity.summary())
    if not contact.address.is_empty():
        for n, line in enumerate(contact.address.lines()):
            _row(text, "Address" if n == 0 else "", line)
    _row(text, "Surveys", "opted out" if contact.survey_opt_out else "may be surveyed")
    notes = contact.notes.split("\n") if contact.notes else []
    for n, line in enumerate(notes[:MAX_NOTE_LINES]):
        _row(text, "Notes" if n == 0 else "", line)
    if len(notes) > MAX_NOTE_LINES:
        _row(text, "", Text(f"… {len(notes) - MAX_NOTE_LINES} more lines", style=DIM))
    changed_by = contact.modified_by or contact.created_by or "unknown"
    _row(text, "Changed", f"{when(contact.modify_date)} by {safe(changed_by, 40)}")
    text.rstrip()
    return text


def interaction_details(interaction: Interaction) -> Text:
    """From, to, subject and transcript of the selected interaction."""
    text = Text()
    sender = interaction.from_.address
    if interaction.from_.name:
        sender = f"{interaction.from_.name} <{sender}>"
    _row(text, "From", sender)
    if interaction.to:
        _row(text, "To", ", ".join(interaction.to))
    if interaction.cc:
        _row(text, "Cc", ", ".join(interaction.cc))
    if interaction.subject:
        _row(text, "Subject", interaction.subject)
    _row(text, "State", interaction.state.value)
    for line in interaction.transcript[:500]:
        text.append(safe(line, 2000))
        text.append("\n")
    if len(interaction.transcript) > 500:
        text.append(f"… {len(interaction.transcript) - 500} more lines", style=DIM)
    text.rstrip()
    return text
