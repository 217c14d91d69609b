"""A contact's fields as command-line flags: which flag sets which field, how the flags are
declared, and how the ones given land on a draft.

The parser declares them, the contact commands apply them, and the entry point names them in
messages (a field id the domain reports, ``workPhone``, is shown as ``--work-phone``).
"""

from __future__ import annotations

import argparse

from contact_tui.domain.draft import TEXT_ATTRS, ContactDraft, PhoneDraft
from contact_tui.domain.model import EmailKind, PhoneKind
from contact_tui.service import InvalidInput

# Flag, the field id the domain reports problems under (the Genesys key), help.
CONTACT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("--first", "firstName", "first name (required)"),
    ("--middle", "middleName", "middle name"),
    ("--last", "lastName", "last name (required)"),
    ("--salutation", "salutation", "salutation, e.g. Dr"),
    ("--title", "title", "job title"),
    ("--work-phone", "workPhone", "work phone: +country code, or the default country applies"),
    ("--home-phone", "homePhone", "home phone"),
    ("--cell-phone", "cellPhone", "cell phone"),
    ("--other-phone", "otherPhone", "other phone"),
    ("--work-email", "workEmail", "work email"),
    ("--personal-email", "personalEmail", "personal email"),
    ("--other-email", "otherEmail", "other email"),
    ("--address1", "address.address1", "address line 1"),
    ("--address2", "address.address2", "address line 2"),
    ("--city", "address.city", "city"),
    ("--state", "address.state", "state or region"),
    ("--postal-code", "address.postalCode", "postal code"),
    ("--country", "address.countryCode", "country code, e.g. GB"),
    ("--external-url", "externalSystemUrl", "link to this customer in another system"),
)
SMS_FLAGS: dict[PhoneKind, str] = {
    PhoneKind.WORK: "--work-sms",
    PhoneKind.HOME: "--home-sms",
    PhoneKind.CELL: "--cell-sms",
    PhoneKind.OTHER: "--other-sms",
}
FLAG_FOR_FIELD: dict[str, str] = {field_id: flag for flag, field_id, _ in CONTACT_FIELDS}
_PHONE_FIELDS = {kind.value: kind for kind in PhoneKind}
_EMAIL_FIELDS = {kind.value: kind for kind in EmailKind}


def _dest(flag: str) -> str:
    # A prefix keeps contact fields apart from other options in the namespace.
    return "field_" + flag.removeprefix("--").replace("-", "_")


def flag_for(field_id: str) -> str:
    """The flag that sets a field, for messages: 'workPhone' -> '--work-phone'."""
    return FLAG_FOR_FIELD.get(field_id, field_id)


def add_contact_field_flags(parser: argparse.ArgumentParser) -> None:
    """Declare every contact-field flag, the SMS flags and --survey-opt-out on ``parser``."""
    group = parser.add_argument_group("contact fields (an empty value clears a field)")
    for flag, _, help_text in CONTACT_FIELDS:
        group.add_argument(flag, dest=_dest(flag), metavar="TEXT", help=help_text)
    for kind, flag in SMS_FLAGS.items():
        group.add_argument(
            flag,
            dest=_dest(flag),
            action=argparse.BooleanOptionalAction,
            default=None,
            help=f"whether the {kind.label.lower()} phone accepts SMS",
        )
    group.add_argument(
        "--survey-opt-out",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the customer does not want surveys",
    )


def _set_field(draft: ContactDraft, field_id: str, value: str) -> None:
    if field_id in TEXT_ATTRS:
        setattr(draft, TEXT_ATTRS[field_id], value)
    elif field_id in _PHONE_FIELDS:
        draft.phones.setdefault(_PHONE_FIELDS[field_id], PhoneDraft()).text = value
    elif field_id in _EMAIL_FIELDS:
        draft.emails[_EMAIL_FIELDS[field_id]] = value
    else:
        draft.address[field_id.removeprefix("address.")] = value


def apply_flags(draft: ContactDraft, args: argparse.Namespace) -> int:
    """Copy the contact flags that were given onto ``draft``; returns how many there were.

    A flag given as an empty string clears its field; flags not given leave it alone.
    """
    given = 0
    for flag, field_id, _ in CONTACT_FIELDS:
        value = getattr(args, _dest(flag))
        if value is not None:
            _set_field(draft, field_id, value)
            given += 1
    sms_without_number: dict[str, str] = {}
    for kind, flag in SMS_FLAGS.items():
        value = getattr(args, _dest(flag))
        if value is None:
            continue
        given += 1
        phone = draft.phones.setdefault(kind, PhoneDraft())
        phone.accepts_sms = value
        if value and not phone.text.strip():
            sms_without_number[flag] = (
                f"there is no {kind.label.lower()} phone number to send SMS to; "
                f"give {flag.removesuffix('-sms')}-phone too."
            )
    if sms_without_number:
        raise InvalidInput("An SMS flag has no number.", sms_without_number)
    if args.survey_opt_out is not None:
        draft.survey_opt_out = args.survey_opt_out
        given += 1
    return given
