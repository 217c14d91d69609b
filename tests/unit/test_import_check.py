"""check_row: what one row means before any store is asked (issue 14): the country a number
without + is read in, single names, and what a reader marks about a row."""

from __future__ import annotations

import json

import pytest

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import PhoneKind
from contact_tui.exchange.genesys import read_genesys
from contact_tui.exchange.importer import (
    DEFAULT_OPTIONS,
    CheckedRow,
    ImportOptions,
    RowProblem,
    SingleName,
    check_row,
)
from contact_tui.exchange.rows import ImportRow

NAMES = frozenset({"firstName", "lastName"})


def checked(row: ImportRow, options: ImportOptions = DEFAULT_OPTIONS) -> CheckedRow:
    result = check_row(row, "US", options)
    assert isinstance(result, CheckedRow), result
    return result


def company(name: str) -> ImportRow:
    return ImportRow(line=4, draft=ContactDraft(first_name=name), present=NAMES, company=True)


def test_a_company_card_goes_in_under_its_name_with_the_company_choice() -> None:
    row = checked(company("Acme Corp"), ImportOptions(single_name=SingleName.COMPANY))

    assert (row.fields.first_name, row.fields.last_name) == ("", "Acme Corp")
    assert row.single_name == "lastName"


@pytest.mark.parametrize("choice", [SingleName.REFUSE, SingleName.COMPANY])
def test_a_person_with_one_name_is_refused_unless_first_or_last_is_chosen(
    choice: SingleName,
) -> None:
    row = ImportRow(line=5, draft=ContactDraft(last_name="Ambulance"), present=NAMES)

    # Refused when it would make a contact (the planner knows); a row naming a stored contact
    # updates it.
    result = checked(row, ImportOptions(single_name=choice))

    assert result.single_name == "" and result.single_name_waiting == "lastName"
    assert result.single_name_refusal.startswith("First name is required. 'Ambulance' is a ")
    assert "--single-name=first or --single-name=last" in result.single_name_refusal


def test_a_company_refusal_offers_the_company_choice() -> None:
    result = checked(company("Acme Corp"))

    assert "'Acme Corp' is a company's name: import it with --single-name=company" in (
        result.single_name_refusal
    )


def test_a_single_name_with_another_problem_is_refused_naming_both() -> None:
    bad = ImportRow(
        line=5,
        draft=ContactDraft(last_name="Ambulance", title="x\x00"),
        present=NAMES | {"title"},
    )

    result = check_row(bad, "US")

    assert isinstance(result, RowProblem) and result.single_name
    assert "First name is required. 'Ambulance' is a single name" in result.message
    assert "Title" in result.message


def test_a_row_without_a_last_name_column_is_not_a_single_name() -> None:
    # A CSV with only a first-name column updating people by phone must not move the names.
    row = ImportRow(line=2, draft=ContactDraft(first_name="Ana"), present=frozenset({"firstName"}))

    result = checked(row, ImportOptions(single_name=SingleName.LAST))

    assert result.single_name == "" and result.fields.first_name == "Ana"


def test_the_numbers_own_country_wins_over_the_address_and_the_default() -> None:
    data = [
        {
            "firstName": "Jonas",
            "lastName": "Weber",
            "homePhone": {"display": "0351 223344", "normalizationCountryCode": "DE"},
            "workPhone": {"display": "0351 223344"},
            "address": {"countryCode": "ES"},
        }
    ]
    [row] = read_genesys(json.dumps(data).encode()).rows

    result = checked(row, ImportOptions(default_country="FR"))

    home, work = result.fields.phones[PhoneKind.HOME], result.fields.phones[PhoneKind.WORK]
    assert home is not None and home.e164 == "+49351223344"
    assert work is not None and work.e164 is None  # read in Spain, from the address
    assert any("Spain (+34) was taken from the contact's address" in n for n in result.notes)


def test_direction_marks_anywhere_in_a_number_are_removed_with_a_note() -> None:
    row = ImportRow(
        line=3,
        draft=ContactDraft(
            first_name="Ana",
            last_name="Silva",
            phones={PhoneKind.CELL: PhoneDraft("\u202a+44 20\u200e 7946 0999\u202c", True)},
        ),
        present=NAMES | {"cellPhone"},
    )

    result = checked(row)

    cell = result.fields.phones[PhoneKind.CELL]
    assert cell is not None and cell.e164 == "+442079460999" and cell.accepts_sms
    assert result.notes == (
        "line 3: Cell phone '+44 20 7946 0999': removed the text-direction marks around it "
        "(U+200E, U+202A, U+202C), which mean nothing in a number",
    )
