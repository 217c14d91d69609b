"""Issue 14, item 4, the other way round: a file imported again with another default country
(the --default-country forgotten) reads its national numbers in the wrong country and keeps
them as typed; a row matched to a stored contact (here by its mobile in +49 form) must not
turn the contact's searchable numbers into that unsearchable text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contact_tui.cli.exits import EXIT_OK
from tests.cli.runner import Runner

GOOGLE = (
    "First Name,Last Name,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value\r\n"
    "Jonas,Weber,Mobile,+49 151 20000001,Home,030 3000001\r\n"
)


def stored(run: Runner) -> dict[str, Any]:
    result = run("--json", "export", "--format", "genesys")
    assert result.code == EXIT_OK, result.err
    [contact] = result.json()
    assert isinstance(contact, dict)
    return contact


def test_a_national_number_read_in_the_wrong_country_leaves_the_stored_number(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "google.csv"
    path.write_text(GOOGLE, encoding="utf-8")
    assert run("import", str(path), "--default-country", "DE").code == EXIT_OK
    before = stored(run)
    assert before["homePhone"]["e164"] == "+49303000001"

    again = run("import", str(path))  # the admin's default: the United States

    assert again.code == EXIT_OK, again.err
    assert "0 created, 0 updated, 1 unchanged" in again.out
    assert "not a valid number in the United States (+1)" in again.err
    assert (
        f"line 2: Home phone '030 3000001' is the home phone Jonas Weber (id {before['id']}) "
        "has, +49 30 3000001, written without its country code; that number is kept"
    ) in again.err
    assert stored(run) == before
