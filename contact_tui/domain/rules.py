"""Validation and normalization rules for what agents type: phone numbers, emails, names, text;
and for what arrives in an interaction (:class:`InteractionIntake`).

Every refusal is a :class:`RuleError` whose message is one sentence an agent can act on. Nothing
here does I/O; the rules follow the "Rules" section of DESIGN.md.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sized
from typing import Final

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberFormat

from contact_tui.domain.model import PhoneNumber
from contact_tui.domain.text import describe_surrogate, lone_surrogate, printable


class RuleError(ValueError):
    """A value broke a rule; str(err) is one sentence an agent can act on."""


MAX_NAME_LENGTH: Final = 1000  # Genesys API limit for names
MAX_EMAIL_LENGTH: Final = 254
MAX_PHONE_INPUT_LENGTH: Final = 64  # longer input is refused
MAX_EXTENSION_DIGITS: Final = 9

_EXTENSION_ONLY_MESSAGE: Final = (
    "An extension alone is not a phone number: enter the number too, e.g. +1 317 555 0123 ext. 45."
)
_NO_DIGITS_MESSAGE: Final = "A phone number needs digits, e.g. +1 317 555 0123."

# The extension labels phonenumbers itself understands (ext, extn, extension, extensión, x, #, ~,
# int, доб, anexo, ";ext="); matched after NFKC so full-width forms count too.
_EXTENSION_LABEL: Final = r"(?:;?ext=|e?xt(?:ensi[oó]n|n)?|x|#|~|int|доб|anexo)"
_EXTENSION_ONLY = re.compile(rf"[,;\s]*{_EXTENSION_LABEL}\s*[.:]?[\s,-]*\d+\s*#?", re.IGNORECASE)
# phonenumbers stops recognising an extension after an ambiguous label ("x", "#") at 10 digits and
# then reports the whole input as too long; this finds that case so it gets the extension message.
_LONG_EXTENSION = re.compile(
    rf"{_EXTENSION_LABEL}\s*[.:]?[\s,-]*\d{{{MAX_EXTENSION_DIGITS + 1},}}\s*#?$", re.IGNORECASE
)
_LONG_EXTENSION_MESSAGE: Final = (
    f"An extension can have at most {MAX_EXTENSION_DIGITS} digits; check the number after 'ext.'."
)

_COUNTRY_CODE = re.compile(r"\+?([0-9]{1,3})")

_LINE_BREAKS: Final = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Zero-width non-joiner and joiner shape letters in Persian, Indic scripts and emoji, so names
# and free text may contain them; phones and emails may not.
_JOINERS: Final = frozenset("\u200c\u200d")


def _check_characters(text: str, subject: str, *, allow_joiners: bool) -> None:
    """Raise RuleError if ``text`` holds a control, format, line-break or surrogate character."""
    # isprintable() is False for every category refused below (and for harmless non-ASCII spaces),
    # so the common case costs one C-level scan.
    if text.isprintable():
        return
    for char in text:
        category = unicodedata.category(char)
        if category not in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            continue
        if allow_joiners and char in _JOINERS:
            continue
        code = f"U+{ord(char):04X}"
        if char in _LINE_BREAKS:
            problem = "a line break"
        elif char == "\t":
            problem = "a tab"
        elif char in ("\x1b", "\x9b"):
            problem = "an escape sequence"
        elif char in _BIDI_CONTROLS:
            problem = f"a text-direction control character ({code})"
        elif category == "Cf":
            problem = f"an invisible formatting character ({code})"
        elif category == "Cs":
            problem = f"an invalid character ({code})"
        else:
            problem = f"a control character ({code})"
        raise RuleError(f"{subject} contains {problem}; remove it.")


def _check_length(text: str, subject: str, limit: int) -> None:
    """Raise RuleError if ``text`` is longer than ``limit`` characters."""
    if len(text) > limit:
        raise RuleError(
            f"{subject} is too long: at most {limit:,} characters, this has {len(text):,}."
        )


def region_for_country_code(code: int | str) -> str:
    """The main region (ISO 3166 code) for a country calling code: 44 or "+44" -> "GB".

    Non-geographic codes such as +881 (satellite) give "001". Raises RuleError for an unknown
    code or for anything that is not 1 to 3 digits.
    """
    if isinstance(code, bool):
        number = -1
    elif isinstance(code, int):
        number = code
    else:
        match = _COUNTRY_CODE.fullmatch(code.strip())
        number = int(match.group(1)) if match else -1
    if number < 0:
        raise RuleError("A country calling code is 1 to 3 digits, e.g. +44.")
    region = phonenumbers.region_code_for_country_code(number)
    if region == phonenumbers.UNKNOWN_REGION:
        raise RuleError(f"There is no country calling code +{number}.")
    return region


def _is_extension_only(text: str) -> bool:
    """True when ``text`` is an extension label and digits with no number before them."""
    return _EXTENSION_ONLY.fullmatch(unicodedata.normalize("NFKC", text)) is not None


def _check_phone_input(text: str) -> None:
    """Raise RuleError for stripped phone input that cannot be a phone number at all."""
    if not text:
        raise RuleError("Enter a phone number.")
    _check_length(text, "The phone number", MAX_PHONE_INPUT_LENGTH)
    _check_characters(text, "The phone number", allow_joiners=False)
    if not any(char.isdecimal() for char in text):
        raise RuleError(_NO_DIGITS_MESSAGE)
    if _is_extension_only(text):
        raise RuleError(_EXTENSION_ONLY_MESSAGE)


def _parse(text: str, default_region: str) -> phonenumbers.PhoneNumber | None:
    """Parse checked input with phonenumbers (remembering whether the country came from
    ``default_region``); None when it is not a number at all."""
    try:
        return phonenumbers.parse(text, default_region.strip().upper(), keep_raw_input=True)
    except NumberParseException:
        return None


def _e164(parsed: phonenumbers.PhoneNumber, text: str) -> str | None:
    """The E.164 key of ``text`` parsed; None if it is not a whole number or does not parse
    back.

    A number written with + (or an international prefix) must be a possible number of its
    country, as a whole: the design validates with possibility, not validity, so test ranges
    (+44 7700 900xxx, which phonenumbers does not call valid) work; but "+1-555-0123" (seven
    digits) is possible only when dialled locally, and no call comes from it. A number read
    in the default country (no +) must also be valid there: "0351 223344" (a German national
    form) or "(111) 555-1212" are possible lengths for +1 but no +1 number has them. A key
    that can never match a call is worse than none.
    """
    whole = phonenumbers.ValidationResult.IS_POSSIBLE  # not IS_POSSIBLE_LOCAL_ONLY
    if phonenumbers.is_possible_number_with_reason(parsed) != whole:
        return None
    assumed = parsed.country_code_source in (
        phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY,
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN,
    )
    if assumed and not phonenumbers.is_valid_number(parsed):
        return None
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    # Typed as that very number, + and its digits (a saved number checked again with its
    # form: "+1 317-555-0123"): parsing the key would read the same digits the same way,
    # since after a + neither the default country nor anything but the digits counts. Half of
    # what checking a contact's numbers costs.
    if (
        parsed.country_code_source == phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN
        and phonenumbers.normalize_digits_only(text) == e164[1:]
    ):
        return e164
    # A few inputs with leading zeros ("000000" in CX) format to an E.164 that parses back as
    # another number; a key that does not find itself could never match, so it is not one.
    try:
        again = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    if phonenumbers.format_number(again, PhoneNumberFormat.E164) != e164:
        return None
    return e164


def parse_phone(text: str, default_region: str, *, accepts_sms: bool = False) -> PhoneNumber:
    """Turn what an agent typed into a PhoneNumber, searchable (with E.164) when valid.

    A leading "+" or the region's international prefix means international; otherwise
    ``default_region`` (e.g. "US") applies. Input that is not a valid number (:func:`_e164`)
    but has digits is kept as typed without E.164; callers then show
    :func:`not_searchable_warning`. Raises RuleError for empty input, input without digits, an
    extension alone, control characters, over-long input and over-long extensions.
    """
    text = text.strip()
    _check_phone_input(text)
    parsed = _parse(text, default_region)
    if parsed is None:
        if _LONG_EXTENSION.search(unicodedata.normalize("NFKC", text)):
            raise RuleError(_LONG_EXTENSION_MESSAGE)
        return PhoneNumber(display=text, user_input=text, accepts_sms=accepts_sms)
    extension: int | None = None
    if parsed.extension:
        if len(parsed.extension) > MAX_EXTENSION_DIGITS:
            raise RuleError(_LONG_EXTENSION_MESSAGE)
        # int() reads every script's decimal digits, as phonenumbers does.
        extension = int(parsed.extension)
    e164 = _e164(parsed, text)
    if e164 is None:
        return PhoneNumber(
            display=text, user_input=text, accepts_sms=accepts_sms, extension=extension
        )
    return PhoneNumber(
        display=phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL),
        user_input=text,
        e164=e164,
        country_code=parsed.country_code,
        accepts_sms=accepts_sms,
        extension=extension,
    )


def phone_key(text: str, default_region: str) -> str | None:
    """The E.164 form of ``text`` for search and matching, or None if it has none.

    Accepts any formatting ("+44 (0)20 7946 0958", "tel:+1-212-555-0101", national numbers in
    ``default_region``) and ignores extensions. Agrees with parse_phone: it is the ``e164`` that
    parse_phone would give, and None wherever parse_phone would refuse. Never raises.
    """
    text = text.strip()
    try:
        _check_phone_input(text)
    except RuleError:
        return None
    parsed = _parse(text, default_region)
    if parsed is None or (parsed.extension and len(parsed.extension) > MAX_EXTENSION_DIGITS):
        return None
    return _e164(parsed, text)


def country_assumed(text: str, default_region: str) -> bool:
    """True when ``text`` has no country of its own (no + and no international prefix), so
    its country is ``default_region``'s; a warning about it may then say where that came from."""
    parsed = _parse(text.strip(), default_region)
    if parsed is None:
        return _INTERNATIONAL.match(text) is None
    return parsed.country_code_source in (
        phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY,
        # "1 212 ..." typed in the US: the leading 1 is dropped because it is the default's.
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN,
    )


def not_searchable_warning(text: str, default_region: str) -> str:
    """Why :func:`parse_phone` kept ``text`` as typed, as the warning under the field.

    A number without + names the country it was read in (the form's default country, or the
    one an import took from the contact's address), since that assumption is what failed. A
    number with + (or an international prefix) names what is wrong with it in its own
    country: nothing was assumed, and asking for a country code would not help.
    """
    text = text.strip()
    if country_assumed(text, default_region):
        country = _the(default_region) + country_label(default_region)
        return (
            f"Kept as typed, but not searchable: it is not a valid number in {country}, the "
            "country taken for numbers without +; enter the full number with + and its country "
            "code."
        )
    return f"Kept as typed, but not searchable: {_what_is_wrong(text, default_region)}."


def _what_is_wrong(text: str, default_region: str) -> str:
    """What keeps an international number from being valid, as the end of a warning: "it is
    too short for a number in Norway (+47); check that no digit is missing"."""
    try:
        parsed = phonenumbers.parse(text, default_region.strip().upper())
    except NumberParseException as err:
        return _UNREADABLE.get(err.error_type, _UNREADABLE[NumberParseException.NOT_A_NUMBER])
    code = parsed.country_code or 0  # parse always sets it; typed as optional
    region = phonenumbers.region_code_for_country_code(code)
    # +1 and +7 span several countries; their main one names them as people expect.
    where = (
        f"in {_the(region)}{country_label(region)}"
        if region in phonenumbers.SUPPORTED_REGIONS
        else f"under the non-geographic code +{code}"
    )
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    result = phonenumbers.ValidationResult
    if reason == result.IS_POSSIBLE_LOCAL_ONLY:
        return f"it is only the local part of a number {where}; add the area code"
    if reason == result.TOO_SHORT:
        return f"it is too short for a number {where}; check that no digit is missing"
    if reason == result.TOO_LONG:
        return f"it is too long for a number {where}; check for extra digits"
    if reason == result.INVALID_LENGTH:
        return f"it has the wrong number of digits for a number {where}; check the digits"
    return f"it is not a valid number {where}; check the digits"


# A number that did not parse but starts as an international one (+, or tel:+).
_INTERNATIONAL = re.compile(r"\s*(?:tel:)?\s*[+\uff0b]", re.IGNORECASE)
# Why phonenumbers could not read an international number, as the end of a warning.
_UNREADABLE: Final = {
    NumberParseException.INVALID_COUNTRY_CODE: (
        "no country has the calling code after its +; check the digits after the +"
    ),
    NumberParseException.TOO_SHORT_AFTER_IDD: (
        "it is too short for a number with a country code; check that no digit is missing"
    ),
    NumberParseException.TOO_SHORT_NSN: (
        "it is too short for a number with a country code; check that no digit is missing"
    ),
    NumberParseException.TOO_LONG: "it is too long for a phone number; check for extra digits",
    NumberParseException.NOT_A_NUMBER: (
        "it is not a phone number after its +; check the digits after the +"
    ),
}


def country_label(region: str) -> str:
    """A region as people read it, with its calling code: 'Germany (+49)'."""
    region = region.strip().upper()
    code = phonenumbers.country_code_for_region(region)
    name = _region_names().get(region, region)
    return f"{name} (+{code})" if code else name


def _the(region: str) -> str:
    """'the ' before a region whose English name needs it ('the United States')."""
    name = _region_names().get(region.strip().upper(), "")
    return "the " if name.startswith(("United ", "Netherlands", "Philippines")) else ""


# Names people write in an address's country field that are not a region's own name.
_COUNTRY_ALIASES: Final = {
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "holland": "NL",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "czech republic": "CZ",
}


def _region_names() -> Mapping[str, str]:
    """Each region's English name: a table written from phonenumbers' geocoding data, whose
    import (every language) takes a third of a second, paid on an agent's first save of a
    kept number otherwise."""
    from contact_tui.domain.region_names import REGION_NAMES

    return REGION_NAMES


def english_region_names() -> dict[str, str]:
    """Each region's English name as the installed phonenumbers has it (what
    scripts/gen_region_names.py writes into domain/region_names.py)."""
    from phonenumbers.geodata.locale import LOCALE_DATA

    return {region: _locale_name(names, "en") for region, names in LOCALE_DATA.items()}


@functools.cache
def _regions_by_name() -> dict[str, str]:
    """Every region's name in every language phonenumbers has, folded, to the region."""
    from phonenumbers.geodata.locale import LOCALE_DATA

    return {
        _locale_name(names, lang).casefold(): region
        for region, names in LOCALE_DATA.items()
        if region in phonenumbers.SUPPORTED_REGIONS
        for lang in names
        if _locale_name(names, lang)
    }


def _locale_name(names: dict[str, str], lang: str) -> str:
    name = names.get(lang, "")
    # "*aa" means "as in language aa": the data stores each shared name once.
    return names.get(name[1:], "") if name.startswith("*") else name


def region_for_country(text: str) -> str | None:
    """The phone region (ISO 3166 code) an address's country names: "DE", "de", "Germany",
    "Deutschland", "United States", "USA" -> a region phonenumbers knows; None otherwise."""
    key = " ".join(text.split()).casefold()
    if not key:
        return None
    if len(key) == 2 and key.upper() in phonenumbers.SUPPORTED_REGIONS:
        return key.upper()
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    return _regions_by_name().get(key)


_EMAIL_MESSAGES: Final = {
    "An email address must have an @-sign.": (
        "Not an email address: it needs an @, e.g. sam@example.com."
    ),
    "There must be something after the @-sign.": (
        "Not an email address: the part after the @ is missing."
    ),
    "There must be something before the @-sign.": (
        "Not an email address: the part before the @ is missing."
    ),
    "A display name and angle brackets around the email address are not permitted here.": (
        "Enter the address alone, without a name or angle brackets, e.g. sam@example.com."
    ),
}


_SENTENCE_BREAK = re.compile(r"\. (\w)")


def _email_message(reason: str) -> str:
    """email-validator's reason for refusing an address, as one sentence for an agent."""
    if reason in _EMAIL_MESSAGES:
        return _EMAIL_MESSAGES[reason]
    reason = reason.strip().rstrip(".").replace("@-sign", "@")
    reason = _SENTENCE_BREAK.sub(lambda m: "; " + m.group(1).lower(), reason)
    for subject in ("The email address ", "An email address "):
        if reason.startswith(subject):
            reason = "it " + reason.removeprefix(subject)
            break
    else:
        reason = reason[:1].lower() + reason[1:]
    return f"Not an email address: {reason}."


def normalize_email(text: str) -> str:
    """Check an email address and return it as stored: domain lower-cased, local part as typed.

    Internationalized addresses are allowed; deliverability is not checked. Raises RuleError
    naming the problem for empty, over-long or invalid input.
    """
    text = text.strip()
    if not text:
        raise RuleError("Enter an email address.")
    _check_length(text, "The email address", MAX_EMAIL_LENGTH)
    _check_characters(text, "The email address", allow_joiners=False)
    try:
        validated = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as err:
        raise RuleError(_email_message(str(err))) from err
    return validated.normalized


def email_key(address: str) -> str:
    """The key two addresses match on: the normalized address, fully lower-cased.

    Text that is not a valid address gives its stripped, lower-cased self. Never raises.
    """
    try:
        return normalize_email(address).lower()
    except RuleError:
        return address.strip().lower()


def is_email(text: str) -> bool:
    """True when ``text`` passes the email rule (:func:`normalize_email`)."""
    try:
        normalize_email(text)
    except RuleError:
        return False
    return True


def looks_like_email(text: str) -> bool:
    """A cheap guess for search boxes: exactly one "@" with text on both sides."""
    local, at, domain = text.strip().partition("@")
    return bool(at) and bool(local.strip()) and bool(domain.strip()) and "@" not in domain


def validate_name(text: str, label: str, *, required: bool) -> str:
    """Check a name field and return it stripped; ``label`` ("First name") names it in messages.

    Letters of every script, marks, digits, apostrophes, hyphens, periods and spaces are all
    allowed; control characters, line breaks and invisible formatting characters (other than
    zero-width joiners) are refused, as are names over MAX_NAME_LENGTH and empty required names.
    """
    text = text.strip()
    if not text:
        if required:
            raise RuleError(f"{label} is required.")
        return ""
    _check_length(text, label, MAX_NAME_LENGTH)
    _check_characters(text, label, allow_joiners=True)
    return text


def validate_text(text: str, label: str, *, max_length: int = 1000) -> str:
    """Check an optional free-text field (title, address part, URL) and return it stripped.

    Empty is fine; control characters, line breaks, invisible formatting characters (other than
    zero-width joiners) and text over ``max_length`` are refused.
    """
    text = text.strip()
    if not text:
        return ""
    _check_length(text, label, max_length)
    _check_characters(text, label, allow_joiners=True)
    return text


def validate_notes(text: str, label: str = "Notes", *, max_length: int = 10_000) -> str:
    """Check free-form notes: like :func:`validate_text`, but line breaks are allowed.

    Line endings become ``\n`` and trailing spaces are dropped from each line; other control
    characters, escape sequences and invisible formatting characters are still refused.
    """
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines).strip("\n")
    if not text.strip():
        return ""
    _check_length(text, label, max_length)
    for line in lines:
        _check_characters(line, label, allow_joiners=True)
    return text


# A contact note's length, in characters: Genesys Cloud's Note allows 1 to 32,000.
MAX_NOTE_LENGTH: Final = 32_000


def validate_note(text: str) -> str:
    """Check a contact note (:func:`validate_notes` rules, up to MAX_NOTE_LENGTH characters)
    and return it clean; an empty note is refused, as Genesys refuses one."""
    clean = validate_notes(text, "Note", max_length=MAX_NOTE_LENGTH)
    if not clean:
        raise RuleError("A note needs some text; it is empty.")
    return clean


# --- interactions: what the routing side hands over -------------------------------------------

# Bounds on an arriving interaction, in characters as stored. They keep one customer's message
# from filling the store or stalling every agent's screen (a 20 MB transcript line made each key
# press take 16-42 s), and are far above what a real call, email or chat holds.
MAX_CHANNEL_ADDRESS_LENGTH: Final = 1000  # a sender's number, address or messaging id; a recipient
MAX_AGENT_NAME_LENGTH: Final = 256  # the user name of the agent it is routed to
MAX_DISPLAY_NAME_LENGTH: Final = 256  # the sender's name as the channel gives it
MAX_SUBJECT_LENGTH: Final = 1000
MAX_RECIPIENTS: Final = 1000  # addresses in To, and again in Cc
MAX_TRANSCRIPT_LINE_LENGTH: Final = 10_000
MAX_TRANSCRIPT_LINES: Final = 10_000
MAX_INTERACTION_LENGTH: Final = 1_000_000  # every field and line together
# An interaction's wrap-up note, in characters (Genesys allows as many); line feeds allowed.
MAX_WRAP_UP_LENGTH: Final = 10_000


def _check_is_text(text: str, subject: str) -> None:
    """Raise RuleError if ``text`` holds a lone surrogate: bytes that were not UTF-8."""
    bad = lone_surrogate(text)
    if bad is not None:
        raise RuleError(
            f"{subject} holds {describe_surrogate(bad)}, which is not text; send UTF-8."
        )


def check_count(items: Sized, subject: str, what: str, limit: int) -> None:
    """Raise RuleError if ``items`` has more than ``limit`` entries ("lines", "addresses")."""
    if len(items) > limit:
        raise RuleError(
            f"{subject} is too long: at most {limit:,} {what}, this has {len(items):,}."
        )


class InteractionIntake:
    """Checks and cleans the texts of one arriving interaction, field by field.

    What a customer or a routing system sends is not typed by an agent, so it is not held to the
    contact rules; but the store never holds a character a terminal would obey or that reorders
    or hides text. Identifiers (the sender's number, address or messaging id, the agent's name)
    are matched and copied into contacts, so one holding a control, format, bidi or line-break
    character (zero-width joiners included: no id needs them, and they make two ids look alike)
    is refused. Display text (the sender's name, recipients, the subject, transcript lines) is
    kept with each such character written as a visible escape (``text.printable``, as the
    screen shows it): refusing would lose a customer's message over one stray character, and
    the agent sees that it was there. Every value is bounded as stored, and all of them together by
    MAX_INTERACTION_LENGTH; lengths are checked before any character is looked at, so a huge
    value is refused at once.
    """

    def __init__(self) -> None:
        self._total = 0

    def identifier(self, text: str, subject: str, limit: int) -> str:
        """``text`` unchanged, or RuleError naming ``subject`` ("The sender address")."""
        _check_length(text, subject, limit)
        self._count(len(text))
        _check_is_text(text, subject)
        _check_characters(text, subject, allow_joiners=False)
        return text

    def display_text(self, text: str, subject: str, limit: int) -> str:
        """``text`` as stored (unsafe characters escaped), or RuleError naming ``subject``."""
        _check_length(text, subject, limit)  # escaping never shortens: refuse early and cheaply
        _check_is_text(text, subject)
        clean = printable(text)
        if len(clean) > limit:
            raise RuleError(
                f"{subject} is too long once its control characters are written as escapes: "
                f"at most {limit:,} characters, this has {len(clean):,}."
            )
        self._count(len(clean))
        return clean

    def _count(self, length: int) -> None:
        self._total += length
        if self._total > MAX_INTERACTION_LENGTH:
            raise RuleError(
                f"The interaction is too long: at most {MAX_INTERACTION_LENGTH:,} characters in "
                "all (sender, recipients, subject and transcript together)."
            )
