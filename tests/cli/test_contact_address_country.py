"""Issue 14, item 4, on the command line: `contact add` saves through the same check as the
form, so a number without + is read in the address's country first, then the default."""

from __future__ import annotations

from contact_tui.cli.exits import EXIT_OK
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
