"""The tryout: ``contact show dae857bf`` (the 8 characters the screen shows) said no contact has
that id. Every command that takes a contact or interaction id now takes a unique start of it,
of at least 8 characters; a start several ids share is exit 2, naming how many."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from contact_tui.cli.exits import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OK
from contact_tui.domain.model import Contact, ContactType
from contact_tui.service import ContactService
from contact_tui.store.repository import Repository
from tests.cli.runner import Runner
from tests.factories import make_agent, make_config
from tests.service.test_import import store_contacts

Make = Callable[..., dict[str, Any]]
NUMBER = "+1 317 555 0101"


def test_the_ids_the_screen_shows_work_in_every_command(
    run: Runner, add_contact: Make, new_interaction: Make
) -> None:
    sam = add_contact("--first", "Sam", "--last", "Lee", "--work-phone", NUMBER)
    call = new_interaction("--channel", "voice", "--from", "+1 317 555 0177")
    short, call_short = sam["id"][:8], call["id"][:8]

    shown = run("--json", "contact", "show", short)
    assert shown.code == EXIT_OK, shown.err
    assert shown.json()["id"] == sam["id"]
    assert run("--json", "contact", "show", sam["id"]).json() == shown.json()  # whole id too
    assert run("--json", "interaction", "show", call_short).json()["id"] == call["id"]
    assert run("contact", "note", "add", short, "Prefers email").code == EXIT_OK
    assert run("interaction", "note", call_short, "Asked about billing").code == EXIT_OK
    merged = run("--json", "contact", "merge", short, call["contactId"][:8])
    assert merged.code == EXIT_OK, merged.err
    history = run("--json", "contact", "history", short).json()
    assert call["id"] in {d["id"] for d in history}  # relinked to Sam by the merge
    assert run("contact", "unlink", call_short).code == EXIT_OK
    linked = run("--json", "contact", "link", call_short, short)
    assert linked.code == EXIT_OK, linked.err
    assert linked.json()["contactId"] == sam["id"]
    listed = run("--json", "contact", "note", "list", short).json()
    assert [n["noteText"] for n in listed] == ["Prefers email"]
    other = new_interaction("--channel", "voice", "--from", "+1 317 555 0178")
    added = run(
        "--json",
        "contact",
        "add",
        "--first",
        "Kim",
        "--last",
        "Park",
        "--interaction",
        other["id"][:8],
    )
    assert added.code == EXIT_OK, added.err
    assert (
        run("--json", "interaction", "show", other["id"]).json()["contactId"] == added.json()["id"]
    )


def test_a_start_several_ids_share_is_refused_naming_how_many(run: Runner, tmp_path: Path) -> None:
    repo = Repository.open(tmp_path / "store.json")
    try:
        seeder = ContactService(repo, make_config(tmp_path / "store.json"), make_agent("seed"))
        store_contacts(
            seeder,
            *(
                Contact(id=f"dae857bf-{n}", type=ContactType.CURATED, first_name=f"Lee {n}")
                for n in range(3)
            ),
        )
    finally:
        repo.close()
    result = run("contact", "show", "dae857bf")
    assert result.code == EXIT_INVALID
    assert result.err.strip() == (
        "contact-tui: The id dae857bf is the start of 3 contact ids; give more of the id (the "
        "whole id always works)."
    )
    assert run("--json", "contact", "show", "dae857bf-1").json()["firstName"] == "Lee 1"
    # Shorter than the screen's 8 characters, or the start of no id: as before, not found.
    for given in ("dae857b", "ffffffff"):
        missing = run("contact", "show", given)
        assert missing.code == EXIT_NOT_FOUND
        assert missing.err.strip() == f"contact-tui: No contact has the id {given}."
