"""The pinned English region names are the installed phonenumbers' own (re-run
scripts/gen_region_names.py after upgrading phonenumbers when this fails)."""

from __future__ import annotations

from contact_tui.domain.region_names import REGION_NAMES
from contact_tui.domain.rules import country_label, english_region_names, not_searchable_warning


def test_the_pinned_names_are_phonenumbers_english_names() -> None:
    assert english_region_names() == REGION_NAMES


def test_a_kept_numbers_warning_names_the_country_from_the_table() -> None:
    assert country_label("de") == "Germany (+49)"
    assert "the United States (+1)" in not_searchable_warning("020 7946 0001", "US")
