"""Issue 14, item 4, for numbers written with +: they follow the same validity rule as numbers
without, on the command line and in imports alike, and a warning about one says what is wrong
with it in its own country (nothing was taken from the address)."""

from __future__ import annotations

from pathlib import Path

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from tests.cli.runner import REPO, Runner

CSV = REPO / "tests" / "fixtures" / "realworld" / "csv"
LOCAL_ONLY = "it is only the local part of a number in the United States (+1); add the area code."


def test_a_seven_digit_plus_one_number_is_kept_as_typed_and_matches_nobody(run: Runner) -> None:
    """Rolomind's Google CSV has "+1-555-0123": it became the searchable key +15550123, and a
    contact added with the same number was then refused as a duplicate of that row."""
    imported = run("import", str(CSV / "rolomind_google.csv"))
    assert imported.code == EXIT_OK, imported.err
    for line, slot, number in ((2, "Work", "0123"), (3, "Work", "0124"), (5, "Cell", "0125")):
        warning = f"line {line}: {slot} phone '+1-555-{number}': Kept as typed, but not searchable"
        assert f"{warning}: {LOCAL_ONLY}" in imported.err

    added = run(
        "--json", "contact", "add", "--first", "A", "--last", "E", "--cell-phone", "+1-555-0123"
    )

    assert added.code == EXIT_OK, added.err
    assert "e164" not in added.json()["cellPhone"]
    assert added.err == f"warning: --cell-phone: Kept as typed, but not searchable: {LOCAL_ONLY}\n"
    listed = run("--json", "contact", "list").json()
    phones = [c[slot] for c in listed for slot in ("workPhone", "cellPhone") if slot in c]
    assert sorted(p["display"] for p in phones) == [
        "+1-555-0123",
        "+1-555-0123",
        "+1-555-0124",
        "+1-555-0125",
    ]
    assert not [p for p in phones if "e164" in p]


def test_a_plus_number_warning_names_its_own_country_not_the_address(
    run: Runner, tmp_path: Path
) -> None:
    """Google's Outlook CSV of a Norwegian phone book: "+47 111111" was told to "enter the
    full number with country code" and that Norway "was taken from the contact's address"."""
    result = run("import", str(CSV / "people_google_outlook_csv.csv"), "--dry-run")

    # Its line 4 has no name at all, so the dry run reports a problem; the rest would go in.
    assert result.code == EXIT_INVALID, result.err
    assert "people_google_outlook_csv.csv line 4: First name is required." in result.err
    assert (
        "line 5: Cell phone '+47 111111': Kept as typed, but not searchable: it has the wrong "
        "number of digits for a number in Norway (+47); check the digits.\n"
    ) in result.err
    plus_warnings = [line for line in result.err.splitlines() if "phone '+" in line]
    assert len(plus_warnings) == 2  # lines 5 and 8
    assert not [w for w in plus_warnings if "taken from" in w or "country code, e.g." in w]

    # The same number without + in a Norwegian address: the country was taken, and it says so.
    doc = tmp_path / "no.csv"
    doc.write_text("First Name,Last Name,Mobile,Country\nOla,Nordmann,111111,Norway\n")
    national = run("import", str(doc), "--dry-run")
    assert national.code == EXIT_OK, national.err
    assert (
        "line 2: Cell phone '111111': Kept as typed, but not searchable: it is not a valid number "
        "in Norway (+47), the country taken for numbers without +; enter the full number with + "
        "and its country code. (Norway (+47) was taken from the contact's address.)"
    ) in national.err
