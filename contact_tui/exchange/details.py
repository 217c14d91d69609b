"""A phone or email in another program's record that can be no number or address at all.

A phone number and an email address are details of a contact: a record from another program
(a phone's vCard, an Outlook or Google CSV, a script's Genesys JSON) whose TEL or phone cell
holds "ask Jenny", an extension alone or a sentence, or whose email is ``contact1@invalid``,
still names a person worth importing. Such a value is left out with a warning that says where
it is and quotes it, and the rest of the record goes in. contact-tui's own export
(``ImportRow.other_program`` false) describes the whole contact, so leaving a value out there
would empty or keep stale a stored slot: the importer refuses that record instead, naming the
field.

One rule for every format, here: the importer applies it to each row from another program
(:func:`contact_tui.exchange.importer.check_row`); readers that place values in slots by
their type or label (vCard, the CSV dialects) apply it first, so the next value may take the
slot. Values the rule may take in some country, and control characters, are left to the
importer's checks as for any field.

Nothing here imports Textual or touches the store.
"""

from __future__ import annotations

import unicodedata

from contact_tui.domain.rules import (
    MAX_PHONE_INPUT_LENGTH,
    RuleError,
    normalize_email,
    parse_phone,
)

__all__ = ["email_left_out", "phone_left_out", "shown"]

# phonenumbers' "unknown region": a number without + is read in no country, so checking a
# value in it finds only what makes it no number anywhere, never a country's rule.
_NO_COUNTRY = "ZZ"
# Characters the importer deals with as in any field (direction marks removed with a note,
# escape sequences refused), which the checks below leave to it.
_CONTROL_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))
# A letter, # or ~ may label an extension ("ext. 45", "x12", "#45"); without one, and not too
# long, a value with digits is a number as far as the rule is concerned in every country.
_EXTENSION_MARKS = frozenset("#~")
_SHOWN_LENGTH = 60


def shown(text: str) -> str:
    """A value quoted for a message: control characters escaped, long text shortened."""
    if len(text) > _SHOWN_LENGTH:
        text = text[: _SHOWN_LENGTH - 3] + "..."
    return repr(text)


def phone_left_out(where: str, text: str) -> str:
    """The warning (without its "line N: ") for a phone value that is no number in any
    country, ``where`` naming its place in the record ("TEL", "Business Phone (column 7)",
    "workPhone"); '' when it may be a number. No digits ("ask Jenny", Outlook's
    "BusinessPhone" placeholder), an extension alone, an extension of over 9 digits and text
    over 64 characters are no number, as the phone rule says."""
    if not any(char.isdecimal() for char in text):
        return (
            f"{where} {shown(text)} is not a phone number (it has no digits) and was not imported"
        )
    bare = "".join(c for c in text if unicodedata.category(c) not in _CONTROL_CATEGORIES)
    normal = unicodedata.normalize("NFKC", bare)
    if len(bare.strip()) <= MAX_PHONE_INPUT_LENGTH and not any(
        char.isalpha() or char in _EXTENSION_MARKS for char in normal
    ):
        return ""  # digits and punctuation only: parsing it here would say nothing new
    try:
        parse_phone(bare, _NO_COUNTRY)
    except RuleError as err:
        return f"{where} {shown(text)} was not imported: {_lower_first(str(err))}"
    return ""


def email_left_out(where: str, text: str) -> str:
    """The warning (without its "line N: ") for an email value the email rule refuses,
    ``where`` naming its place in the record ("EMAIL", "E-mail Address (column 15)"); ''
    when it is an address (or empty)."""
    bare = "".join(c for c in text if unicodedata.category(c) not in _CONTROL_CATEGORIES)
    if not bare.strip():
        return ""
    try:
        normalize_email(bare)
    except RuleError as err:
        return f"{where} {shown(text)} was not imported: {_lower_first(str(err))}"
    return ""


def _lower_first(sentence: str) -> str:
    """The rule's sentence continuing a warning: "Not an email ..." -> "not an email ..."."""
    return sentence[:1].lower() + sentence[1:]
