"""What an agent typed into the contact form (or CLI flags), and the rules that check it.

A :class:`ContactDraft` holds raw text. :func:`check_draft` applies every rule and returns the
clean values, or per-field errors, plus warnings that do not block a save (a number kept as
typed but not searchable). The form and the CLI share this, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import phonenumbers

from contact_tui.domain.fields import (
    ADDRESS_FIELDS,
    ADDRESS_PARTS,
    FIELD_BY_ID,
    TEXT_FIELDS,
)
from contact_tui.domain.model import Address, Contact, EmailKind, PhoneKind, PhoneNumber
from contact_tui.domain.rules import (
    RuleError,
    country_assumed,
    country_label,
    normalize_email,
    not_searchable_warning,
    parse_phone,
    region_for_country,
)


@dataclass
class PhoneDraft:
    """One phone field as typed, with its SMS toggle."""

    text: str = ""
    accepts_sms: bool = False


@dataclass
class ContactDraft:
    """The editable part of a contact, as raw text."""

    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    salutation: str = ""
    title: str = ""
    phones: dict[PhoneKind, PhoneDraft] = field(default_factory=dict)
    emails: dict[EmailKind, str] = field(default_factory=dict)
    address: dict[str, str] = field(default_factory=dict)
    survey_opt_out: bool = False
    external_system_url: str = ""

    @classmethod
    def from_contact(cls, contact: Contact) -> ContactDraft:
        """A draft holding what a contact has now, ready to edit.

        A searchable number is given in international form so that re-checking it under a
        different default country gives the same E.164.
        """
        return cls(
            **_texts(contact),
            phones={
                kind: PhoneDraft(
                    phone.display if phone.searchable else (phone.user_input or phone.display),
                    phone.accepts_sms,
                )
                for kind, phone in contact.phones()
            },
            emails=dict(contact.emails()),
            address={f.part: getattr(contact.address, f.attr) for f in ADDRESS_FIELDS},
            survey_opt_out=contact.survey_opt_out,
        )

    def complete(self) -> ContactDraft:
        """The same draft with every phone, email and address slot present (empty where
        unset), so two drafts that show the same form compare equal."""
        return ContactDraft(
            **_texts(self),
            phones={k: self.phones.get(k, PhoneDraft()) for k in PhoneKind},
            emails={k: self.emails.get(k, "") for k in EmailKind},
            address={part: self.address.get(part, "") for part in ADDRESS_PARTS},
            survey_opt_out=self.survey_opt_out,
        )

    def text_of(self, field_id: str) -> str:
        """The raw text of one field, by its id."""
        spec = FIELD_BY_ID.get(field_id)
        if spec is not None and spec in TEXT_FIELDS:
            return str(getattr(self, spec.attr))
        if field_id in PhoneKind._value2member_map_:
            return self.phones.get(PhoneKind(field_id), PhoneDraft()).text
        if field_id in EmailKind._value2member_map_:
            return self.emails.get(EmailKind(field_id), "")
        if field_id.startswith("address."):
            return self.address.get(field_id.removeprefix("address."), "")
        raise KeyError(field_id)


@dataclass(frozen=True)
class CheckedFields:
    """Clean values from a draft that passed every rule."""

    first_name: str
    middle_name: str
    last_name: str
    salutation: str
    title: str
    phones: dict[PhoneKind, PhoneNumber | None]
    emails: dict[EmailKind, str]
    address: Address
    survey_opt_out: bool
    external_system_url: str

    def apply_to(self, contact: Contact) -> Contact:
        """A copy of ``contact`` holding these values (identities and bookkeeping kept).

        A number that is the same number as before keeps what the agent first typed
        (``userInput``), so re-saving an unchanged form changes nothing.
        """
        changes = _texts(self)
        changes.update({k.attr: _same_number(contact.phone(k), p) for k, p in self.phones.items()})
        changes.update({k.attr: self.emails[k] for k in EmailKind})
        return replace(contact, **changes, address=self.address, survey_opt_out=self.survey_opt_out)


def _texts(source: object) -> dict[str, Any]:
    """The text fields held directly on a contact, draft or checked fields, by attribute.

    Any: a ``**`` of this into a constructor is checked against every parameter's type.
    """
    return {f.attr: getattr(source, f.attr) for f in TEXT_FIELDS}


def _same_number(old: PhoneNumber | None, new: PhoneNumber | None) -> PhoneNumber | None:
    if old is None or new is None:
        return new
    same = (new.e164 is not None and (new.e164, new.extension) == (old.e164, old.extension)) or (
        new.e164 is None and old.e164 is None and new.display == old.display
    )
    return replace(old, accepts_sms=new.accepts_sms) if same else new


@dataclass(frozen=True)
class DraftCheck:
    """The outcome of checking a draft: errors block a save, warnings do not."""

    errors: dict[str, str]
    warnings: dict[str, str]
    fields: CheckedFields | None

    @property
    def ok(self) -> bool:
        """True when the draft can be saved."""
        return not self.errors


def check_phone(
    text: str, region: str, accepts_sms: bool = False, *, warn: bool = True
) -> tuple[PhoneNumber | None, str]:
    """One optional phone field: (the number or None when empty, a warning or '').

    The warning says why a number was kept as typed; for one without + it names the country
    ``region`` it was read in. Raises RuleError when the text cannot be kept at all
    (extension alone, no digits). ``warn`` False: no warning (a save, which shows none, does
    not parse the number a second time to word one).
    """
    if not text.strip():
        return None, ""
    phone = parse_phone(text, region, accepts_sms=accepts_sms)
    if phone.searchable or not warn:
        return phone, ""
    return phone, not_searchable_warning(text, region)


def default_country_note(region: str, source: CountryFrom | None = None) -> str:
    """What a number typed without + is taken as, for the form to say before saving;
    ``source`` is where that country came from (:func:`phone_countries`)."""
    code = phonenumbers.country_code_for_region(region)
    if not code:
        return "Numbers without + are kept as typed; start them with + and the country code."
    whose = ", the address's country" if source == CountryFrom.ADDRESS else ""
    return f"Numbers without + are taken as +{code} ({region}){whose}."


class CountryFrom(StrEnum):
    """Where the country a number without + is read in came from (:func:`phone_countries`)."""

    NUMBER = "number"  # the number's own (a Genesys phone's normalizationCountryCode)
    ADDRESS = "address"  # the contact's address country
    DEFAULT = "default"  # the default: an import's --default-country, else the admin's


# How a note names the address as where a number's country came from (the form's and the
# import's words).
ADDRESS_SOURCE = "the contact's address"


def phone_countries(
    draft: ContactDraft, region: str, own: Mapping[PhoneKind, str] | None = None
) -> dict[PhoneKind, tuple[str, CountryFrom]]:
    """The country (region code) each phone slot's number without + is read in, and where it
    came from. This is the one order the form, the service's saves and an import share: the
    number's own country (``own``, for the slots that have one), else the country of the
    draft's address when it names one ("DE", "Germany", "Deutschland"), else ``region`` (the
    default: an import's --default-country, else the admin's)."""
    address = region_for_country(draft.address.get("countryCode", ""))
    found: dict[PhoneKind, tuple[str, CountryFrom]] = {}
    for kind in PhoneKind:
        given = own.get(kind) if own else None
        if given:
            found[kind] = (given, CountryFrom.NUMBER)
        elif address:
            found[kind] = (address, CountryFrom.ADDRESS)
        else:
            found[kind] = (region, CountryFrom.DEFAULT)
    return found


@dataclass(frozen=True)
class Reread:
    """A number a contact has kept as typed (not searchable) that saving a draft which leaves
    it as it was stores as a searchable number, read in the country
    :func:`phone_countries` now gives it: typed "0351 223344" when the contact had no address
    (no US number), saved after a German address was added, it is +49 351 223344.

    Saving converts it rather than keep the text: the form and the command line read every
    number in the one order, so a field that reads as a German number is stored as one, and
    the number becomes searchable (what keeping it as typed was waiting for). But it is a
    field the agent did not touch, so the change is said, never silent: the form says it
    under the field, the command line after the save (:meth:`describe`).
    """

    kind: PhoneKind
    typed: str
    phone: PhoneNumber
    region: str
    source: CountryFrom

    def describe(self) -> str:
        """The notice, one sentence true before and after the save."""
        whose = ", the address's country" if self.source == CountryFrom.ADDRESS else ""
        return (
            f"Kept as typed until now, {self.typed!r} is saved as {self.phone.display}, read "
            f"in {country_label(self.region)}{whose}; edit it if that is not the number."
        )


def reread_numbers(contact: Contact, draft: ContactDraft, region: str) -> list[Reread]:
    """The numbers ``contact`` keeps as typed that ``draft`` (an edit of it) leaves as they
    were, and that a save now reads as searchable numbers (see :class:`Reread`); ``region``
    is the default country, as for :func:`check_draft`."""
    countries = phone_countries(draft, region)
    found = []
    for kind, stored in contact.phones():
        if stored.e164:
            continue
        typed = stored.user_input or stored.display  # what from_contact puts in the field
        entry = draft.phones.get(kind)
        if entry is None or entry.text.strip() != typed.strip():
            continue  # the agent changed or cleared it: their number, not a re-reading
        where, source = countries[kind]
        try:
            phone, _ = check_phone(typed, where, entry.accepts_sms)
        except RuleError:
            continue  # the save refuses it, naming the field
        if phone is not None and phone.e164:
            found.append(Reread(kind, typed.strip(), phone, where, source))
    return found


def taken_from(region: str, source: str) -> str:
    """The note after a warning about a number, saying where the country assumed came from:
    "(Germany (+49) was taken from the contact's address.)"."""
    return f"({country_label(region)} was taken from {source}.)"


def with_source(warning: str, text: str, region: str, source: str) -> str:
    """``warning`` about the number ``text`` read in ``region``, followed by where that
    country came from (:func:`taken_from`) when the number has none of its own. A number
    with + or an international prefix carries its country, so nothing was taken and the
    warning stands alone; so does one whose ``source`` is not worth naming ("")."""
    if warning and source and country_assumed(text, region):
        return f"{warning} {taken_from(region, source)}"
    return warning


def check_email(text: str) -> str:
    """One optional email field: the clean address, or '' when empty; raises RuleError."""
    return normalize_email(text) if text.strip() else ""


def check_draft(
    draft: ContactDraft,
    region: str,
    phone_regions: Mapping[PhoneKind, str] | None = None,
    *,
    warn: bool = True,
) -> DraftCheck:
    """Apply every rule to every field, collecting all problems rather than stopping at one.

    Numbers without + are read in the country :func:`phone_countries` gives: the number's
    own (``phone_regions[kind]``, for a slot that has one), else the draft's address country,
    else ``region``. ``warn`` False: no warnings are worked out (a save, which drops them).
    """
    countries = phone_countries(draft, region, phone_regions)
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    texts: dict[str, Any] = {}  # by attribute; Any as in _texts
    for spec in TEXT_FIELDS:
        try:
            texts[spec.attr] = spec.check_text(draft.text_of(spec.id))
        except RuleError as err:
            errors[spec.id] = str(err)
    phones: dict[PhoneKind, PhoneNumber | None] = {}
    for kind in PhoneKind:
        entry = draft.phones.get(kind, PhoneDraft())
        try:
            phones[kind], warning = check_phone(
                entry.text, countries[kind][0], entry.accepts_sms, warn=warn
            )
            if warning:
                warnings[kind.value] = warning
        except RuleError as err:
            errors[kind.value] = str(err)
    emails: dict[EmailKind, str] = {}
    for email_kind in EmailKind:
        try:
            emails[email_kind] = check_email(draft.emails.get(email_kind, ""))
        except RuleError as err:
            errors[email_kind.value] = str(err)
    address: dict[str, str] = {}  # by attribute
    for spec in ADDRESS_FIELDS:
        try:
            address[spec.attr] = spec.check_text(draft.address.get(spec.part, ""))
        except RuleError as err:
            errors[spec.id] = str(err)
    if errors:
        return DraftCheck(errors, warnings, None)
    return DraftCheck(
        errors,
        warnings,
        CheckedFields(
            **texts,
            phones=phones,
            emails=emails,
            address=Address(**address),
            survey_opt_out=draft.survey_opt_out,
        ),
    )


def field_label(field_id: str) -> str:
    """The label an agent sees for a field id: 'workPhone' -> 'Work phone'."""
    spec = FIELD_BY_ID.get(field_id)
    return spec.label if spec is not None else field_id


def merge_drafts(base: ContactDraft, mine: ContactDraft, theirs: ContactDraft) -> ContactDraft:
    """Replay an agent's edits onto a newer version of the contact.

    ``base`` is the contact as the form opened, ``mine`` what the agent has typed, ``theirs``
    the version someone else saved meanwhile. A field the agent changed keeps the agent's
    value; a field they left alone takes the other agent's value. Nothing typed is lost.
    """

    def pick(b: object, m: object, t: object) -> object:
        return t if m == b else m

    texts = (_texts(base), _texts(mine), _texts(theirs))
    picked: dict[str, Any] = {attr: str(pick(*(t[attr] for t in texts))) for attr in texts[0]}
    merged = ContactDraft(
        **picked,
        survey_opt_out=bool(pick(base.survey_opt_out, mine.survey_opt_out, theirs.survey_opt_out)),
    )
    for kind in PhoneKind:
        b, m, t = (d.phones.get(kind, PhoneDraft()) for d in (base, mine, theirs))
        merged.phones[kind] = PhoneDraft(
            str(pick(b.text, m.text, t.text)),
            bool(pick(b.accepts_sms, m.accepts_sms, t.accepts_sms)),
        )
    for email_kind in EmailKind:
        merged.emails[email_kind] = str(
            pick(*(d.emails.get(email_kind, "") for d in (base, mine, theirs)))
        )
    for part in ADDRESS_PARTS:
        merged.address[part] = str(pick(*(d.address.get(part, "") for d in (base, mine, theirs))))
    return merged
