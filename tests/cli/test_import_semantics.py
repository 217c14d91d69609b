"""`contact-tui import`: what a row means, whatever the format (issue 14): people who share a
number, the country a number without + is in, single names, the Genesys phone object as given,
and the messages of --skip-invalid and --dry-run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from tests.cli.runner import Runner

AddContact = Callable[..., dict[str, Any]]

HEADER = "First Name,Last Name,Home Phone,Work Phone,Personal Email,Country\r\n"


def contacts(run: Runner) -> list[dict[str, Any]]:
    result = run("--json", "export", "--format", "genesys")
    assert result.code == EXIT_OK, result.err
    data: list[dict[str, Any]] = result.json()
    return data


def by_name(run: Runner) -> dict[str, dict[str, Any]]:
    return {f"{c.get('firstName', '')} {c.get('lastName', '')}".strip(): c for c in contacts(run)}


def write_csv(tmp_path: Path, *rows: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\r\n" for r in rows), encoding="utf-8")
    return path


# --- a shared number is not a shared person ---------------------------------------------------


def test_a_family_member_sharing_the_home_phone_is_added_not_written_over(
    run: Runner, add_contact: AddContact, tmp_path: Path
) -> None:
    alice = add_contact(
        "--first", "Alice", "--last", "Smith", "--home-phone", "+1 212 555 0100",
        "--personal-email", "alice@example.com",
    )  # fmt: skip
    path = write_csv(tmp_path, "Bob,Smith,+1 212 555 0100,,bob@example.com,")

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    assert "1 created, 0 updated" in result.out
    assert "shares a number with Alice Smith" in result.err and "Bob Smith is added" in result.err
    people = by_name(run)
    assert people["Alice Smith"]["personalEmail"] == "alice@example.com"
    assert people["Alice Smith"]["id"] == alice["id"]
    assert people["Bob Smith"]["homePhone"]["e164"] == "+12125550100"
    # Importing the same file again finds Bob by his name and number: nothing changes.
    again = run("import", str(path))
    assert "0 created, 0 updated, 1 unchanged" in again.out, again.err


def test_two_cards_sharing_a_number_in_one_file_both_go_in(run: Runner, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "Alice,Smith,+1 212 555 0100,,alice@example.com,",
        "Bob,Smith,+1 212 555 0100,,bob@example.com,",
    )

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    assert "2 created" in result.out
    assert sorted(by_name(run)) == ["Alice Smith", "Bob Smith"]


def test_an_office_switchboard_number_on_three_people_makes_three_contacts(
    run: Runner, tmp_path: Path
) -> None:
    switchboard = "+44 20 7946 0000"
    path = write_csv(
        tmp_path,
        f"Ana,Silva,,{switchboard},,",
        f"Kim,Park,,{switchboard},,",
        f"Lee,Chen,,{switchboard},,",
    )

    first = run("import", str(path))
    second = run("import", str(path))

    assert "3 created" in first.out, first.err
    assert "0 created, 0 updated, 3 unchanged" in second.out, second.err
    people = by_name(run)
    assert sorted(people) == ["Ana Silva", "Kim Park", "Lee Chen"]
    assert {p["workPhone"]["e164"] for p in people.values()} == {"+442079460000"}


def test_the_same_name_and_number_without_an_id_still_updates(
    run: Runner, add_contact: AddContact, tmp_path: Path
) -> None:
    stored = add_contact("--first", "Zoë", "--last", "Brown", "--home-phone", "+1 212 555 0100")
    path = write_csv(tmp_path, "ZOE,brown,+1 212 555 0100,,zoe@example.com,")

    result = run("import", str(path))

    assert "0 created, 1 updated" in result.out, result.err
    assert contacts(run)[0]["id"] == stored["id"]
    assert contacts(run)[0]["personalEmail"] == "zoe@example.com"


def test_the_same_two_people_in_one_file_are_still_refused(run: Runner, tmp_path: Path) -> None:
    # The rows differ (a work phone on the second): which is right is for a person to say. A
    # row repeating another exactly is harmless (tests/cli/test_import_repeated_rows.py).
    path = write_csv(
        tmp_path,
        "Alice,Smith,+1 212 555 0100,,,",
        "Alice,Smith,+1 212 555 0100,+1 212 555 0199,,",
    )

    result = run("import", str(path))

    assert result.code == EXIT_INVALID
    assert "line 3: describes the same contact as line 2" in result.err


# --- the country of a number without + ---------------------------------------------------------


def test_a_german_card_whose_address_says_germany_gets_a_german_number(
    run: Runner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "Jonas,Weber,0351 223344,,,Germany")

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    assert contacts(run)[0]["homePhone"]["e164"] == "+49351223344"
    assert "not searchable" not in result.err


@pytest.mark.parametrize("number", ["0351 223344", "7654321", "0311111111", "(111) 555-1212"])
def test_a_number_that_cannot_be_plus_one_is_kept_as_typed_and_named(
    run: Runner, tmp_path: Path, number: str
) -> None:
    path = write_csv(tmp_path, f'Ana,Silva,"{number}",,,')

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    phone = contacts(run)[0]["homePhone"]
    assert "e164" not in phone and phone["display"] == number
    assert f"line 2: Home phone {number!r}: Kept as typed, but not searchable" in result.err
    assert "not a valid number in the United States (+1)" in result.err


def test_default_country_applies_when_the_row_does_not_say(run: Runner, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Jonas,Weber,0351 223344,,,", "Ana,Silva,0351 223344,,,Spain")

    result = run("import", str(path), "--default-country", "DE")

    assert result.code == EXIT_OK, result.err
    people = by_name(run)
    assert people["Jonas Weber"]["homePhone"]["e164"] == "+49351223344"
    # The address wins over --default-country: 0351 223344 is no Spanish number.
    assert "e164" not in people["Ana Silva"]["homePhone"]
    assert "Spain (+34) was taken from the contact's address" in result.err


def test_an_unknown_default_country_is_refused(run: Runner, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Jonas,Weber,0351 223344,,,")

    result = run("import", str(path), "--default-country", "Atlantis")

    assert result.code == EXIT_INVALID
    assert "--default-country 'Atlantis' is not a country" in result.err
    assert contacts(run) == []


def test_direction_marks_around_a_number_are_dropped_with_a_note(
    run: Runner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "Ana,Silva,\u202a+49 351 223344\u202c,,,")

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    assert contacts(run)[0]["homePhone"]["e164"] == "+49351223344"
    assert "removed the text-direction marks around it (U+202A, U+202C)" in result.err


# --- single names ------------------------------------------------------------------------------


def test_a_single_name_is_refused_naming_the_flag(run: Runner, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Ambulance,,+44 20 7946 0999,,,", "최유림,,,,,")

    result = run("import", str(path))

    assert result.code == EXIT_INVALID
    assert "line 2: Last name is required. 'Ambulance' is a single name" in result.err
    assert "--single-name=first or --single-name=last" in result.err
    assert "line 3: Last name is required. '최유림' is a single name" in result.err
    assert "2 rows have a single name and were refused (--single-name=refuse)" in result.out
    assert contacts(run) == []


@pytest.mark.parametrize(("choice", "first", "last"), [("last", "", "Ambulance"),
                                                      ("first", "Ambulance", "")])  # fmt: skip
def test_single_name_puts_the_one_name_where_it_says_and_counts_the_rows(
    run: Runner, tmp_path: Path, choice: str, first: str, last: str
) -> None:
    path = write_csv(tmp_path, "Ambulance,,+44 20 7946 0999,,,", "Ana,Silva,,,,")

    result = run("--json", "import", str(path), f"--single-name={choice}")

    assert result.code == EXIT_OK, result.err
    assert result.json()["singleName"] == {"choice": choice, "lines": [2], "refused": []}
    stored = next(
        c for c in contacts(run) if "Ambulance" in (c.get("firstName"), c.get("lastName"))
    )
    assert (stored.get("firstName", ""), stored.get("lastName", "")) == (first, last)
    text = run("import", str(path), f"--single-name={choice}")
    assert f"1 row with a single name has it as the {choice} name" in text.out


def test_a_single_name_update_keeps_the_stored_other_name(
    run: Runner, add_contact: AddContact, tmp_path: Path
) -> None:
    add_contact("--first", "Ana", "--last", "Silva", "--home-phone", "+44 20 7946 0999")
    path = write_csv(tmp_path, "Ana,,+44 20 7946 0999,,ana@example.com,")

    result = run("import", str(path), "--single-name=first")

    assert "1 updated" in result.out, result.err
    assert by_name(run)["Ana Silva"]["personalEmail"] == "ana@example.com"


# --- messages ----------------------------------------------------------------------------------


def test_skip_invalid_with_no_good_row_fails_and_says_so(run: Runner, tmp_path: Path) -> None:
    path = write_csv(tmp_path, ",Broken,,,,", ",Also,,,,")

    result = run("import", str(path), "--skip-invalid")

    assert result.code == EXIT_INVALID
    assert "Nothing was imported: all 2 rows have a problem" in result.out
    assert "--skip-invalid" not in result.out


def test_one_bad_row_alone_is_told_to_fix_it(run: Runner, tmp_path: Path) -> None:
    path = write_csv(tmp_path, ",Broken,,,,")

    result = run("import", str(path), "--skip-invalid")

    assert result.code == EXIT_INVALID
    assert "Nothing was imported: the only row has a problem; fix it and import again." in (
        result.out
    )


def test_a_dry_run_against_a_missing_store_creates_nothing(run: Runner, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Ana,Silva,,,,")
    before = sorted(p.name for p in tmp_path.iterdir())

    result = run("import", str(path), "--dry-run")

    assert result.code == EXIT_OK, result.err
    assert "Dry run: nothing was written" in result.out and "1 created" in result.out
    assert "does not exist yet" in result.err and "nothing was created" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- Genesys phone objects as given ------------------------------------------------------------

GENESYS = {
    "firstName": "jean",
    "lastName": "dupont",
    "workPhone": {
        "display": "+33 0 00 00 00 00",
        "extension": 4,
        "acceptsSMS": False,
        "e164": "+330000000000",
        "countryCode": "33",
    },
    "whatsAppId": {
        "phoneNumber": {"display": "+33 0 00 00 00 01", "extension": 4, "e164": "+330000000001"},
        "displayName": "whatsappName",
    },
    "instagramId": {"ids": [{"scopedId": "1"}], "screenName": "jd"},
    "createDate": "2024-05-01T10:00:00.000Z",
    "modifyDate": "2024-04-01T10:00:00.000Z",
}


def test_a_genesys_phone_keeps_its_e164_and_unread_keys_are_named(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "genesys.json"
    path.write_text(json.dumps([GENESYS]), encoding="utf-8")

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    stored = contacts(run)[0]
    assert stored["workPhone"]["e164"] == "+330000000000"
    assert stored["workPhone"]["display"] == "+33 0 00 00 00 00"
    assert stored["workPhone"]["extension"] == 4
    assert "instagramId.screenName" in result.err
    assert "whatsAppId.phoneNumber.extension" in result.err
    assert "whatsAppId.phoneNumber.display" in result.err
    # A contact cannot change before it exists: createDate moves back to the modifyDate.
    assert "modifyDate" in result.err and "createDate is set to the modifyDate" in result.err
    assert stored["createDate"] == stored["modifyDate"] == "2024-04-01T10:00:00.000Z"


def test_a_vcard_rev_before_today_becomes_the_new_contacts_create_date_too(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "old.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Silva;Ana\r\nFN:Ana Silva\r\n"
        "TEL;TYPE=CELL:+44 20 7946 0999\r\nREV:2020-01-02T03:04:05Z\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )

    result = run("import", str(path))

    assert result.code == EXIT_OK, result.err
    stored = contacts(run)[0]
    assert stored["modifyDate"] == stored["createDate"] == "2020-01-02T03:04:05.000Z"
    # The file gave no createDate, so nothing in it disagrees: no warning.
    assert "createDate" not in result.err
    again = run("import", str(path))
    assert "0 created, 0 updated, 1 unchanged" in again.out, again.err
