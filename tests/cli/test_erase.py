"""`contact-tui contact delete` (issue 13): an erasure from a script, without a prompt, and the
exit codes of the README table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from contact_tui.cli.exits import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OK, EXIT_PERMISSION
from tests.cli.runner import Runner, write_config

Make = Callable[..., dict[str, Any]]


def test_delete_erases_without_asking_and_keeps_who_and_when(
    run: Runner, add_contact: Make, new_interaction: Make, tmp_path: Path
) -> None:
    zelda = add_contact("--first", "Zelda", "--last", "Quixotic", "--cell-phone", "+1 317 555 0101")
    call = new_interaction("--channel", "voice", "--from", "+1 317 555 0101")
    assert call["contactId"] == zelda["id"]
    # An agent may not: exit 3, nothing changed.
    agent = write_config(tmp_path / "agent", role="agent", store=str(tmp_path / "store.json"))
    refused = run("contact", "delete", zelda["id"], config_path=agent)
    assert refused.code == EXIT_PERMISSION
    assert "externalContacts:contact:delete" in refused.err
    assert run("contact", "show", zelda["id"]).code == EXIT_OK

    erased = run("--json", "contact", "delete", zelda["id"])  # no stdin: no prompt either
    assert erased.code == EXIT_OK, erased.err
    doc = erased.json()
    assert (doc["action"], doc["contactId"], doc["fields"]) == ("erase", zelda["id"], [])
    assert set(doc) == {"id", "at", "agent", "action", "contactId", "fields"}
    assert run("contact", "show", zelda["id"]).code == EXIT_NOT_FOUND
    unlinked = run("--json", "interaction", "show", call["id"]).json()
    assert "contactId" not in unlinked
    text = run("contact", "delete", zelda["id"])
    assert text.code == EXIT_NOT_FOUND and zelda["id"] in text.err


def test_delete_of_a_merged_away_id_names_the_contact_to_erase(
    run: Runner, add_contact: Make, new_interaction: Make
) -> None:
    customer = add_contact("--first", "Sam", "--last", "Lee")
    call = new_interaction("--channel", "voice", "--from", "+1 317 555 0177")
    assert run("contact", "merge", customer["id"], call["contactId"]).code == EXIT_OK
    result = run("contact", "delete", call["contactId"])
    assert result.code == EXIT_INVALID
    assert f"erase {customer['id']}" in result.err
    plain = run("contact", "delete", customer["id"])
    assert plain.code == EXIT_OK and f"Erased contact {customer['id']}" in plain.out
