"""`contact-tui import --single-name` on a Google Contacts export (issue 14, item 12): the
choice is explicit, a refusal names it, and the report says how many rows each choice let in
or refused, in words and in --json."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from tests.cli.runner import Runner

GOOGLE = (
    "First Name,Last Name,Organization Name,Labels,Phone 1 - Label,Phone 1 - Value\r\n"
    "Ana,Silva,Acme,* myContacts,Mobile,+44 7700 900001\r\n"
    "Mama,,,* myContacts,Mobile,+44 7700 900002\r\n"
    ",,Pizzeria Roma,* myContacts,Work,+44 20 7946 0003\r\n"
    ",최유림,,* myContacts,Mobile,+44 7700 900004\r\n"
)


def test_company_takes_the_companies_and_refuses_the_people_naming_the_other_choices(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "google.csv"
    path.write_text(GOOGLE, encoding="utf-8")

    result = run("--json", "import", str(path), "--single-name=company", "--skip-invalid")

    assert result.code == EXIT_OK, result.err
    report = result.json()
    assert report["singleName"] == {"choice": "company", "lines": [4], "refused": [3, 5]}
    assert [p["message"] for p in report["problems"]] == [
        "Last name is required. 'Mama' is a single name (the file has it as the first name): "
        "import it with --single-name=as-given, --single-name=first or --single-name=last to "
        "keep it as that name and leave the other empty.",
        "First name is required. '최유림' is a single name (the file has it as the last name): "
        "import it with --single-name=as-given, --single-name=first or --single-name=last to "
        "keep it as that name and leave the other empty.",
    ]
    # The company's name went in as its last name; its Organization cell is not "unread",
    # while Ana's (her employer) is.
    assert any("'Organization Name' (column 3, on 1 row)" in w for w in report["warnings"])


def test_the_summary_counts_the_rows_each_choice_let_in_or_refused(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "google.csv"
    path.write_text(GOOGLE, encoding="utf-8")

    refused = run("import", str(path))
    company = run("import", str(path), "--single-name=company", "--skip-invalid")
    first = run("import", str(path), "--single-name=first")

    assert refused.code == EXIT_INVALID
    assert "3 rows have a single name and were refused (--single-name=refuse)." in refused.out
    assert "'Pizzeria Roma' is a company's name: import it with --single-name=company" in (
        refused.err
    )
    assert company.code == EXIT_OK, company.err
    assert (
        "1 row with a single name has it as the last name (--single-name=company). 2 rows have "
        "a single name and were refused (--single-name=company)."
    ) in company.out
    assert first.code == EXIT_OK, first.err
    assert "2 created, 0 updated, 2 unchanged" in first.out
    assert "3 rows with a single name have it as the first name (--single-name=first)." in (
        first.out
    )


SUFFIX = {"csv": "csv", "vcard": "vcf", "genesys": "json"}


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_our_export_of_one_name_contacts_imports_back_into_the_same_store_unchanged(
    run: Runner, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / "google.csv"
    path.write_text(GOOGLE, encoding="utf-8")
    run("import", str(path), "--single-name=company", "--skip-invalid")  # Pizzeria Roma: last
    run("import", str(path), "--single-name=first", "--skip-invalid")  # Mama, 최유림: first
    exported = tmp_path / f"export.{SUFFIX[fmt]}"
    assert run("export", "--format", fmt, "-o", str(exported)).code == EXIT_OK

    # The store took these one-name contacts with a choice once; importing its own export
    # (no choice given) names them by id and changes nothing, rather than refuse them.
    again = run("import", str(exported))

    assert again.code == EXIT_OK, again.err
    assert "0 created, 0 updated, 4 unchanged" in again.out


def test_a_refused_single_name_is_not_said_to_be_added(run: Runner, tmp_path: Path) -> None:
    run("contact", "add", "--first", "Pat", "--last", "Lee", "--home-phone", "+44 20 7946 0005")
    path = tmp_path / "google.csv"
    path.write_text(
        "First Name,Last Name,Phone 1 - Label,Phone 1 - Value\r\n"
        "Mama,,Home,+44 20 7946 0005\r\n"  # Pat's landline: someone else, but not let in
        "Oma,,,\r\n",  # nothing to match on
        encoding="utf-8",
    )

    result = run("import", str(path), "--skip-invalid")

    assert result.code == EXIT_INVALID
    assert "line 2: Last name is required. 'Mama' is a single name" in result.err
    assert "line 3: Last name is required. 'Oma' is a single name" in result.err
    assert "is added as a new contact" not in result.err
    assert "adds it again" not in result.err
