"""Two agents editing one contact: the later save is stopped, and reloading keeps both edits."""

from __future__ import annotations

from contact_tui.domain.draft import ContactDraft
from contact_tui.ui.screens.dialogs import ConfirmDialog
from tests.ui.conftest import (
    World,
    is_form_open,
    replace_text,
    running,
    save_form,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
)


async def test_a_conflicting_save_asks_then_reloads_onto_the_other_agents_version(
    world: World,
) -> None:
    sam_id = world.sam.id
    assert world.contact(sam_id).version == 1

    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("e")
        await settle(pilot)
        assert is_form_open(pilot)
        assert "version 1" in text_of(pilot, "#form-title")

        # Meanwhile bob, in another session, gives Sam a title.
        bob = world.service("bob")
        theirs = ContactDraft.from_contact(bob.contact(sam_id))
        theirs.title = "Dr"
        assert bob.edit(sam_id, theirs, 1).version == 2

        await replace_text(pilot, "f-lastName", "Leeson")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "the conflict question"
        )
        question = text_of(pilot, ".dialog-text")
        assert "bob" in question and "version 2" in question
        assert world.contact(sam_id).last_name == "Lee"

        await pilot.press("y")
        await wait_until(
            pilot, lambda: "Reloaded" in text_of(pilot, "#form-banner"), "the reload banner"
        )
        assert is_form_open(pilot)
        banner = text_of(pilot, "#form-banner")
        assert "version 2" in banner and "bob" in banner
        assert "version 2" in text_of(pilot, "#form-title")
        assert value_of(pilot, "#f-title") == "Dr"
        assert value_of(pilot, "#f-lastName") == "Leeson"
        assert value_of(pilot, "#f-firstName") == "Sam"

        await save_form(pilot)
        saved = world.contact(sam_id)
        assert (saved.title, saved.last_name, saved.first_name) == ("Dr", "Leeson", "Sam")
        assert saved.version == 3
        assert saved.modified_by == "alice"
        await wait_until(
            pilot, lambda: text_of(pilot, "#profile-name") == "Sam Leeson", "the saved name"
        )


async def test_keeping_a_conflicting_form_as_is_saves_nothing_and_keeps_the_entries(
    world: World,
) -> None:
    sam_id = world.sam.id
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("e")
        await settle(pilot)

        bob = world.service("bob")
        theirs = ContactDraft.from_contact(bob.contact(sam_id))
        theirs.title = "Dr"
        bob.edit(sam_id, theirs, 1)

        await replace_text(pilot, "f-lastName", "Leeson")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "the conflict question"
        )
        await pilot.press("n")
        await settle(pilot)

        assert is_form_open(pilot)
        assert "Not saved" in text_of(pilot, "#form-banner")
        assert value_of(pilot, "#f-lastName") == "Leeson"
        assert value_of(pilot, "#f-title") == ""
        stored = world.contact(sam_id)
        assert (stored.version, stored.title, stored.last_name) == (2, "Dr", "Lee")
