"""Merging on screen (issue 13), keys only at 80x24: an unknown caller's ephemeral contact
merged into the customer, the next call from that number recognised, the merge undone; a
collision chosen in the preview; two curated contacts merged from the directory with a field
chosen; and an agent without the merge permission, or a viewer, merging nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    AuditAction,
    AuditRecord,
    Contact,
    ContactType,
    Permission,
    PhoneKind,
)
from contact_tui.domain.present import counted
from contact_tui.service import UnmergeOutcome
from contact_tui.ui.render import contact_history, merge_entry
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.directory import ContactCard, DirectoryScreen
from contact_tui.ui.screens.main import MainScreen
from contact_tui.ui.screens.merge import (
    MergeScreen,
    MergesScreen,
    standing_merges,
    takes,
    unmerge_lines,
)
from tests.factories import AGENT, UNKNOWN_CALLER, World, voice
from tests.ui.pilot import (
    assert_no_terminal_commands,
    interaction_table,
    main_screen,
    running,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
    write_raw,
)

# The unknown caller's number as the preview and the profile show it.
UNKNOWN_SHOWN = "+1 212-555-0100"


async def pick_in_directory(pilot: Pilot[None], text: str, rows: int) -> DirectoryScreen:
    """Type ``text`` over the prefilled search, wait for ``rows`` results, Enter twice (to the
    results, then pick the first)."""
    directory = pilot.app.screen
    assert isinstance(directory, DirectoryScreen)
    await pilot.press(*text)
    await wait_until(pilot, lambda: directory._shown[0] == text, f"the search for {text}")
    results = directory.query_one("#directory-results", DataTable)
    await wait_until(pilot, lambda: results.row_count == rows, f"{rows} result(s)")
    await pilot.press("enter")
    assert pilot.app.focused is results
    await pilot.press("enter")
    return directory


async def preview(pilot: Pilot[None]) -> MergeScreen:
    """The merge preview, once the service's plan shows."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, MergeScreen), "the preview")
    screen = pilot.app.screen
    assert isinstance(screen, MergeScreen)
    await wait_until(pilot, lambda: screen.plan is not None and not screen.busy, "the plan")
    return screen


async def to_row(pilot: Pilot[None], screen: MergeScreen, group: str) -> None:
    """Move the preview's cursor to the row of ``group`` with the arrow keys."""
    table = screen.query_one("#merge-fields", DataTable)
    assert pilot.app.focused is table
    steps = table.get_row_index(group) - table.cursor_row
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
    assert screen.highlighted_group == group


async def test_unknown_caller_merged_into_the_customer_next_call_recognised_then_undone(
    world: World,
) -> None:
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    ephemeral_before = world.contact(ephemeral_id)
    sam_before = world.contact(world.sam.id)
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        assert text_of(pilot, "#profile-badge").strip() == "EPHEMERAL"
        assert main_screen(pilot).check_action("merge", ()) is True

        await pilot.press("m")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen) and directory.merging is not None
        assert "Pick the customer to merge" in text_of(pilot, "#directory-title")
        # Prefilled with what the interaction knows (no name: the number), selected.
        assert value_of(pilot, "#directory-search") == UNKNOWN_SHOWN
        # The caller's own contact is the only one holding the number, and is left out.
        await wait_until(pilot, lambda: directory._shown[0] == UNKNOWN_SHOWN, "the search")
        assert directory.results == []

        await pick_in_directory(pilot, "Sam", rows=1)
        screen = await preview(pilot)
        assert screen.keep_id == world.sam.id and screen.other_id == ephemeral_id
        shown = "\n".join(screen_lines(pilot))
        assert "Moves: phone +1 212" in shown, shown
        assert "1 interaction will be relinked" in shown
        assert screen.check_action("confirm", ()) is True

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the merge")
        await wait_until(
            pilot, lambda: text_of(pilot, "#profile-name") == "Sam Lee", "Sam on the profile"
        )
        assert text_of(pilot, "#profile-badge").strip() == "CURATED"
        assert UNKNOWN_SHOWN in text_of(pilot, "#profile-details")
        notice = text_of(pilot, "#notices")
        assert "Merged" in notice and "into Sam Lee" in notice and "press M" in notice, notice
        assert world.interaction(world.unknown_call.id).contact_id == world.sam.id

        # The next call from that number is recognised as Sam.
        world.clock.now += timedelta(minutes=1)
        again = world.service().handle_interaction(voice(UNKNOWN_CALLER))
        assert again.contact_id == world.sam.id
        await wait_until(pilot, lambda: interaction_table(pilot).row_count == 6, "the new call")
        await select_interaction(pilot, again.id)
        assert text_of(pilot, "#profile-name") == "Sam Lee"
        # Sam's history shows the merge among the calls, and the key that undoes it.
        await wait_until(
            pilot, lambda: "Merged in" in text_of(pilot, "#profile-history"), "the merge"
        )
        history = text_of(pilot, "#profile-history")
        assert "M: undo a merge" in history, history
        assert f"Merge  {AGENT}" in history and f"Merged in {UNKNOWN_SHOWN} (Ephemeral)" in history

        # Undo the merge from Sam's profile: Enter on the question keeps it (the default).
        await pilot.press("M")
        await settle(pilot)
        merges = pilot.app.screen
        assert isinstance(merges, MergesScreen)
        options = merges.query_one("#merges", OptionList)
        await wait_until(pilot, lambda: options.option_count == 1, "the merge listed")
        # Listed as the history shows it: one helper renders a merge for both.
        [record] = standing_merges(world.service().audit(world.sam.id))
        prompt = options.get_option_at_index(0).prompt
        assert isinstance(prompt, Text) and prompt.plain == merge_entry(record).plain
        assert prompt.plain in contact_history([], merges=[record]).plain
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "the ask")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen is merges, "the answer: keep")
        assert world.interaction(world.unknown_call.id).contact_id == world.sam.id
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "the ask")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the unmerge")
        await wait_until(pilot, lambda: "Undid" in text_of(pilot, "#notices"), "the notice")
        notice = text_of(pilot, "#notices")
        assert "Undid the merge" in notice and "1 later interaction from" in notice, notice
        # The call after the merge came from the number the caller's contact holds again: it
        # shows that contact now, and Sam's history no longer shows the merge.
        await wait_until(
            pilot, lambda: text_of(pilot, "#profile-badge").strip() == "EPHEMERAL", "the caller"
        )
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(
            pilot, lambda: "History" in text_of(pilot, "#profile-history"), "Sam's history"
        )
        assert "Merged in" not in text_of(pilot, "#profile-history")

    assert world.contact(ephemeral_id) == replace(
        ephemeral_before, last_interaction_date=again.started_at
    )
    sam_after = world.contact(world.sam.id)
    assert sam_after.phones() == sam_before.phones()
    assert world.interaction(world.unknown_call.id).contact_id == ephemeral_id
    assert world.interaction(again.id).contact_id == ephemeral_id


async def test_a_collision_is_marked_and_choosing_a_slot_resolves_it(world: World) -> None:
    full = world.service().create_contact(
        ContactDraft(
            first_name="Fay",
            last_name="Full",
            phones={
                PhoneKind.WORK: PhoneDraft("+1 317 555 0101"),
                PhoneKind.HOME: PhoneDraft("+1 317 555 0102"),
                PhoneKind.CELL: PhoneDraft("+1 317 555 0103"),
                PhoneKind.OTHER: PhoneDraft("+1 317 555 0104"),
            },
        )
    )
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("m")
        await settle(pilot)
        await pick_in_directory(pilot, "Fay", rows=1)
        screen = await preview(pilot)
        plan = screen.plan
        assert plan is not None and len(plan.collisions) == 1
        shown = "\n".join(screen_lines(pilot))
        assert "Collision:" in shown and "! " in shown, shown
        assert screen.check_action("confirm", ()) is None

        # Ctrl+S is refused, saying why; nothing is written.
        before = world.state()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MergeScreen) and world.state() == before

        # The caller's number replaces Fay's other phone.
        await to_row(pilot, screen, PhoneKind.OTHER.value)
        await pilot.press("o")
        await wait_until(pilot, lambda: not screen.busy, "the new plan")
        assert screen.prefer == {PhoneKind.OTHER.value: "other"}
        assert screen.plan is not None and not screen.plan.collisions
        assert "Given up: the kept contact's other phone" in "\n".join(screen_lines(pilot))

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the merge")
    merged = world.contact(full.id)
    other = merged.phone(PhoneKind.OTHER)
    assert other is not None and other.e164 == "+12125550100"


async def test_two_curated_contacts_merge_from_the_directory_with_a_field_chosen(
    world: World,
) -> None:
    async with running(world) as pilot:
        await pilot.press("d")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen) and not directory.picking
        await pilot.press(*"Pat Smith")
        await wait_until(pilot, lambda: directory._shown[0] == "Pat Smith", "the search")
        results = directory.query_one("#directory-results", DataTable)
        await wait_until(pilot, lambda: results.row_count == 1, "Pat Smith")
        await pilot.press("down", "f8")
        await settle(pilot)
        picker = pilot.app.screen
        assert isinstance(picker, DirectoryScreen) and picker.merging is not None
        assert picker.merging.id == world.pat_second.id
        assert value_of(pilot, "#directory-search") == "Pat Smith"
        await pick_in_directory(pilot, "Pat", rows=1)  # Pat Smith is left out
        screen = await preview(pilot)
        assert screen.keep_id == world.pat_first.id

        await to_row(pilot, screen, "lastName")
        await pilot.press("o")
        await wait_until(pilot, lambda: not screen.busy, "the new plan")
        assert screen.plan is not None and screen.plan.result.last_name == "Smith"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "the merge")
    kept = world.contact(world.pat_first.id)
    assert kept.last_name == "Smith"
    assert world.service().repo.contact(world.pat_second.id) is None


async def test_an_agent_without_merge_sees_the_key_disabled(world: World) -> None:
    lacking = tuple(p for p in Permission if p != Permission.MERGE)
    before = world.state()
    async with running(world, *lacking, notifications=True) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        screen = main_screen(pilot)
        assert screen.check_action("merge", ()) is None
        binding = screen.active_bindings.get("m")
        assert binding is not None and not binding.enabled
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert Permission.MERGE.value in text_of(pilot, "#notices")
    assert world.state() == before


async def test_a_viewer_cannot_merge_even_on_a_preview_forced_open(world: World) -> None:
    before = world.state()
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    async with running(world, Permission.VIEW) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        assert main_screen(pilot).check_action("merge", ()) is None
        # As a screen bug might: the preview opened for a viewer.
        await pilot.app.push_screen(
            MergeScreen(main_screen(pilot).service, world.sam.id, ephemeral_id)
        )
        screen = pilot.app.screen
        assert isinstance(screen, MergeScreen)
        await wait_until(pilot, lambda: not screen.busy, "the refusal")
        assert screen.plan is None
        # The service names the first permission the viewer lacks (edit, then merge).
        refusal = text_of(pilot, "#merge-error")
        assert Permission.EDIT.value in refusal and "Ask your admin" in refusal, refusal
        assert screen.check_action("confirm", ()) is None
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
    assert world.state() == before


async def test_escape_from_the_preview_merges_nothing(world: World) -> None:
    before = world.state()
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("m")
        await settle(pilot)
        await pick_in_directory(pilot, "Sam", rows=1)
        await preview(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DirectoryScreen)  # back at the pick
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
    assert world.state() == before


async def test_undo_from_a_directory_card(world: World) -> None:
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    world.service().merge(world.sam.id, ephemeral_id)
    async with running(world) as pilot:
        await pilot.press("d")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        await pilot.press(*"Sam")
        await wait_until(pilot, lambda: directory._shown[0] == "Sam", "the search")
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactCard)
        await pilot.press("M")
        await settle(pilot)
        merges = pilot.app.screen
        assert isinstance(merges, MergesScreen)
        await wait_until(
            pilot, lambda: merges.query_one(OptionList).option_count == 1, "the merge listed"
        )
        await pilot.press("enter", "y")
        await wait_until(pilot, lambda: pilot.app.screen is directory, "the unmerge")
    assert world.interaction(world.unknown_call.id).contact_id == ephemeral_id


async def test_keys_typed_in_one_burst_reach_the_search_and_pick_its_answer(
    world: World,
) -> None:
    """m, a name made of main-screen keys (l links, e edits) and two Enters, with no wait:
    the name lands in the search box, and the Enters act on its answer, not on the rows of
    the prefilled search."""
    ephemeral_id = world.unknown_call.contact_id
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("m", *"sam lee", "enter", "enter")
        screen = await preview(pilot)
        assert screen.keep_id == world.sam.id and screen.other_id == ephemeral_id


# A stored name that would set the clipboard, ring the bell and reverse the line if drawn raw.
HOSTILE = "\x1b]52;c;ZXZpbA==\x07Sam\u202e\x1b[2J" + "L" * 5_000


async def test_hostile_stored_names_reach_the_preview_and_the_merge_list_as_text(
    world: World,
) -> None:
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    write_raw(world, "contacts", world.sam.id, firstName=HOSTILE)
    write_raw(world, "contacts", ephemeral_id, firstName=HOSTILE)
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.app.push_screen(
            MergeScreen(main_screen(pilot).service, world.sam.id, ephemeral_id)
        )
        await preview(pilot)
        assert_no_terminal_commands(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the merge")
        assert_no_terminal_commands(pilot)
        # Pressed at once, the profile may still show the contact merged away: its merges are
        # the ones into the contact it was merged into.
        await pilot.press("M")
        merges = pilot.app.screen
        assert isinstance(merges, MergesScreen)
        await wait_until(
            pilot, lambda: merges.query_one(OptionList).option_count == 1, "the merge listed"
        )
        assert merges.contact.id == world.sam.id
        assert_no_terminal_commands(pilot)
        # And in Sam's history, where the merged-in name shows among the calls.
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the profile")
        # The preview was opened directly, not by m: nothing told the screen to look again.
        main_screen(pilot).reload(force=True)
        await wait_until(
            pilot, lambda: "Merged in" in text_of(pilot, "#profile-history"), "the merge"
        )
        assert_no_terminal_commands(pilot)


async def test_undoing_a_merge_names_the_fields_edited_since(world: World) -> None:
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    service = world.service()
    merged = service.merge(world.sam.id, ephemeral_id).contact
    draft = ContactDraft.from_contact(merged)
    draft.phones[PhoneKind.OTHER] = PhoneDraft("+1 212 555 0111")
    service.edit(merged.id, draft, merged.version)
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        assert text_of(pilot, "#profile-name") == "Sam Lee"
        await pilot.press("M")
        merges = pilot.app.screen
        assert isinstance(merges, MergesScreen)
        await wait_until(
            pilot, lambda: merges.query_one(OptionList).option_count == 1, "the merge listed"
        )
        await pilot.press("enter", "y")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the unmerge")
        notice = text_of(pilot, "#notices")
        assert "Not restored, edited since the merge (the edits stay): Other phone" in notice
    other = world.contact(world.sam.id).phone(PhoneKind.OTHER)
    assert other is not None and other.e164 == "+12125550111"
    assert world.interaction(world.unknown_call.id).contact_id == ephemeral_id


def test_the_takes_column_says_what_became_of_each_of_the_others_values(world: World) -> None:
    service = world.service()
    # Pat Smith's work number is Pat Jones's cell number: held already.
    plan = service.merge_preview(world.pat_first.id, world.pat_second.id)
    rows = {f.id: f for f in plan.fields}
    assert takes(rows[PhoneKind.WORK.value], plan) == "held"
    assert takes(rows["lastName"], plan) == "kept"
    # The caller's number is in Other, which Flo holds: it goes out to her free Work slot.
    flo = service.create_contact(
        ContactDraft(
            first_name="Flo",
            last_name="Free",
            phones={
                PhoneKind.HOME: PhoneDraft("+1 317 555 0102"),
                PhoneKind.CELL: PhoneDraft("+1 317 555 0103"),
                PhoneKind.OTHER: PhoneDraft("+1 317 555 0104"),
            },
        )
    )
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    plan = service.merge_preview(flo.id, ephemeral_id)
    rows = {f.id: f for f in plan.fields}
    assert takes(rows[PhoneKind.OTHER.value], plan) == "out"
    assert takes(rows[PhoneKind.WORK.value], plan) == "moved"
    plan = service.merge_preview(flo.id, ephemeral_id, {PhoneKind.OTHER.value: "keep"})
    assert takes({f.id: f for f in plan.fields}[PhoneKind.OTHER.value], plan) == "left"


def test_the_unmerge_notice_clips_hostile_names_to_a_bounded_width() -> None:
    """A customer's 5,000-character name, with wide and zero-width characters, cannot flood
    the unmerge notice: each name in it is clipped as every other widget clips customer text."""
    hostile = "\u200b" + "W\uff37" * 2500
    kept = Contact(id="k", type=ContactType.CURATED, first_name=hostile, last_name="Kept")
    restored = Contact(id="r", type=ContactType.EPHEMERAL, first_name=hostile, last_name="Back")
    record = AuditRecord("u1", datetime(2026, 12, 1, tzinfo=UTC), AGENT, AuditAction.UNMERGE, "k")
    outcome = UnmergeOutcome(kept, restored, (), (), record, ("i1",))
    text = unmerge_lines(outcome)
    assert len(text) < 400
    assert "\u200b" not in text
    assert text.startswith("Undid the merge: ")


def test_counts_say_one_thing_and_several_things_alike() -> None:
    """One helper (domain.present.counted) spells every "1 note" / "2 notes" the merge screens
    and the command line show."""
    assert [counted(n, "note") for n in (0, 1, 2)] == ["0 notes", "1 note", "2 notes"]
    assert counted(1, "value has", "values have") == "1 value has"
    assert counted(3, "value has", "values have") == "3 values have"
    # Grouped as the other counts in the same sentences are ("create 99,998 ...").
    assert counted(100000, "row") == "100,000 rows"
