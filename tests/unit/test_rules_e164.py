"""The E.164 key's shortcut (issue 12, client CPU per save): a number typed as + and the very
digits of its key is not parsed a second time to see that the key finds itself. The key must
be what the full check gives, for every number: the app's saved forms in every country, and
numbers typed any odd way."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException, PhoneNumberFormat

from contact_tui.domain.rules import _e164, _parse


def full_check(parsed: phonenumbers.PhoneNumber) -> str | None:
    """The key as it was worked out before the shortcut: formatted, parsed back, compared."""
    result = phonenumbers.is_possible_number_with_reason(parsed)
    if result != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    typed_without_plus = parsed.country_code_source in (
        phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY,
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN,
    )
    if typed_without_plus and not phonenumbers.is_valid_number(parsed):
        return None
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    try:
        again = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    return e164 if phonenumbers.format_number(again, PhoneNumberFormat.E164) == e164 else None


def agree(text: str, region: str) -> None:
    parsed = _parse(text, region)
    if parsed is not None:
        assert _e164(parsed, text) == full_check(parsed), (text, region)


def _saved_forms() -> list[str]:
    """Each country's example numbers as the app keeps them (international format), and
    with the leading zeros that make some keys fail to find themselves."""
    forms = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            forms.append(phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL))
            forms.append(f"+{example.country_code} 000{example.national_number}")
    return forms


@pytest.mark.parametrize("text", _saved_forms())
def test_every_countrys_saved_numbers_get_the_same_key(text: str) -> None:
    agree(text, "US")


@pytest.mark.parametrize(
    "text",
    ["+61 8 9164 000000", "+1 800 FLOWERS", "tel:+1-212-555-0101", "+1 317 555 0123 ext. 45",
     "+44 (0)20 7946 0958", "+39 06 1234 5678", "+1 317 555 0123 / 2", "+\u0661\u0663\u0661\u0667"
     "\u0665\u0665\u0665\u0660\u0661\u0662\u0663", "+800 1234 5678", "+1 317 555 0123 ABC"],
)  # fmt: skip
def test_odd_numbers_get_the_same_key(text: str) -> None:
    agree(text, "US")


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(list("0123456789")), st.sampled_from([" ", "-", "(", ")", "."])),
        min_size=3,
        max_size=18,
    ).map("".join),
    st.sampled_from(["+", "+0", "00", "011", "", "tel:+"]),
    st.sampled_from(["US", "GB", "DE", "IT", "CX", "AU", "BR", "JP"]),
)
def test_any_number_gets_the_same_key(body: str, prefix: str, region: str) -> None:
    agree(prefix + body, region)
