"""The one order in which a number without + gets its country (issue 14, item 4): the
number's own, the contact's address country, then the default. The form's check, the
service's saves (both through ``check_draft``), the form's look for likely duplicates and an
import all read it from ``phone_countries``."""

from __future__ import annotations

from contact_tui.domain.draft import (
    ContactDraft,
    CountryFrom,
    PhoneDraft,
    check_draft,
    phone_countries,
)
from contact_tui.domain.duplicates import match_keys
from contact_tui.domain.model import PhoneKind

DRESDEN = "0351 223344"


def draft(country: str = "") -> ContactDraft:
    return ContactDraft(
        first_name="Jonas",
        last_name="Weber",
        phones={PhoneKind.HOME: PhoneDraft(DRESDEN)},
        address={"countryCode": country} if country else {},
    )


def test_the_number_s_own_country_then_the_address_then_the_default() -> None:
    found = phone_countries(draft("Deutschland"), "US", {PhoneKind.WORK: "AT"})

    assert found[PhoneKind.WORK] == ("AT", CountryFrom.NUMBER)
    assert found[PhoneKind.HOME] == ("DE", CountryFrom.ADDRESS)
    assert phone_countries(draft(), "US")[PhoneKind.HOME] == ("US", CountryFrom.DEFAULT)
    # A country the address names that is no country says nothing.
    assert phone_countries(draft("Atlantis"), "US")[PhoneKind.HOME] == ("US", CountryFrom.DEFAULT)


def test_a_save_reads_a_national_number_in_the_address_country() -> None:
    german = check_draft(draft("Germany"), "US")
    nowhere = check_draft(draft(), "US")

    assert german.fields is not None and german.warnings == {}
    phone = german.fields.phones[PhoneKind.HOME]
    assert phone is not None and phone.e164 == "+49351223344"
    assert nowhere.fields is not None
    assert "not a valid number in the United States (+1)" in nowhere.warnings["homePhone"]


def test_the_duplicates_look_finds_the_number_in_the_address_country() -> None:
    assert [k.shown for k in match_keys(draft("DE"), "US")] == ["+49351223344"]
    assert match_keys(draft(), "US") == []
