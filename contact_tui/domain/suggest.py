"""What the contact form offers from the current interaction: numbers and addresses.

On a voice call the caller's number comes first, then numbers the transcript mentions; on an
email the sender comes first, then Cc and To. Offered, never forced in.

This runs on the UI thread when a form opens, and a transcript is customer text of any size,
so every step here is bounded: how much of the transcript is read, how many places in it are
looked at, and how much text around each one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

import phonenumbers

from contact_tui.domain.model import Channel, Interaction, PhoneKind, Platform
from contact_tui.domain.rules import (
    MAX_EMAIL_LENGTH,
    RuleError,
    looks_like_email,
    normalize_email,
    parse_phone,
)

# How much of a transcript is read, at most.
MAX_SCAN_CHARS = 20_000
# How many "@" (or possible numbers) in it are looked at, and how many To and Cc addresses.
MAX_CANDIDATES = 20
# An address's local part is at most 64 characters (RFC 5321); its domain at most 253.
_MAX_LOCAL = 64
_MAX_DOMAIN = 253
_LOCAL_CHAR = re.compile(r"[\w.+'-]")
_DOMAIN_CHAR = re.compile(r"[\w.-]")
# Matched at the character after an "@", over at most _MAX_DOMAIN characters: no search, no
# backtracking across the transcript. A regex searched over the whole text (local part first)
# tried every start position and took 1.9-2.9 s on 20,000 characters without an "@".
_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+")


def _phone(text: str, region: str) -> str | None:
    try:
        phone = parse_phone(text, region)
    except RuleError:
        return None
    return phone.display if phone.searchable else None


def transcript_head(interaction: Interaction, limit: int = MAX_SCAN_CHARS) -> str:
    """The first ``limit`` characters of the transcript, lines joined by newlines, read
    without joining (copying) the rest of it."""
    parts: list[str] = []
    room = limit
    for line in interaction.transcript:
        if room <= 0:
            break
        part = line[:room]
        parts.append(part)
        room -= len(part) + 1
    return "\n".join(parts)[:limit]


# Where a number goes by the kind of line phonenumbers says it is. A mobile (or a number whose
# plan cannot tell mobile from fixed, as in the US and Canada) is a cell phone. A fixed line
# goes to Work: calls from landlines to a contact centre in business hours come mostly from
# offices, and Home is one Tab further on. Anything else (VoIP, toll-free, test ranges the
# plan does not know) stays in Other rather than being guessed at.
_KIND_BY_LINE = {
    phonenumbers.PhoneNumberType.MOBILE: PhoneKind.CELL,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: PhoneKind.CELL,
    phonenumbers.PhoneNumberType.FIXED_LINE: PhoneKind.WORK,
}


def phone_kind_for(e164: str) -> PhoneKind:
    """The phone slot a number in E.164 belongs in, by the kind of line it is."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return PhoneKind.OTHER
    return _KIND_BY_LINE.get(phonenumbers.number_type(number), PhoneKind.OTHER)


def caller_phone(interaction: Interaction | None, region: str) -> tuple[PhoneKind, str] | None:
    """The slot and display form of a voice caller's number, for a new contact made from
    the call: the number the agent is talking to, put where it belongs so they need not
    Tab to it. None when there is no call or its number cannot be searched."""
    if interaction is None or interaction.channel != Channel.VOICE:
        return None
    try:
        phone = parse_phone(interaction.from_.address[:MAX_SCAN_CHARS], region)
    except RuleError:
        return None
    if phone.e164 is None:
        return None
    return phone_kind_for(phone.e164), phone.display


def phone_suggestions(interaction: Interaction | None, region: str) -> list[str]:
    """Numbers to offer in an empty phone field, best first, without repeats."""
    if interaction is None:
        return []
    found: list[str] = []
    if interaction.channel == Channel.VOICE or interaction.platform in (
        Platform.SMS,
        Platform.WHATSAPP,
    ):
        caller = _phone(interaction.from_.address[:MAX_SCAN_CHARS], region)
        if caller:
            found.append(caller)
    # The matcher is lazy: stopping after MAX_CANDIDATES matches stops its scan there too
    # (its own max_tries counts only failed attempts).
    matcher = phonenumbers.PhoneNumberMatcher(
        transcript_head(interaction), region, leniency=phonenumbers.Leniency.POSSIBLE
    )
    for match in islice(matcher, MAX_CANDIDATES):
        display = _phone(match.raw_string, region)
        if display:
            found.append(display)
    return list(dict.fromkeys(found))


def emails_in_text(text: str, limit: int = MAX_CANDIDATES) -> Iterator[str]:
    """Things shaped like email addresses in ``text``, at most ``limit`` of them.

    Finds each "@" first (a C-level scan) and looks only at the few characters around it, so
    the cost grows with the number of "@" looked at (bounded by ``limit``), not with the text.
    A local part or domain longer than an address may have is skipped, not cut to fit: a cut
    one would be someone else's address.
    """
    at = text.find("@")
    tried = 0
    while at != -1 and tried < limit:
        tried += 1
        start = at
        while start > 0 and _LOCAL_CHAR.match(text[start - 1]):
            start -= 1
            if at - start > _MAX_LOCAL:
                start = at  # too long to be a local part
                break
        end = at + 1 + _MAX_DOMAIN
        domain = _DOMAIN.match(text, at + 1, end)
        whole = domain is not None and not (
            domain.end() == end and _DOMAIN_CHAR.match(text, end) is not None
        )
        if start < at and domain is not None and whole:
            yield text[start : domain.end()]
        at = text.find("@", at + 1)


def email_suggestions(interaction: Interaction | None) -> list[str]:
    """Addresses to offer in an empty email field, best first, without repeats."""
    if interaction is None:
        return []
    candidates: list[str] = []
    sender = interaction.from_.address
    if len(sender) <= MAX_EMAIL_LENGTH and (
        interaction.channel == Channel.EMAIL or looks_like_email(sender)
    ):
        candidates.append(sender)
    candidates.extend(interaction.cc[:MAX_CANDIDATES])
    candidates.extend(interaction.to[:MAX_CANDIDATES])
    candidates.extend(emails_in_text(transcript_head(interaction)))
    found: list[str] = []
    for candidate in candidates:
        if len(candidate) > MAX_EMAIL_LENGTH:
            continue  # refused by the rule anyway; not worth copying or stripping
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
