"""Issue 14, item 5: Genesys phone objects are kept as given, what was typed (``userInput``)
included. A number typed "901 06 000" in Norway, exported as Genesys JSON and imported into
another store, came back as ``"userInput": "+4790106000"``: the importer kept the file's
userInput only when it read as the same number in the new store's default country."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_tui.cli.exits import EXIT_OK
from tests.cli.runner import Runner, write_config

NORWAY_ROW = "First Name,Last Name,Mobile{header}\r\nOla,Nordmann,901 06 000{cell}\r\n"


@pytest.mark.parametrize(
    ("country_column", "options"),
    [
        ("", ("--default-country", "Norway")),  # the country is nowhere in the export
        ("Norway", ()),  # the export's address says Norway
    ],
)
def test_a_genesys_export_imported_elsewhere_exports_byte_for_byte_the_same(
    run: Runner, tmp_path: Path, country_column: str, options: tuple[str, ...]
) -> None:
    header, cell = (",Country", f",{country_column}") if country_column else ("", "")
    source = tmp_path / "norway.csv"
    source.write_text(NORWAY_ROW.format(header=header, cell=cell), encoding="utf-8")
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    elsewhere = write_config(tmp_path / "elsewhere")  # an empty store, default country +1

    assert run("import", str(source), *options).code == EXIT_OK
    assert run("export", "--format", "genesys", "-o", str(first)).code == EXIT_OK
    assert '"userInput": "901 06 000"' in first.read_text(encoding="utf-8")
    imported = run("import", str(first), "--single-name=as-given", config_path=elsewhere)
    assert imported.code == EXIT_OK, imported.err
    exported = run("export", "--format", "genesys", "-o", str(second), config_path=elsewhere)
    assert exported.code == EXIT_OK, exported.err

    assert second.read_bytes() == first.read_bytes()


def test_a_genesys_phone_keeps_its_user_input_whatever_it_says(run: Runner, tmp_path: Path) -> None:
    """What was typed need not read as the number in any country the import knows of: a
    national form with no country anywhere, a vanity number, a note around the digits."""
    objects = [
        ("Cell", "cellPhone", "+4790106000", "901 06 000"),
        ("Work", "workPhone", "+18003569377", "1-800-FLOWERS"),
        ("Home", "homePhone", "+442079460958", "020 7946 0958 (reception)"),
    ]
    doc = tmp_path / "genesys.json"
    doc.write_text(
        "["
        + ",".join(
            f'{{"firstName": "Ola", "lastName": "{last}", '
            f'"{slot}": {{"e164": "{e164}", "userInput": "{typed}"}}}}'
            for last, slot, e164, typed in objects
        )
        + "]",
        encoding="utf-8",
    )

    result = run("import", str(doc))
    assert result.code == EXIT_OK, result.err

    stored = {c["lastName"]: c for c in run("--json", "contact", "list").json()}
    for last, slot, e164, typed in objects:
        assert stored[last][slot]["userInput"] == typed
        assert stored[last][slot]["e164"] == e164
