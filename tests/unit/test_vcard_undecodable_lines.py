"""A vCard 3.0 or 4.0 line whose text is not UTF-8 (and names no CHARSET) refuses its card
only in the name or identity; in a detail it is left out with a warning, and the README says
exactly that, listing the same detail properties the reader treats so (``vcard._DETAILS``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contact_tui.exchange import vcard
from contact_tui.exchange.vcard import read_vcard

README = Path(__file__).resolve().parents[2] / "README.md"
NOT_UTF8 = "(byte 0x{}) is not UTF-8, which vCard 3.0 and 4.0 are"


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_a_windows_1252_note_address_and_prodid_are_left_out_with_warnings(version: str) -> None:
    data = (
        f"BEGIN:VCARD\r\nVERSION:{version}\r\nPRODID:-//M\xfcller//EN\r\nN:Lee;Ana;;;\r\n"
        "FN:Ana Lee\r\nNOTE:caf\xe9\r\nADR:;;Stra\xdfe 1;Berlin;;;DE\r\nEND:VCARD\r\n"
    ).encode("cp1252")

    parsed = read_vcard(data)

    assert parsed.problems == []
    [row] = parsed.rows
    assert (row.draft.first_name, row.contact_notes) == ("Ana", [])
    assert not any(row.draft.address.values())
    lines = {w.split(":")[0]: w for w in [*parsed.warnings, *row.warnings] if "not imported" in w}
    assert sorted(lines) == ["line 3", "line 6", "line 7"]
    assert NOT_UTF8.format("FC") in lines["line 3"] and "PRODID" in lines["line 3"]
    assert NOT_UTF8.format("E9") in lines["line 6"] and "NOTE" in lines["line 6"]
    assert NOT_UTF8.format("DF") in lines["line 7"] and "ADR" in lines["line 7"]


@pytest.mark.parametrize("line", ["N:M\xfcller;Ana;;;", "FN:Ana M\xfcller", "UID:M\xfcller"])
def test_a_windows_1252_name_or_identity_refuses_the_card(line: str) -> None:
    data = f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Ana;;;\r\n{line}\r\nEND:VCARD\r\n"

    parsed = read_vcard(data.replace("N:Lee;Ana;;;\r\nN:", "N:").encode("cp1252"))

    assert parsed.rows == []
    [problem] = parsed.problems
    assert NOT_UTF8.format("FC") in problem.message


def test_the_readme_says_what_the_reader_does() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    # It said such text "still refuses the card" in 3.0 and 4.0, whatever the line.
    assert "such text still refuses the card" not in text
    assert "in a detail (a `NOTE`, an `ADR`) that line is left out with a warning" in text
    listed = re.search(r"or in a detail it reads \(([^)]*)\)", text)
    assert listed is not None
    assert set(re.findall(r"`([A-Z]+)`", listed.group(1))) == set(vcard._DETAILS)
