"""`contact-tui contact merge` and `contact unmerge` (issue 13): the preview, the merge, the
undo, and the exit codes of the README table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from contact_tui.cli.exits import (
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PERMISSION,
)
from tests.cli.runner import Runner, write_config

Make = Callable[..., dict[str, Any]]
NEW_NUMBER = "+1 317 555 0177"


def _customer_and_stranger(
    add_contact: Make, new_interaction: Make
) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = add_contact("--first", "Sam", "--last", "Lee", "--work-phone", "+1 317 555 0101")
    call = new_interaction("--channel", "voice", "--from", NEW_NUMBER)
    return customer, call


def test_dry_run_prints_the_preview_and_changes_nothing(
    run: Runner, add_contact: Make, new_interaction: Make
) -> None:
    customer, call = _customer_and_stranger(add_contact, new_interaction)
    result = run("contact", "merge", customer["id"], call["contactId"], "--dry-run")
    assert result.code == EXIT_OK, result.err
    assert f"into {customer['id']} (Sam Lee, Curated) would give:" in result.out
    assert "FIELD" in result.out and "RESULT" in result.out
    assert "Moves: phone +1 317-555-0177 from other phone to other phone." in result.out
    assert f"1 interaction would be relinked: {call['id']}." in result.out
    shown = run("--json", "contact", "show", call["contactId"])
    assert shown.json()["id"] == call["contactId"]  # still there

    assert f"0 notes of {call['contactId']} would move to {customer['id']}." in result.out
    doc = run("--json", "contact", "merge", customer["id"], call["contactId"], "--dry-run").json()
    assert doc["result"]["otherPhone"]["e164"] == "+13175550177"
    assert doc["relinked"] == [call["id"]] and doc["collisions"] == []
    assert doc["notes"] == []


def test_dry_run_counts_the_notes_that_move(
    run: Runner, add_contact: Make, new_interaction: Make
) -> None:
    customer, call = _customer_and_stranger(add_contact, new_interaction)
    notes = [
        run("--json", "contact", "note", "add", call["contactId"], text).json()["id"]
        for text in ("Called about the refund", "Rang back")
    ]
    run("contact", "note", "add", customer["id"], "The customer's own: it does not move")
    second = new_interaction("--channel", "voice", "--from", NEW_NUMBER)
    dry = run("contact", "merge", customer["id"], call["contactId"], "--dry-run")
    assert dry.code == EXIT_OK, dry.err
    relinked = ", ".join(sorted((call["id"], second["id"])))
    assert f"2 interactions would be relinked: {relinked}." in dry.out
    moved = ", ".join(sorted(notes))
    assert f"2 notes of {call['contactId']} would move to {customer['id']}: {moved}." in dry.out
    doc = run("--json", "contact", "merge", customer["id"], call["contactId"], "--dry-run").json()
    assert doc["notes"] == sorted(notes)
    assert sorted(doc["relinked"]) == sorted((call["id"], second["id"]))


def test_unmerge_sends_a_later_call_from_the_merged_in_number_back(
    run: Runner, add_contact: Make, new_interaction: Make
) -> None:
    customer, call = _customer_and_stranger(add_contact, new_interaction)
    merged = run("--json", "contact", "merge", customer["id"], call["contactId"]).json()
    later = new_interaction("--channel", "voice", "--from", NEW_NUMBER)
    assert later["contactId"] == customer["id"] and later["matchKey"] == "tel:+13175550177"
    undone = run("contact", "unmerge", merged["merge"]["id"])
    assert undone.code == EXIT_OK, undone.err
    assert (
        f"Calls since the merge from what {call['contactId']} holds again, relinked to it: "
        f"{later['id']}." in undone.out
    )
    shown = run("--json", "interaction", "show", later["id"]).json()
    assert shown["contactId"] == call["contactId"]
    history = run("--json", "contact", "show", customer["id"], "--history").json()["history"]
    assert history[-1]["unmerge"]["relinked"] == [later["id"]]


def test_merge_then_unmerge(run: Runner, add_contact: Make, new_interaction: Make) -> None:
    customer, call = _customer_and_stranger(add_contact, new_interaction)
    merged = run("contact", "merge", customer["id"], call["contactId"])
    assert merged.code == EXIT_OK, merged.err
    assert f"into {customer['id']}; 1 interaction relinked." in merged.out
    doc = run("--json", "contact", "merge", customer["id"], call["contactId"])
    assert doc.code == EXIT_INVALID and "one contact already" in doc.err

    shown = run("contact", "show", call["contactId"])
    assert shown.code == EXIT_OK
    assert f"was merged into {customer['id']}; showing that." in shown.err
    assert "+1 317-555-0177" in shown.out
    history = run("--json", "contact", "show", customer["id"], "--history").json()["history"]
    merge_id = history[-1]["id"]
    assert history[-1]["action"] == "merge"
    assert history[-1]["merge"]["otherBefore"]["id"] == call["contactId"]
    assert history[-1]["merge"]["relinked"][0]["id"] == call["id"]
    text = run("contact", "show", customer["id"], "--history").out
    assert f"merge id {merge_id}" in text

    undone = run("--json", "contact", "unmerge", merge_id)
    assert undone.code == EXIT_OK, undone.err
    assert undone.json()["restored"]["id"] == call["contactId"]
    assert undone.json()["unrestored"] == []
    linked = run("--json", "interaction", "show", call["id"]).json()
    assert linked["contactId"] == call["contactId"]

    again = run("contact", "unmerge", merge_id)
    assert again.code == EXIT_INVALID
    assert f"Merge {merge_id} was already undone by" in again.err
    assert run("contact", "unmerge", "no-such-merge").code == EXIT_NOT_FOUND


def test_unmerge_says_which_fields_it_kept(run: Runner, add_contact: Make) -> None:
    keep = add_contact("--first", "Sam", "--last", "Lee")
    other = add_contact("--first", "Sam", "--last", "Lee", "--title", "Buyer")
    merged = run("--json", "contact", "merge", keep["id"], other["id"]).json()
    assert run("contact", "edit", keep["id"], "--title", "Head buyer").code == EXIT_OK
    undone = run("contact", "unmerge", merged["merge"]["id"])
    assert undone.code == EXIT_OK, undone.err
    assert "edited since the merge (the edits are kept): Title." in undone.out


def test_a_collision_is_exit_2_until_prefer_chooses(run: Runner, add_contact: Make) -> None:
    full = add_contact(
        "--first", "Sam", "--last", "Lee", "--work-phone", "+1 317 555 0101",
        "--home-phone", "+1 317 555 0102", "--cell-phone", "+1 317 555 0103",
        "--other-phone", "+1 317 555 0104",
    )  # fmt: skip
    other = add_contact("--first", "Sam", "--last", "Lee", "--cell-phone", NEW_NUMBER)
    dry = run("contact", "merge", full["id"], other["id"], "--dry-run")
    assert dry.code == EXIT_INVALID
    assert "Collision:" in dry.out and "homePhone=other" in dry.err
    refused = run("contact", "merge", full["id"], other["id"])
    assert refused.code == EXIT_INVALID and "Nothing was merged." in refused.err
    bad = run("contact", "merge", full["id"], other["id"], "--prefer", "homePhone")
    assert bad.code == EXIT_INVALID and "give FIELD=keep or FIELD=other" in bad.err
    done = run("--json", "contact", "merge", full["id"], other["id"], "--prefer", "homePhone=other")
    assert done.code == EXIT_OK, done.err
    assert done.json()["contact"]["homePhone"]["e164"] == "+13175550177"


def test_a_missing_contact_is_not_found(run: Runner, add_contact: Make) -> None:
    keep = add_contact("--first", "Sam", "--last", "Lee")
    result = run("contact", "merge", keep["id"], "nope")
    assert result.code == EXIT_NOT_FOUND and "No contact has the id nope." in result.err


def test_an_agent_without_merge_is_refused(run: Runner, add_contact: Make, tmp_path: Path) -> None:
    keep = add_contact("--first", "Sam", "--last", "Lee")
    other = add_contact("--first", "Jo", "--last", "Lee")
    no_merge = write_config(
        tmp_path / "no-merge",
        role="editor",
        store=str(tmp_path / "store.json"),
        extra='[roles]\neditor = ["externalContacts:contact:view", '
        '"externalContacts:contact:edit"]\n',
    )
    for argv in (
        ["merge", keep["id"], other["id"]],
        ["merge", keep["id"], other["id"], "--dry-run"],
    ):
        result = run("contact", *argv, config_path=no_merge)
        assert result.code == EXIT_PERMISSION, result.err
        assert "may not merge contacts" in result.err
        assert "externalContacts:identity:merge" in result.err and result.out == ""
