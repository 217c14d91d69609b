"""`contact-tui contact note list|add|edit|delete` (issue 13): each with --json and the
README's exit codes, the text from the argument, a file or standard input."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import (
    EXIT_CONFLICT,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PERMISSION,
)
from contact_tui.service import ContactService
from contact_tui.store.repository import Repository
from tests.cli.runner import USER, Runner, write_config
from tests.factories import FixedClock, make_agent, make_config

AddContact = Callable[..., dict[str, Any]]


@pytest.fixture
def contact_id(add_contact: AddContact) -> str:
    doc = add_contact("--first", "Sam", "--last", "Lee")
    return str(doc["id"])


def note_by(store: Path, user: str, contact_id: str, text: str) -> str:
    """A note by another agent, written through the service as that agent's app would."""
    repo = Repository.open(store)
    try:
        service = ContactService(repo, make_config(store), make_agent(user), FixedClock())
        return service.add_note(contact_id, text).id
    finally:
        repo.close()


def test_add_then_list_newest_first_with_author_and_lines(run: Runner, contact_id: str) -> None:
    added = run("--json", "contact", "note", "add", contact_id, "Called.\nWill call back.")
    assert added.code == EXIT_OK, added.err
    first = added.json()
    assert first["createdBy"] == {"id": USER} and first["entityId"] == contact_id
    assert first["noteText"] == "Called.\nWill call back." and first["version"] == 1
    second = run("--json", "contact", "note", "add", contact_id, "Paid.").json()
    listed = run("--json", "contact", "note", "list", contact_id)
    assert listed.code == EXIT_OK
    assert {n["id"] for n in listed.json()} == {first["id"], second["id"]}
    text = run("contact", "note", "list", contact_id).out
    assert f"Note {first['id']} by {USER}" in text
    assert "  Called.\n  Will call back.\n" in text


def test_a_contact_without_notes_says_so(run: Runner, contact_id: str) -> None:
    result = run("contact", "note", "list", contact_id)
    assert (result.code, result.out) == (EXIT_OK, "No notes.\n")


def test_the_text_comes_from_a_file_or_standard_input(
    run: Runner, contact_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_file = tmp_path / "note.txt"
    note_file.write_text("From a file\nsecond line\n", encoding="utf-8")
    from_file = run("--json", "contact", "note", "add", contact_id, "--file", str(note_file))
    assert from_file.code == EXIT_OK, from_file.err
    assert from_file.json()["noteText"] == "From a file\nsecond line"
    raw = b"From stdin: the card ending 1234"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    from_stdin = run("--json", "contact", "note", "add", contact_id, "--file", "-")
    assert from_stdin.json()["noteText"] == "From stdin: the card ending 1234"
    both = run("contact", "note", "add", contact_id, "text", "--file", str(note_file))
    neither = run("contact", "note", "add", contact_id)
    for result in (both, neither):
        assert result.code == EXIT_INVALID
        assert "Give the note's text, or --file PATH" in result.err


def test_edit_and_delete_your_own_note(run: Runner, contact_id: str) -> None:
    note = run("--json", "contact", "note", "add", contact_id, "v1").json()
    edited = run("--json", "contact", "note", "edit", note["id"], "v2")
    assert edited.code == EXIT_OK, edited.err
    assert edited.json()["noteText"] == "v2" and edited.json()["version"] == 2
    stale = run("contact", "note", "edit", note["id"], "v3", "--expect-version", "1")
    assert stale.code == EXIT_CONFLICT
    assert f"This note was changed by {USER}" in stale.err
    assert "contact-tui contact note list" in stale.err
    deleted = run("--json", "contact", "note", "delete", note["id"])
    assert deleted.code == EXIT_OK and deleted.json() == {"id": note["id"], "deleted": True}
    assert run("contact", "note", "delete", note["id"]).code == EXIT_NOT_FOUND


def test_bad_text_and_unknown_ids(run: Runner, contact_id: str) -> None:
    for text in ("", "   ", "x" * 32_001, "clear \x1b[2J", "rtl \u202e", "bad \udcff byte"):
        result = run("contact", "note", "add", contact_id, text)
        assert result.code == EXIT_INVALID, text
        assert "\x1b" not in result.err and "\u202e" not in result.err
    assert run("contact", "note", "list", contact_id).out == "No notes.\n"
    assert run("contact", "note", "add", "no-such-id", "hi").code == EXIT_NOT_FOUND
    assert run("contact", "note", "list", "no-such-id").code == EXIT_NOT_FOUND
    assert run("contact", "note", "edit", "no-such-note", "hi").code == EXIT_NOT_FOUND


def test_another_agents_note_takes_edit_all(run: Runner, contact_id: str, tmp_path: Path) -> None:
    store = tmp_path / "store.json"
    theirs = note_by(store, "bob", contact_id, "bob's words")
    as_agent = write_config(tmp_path / "agent", role="agent", store=str(store))
    for command in (("edit", theirs, "mine now"), ("delete", theirs)):
        refused = run("contact", "note", *command, config_path=as_agent)
        assert refused.code == EXIT_PERMISSION
        assert "written by bob, not by you" in refused.err
        assert "contactTui:note:editAll" in refused.err
    # The supervisor (the default config) may; the author stays bob.
    edited = run("--json", "contact", "note", "edit", theirs, "fixed")
    assert edited.code == EXIT_OK, edited.err
    assert edited.json()["createdBy"] == {"id": "bob"} and edited.json()["modifiedBy"] == USER


def test_a_viewer_lists_but_may_not_add(run: Runner, contact_id: str, tmp_path: Path) -> None:
    as_viewer = write_config(tmp_path / "viewer", role="viewer", store=str(tmp_path / "store.json"))
    assert run("contact", "note", "list", contact_id, config_path=as_viewer).code == EXIT_OK
    refused = run("contact", "note", "add", contact_id, "hi", config_path=as_viewer)
    assert refused.code == EXIT_PERMISSION
    assert "externalContacts:contact:edit" in refused.err


def test_a_note_never_changes_the_contacts_version(run: Runner, contact_id: str) -> None:
    run("contact", "note", "add", contact_id, "hello")
    assert run("--json", "contact", "show", contact_id).json()["version"] == 1


# --- notes in contact show, export and import ----------------------------------------------


def test_contact_show_lists_the_notes_and_its_json_carries_them(
    run: Runner, contact_id: str
) -> None:
    first = run("--json", "contact", "note", "add", contact_id, "Called.\nWill call back.").json()

    shown = run("contact", "show", contact_id)
    as_json = run("--json", "contact", "show", contact_id).json()
    with_history = run("--json", "contact", "show", contact_id, "--history").json()

    assert shown.code == EXIT_OK
    assert "\nNotes (1)\n" in shown.out and "  Called.\n  Will call back.\n" in shown.out
    assert [n["id"] for n in as_json["notes"]] == [first["id"]]
    assert as_json["notes"][0]["noteText"] == "Called.\nWill call back."
    assert with_history["contact"]["notes"] == as_json["notes"]
    assert "Notes" not in run("contact", "show", another_contact(run)).out  # none: no heading


def another_contact(run: Runner) -> str:
    """A second contact, without notes; its id."""
    return str(run("--json", "contact", "add", "--first", "Jo", "--last", "Ng").json()["id"])


def test_an_export_carries_the_notes_and_importing_it_again_adds_none(
    run: Runner, contact_id: str, tmp_path: Path
) -> None:
    run("contact", "note", "add", contact_id, "Prefers email.")
    run("contact", "note", "add", contact_id, "---\nA line like the separator.")
    out = tmp_path / "all.csv"
    assert run("export", "--format", "csv", "-o", str(out)).code == EXIT_OK
    written = out.read_text(encoding="utf-8")
    assert "Prefers email.\n\n---\n\n\\---\nA line like the separator." in written

    again = run("--json", "import", str(out))

    assert again.code == EXIT_OK, again.err
    assert again.json()["notesAdded"] == [] and again.json()["unchanged"] == 1
    listed = run("--json", "contact", "note", "list", contact_id).json()
    assert len(listed) == 2


def test_an_import_says_how_many_notes_it_added(run: Runner, tmp_path: Path) -> None:
    card = tmp_path / "sam.vcf"
    card.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Sam;;;\r\nTEL;TYPE=cell:+1 317 555 0123\r\n"
        b"NOTE:one\r\nNOTE:two\r\nEND:VCARD\r\n"
    )

    done = run("import", str(card))
    as_json = run("--json", "import", str(card), "--dry-run").json()

    assert done.code == EXIT_OK, done.err
    assert "1 created, 0 updated, 0 unchanged, 2 notes added." in done.out + done.err
    assert as_json["unchanged"] == 1 and as_json["notesAdded"] == []  # it has both now
