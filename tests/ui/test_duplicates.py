"""The duplicate offer at 80x24 (issue 13): a save whose number another contact holds stops
and offers, one key each, to open that contact, link the interaction to it instead, or save
anyway; Escape goes back with every entry kept. A same-name match is a note, not a stop."""

from __future__ import annotations

from textual.pilot import Pilot

from contact_tui.domain.draft import ContactDraft
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.directory import ContactCard
from contact_tui.ui.screens.duplicate_offer import DuplicateOffer
from contact_tui.ui.screens.main import MainScreen
from tests.factories import World
from tests.ui.pilot import (
    fill,
    running,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
)

SAMS_NUMBER_TYPED = "317 555 0123"  # Sam Lee's cell, written as local


async def _new_contact_with_sams_number(pilot: Pilot[None], world: World) -> None:
    """From the email interaction (an unknown sender), n opens the form; Jo Ng gets Sam's
    number, and Save stops with the offer."""
    await select_interaction(pilot, world.email.id)
    await pilot.press("n")
    await settle(pilot)
    await fill(pilot, "f-firstName", "Jo")
    await fill(pilot, "f-lastName", "Ng")
    await fill(pilot, "f-workPhone", SAMS_NUMBER_TYPED)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DuplicateOffer), "the offer")


def _on_main(pilot: Pilot[None]) -> bool:
    return isinstance(pilot.app.screen, MainScreen)


async def test_the_offer_says_who_and_why_with_its_keys_on_screen(world: World) -> None:
    async with running(world) as pilot:
        await _new_contact_with_sams_number(pilot, world)
        seen = "\n".join(screen_lines(pilot))
        assert "Sam Lee" in seen and "has the number +13175550123" in seen
        for words in ("o open it", "l link this interaction to it instead", "s save anyway"):
            assert words in seen, words
        assert "esc back to the form" in seen


async def test_s_saves_anyway_and_both_contacts_hold_the_number(world: World) -> None:
    async with running(world) as pilot:
        before = set(world.contacts())
        await _new_contact_with_sams_number(pilot, world)
        await pilot.press("s")
        await wait_until(pilot, lambda: _on_main(pilot), "the form to close")
        made = [c for cid, c in world.contacts().items() if cid not in before]
        assert [(c.first_name, c.work_phone.e164 if c.work_phone else None) for c in made] == [
            ("Jo", "+13175550123")
        ]
        assert world.contact(world.sam.id).cell_phone == world.sam.cell_phone


async def test_o_opens_the_stored_contact_and_escape_comes_back_to_the_entries(
    world: World,
) -> None:
    async with running(world) as pilot:
        state = world.state()
        await _new_contact_with_sams_number(pilot, world)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactCard), "the card")
        card = pilot.app.screen
        assert isinstance(card, ContactCard) and card.contact.id == world.sam.id
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactForm), "the form")
        assert value_of(pilot, "#f-firstName") == "Jo"
        assert value_of(pilot, "#f-workPhone") == SAMS_NUMBER_TYPED
        assert "Not saved yet: Sam Lee has the number +13175550123" in text_of(
            pilot, "#form-banner"
        )
        assert world.state() == state  # nothing written


async def test_escape_goes_back_to_the_form_and_save_asks_again(world: World) -> None:
    async with running(world) as pilot:
        state = world.state()
        await _new_contact_with_sams_number(pilot, world)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactForm), "the form")
        assert value_of(pilot, "#f-lastName") == "Ng"
        assert world.state() == state
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DuplicateOffer), "the offer")


async def test_l_links_the_interaction_to_the_stored_contact_and_saves_nothing(
    world: World, told: list[str]
) -> None:
    async with running(world) as pilot:
        contacts = world.contacts()
        await _new_contact_with_sams_number(pilot, world)
        await pilot.press("l")
        await wait_until(pilot, lambda: _on_main(pilot), "the form to close")
        await settle(pilot)
        assert world.interaction(world.email.id).contact_id == world.sam.id
        after = world.contacts()
        assert set(after) == set(contacts)  # no contact made
        # Sam's only change is the link's renewed last-interaction date: no new version.
        assert after[world.sam.id].version == contacts[world.sam.id].version
        assert "Linked the interaction to Sam Lee; no contact was saved." in told


async def test_without_an_interaction_there_is_no_link_offer(world: World) -> None:
    async with running(world) as pilot:
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("f3")  # Create New Contact from the directory (no interaction)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactForm), "the form")
        await fill(pilot, "f-firstName", "Jo")
        await fill(pilot, "f-lastName", "Ng")
        await fill(pilot, "f-cellPhone", SAMS_NUMBER_TYPED)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DuplicateOffer), "the offer")
        assert "link this interaction" not in "\n".join(screen_lines(pilot))
        state = world.state()
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DuplicateOffer) and world.state() == state


async def test_the_same_name_and_postal_code_is_a_note_and_saves_without_a_stop(
    world: World,
) -> None:
    world.service().create_contact(
        ContactDraft(first_name="Kim", last_name="Park", address={"postalCode": "46204"})
    )
    async with running(world) as pilot:
        before = set(world.contacts())
        await select_interaction(pilot, world.email.id)
        await pilot.press("n")
        await settle(pilot)
        await fill(pilot, "f-firstName", "Kim")
        await fill(pilot, "f-lastName", "Park")
        await fill(pilot, "f-address-postalCode", "46204")
        await wait_until(
            pilot,
            lambda: (
                "Kim Park (same name and postal code 46204)" in text_of(pilot, "#form-duplicates")
            ),
            "the soft note",
        )
        assert "Maybe already in Contacts" in "\n".join(screen_lines(pilot))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: _on_main(pilot), "the form to close")
        made = [c for cid, c in world.contacts().items() if cid not in before]
        assert [(c.first_name, c.last_name) for c in made] == [("Kim", "Park")]
