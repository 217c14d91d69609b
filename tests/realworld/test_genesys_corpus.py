"""Real Genesys Cloud external contacts (tests/fixtures/realworld/genesys, sources and how they
were transcribed in its SOURCES.md), imported as an admin moving a Genesys org in would.

For each file: what goes in (each phone object exactly as Genesys holds it), what is warned
(nothing of an object may vanish silently), that a second import of the same file changes
nothing, and that our Genesys export of what went in imports into an empty store unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contact_tui.exchange.genesys import read_genesys, write_genesys
from contact_tui.service import ContactService

CORPUS = Path(__file__).parent.parent / "fixtures" / "realworld" / "genesys"

Services = Callable[[str], ContactService]  # the `store` fixture (conftest.py)


@dataclass(frozen=True)
class Expected:
    """What one corpus file gives: the contacts created, the phones stored (slot -> the
    stored object's display, e164 and extension), and parts of warnings that must be there."""

    created: int
    phones: dict[str, tuple[str, str, int | None]]
    warned: tuple[str, ...]


_FR = "countryCode 'FR' is kept as the calling code 33"
_WHATSAPP = (
    "whatsAppId.phoneNumber.display, whatsAppId.phoneNumber.extension, "
    "whatsAppId.phoneNumber.countryCode not imported"
)

EXPECTED: dict[str, Expected] = {
    # The e164 Genesys holds is kept, though a parse of the display gives +33000000000.
    "terraform_contact_2023.json": Expected(
        created=1,
        phones={
            "workPhone": ("+33 0 00 00 00 00", "+330000000000", 4),
            "cellPhone": ("+33 0 00 00 00 01", "+330000000001", 4),
            "homePhone": ("+33 0 00 00 00 02", "+330000000002", 4),
            "otherPhone": ("+33 0 00 00 00 03", "+330000000003", 4),
        },
        warned=(
            *(f"line 2: {slot}.{_FR}" for slot in ("workPhone", "cellPhone")),
            *(f"line 2: {slot}.{_FR}" for slot in ("homePhone", "otherPhone")),
            f"line 2: {_WHATSAPP}",
        ),
    ),
    # Displays as Genesys wrote them ("+33 03 ..." with the trunk 0) stay as they are.
    "terraform_contact_2025.json": Expected(
        created=1,
        phones={
            "workPhone": ("+33 03 20 45 67 89", "+33320456789", 4),
            "cellPhone": ("+33 09 20 45 67 89", "+33920456789", None),
            "homePhone": ("+33 02 12 32 30 30", "+33212323030", None),
            "otherPhone": ("+33 02 12 32 30 30", "+33212323030", 4),
        },
        warned=(f"line 2: workPhone.{_FR}", f"line 2: {_WHATSAPP}"),
    ),
}


def test_every_corpus_file_has_an_expectation_and_a_source() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.json"))
    assert files == sorted(EXPECTED)
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in sources for name in files)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_genesys_contact_goes_in_as_given_and_round_trips(
    store: Services, name: str
) -> None:
    expected = EXPECTED[name]
    data = (CORPUS / name).read_bytes()
    main = store("main")

    report = main.import_contacts(read_genesys(data))

    assert report.problems == []
    assert len(report.created) == expected.created
    for part in expected.warned:
        assert any(part in w for w in report.warnings), (part, report.warnings)
    source: dict[str, Any] = json.loads(data)[0]
    stored = json.loads(write_genesys(main.export_contacts()))[0]
    for slot, (display, e164, extension) in expected.phones.items():
        phone = stored[slot]
        assert (phone["display"], phone["e164"], phone.get("extension")) == (
            display,
            e164,
            extension,
        )
        assert phone["acceptsSMS"] == source[slot]["acceptsSMS"]
    # Every field we keep is as the file has it.
    for key in ("firstName", "middleName", "lastName", "salutation", "title", "workEmail"):
        assert stored[key] == source[key]
    assert stored["address"] == source["address"]
    assert stored["twitterId"] == source["twitterId"]
    assert stored["lineId"] == source["lineId"]
    assert stored["facebookId"] == source["facebookId"]
    assert (
        stored["whatsAppId"]["phoneNumber"]["e164"] == source["whatsAppId"]["phoneNumber"]["e164"]
    )

    # The same file again changes nothing.
    again = main.import_contacts(read_genesys(data))
    assert (len(again.created), len(again.updated), again.problems) == (0, 0, [])

    # Our export, imported into an empty store, exports the same, without a word.
    exported = write_genesys(main.export_contacts())
    other = store("other")
    back = other.import_contacts(read_genesys(exported.encode("utf-8")))
    assert back.problems == [] and back.warnings == []
    assert write_genesys(other.export_contacts()) == exported
    repeat = other.import_contacts(read_genesys(exported.encode("utf-8")))
    assert (len(repeat.created), len(repeat.updated), repeat.unchanged) == (0, 0, 1)
