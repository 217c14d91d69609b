"""`contact-tui contact search`: a count past the stores' cap is said as "more than", never as
an exact number the store did not count (issues 12 and 13); a partial number says how it was
searched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_OK
from contact_tui.domain import search
from tests.cli.runner import Runner

AddContact = Callable[..., dict[str, Any]]


def test_a_capped_count_says_more_than(
    run: Runner, add_contact: AddContact, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(4):
        add_contact("--first", "Sam", "--last", f"Lee{n}")
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    result = run("contact", "search", "lee", "--limit", "1")
    assert result.code == EXIT_OK, result.err
    summary = result.out.splitlines()[0]
    assert summary.startswith("More than 2 contacts match 'lee' (searched by name)"), summary
    assert "showing the first 1 (use --limit for more)" in summary
    assert "Sam Lee0" in result.out and "Lee1" not in result.out


def test_an_exact_count_under_the_cap_is_said_as_it_is(
    run: Runner, add_contact: AddContact
) -> None:
    add_contact("--first", "Sam", "--last", "Lee", "--cell-phone", "+1 317 555 0123")
    result = run("contact", "search", "0123")
    assert result.code == EXIT_OK, result.err
    assert result.out.splitlines()[0].startswith(
        "1 contact matches '0123' (searched by digits in a phone number, ending in them first)"
    ), result.out
