"""Every stored phone number that has an E.164 is found by a search with any formatting of it.

Numbers are built from phonenumbers' example number for a region with the trailing digits
varied (whether a number is possible depends on its length, so most such numbers are), typed
in one format and searched for in the others, through ContactService as the directory and
``contact-tui contact search`` do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import PhoneKind
from contact_tui.service import ContactService, InvalidInput
from contact_tui.store.repository import Repository
from tests.factories import FixedClock, make_agent, make_config

_REGIONS = sorted(
    region
    for region in phonenumbers.SUPPORTED_REGIONS
    for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE)
    if phonenumbers.example_number_for_type(region, kind) is not None
)


@st.composite
def _numbers(draw: st.DrawFn) -> phonenumbers.PhoneNumber:
    """A region's example fixed-line or mobile number with 1 to 4 trailing digits changed."""
    region = draw(st.sampled_from(_REGIONS))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        example = phonenumbers.example_number(region)
    assert example is not None  # _REGIONS holds only regions that have one
    national = str(example.national_number)
    tail = draw(st.text(alphabet="0123456789", min_size=1, max_size=min(4, len(national) - 1)))
    digits = national[: len(national) - len(tail)] + tail
    number = phonenumbers.parse(f"+{example.country_code}{digits}")
    if example.italian_leading_zero:
        number.italian_leading_zero = True
        number.number_of_leading_zeros = example.number_of_leading_zeros
    return number


_TYPED_AS = st.sampled_from(
    [PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.RFC3966]
)


class _Services:
    """One service per default country code, all over the same store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.clock = FixedClock()
        self._by_code: dict[int, ContactService] = {}

    def __call__(self, country_code: int = 1) -> ContactService:
        if country_code not in self._by_code:
            config = make_config(self.path, default_country_code=country_code)
            self._by_code[country_code] = ContactService(
                Repository.open(self.path), config, make_agent(), self.clock
            )
        return self._by_code[country_code]

    def close(self) -> None:
        for service in self._by_code.values():
            service.repo.close()


@pytest.fixture
def services(tmp_path: Path) -> Iterator[_Services]:
    built = _Services(tmp_path / "store.json")
    yield built
    built.close()


def _store(services: _Services, number: phonenumbers.PhoneNumber, typed_as: int) -> str:
    """Save a contact holding ``number`` typed in ``typed_as``; its id, or skip the example
    when the rules do not give the number an E.164 (then it is not promised to be found)."""
    text = phonenumbers.format_number(number, typed_as)
    try:
        contact = services().create_contact(
            ContactDraft(
                first_name="Sam", last_name="Lee", phones={PhoneKind.CELL: PhoneDraft(text)}
            )
        )
    except InvalidInput:
        assume(False)
        raise
    phone = contact.cell_phone
    assert phone is not None
    assume(phone.e164 is not None)
    assert phone.e164 == phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return contact.id


def _found(service: ContactService, query: str, contact_id: str) -> bool:
    service.repo.refresh()  # as the directory does: take in what other services wrote
    result = service.search(query, limit=10_000)
    return result.kind == "phone" and contact_id in {c.id for c in result.contacts}


def _national_round_trips(number: phonenumbers.PhoneNumber) -> bool:
    """True where phonenumbers itself reads a number's national format back as the same number
    in its home region (it does not for some invalid numbers; see tests/unit/test_rules.py)."""
    assert number.country_code is not None
    home = phonenumbers.region_code_for_country_code(number.country_code)
    if home == "001" or not phonenumbers.is_valid_number(number):
        return False
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    again = phonenumbers.parse(national, home)
    return phonenumbers.format_number(again, PhoneNumberFormat.E164) == phonenumbers.format_number(
        number, PhoneNumberFormat.E164
    )


def test_a_stored_number_is_found_in_e164_international_and_national_form(
    services: _Services,
) -> None:
    @settings(max_examples=120, deadline=None)
    @given(number=_numbers(), typed_as=_TYPED_AS)
    def check(number: phonenumbers.PhoneNumber, typed_as: int) -> None:
        contact_id = _store(services, number, typed_as)
        for fmt in (PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL):
            query = phonenumbers.format_number(number, fmt)
            assert _found(services(), query, contact_id), query
        if _national_round_trips(number):
            assert number.country_code is not None
            national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
            local = services(number.country_code)
            assert _found(local, national, contact_id), (national, local.region)

    check()


def test_a_stored_number_is_found_in_rfc3966_form(services: _Services) -> None:
    @settings(max_examples=25, deadline=None)
    @given(number=_numbers())
    def check(number: phonenumbers.PhoneNumber) -> None:
        contact_id = _store(services, number, PhoneNumberFormat.E164)
        query = phonenumbers.format_number(number, PhoneNumberFormat.RFC3966)
        assert _found(services(), query, contact_id), query

    check()
