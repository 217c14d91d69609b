"""Choosing among several matching contacts, unlinking, and linking from the directory."""

from __future__ import annotations

from datetime import timedelta

from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList

from contact_tui.domain.model import Channel, InteractionState, MatchKind, Participant
from contact_tui.service import NewInteraction
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.main import MainScreen
from tests.factories import AGENT, World
from tests.ui.pilot import main_screen, running, select_interaction, settle, text_of, wait_until


def candidates(pilot: Pilot[None]) -> OptionList:
    """The profile pane's list of matching contacts."""
    return main_screen(pilot).query_one("#candidates", OptionList)


async def test_the_candidates_start_on_the_linked_one_and_choosing_another_links_it(
    world: World,
) -> None:
    assert world.shared_call.match == MatchKind.MULTIPLE
    assert world.shared_call.contact_id == world.pat_first.id

    async with running(world) as pilot:
        await select_interaction(pilot, world.shared_call.id)
        options = candidates(pilot)
        assert "hidden" not in options.classes
        assert options.option_count == 2
        assert [options.get_option_at_index(i).id for i in range(2)] == [
            world.pat_first.id,
            world.pat_second.id,
        ]
        assert "2 contacts match" in text_of(pilot, "#profile-matches")
        assert text_of(pilot, "#profile-name") == "Pat Jones"

        await pilot.press("shift+tab")
        assert pilot.app.focused is options
        assert options.highlighted == 0  # the list starts on the linked contact
        while options.highlighted != 1:
            await pilot.press("down")
            assert options.highlighted is not None
        await pilot.press("enter")
        await settle(pilot)

        await wait_until(
            pilot,
            lambda: world.interaction(world.shared_call.id).contact_id == world.pat_second.id,
            "the link to the second contact",
        )
        await wait_until(
            pilot, lambda: text_of(pilot, "#profile-name") == "Pat Smith", "Pat Smith's profile"
        )
        stored = world.interaction(world.shared_call.id)
        assert stored.candidate_ids == (world.pat_first.id, world.pat_second.id)


async def test_tab_moves_from_the_interaction_table_to_the_next_pane(world: World) -> None:
    async with running(world) as pilot:
        table = main_screen(pilot).query_one("#interaction-list")
        assert pilot.app.focused is table
        await pilot.press("tab")
        assert pilot.app.focused is not table


async def test_unlink_then_link_sam_from_the_directory(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        assert text_of(pilot, "#profile-name") == "Sam Lee"

        await pilot.press("u")
        await wait_until(
            pilot,
            lambda: world.interaction(world.sam_call.id).contact_id is None,
            "the unlink to be stored",
        )
        await wait_until(
            pilot,
            lambda: text_of(pilot, "#profile-name") == "No contact is linked to this interaction.",
            "the profile to say no contact is linked",
        )
        assert text_of(pilot, "#profile-badge").strip() == "NO CONTACT"
        screen = main_screen(pilot)
        assert screen.check_action("unlink", ()) is False
        assert screen.check_action("add_to_contacts", ()) is False

        await pilot.press("l")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen) and directory.picking
        assert "Pick a contact to link" in text_of(pilot, "#directory-title")
        assert pilot.app.focused is directory.query_one("#directory-search")

        await pilot.press(*"Sam")
        # The search waits for typing to stop (0.15 s); wait for it to have run, not longer.
        await wait_until(pilot, lambda: directory._shown[0] == "Sam", "the search for Sam")
        results = directory.query_one("#directory-results", DataTable)
        await wait_until(pilot, lambda: results.row_count == 1, "one search result")
        assert text_of(pilot, "#directory-summary") == "1 match (by name)."

        await pilot.press("down")
        assert pilot.app.focused is results
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: world.interaction(world.sam_call.id).contact_id == world.sam.id,
            "the link to Sam",
        )
        assert isinstance(pilot.app.screen, MainScreen)
        await wait_until(
            pilot, lambda: text_of(pilot, "#profile-name") == "Sam Lee", "Sam's profile"
        )
        assert text_of(pilot, "#profile-badge").strip() == "CURATED"


async def test_escape_in_the_directory_links_nothing(world: World) -> None:
    async with running(world) as pilot:
        before = world.state()
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DirectoryScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert world.state() == before


async def test_ending_an_interaction_stores_it_ended_and_hides_the_key(world: World) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        screen = main_screen(pilot)
        assert screen.check_action("end_interaction", ()) is True
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog), "x must ask before ending"
        assert world.interaction(world.sam_call.id).state != InteractionState.ENDED
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: world.interaction(world.sam_call.id).state == InteractionState.ENDED,
            "the interaction to be stored ended",
        )
        await wait_until(
            pilot,
            lambda: screen.check_action("end_interaction", ()) is False,
            "End to stop applying",
        )
        assert world.interaction(world.sam_call.id).ended_at == world.clock.now
        assert "4 open, 5 in all" in text_of(pilot, "#interactions-title")


async def test_another_interactions_details_start_at_the_top(world: World) -> None:
    def long_email(sender: str) -> NewInteraction:
        lines = tuple(f"{sender} line {n}" for n in range(80))
        return NewInteraction(AGENT, Channel.EMAIL, Participant(sender), transcript=lines)

    older = world.service().handle_interaction(long_email("older@example.com"))
    world.clock.now += timedelta(minutes=1)
    newer = world.service().handle_interaction(long_email("newer@example.com"))
    async with running(world, rows=7) as pilot:
        await select_interaction(pilot, newer.id)
        detail = main_screen(pilot).query_one("#interaction-detail", VerticalScroll)
        detail.scroll_end(animate=False)
        await settle(pilot)
        assert detail.scroll_y > 0
        await select_interaction(pilot, older.id)
        assert detail.scroll_y == 0
