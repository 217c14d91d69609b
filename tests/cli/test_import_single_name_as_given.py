"""`contact-tui import --single-name=as-given` (issue 14, item 12, restoring a backup): our
own CSV and Genesys exports of one-name contacts, imported into an EMPTY store, give back the
same contacts, each name in the field it was in (any other choice puts them all in one field:
a last-name-only contact would come back as a first name). A name the reader had to place
itself (split from a display name, a company's) is not guessed at: it is refused as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from tests.cli.runner import Runner, write_config

ONE_NAMES = (
    "First Name,Last Name,Phone 1 - Label,Phone 1 - Value\r\n"
    "Mama,,Mobile,+44 7700 900001\r\n"  # a first name only
    ",최유림,Mobile,+44 7700 900002\r\n"  # a last name only
)


def one_name_store(run: Runner, tmp_path: Path) -> None:
    """The store holds Mama (first name only) and 최유림 (last name only)."""
    header, mama, choi = ONE_NAMES.splitlines(keepends=True)
    for row, choice in ((mama, "first"), (choi, "last")):
        path = tmp_path / f"{choice}.csv"
        path.write_text(header + row, encoding="utf-8")
        assert run("import", str(path), f"--single-name={choice}").code == EXIT_OK


@pytest.mark.parametrize(("fmt", "suffix"), [("csv", "csv"), ("genesys", "json")])
def test_our_export_restores_one_name_contacts_into_an_empty_store_exactly(
    run: Runner, tmp_path: Path, fmt: str, suffix: str
) -> None:
    one_name_store(run, tmp_path)
    before = run("export", "--format", fmt)
    assert before.code == EXIT_OK, before.err
    names = run("--json", "export", "--format", "genesys").json()
    assert sorted((c.get("firstName", ""), c.get("lastName", "")) for c in names) == [
        ("", "최유림"),
        ("Mama", ""),
    ]
    backup = tmp_path / f"backup.{suffix}"
    backup.write_text(before.out, encoding="utf-8")
    empty = write_config(tmp_path / "empty")

    restored = run("import", str(backup), "--single-name=as-given", config_path=empty)

    assert restored.code == EXIT_OK, restored.err
    assert "2 created, 0 updated, 0 unchanged" in restored.out
    assert (
        "2 rows with a single name have it in the name field the file gives it in "
        "(--single-name=as-given)."
    ) in restored.out
    after = run("export", "--format", fmt, config_path=empty)
    assert after.code == EXIT_OK, after.err
    # Names, ids, dates and versions: the new store's export is the old one's.
    assert after.out == before.out


def test_as_given_does_not_guess_where_a_display_name_or_a_company_goes(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "thunderbird.csv"
    path.write_text(
        # Thunderbird's header: its Display Name fills names the name columns lack.
        "First Name,Last Name,Display Name,Organization,Primary Email\r\n"
        "Mama,,,,\r\n"  # in First Name: taken
        ",,Ambulance,,\r\n"  # a display name only: which name it is would be a guess
        ",,,Pizzeria Roma,\r\n",  # a company's name only
        encoding="utf-8",
    )

    result = run("--json", "import", str(path), "--single-name=as-given", "--skip-invalid")

    assert result.code == EXIT_OK, result.err
    report = result.json()
    assert report["singleName"] == {"choice": "as-given", "lines": [2], "refused": [3, 4]}
    assert [p["message"] for p in report["problems"]] == [
        "Last name is required. 'Ambulance' is a single name: import it with "
        "--single-name=first or --single-name=last to keep it as that name and leave the other "
        "empty.",
        "Last name is required. 'Pizzeria Roma' is a company's name: import it with "
        "--single-name=company, --single-name=first or --single-name=last to keep it as that "
        "name and leave the other empty.",
    ]


def test_a_refusal_offers_as_given_saying_where_the_file_has_the_name(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "google.csv"
    path.write_text(ONE_NAMES, encoding="utf-8")

    result = run("import", str(path))

    assert result.code == EXIT_INVALID
    assert (
        "line 3: First name is required. '최유림' is a single name (the file has it as the last "
        "name): import it with --single-name=as-given, --single-name=first or "
        "--single-name=last to keep it as that name and leave the other empty."
    ) in result.err
