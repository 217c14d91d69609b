"""Two agents on one contact: the later save is stopped, and the dialog shows what each of them
changed, lets the agent pick per field, overwrite, or see theirs; and a promote race offers to
carry the typed values onto the contact the other agent added first."""

from __future__ import annotations

from textual.pilot import Pilot

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import ContactType, EmailKind, Permission
from contact_tui.ui.screens.conflict import ConflictDialog
from contact_tui.ui.screens.contact_form import ContactForm
from tests.factories import AGENT, World
from tests.ui.pilot import (
    fill,
    is_form_open,
    running,
    save_form,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
)


def bob_edits_sam(world: World) -> None:
    """Bob, in another session on the same store, changes Sam's title and first name (which
    alice changes too) and his work email (which she leaves alone)."""
    bob = world.service("bob")
    theirs = ContactDraft.from_contact(bob.contact(world.sam.id))
    theirs.title = "Ops manager"
    theirs.first_name = "Samuel"
    theirs.emails[EmailKind.WORK] = "sam@work.example"
    assert bob.edit(world.sam.id, theirs, 1).version == 2


async def alice_saves_into_a_conflict(pilot: Pilot[None], world: World) -> None:
    """Alice opens Sam's form, bob saves meanwhile, alice changes the title, first and last
    names and saves: the conflict dialog opens."""
    await select_interaction(pilot, world.sam_call.id)
    await pilot.press("e")
    await settle(pilot)
    assert is_form_open(pilot)
    bob_edits_sam(world)
    await fill(pilot, "f-firstName", "Sammy")
    await fill(pilot, "f-lastName", "Leeson")
    await fill(pilot, "f-title", "Director")
    await pilot.press("ctrl+s")
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, ConflictDialog), "the conflict dialog"
    )


async def test_fields_both_changed_are_shown_side_by_side_and_picked_one_by_one(
    world: World,
) -> None:
    async with running(world) as pilot:
        await alice_saves_into_a_conflict(pilot, world)
        assert world.contact(world.sam.id).title == "Ops manager"  # nothing of alice's saved

        seen = "\n".join(screen_lines(pilot))
        assert "bob saved Sam Lee while you were editing" in seen and "version 2" in seen
        assert "Theirs (bob)" in seen
        for value in ("Director", "Ops manager", "Sammy", "Samuel"):
            assert value in seen, f"{value} is not on screen:\n{seen}"
        others = text_of(pilot, "#conflict-others")
        assert "Only bob changed: Work email" in others
        assert "Only you changed: Last name" in others

        # First row: First name (form order). Keep alice's there; take bob's title.
        await pilot.press("down", "right")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: is_form_open(pilot), "the form again")
        assert value_of(pilot, "#f-firstName") == "Sammy"
        assert value_of(pilot, "#f-title") == "Ops manager"
        assert value_of(pilot, "#f-lastName") == "Leeson"
        assert value_of(pilot, "#f-workEmail") == "sam@work.example"
        assert "Merged onto version 2 (bob" in text_of(pilot, "#form-banner")
        assert "version 2" in text_of(pilot, "#form-title")

        await save_form(pilot)
        saved = world.contact(world.sam.id)
        assert (saved.first_name, saved.last_name, saved.title, saved.work_email) == (
            "Sammy",
            "Leeson",
            "Ops manager",
            "sam@work.example",
        )
        assert (saved.version, saved.modified_by) == (3, AGENT)


async def test_space_switches_a_field_and_m_takes_mine_back(world: World) -> None:
    async with running(world) as pilot:
        await alice_saves_into_a_conflict(pilot, world)
        await pilot.press("space", "space", "space", "down", "t", "m")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: is_form_open(pilot), "the form again")
        assert value_of(pilot, "#f-firstName") == "Samuel"
        assert value_of(pilot, "#f-title") == "Director"


async def test_overwrite_with_mine_saves_the_form_as_it_is_and_audits_it_as_an_edit(
    world: World,
) -> None:
    async with running(world) as pilot:
        await alice_saves_into_a_conflict(pilot, world)
        await pilot.press("o")
        await wait_until(pilot, lambda: not is_form_open(pilot), "the form to close")
        await settle(pilot)

    saved = world.contact(world.sam.id)
    assert (saved.first_name, saved.last_name, saved.title, saved.work_email) == (
        "Sammy",
        "Leeson",
        "Director",
        "",  # bob's change, overwritten: the form held none
    )
    assert (saved.version, saved.modified_by) == (3, AGENT)
    last = world.service().audit(world.sam.id)[-1]
    assert (last.action, last.agent, last.version) == ("edit", AGENT, 3)
    assert {"title", "workEmail"} <= set(last.fields)


async def test_back_from_the_conflict_keeps_the_entries_then_see_theirs_saves_nothing(
    world: World,
) -> None:
    """Back (Escape) keeps alice's entries and Ctrl+S asks again; in that same dialog, See
    theirs puts bob's version in the form and saves nothing."""
    async with running(world) as pilot:
        await alice_saves_into_a_conflict(pilot, world)
        await pilot.press("escape")
        await wait_until(pilot, lambda: is_form_open(pilot), "the form again")
        banner = text_of(pilot, "#form-banner")
        assert "Not saved" in banner and "bob" in banner
        assert value_of(pilot, "#f-title") == "Director"
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, ConflictDialog), "the dialog again"
        )
        stored = world.contact(world.sam.id)
        assert (stored.version, stored.title) == (2, "Ops manager")

        await pilot.press("s")
        await wait_until(pilot, lambda: is_form_open(pilot), "the form with theirs")
        assert value_of(pilot, "#f-firstName") == "Samuel"
        assert value_of(pilot, "#f-title") == "Ops manager"
        assert value_of(pilot, "#f-workEmail") == "sam@work.example"
        assert "Showing version 2" in text_of(pilot, "#form-banner")
        # What is shown is what is stored: Escape closes without asking.
        await pilot.press("escape")
        await wait_until(pilot, lambda: not is_form_open(pilot), "the form to close")
    assert world.contact(world.sam.id).version == 2


async def bob_promotes_first(pilot: Pilot[None], world: World) -> str:
    """Alice opens Add to Contacts on the unknown caller and types a name; bob adds the same
    ephemeral contact to Contacts meanwhile; alice saves. Returns the contact's id."""
    contact_id = world.unknown_call.contact_id
    assert contact_id is not None
    await select_interaction(pilot, world.unknown_call.id)
    await pilot.press("a")
    await settle(pilot)
    assert is_form_open(pilot)
    bob = world.service("bob")
    ephemeral = bob.contact(contact_id)
    theirs = ContactDraft.from_contact(ephemeral)
    theirs.first_name, theirs.last_name, theirs.title = "Robin", "Banks", "Buyer"
    bob.promote(contact_id, theirs, ephemeral.version)
    await fill(pilot, "f-firstName", "Pat")
    await fill(pilot, "f-lastName", "Kim")
    await pilot.press("ctrl+s")
    return contact_id


async def test_a_promote_race_names_who_and_carries_the_entries_on_as_an_edit(
    world: World,
) -> None:
    async with running(world) as pilot:
        contact_id = await bob_promotes_first(pilot, world)
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, ConflictDialog), "the promote race"
        )
        assert "bob added this contact to Contacts first, as Robin Banks" in text_of(
            pilot, "#conflict-who"
        )
        assert "Only bob changed: Title" in text_of(pilot, "#conflict-others")
        await pilot.press("enter")
        await wait_until(pilot, lambda: is_form_open(pilot), "the form again")
        title = text_of(pilot, "#form-title")
        assert title.startswith("Edit contact"), title
        assert value_of(pilot, "#f-title") == "Buyer"
        await save_form(pilot)

    saved = world.contact(contact_id)
    assert saved.type == ContactType.CURATED
    assert (saved.first_name, saved.last_name, saved.title) == ("Pat", "Kim", "Buyer")
    audit = world.service().audit(contact_id)
    assert [(a.action, a.agent) for a in audit[-2:]] == [("promote", "bob"), ("edit", AGENT)]


async def test_a_promote_race_without_edit_says_who_and_saves_nothing(world: World) -> None:
    async with running(world, Permission.VIEW, Permission.PROMOTE) as pilot:
        contact_id = await bob_promotes_first(pilot, world)
        await wait_until(pilot, lambda: "bob added" in text_of(pilot, "#form-banner"), "the banner")
        assert isinstance(pilot.app.screen, ContactForm)
        assert "may not edit" in text_of(pilot, "#form-banner")
    saved = world.contact(contact_id)
    assert (saved.first_name, saved.modified_by) == ("Robin", "bob")
