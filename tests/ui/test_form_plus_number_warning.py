"""Issue 14, item 4, in the form: a number written with + carries its own country, so when it
is not valid there the warning says what is wrong with it in that country, with nothing "taken
from the contact's address", in the same words as an import of the same row; as it is typed
and again when a save is refused for another field."""

from __future__ import annotations

from textual.pilot import Pilot

from contact_tui.exchange.csv_format import read_csv
from tests.factories import World
from tests.ui.pilot import fill, is_form_open, running, settle, text_of

NORWEGIAN = "+47 111111"  # six digits: no Norwegian number is that short
WARNING = (
    "Kept as typed, but not searchable: it has the wrong number of digits for a number in "
    "Norway (+47); check the digits."
)


async def new_form(pilot: Pilot[None], first: str, last: str) -> None:
    """Open a new contact form and type a name."""
    await pilot.press("n")
    await settle(pilot)
    await fill(pilot, "f-firstName", first)
    await fill(pilot, "f-lastName", last)


async def test_a_plus_number_with_an_address_is_warned_about_its_own_country(
    world: World,
) -> None:
    report = world.service("alice").import_contacts(
        read_csv(
            f"First Name,Last Name,Mobile,Country\r\nOla,Nordmann,{NORWEGIAN},Germany\r\n".encode()
        ),
        dry_run=True,
    )
    (imported,) = [w for w in report.warnings if "Cell phone" in w]

    async with running(world) as pilot:
        await new_form(pilot, "Ola", "")
        await fill(pilot, "f-address-countryCode", "Germany")
        await fill(pilot, "f-cellPhone", NORWEGIAN)
        typed = text_of(pilot, "#m-cellPhone")
        # The last name is missing: the save is refused and every field says what it has.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert is_form_open(pilot)
        refused = text_of(pilot, "#m-cellPhone")

    assert typed == refused == WARNING
    assert imported == f"line 2: Cell phone {NORWEGIAN!r}: {WARNING}"
