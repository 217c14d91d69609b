"""Keys in the contact form: every key lands where the focus is, in the order typed, however
fast the keys come; the caller's number is already in its slot; jump keys reach each section."""

from __future__ import annotations

import phonenumbers
import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input

from contact_tui.domain.model import ContactType, PhoneKind
from contact_tui.domain.suggest import phone_kind_for
from contact_tui.ui.screens.contact_form import ContactForm
from tests.factories import World
from tests.ui.pilot import (
    focus_on,
    is_form_open,
    main_screen,
    running,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
)


def burst(pilot: Pilot[None], *keys: str) -> None:
    """Send keys as a terminal delivers a burst: all queued at once, no pause between them
    (``pilot.press`` waits for the app to go idle after every key, so it cannot show this)."""
    driver = pilot.app._driver
    assert driver is not None
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else (" " if key == "space" else None))
        event.set_sender(pilot.app)
        driver.send_message(event)


async def drain(pilot: Pilot[None]) -> None:
    """Let a burst be handled through to the end (its save, if any, included)."""
    for _ in range(10):
        await settle(pilot)


# The seed walk: with the voice caller's row selected, a contact with first and last name, the
# cell phone with SMS, a work email and the survey opt-out, then save. Before the jump keys
# and the caller's number in Cell it took 26 keys that type no text (27 with the Down that
# selects the demo's caller): n, Tab x2 to Last name, Tab x6 to Cell, right to take the offer,
# Tab and space for SMS, Tab x3 to Work email, Tab x9 and space for the survey box, ctrl+s.
TYPED = "Pat" + "Kim" + "pat@kim.example"
SEED_WALK = (
    "n",
    *"Pat",
    "tab",
    "tab",
    *"Kim",
    "f5",  # Phones: the Cell field, which holds the caller's number
    "tab",
    "space",  # its SMS box
    "f6",  # Emails: Work
    *"pat@kim.example",
    "f8",  # the survey box
    "space",
    "ctrl+s",
)


def test_the_seed_walk_takes_ten_keys_that_type_no_text() -> None:
    assert len(SEED_WALK) - len(TYPED) == 10


async def test_the_seed_walk_sent_as_one_burst_saves_exactly_what_was_typed(
    world: World,
) -> None:
    async with running(world) as pilot:
        before = set(world.contacts())
        burst(pilot, *["down"] * 4, *SEED_WALK)  # the caller is the last of five rows
        await wait_until(
            pilot,
            lambda: world.interaction(world.unknown_call.id).contact_id not in before,
            "the save",
        )
        await drain(pilot)

        new = [c for c in world.contacts().values() if c.id not in before]
        assert len(new) == 1
        contact = new[0]
        assert (contact.first_name, contact.middle_name, contact.last_name) == ("Pat", "", "Kim")
        assert contact.type == ContactType.CURATED
        assert contact.cell_phone is not None
        assert contact.cell_phone.e164 == "+12125550100" and contact.cell_phone.accepts_sms
        assert contact.other_phone is None
        assert contact.work_email == "pat@kim.example"
        assert contact.survey_opt_out
        assert world.interaction(world.unknown_call.id).contact_id == contact.id
        assert not is_form_open(pilot)


async def test_letters_right_after_n_and_editing_keys_in_a_burst_act_where_typed(
    world: World,
) -> None:
    """The letters typed right after n, while the form is still opening, go to First name.
    Backspace and space are bindings of the focused widget, run when the key comes back up
    to the app: in a burst they must still act on the widget they were typed in."""
    async with running(world) as pilot:
        burst(pilot, "n", *"Patx", "backspace", "tab", "tab", *"Kim", "shift+tab", *"J")
        burst(pilot, "f5", "tab", "space", "tab", *"1", "backspace", "f8", "space")
        await drain(pilot)
        assert is_form_open(pilot)
        assert main_screen(pilot).interaction is not None
        assert (value_of(pilot, "#f-firstName"), value_of(pilot, "#f-middleName")) == ("Pat", "J")
        assert value_of(pilot, "#f-lastName") == "Kim"
        form = pilot.app.screen
        assert isinstance(form, ContactForm)
        # The selected row is a WhatsApp message, so no phone holds a number: F5 goes to Work.
        assert form.query_one("#sms-workPhone", Checkbox).value
        assert value_of(pilot, "#f-homePhone") == ""
        assert form.query_one("#survey", Checkbox).value


async def test_pilot_keys_without_pauses_fill_each_field(world: World) -> None:
    async with running(world) as pilot:
        await pilot.press("n", *"Ann", "tab", "tab", *"Lee", "tab", *"Boss", "ctrl+s")
        await wait_until(pilot, lambda: not is_form_open(pilot), "the form to close")
        saved = [c for c in world.contacts().values() if c.first_name == "Ann"]
        assert [(c.first_name, c.last_name, c.title) for c in saved] == [("Ann", "Lee", "Boss")]


# Each jump key and the section field it must focus (from First name, where the form opens).
JUMPS = (
    ("f5", "f-cellPhone"),
    ("alt+p", "f-cellPhone"),
    ("f6", "f-workEmail"),
    ("alt+m", "f-workEmail"),
    ("f7", "f-address-address1"),
    ("alt+a", "f-address-address1"),
    ("f8", "survey"),
    ("alt+s", "survey"),
)


async def test_the_callers_number_is_in_cell_and_jump_keys_reach_each_section(
    world: World,
) -> None:
    """One form on the voice caller, opened once: the number is in Cell, not Other, the help
    line shows every jump key, and each jump key, pressed from First name, focuses its
    section."""
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("n")
        await settle(pilot)
        assert value_of(pilot, "#f-cellPhone") == "+1 212-555-0100"
        assert all(
            pilot.app.screen.query_one(f"#f-{k.value}", Input).value == ""
            for k in PhoneKind
            if k != PhoneKind.CELL
        )
        form = pilot.app.screen
        assert isinstance(form, ContactForm) and not form.dirty  # Escape closes without asking

        help_line = text_of(pilot, "#form-help")
        for shown in ("f5/alt+p phones", "f6/alt+m emails", "f7/alt+a address", "f8/alt+s survey"):
            assert shown in help_line, f"{shown!r} not in the help line {help_line!r}"
        for key, focused in JUMPS:
            # Back to where the form opens (how is not under test), so every key must move.
            await focus_on(pilot, "f-firstName")
            await pilot.press(key)
            now = pilot.app.focused
            assert now is not None and now.id == focused, f"{key} focused {now!r}, not #{focused}"


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("+44 7911 123456", PhoneKind.CELL),  # UK mobile
        ("+1 212 555 0100", PhoneKind.CELL),  # US: fixed line or mobile
        ("+44 20 7946 0000", PhoneKind.WORK),  # UK fixed line
        ("+1 800 555 0100", PhoneKind.OTHER),  # toll free
        ("+44 7700 900123", PhoneKind.OTHER),  # a test range the plan does not know
    ],
)
def test_numbers_go_to_the_slot_of_their_kind_of_line(number: str, kind: PhoneKind) -> None:
    e164 = phonenumbers.format_number(
        phonenumbers.parse(number, None), phonenumbers.PhoneNumberFormat.E164
    )
    assert phone_kind_for(e164) == kind
