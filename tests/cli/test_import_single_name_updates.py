"""A single name the --single-name choice does not take (the default, refuse) renames nobody:
a row that matches a stored contact by email or id updates its other fields and leaves its
stored names alone, with a warning naming the choices that would rename it. Before, John
Smith matched by email from a row naming only "Acme" became "Acme Smith", warned only "the
file names them Acme"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from tests.cli.runner import Runner

# Each file names John Smith's contact (by his email) with one name, and gives him a title.
FILES = {
    "first-name-only.csv": (
        "First Name,Last Name,E-mail Address,Job Title\r\nAcme,,j@x.com,Boss\r\n",
        "'Acme', a single name (the file has it as the first name), which "
        "--single-name=refuse does not take, so the stored name is kept; import it with "
        "--single-name=as-given, --single-name=first or --single-name=last to rename them",
    ),
    "outlook-company.csv": (
        "First Name,Last Name,Company,E-mail Address,Job Title\r\n,,Acme Corp,j@x.com,Boss\r\n",
        "'Acme Corp', a company's name, which --single-name=refuse does not take, so the "
        "stored name is kept; import it with --single-name=company, --single-name=first or "
        "--single-name=last to rename them",
    ),
    "fn-only.vcf": (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Acme\r\nEMAIL:j@x.com\r\nTITLE:Boss\r\nEND:VCARD\r\n",
        "'Acme', a single name, which --single-name=refuse does not take, so the stored name "
        "is kept; import it with --single-name=first or --single-name=last to rename them",
    ),
}


def stored(run: Runner) -> list[dict[str, Any]]:
    contacts: list[dict[str, Any]] = run("--json", "export", "--format", "genesys").json()
    return contacts


def add_john(run: Runner) -> str:
    added = run("--json", "contact", "add", "--first", "John", "--last", "Smith")
    contact_id: str = added.json()["id"]
    assert run("contact", "edit", contact_id, "--work-email", "j@x.com").code == EXIT_OK
    return contact_id


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_refused_single_name_matched_by_email_keeps_the_stored_name(
    run: Runner, tmp_path: Path, name: str
) -> None:
    contact_id = add_john(run)
    text, why = FILES[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    result = run("--json", "import", str(path))

    assert result.code == EXIT_OK, result.err
    report = result.json()
    assert [w["id"] for w in report["updated"]] == [contact_id]
    [john] = stored(run)
    assert (john["firstName"], john["lastName"], john["title"]) == ("John", "Smith", "Boss")
    # One warning about the name (not also the old "the file names them Acme"), naming the
    # choices.
    about_name = [w for w in report["warnings"] if "names them" in w]
    assert len(about_name) == 1, report["warnings"]
    assert about_name[0].endswith(f"John Smith (id {contact_id}): the file names them {why}")


def test_a_refused_single_name_matched_by_id_keeps_the_stored_name(
    run: Runner, tmp_path: Path
) -> None:
    contact_id = add_john(run)
    path = tmp_path / "ids.json"
    path.write_text(f'[{{"id": "{contact_id}", "firstName": "Acme", "title": "Boss"}}]')

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    [john] = stored(run)
    assert (john["firstName"], john["lastName"], john["title"]) == ("John", "Smith", "Boss")
    assert "which --single-name=refuse does not take, so the stored name is kept" in result.err


def test_the_choice_that_takes_the_single_name_still_renames(run: Runner, tmp_path: Path) -> None:
    add_john(run)
    path = tmp_path / "first-name-only.csv"
    path.write_text(FILES["first-name-only.csv"][0], encoding="utf-8")

    result = run("import", str(path), "--single-name=first")

    assert result.code == EXIT_OK, result.err
    [john] = stored(run)
    assert (john["firstName"], john["lastName"]) == ("Acme", "Smith")
    assert "the stored name is kept" not in result.err


def test_a_refused_single_name_does_not_name_a_nameless_contact(
    run: Runner, tmp_path: Path
) -> None:
    # A caller known only by number: giving them one name is what the choice refuses, as it
    # is for a new contact, rather than a Contacts entry with one name (or none).
    assert run("interaction", "new", "--channel", "voice", "--from", "+44 20 7946 0001").code == 0
    path = tmp_path / "mama.csv"
    path.write_text("First Name,Last Name,Home Phone\r\nMama,,+44 20 7946 0001\r\n")

    result = run("import", str(path))

    assert result.code == EXIT_INVALID
    assert "line 2: Last name is required. 'Mama' is a single name" in result.err
    assert [(c["type"], c.get("firstName", "")) for c in stored(run)] == [("Ephemeral", "")]
