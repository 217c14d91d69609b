"""Partial-number and quoted search (issue 13) and the capped count (issue 12), on both
stores (tests/service/conftest.py runs each test over the embedded store and PostgreSQL)."""

from __future__ import annotations

import pytest

from contact_tui.domain import search
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import PhoneKind
from contact_tui.service import ContactService, SearchKind


def person(first: str, last: str, **phones: str) -> ContactDraft:
    return ContactDraft(
        first_name=first,
        last_name=last,
        phones={PhoneKind(kind): PhoneDraft(number) for kind, number in phones.items()},
    )


def ids(service: ContactService, query: str) -> list[str]:
    return [c.id for c in service.search(query).contacts]


def test_four_digits_find_numbers_holding_them_ending_in_them_first(
    service: ContactService,
) -> None:
    inside = service.create_contact(person("Ada", "Aaron", cellPhone="+1 317 555 0123 "))
    ending = service.create_contact(person("Zoe", "Zed", workPhone="+1 317 201 5550"))
    other = service.create_contact(person("Bo", "Bee", cellPhone="+1 317 555 9999"))
    result = service.search("5550")
    assert result.kind == SearchKind.NUMBER
    # Zed's number ends in 5550: first, though Aaron comes first in the directory.
    assert [c.id for c in result.contacts] == [ending.id, inside.id]
    assert result.total == 2 and not result.capped
    assert other.id not in ids(service, "5550")


def test_formatting_is_ignored(service: ContactService) -> None:
    lee = service.create_contact(person("Sam", "Lee", cellPhone="+1 317 555 0123"))
    for query in ("555-0123", "(555) 0123", "0123", "55 50 12 3"):
        assert ids(service, query) == [lee.id], query


def test_fewer_than_four_digits_search_names_and_emails_as_text(
    service: ContactService,
) -> None:
    service.create_contact(person("Sam", "Lee", cellPhone="+1 317 555 0123"))
    named = service.create_contact(person("Agent", "123"))
    result = service.search("123")
    assert result.kind == SearchKind.NAME
    assert [c.id for c in result.contacts] == [named.id]


def test_a_kept_number_that_is_not_e164_is_found_by_its_digits_and_quoted_text(
    service: ContactService,
) -> None:
    kept = service.create_contact(person("Kim", "Ito", otherPhone="ext 4711 ask for Bob"))
    assert kept.other_phone is not None and kept.other_phone.e164 is None
    assert ids(service, "4711") == [kept.id]
    assert ids(service, '"ext 4711 ASK"') == [kept.id]  # ASCII letters: any case
    assert service.search('"ext 4711 ask"').kind == SearchKind.LITERAL
    assert ids(service, "ask for bob") == []  # unquoted: names and emails only


def test_a_full_number_still_matches_in_e164(service: ContactService) -> None:
    lee = service.create_contact(person("Sam", "Lee", cellPhone="(317) 555-0123"))
    result = service.search("+1 (317) 555-0123")
    assert (result.kind, [c.id for c in result.contacts]) == (SearchKind.PHONE, [lee.id])


def test_a_count_past_the_cap_says_more_than(
    service: ContactService, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(4):
        service.create_contact(person("Sam", f"Lee{n}"))
    monkeypatch.setattr(search, "COUNT_CAP", 2)  # both stores take the cap from the service
    result = service.search("lee", limit=1)
    assert [c.last_name for c in result.contacts] == ["Lee0"]  # still the first in order
    assert (result.total, result.capped) == (2, True)
    monkeypatch.setattr(search, "COUNT_CAP", 4)
    assert (service.search("lee", limit=1).total, service.search("lee").capped) == (4, False)


def test_a_changed_number_is_found_by_its_new_digits_only(service: ContactService) -> None:
    lee = service.create_contact(person("Sam", "Lee", cellPhone="+1 317 555 0123"))
    draft = person("Sam", "Lee", cellPhone="+1 317 555 4567")
    service.edit(lee.id, draft, lee.version)
    assert ids(service, "0123") == []  # neither ending in it nor holding it any more
    assert ids(service, "4567") == [lee.id]
    assert ids(service, "5554") == [lee.id]
