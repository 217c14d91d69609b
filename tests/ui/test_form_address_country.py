"""Issue 14, item 4, in the form: a number typed without + is read in the contact's address
country first, then the default country, in the one order an import uses too
(``domain.draft.phone_countries``). At 80x24, as an agent fills the form: a German address
and a national Dresden number is saved as +49, searchable; the same number with no address
is warned about in the default country (the United States) and kept as typed; a number that
is no German number either is warned about naming Germany and where it came from, in the
same words as an import of the same row."""

from __future__ import annotations

from dataclasses import replace

from textual.pilot import Pilot

from contact_tui.domain.model import Address
from contact_tui.domain.rules import parse_phone
from contact_tui.exchange.csv_format import read_csv
from tests.factories import World
from tests.ui.pilot import fill, running, save_form, select_interaction, settle, text_of

DRESDEN = "0351 223344"  # a Dresden number in national form: valid in Germany, no +1 number
US_WARNING = "it is not a valid number in the United States (+1), the country taken"


async def new_form(pilot: Pilot[None], first: str, last: str) -> None:
    """Open a new contact form and type a name."""
    await pilot.press("n")
    await settle(pilot)
    await fill(pilot, "f-firstName", first)
    await fill(pilot, "f-lastName", last)


async def test_a_german_address_makes_a_national_number_german_and_searchable(
    world: World,
) -> None:
    async with running(world) as pilot:
        await new_form(pilot, "Jonas", "Weber")
        await fill(pilot, "f-homePhone", DRESDEN)
        # No address yet: read in the default country, where it is no number.
        assert US_WARNING in text_of(pilot, "#m-homePhone")
        assert "taken as +1 (US)." in text_of(pilot, "#section-phones")

        await fill(pilot, "f-address-countryCode", "Germany")

        # The address says Germany: the heading and the number's note say so at once.
        assert "Numbers without + are taken as +49 (DE), the address's country." in text_of(
            pilot, "#section-phones"
        )
        assert "not searchable" not in text_of(pilot, "#m-homePhone")
        await save_form(pilot)

    found = world.service().search("+49 351 223344").contacts
    assert [(c.first_name, c.last_name) for c in found] == [("Jonas", "Weber")]
    phone = found[0].home_phone
    assert phone is not None and phone.e164 == "+49351223344"


async def test_the_same_number_without_an_address_is_warned_in_the_default_country(
    world: World,
) -> None:
    async with running(world) as pilot:
        await new_form(pilot, "Jonas", "Weber")
        await fill(pilot, "f-homePhone", DRESDEN)
        assert US_WARNING in text_of(pilot, "#m-homePhone")
        # A warning, not an error: the number is saved as typed.
        await save_form(pilot)

    assert world.service().search("+49 351 223344").contacts == []
    [saved] = [c for c in world.contacts().values() if c.last_name == "Weber"]
    assert saved.home_phone is not None and saved.home_phone.e164 is None
    assert saved.home_phone.display == DRESDEN


async def test_a_number_invalid_in_the_address_country_is_warned_as_an_import_warns(
    world: World,
) -> None:
    short = "0151 123"  # too short for a German mobile
    report = world.service("alice").import_contacts(
        read_csv(
            f"First Name,Last Name,Home Phone,Country\r\nJonas,Weber,{short},Germany\r\n".encode()
        ),
        dry_run=True,
    )
    (imported,) = [w for w in report.warnings if "Home phone" in w]

    async with running(world) as pilot:
        await new_form(pilot, "Jonas", "Weber")
        await fill(pilot, "f-address-countryCode", "Germany")
        await fill(pilot, "f-homePhone", short)
        shown = text_of(pilot, "#m-homePhone")

    assert "not a valid number in Germany (+49)" in shown
    assert shown.endswith("(Germany (+49) was taken from the contact's address.)")
    assert imported == f"line 2: Home phone {short!r}: {shown}"


async def test_the_edit_form_says_it_converts_a_number_kept_as_typed(world: World) -> None:
    # Sam's home number was kept as typed (no US number) and his address is in Germany, as an
    # import that read it in the default country stored him: saving reads it as German, so
    # the form says so under the field the agent may never visit.
    repo = world.repo()
    with repo.write("hand") as uow:
        uow.save_contact(
            replace(
                world.sam,
                home_phone=parse_phone(DRESDEN, "US"),
                address=Address(country_code="DE"),
            ),
            world.sam.version,
        )
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("e")
        await settle(pilot)
        shown = text_of(pilot, "#m-homePhone")
        await save_form(pilot)

    assert shown == (
        f"Kept as typed until now, {DRESDEN!r} is saved as +49 351 223344, read in Germany "
        "(+49), the address's country; edit it if that is not the number."
    )
    home = world.contact(world.sam.id).home_phone
    assert home is not None and home.e164 == "+49351223344"
