"""A contact's fields as command-line flags: which flag sets which field, how the flags are
declared, and how the ones given land on a draft.

The parser declares them, the contact commands apply them, and the entry point names them in
messages (a field id the domain reports, ``workPhone``, is shown as ``--work-phone``).
"""

from __future__ import annotations

import argparse

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.fields import FIELDS, Field, FieldKind, fields_of
from contact_tui.service import InvalidInput

# Flags that take a field's text, in table order; then the SMS flags and the survey flag.
TEXT_FLAG_FIELDS = tuple(
    f for f in FIELDS if f.flag and f.kind not in (FieldKind.SMS, FieldKind.FLAG)
)
SMS_FLAG_FIELDS = fields_of(FieldKind.SMS)
FLAG_FOR_FIELD: dict[str, str] = {f.id: f.flag for f in TEXT_FLAG_FIELDS}


def _dest(flag: str) -> str:
    # A prefix keeps contact fields apart from other options in the namespace.
    return "field_" + flag.removeprefix("--").replace("-", "_")


def flag_for(field_id: str) -> str:
    """The flag that sets a field, for messages: 'workPhone' -> '--work-phone'."""
    return FLAG_FOR_FIELD.get(field_id, field_id)


def add_contact_field_flags(parser: argparse.ArgumentParser) -> None:
    """Declare every contact-field flag, the SMS flags and --survey-opt-out on ``parser``."""
    group = parser.add_argument_group("contact fields (an empty value clears a field)")
    for spec in TEXT_FLAG_FIELDS:
        group.add_argument(spec.flag, dest=_dest(spec.flag), metavar="TEXT", help=spec.flag_help)
    for spec in (*SMS_FLAG_FIELDS, *fields_of(FieldKind.FLAG)):
        group.add_argument(
            spec.flag,
            dest=_dest(spec.flag),
            action=argparse.BooleanOptionalAction,
            default=None,
            help=spec.flag_help,
        )


def _set_field(draft: ContactDraft, spec: Field, value: str) -> None:
    if spec.kind == FieldKind.PHONE:
        draft.phones.setdefault(spec.phone_kind, PhoneDraft()).text = value
    elif spec.kind == FieldKind.EMAIL:
        draft.emails[spec.email_kind] = value
    elif spec.kind == FieldKind.ADDRESS:
        draft.address[spec.part] = value
    else:
        setattr(draft, spec.attr, value)


def apply_flags(draft: ContactDraft, args: argparse.Namespace) -> int:
    """Copy the contact flags that were given onto ``draft``; returns how many there were.

    A flag given as an empty string clears its field; flags not given leave it alone.
    """
    given = 0
    for spec in TEXT_FLAG_FIELDS:
        value = getattr(args, _dest(spec.flag))
        if value is not None:
            _set_field(draft, spec, value)
            given += 1
    sms_without_number: dict[str, str] = {}
    for spec in SMS_FLAG_FIELDS:
        value = getattr(args, _dest(spec.flag))
        if value is None:
            continue
        given += 1
        kind = spec.phone_kind
        phone = draft.phones.setdefault(kind, PhoneDraft())
        phone.accepts_sms = value
        if value and not phone.text.strip():
            sms_without_number[spec.flag] = (
                f"there is no {kind.label.lower()} phone number to send SMS to; "
                f"give {FLAG_FOR_FIELD[kind.value]} too."
            )
    if sms_without_number:
        raise InvalidInput("An SMS flag has no number.", sms_without_number)
    for spec in fields_of(FieldKind.FLAG):
        value = getattr(args, _dest(spec.flag))
        if value is not None:
            setattr(draft, spec.attr, value)
            given += 1
    return given
