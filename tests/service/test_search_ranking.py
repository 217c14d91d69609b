"""How a name search ranks what it finds (issue 12): contacts whose last name starts with one
of the searched words first, then the other matches, each group in directory order (as a
partial number ranks the numbers ending in it first). On both stores (tests/service/conftest.py);
a small count cap drives PostgreSQL's ways to the first page (search_page): a common last name
counted in the directory's index, a rare match among many of a last name, several words' last
names merged, and the other matches found by walking the directory or sorted."""

from __future__ import annotations

import pytest

from contact_tui.domain import search
from contact_tui.domain.draft import ContactDraft
from contact_tui.service import ContactService, SearchKind


def add(service: ContactService, first: str, last: str) -> str:
    return service.create_contact(ContactDraft(first_name=first, last_name=last)).id


def names(service: ContactService, query: str, limit: int = 50) -> list[str]:
    found = service.search(query, limit=limit).contacts
    return [f"{c.first_name} {c.last_name}" for c in found]


def test_a_last_name_starting_with_the_word_comes_first(service: ContactService) -> None:
    for first, last in [("Ann", "Goldsmith"), ("Bo", "Smith"), ("Cy", "Smithers"),
                        ("Smith", "Aaron"), ("Di", "Jones")]:  # fmt: skip
        add(service, first, last)
    result = service.search("SMITH")
    assert result.kind == SearchKind.NAME
    # Smith and Smithers first, though Aaron and Goldsmith come before them in the directory.
    assert names(service, "SMITH") == ["Bo Smith", "Cy Smithers", "Smith Aaron", "Ann Goldsmith"]
    assert result.total == 4 and not result.capped


def test_any_word_of_the_query_may_start_the_last_name(service: ContactService) -> None:
    for first, last in [("Ann", "Goldsmith"), ("Ann", "Smith"), ("Smith", "Annan"),
                        ("Ann", "Ito")]:  # fmt: skip
        add(service, first, last)
    # Annan and Smith each start with a word; Goldsmith holds both words but starts with none.
    assert names(service, "ann smith") == ["Smith Annan", "Ann Smith", "Ann Goldsmith"]


def test_quoted_text_ranks_a_last_name_starting_with_it_first(service: ContactService) -> None:
    add(service, "Ada", "Vance de Vries")
    add(service, "Bo", "de Vries")
    assert names(service, '"de v"') == ["Bo de Vries", "Ada Vance de Vries"]


def test_a_common_last_name_fills_the_page_and_is_counted_past_the_cap(
    service: ContactService, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(service, "Al", "Ashlee")  # holds "lee", first in the directory, not starting with it
    for n in range(6):
        add(service, "Sam", f"Lee{n}")
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    result = service.search("lee", limit=2)
    assert [c.last_name for c in result.contacts] == ["Lee0", "Lee1"]
    assert (result.total, result.capped) == (3, True)
    assert names(service, "lee", limit=8)[-1] == "Al Ashlee"


def test_a_rare_match_among_many_of_a_last_name_and_the_others_after_it(
    service: ContactService, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(10):  # Satos that are not Priya: read past before the two that are
        add(service, "Bo", f"Sato{n:02d}")
    add(service, "Priya", "Sato90")
    add(service, "Priya", "Sato91")
    for n in range(3):  # Priyas whose last name holds "sato" without starting with it
        add(service, "Priya", f"Ansato{n}")
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    result = service.search("priya sato", limit=4)
    assert [c.last_name for c in result.contacts] == ["Sato90", "Sato91", "Ansato0", "Ansato1"]
    assert (result.total, result.capped) == (4, True)  # the cap is the page's size at least


def test_the_other_matches_follow_in_directory_order_past_the_cap(
    service: ContactService, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(service, "Kim", "Anaya")  # starts with "ana": first
    for n in range(8):  # hold "ana" elsewhere: in directory order after Anaya
        add(service, "Ana", f"Zed{n}" if n % 2 else f"Bee{n}")
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    result = service.search("ana", limit=4)
    assert [c.last_name for c in result.contacts] == ["Anaya", "Bee0", "Bee2", "Bee4"]
    assert result.capped
    for n in range(30):  # many non-matches first: the walk through the directory gives up
        add(service, "Al", f"Able{n:02d}")
    result = service.search("ana", limit=4)
    assert [c.last_name for c in result.contacts] == ["Anaya", "Bee0", "Bee2", "Bee4"]
