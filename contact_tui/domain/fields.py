"""The contact's fields, declared once: what each is called, where it lives and its rule.

Every editable field of a contact is one :class:`Field` in :data:`FIELDS`, in the order the CSV
file has its columns. The draft checks (:func:`contact_tui.domain.draft.check_draft`), the
contact form's rows, the command line's flags and the CSV columns all read this table, so a
field's id, label, attribute, limit, required flag, column and flag are spelled here and
nowhere else. Bookkeeping (id, type, dates, version) and messaging identities are not fields an
agent edits and are not here.

A field id is the Genesys JSON key ("firstName", "workPhone"); an address part is
"address.<key>" and a phone's SMS flag "<phone>.acceptsSMS", the ids messages and import rows
use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from contact_tui.domain.model import EmailKind, PhoneKind
from contact_tui.domain.rules import MAX_NAME_LENGTH, validate_name, validate_text


class FieldKind(StrEnum):
    """What a field holds, which decides its rule and how each surface shows it."""

    NAME = "name"  # one line; letters of every script; may be required
    TEXT = "text"  # one optional line
    PHONE = "phone"  # a phone number, checked against the default country
    SMS = "sms"  # whether a phone slot accepts SMS
    EMAIL = "email"  # an email address
    ADDRESS = "address"  # one part of the postal address
    FLAG = "flag"  # yes or no


# Kinds whose value is text checked by a length-and-characters rule.
_TEXT_KINDS = frozenset((FieldKind.NAME, FieldKind.TEXT, FieldKind.ADDRESS))


@dataclass(frozen=True)
class Field:
    """One contact field: its names on every surface, its rule and where its value lives."""

    id: str  # what messages, import rows and the draft check call it
    label: str  # what an agent reads: "First name", "Work phone"
    attr: str  # the attribute on Contact and ContactDraft (on Address for an address part)
    kind: FieldKind
    column: str  # the CSV column, and the store document's key
    column_help: str  # what the column holds, for the documented CSV header
    max_length: int = 1000
    required: bool = False
    aliases: tuple[str, ...] = ()  # other CSV header names read as this column
    flag: str = ""  # the command-line flag that sets it; "" when there is none
    flag_help: str = ""
    on_form: bool = True  # whether the contact form has a row for it

    @property
    def part(self) -> str:
        """An address part's key inside the address ('address.city' -> 'city')."""
        return self.id.removeprefix("address.")

    @property
    def phone_kind(self) -> PhoneKind:
        """The phone slot a phone or SMS field belongs to."""
        return PhoneKind(self.id.removesuffix(".acceptsSMS"))

    @property
    def email_kind(self) -> EmailKind:
        """The email slot an email field is."""
        return EmailKind(self.id)

    def check_text(self, text: str) -> str:
        """Apply a text field's rule and return the clean value; raises RuleError.

        Only for name, text and address fields: phones and emails have their own
        checks (in the draft), which need more than the text.
        """
        if self.kind == FieldKind.NAME:
            return validate_name(text, self.label, required=self.required)
        if self.kind in _TEXT_KINDS:
            return validate_text(text, self.label, max_length=self.max_length)
        raise ValueError(f"{self.id} is not a text field")


def _name(field_id: str, label: str, attr: str, required: bool, flag: str, help_: str) -> Field:
    return Field(
        field_id,
        label,
        attr,
        FieldKind.NAME,
        field_id,
        label,
        MAX_NAME_LENGTH,
        required,
        flag=flag,
        flag_help=help_,
    )


def _phone(kind: PhoneKind, column_help: str, aliases: tuple[str, ...], help_: str) -> Field:
    return Field(
        kind.value,
        f"{kind.label} phone",
        kind.attr,
        FieldKind.PHONE,
        kind.value,
        column_help,
        aliases=aliases,
        flag=f"--{kind.label.lower()}-phone",
        flag_help=help_,
    )


def _sms(kind: PhoneKind, column_help: str) -> Field:
    return Field(
        f"{kind.value}.acceptsSMS",
        f"{kind.label} phone SMS",
        "accepts_sms",
        FieldKind.SMS,
        f"{kind.value}AcceptsSMS",
        column_help,
        aliases=(f"{kind.value}SMS",),
        flag=f"--{kind.label.lower()}-sms",
        flag_help=f"whether the {kind.label.lower()} phone accepts SMS",
    )


def _email(kind: EmailKind, column_help: str, aliases: tuple[str, ...] = ()) -> Field:
    return Field(
        kind.value,
        f"{kind.label} email",
        kind.attr,
        FieldKind.EMAIL,
        kind.value,
        column_help,
        aliases=aliases,
        flag=f"--{kind.label.lower()}-email",
        flag_help=f"{kind.label.lower()} email",
    )


def _address(
    key: str,
    label: str,
    attr: str,
    flag: str,
    help_: str,
    column_help: str = "",
    aliases: tuple[str, ...] = (),
) -> Field:
    return Field(
        f"address.{key}",
        label,
        attr,
        FieldKind.ADDRESS,
        key,
        column_help or label,
        aliases=aliases,
        flag=flag,
        flag_help=help_,
    )


_BOOL_HINT = "true/false, yes/no, y/n, 1/0 or x; empty is false"

FIELDS: tuple[Field, ...] = (
    _name("firstName", "First name", "first_name", True, "--first", "first name (required)"),
    _name("middleName", "Middle name", "middle_name", False, "--middle", "middle name"),
    _name("lastName", "Last name", "last_name", True, "--last", "last name (required)"),
    Field(
        "salutation",
        "Salutation",
        "salutation",
        FieldKind.TEXT,
        "salutation",
        "Salutation, e.g. Dr",
        100,
        flag="--salutation",
        flag_help="salutation, e.g. Dr",
        on_form=False,
    ),
    Field(
        "title",
        "Title",
        "title",
        FieldKind.TEXT,
        "title",
        "Job title",
        1000,
        aliases=("jobTitle",),
        flag="--title",
        flag_help="job title",
    ),
    _phone(
        PhoneKind.WORK,
        "Work phone; +country code form (+1 212-555-0199 ext. 12) is searchable",
        (),
        "work phone: +country code, or the default country applies",
    ),
    _sms(PhoneKind.WORK, f"Work phone takes SMS: {_BOOL_HINT}"),
    _phone(PhoneKind.HOME, "Home phone", (), "home phone"),
    _sms(PhoneKind.HOME, "Home phone takes SMS (as workPhoneAcceptsSMS)"),
    _phone(PhoneKind.CELL, "Cell (mobile) phone", ("mobile", "mobilePhone", "cell"), "cell phone"),
    _sms(PhoneKind.CELL, "Cell phone takes SMS (as workPhoneAcceptsSMS)"),
    _phone(PhoneKind.OTHER, "Other phone", (), "other phone"),
    _sms(PhoneKind.OTHER, "Other phone takes SMS (as workPhoneAcceptsSMS)"),
    _email(EmailKind.WORK, "Work email address"),
    _email(EmailKind.PERSONAL, "Personal email address"),
    _email(
        EmailKind.OTHER,
        "Other email address; an `email` column is read as this one if no other is an email",
        ("email",),
    ),
    _address(
        "address1",
        "Address line 1",
        "address1",
        "--address1",
        "address line 1",
        aliases=("addressLine1",),
    ),
    _address(
        "address2",
        "Address line 2",
        "address2",
        "--address2",
        "address line 2",
        aliases=("addressLine2",),
    ),
    _address("city", "City", "city", "--city", "city"),
    _address("state", "State", "state", "--state", "state or region", "State, county or province"),
    _address("postalCode", "Postal code", "postal_code", "--postal-code", "postal code"),
    _address(
        "countryCode",
        "Country",
        "country_code",
        "--country",
        "country code, e.g. GB",
        aliases=("country",),
    ),
    Field(
        "surveyOptOut",
        "Survey opt-out",
        "survey_opt_out",
        FieldKind.FLAG,
        "surveyOptOut",
        f"Opted out of surveys: {_BOOL_HINT}",
        flag="--survey-opt-out",
        flag_help="the customer does not want surveys",
    ),
    Field(
        "externalSystemUrl",
        "External system URL",
        "external_system_url",
        FieldKind.TEXT,
        "externalSystemUrl",
        "Link to the contact in another system (a CRM)",
        2000,
        flag="--external-url",
        flag_help="link to this customer in another system",
        on_form=False,
    ),
)

FIELD_BY_ID: dict[str, Field] = {f.id: f for f in FIELDS}


def fields_of(*kinds: FieldKind, fields: Iterable[Field] = FIELDS) -> tuple[Field, ...]:
    """The fields of the given kinds, in table order."""
    return tuple(f for f in fields if f.kind in kinds)


NAME_FIELDS = fields_of(FieldKind.NAME)
# Single-value text fields held directly on the contact: names, salutation, title, URL. (A
# contact's notes are documents of their own: domain.model.Note.)
TEXT_FIELDS = fields_of(FieldKind.NAME, FieldKind.TEXT)
ADDRESS_FIELDS = fields_of(FieldKind.ADDRESS)
ADDRESS_PARTS = tuple(f.part for f in ADDRESS_FIELDS)  # "address1", ..., "countryCode"
