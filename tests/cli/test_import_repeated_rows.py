"""Issue 14: a phone book often holds a contact twice, row for row (13 of the 2,279 rows of
the German Google export). A row identical, after cleaning, to an earlier row of the same
file is harmless: it is counted as unchanged with a warning naming the earlier line, not
refused. Two rows that differ about one contact are still refused, as before."""

from __future__ import annotations

from pathlib import Path

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from tests.cli.runner import Runner

HEADER = (
    "First Name,Last Name,Phone 1 - Label,Phone 1 - Value,E-mail 1 - Label,E-mail 1 - Value\r\n"
)
ANA = "Ana,Silva,Mobile,+49 151 20000001,Home,ana@example.com\r\n"


def test_a_row_repeating_an_earlier_one_is_counted_once_as_unchanged(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "google.csv"
    path.write_text(
        HEADER
        + ANA
        + "Bo,Berg,Mobile,+49 151 20000002,,\r\n"
        # Ana again, her number typed another way and her name with a stray space: the same
        # once cleaned.
        + " Ana ,Silva,Mobile,0151 20000001,Home,ana@example.com\r\n",
        encoding="utf-8",
    )

    result = run("--json", "import", str(path), "--default-country", "DE")

    assert result.code == EXIT_OK, result.err
    report = result.json()
    assert (len(report["created"]), report["unchanged"], report["problems"]) == (2, 1, [])
    assert (
        "line 4: repeats line 2 exactly, so it is imported once; this row is counted as unchanged"
    ) in report["warnings"]
    # Imported once: the store has one Ana.
    stored = run("--json", "export", "--format", "genesys").json()
    assert sorted(c["firstName"] for c in stored) == ["Ana", "Bo"]


def test_a_row_that_differs_about_the_same_contact_is_still_refused(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "google.csv"
    path.write_text(
        HEADER + ANA + "Ana,Silva,Mobile,+49 151 20000009,Home,ana@example.com\r\n",
        encoding="utf-8",
    )

    result = run("import", str(path))

    assert result.code == EXIT_INVALID
    assert (
        "line 3: describes the same contact as line 2 (both have email ana@example.com); "
        "merge the two rows"
    ) in result.err
    assert "repeats line" not in result.err
