"""Turning contacts and interactions into text for the screen, safely.

Customer text (names, subjects, transcripts, display names) is data, never markup: every
value goes into a ``rich.text.Text`` as plain text (no markup parsing), after
:func:`printable` has escaped control and bidi characters and :func:`terminal_text` has dropped
the few whose width terminals disagree on, and is clipped so a 10,000-character name cannot push
the layout around. Labels are ours and carry the styling.

Stored text can be anything (a store written by an older version, or edited by hand), so
nothing here trusts it: every widget that shows store or customer text gets it through
:func:`safe` (or :func:`cell`, :func:`plain`), and the cost of each call is bounded by the
columns shown, not by the length of the text (a 20 MB transcript line once made every key
press take 16-42 s).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from contact_tui.domain.model import (
    AuditRecord,
    Contact,
    Interaction,
    MessagingIdentity,
    Note,
    PhoneNumber,
)
from contact_tui.domain.present import (
    PhoneNote,
    counted,
    history_entries,
    phone_notes,
    sender_address,
    short_timestamp,
)
from contact_tui.domain.text import clip, printable, terminal_text

LABEL_STYLE = "bold"
DIM = "dim"
MAX_VALUE = 200
MAX_NOTE_LINES = 20
MAX_TRANSCRIPT_LINES = 500
TRANSCRIPT_WIDTH = 2000
# Addresses listed on a To or Cc line, at most.
MAX_RECIPIENTS = 20
# Characters looked at per column shown. A column holds one character, or a few with the
# combining marks on them; text with more than this many per column is cut (and marked cut).
CHARS_PER_COLUMN = 4
ELLIPSIS = "…"
# No field's rule allows a longer value, so a longer stored one is never put in a field to edit.
MAX_EDITABLE = 10_000


def safe(value: str, limit: int = MAX_VALUE) -> str:
    """Customer text made printable, without characters of uncertain width (see
    :func:`terminal_text`), and clipped to ``limit`` columns, with an ellipsis.

    The text is cut by length before anything measures it, so the cost is bounded by
    ``limit`` whatever the length of ``value``.
    """
    budget = max(1, limit) * CHARS_PER_COLUMN
    head = value[:budget]
    # Escaping makes a character up to ten (\U000e0041), so cut again after it.
    text = terminal_text(head)
    cut = len(head) < len(value) or len(text) > budget
    text = text[:budget]
    if text.isascii():  # escaped: every character is printable and one column wide
        if len(text) <= limit and not cut:
            return text
        return text[: max(0, limit - 1)] + ELLIPSIS
    if not cut:
        return clip(text, limit, ELLIPSIS)
    return clip(text, max(0, limit - 1), "") + ELLIPSIS


def editable(value: str) -> bool:
    """True when ``value`` may be put in an editable field as it is. An ``Input`` draws what it
    holds raw, so the value must have no character :func:`printable` would escape (ESC, BEL,
    bidi overrides...), and it must not be longer than any field allows."""
    return len(value) <= MAX_EDITABLE and printable(value) == value


def plain(value: str, limit: int = MAX_VALUE, style: str = "") -> Text:
    """Customer text as a Rich ``Text``: through :func:`safe`, never parsed as markup."""
    return Text(safe(value, limit), style=style)


def first_lines(text: str, count: int, width: int = MAX_VALUE) -> tuple[list[str], bool]:
    """The first ``count`` lines of ``text``, each cut to ``width`` columns' worth of
    characters, and whether there is more; never splits or copies the rest of ``text``."""
    lines: list[str] = []
    start = 0
    while len(lines) < count:
        end = text.find("\n", start)
        stop = len(text) if end == -1 else end
        lines.append(text[start : min(stop, start + width * CHARS_PER_COLUMN + 1)])
        if end == -1:
            return lines, False
        start = end + 1
    return lines, True


def joined(values: Sequence[str], limit: int = MAX_RECIPIENTS) -> str:
    """The first ``limit`` of ``values`` joined by commas, each cut to what a line can show,
    with a count of the rest."""
    shown = ", ".join(v[: MAX_VALUE * CHARS_PER_COLUMN + 1] for v in values[:limit])
    if len(values) > limit:
        shown += f" and {len(values) - limit:,} more"
    return shown


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
    """A date for 'last changed' lines, to the minute in UTC so every agent reads the same
    thing; 'unknown' for none."""
    return short_timestamp(moment, "unknown")


# How each phone note looks after the number: SMS is a feature, "not searchable" a caveat.
_PHONE_NOTE_LOOK = {
    PhoneNote.SMS: ("  {}", "bold"),
    PhoneNote.NOT_SEARCHABLE: ("  ({})", "italic"),
}


def phone_line(phone: PhoneNumber) -> Text:
    """A number, its extension, its SMS flag, and a marker when it is not searchable."""
    line = Text(safe(phone.display, 60))
    for note in phone_notes(phone):
        shape, style = _PHONE_NOTE_LOOK[note]
        line.append(shape.format(note), style=style)
    return line


def _row(text: Text, label: str, value: Text | str) -> None:
    text.append(f"{label:<10}", style=LABEL_STYLE)
    text.append(value if isinstance(value, Text) else plain(value))
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
        _row(text, identity.platform.label, _identity(identity))
    if not contact.address.is_empty():
        for n, line in enumerate(contact.address.lines()):
            _row(text, "Address" if n == 0 else "", line)
    _row(text, "Surveys", "opted out" if contact.survey_opt_out else "may be surveyed")
    changed_by = contact.modified_by or contact.created_by or "unknown"
    _row(text, "Changed", f"{when(contact.modify_date)} by {safe(changed_by, 40)}")
    text.rstrip()
    return text


def _identity(identity: MessagingIdentity) -> Text:
    """A messaging identity's ids, handle and display name (as its ``summary()`` puts them),
    each made safe on its own."""
    line = Text(safe(joined(identity.ids)))
    if identity.handle:
        line.append(f" (@{safe(identity.handle, 60)})")
    if identity.display_name:
        line.append(f", display name {safe(identity.display_name, 60)}")
    return line


def interaction_details(interaction: Interaction) -> Text:
    """From, to, subject and transcript of the selected interaction."""
    text = Text()
    sender = Text(safe(interaction.from_.address))
    if interaction.from_.name:
        sender = Text.assemble(safe(interaction.from_.name, 80), " <", sender, ">")
    _row(text, "From", sender)
    if interaction.to:
        _row(text, "To", joined(interaction.to))
    if interaction.cc:
        _row(text, "Cc", joined(interaction.cc))
    if interaction.subject:
        _row(text, "Subject", interaction.subject)
    _row(text, "State", interaction.state.value)
    for line in interaction.transcript[:MAX_TRANSCRIPT_LINES]:
        text.append(safe(line, TRANSCRIPT_WIDTH))
        text.append("\n")
    if len(interaction.transcript) > MAX_TRANSCRIPT_LINES:
        more = len(interaction.transcript) - MAX_TRANSCRIPT_LINES
        text.append(f"… {more} more lines", style=DIM)
    text.rstrip()
    return text


# The profile's history: this many interactions at most, each with this many note lines.
MAX_HISTORY = 20
MAX_HISTORY_NOTE_LINES = 3
HISTORY_WIDTH = 70


def contact_history(
    interactions: Sequence[Interaction],
    wrap_up_key: str = "",
    merges: Sequence[AuditRecord] = (),
    undo_key: str = "",
    region: str = "US",
) -> Text:
    """A contact's interactions for the profile, newest first, a few lines each: when, the
    channel, whose it was and its state; the number or address it came from (a number
    formatted for ``region``); what it was about (subject, else the first transcript
    line); the first lines of its wrap-up note. Only interactions the agent may read are
    given (the service's rule), and no transcript is shown beyond its first line.
    ``wrap_up_key`` is the key that writes the selected interaction's note ("": none).

    ``merges``: the standing merges into the contact (MERGE audit records), shown among the
    interactions by time: when, who merged, which contact was merged in and how many
    interactions came with it; ``undo_key`` is the key that lists them to undo one ("" when
    the agent may not)."""
    text = Text()
    text.append("History", style=LABEL_STYLE)
    if wrap_up_key:
        text.append(f"  {wrap_up_key}: wrap-up note of the selected interaction", style=DIM)
    if merges and undo_key:
        # On a line of its own after the wrap-up hint: together they wrap at 80 columns.
        sep = "\n" if wrap_up_key else "  "
        text.append(f"{sep}{undo_key}: undo a merge", style=DIM)
    if not interactions and not merges:
        text.append("\nNo interactions yet.", style=DIM)
        return text
    entries = history_entries(interactions, merges)
    for entry in entries[:MAX_HISTORY]:
        text.append("\n")
        if isinstance(entry, AuditRecord):
            text.append(merge_entry(entry))
            continue
        interaction = entry
        head = (
            f"{when(interaction.started_at)}  {interaction.channel_label}  "
            f"{safe(interaction.agent, 30)}  {interaction.state.value}"
        )
        text.append(head, style="italic")
        # On a line of its own, lined up with the wrap-up note: a number never wraps apart.
        text.append("\n  ")
        text.append("From    ", style=LABEL_STYLE)
        text.append(safe(sender_address(interaction, region), HISTORY_WIDTH))
        about = interaction.subject or (interaction.transcript[0] if interaction.transcript else "")
        if about:
            text.append("\n  ")
            text.append(safe(about, HISTORY_WIDTH))
        if interaction.wrap_up_note:
            lines, more = first_lines(
                interaction.wrap_up_note, MAX_HISTORY_NOTE_LINES, HISTORY_WIDTH
            )
            for n, line in enumerate(lines):
                text.append("\n  ")
                text.append("Wrap-up " if n == 0 else "        ", style=LABEL_STYLE)
                text.append(safe(line, HISTORY_WIDTH))
            if more:
                text.append("\n          … more lines", style=DIM)
    if len(entries) > MAX_HISTORY:
        text.append(f"\n… {len(entries) - MAX_HISTORY:,} older", style=DIM)
    return text


def merge_entry(record: AuditRecord) -> Text:
    """One standing merge, as the profile's history and the list of merges to undo both show
    it: when, 'Merge', who; then whom, and how many interactions came with it."""
    assert record.merge is not None
    other = record.merge.other_before
    text = Text()
    text.append(f"{when(record.at)}  Merge  {safe(record.agent, 30)}", style="italic")
    text.append("\n  Merged in ")
    text.append(safe(other.display_name, 40), style=LABEL_STYLE)
    text.append(f" ({other.type.value}), {counted(len(record.merge.relinked), 'interaction')}")
    text.append(" with it")
    return text


# Contact notes the profile shows, at most (the newest); the CLI lists them all.
MAX_NOTES_SHOWN = 20


def contact_notes_text(notes: Sequence[Note], add_key: str = "", list_key: str = "") -> Text:
    """A contact's notes for the profile, newest first: who wrote each and when (and who last
    changed it), then its first lines, each made safe; ``add_key`` is the key that adds one
    ("" when the agent may not), ``list_key`` the one that lists them to read each whole, edit
    or delete one (a note cut here says so, naming it)."""
    text = Text()
    text.append(f"Notes ({len(notes)})", style=LABEL_STYLE)
    if add_key:
        text.append(f"  {add_key} adds one", style=DIM)
    if list_key and notes:
        text.append(f"  {list_key} reads, edits", style=DIM)
    text.append("\n")
    whole = f"; {list_key} shows it whole" if list_key else ""
    for note in notes[:MAX_NOTES_SHOWN]:
        head = Text.assemble(
            (safe(note.created_by or "unknown", 40), "bold"), f"  {when(note.create_date)}"
        )
        if note.version > 1:
            changer = safe(note.modified_by or "unknown", 40)
            head.append(f"  (edited {when(note.modify_date)} by {changer})", style=DIM)
        text.append(head)
        text.append("\n")
        lines, more = first_lines(note.text, MAX_NOTE_LINES)
        cut = more
        for line in lines:
            shown = safe(line)
            cut = cut or (shown.endswith(ELLIPSIS) and shown != line)
            text.append("  " + shown)
            text.append("\n")
        if more:
            text.append(f"  … more lines after these {MAX_NOTE_LINES}{whole}\n", style=DIM)
        elif cut and whole:
            text.append(f"  … cut{whole}\n", style=DIM)
    if len(notes) > MAX_NOTES_SHOWN:
        text.append(f"… and {len(notes) - MAX_NOTES_SHOWN} older notes\n", style=DIM)
    text.rstrip()
    return text
