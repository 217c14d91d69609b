"""What the contact form offers from the current interaction: numbers and addresses.

On a voice call the caller's number comes first, then numbers the transcript mentions; on an
email the sender comes first, then Cc and To. Offered, never forced in.
"""

from __future__ import annotations

import re

import phonenumbers

from contact_tui.domain.model import Channel, Interaction, Platform
from contact_tui.domain.rules import RuleError, looks_like_email, normalize_email, parse_phone

_EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Keep a lookup bounded: a 10,000-line transcript should not stall the form.
_MAX_SCAN_CHARS = 20_000


def _phone(text: str, region: str) -> str | None:
    try:
        phone = parse_phone(text, region)
    except RuleError:
        return None
    return phone.display if phone.searchable else None


def phone_suggestions(interaction: Interaction | None, region: str) -> list[str]:
    """Numbers to offer in an empty phone field, best first, without repeats."""
    if interaction is None:
        return []
    found: list[str] = []
    if interaction.channel == Channel.VOICE or interaction.platform in (
        Platform.SMS,
        Platform.WHATSAPP,
    ):
        caller = _phone(interaction.from_.address, region)
        if caller:
            found.append(caller)
    text = "\n".join(interaction.transcript)[:_MAX_SCAN_CHARS]
    for match in phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.POSSIBLE
    ):
        display = _phone(match.raw_string, region)
        if display:
            found.append(display)
    return list(dict.fromkeys(found))


def email_suggestions(interaction: Interaction | None) -> list[str]:
    """Addresses to offer in an empty email field, best first, without repeats."""
    if interaction is None:
        return []
    candidates: list[str] = []
    if interaction.channel == Channel.EMAIL or looks_like_email(interaction.from_.address):
        candidates.append(interaction.from_.address)
    candidates.extend(interaction.cc)
    candidates.extend(interaction.to)
    text = "\n".join(interaction.transcript)[:_MAX_SCAN_CHARS]
    candidates.extend(_EMAIL_IN_TEXT.findall(text))
    found: list[str] = []
    for candidate in candidates:
        try:
            found.append(normalize_email(candidate))
        except RuleError:
            continue
    seen: set[str] = set()
    unique = []
    for address in found:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique
