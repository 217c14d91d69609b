"""`contact-tui contact history ID` and `contact-tui interaction note ID TEXT|--file PATH`."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OK
from contact_tui.domain.clock import utcnow
from contact_tui.domain.model import AuditAction, AuditRecord
from contact_tui.store.repository import Repository
from tests.cli.runner import USER, Runner

AddContact = Callable[..., dict[str, Any]]
NewInteraction = Callable[..., dict[str, Any]]
NUMBER = "+13175550101"
OSC_52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"


def _call(new_interaction: NewInteraction, *extra: str) -> dict[str, Any]:
    return new_interaction("--channel", "voice", "--from", NUMBER, *extra)


def test_history_lists_interactions_newest_first_with_their_notes(
    run: Runner, add_contact: AddContact, new_interaction: NewInteraction
) -> None:
    contact = add_contact("--first", "Sam", "--last", "Vries", "--work-phone", NUMBER)
    first = _call(new_interaction, "--subject", "Billing question")
    second = _call(new_interaction, "--transcript", "Hello, it is about my order")
    noted = run("interaction", "note", first["id"], "Refund promised.\nCall back Friday.")
    assert noted.code == EXIT_OK, noted.err
    assert noted.out.strip() == f"Saved the wrap-up note of interaction {first['id']}."
    human = run("contact", "history", contact["id"])
    assert human.code == EXIT_OK, human.err
    lines = human.out.splitlines()
    assert lines[0] == f"2 interactions with Sam Vries ({contact['id']}), newest first."
    assert lines[1].split() == [
        "WHEN", "CHANNEL", "FROM", "AGENT", "STATE", "ID", "ABOUT", "WRAP-UP"
    ]  # fmt: skip
    about = next(line for line in lines if second["id"] in line)
    assert about.endswith("Hello, it is about my order")  # no subject: the first line
    row = next(line for line in lines if first["id"] in line)
    assert "Billing question" in row and row.endswith("Refund promised. (+1 more line)")
    assert "Voice    +1 317-555-0101  " in row and USER in row and "alerting" in row
    docs = run("--json", "contact", "history", contact["id"]).json()
    assert {d["id"] for d in docs} == {first["id"], second["id"]}
    assert {d["kind"] for d in docs} == {"interaction"}
    assert {d["from"]["address"] for d in docs} == {NUMBER}
    assert docs[0]["startedAt"] >= docs[1]["startedAt"]  # newest first
    assert next(d for d in docs if d["id"] == first["id"])["wrapUpNote"] == (
        "Refund promised.\nCall back Friday."
    )
    shown = run("interaction", "show", first["id"]).out
    assert "Wrap-up  Refund promised.\n         Call back Friday." in shown


def test_history_shows_the_merges_into_the_contact_and_where_each_call_came_from(
    run: Runner, add_contact: AddContact, new_interaction: NewInteraction
) -> None:
    """The tryout: the profile showed a merge among the calls, the command line left it out,
    and neither said which number a call came from."""
    contact = add_contact("--first", "Sam", "--last", "Vries", "--work-phone", NUMBER)
    own = _call(new_interaction)
    stranger = new_interaction("--channel", "voice", "--from", "+1 317 555 0177")
    merged = run("--json", "contact", "merge", contact["id"], stranger["contactId"])
    assert merged.code == EXIT_OK, merged.err
    merge_id = merged.json()["merge"]["id"]

    human = run("contact", "history", contact["id"])
    assert human.code == EXIT_OK, human.err
    lines = human.out.splitlines()
    assert lines[0] == (
        f"2 interactions and 1 merge with Sam Vries ({contact['id']}), newest first."
    )
    merge_row = next(line for line in lines if merge_id in line)
    assert merge_row.split()[3:7] == ["Merge", "+1", "317-555-0177", USER]
    assert merge_row.endswith("Merged in: Ephemeral, 1 interaction")
    assert lines.index(merge_row) == 2  # newest: it came after both calls
    came_from = {line.split()[5] for line in lines if own["id"] in line or stranger["id"] in line}
    assert came_from == {"317-555-0101", "317-555-0177"}

    docs = run("--json", "contact", "history", contact["id"]).json()
    assert [d["kind"] for d in docs] == ["merge", "interaction", "interaction"]
    assert docs[0] == {
        "kind": "merge",
        "id": merge_id,
        "at": docs[0]["at"],
        "agent": USER,
        "mergedIn": {
            "id": stranger["contactId"], "displayName": "+1 317-555-0177", "type": "Ephemeral"
        },
        "interactions": 1,
    }  # fmt: skip
    assert {d["id"]: d["from"]["address"] for d in docs[1:]} == {
        own["id"]: NUMBER, stranger["id"]: "+1 317 555 0177"  # as the routing side sent it
    }  # fmt: skip


def test_history_of_a_contact_with_no_interactions_and_of_no_contact(
    run: Runner, add_contact: AddContact
) -> None:
    contact = add_contact("--first", "Ana", "--last", "One")
    empty = run("contact", "history", contact["id"])
    assert (empty.code, empty.out) == (EXIT_OK, f"0 interactions with Ana One ({contact['id']}).\n")
    missing = run("contact", "history", "no-such-id")
    assert missing.code == EXIT_NOT_FOUND
    assert missing.err.strip() == "contact-tui: No contact has the id no-such-id."


def test_a_note_from_a_file_or_standard_input_and_clearing_it(
    run: Runner,
    new_interaction: NewInteraction,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = _call(new_interaction)
    path = tmp_path / "note.txt"
    long_note = "\n".join(f"Line {n}: what was agreed" for n in range(300))
    path.write_text(long_note + "\n", encoding="utf-8")
    result = run("--json", "interaction", "note", call["id"], "--file", str(path))
    assert result.code == EXIT_OK, result.err
    assert result.json()["wrapUpNote"] == long_note
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"From stdin\n")))
    piped = run("--json", "interaction", "note", call["id"], "--file", "-")
    assert piped.json()["wrapUpNote"] == "From stdin"
    cleared = run("interaction", "note", call["id"], "")
    assert cleared.out.strip() == f"Interaction {call['id']} has no wrap-up note now."
    assert "wrapUpNote" not in run("--json", "interaction", "show", call["id"]).json()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "one of the arguments TEXT --file is required"),
        (("text", "--file", "x.txt"), "not allowed with argument"),
    ],
    ids=["neither", "both"],
)
def test_the_note_is_given_once(
    run: Runner, new_interaction: NewInteraction, args: tuple[str, ...], says: str
) -> None:
    call = _call(new_interaction)
    result = run("interaction", "note", call["id"], *args)
    assert result.code == EXIT_INVALID and says in result.err


def test_a_note_on_no_interaction_is_not_found(run: Runner) -> None:
    result = run("interaction", "note", "no-such-id", "Hello")
    assert result.code == EXIT_NOT_FOUND
    assert "No interaction has the id no-such-id." in result.err


@pytest.mark.parametrize(
    "text",
    [f"Paid {OSC_52}", "Paid \u202eevil", "x" * 10_001],
    ids=["osc-52", "bidi-override", "too-long"],
)
def test_a_hostile_or_too_long_note_is_refused_and_nothing_reaches_the_terminal(
    run: Runner, new_interaction: NewInteraction, text: str
) -> None:
    call = _call(new_interaction)
    result = run("interaction", "note", call["id"], text)
    assert result.code == EXIT_INVALID
    assert result.err.startswith("contact-tui: The wrap-up note ")
    assert "\x1b" not in result.err and "\u202e" not in result.err and "\x07" not in result.err
    assert "wrapUpNote" not in run("--json", "interaction", "show", call["id"]).json()


def test_a_note_written_into_the_store_by_hand_is_printed_escaped(
    run: Runner,
    add_contact: AddContact,
    new_interaction: NewInteraction,
    tmp_path: Path,
) -> None:
    """A store edited by hand (or by an older version) can hold anything: the history and
    the interaction's lines print it with every control and bidi character escaped."""
    contact = add_contact("--first", "Sam", "--last", "Vries", "--work-phone", NUMBER)
    call = _call(new_interaction)
    repo = Repository.open(tmp_path / "store.json")
    try:
        stored = repo.interaction(call["id"])
        assert stored is not None
        record = AuditRecord("hand", utcnow(), "hand", AuditAction.WRAP_UP, None)
        with repo.write("hand") as uow:
            uow.save_wrap_up(replace(stored, wrap_up_note=f"Ok {OSC_52} \u202eevil"), record)
    finally:
        repo.close()
    for argv in (("contact", "history", contact["id"]), ("interaction", "show", call["id"])):
        result = run(*argv)
        assert result.code == EXIT_OK, result.err
        assert "\x1b" not in result.out and "\x07" not in result.out
        assert "\u202e" not in result.out
        assert "Ok " in result.out
