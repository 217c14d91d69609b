"""Both stores give the same search results (issue 12: "identical search results for the same
data"): a seeded random directory searched by names, fragments, partial numbers and quoted
text, each result checked against what the search promises (a last name starting with a
searched word first, a number ending in the digits first), worked out here from the contacts
themselves. Runs over each store (tests/service/conftest.py), so each equals the
same answer. A small count cap makes the capped count and PostgreSQL's directory walk
(search_page, for needles most contacts hold) part of it."""

from __future__ import annotations

import random

import pytest

from contact_tui.domain import codec, search
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import Contact, EmailKind, PhoneKind
from contact_tui.domain.text import fold
from contact_tui.service import ContactService, SearchKind

FIRST = ["Ana", "Bo", "Chloé", "Dmitri", "Eve", "Fatima", "Józef", "Li", "Ngozi", "Zoë"]
LAST = ["Smith", "Goldsmith", "Ng", "Ito", "Álvarez", "Alvarado", "de Vries", "O'Neil", ""]
KEPT = ["ask for Bob 4711", "0123 ASK for Bob", "reception 2", "Room 555 0123", "(555) 0123"]
LIMIT = 7
CAP = 9


def directory(rng: random.Random, count: int) -> list[ContactDraft]:
    drafts = []
    for n in range(count):
        phones = {}
        if rng.random() < 0.8:
            phones[PhoneKind.CELL] = PhoneDraft(f"+1 317 555 {rng.randrange(10_000):04d}")
        if rng.random() < 0.5:
            phones[PhoneKind.WORK] = PhoneDraft(f"+44 20 7946 {rng.randrange(10_000):04d}")
        if rng.random() < 0.3:
            phones[PhoneKind.OTHER] = PhoneDraft(rng.choice(KEPT))
        first, last = rng.choice(FIRST), rng.choice(LAST)
        drafts.append(
            ContactDraft(
                first_name=first,
                last_name=last or f"Nobody{n}",
                phones=phones,
                emails={EmailKind.WORK: f"{fold(first)}.{n}@example.com"}
                if rng.random() < 0.7
                else {},
            )
        )
    return drafts


def queries(rng: random.Random, contacts: list[Contact]) -> list[str]:
    asked = ["smith", "al", "a", "o'n", "ö", "ng ana", "example", "7946", "5550", "555 0",
             '"0123 ask"', '"bob 47"', '"ASK"', '"reception 2"', "0123", "4711", "s", "smi",
             "de", "ALV", "ng", "o", "i", "ana s", "gold", '"de v"', '"al"']  # fmt: skip
    for contact in rng.sample(contacts, 12):
        for _, phone in contact.phones():
            digits = "".join(ch for ch in phone.e164 or phone.display if ch.isdigit())
            if len(digits) >= 4:
                start = rng.randrange(len(digits) - 3)
                asked.append(digits[start : start + rng.randrange(4, 8)])
        name = fold(contact.last_name)
        if len(name) > 2:
            asked.append(name[1:3])
    return asked


def expected(contacts: list[Contact], query: str) -> tuple[list[str], int, bool]:
    """What the search promises for ``query``: ids of the first LIMIT and the capped count."""
    text = query.strip()
    docs = [codec.contact_to_doc(c) for c in contacts]
    if text[0] == text[-1] == '"':
        literal = text[1:-1]
        hits = [
            d
            for d in docs
            if fold(literal) in codec.contact_doc_search_text(d)
            or codec.literal_phone_text(literal) in codec.contact_doc_phone_text(d)
        ]
        words = [fold(literal)]
    elif (digits := search.partial_number(text)) is not None:
        hits = [d for d in docs if digits in codec.contact_doc_phone_digits(d)]
        words = []
    else:
        words = [fold(w) for w in text.split()]
        hits = [d for d in docs if all(w in codec.contact_doc_search_text(d) for w in words)]

    def order(d: dict[str, object]) -> tuple[bool, tuple[str, str, str]]:
        key = codec.contact_doc_sort_key(d)
        if words:  # a last name starting with a searched word first
            return not any(key[0].startswith(w) for w in words), key
        return f"{digits} " not in codec.contact_doc_phone_digits(d), key  # ending in them

    hits.sort(key=order)
    return [str(d["id"]) for d in hits[:LIMIT]], min(len(hits), CAP), len(hits) > CAP


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_directory_gives_what_the_search_promises(
    service: ContactService, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    contacts = [service.create_contact(d) for d in directory(rng, 60)]
    monkeypatch.setattr(search, "COUNT_CAP", CAP)
    for query in queries(rng, contacts):
        result = service.search(query, limit=LIMIT)
        if result.kind == SearchKind.PHONE:  # a whole number: matched in E.164, not here
            continue
        got = ([c.id for c in result.contacts], result.total, result.capped)
        assert got == expected(contacts, query), query
