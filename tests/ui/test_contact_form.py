"""The contact form, driven with keys: Add to Contacts, Create New Contact, Edit, bad input,
and cancelling."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input, Static

from contact_tui.domain.draft import check_email, check_phone
from contact_tui.domain.model import ContactType, EmailKind, MatchKind, Platform
from contact_tui.domain.rules import RuleError, validate_name
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.main import MainScreen
from tests.factories import JO, KIM_WHATSAPP, World, whatsapp
from tests.ui.pilot import (
    fill,
    focus_on,
    interaction_table,
    is_form_open,
    main_screen,
    running,
    save_form,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
)


def rule_message(check: Callable[[], object]) -> str:
    """The message a domain rule gives for bad input (the form must show the same one)."""
    try:
        check()
    except RuleError as err:
        return str(err)
    raise AssertionError("the rule accepted input the test expected it to reject")


def message_classes(pilot: Pilot[None], field: str) -> set[str]:
    """The level classes (-error, -warning, -hint) and 'hidden' on a field's message line."""
    line = pilot.app.screen.query_one(f"#m-{field}", Static)
    return set(line.classes) & {"-error", "-warning", "-hint", "hidden"}


async def test_add_to_contacts_promotes_the_callers_ephemeral_contact_then_edit_bumps_it(
    world: World,
) -> None:
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    before = world.contact(ephemeral_id)
    assert before.type == ContactType.EPHEMERAL and before.other_phone is not None

    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        assert text_of(pilot, "#profile-badge").strip() == "EPHEMERAL"

        await pilot.press("a")
        await settle(pilot)
        assert is_form_open(pilot)
        assert "Add to Contacts" in text_of(pilot, "#form-title")
        # The caller's US number (fixed line or mobile) is moved from Other to Cell.
        assert value_of(pilot, "#f-otherPhone") == ""
        assert value_of(pilot, "#f-cellPhone") == before.other_phone.display
        assert pilot.app.focused is not None and pilot.app.focused.id == "f-firstName"

        await pilot.press(*"Dana")
        await fill(pilot, "f-lastName", "Reyes")
        await save_form(pilot)

        promoted = world.contact(ephemeral_id)
        assert promoted.type == ContactType.CURATED
        assert (promoted.first_name, promoted.last_name) == ("Dana", "Reyes")
        assert promoted.version == before.version + 1
        assert promoted.other_phone is None
        assert promoted.cell_phone is not None
        assert promoted.cell_phone.e164 == before.other_phone.e164
        assert world.interaction(world.unknown_call.id).contact_id == ephemeral_id
        await wait_until(
            pilot, lambda: text_of(pilot, "#profile-badge").strip() == "CURATED", "CURATED badge"
        )
        assert text_of(pilot, "#profile-name") == "Dana Reyes"

        # Add to Contacts no longer applies; Edit does.
        await pilot.press("e")
        await settle(pilot)
        assert is_form_open(pilot)
        assert "Edit contact" in text_of(pilot, "#form-title")
        await fill(pilot, "f-title", "Head buyer")
        await save_form(pilot)

        edited = world.contact(ephemeral_id)
        assert edited.title == "Head buyer"
        assert edited.version == promoted.version + 1
        assert edited.type == ContactType.CURATED
        await wait_until(
            pilot, lambda: "Head buyer" in text_of(pilot, "#profile-details"), "the new title"
        )


async def test_create_from_email_offers_the_sender_and_links_the_new_contact(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.email.id)
        await pilot.press("n")
        await settle(pilot)
        assert is_form_open(pilot)
        assert "New contact" in text_of(pilot, "#form-title")

        await pilot.press(*"Jo")
        await fill(pilot, "f-lastName", "Ng")
        await focus_on(pilot, "f-workEmail")
        assert value_of(pilot, "#f-workEmail") == ""
        assert JO in text_of(pilot, "#m-workEmail")
        assert "-hint" in message_classes(pilot, "workEmail")

        await pilot.press("right")
        assert value_of(pilot, "#f-workEmail") == JO
        await save_form(pilot)

        created = [
            c
            for c in world.contacts().values()
            if c.work_email == JO and c.type == ContactType.CURATED
        ]
        assert len(created) == 1
        contact = created[0]
        assert (contact.first_name, contact.last_name) == ("Jo", "Ng")
        assert contact.created_by == "alice"
        assert world.interaction(world.email.id).contact_id == contact.id
        await wait_until(
            pilot, lambda: text_of(pilot, "#profile-name") == "Jo Ng", "the new contact's profile"
        )
        assert text_of(pilot, "#profile-badge").strip() == "CURATED"


async def test_create_from_whatsapp_keeps_the_read_only_channel_identity(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.whatsapp.id)
        await pilot.press("n")
        await settle(pilot)
        assert is_form_open(pilot)

        identity = pilot.app.screen.query_one("#identity")
        assert isinstance(identity, Static) and not isinstance(identity, Input)
        assert not identity.can_focus
        line = text_of(pilot, "#identity")
        assert "WhatsApp" in line and "+447700900123" in line
        assert all("447700900123" not in i.value for i in pilot.app.screen.query(Input))

        await pilot.press(*"Kim")
        await fill(pilot, "f-lastName", "Park")
        await save_form(pilot)

        linked_id = world.interaction(world.whatsapp.id).contact_id
        assert linked_id is not None and linked_id != world.whatsapp.contact_id
        contact = world.contact(linked_id)
        assert contact.type == ContactType.CURATED
        assert (contact.first_name, contact.last_name) == ("Kim", "Park")
        identity_on_contact = contact.identity(Platform.WHATSAPP)
        assert identity_on_contact is not None
        assert identity_on_contact.ids == ("+447700900123",)

        # The new contact took the ephemeral one's place (issue 10, item 3): it is gone, so
        # when Kim writes again the message links the new contact alone, not a duplicate.
        assert world.service().repo.contact(world.whatsapp.contact_id or "") is None
        again = world.service().handle_interaction(whatsapp(KIM_WHATSAPP, "Kim"))
        assert again.match == MatchKind.SINGLE
        assert again.contact_id == contact.id
        await wait_until(
            pilot, lambda: interaction_table(pilot).row_count == 6, "the second message"
        )
        await select_interaction(pilot, again.id)
        await wait_until(
            pilot, lambda: text_of(pilot, "#profile-name") == "Kim Park", "Kim's profile"
        )
        assert "hidden" in pilot.app.screen.query_one("#candidates").classes


async def test_invalid_input_keeps_the_form_open_with_every_value_and_writes_nothing(
    world: World,
) -> None:
    async with running(world) as pilot:
        before = world.state()
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("n")
        await settle(pilot)
        assert is_form_open(pilot)

        await pilot.press(*"   ")
        await fill(pilot, "f-workPhone", "x123")
        await fill(pilot, "f-workEmail", "sam@")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert is_form_open(pilot)
        expected = {
            "firstName": rule_message(lambda: validate_name("   ", "First name", required=True)),
            "lastName": rule_message(lambda: validate_name("", "Last name", required=True)),
            "workPhone": rule_message(lambda: check_phone("x123", "US")),
            "workEmail": rule_message(lambda: check_email("sam@")),
        }
        for field, message in expected.items():
            assert text_of(pilot, f"#m-{field}") == message, field
            assert message_classes(pilot, field) == {"-error"}, field
        assert "hidden" in message_classes(pilot, "cellPhone")
        assert "4 fields need fixing" in text_of(pilot, "#form-banner")
        assert pilot.app.focused is not None and pilot.app.focused.id == "f-firstName"
        assert value_of(pilot, "#f-firstName") == "   "
        assert value_of(pilot, "#f-workPhone") == "x123"
        assert value_of(pilot, "#f-workEmail") == "sam@"
        assert world.state() == before

        # Fixed, with a number that is kept but not searchable: a warning, and it saves.
        await fill(pilot, "f-firstName", "Ann")
        await fill(pilot, "f-lastName", "Bee")
        await fill(pilot, "f-workPhone", "12")
        assert message_classes(pilot, "workPhone") == {"-warning"}
        assert text_of(pilot, "#m-workPhone") == check_phone("12", "US")[1]
        await fill(pilot, "f-workEmail", "sam@ex.co")
        await save_form(pilot)

        contacts = world.contacts()
        created = [c for c in contacts.values() if c.id not in before[0]]
        assert len(created) == 1
        phone = created[0].work_phone
        assert phone is not None and phone.display == "12" and not phone.searchable
        assert created[0].email(EmailKind.WORK) == "sam@ex.co"


async def test_escape_closes_an_unchanged_form_at_once_and_asks_first_on_a_changed_one(
    world: World,
) -> None:
    async with running(world) as pilot:
        before = world.state()
        await select_interaction(pilot, world.sam_call.id)
        for key, case in (("n", "create"), ("e", "edit")):
            await pilot.press(key)
            await settle(pilot)
            assert is_form_open(pilot), case
            form = pilot.app.screen
            assert isinstance(form, ContactForm), case
            assert not form.dirty, case
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(pilot.app.screen, MainScreen), case

        # Something typed: Escape asks, n keeps editing, y discards.
        await pilot.press("n")
        await settle(pilot)
        assert is_form_open(pilot)
        await pilot.press(*"Ann")

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        assert "Discard" in text_of(pilot, ".dialog-text")

        await pilot.press("n")
        await settle(pilot)
        assert is_form_open(pilot)
        assert value_of(pilot, "#f-firstName") == "Ann"

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert not any(isinstance(s, ContactForm) for s in pilot.app.screen_stack)
        assert world.state() == before
        assert main_screen(pilot).service is not None
