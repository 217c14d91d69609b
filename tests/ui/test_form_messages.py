"""What the contact form shows: only the interaction's own contact gets its identity and
offers, the default country and numbers already on other contacts are said before saving,
errors are the loudest thing in any colour system, and messages go when they stop being true."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from contact_tui.domain.model import Platform
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.directory import ContactCard, DirectoryScreen
from contact_tui.ui.screens.duplicate_offer import DuplicateOffer
from contact_tui.ui.widgets.suggest_input import OfferingInput
from contact_tui.ui.widgets.tick import Tick
from tests.factories import World
from tests.ui.pilot import (
    fill,
    focus_on,
    is_form_open,
    running,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
)


def form_of(screen: object) -> ContactForm:
    """The active screen, which must be the contact form."""
    assert isinstance(screen, ContactForm)
    return screen


async def test_editing_another_contact_from_the_directory_shows_none_of_the_conversation(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.whatsapp.id)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "directory")
        await fill(pilot, "directory-search", "Sam Lee")
        table = pilot.app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the search result")
        await pilot.press("down", "f4")
        await wait_until(pilot, lambda: is_form_open(pilot), "the form")

        form = form_of(pilot.app.screen)
        assert not form.query("#identity"), "the WhatsApp sender's identity is shown"
        assert all(not field.offers for field in form.query(OfferingInput))
        assert "447700900123" not in "".join(str(s.render()) for s in form.query(Static))


async def test_a_number_already_on_another_contact_is_named_with_a_key_to_see_them(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.email.id)
        await pilot.press("n")
        await settle(pilot)
        # Typing and Tab are not under test here (tests/ui/test_form_keys.py proves them).
        await fill(pilot, "f-firstName", "Jo")
        await fill(pilot, "f-lastName", "Ng")
        await fill(pilot, "f-workPhone", "317 555 0123")  # Sam Lee's cell, written as local
        await wait_until(
            pilot, lambda: "Sam Lee" in text_of(pilot, "#m-workPhone"), "the holder warning"
        )
        line = pilot.app.screen.query_one("#m-workPhone", Static)
        assert "-warning" in line.classes and "-error" not in line.classes
        assert "f9" in text_of(pilot, "#m-workPhone")

        await pilot.press("f9")
        await settle(pilot)
        card = pilot.app.screen
        assert isinstance(card, ContactCard) and card.contact.id == world.sam.id
        await pilot.press("escape")
        await settle(pilot)
        assert value_of(pilot, "#f-workPhone") == "317 555 0123"

        # A warning, not an error: Save stops with the duplicate offer (tests/ui/
        # test_duplicates.py walks each key), and s saves it: both contacts hold the number.
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DuplicateOffer), "the offer")
        await pilot.press("s")
        await wait_until(
            pilot, lambda: not isinstance(pilot.app.screen, (ContactForm, DuplicateOffer)), "save"
        )
        linked = world.interaction(world.email.id).contact_id
        assert linked is not None
        saved = world.contact(linked)
        assert saved.work_phone is not None and saved.work_phone.e164 == "+13175550123"


async def test_editing_a_contact_does_not_warn_about_its_own_number(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("e")
        await settle(pilot)
        assert value_of(pilot, "#f-cellPhone") == world.sam.cell_phone.display  # type: ignore[union-attr]
        await settle(pilot)
        assert "hidden" in pilot.app.screen.query_one("#m-cellPhone", Static).classes


async def test_errors_are_louder_than_warnings_and_hints_without_colour(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.email.id)
        await pilot.press("n")
        await settle(pilot)
        await fill(pilot, "f-workPhone", "12")  # kept, not searchable: a warning
        await focus_on(pilot, "f-workEmail")  # a hint: the sender's address is offered
        await pilot.press("ctrl+s")  # First and Last name missing: errors
        await settle(pilot)
        form = form_of(pilot.app.screen)

        def style(field: str) -> set[str]:
            text_style = form.query_one(f"#m-{field}", Static).styles.text_style
            return {s for s in ("bold", "reverse", "italic") if s in str(text_style)}

        assert style("firstName") == {"bold", "reverse"}  # a bar even in monochrome
        assert style("workPhone") == {"bold"}
        await focus_on(pilot, "f-personalEmail")
        assert style("personalEmail") == {"italic"}
        banner = form.query_one("#form-banner", Static)
        assert {"bold", "reverse"} <= set(str(banner.styles.text_style).split())


async def test_the_fields_to_fix_banner_counts_down_and_goes(world: World) -> None:
    async with running(world) as pilot:
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        banner = pilot.app.screen.query_one("#form-banner", Static)
        assert text_of(pilot, "#form-banner").startswith("2 fields need fixing")

        await pilot.press(*"Ann")
        assert text_of(pilot, "#form-banner").startswith("1 field needs fixing")
        await fill(pilot, "f-lastName", "Lee")
        assert "hidden" in banner.classes
        assert "hidden" in pilot.app.screen.query_one("#m-lastName", Static).classes

        # Emptied again: the field's own error is back, and counted again only on Save.
        await pilot.press("home", "ctrl+k")
        assert "hidden" not in pilot.app.screen.query_one("#m-lastName", Static).classes
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(pilot, "#form-banner").startswith("1 field needs fixing")


async def test_a_new_form_from_a_message_shows_its_identity_the_country_and_plain_ticks(
    world: World,
) -> None:
    """One new form on the WhatsApp message: it still shows the message's identity, says the
    default country before saving, and its checkboxes show on and off without colour."""
    async with running(world) as pilot:
        await select_interaction(pilot, world.whatsapp.id)
        await pilot.press("n")
        await settle(pilot)
        assert Platform.WHATSAPP.value.lower() in text_of(pilot, "#identity").lower()
        assert "Numbers without + are taken as +1 (US)." in text_of(pilot, "#section-phones")

        await pilot.press("f8")
        box = pilot.app.screen.query_one("#survey", Tick)
        off = box.render()
        await pilot.press("space")
        assert box.value
        on = box.render()
        assert str(off) != str(on)
        assert "X" in str(on) and "X" not in str(off)
