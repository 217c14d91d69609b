"""`contact-tui import` and people who share a number (issue 14, item 3): a number alone never
renames or overwrites anyone. A row found only by a phone whose first or last name differs
from the stored contact's is someone else (added, with a warning), also when the two are rows
of one file; one whose name agrees updates the contact but keeps its stored name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from contact_tui.cli.exits import EXIT_OK
from tests.cli.runner import Runner

AddContact = Callable[..., dict[str, Any]]

HEADER = "id,First Name,Last Name,Home Phone,Personal Email\r\n"
SHARED = "+1 317 555 0123"


def write_csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "".join(r + "\r\n" for r in rows), encoding="utf-8")
    return path


def people(run: Runner) -> dict[str, dict[str, Any]]:
    result = run("--json", "export", "--format", "genesys")
    assert result.code == EXIT_OK, result.err
    return {f"{c.get('firstName', '')} {c.get('lastName', '')}": c for c in result.json()}


def test_the_same_first_name_with_another_last_name_and_email_is_another_person(
    run: Runner, add_contact: AddContact, tmp_path: Path
) -> None:
    sam = add_contact(
        "--first", "Sam", "--last", "Lee", "--home-phone", SHARED,
        "--personal-email", "sam@example.com",
    )  # fmt: skip
    # The card: its own unknown id, another name, another email, the same home phone.
    path = write_csv(
        tmp_path, f"22222222-2222-4222-8222-222222222222,Sam,Smith,{SHARED},smith@example.com"
    )

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    assert "1 created, 0 updated" in result.out
    assert (
        f"line 2: shares a number with Sam Lee (id {sam['id']}) by phone +13175550123, who has "
        "another name; Sam Smith is added as a new contact and both keep the number"
    ) in result.err
    stored = people(run)
    assert stored["Sam Lee"]["id"] == sam["id"]
    assert stored["Sam Lee"]["personalEmail"] == "sam@example.com"
    assert stored["Sam Smith"]["personalEmail"] == "smith@example.com"
    assert {p["homePhone"]["e164"] for p in stored.values()} == {"+13175550123"}
    again = run("import", str(path))
    assert "0 created, 0 updated, 1 unchanged" in again.out, again.err


def test_two_people_sharing_a_number_in_one_file_both_go_in_with_a_warning(
    run: Runner, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        f"11111111-1111-4111-8111-111111111111,Sam,Lee,{SHARED},sam@example.com",
        f"22222222-2222-4222-8222-222222222222,Sam,Smith,{SHARED},smith@example.com",
        f",Pat,Lee,{SHARED},",
    )

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    assert "3 created" in result.out
    assert (
        "line 3: shares a number with Sam Lee (line 2) by phone +13175550123, who has another "
        "name; Sam Smith is added as a new contact and both keep the number"
    ) in result.err
    assert (
        "line 4: shares a number with Sam Lee (line 2) by phone +13175550123, Sam Smith (line 3) "
        "by phone +13175550123, who have other names; Pat Lee is added as a new contact and all "
        "keep the number"
    ) in result.err
    assert sorted(people(run)) == ["Pat Lee", "Sam Lee", "Sam Smith"]


def test_a_phone_match_updates_but_never_renames(
    run: Runner, add_contact: AddContact, tmp_path: Path
) -> None:
    sam = add_contact("--first", "Sam", "--last", "Lee", "--home-phone", SHARED)
    # The same person (the file swapped the columns and wrote capitals), found by the number.
    path = write_csv(tmp_path, f",LEE,Sam,{SHARED},sam@example.com")

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    assert "0 created, 1 updated" in result.out
    assert (
        f"line 2: matched Sam Lee (id {sam['id']}) by phone +13175550123; the file names them "
        "LEE Sam, but a shared number renames nobody, so the stored name is kept"
    ) in result.err
    stored = people(run)
    assert list(stored) == ["Sam Lee"]
    assert stored["Sam Lee"]["personalEmail"] == "sam@example.com"
