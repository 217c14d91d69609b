"""Likely duplicates: what a contact about to be saved has in common with contacts already
stored, and how to say it (issue 13, "Duplicates before they happen").

A **hard** match is another contact holding one of the draft's phone numbers (compared in
E.164) or email addresses (compared as the identity keys are): the same customer, or a number
people share. A **soft** match is another contact with the same folded first and last name
(case, accents and spacing ignored) and the same postal code or the same email domain: likely
the same person typed again. The service finds the contacts (through the store's identity keys
and its search); this module says which parts of a draft can match and why a contact does.

Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from contact_tui.domain.draft import ContactDraft, check_email, phone_countries
from contact_tui.domain.identity import email_identity, phone_identity
from contact_tui.domain.model import Contact
from contact_tui.domain.rules import RuleError, phone_key
from contact_tui.domain.text import fold

# How many contacts with the draft's name words a soft check reads: a name shared by more
# contacts than this (a very common name at 100,000 contacts) is checked among the first ones
# in directory order only, so the check stays one bounded search.
SOFT_CANDIDATES = 100


@dataclass(frozen=True)
class MatchKey:
    """One identity of a draft that another contact may hold: the store's key, the value as
    messages show it ("+13175550123", "sam@example.com"), and the form fields holding it."""

    key: str
    shown: str
    field_ids: tuple[str, ...]
    is_email: bool


@dataclass(frozen=True)
class DuplicateMatch:
    """A stored contact a draft is likely a duplicate of, and why: ``reasons`` are short
    phrases ("has the number +13175550123", "same name and postal code 46204");
    ``field_ids`` are the form fields holding what matched (empty for a soft match).

    ``known``: the curated contact being edited already shared everything it matches by (a
    family's home phone kept on purpose): worth a note, not a stop."""

    contact: Contact
    reasons: tuple[str, ...]
    field_ids: tuple[str, ...] = ()
    known: bool = False

    def describe(self) -> str:
        """'Sam Lee (id 1234...) has the number +13175550123': for messages and the CLI."""
        return f"{self.contact.display_name} (id {self.contact.id}) {', '.join(self.reasons)}"


@dataclass(frozen=True)
class Duplicates:
    """What a draft has in common with stored contacts: hard matches (a phone or email on
    another contact: the save stops and offers what to do) and soft ones (a note)."""

    hard: tuple[DuplicateMatch, ...] = ()
    soft: tuple[DuplicateMatch, ...] = ()

    def holding(self, field_id: str) -> tuple[Contact, ...]:
        """The contacts holding what form field ``field_id`` holds (hard matches)."""
        return tuple(m.contact for m in self.hard if field_id in m.field_ids)

    def stopping(self, accepted: frozenset[str] = frozenset()) -> tuple[DuplicateMatch, ...]:
        """The hard matches a save stops for: not ``known``, and whose contacts are not in
        ``accepted`` (ids the agent already chose to save beside)."""
        return tuple(m for m in self.hard if not m.known and m.contact.id not in accepted)


def match_keys(draft: ContactDraft, region: str) -> list[MatchKey]:
    """The identity keys of a draft's phones and emails, each once, in form order. A number
    with no E.164 form, or text that is not an address, is left out (it cannot be matched;
    the form says what is wrong with it): the check works on a half-typed form."""
    found: dict[str, MatchKey] = {}
    # A number without + is read where a save reads it: the address's country first.
    countries = phone_countries(draft, region)
    for kind, phone in draft.phones.items():
        e164 = phone_key(phone.text, countries[kind][0]) if phone.text.strip() else None
        if e164:
            _add(found, MatchKey(phone_identity(e164), e164, (kind.value,), False))
    for email_kind, address in draft.emails.items():
        if not address.strip():
            continue
        try:
            clean = check_email(address)
        except RuleError:
            continue
        if clean:
            _add(found, MatchKey(email_identity(clean), clean, (email_kind.value,), True))
    return list(found.values())


def _add(found: dict[str, MatchKey], key: MatchKey) -> None:
    seen = found.get(key.key)
    if seen is None:
        found[key.key] = key
    else:  # the same number in two slots: one key, both fields
        found[key.key] = MatchKey(
            key.key, seen.shown, (*seen.field_ids, *key.field_ids), key.is_email
        )


def hard_reason(key: MatchKey) -> str:
    """'has the number +13175550123' / 'has the email sam@example.com'."""
    return f"has the {'email' if key.is_email else 'number'} {key.shown}"


def folded_name(first: str, last: str) -> tuple[str, str]:
    """A first and last name as compared: case, accents and spacing folded."""
    return fold(" ".join(first.split())), fold(" ".join(last.split()))


def name_words(draft: ContactDraft) -> list[str]:
    """The words of the draft's first and last name, to search the store with; empty unless
    it has both (a soft match needs the whole name)."""
    if not draft.first_name.strip() or not draft.last_name.strip():
        return []
    return f"{draft.first_name} {draft.last_name}".split()


def postal_key(code: str) -> str:
    """A postal code as compared: folded, without spaces or hyphens ('SW1A 1AA' = 'sw1a1aa')."""
    return "".join(ch for ch in fold(code) if ch not in " -\u00a0")


def email_domain(address: str) -> str:
    """The folded domain of an address ('' when it has none)."""
    _, at, domain = address.strip().rpartition("@")
    return fold(domain.strip()) if at else ""


def soft_reasons(draft: ContactDraft, stored: Contact) -> tuple[str, ...]:
    """Why ``stored`` is likely the person ``draft`` describes though no number or address
    is shared: the same folded name, and the same postal code or email domain; () when not."""
    if not name_words(draft):
        return ()
    if folded_name(draft.first_name, draft.last_name) != folded_name(
        stored.first_name, stored.last_name
    ):
        return ()
    reasons = []
    code = postal_key(draft.address.get("postalCode", ""))
    if code and code == postal_key(stored.address.postal_code):
        reasons.append(f"same name and postal code {stored.address.postal_code.strip()}")
    theirs = {email_domain(e) for _, e in stored.emails()} - {""}
    for address in draft.emails.values():
        domain = email_domain(address)
        if domain and domain in theirs:
            reasons.append(f"same name and email domain {domain}")
            break
    return tuple(reasons)
