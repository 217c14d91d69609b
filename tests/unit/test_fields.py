"""Tests for contact_tui.domain.fields: the one table of contact fields, and that the draft
checks, the CLI flags, the CSV columns and the form rows all follow it."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import pytest

from contact_tui.cli.flags import add_contact_field_flags, apply_flags, flag_for
from contact_tui.domain.draft import ContactDraft, PhoneDraft, check_draft, field_label
from contact_tui.domain.fields import (
    ADDRESS_FIELDS,
    FIELD_BY_ID,
    FIELDS,
    TEXT_FIELDS,
    Field,
    FieldKind,
    fields_of,
)
from contact_tui.domain.model import (
    Address,
    Contact,
    ContactType,
    EmailKind,
    PhoneKind,
    PhoneNumber,
)
from contact_tui.exchange.csv_format import COLUMNS, HEADER, read_csv, write_csv
from contact_tui.ui.screens.contact_form import INPUT_IDS

CONTACT_ATTRS = {f.name for f in dataclasses.fields(Contact)}
DRAFT_ATTRS = {f.name for f in dataclasses.fields(ContactDraft)}
ADDRESS_ATTRS = {f.name for f in dataclasses.fields(Address)}


def contact_flags() -> argparse.ArgumentParser:
    """A parser holding only the contact-field flags."""
    parser = argparse.ArgumentParser(add_help=False)
    add_contact_field_flags(parser)
    return parser


def test_ids_columns_and_flags_are_each_given_once() -> None:
    ids = [f.id for f in FIELDS]
    names = [name for f in FIELDS for name in (f.column, *f.aliases)]
    flags = [f.flag for f in FIELDS if f.flag]
    assert len(ids) == len(set(ids)) == len(FIELD_BY_ID)
    assert len(names) == len(set(names)), "a CSV column or alias names two fields"
    assert len(flags) == len(set(flags)), "a flag sets two fields"
    assert all(f.flag.startswith("--") and f.flag_help for f in FIELDS if f.flag)


@pytest.mark.parametrize("spec", FIELDS, ids=lambda f: f.id)
def test_each_field_names_an_attribute_that_holds_it(spec: Field) -> None:
    if spec.kind == FieldKind.ADDRESS:
        assert spec.attr in ADDRESS_ATTRS
    elif spec.kind == FieldKind.SMS:
        assert spec.attr in {f.name for f in dataclasses.fields(PhoneNumber)}
    else:
        assert spec.attr in CONTACT_ATTRS
    if spec in TEXT_FIELDS or spec.kind == FieldKind.FLAG:
        assert spec.attr in DRAFT_ATTRS


@pytest.mark.parametrize("kind", list(PhoneKind), ids=str)
def test_a_phone_slot_is_read_and_replaced_through_its_attribute(kind: PhoneKind) -> None:
    number = PhoneNumber("+44 20 7946 0958", e164="+442079460958")
    contact = Contact(id="c", type=ContactType.CURATED).with_phone(kind, number)
    assert getattr(contact, FIELD_BY_ID[kind.value].attr) == number
    assert contact.phones() == [(kind, number)]
    assert contact.with_phone(kind, None).phone(kind) is None


@pytest.mark.parametrize("kind", list(EmailKind), ids=str)
def test_an_email_slot_is_read_through_its_attribute(kind: EmailKind) -> None:
    change: dict[str, Any] = {FIELD_BY_ID[kind.value].attr: "a@b.example"}  # Any: one key
    contact = dataclasses.replace(Contact(id="c", type=ContactType.CURATED), **change)
    assert contact.email(kind) == "a@b.example"
    assert contact.emails() == [(kind, "a@b.example")]


@pytest.mark.parametrize("spec", TEXT_FIELDS + ADDRESS_FIELDS, ids=lambda f: f.id)
def test_the_draft_check_applies_each_text_fields_limit_and_label(spec: Field) -> None:
    def draft_with(text: str) -> ContactDraft:
        draft = ContactDraft(first_name="Sam", last_name="Lee")
        if spec.kind == FieldKind.ADDRESS:
            draft.address[spec.part] = text
        else:
            setattr(draft, spec.attr, text)
        return draft

    assert check_draft(draft_with("x" * spec.max_length), "GB").ok
    errors = check_draft(draft_with("x" * (spec.max_length + 1)), "GB").errors
    assert list(errors) == [spec.id]
    assert errors[spec.id].startswith(spec.label), errors
    assert field_label(spec.id) == spec.label


def test_a_required_field_left_empty_is_refused_by_its_label() -> None:
    required = [f for f in FIELDS if f.required]
    assert [f.id for f in required] == ["firstName", "lastName"]
    errors = check_draft(ContactDraft(), "GB").errors
    assert {f.id: errors[f.id] for f in required} == {
        f.id: f"{f.label} is required." for f in required
    }


def test_the_csv_header_has_every_field_column_in_table_order() -> None:
    columns = [f.column for f in FIELDS]
    start = HEADER.index(columns[0])
    assert list(HEADER[start : start + len(columns)]) == columns
    documented = {c.name: c for c in COLUMNS}
    for spec in FIELDS:
        assert documented[spec.column].description == spec.column_help
        assert documented[spec.column].aliases == spec.aliases


@pytest.mark.parametrize("spec", FIELDS, ids=lambda f: f.id)
def test_each_alias_reads_into_its_field(spec: Field) -> None:
    for alias in spec.aliases:
        value = "yes" if spec.kind in (FieldKind.SMS, FieldKind.FLAG) else "Value"
        (row,) = read_csv(f"firstName,{alias}\nSam,{value}\n".encode()).rows
        assert spec.id in row.present, (alias, row.present)


def test_a_csv_round_trip_keeps_every_field() -> None:
    values: dict[str, Any] = {f.attr: f"{f.label} text" for f in TEXT_FIELDS}  # Any: mixed
    values |= {f.attr: f"{f.attr}@example.com" for f in fields_of(FieldKind.EMAIL)}
    values |= {f.attr: True for f in fields_of(FieldKind.FLAG)}
    contact = Contact(
        id="c1",
        type=ContactType.CURATED,
        cell_phone=PhoneNumber("+44 7700 900123", e164="+447700900123", accepts_sms=True),
        address=Address(**{f.attr: f.label for f in ADDRESS_FIELDS}),
        **values,
    )
    (row,) = read_csv(write_csv([contact]).encode()).rows
    assert row.present >= {f.id for f in FIELDS}
    assert row.draft == ContactDraft.from_contact(contact).complete()


def test_every_flag_is_declared_with_its_help_and_lands_on_its_field() -> None:
    parser = contact_flags()
    declared = {a.option_strings[0]: a for a in parser._actions if a.option_strings}
    for spec in FIELDS:
        if not spec.flag:
            continue
        assert declared[spec.flag].help == spec.flag_help
        if spec.kind not in (FieldKind.SMS, FieldKind.FLAG):
            assert flag_for(spec.id) == spec.flag
    args = ["--cell-phone", "+44 7700 900123", "--cell-sms", "--survey-opt-out"]
    args += [x for f in fields_of(FieldKind.NAME, FieldKind.TEXT) for x in (f.flag, f.id)]
    args += [x for f in ADDRESS_FIELDS for x in (f.flag, f.id)]
    draft = ContactDraft()
    assert apply_flags(draft, parser.parse_args(args)) == len(args) // 2 + 1
    for spec in fields_of(FieldKind.NAME, FieldKind.TEXT):
        assert draft.text_of(spec.id) == spec.id
    assert draft.address == {f.part: f.id for f in ADDRESS_FIELDS}
    assert draft.phones == {PhoneKind.CELL: PhoneDraft("+44 7700 900123", True)}
    assert draft.survey_opt_out


def test_notes_are_no_field_and_the_form_leaves_out_what_it_has_no_row_for() -> None:
    # A contact's notes are documents of their own (the profile's notes list), not a field.
    assert "notes" not in FIELD_BY_ID and "notes" not in {f.column for f in FIELDS}
    assert list(INPUT_IDS) == [
        f.id for f in FIELDS if f.on_form and f.kind not in (FieldKind.SMS, FieldKind.FLAG)
    ]
    assert not {"salutation", "externalSystemUrl"} & set(INPUT_IDS)
