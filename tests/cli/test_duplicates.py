"""`contact add/edit/promote` and likely duplicates (issue 13): another contact holding a
number or email refuses the save (exit 4, naming it) unless --allow-duplicate; a same-name
contact with the same postal code or email domain is a warning on stderr."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contact_tui.cli.exits import EXIT_CONFLICT, EXIT_INVALID, EXIT_OK
from tests.cli.runner import Runner

AddContact = Callable[..., dict[str, Any]]
SAM = ("--first", "Sam", "--last", "Lee", "--cell-phone", "+1 317 555 0123")


def _count(run: Runner) -> int:
    listed: list[Any] = run("--json", "contact", "list").json()
    return len(listed)


def test_add_with_another_contacts_number_is_refused_naming_them(
    run: Runner, add_contact: AddContact
) -> None:
    sam = add_contact(*SAM)
    result = run("contact", "add", "--first", "Jo", "--last", "Ng", "--work-phone", "317-555-0123")
    assert result.code == EXIT_CONFLICT
    assert f"not saved: Sam Lee (id {sam['id']}) has the number +13175550123." in result.err
    assert "--allow-duplicate" in result.err
    assert _count(run) == 1


def test_allow_duplicate_saves_and_says_so_on_stderr(run: Runner, add_contact: AddContact) -> None:
    sam = add_contact(*SAM)
    result = run(
        "--json", "contact", "add", "--first", "Jo", "--last", "Ng",
        "--personal-email", "jo@example.com", "--work-phone", "317-555-0123", "--allow-duplicate",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert result.json()["workPhone"]["e164"] == "+13175550123"  # stdout is the JSON only
    assert f"saved beside a likely duplicate (--allow-duplicate): Sam Lee (id {sam['id']})" in (
        result.err
    )
    assert _count(run) == 2


def test_an_email_matches_whatever_its_case(run: Runner, add_contact: AddContact) -> None:
    add_contact("--first", "Ana", "--last", "Lima", "--work-email", "ana@example.com")
    result = run(
        "contact", "add", "--first", "A", "--last", "L", "--other-email", "ANA@example.com"
    )
    assert result.code == EXIT_CONFLICT
    assert "has the email ANA@example.com" in result.err


def test_a_same_name_and_postal_code_is_a_warning_and_saves(
    run: Runner, add_contact: AddContact
) -> None:
    kim = add_contact("--first", "Kim", "--last", "Park", "--postal-code", "46204")
    result = run("contact", "add", "--first", "kim", "--last", "PARK", "--postal-code", "46204")
    assert result.code == EXIT_OK, result.err
    assert (
        f"warning: possible duplicate: Kim Park (id {kim['id']}) same name and postal code 46204"
        in result.err
    )
    assert _count(run) == 2


def test_edit_adding_another_contacts_number_is_refused_but_other_edits_are_not(
    run: Runner, add_contact: AddContact
) -> None:
    add_contact(*SAM)
    jo = add_contact("--first", "Jo", "--last", "Ng")
    refused = run("contact", "edit", jo["id"], "--home-phone", "+1 317 555 0123")
    assert refused.code == EXIT_CONFLICT and "Sam Lee" in refused.err
    saved = run("contact", "edit", jo["id"], "--home-phone", "+1 317 555 0123", "--allow-duplicate")
    assert saved.code == EXIT_OK, saved.err
    # The number is shared now on purpose: editing Jo's title is no new duplicate.
    title = run("contact", "edit", jo["id"], "--title", "CEO")
    assert title.code == EXIT_OK and "duplicate" not in title.err


def test_promoting_an_ephemeral_caller_whom_a_customer_has_the_number_of_is_refused(
    run: Runner, add_contact: AddContact, new_interaction: Callable[..., dict[str, Any]]
) -> None:
    call = new_interaction("--channel", "voice", "--from", "+1 317 555 0123")
    add_contact(*SAM)  # added from the directory after the call came in
    result = run("contact", "promote", call["contactId"], "--first", "Sam", "--last", "Lee")
    assert result.code == EXIT_CONFLICT and "has the number +13175550123" in result.err


def test_a_broken_rule_is_said_before_any_duplicate(run: Runner, add_contact: AddContact) -> None:
    add_contact(*SAM)
    result = run("contact", "add", "--first", "Jo", "--last", "", "--cell-phone", "+13175550123")
    assert result.code == EXIT_INVALID and "not saved:" not in result.err
