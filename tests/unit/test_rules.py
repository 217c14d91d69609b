"""Tests for contact_tui.domain.rules: phones, emails, names and free text."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

from contact_tui.domain.draft import check_phone
from contact_tui.domain.model import PhoneNumber
from contact_tui.domain.rules import (
    MAX_AGENT_NAME_LENGTH,
    MAX_CHANNEL_ADDRESS_LENGTH,
    MAX_DISPLAY_NAME_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_INTERACTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PHONE_INPUT_LENGTH,
    MAX_SUBJECT_LENGTH,
    MAX_TRANSCRIPT_LINE_LENGTH,
    InteractionIntake,
    RuleError,
    check_count,
    country_assumed,
    email_key,
    is_email,
    looks_like_email,
    normalize_email,
    parse_phone,
    phone_key,
    region_for_country,
    region_for_country_code,
    validate_name,
    validate_text,
)

EXTENSION_ONLY = (
    "An extension alone is not a phone number: enter the number too, e.g. +1 317 555 0123 ext. 45."
)
NO_DIGITS = "A phone number needs digits, e.g. +1 317 555 0123."

# Text an attacker or a bad paste could smuggle in: escapes, controls, bidi overrides, newlines.
HOSTILE = [
    "\x1b[31m",
    "\x1b]8;;http://evil.example\x1b\\",
    "\x9b2J",
    "\x00",
    "\x07",
    "\x7f",
    "\t",
    "\n",
    "\r\n",
    "\u2028",
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200e",
    "\ufeff",
    "\u00ad",
    "\ud800",
]


# --- region_for_country_code ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "region"),
    [
        (1, "US"),
        (44, "GB"),
        ("+44", "GB"),
        ("44", "GB"),
        (" +44 ", "GB"),
        (7, "RU"),
        (49, "DE"),
        (61, "AU"),
        (91, "IN"),
        (881, "001"),
        ("+882", "001"),
        (870, "001"),
        (800, "001"),
    ],
)
def test_region_for_country_code(code: int | str, region: str) -> None:
    assert region_for_country_code(code) == region


@pytest.mark.parametrize("code", [999, "+999", 0, "0", 210, 9999])
def test_region_for_unknown_country_code_is_refused(code: int | str) -> None:
    with pytest.raises(RuleError, match=r"^There is no country calling code \+\d+\.$"):
        region_for_country_code(code)


@pytest.mark.parametrize("code", ["", "+", "abc", "4 4", "++44", "44a", "١", "+1234", -1, True])  # noqa: RUF001
def test_region_for_junk_country_code_is_refused(code: int | str) -> None:
    with pytest.raises(RuleError, match="country calling code"):
        region_for_country_code(code)


# --- parse_phone: searchable numbers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "e164", "country_code"),
    [
        ("+881 6 3123 4567", "+881631234567", 881),
        ("+882 16 4000 0000", "+8821640000000", 882),
        ("+870 7 7312 3456", "+870773123456", 870),
        ("+8816 3123 4567", "+881631234567", 881),
        # Other non-geographic codes phonenumbers calls valid: freephone, shared cost,
        # premium rate, iNum.
        ("+800 1234 5678", "+80012345678", 800),
        ("+808 1234 5678", "+80812345678", 808),
        ("+979 1 2345 6789", "+979123456789", 979),
        ("+883 5100 0000 0000", "+883510000000000", 883),
    ],
)
def test_satellite_numbers_are_searchable(text: str, e164: str, country_code: int) -> None:
    phone = parse_phone(text, "US")
    assert phone.searchable
    assert phone.e164 == e164
    assert phone.country_code == country_code
    assert phone.display.startswith(f"+{country_code} ")


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("(212) 555-0199", "US", "+12125550199"),
        ("+1 212 555 0101", "US", "+12125550101"),
        ("+1 212 555 0101", "GB", "+12125550101"),
        ("+44 7700 900123", "US", "+447700900123"),
        ("+44 7700 900999", "GB", "+447700900999"),
        # Ofcom's drama ranges, which phonenumbers does not call valid: possible is enough
        # for a number with its + (the design's rule); without + the number must be valid.
        ("+44 1632 960000", "US", "+441632960000"),
        ("+61 491 570 156", "US", "+61491570156"),
    ],
)
def test_fictional_test_ranges_are_accepted(text: str, region: str, e164: str) -> None:
    assert parse_phone(text, region).e164 == e164


@pytest.mark.parametrize(
    ("with_plus", "without", "region"),
    [
        ("+1-555-0123", "555-0123", "US"),  # seven digits: "possible" only dialled locally
        ("+47 111111", "111111", "NO"),  # too short
        ("+1 212 555 01999", "(212) 555-01999", "US"),  # too long
    ],
)
def test_a_number_with_plus_must_be_a_whole_number_as_one_without(
    with_plus: str, without: str, region: str
) -> None:
    """Issue 14 item 4: "+1-555-0123" became the searchable key +15550123 (a contact typed
    with that number was then refused as a duplicate of it), while "555-0123" was kept."""
    for text, read_in in ((with_plus, "US"), (with_plus, region), (without, region)):
        phone, warning = check_phone(text, read_in)
        assert phone is not None and phone.e164 is None and phone.display == text
        assert phone_key(text, read_in) is None
        assert warning.startswith("Kept as typed, but not searchable: ")


@pytest.mark.parametrize(
    ("with_plus", "without", "region", "e164"),
    [
        ("+1 (111) 555-1212", "(111) 555-1212", "US", "+11115551212"),  # no area code 111
        ("+49 1234 56788", "01234 56788", "DE", "+49123456788"),
        ("+44 7700 901123", "07700 901123", "GB", "+447700901123"),
    ],
)
def test_a_whole_number_with_plus_is_searchable_though_not_valid_but_not_without_it(
    with_plus: str, without: str, region: str, e164: str
) -> None:
    """The design validates a number written with + by possibility, not validity (test
    ranges must work); only a country assumed for a number without + must give a valid
    number, since the assumption is what may be wrong (issue 14 item 4)."""
    assert phone_key(with_plus, "US") == e164
    assert phone_key(with_plus, region) == e164
    assert phone_key(without, region) is None


@pytest.mark.parametrize(
    ("text", "region", "reason"),
    [
        ("+47 111111", "US", "it has the wrong number of digits for a number in Norway (+47); "),
        ("+47 111111", "NO", "it has the wrong number of digits for a number in Norway (+47); "),
        ("00 47 111111", "GB", "it has the wrong number of digits for a number in Norway (+47); "),
        ("tel:+47-111111", "US", "it has the wrong number of digits for a number in Norway (+47)"),
        ("+1-555-0123", "US", "it is only the local part of a number in the United States (+1); "
         "add the area code."),
        ("+1 212 555 019", "GB", "it is too short for a number in the United States (+1); check "
         "that no digit is missing."),
        ("+1 212 555 01999", "US", "it is too long for a number in the United States (+1); check "
         "for extra digits."),
        ("+999 1234567", "US", "no country has the calling code after its +; check the digits "
         "after the +."),
    ],
)  # fmt: skip
def test_a_number_with_plus_is_told_what_is_wrong_in_its_own_country(
    text: str, region: str, reason: str
) -> None:
    """Issue 14 item 2: "+47 111111" was told to "enter the full number with country code",
    which it has; it is told what is wrong with it in the country it names instead."""
    phone, warning = check_phone(text, region)

    assert phone is not None and phone.e164 is None
    assert warning.startswith(f"Kept as typed, but not searchable: {reason}")
    assert warning.endswith(".") and warning.count(". ") == 0
    assert "country code, e.g." not in warning and "without +" not in warning
    assert not country_assumed(text, region)


@pytest.mark.parametrize(
    ("text", "region", "country"),
    [
        # Possible lengths for the assumed country, but no number there has them: a +1 key
        # made of them would never match a call (issue 14).
        ("0351 223344", "US", "the United States (+1)"),  # a German national form
        ("7654321", "US", "the United States (+1)"),  # no area code
        ("555-0123", "US", "the United States (+1)"),
        ("0311111111", "US", "the United States (+1)"),
        ("(111) 555-1212", "US", "the United States (+1)"),  # no area code 111
        ("07700 901123", "GB", "the United Kingdom (+44)"),  # no such mobile range
    ],
)
def test_a_number_without_plus_that_is_not_valid_in_the_assumed_country_is_kept_as_typed(
    text: str, region: str, country: str
) -> None:
    phone, warning = check_phone(text, region)

    assert phone is not None and phone.e164 is None and phone.display == text
    assert phone_key(text, region) is None
    assert f"not a valid number in {country}, the country taken for numbers without +" in warning


def test_the_same_national_number_is_searchable_in_its_own_country() -> None:
    assert parse_phone("0351 223344", "DE").e164 == "+49351223344"
    assert check_phone("+49 351 223344", "US")[1] == ""


@pytest.mark.parametrize(
    ("text", "region"),
    [("DE", "DE"), ("de", "DE"), ("Germany", "DE"), ("Deutschland", "DE"), ("USA", "US"),
     ("United States", "US"), ("대한민국", "KR"), (" united  kingdom ", "GB"), ("Atlantis", None),
     ("", None)],
)  # fmt: skip
def test_an_address_country_names_its_region(text: str, region: str | None) -> None:
    assert region_for_country(text) == region


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("(317) 555-0123", "US", "+13175550123"),
        ("317.555.0123", "US", "+13175550123"),
        ("1 (317) 555-0123", "US", "+13175550123"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("020 7946 0958", "gb", "+442079460958"),
        ("030 901820", "DE", "+4930901820"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("03-1234-5678", "JP", "+81312345678"),
        ("(02) 9876 5432", "AU", "+61298765432"),
        ("１２１２５５５０１０１", "US", "+12125550101"),  # noqa: RUF001
    ],
)
def test_default_region_applies_to_national_numbers(text: str, region: str, e164: str) -> None:
    phone = parse_phone(text, region)
    assert phone.e164 == e164
    assert phone.user_input == text


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("011 881 6 3123 4567", "US", "+881631234567"),
        ("00 44 20 7946 0958", "DE", "+442079460958"),
        ("00 1 212 555 0101", "GB", "+12125550101"),
        ("0011 44 20 7946 0958", "AU", "+442079460958"),
        ("+44 (0)20 7946 0958", "US", "+442079460958"),
        ("+ 44 20 7946 0958", "US", "+442079460958"),
    ],
)
def test_international_prefix_means_international(text: str, region: str, e164: str) -> None:
    assert parse_phone(text, region).e164 == e164


def test_parsed_number_fields() -> None:
    phone = parse_phone("  (317) 555-0123 ", "US", accepts_sms=True)
    assert phone == PhoneNumber(
        display="+1 317-555-0123",
        user_input="(317) 555-0123",
        e164="+13175550123",
        country_code=1,
        accepts_sms=True,
        extension=None,
    )


@pytest.mark.parametrize(
    ("text", "extension"),
    [
        ("+1 317 555 0123 ext. 45", 45),
        ("+1 317 555 0123 x45", 45),
        ("+1 317 555 0123 X 45", 45),
        ("(317) 555-0123 extension 7", 7),
        ("+1 317 555 0123 #45", 45),
        ("+1 317 555 0123;ext=45", 45),
        ("tel:+1-317-555-0123;ext=45", 45),
        ("+1 317 555 0123,,45", 45),
        ("+1 317 555 0123 ext. 123456789", 123456789),
        ("+1 317 555 0123 ext. ٤٥", 45),
    ],
)
def test_extension_is_kept_as_int_and_left_out_of_e164(text: str, extension: int) -> None:
    phone = parse_phone(text, "US")
    assert phone.extension == extension
    assert phone.e164 == "+13175550123"
    assert phone.display.startswith("+1 317-555-0123 ext. ")


def test_extension_leading_zeros_stay_in_display_only() -> None:
    phone = parse_phone("+1 317 555 0123 ext. 0045", "US")
    assert phone.extension == 45
    assert phone.display == "+1 317-555-0123 ext. 0045"


@pytest.mark.parametrize(
    "text",
    [
        "x123",
        "X123",
        "x 123",
        "ext. 45",
        "ext 45",
        "Ext 12",
        "EXT. 12",
        "ext: 45",
        "extn 45",
        "extension 7",
        "Extension 7",
        "extensión 7",
        "#123",
        "#123#",
        ";ext=45",
        "ext=45",
        "ｘ１２３",  # noqa: RUF001
        "доб. 45",
        "anexo 45",
        "  x123  ",
    ],
)
def test_extension_alone_is_refused(text: str) -> None:
    with pytest.raises(RuleError) as err:
        parse_phone(text, "US")
    assert str(err.value) == EXTENSION_ONLY


@pytest.mark.parametrize(
    "text",
    [
        "+1 317 555 0123 ext. 1234567890",
        "+1 317 555 0123 x1234567890",
        "+1 317 555 0123 #1234567890",
    ],
)
def test_extension_over_nine_digits_is_refused(text: str) -> None:
    with pytest.raises(RuleError, match="at most 9 digits"):
        parse_phone(text, "US")


# --- parse_phone: kept but not searchable ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("12", "US"),
        ("911", "US"),
        ("999", "GB"),
        ("1234", "US"),
        ("+44 12", "US"),
        ("44 20 7946 0958", "US"),
        ("*67 212 555 0101", "US"),
        ("+1 212 555 0101 p45", "US"),
        ("+4420794609581234567", "US"),
        ("00000", "US"),
        ("+44 20 7946 0958 or +1 212 555 0101", "US"),
        ("+999 123 4567", "US"),
        ("020 7946 0958", "ZZ"),
        ("020 7946 0958", "XX"),
        ("020 7946 0958", ""),
        ("1", "US"),
        ("+1-", "US"),
    ],
)
def test_non_e164_input_is_kept_as_typed(text: str, region: str) -> None:
    phone = parse_phone(f" {text} ", region)
    assert phone == PhoneNumber(display=text, user_input=text)
    assert not phone.searchable
    assert phone_key(text, region) is None


def test_number_whose_e164_does_not_parse_back_is_not_searchable() -> None:
    # phonenumbers formats "000000" in Christmas Island as +61000000, which parses as +6100000.
    assert (
        phonenumbers.format_number(phonenumbers.parse("+61000000"), PhoneNumberFormat.E164)
        == "+6100000"
    )
    phone = parse_phone("000000", "CX")
    assert phone == PhoneNumber(display="000000", user_input="000000")
    assert phone_key("000000", "CX") is None


def test_kept_number_keeps_parsed_extension_and_sms_flag() -> None:
    phone = parse_phone("1234 ext. 5", "US", accepts_sms=True)
    assert phone == PhoneNumber(
        display="1234 ext. 5", user_input="1234 ext. 5", accepts_sms=True, extension=5
    )


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("0800-FLOWERS", "GB", "+448003569377"),
        ("1-800-FLOWERS", "US", "+18003569377"),
        ("+1 800 FLOWERS", "US", "+18003569377"),
    ],
)
def test_vanity_numbers_become_their_digits(text: str, region: str, e164: str) -> None:
    phone = parse_phone(text, region)
    assert phone.e164 == e164
    assert phone.user_input == text


# --- parse_phone: refused ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\t\n "])
def test_empty_phone_is_refused(text: str) -> None:
    with pytest.raises(RuleError, match=r"^Enter a phone number\.$"):
        parse_phone(text, "US")


@pytest.mark.parametrize("text", ["call me", "FLOWERS", "+", "-", "()", "n/a", "ext.", "x", "#"])
def test_phone_without_digits_is_refused(text: str) -> None:
    with pytest.raises(RuleError) as err:
        parse_phone(text, "US")
    assert str(err.value) == NO_DIGITS


@pytest.mark.parametrize("bad", HOSTILE)
def test_phone_with_control_characters_is_refused(bad: str) -> None:
    with pytest.raises(RuleError, match=r"^The phone number contains .*; remove it\.$"):
        parse_phone(f"+1 212{bad}555 0101", "US")


def test_phone_with_escape_sequence_names_it() -> None:
    with pytest.raises(RuleError, match="escape sequence"):
        parse_phone("\x1b[31m+1 212 555 0101\x1b[0m", "US")


def test_over_long_phone_input_is_refused() -> None:
    text = "+1 212 555 0101" + " " * MAX_PHONE_INPUT_LENGTH + "1"
    with pytest.raises(RuleError, match="too long"):
        parse_phone(text, "US")
    assert phone_key(text, "US") is None


def test_phone_input_at_the_limit_is_accepted() -> None:
    text = "1" * MAX_PHONE_INPUT_LENGTH
    assert parse_phone(text, "US") == PhoneNumber(display=text, user_input=text)


# --- phone_key -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "key"),
    [
        ("+44 (0)20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+442079460958", "GB", "+442079460958"),
        ("tel:+1-212-555-0101", "US", "+12125550101"),
        ("tel:+1-212-555-0101;ext=7", "US", "+12125550101"),
        ("1 (212) 555-0101", "US", "+12125550101"),
        ("212.555.0101", "US", "+12125550101"),
        ("+1 212 555 0101 ext. 9", "DE", "+12125550101"),
        ("+881 6 3123 4567", "US", "+881631234567"),
    ],
)
def test_phone_key_finds_e164(text: str, region: str, key: str) -> None:
    assert phone_key(text, region) == key


@pytest.mark.parametrize(
    "text",
    ["", "  ", "call me", "x123", "ext. 5550123", "12", "\x1b[31m", "+1 212\x00555 0101"],
)
def test_phone_key_is_none_without_e164(text: str) -> None:
    assert phone_key(text, "US") is None


_FORMATS = (PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.RFC3966)


def _assert_reformattings_match(e164: str, region: str) -> None:
    """Every common rendering of ``e164`` gives the same phone key."""
    number = phonenumbers.parse(e164)
    for fmt in _FORMATS:
        assert phone_key(phonenumbers.format_number(number, fmt), region) == e164, fmt
    assert number.country_code is not None
    home = phonenumbers.region_code_for_country_code(number.country_code)
    # National formats do not always parse back, even in phonenumbers itself: an invalid
    # Argentine mobile "+54 9 0000000000" formats as "0000 15-000-0000", and Gabon's "+241 2 00 00
    # 00" as "02 00 00 00", which is +241 02 00 00 00 (Gabon numbers are valid with or without
    # the 0). Where the library's own round trip holds, ours must too.
    if home == "001" or not phonenumbers.is_valid_number(number):
        return
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    library = phonenumbers.parse(national, home)
    if phonenumbers.format_number(library, PhoneNumberFormat.E164) == e164:
        assert phone_key(national, home) == e164, national


def _example_numbers() -> list[str]:
    """An example fixed-line and mobile number for every region and non-geographic code."""
    examples: set[str] = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                examples.add(phonenumbers.format_number(number, PhoneNumberFormat.E164))
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            examples.add(phonenumbers.format_number(number, PhoneNumberFormat.E164))
    return sorted(examples)


def test_example_numbers_of_every_region_reformat_to_one_key() -> None:
    examples = _example_numbers()
    assert len(examples) > 400
    for e164 in examples:
        phone = parse_phone(e164, "US")
        assert phone.e164 == e164
        _assert_reformattings_match(e164, "US")


# --- normalize_email / email_key / looks_like_email ------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Sam.Smith@Example.COM", "Sam.Smith@example.com"),
        ("  sam@example.com  ", "sam@example.com"),
        ("SAM@EXAMPLE.COM", "SAM@example.com"),
        ("sam+tag@mail.example.co.uk", "sam+tag@mail.example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("José@Exämple.COM", "José@exämple.com"),
        ("用户@例子.广告", "用户@例子.广告"),
        ("Ιωάννης@παράδειγμα.ελ", "Ιωάννης@παράδειγμα.ελ"),
        ("sam@straße.de", "sam@straße.de"),
        ("sam@xn--bcher-kva.ch", "sam@bücher.ch"),
        ("a@b.co", "a@b.co"),
    ],
)
def test_normalize_email(text: str, normalized: str) -> None:
    assert normalize_email(text) == normalized


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_email_is_refused(text: str) -> None:
    with pytest.raises(RuleError, match=r"^Enter an email address\.$"):
        normalize_email(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sam", "Not an email address: it needs an @, e.g. sam@example.com."),
        ("sam@", "Not an email address: the part after the @ is missing."),
        ("@example.com", "Not an email address: the part before the @ is missing."),
        ("sam@example", "Not an email address: the part after the @ is not valid; it should have "),
        ("sam..smith@example.com", "Not an email address: it cannot have two periods in a row."),
        ("sam@example.com.", "Not an email address: it cannot end with a period."),
        ("sam smith@example.com", "Not an email address: it contains invalid characters before "),
        ("sam@@example.com", "Not an email address: the part after the @ contains invalid "),
        ("Sam <sam@example.com>", "Enter the address alone, without a name or angle brackets"),
        ('"sam smith"@example.com', "Not an email address: quoting the part before the @ is "),
        ("sam@[127.0.0.1]", "Not an email address: a bracketed IP address after the @ is "),
    ],
)
def test_invalid_email_gives_one_sentence(text: str, message: str) -> None:
    with pytest.raises(RuleError) as err:
        normalize_email(text)
    sentence = str(err.value)
    assert sentence.startswith(message)
    assert sentence.endswith(".")
    assert "@-sign" not in sentence
    assert ". " not in sentence.removesuffix(".").replace("e.g. ", "")


@pytest.mark.parametrize(
    "text", ["sam@example.test", "sam@example.invalid", "sam@localhost", "sam@host.local"]
)
def test_special_use_and_single_label_domains_are_refused(text: str) -> None:
    with pytest.raises(RuleError, match=r"^Not an email address: the part after the @ is "):
        normalize_email(text)


@pytest.mark.parametrize("bad", HOSTILE)
def test_email_with_control_characters_is_refused(bad: str) -> None:
    with pytest.raises(RuleError, match=r"^The email address contains .*; remove it\.$"):
        normalize_email(f"sam{bad}@example.com")


def test_over_long_email_is_refused() -> None:
    text = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"
    assert len(text) > MAX_EMAIL_LENGTH
    with pytest.raises(RuleError, match="at most 254 characters"):
        normalize_email(text)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sam.Smith@Example.COM", "sam.smith@example.com"),
        (" SAM@EXAMPLE.COM ", "sam@example.com"),
        ("sam@xn--bcher-kva.ch", "SAM@Bücher.ch"),
        ("José@example.com", "JOSÉ@EXAMPLE.COM"),
    ],
)
def test_email_key_is_case_insensitive(a: str, b: str) -> None:
    assert email_key(a) == email_key(b)


@pytest.mark.parametrize(
    ("text", "key"),
    [("Sam.Smith@Example.COM", "sam.smith@example.com"), (" Not An Email ", "not an email")],
)
def test_email_key_values(text: str, key: str) -> None:
    assert email_key(text) == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sam@example.com", True),
        ("sam@example", True),
        (" a@b ", True),
        ("sam", False),
        ("@example.com", False),
        ("sam@", False),
        ("a@b@c", False),
        (" @ ", False),
        ("", False),
    ],
)
def test_looks_like_email(text: str, expected: bool) -> None:
    assert looks_like_email(text) is expected


# --- validate_name / validate_text -----------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Sam",
        "O'Brien",
        "O’Brien",  # noqa: RUF001
        "Jean-Luc",
        "Jean‐Luc",  # noqa: RUF001
        "Mary Ann",
        "Jr.",
        "J. R. R.",
        "Zoë",
        "Søren",
        "Łukasz",
        "Nguyễn",
        "Müller-Lüdenscheidt",
        "Åsa",
        "Иванов",
        "Παπαδόπουλος",
        "محمد",
        "עברית",
        "王秀英",
        "佐藤",
        "김민준",
        "देवनागरी",
        "สมชาย",
        "ქართული",
        "Հայերեն",
        "e\u0301",
        "Henry 8th",
        "[bold]Sam[/bold]",
        "Sam 😀",
        "می\u200cخواهم",  # noqa: RUF001
        "क्\u200dष",
    ],
)
def test_names_in_every_script_are_accepted(name: str) -> None:
    assert validate_name(f"  {name} ", "First name", required=True) == name


@pytest.mark.parametrize("text", ["", " ", "\t", "\n", "\u00a0\u3000"])
def test_required_name_must_not_be_empty(text: str) -> None:
    with pytest.raises(RuleError) as err:
        validate_name(text, "Last name", required=True)
    assert str(err.value) == "Last name is required."


def test_optional_name_may_be_empty() -> None:
    assert validate_name("  ", "Middle name", required=False) == ""


@pytest.mark.parametrize("bad", HOSTILE)
def test_name_with_control_characters_is_refused(bad: str) -> None:
    with pytest.raises(RuleError, match=r"^First name contains .*; remove it\.$"):
        validate_name(f"Sam{bad}Smith", "First name", required=True)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("\x1b[31m", "an escape sequence"),
        ("\n", "a line break"),
        ("\u2029", "a line break"),
        ("\t", "a tab"),
        ("\x07", "a control character (U+0007)"),
        ("\u202e", "a text-direction control character (U+202E)"),
        ("\u200b", "an invisible formatting character (U+200B)"),
    ],
)
def test_refusal_names_the_character(bad: str, words: str) -> None:
    with pytest.raises(RuleError) as err:
        validate_name(f"Sam{bad}Smith", "First name", required=False)
    assert str(err.value) == f"First name contains {words}; remove it."


def test_name_length_limit() -> None:
    assert validate_name("a" * MAX_NAME_LENGTH, "Last name", required=True) == "a" * 1000
    with pytest.raises(RuleError, match=r"^Last name is too long: at most 1,000 characters"):
        validate_name("a" * (MAX_NAME_LENGTH + 1), "Last name", required=True)


@pytest.mark.parametrize(
    "text",
    ["Dr.", "Head of Customer Care", "221B Baker Street", "https://crm.example.com/c/42?x=1&y=2"],
)
def test_validate_text_accepts_ordinary_text(text: str) -> None:
    assert validate_text(f" {text} ", "Title") == text


def test_validate_text_allows_empty() -> None:
    assert validate_text("   ", "Title") == ""


@pytest.mark.parametrize("bad", HOSTILE)
def test_validate_text_refuses_control_characters(bad: str) -> None:
    with pytest.raises(RuleError, match=r"^City contains"):
        validate_text(f"Lon{bad}don", "City")


def test_validate_text_length_limit() -> None:
    assert validate_text("x" * 10, "Postal code", max_length=10) == "x" * 10
    with pytest.raises(RuleError, match=r"^Postal code is too long: at most 10 characters"):
        validate_text("x" * 11, "Postal code", max_length=10)


# --- properties ------------------------------------------------------------------------------

_ANY_TEXT = st.text(
    alphabet=st.characters(exclude_categories=()),
    max_size=80,
)
_PHONE_TEXT = st.text(
    alphabet=st.sampled_from(list("0123456789 +-().#x;=ext٠١٢٣４５\x1b\u202eAZ@")),  # noqa: RUF001
    max_size=30,
)
_REGIONS = st.sampled_from([*sorted(phonenumbers.SUPPORTED_REGIONS), "001", "ZZ", "gb", ""])
_COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


_EXAMPLE_REGIONS = sorted(
    r for r in phonenumbers.SUPPORTED_REGIONS if phonenumbers.example_number(r) is not None
)


@st.composite
def _phone_like(draw: st.DrawFn) -> tuple[str, str]:
    """Possible numbers typed in varied ways: a region's example number with its last digits
    changed (possibility depends on length, so this rarely needs filtering), written
    international or national, with or without separators."""
    region = draw(st.sampled_from(_EXAMPLE_REGIONS))
    example = phonenumbers.example_number(region)
    assert example is not None  # _EXAMPLE_REGIONS holds only regions that have one
    national = str(example.national_number)
    tail = draw(st.text(alphabet="0123456789", min_size=1, max_size=min(4, len(national))))
    digits = national[: len(national) - len(tail)] + tail
    separator = draw(st.sampled_from(["", " ", "-", "."]))
    digits = separator.join(digits[i : i + 3] for i in range(0, len(digits), 3))
    if draw(st.booleans()):
        return f"+{example.country_code} {digits}", draw(_REGIONS)
    return digits, region


_SETTINGS = settings(max_examples=200, deadline=None)


@_SETTINGS
@given(text=st.one_of(_ANY_TEXT, _PHONE_TEXT), region=_REGIONS)
def test_parse_phone_raises_only_rule_errors(text: str, region: str) -> None:
    try:
        phone = parse_phone(text, region)
    except RuleError as err:
        assert str(err).endswith(".")
        assert phone_key(text, region) is None
        return
    assert phone.user_input == text.strip()
    assert phone_key(text, region) == phone.e164
    assert (phone.e164 is None) == (phone.country_code is None)


@_SETTINGS
@given(text=_ANY_TEXT)
def test_normalize_email_raises_only_rule_errors(text: str) -> None:
    try:
        address = normalize_email(text)
    except RuleError as err:
        assert str(err).endswith(".")
        assert email_key(text) == text.strip().lower()
        return
    assert email_key(text) == address.lower()
    assert normalize_email(address) == address


@_SETTINGS
@given(text=_ANY_TEXT, required=st.booleans())
def test_validate_name_raises_only_rule_errors(text: str, required: bool) -> None:
    try:
        name = validate_name(text, "First name", required=required)
    except RuleError as err:
        assert str(err).startswith("First name ")
        return
    assert name == text.strip()
    assert validate_text(text, "Title") == name


@_SETTINGS
@given(case=_phone_like())
def test_reformatted_phone_gives_the_same_key(case: tuple[str, str]) -> None:
    text, region = case
    try:
        phone = parse_phone(text, region)
    except RuleError:
        assume(False)
        return
    assume(phone.e164 is not None)
    assert phone.e164 is not None
    _assert_reformattings_match(phone.e164, region)


# --- interactions: what the routing side hands over --------------------------------------------

_FIELD_LIMITS = [
    (MAX_AGENT_NAME_LENGTH, "identifier"),
    (MAX_CHANNEL_ADDRESS_LENGTH, "identifier"),
    (MAX_CHANNEL_ADDRESS_LENGTH, "display"),
    (MAX_DISPLAY_NAME_LENGTH, "display"),
    (MAX_SUBJECT_LENGTH, "display"),
    (MAX_TRANSCRIPT_LINE_LENGTH, "display"),
]


def _take(intake: InteractionIntake, kind: str, text: str, limit: int) -> str:
    take = intake.identifier if kind == "identifier" else intake.display_text
    return take(text, "The field", limit)


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if h != "\ud800"])
def test_an_identifier_with_a_control_format_or_bidi_character_is_refused(hostile: str) -> None:
    with pytest.raises(RuleError) as refused:
        InteractionIntake().identifier(f"billing{hostile}@evil.example", "The sender address", 320)
    message = str(refused.value)
    assert message.startswith("The sender address contains "), message
    assert message.endswith("; remove it.")
    assert message.isprintable(), "the refusal does not echo what it refuses"


@pytest.mark.parametrize("joiner", ["\u200c", "\u200d"])
def test_an_identifier_may_not_hold_a_joiner_but_display_text_may(joiner: str) -> None:
    with pytest.raises(RuleError, match="invisible formatting character"):
        InteractionIntake().identifier(f"cookie{joiner}1", "The sender address", 320)
    persian = f"می{joiner}خواهم"
    assert InteractionIntake().display_text(persian, "The sender name", 256) == persian


def test_display_text_has_its_unsafe_characters_escaped_visibly() -> None:
    intake = InteractionIntake()
    osc52 = "billing\x1b]52;c;Y3VybCBldmlsIHwgc2gK\x1b\\\x07 \u202efdp.exe\x7f\x9b\u2028"
    assert intake.display_text(osc52, "The subject", 1000) == (
        "billing\\x1b]52;c;Y3VybCBldmlsIHwgc2gK\\x1b\\\\x07 \\u202efdp.exe\\x7f\\x9b\\u2028"
    )
    assert intake.display_text("[b]Sam[/b] 山田 😀", "The subject", 1000) == "[b]Sam[/b] 山田 😀"


@pytest.mark.parametrize(("limit", "kind"), _FIELD_LIMITS)
def test_every_interaction_field_is_bounded(limit: int, kind: str) -> None:
    assert _take(InteractionIntake(), kind, "x" * limit, limit) == "x" * limit
    with pytest.raises(RuleError) as refused:
        _take(InteractionIntake(), kind, "x" * (limit + 1), limit)
    assert str(refused.value) == (
        f"The field is too long: at most {limit:,} characters, this has {limit + 1:,}."
    )


def test_escaping_that_takes_display_text_over_its_limit_is_refused_saying_so() -> None:
    with pytest.raises(RuleError) as refused:
        InteractionIntake().display_text("\x1b" * 100, "The sender name", 256)
    assert str(refused.value) == (
        "The sender name is too long once its control characters are written as escapes: "
        "at most 256 characters, this has 400."
    )


def test_the_whole_interaction_is_bounded() -> None:
    intake = InteractionIntake()
    line = "y" * MAX_TRANSCRIPT_LINE_LENGTH
    for _ in range(MAX_INTERACTION_LENGTH // MAX_TRANSCRIPT_LINE_LENGTH):
        intake.display_text(line, "A line", MAX_TRANSCRIPT_LINE_LENGTH)
    with pytest.raises(RuleError) as refused:
        intake.identifier("x", "The agent", MAX_AGENT_NAME_LENGTH)
    assert str(refused.value) == (
        f"The interaction is too long: at most {MAX_INTERACTION_LENGTH:,} characters in all "
        "(sender, recipients, subject and transcript together)."
    )


@pytest.mark.parametrize("kind", ["identifier", "display"])
def test_a_lone_surrogate_in_an_interaction_is_refused_as_not_text(kind: str) -> None:
    with pytest.raises(RuleError) as refused:
        _take(InteractionIntake(), kind, "Sam\udcffLee", 100)
    assert str(refused.value) == "The field holds byte 0xFF, which is not text; send UTF-8."


def test_check_count_names_what_is_counted() -> None:
    check_count(["a"] * 3, "The transcript", "lines", 3)
    with pytest.raises(RuleError) as refused:
        check_count(["a"] * 10_001, "The transcript", "lines", 10_000)
    assert (
        str(refused.value) == "The transcript is too long: at most 10,000 lines, this has 10,001."
    )


@pytest.mark.parametrize(
    ("text", "valid"),
    [("sam@example.com", True), ("Jo@Example.COM", True), ("billing@@evil.example", False),
     ("a@b", False), ("not an address", False), ("", False)],
)  # fmt: skip
def test_is_email_agrees_with_the_email_rule(text: str, valid: bool) -> None:
    assert is_email(text) is valid
