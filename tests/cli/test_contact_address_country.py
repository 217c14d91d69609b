"""Issue 14, item 4, on the command line: `contact add` saves through the same check as the
form, so a number without + is read in the address's country first, then the default."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from contact_tui.cli.exits import EXIT_OK
from contact_tui.domain.model import Address
from contact_tui.store.repository import Repository
from tests.cli.runner import Runner

DRESDEN = "0351 223344"  # valid in Germany, no +1 number


def test_a_national_number_is_read_in_the_address_country_then_the_default(run: Runner) -> None:
    name = ("--first", "Jonas", "--last", "Weber", "--home-phone", DRESDEN)

    german = run("--json", "contact", "add", *name, "--country", "Germany")
    default = run("--json", "contact", "add", *name, "--allow-duplicate")

    assert german.code == EXIT_OK, german.err
    assert german.json()["homePhone"]["e164"] == "+49351223344"
    assert default.code == EXIT_OK, default.err
    assert "e164" not in default.json()["homePhone"]
    assert "not a valid number in the United States (+1)" in default.err


REREAD = (
    "--home-phone: Kept as typed until now, '0351 223344' is saved as +49 351 223344, read in "
    "Germany (+49), the address's country; edit it if that is not the number."
)


def kept_in_germany(run: Runner, tmp_path: Path) -> str:
    """Jonas Weber with the Dresden number kept as typed (no US number) and an address in
    Germany, as an import before the address country came first stored him."""
    added = run("--json", "contact", "add", "--first", "Jonas", "--last", "Weber",
                "--home-phone", DRESDEN)  # fmt: skip
    assert "e164" not in added.json()["homePhone"]
    repo = Repository.open(tmp_path / "store.json")
    try:
        stored = repo.contact(added.json()["id"])
        assert stored is not None
        with repo.write("hand") as uow:
            uow.save_contact(replace(stored, address=Address(country_code="DE")), stored.version)
    finally:
        repo.close()
    contact_id: str = added.json()["id"]
    return contact_id


def test_an_edit_that_converts_an_untouched_number_kept_as_typed_says_so(
    run: Runner, tmp_path: Path
) -> None:
    # The save reads every number in the address's country, so the home number no flag
    # named became +49 351 223344 without a word.
    contact_id = kept_in_germany(run, tmp_path)

    result = run("--json", "contact", "edit", contact_id, "--work-phone", "0351 223345")

    assert result.code == EXIT_OK, result.err
    saved = result.json()
    assert saved["homePhone"]["e164"] == "+49351223344"
    assert saved["workPhone"]["e164"] == "+49351223345"
    assert REREAD in result.err
    assert "--work-phone" not in result.err  # the number the flag gave is no news


def test_adding_the_country_says_it_converts_the_number_kept_as_typed(run: Runner) -> None:
    added = run("--json", "contact", "add", "--first", "Jonas", "--last", "Weber",
                "--home-phone", DRESDEN)  # fmt: skip

    result = run("--json", "contact", "edit", added.json()["id"], "--country", "DE")

    assert result.code == EXIT_OK, result.err
    assert result.json()["homePhone"]["e164"] == "+49351223344"
    assert REREAD in result.err


def test_an_edit_of_the_number_itself_is_not_called_a_conversion(
    run: Runner, tmp_path: Path
) -> None:
    contact_id = kept_in_germany(run, tmp_path)

    result = run("contact", "edit", contact_id, "--home-phone", "0351 223346")

    assert result.code == EXIT_OK, result.err
    assert "Kept as typed until now" not in result.err
