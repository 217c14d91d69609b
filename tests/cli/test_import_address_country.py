"""An import that updates a contact reads a number without + in the country of the contact's
address, as the form and `contact add` do (domain.draft.phone_countries: the number's own,
the address's, the default): the row need not carry the address. Before, Jonas Weber, stored
with an address in Germany, imported with Home Phone "0351 223344" got a number kept as typed
"not a valid number in the United States (+1)"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contact_tui.cli.exits import EXIT_OK
from tests.cli.runner import Runner

HEADER = "First Name,Last Name,E-mail Address,Home Phone\r\n"


def jonas(run: Runner, *address: str) -> dict[str, Any]:
    added = run(
        "--json", "contact", "add", "--first", "Jonas", "--last", "Weber",
        "--personal-email", "jonas@x.de", *address,
    )  # fmt: skip
    assert added.code == EXIT_OK, added.err
    contact: dict[str, Any] = added.json()
    return contact


def imported(run: Runner, tmp_path: Path, rows: str) -> tuple[dict[str, Any], Any]:
    path = tmp_path / "j.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    result = run("--json", "import", str(path))
    assert result.code == EXIT_OK, result.err
    [contact] = run("--json", "export", "--format", "genesys").json()
    return contact, result.json()


def test_an_update_reads_a_number_in_the_stored_address_country(
    run: Runner, tmp_path: Path
) -> None:
    jonas(run, "--country", "DE")

    contact, report = imported(run, tmp_path, "Jonas,Weber,jonas@x.de,0351 223344\r\n")

    assert contact["homePhone"]["e164"] == "+49351223344"
    assert report["warnings"] == [
        "the header is that of an Outlook CSV export, so the file is read as one: its Title "
        "column is read as the salutation and Job Title as the title"
    ]
    # Searchable now: the number finds him.
    found = run("--json", "contact", "search", "+49 351 223344").json()
    assert [c["id"] for c in found] == [contact["id"]]


def test_a_number_not_valid_there_either_says_which_country_and_where_it_came_from(
    run: Runner, tmp_path: Path
) -> None:
    jonas(run, "--country", "Deutschland")

    contact, report = imported(run, tmp_path, "Jonas,Weber,jonas@x.de,0351 22\r\n")

    assert "e164" not in contact["homePhone"]
    [note] = [w for w in report["warnings"] if "Home phone" in w]
    assert note.startswith("line 2: Home phone '0351 22': Kept as typed, but not searchable")
    assert "not a valid number in Germany (+49)" in note
    assert note.endswith("(Germany (+49) was taken from the contact's address.)")
    assert "United States" not in note


def test_without_a_stored_address_country_the_default_still_applies(
    run: Runner, tmp_path: Path
) -> None:
    jonas(run)

    contact, report = imported(run, tmp_path, "Jonas,Weber,jonas@x.de,0351 223344\r\n")

    assert "e164" not in contact["homePhone"]
    assert any("not a valid number in the United States (+1)" in w for w in report["warnings"])


def test_the_rows_own_country_wins_over_the_stored_one(run: Runner, tmp_path: Path) -> None:
    # The row moves him to Austria: its address decides, as the merged contact's.
    jonas(run, "--country", "DE")
    path = tmp_path / "j.csv"
    path.write_text(
        "First Name,Last Name,E-mail Address,Home Phone,Home Country/Region\r\n"
        "Jonas,Weber,jonas@x.de,01 5880000,Austria\r\n",
        encoding="utf-8",
    )

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    [contact] = run("--json", "export", "--format", "genesys").json()
    assert contact["homePhone"]["e164"] == "+4315880000"
