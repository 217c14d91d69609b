"""The words the command line and the screen both use for a contact: dates, phone notes, the
phone or email a one-line listing shows.

Plain strings only, so the CLI prints them as they are and the screen wraps them in Rich
``Text`` with its own styles; neither may spell these again, or the two drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache

from contact_tui.domain.model import (
    AuditRecord,
    Channel,
    Contact,
    Interaction,
    PhoneNumber,
    Platform,
)
from contact_tui.domain.rules import RuleError, parse_phone

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
SHORT_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M UTC"


def counted(count: int, one: str, many: str = "") -> str:
    """``count`` and its noun, singular for exactly one: '1 note', '2 notes', '0 notes',
    '2,279 rows' (grouped, as the app's other counts are; ``many`` where the plural is not
    ``one`` + 's': 'matches', 'values have')."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def _in_utc(moment: datetime) -> datetime:
    # Stored dates are already UTC; one with another offset is converted so the label is true.
    # A naive one is taken as UTC, which is what every date the app makes is.
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


def timestamp(moment: datetime | None, missing: str = "") -> str:
    """A moment to the second in UTC ('2026-03-01 09:30:15 UTC'), for records and messages
    where seconds tell writes apart; ``missing`` for none."""
    return _in_utc(moment).strftime(TIMESTAMP_FORMAT) if moment is not None else missing


def short_timestamp(moment: datetime | None, missing: str = "") -> str:
    """A moment to the minute in UTC ('2026-03-01 09:30 UTC'), for 'last changed' lines;
    ``missing`` for none."""
    return _in_utc(moment).strftime(SHORT_TIMESTAMP_FORMAT) if moment is not None else missing


class PhoneNote(StrEnum):
    """Something worth saying next to a phone number."""

    SMS = "SMS"
    NOT_SEARCHABLE = "not searchable"


def phone_notes(phone: PhoneNumber) -> tuple[PhoneNote, ...]:
    """The notes shown after a number, in the order shown."""
    notes: list[PhoneNote] = []
    if phone.accepts_sms:
        notes.append(PhoneNote.SMS)
    if not phone.searchable:
        notes.append(PhoneNote.NOT_SEARCHABLE)
    return tuple(notes)


def phone_text(phone: PhoneNumber) -> str:
    """A number with its notes in brackets: '+1 317-555-0123  (SMS, not searchable)'."""
    notes = phone_notes(phone)
    return phone.display + (f"  ({', '.join(notes)})" if notes else "")


def first_phone(contact: Contact) -> str:
    """The number a one-line listing shows: the first searchable one (the one that finds the
    contact again), else the first; '' for none."""
    phones = [phone for _, phone in contact.phones()]
    if not phones:
        return ""
    return next((p for p in phones if p.searchable), phones[0]).display


def first_email(contact: Contact) -> str:
    """The address a one-line listing shows: the first, in form order; '' for none."""
    emails = contact.emails()
    return emails[0][1] if emails else ""


def first_reachable(contact: Contact) -> str:
    """One way to reach a contact for a one-line listing: its first phone, else its first
    email; '' for neither."""
    return first_phone(contact) or first_email(contact)


# Senders whose address is a phone number (other platforms' ids are not numbers to format).
PHONE_PLATFORMS = (Platform.SMS, Platform.WHATSAPP)


@lru_cache(maxsize=4096)
def formatted_number(address: str, region: str) -> str:
    """A caller's number in international format ("+1 317-555-0123"), so every row reads the
    same way whatever the routing side sent; the address as sent when it is not a number."""
    try:
        phone = parse_phone(address, region)
    except RuleError:
        return address
    return phone.display if phone.e164 else address


def sender_address(interaction: Interaction, region: str) -> str:
    """Where an interaction came from, as the interaction list's From column and the
    contact's history show it: a phone sender's number formatted, anything else as sent."""
    is_phone = interaction.channel == Channel.VOICE or (
        interaction.channel == Channel.MESSAGE and interaction.platform in PHONE_PLATFORMS
    )
    address = interaction.from_.address
    return formatted_number(address, region) if is_phone else address


def history_entries(
    interactions: Sequence[Interaction], merges: Sequence[AuditRecord]
) -> list[Interaction | AuditRecord]:
    """A contact's interactions and the merges into it in one list, newest first, as the
    profile shows them; a merge at the same moment as an interaction comes first (after it)."""
    entries: list[Interaction | AuditRecord] = [*interactions, *merges]
    entries.sort(
        key=lambda e: (e.at, 1) if isinstance(e, AuditRecord) else (e.started_at, 0),
        reverse=True,
    )
    return entries
