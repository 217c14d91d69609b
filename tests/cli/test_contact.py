"""`contact-tui contact ...`: add, show, edit, promote, search, list, link, unlink."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_CONFLICT, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OK
from tests.cli.runner import USER, Runner

AddContact = Callable[..., dict[str, Any]]
NewInteraction = Callable[..., dict[str, Any]]


def test_add_prints_the_contact(run: Runner) -> None:
    result = run(
        "contact", "add", "--first", "Sam", "--last", "de Vries", "--title", "Buyer",
        "--work-phone", "+1 317 555 0123", "--work-sms", "--personal-email", "Sam@Example.COM",
        "--city", "Leeds", "--country", "GB", "--survey-opt-out",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert result.err == ""
    assert "Created contact" in result.out
    assert "Sam de Vries" in result.out
    assert "+1 317-555-0123  (SMS)" in result.out
    assert "Sam@example.com" in result.out
    assert "opted out" in result.out
    assert "Leeds" in result.out


def test_add_json_has_the_genesys_keys(run: Runner) -> None:
    result = run(
        "--json", "contact", "add", "--first", "Ana", "--last", "Lima",
        "--work-phone", "+44 20 7946 0958", "--cell-phone", "+44 7700 900123", "--cell-sms",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    doc = result.json()
    assert doc["firstName"] == "Ana"
    assert doc["lastName"] == "Lima"
    assert doc["workPhone"]["e164"] == "+442079460958"
    assert doc["cellPhone"]["acceptsSMS"] is True
    assert doc["type"] == "Curated"
    assert doc["version"] == 1
    assert doc["createdBy"] == USER


def test_json_is_accepted_after_the_subcommand_too(run: Runner) -> None:
    result = run("contact", "add", "--first", "Ana", "--last", "Lima", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json()["firstName"] == "Ana"


def test_invalid_fields_are_named_by_their_flags(run: Runner) -> None:
    result = run(
        "contact", "add", "--first", "Sam", "--work-phone", "x123", "--other-email", "nope"
    )
    assert result.code == EXIT_INVALID
    assert result.out == ""
    lines = result.err.splitlines()
    assert "contact-tui: --last: Last name is required." in lines
    assert any(line.startswith("contact-tui: --work-phone: An extension alone") for line in lines)
    assert any(line.startswith("contact-tui: --other-email: Not an email") for line in lines)
    assert "Traceback" not in result.err
    assert run("--json", "contact", "list").json() == []


def test_sms_flag_without_a_number_is_refused(run: Runner) -> None:
    result = run("contact", "add", "--first", "Sam", "--last", "Vries", "--home-sms")
    assert result.code == EXIT_INVALID
    assert "--home-sms: there is no home phone number" in result.err


def test_unsearchable_number_warns_but_saves(run: Runner) -> None:
    result = run(
        "--json", "contact", "add", "--first", "Sam", "--last", "Vries", "--cell-phone", "12345"
    )
    assert result.code == EXIT_OK
    assert result.err.startswith("warning: --cell-phone: Kept as typed, but not searchable")
    doc = result.json()
    assert doc["cellPhone"]["display"] == "12345"
    assert "e164" not in doc["cellPhone"]


def test_show_and_history(run: Runner, add_contact: AddContact) -> None:
    contact = add_contact("--first", "Sam", "--last", "Vries")
    assert run("contact", "edit", contact["id"], "--title", "CEO").code == EXIT_OK
    shown = run("contact", "show", contact["id"])
    assert shown.code == EXIT_OK
    assert "CEO" in shown.out
    assert "History" not in shown.out
    history = run("contact", "show", contact["id"], "--history")
    assert "History" in history.out
    assert "create" in history.out
    assert "edit" in history.out
    doc = run("--json", "contact", "show", contact["id"], "--history").json()
    assert doc["contact"]["title"] == "CEO"
    assert [r["action"] for r in doc["history"]] == ["create", "edit"]
    assert doc["history"][1]["fields"] == ["title"]


def test_edit_changes_only_the_given_flags_and_empty_clears(
    run: Runner, add_contact: AddContact
) -> None:
    contact = add_contact(
        "--first", "Sam", "--last", "Vries", "--work-phone", "+1 317 555 0123", "--title", "CEO"
    )
    result = run(
        "--json", "contact", "edit", contact["id"], "--title", "", "--work-sms",
        "--personal-email", "sam@example.com",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    doc = result.json()
    assert "title" not in doc
    assert doc["firstName"] == "Sam"
    assert doc["workPhone"]["e164"] == "+13175550123"
    assert doc["workPhone"]["acceptsSMS"] is True
    assert doc["personalEmail"] == "sam@example.com"
    assert doc["version"] == 2
    cleared = run("--json", "contact", "edit", contact["id"], "--work-phone", "").json()
    assert "workPhone" not in cleared


def test_edit_without_flags_is_a_usage_error(run: Runner, add_contact: AddContact) -> None:
    contact = add_contact("--first", "Sam", "--last", "Vries")
    result = run("contact", "edit", contact["id"])
    assert result.code == EXIT_INVALID
    assert "Nothing to change" in result.err


def test_edit_with_a_stale_version_is_a_conflict(run: Runner, add_contact: AddContact) -> None:
    contact = add_contact("--first", "Sam", "--last", "Vries")
    first = run("contact", "edit", contact["id"], "--title", "A", "--expect-version", "1")
    assert first.code == EXIT_OK, first.err
    stale = run("contact", "edit", contact["id"], "--title", "B", "--expect-version", "1")
    assert stale.code == EXIT_CONFLICT
    assert stale.out == ""
    assert f"changed by {USER}" in stale.err
    assert "version 2" in stale.err
    assert stale.err.count("\n") == 1
    assert run("--json", "contact", "show", contact["id"]).json()["title"] == "A"


def test_edit_unknown_contact_is_not_found(run: Runner) -> None:
    result = run("contact", "edit", "no-such-id", "--title", "A")
    assert result.code == EXIT_NOT_FOUND
    assert result.err == "contact-tui: No contact has the id no-such-id.\n"


def test_promote_an_ephemeral_contact(run: Runner, new_interaction: NewInteraction) -> None:
    interaction = new_interaction("--channel", "voice", "--from", "+1 317 555 0199")
    contact_id = interaction["contactId"]
    ephemeral = run("--json", "contact", "show", contact_id).json()
    assert ephemeral["type"] == "Ephemeral"
    missing = run("contact", "promote", contact_id)
    assert missing.code == EXIT_INVALID
    assert "--first: First name is required." in missing.err
    result = run("--json", "contact", "promote", contact_id, "--first", "Jo", "--last", "Park")
    assert result.code == EXIT_OK, result.err
    doc = result.json()
    assert doc["type"] == "Curated"
    assert doc["id"] == contact_id
    assert doc["otherPhone"]["e164"] == "+13175550199"
    again = run("contact", "promote", contact_id)
    assert again.code == EXIT_INVALID
    assert "already in Contacts" in again.err


def test_search_and_list(run: Runner, add_contact: AddContact) -> None:
    add_contact("--first", "Sam", "--last", "Vries", "--work-phone", "+44 20 7946 0958")
    add_contact("--first", "Ana", "--last", "Lima", "--work-email", "ana@example.com")
    add_contact("--first", "Bo", "--last", "Berg")
    by_phone = run("--json", "contact", "search", "020 7946 0958")
    assert by_phone.code == EXIT_OK
    assert by_phone.json() == []  # default country is +1: a national UK number is not this one
    by_intl = run("--json", "contact", "search", "+44 (0)20 7946 0958").json()
    assert [c["firstName"] for c in by_intl] == ["Sam"]
    by_email = run("--json", "contact", "search", "ANA@example.com").json()
    assert [c["firstName"] for c in by_email] == ["Ana"]
    human = run("contact", "search", "lima")
    assert "1 contact matches 'lima'" in human.out
    assert "Ana Lima" in human.out
    listed = run("--json", "contact", "list").json()
    assert [c["lastName"] for c in listed] == ["Berg", "Lima", "Vries"]
    limited = run("contact", "list", "--limit", "2")
    assert "showing the first 2" in limited.out
    assert run("contact", "list", "--limit", "0").code == EXIT_INVALID


def test_link_and_unlink(
    run: Runner, add_contact: AddContact, new_interaction: NewInteraction
) -> None:
    contact = add_contact("--first", "Sam", "--last", "Vries")
    interaction = new_interaction("--channel", "email", "--from", "someone@example.com")
    linked = run("--json", "contact", "link", interaction["id"], contact["id"])
    assert linked.code == EXIT_OK, linked.err
    assert linked.json()["contactId"] == contact["id"]
    human = run("contact", "link", interaction["id"], contact["id"])
    assert "Sam Vries" in human.out
    unlinked = run("--json", "contact", "unlink", interaction["id"])
    assert unlinked.code == EXIT_OK
    assert "contactId" not in unlinked.json()
    twice = run("contact", "unlink", interaction["id"])
    assert twice.code == EXIT_INVALID
    assert "not linked" in twice.err
    assert run("contact", "link", interaction["id"], "nobody").code == EXIT_NOT_FOUND
    assert run("contact", "link", "nothing", contact["id"]).code == EXIT_NOT_FOUND


def test_add_with_interaction_links_it(run: Runner, new_interaction: NewInteraction) -> None:
    interaction = new_interaction(
        "--channel", "message", "--platform", "whatsapp", "--from", "+44 7700 900123"
    )
    result = run(
        "--json", "contact", "add", "--first", "Wu", "--last", "Li",
        "--interaction", interaction["id"],
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    doc = result.json()
    assert doc["whatsAppId"]["phoneNumber"]["e164"] == "+447700900123"
    shown = run("--json", "interaction", "show", interaction["id"]).json()
    assert shown["contactId"] == doc["id"]


def test_default_country_code_applies_to_national_numbers(run: Runner) -> None:
    assert run("admin", "set", "default-country-code", "44").code == EXIT_OK
    result = run(
        "--json", "contact", "add", "--first", "Sam", "--last", "Vries",
        "--work-phone", "020 7946 0958",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert result.json()["workPhone"]["e164"] == "+442079460958"
    found = run("--json", "contact", "search", "020 7946 0958").json()
    assert [c["lastName"] for c in found] == ["Vries"]


def test_control_characters_in_a_name_are_not_printed_raw(run: Runner, config: Path) -> None:
    # Names typed through the CLI cannot hold control characters, but a store written by
    # another tool (here: the demo seed) can; the output must not let a terminal obey them.
    seed = {
        "contacts": {
            "c1": {
                "id": "c1",
                "type": "Curated",
                "firstName": "Evil\x1b[2J\x1b]0;pwned\x07",
                "lastName": "Name\u202eevil\x9b",
                "version": 1,
            }
        }
    }
    (config.parent / "seed.json").write_text(json.dumps(seed), encoding="utf-8")
    for args in (("contact", "show", "c1"), ("contact", "list"), ("contact", "search", "evil")):
        result = run(*args)
        assert result.code == EXIT_OK, result.err
        for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
            assert raw not in result.out
        assert "Evil\\x1b[2J" in result.out
    as_json = run("--json", "contact", "show", "c1")
    for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert raw not in as_json.out
    assert as_json.json()["lastName"] == "Name\u202eevil\x9b"


# --- fields from a file or standard input (--values) --------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]) -> None:
    """Give the next run ``data`` as JSON on standard input."""
    raw = json.dumps(data).encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))


def _without_ids_and_dates(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("id", "createDate", "modifyDate")}


def test_add_from_a_values_file_makes_the_same_contact_as_the_flags(
    run: Runner, add_contact: AddContact, tmp_path: Path
) -> None:
    flags = add_contact(
        "--first", "Sam", "--last", "de Vries", "--title", "Buyer", "--cell-phone",
        "+1 317 555 0123", "--cell-sms", "--personal-email", "sam@example.com", "--city", "Leeds",
        "--country", "GB", "--survey-opt-out",
    )  # fmt: skip
    values = tmp_path / "sam.json"
    values.write_text(
        json.dumps(
            {
                "first": "Sam",
                "last": "de Vries",
                "title": "Buyer",
                "cell-phone": "+1 317 555 0123",
                "cell-sms": True,
                "personal-email": "sam@example.com",
                "city": "Leeds",
                "country": "GB",
                "survey-opt-out": True,
                # The same customer as the flags made: saved beside them on purpose.
                "allow-duplicate": True,
            }
        ),
        encoding="utf-8",
    )

    result = run("--json", "contact", "add", "--values", str(values))

    assert result.code == EXIT_OK, result.err
    assert _without_ids_and_dates(result.json()) == _without_ids_and_dates(flags)


def test_edit_takes_fields_and_expected_version_from_standard_input(
    run: Runner, add_contact: AddContact, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact = add_contact("--first", "Sam", "--last", "Vries", "--title", "CEO")
    _stdin(monkeypatch, {"title": "", "work-email": "sam@example.com", "expect-version": 1})

    result = run("--json", "contact", "edit", contact["id"], "--values", "-")

    assert result.code == EXIT_OK, result.err
    doc = result.json()
    assert "title" not in doc  # "" clears, as the flag does
    assert doc["workEmail"] == "sam@example.com"
    assert doc["version"] == 2
    _stdin(monkeypatch, {"title": "B", "expect-version": 1})
    stale = run("contact", "edit", contact["id"], "--values", "-")
    assert stale.code == EXIT_CONFLICT, stale.err


def test_edit_with_an_empty_values_object_has_nothing_to_change(
    run: Runner, add_contact: AddContact, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact = add_contact("--first", "Sam", "--last", "Vries")
    _stdin(monkeypatch, {})

    result = run("contact", "edit", contact["id"], "--values", "-")

    assert result.code == EXIT_INVALID
    assert "Nothing to change" in result.err


def test_promote_takes_the_names_from_standard_input(
    run: Runner, new_interaction: NewInteraction, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact_id = new_interaction("--channel", "voice", "--from", "+1 317 555 0199")["contactId"]
    _stdin(monkeypatch, {"first": "Jo", "last": "Park", "other-sms": True})

    result = run("--json", "contact", "promote", contact_id, "--values", "-")

    assert result.code == EXIT_OK, result.err
    doc = result.json()
    assert (doc["type"], doc["firstName"], doc["lastName"]) == ("Curated", "Jo", "Park")
    assert doc["otherPhone"]["acceptsSMS"] is True


def test_a_field_rule_broken_in_the_values_names_the_option(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, {"first": "Sam", "work-phone": "x123"})

    result = run("contact", "add", "--values", "-")

    assert result.code == EXIT_INVALID
    assert "contact-tui: --last: Last name is required." in result.err.splitlines()
    assert "--work-phone: An extension alone" in result.err
    assert run("--json", "contact", "list").json() == []
