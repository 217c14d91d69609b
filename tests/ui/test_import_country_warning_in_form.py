"""Issue 14, item 4: "the form warns the same way" as an import does about a number typed
without + that is no number of the country assumed (here the admin's default, the United
States): kept as typed, not searchable, naming that country, in the same words."""

from __future__ import annotations

from contact_tui.exchange.csv_format import read_csv
from tests.factories import World
from tests.ui.pilot import fill, running, settle, text_of

GERMAN = "0351 223344"  # a Dresden number in national form: no +1 number


async def test_the_form_warns_of_a_number_invalid_in_the_default_country_as_an_import_does(
    world: World,
) -> None:
    report = world.service("alice").import_contacts(
        read_csv(f"First Name,Last Name,Home Phone\r\nJonas,Weber,{GERMAN}\r\n".encode()),
        dry_run=True,
    )
    (imported,) = [w for w in report.warnings if "Home phone" in w]

    async with running(world) as pilot:
        await pilot.press("n")
        await settle(pilot)
        await fill(pilot, "f-homePhone", GERMAN)
        shown = text_of(pilot, "#m-homePhone")

    assert shown.startswith("Kept as typed, but not searchable: it is not a valid number in ")
    assert "the United States (+1), the country taken for numbers without +" in shown
    assert imported == f"line 2: Home phone {GERMAN!r}: {shown}"
