"""The duplicate offer at 80x24 (issue 13): a save whose number another contact holds stops
and offers, one key each, to open that contact, link the interaction to it instead, merge the
caller's contact into it (Add to Contacts, with the merge permission), or save anyway; Escape
goes back with every entry kept. A same-name match is a note, not a stop."""

from __future__ import annotations

from textual.pilot import Pilot

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import EmailKind, Permission, PhoneKind
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.directory import ContactCard
from contact_tui.ui.screens.duplicate_offer import DuplicateOffer
from contact_tui.ui.screens.main import MainScreen
from tests.factories import UNKNOWN_CALLER, World
from tests.ui.pilot import (
    fill,
    main_screen,
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


async def test_the_offer_says_who_and_why_o_opens_the_stored_contact_and_escape_keeps_entries(
    world: World,
) -> None:
    """The offer's text, o (the stored contact, then Escape back to the form), and Escape from
    the offer (back to the form): the entries are kept, nothing is written, and Save asks
    again. One app run: none of these writes anything."""
    async with running(world) as pilot:
        state = world.state()
        await _new_contact_with_sams_number(pilot, world)
        seen = "\n".join(screen_lines(pilot))
        assert "Sam Lee" in seen and "has the number +13175550123" in seen
        for words in ("o open it", "l link this interaction to it instead", "s save anyway"):
            assert words in seen, words
        assert "esc back to the form" in seen

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

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DuplicateOffer), "the offer")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactForm), "the form")
        assert value_of(pilot, "#f-lastName") == "Ng"
        assert world.state() == state
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DuplicateOffer), "the offer")


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


def _caller_already_in_contacts(world: World) -> str:
    """Dana Reyes, a curated contact, already has the unknown caller's number: the caller's
    ephemeral contact is her, and Add to Contacts would make her twice. Returns her id."""
    dana = world.service().create_contact(
        ContactDraft(
            first_name="Dana",
            last_name="Reyes",
            phones={PhoneKind.CELL: PhoneDraft(UNKNOWN_CALLER)},
        )
    )
    return dana.id


async def _add_the_caller_to_contacts(pilot: Pilot[None], world: World) -> None:
    """On the unknown call, a (Add to Contacts), a name filled in, Ctrl+S: the offer."""
    await select_interaction(pilot, world.unknown_call.id)
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactForm), "the form")
    await fill(pilot, "f-firstName", "Robin")
    await fill(pilot, "f-lastName", "Fox")
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DuplicateOffer), "the offer")


def _shown_id(pilot: Pilot[None]) -> str | None:
    """The id of the contact the main screen shows."""
    contact = main_screen(pilot).contact
    return contact.id if contact is not None else None


async def test_m_merges_the_callers_contact_into_the_stored_one(
    world: World, told: list[str]
) -> None:
    dana_id = _caller_already_in_contacts(world)
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    async with running(world) as pilot:
        await _add_the_caller_to_contacts(pilot, world)
        seen = "\n".join(screen_lines(pilot))
        assert "Dana Reyes" in seen and "has the number +12125550100" in seen
        assert "m merge the" in seen and "(your typed changes are not saved)" in seen
        # The line wraps at 80 columns; unwrapped, it says what m does.
        assert "m merge the caller's contact into it (your typed changes are not saved)" in text_of(
            pilot, "#duplicate-keys"
        )
        await pilot.press("m")
        await wait_until(pilot, lambda: _on_main(pilot), "the form to close")
        await wait_until(pilot, lambda: _shown_id(pilot) == dana_id, "the main screen on Dana")
        assert "Dana Reyes" in "\n".join(screen_lines(pilot))
        # Said after the form's refresh: waited for, or the app may close before it is said.
        await wait_until(pilot, lambda: any("into Dana Reyes" in m for m in told), "the notice")
    contacts = world.contacts()
    assert ephemeral_id not in contacts  # merged away
    assert world.interaction(world.unknown_call.id).contact_id == dana_id
    # The typed first name was not applied: the merge takes the stored contacts only.
    assert contacts[dana_id].first_name == "Dana"
    assert contacts[dana_id].cell_phone == world.contact(dana_id).cell_phone
    assert any(m.startswith("Merged ") and "into Dana Reyes" in m for m in told), told


async def test_without_the_merge_permission_m_is_not_offered(world: World) -> None:
    _caller_already_in_contacts(world)
    lacking = tuple(p for p in Permission if p != Permission.MERGE)
    async with running(world, *lacking) as pilot:
        await _add_the_caller_to_contacts(pilot, world)
        seen = "\n".join(screen_lines(pilot))
        assert "Dana Reyes" in seen and "s save anyway" in seen
        assert "merge" not in seen.lower()
        state = world.state()
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DuplicateOffer) and world.state() == state


async def test_a_merge_refused_for_a_collision_is_said_and_the_entries_stay(world: World) -> None:
    # Fay has the address typed below, and all four phone slots full: the caller's number
    # would have no room on her, so the merge is refused until someone chooses (contact merge).
    world.service().create_contact(
        ContactDraft(
            first_name="Fay",
            last_name="Full",
            phones={
                PhoneKind.WORK: PhoneDraft("+1 317 555 0101"),
                PhoneKind.HOME: PhoneDraft("+1 317 555 0102"),
                PhoneKind.CELL: PhoneDraft("+1 317 555 0103"),
                PhoneKind.OTHER: PhoneDraft("+1 317 555 0104"),
            },
            emails={EmailKind.WORK: "fay@example.com"},
        )
    )
    async with running(world) as pilot:
        state = world.state()
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactForm), "the form")
        await fill(pilot, "f-firstName", "Robin")
        await fill(pilot, "f-lastName", "Fox")
        await fill(pilot, "f-workEmail", "fay@example.com")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DuplicateOffer), "the offer")
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContactForm), "the form")
        await wait_until(
            pilot, lambda: "Not merged:" in text_of(pilot, "#form-banner"), "the refusal"
        )
        banner = text_of(pilot, "#form-banner")
        assert "Nothing was merged." in banner and "Your entries are still here" in banner
        assert value_of(pilot, "#f-firstName") == "Robin"
        assert value_of(pilot, "#f-workEmail") == "fay@example.com"
        assert world.state() == state
        await pilot.press("ctrl+s")  # the form takes Save again: the offer is back
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DuplicateOffer), "the offer")
