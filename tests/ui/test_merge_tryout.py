"""What a user tryout of merging found (issue 13), each performed with keys at 80x24: a
preview that goes stale while open, keys typed in one burst, Escape from the preview, the
picker's order, a pair picked the wrong way round, the notice after a merge, ``m`` on a
contact already in Contacts, and the small things (plurals, the history heading at 80
columns, the profile's offer per channel, what the Takes words mean)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.notifications import Notification
from textual.pilot import Pilot
from textual.widgets import DataTable

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import ContactType, Interaction, PhoneKind
from contact_tui.service import MergePlan, SearchResult, StoreUnavailable
from contact_tui.ui.keyorder import InOrderKeys
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.main import MainScreen
from contact_tui.ui.screens.merge import MergeScreen
from tests.factories import World, voice
from tests.ui.pilot import (
    WAIT_SECONDS,
    main_screen,
    running,
    screen_lines,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
)
from tests.ui.test_form_keys import burst
from tests.ui.test_merge_ui import pick_in_directory, preview, to_row

# A caller already known as an ephemeral contact by name, on a number like Sam's and Pat's.
SAM_EPHEMERAL = "+1 317 555 0177"


def edit_as_bob(world: World, contact_id: str, **fields: str) -> None:
    """Another agent (bob) changes a contact, through a service of his own."""
    service = world.service("bob")
    contact = service.contact(contact_id)
    draft = ContactDraft.from_contact(contact)
    for name, value in fields.items():
        setattr(draft, name, value)
    service.edit(contact_id, draft, contact.version)


def add_sam_ephemeral(world: World) -> Interaction:
    """A call from a number no contact holds, by a caller who gave the name Sam Ephemeral: an
    ephemeral contact of that name."""
    call = world.service().handle_interaction(voice(SAM_EPHEMERAL, "Sam Ephemeral"))
    assert call.contact_id is not None
    assert world.contact(call.contact_id).type == ContactType.EPHEMERAL
    return call


def toasts(notifications: list[Notification]) -> str:
    """The toasts shown, one a line."""
    return "\n".join(n.message for n in notifications)


def hold_previews(pilot: Pilot[None], monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Keep the app's merge previews from being worked out until the returned event is set,
    as a slow store would: keys typed meanwhile meet a preview not there yet."""
    service = main_screen(pilot).service
    worked_out = service.merge_preview
    release = threading.Event()

    def held(*args: Any, **kwargs: Any) -> MergePlan:
        assert release.wait(WAIT_SECONDS), "the test never released the preview"
        return worked_out(*args, **kwargs)

    monkeypatch.setattr(service, "merge_preview", held)
    return release


def hold_searches(
    pilot: Pilot[None], monkeypatch: pytest.MonkeyPatch, query: str
) -> tuple[threading.Event, threading.Event]:
    """Keep the directory's searches for ``query`` from answering until the second event
    returned is set, as a slow store would; the first is set once one is waiting."""
    service = main_screen(pilot).service
    searched = service.search
    waiting, release = threading.Event(), threading.Event()

    def held(text: str, *args: Any, **kwargs: Any) -> SearchResult:
        if text == query:
            waiting.set()
            assert release.wait(WAIT_SECONDS), "the test never released the search"
        return searched(text, *args, **kwargs)

    monkeypatch.setattr(service, "search", held)
    return waiting, release


async def held_until(
    pilot: Pilot[None], condition: Callable[[], bool], what: str, *held: threading.Event
) -> None:
    """Let the app run until ``condition()`` holds, while workers are held (``wait_until``
    would wait for them); failing after WAIT_SECONDS, it lets them go first."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() >= deadline:
            for event in held:
                event.set()
            raise AssertionError(f"timed out after {WAIT_SECONDS} s waiting for {what}")
        await pilot.pause()


async def set_in_time(event: threading.Event, what: str, *held: threading.Event) -> None:
    """Wait (in a thread, so the app runs on) until ``event`` is set; failing after
    WAIT_SECONDS, let the ``held`` workers go first."""
    if not await asyncio.to_thread(event.wait, WAIT_SECONDS):
        for waiting in held:
            waiting.set()
        raise AssertionError(f"timed out after {WAIT_SECONDS} s waiting for {what}")


def keys_of(pilot: Pilot[None]) -> InOrderKeys[None]:
    """The app, as the one that hands keys on in the order typed."""
    app = pilot.app
    assert isinstance(app, InOrderKeys)
    return app


def kept_for_the_preview(pilot: Pilot[None]) -> bool:
    """True once every key of a burst has been taken and the preview screen (mounted, its
    preview still held) has kept the ctrl+s typed for it."""
    screen = pilot.app.screen
    return (
        isinstance(screen, MergeScreen)
        and screen.is_mounted
        and not keys_of(pilot).keys_pending
        and ("confirm", "") in screen._typed
        and "the merge follows once it shows" in text_of(pilot, "#merge-status")
    )


async def typed_ahead(pilot: Pilot[None], release: threading.Event) -> None:
    """Wait until the preview screen has taken a ctrl+s typed before the preview showed, then
    let the preview be worked out."""
    await held_until(
        pilot,
        lambda: kept_for_the_preview(pilot),
        "the ctrl+s typed before the preview, kept for it",
        release,
    )
    release.set()


async def test_the_preview_follows_another_agents_edit_and_keeps_the_choices(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("m")
        await settle(pilot)
        await pick_in_directory(pilot, "Sam", rows=1)
        screen = await preview(pilot)
        await to_row(pilot, screen, "lastName")
        await pilot.press("k")
        await wait_until(pilot, lambda: not screen.busy, "the plan with the choice")
        assert screen.prefer == {"lastName": "keep"}

        edit_as_bob(world, world.sam.id, title="Head buyer")
        await wait_until(
            pilot,
            lambda: screen.plan is not None and screen.plan.keep.version == 2 and not screen.busy,
            "the preview worked out again",
        )
        shown = "\n".join(screen_lines(pilot))
        assert "Head buyer" in shown, shown
        status = text_of(pilot, "#merge-status")
        assert status.startswith("Sam Lee was changed by bob at "), status
        assert "(Title); the preview shows it now." in status, status
        # The choice was on a row nobody changed: it stands.
        assert screen.prefer == {"lastName": "keep"}

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the merge")
    assert world.contact(world.sam.id).title == "Head buyer"
    assert world.interaction(world.unknown_call.id).contact_id == world.sam.id


async def test_a_conflict_on_merge_reworks_the_preview_and_says_what_changed(
    world: World,
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("m")
        await settle(pilot)
        await pick_in_directory(pilot, "Sam", rows=1)
        screen = await preview(pilot)
        await to_row(pilot, screen, "lastName")
        await pilot.press("k")
        await wait_until(pilot, lambda: not screen.busy, "the plan with the choice")

        # bob's change lands while this app is not looking: the merge is what finds it.
        main_screen(pilot)._stop_waking()
        edit_as_bob(world, world.sam.id, last_name="Lee-Smith")
        before = world.state()
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: screen.plan is not None and screen.plan.keep.version == 2 and not screen.busy,
            "the preview worked out again",
        )
        assert isinstance(pilot.app.screen, MergeScreen) and world.state() == before
        assert "Lee-Smith" in "\n".join(screen_lines(pilot))
        status = text_of(pilot, "#merge-status")
        assert status.startswith("Nothing was merged: Sam Lee-Smith was changed by bob at "), status
        assert "(Last name); your choice on Last name was undone; check the preview and " in (
            status
        )
        assert status.endswith("press ^s again."), status
        assert "This contact was changed" not in "\n".join(screen_lines(pilot))
        assert screen.prefer == {}

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the merge")
    assert world.contact(world.sam.id).last_name == "Lee-Smith"
    assert world.interaction(world.unknown_call.id).contact_id == world.sam.id


async def test_merge_typed_in_one_burst_merges_once_the_preview_shows(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        release = hold_previews(pilot, monkeypatch)
        burst(pilot, "m", *"sam lee", "enter", "enter", "ctrl+s")
        await typed_ahead(pilot, release)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the merge")
        await wait_until(
            pilot, lambda: "Merged" in text_of(pilot, "#notices"), "the notice of the merge"
        )
    assert world.interaction(world.unknown_call.id).contact_id == world.sam.id


async def test_a_swap_and_merge_typed_in_one_burst_apply_in_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the directory: Pat Smith, F8, pick Pat Jones, then s and ctrl+s before the
    preview shows: Pat Smith is kept, Pat Jones merged into it."""
    async with running(world) as pilot:
        await pilot.press("d")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        await pilot.press(*"Pat Smith")
        await wait_until(pilot, lambda: directory._shown[0] == "Pat Smith", "the search")
        release = hold_previews(pilot, monkeypatch)
        burst(pilot, "down", "f8", *"Pat", "enter", "enter", "s", "ctrl+s")
        await typed_ahead(pilot, release)
        await wait_until(pilot, lambda: pilot.app.screen is directory, "the merge")
    assert world.service().repo.contact(world.pat_first.id) is None
    assert world.contact(world.pat_second.id).type == ContactType.CURATED


async def test_a_merge_typed_ahead_on_a_pair_turned_round_is_not_applied(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sam Lee highlighted, F8, the ephemeral Sam picked and ctrl+s typed before the preview
    showed: the pair is turned round (Sam Lee kept), so the ctrl+s, typed for the pair as
    picked, is not applied; the notice says so and nothing is merged."""
    ephemeral = add_sam_ephemeral(world)
    async with running(world, rows=6) as pilot:
        await pilot.press("d")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        await pilot.press(*"Sam Lee")
        await wait_until(pilot, lambda: directory._shown[0] == "Sam Lee", "the search")
        release = hold_previews(pilot, monkeypatch)
        burst(pilot, "down", "f8", *"Sam Ephemeral", "enter", "enter", "ctrl+s")
        await typed_ahead(pilot, release)
        screen = pilot.app.screen
        assert isinstance(screen, MergeScreen)
        await wait_until(
            pilot, lambda: "were not applied" in text_of(pilot, "#merge-status"), "the notice"
        )
        assert screen.keep_id == world.sam.id and screen.plan is not None
    assert ephemeral.contact_id is not None
    assert world.contact(ephemeral.contact_id).type == ContactType.EPHEMERAL  # not merged


async def test_keys_after_an_enter_wait_for_the_search_it_acts_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enter on a name the search has not answered yet (a slow store, a loaded machine): the
    Enter acts on the answer once it comes, and the keys typed after it wait with it, then
    reach the pick and the preview in order."""
    # Only the Enter searches what was typed: the search it waits on is the one held.
    monkeypatch.setattr("contact_tui.ui.screens.directory.DEBOUNCE_SECONDS", WAIT_SECONDS * 10)
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        release = hold_previews(pilot, monkeypatch)
        searching, answer = hold_searches(pilot, monkeypatch, "sam lee")
        burst(pilot, "m", *"sam lee", "enter", "enter", "ctrl+s")
        # The app is busy with the Enter meanwhile (pilot.pause would wait for it).
        await set_in_time(searching, "the search for sam lee", answer, release)
        picker = pilot.app.screen
        assert isinstance(picker, DirectoryScreen) and picker._enters == 1
        assert pilot.app.focused is picker.query_one("#directory-search")
        assert keys_of(pilot).keys_pending
        answer.set()
        await typed_ahead(pilot, release)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), "the merge")
    assert world.interaction(world.unknown_call.id).contact_id == world.sam.id


async def test_a_key_held_up_by_a_busy_search_box_is_waited_for_not_overtaken(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Down then Enter in the merge picker while its search box is busy (a loaded machine):
    Down reaches the results first, so Enter picks there. (When the app gave up on a key
    held half a second, Enter went to the search box Down had not left yet: no pick.)"""
    monkeypatch.setattr("contact_tui.ui.keyorder.STUCK_SECONDS", 0.01)
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("m")
        await settle(pilot)
        picker = pilot.app.screen
        assert isinstance(picker, DirectoryScreen)
        await pilot.press("home", "ctrl+k", *"sam lee")
        await wait_until(pilot, lambda: picker._shown[0] == "sam lee", "the search")
        search = picker.query_one("#directory-search")
        # The search box's queue is held, and the app looks at the key waiting in it five
        # times (pilot.pause would wait for the box: wait on the looks themselves).
        busy, looked = asyncio.Event(), asyncio.Event()
        app = keys_of(pilot)
        look_at = app._look_at
        looks: list[int] = []

        def look(number: int) -> None:
            if number == app._key_in_flight:  # not an earlier key's last look
                looks.append(number)
                if len(looks) == 5:
                    looked.set()
            look_at(number)

        monkeypatch.setattr(app, "_look_at", look)
        search.call_later(busy.wait)
        burst(pilot, "down", "enter")
        try:
            await asyncio.wait_for(looked.wait(), WAIT_SECONDS)
        finally:
            busy.set()
        assert len(set(looks)) == 1, "the next key went on before the first was done"
        screen = await preview(pilot)
        assert screen.keep_id == world.sam.id


async def test_a_picker_pushed_but_not_composed_yet_says_what_its_keys_allow(
    world: World,
) -> None:
    """Textual asks the screen on top what its keys allow (every screen binds ctrl+c to
    ``screen.copy_text``) whenever a footer looks at its keys, the main screen's too, also
    between the push of the merge picker (m) and its compose: that raised (no results table
    yet) and closed the app."""
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        main = main_screen(pilot)
        assert main.contact is not None
        picker = DirectoryScreen(main.service, None, picking=True, merging=main.contact)
        pilot.app.push_screen(picker)
        assert pilot.app.screen is picker and not picker.children  # not composed yet
        assert picker.highlighted is None
        keys = main.active_bindings  # what the main screen's footer reads
        assert keys["ctrl+c"].binding.action == "screen.copy_text"
        await wait_until(pilot, lambda: picker.is_mounted, "the picker")
        assert pilot.app.is_running and pilot.app.focused is picker.query_one("#directory-search")


async def test_merge_typed_before_a_collision_shows_stops_and_says_so(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
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
        )
    )
    before = world.state()
    async with running(world) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        release = hold_previews(pilot, monkeypatch)
        burst(pilot, "m", *"fay", "enter", "enter", "ctrl+s")
        await typed_ahead(pilot, release)
        screen = await preview(pilot)
        await settle(pilot)
        # The merge stops at the collision and says so below what moves.
        status = text_of(pilot, "#merge-status")
        assert status == (
            "Not merged yet: 1 value of the other contact has no free slot; choose for each "
            "(see the Collision lines), then press ^s."
        ), status
        # The Collision line the notice points to is in sight, not under a toast.
        assert "Collision:" in "\n".join(screen_lines(pilot))
        assert isinstance(pilot.app.screen, MergeScreen) and screen.plan is not None
    assert world.state() == before


async def test_escape_in_the_preview_goes_back_to_the_pick_and_escape_there_leaves(
    world: World,
) -> None:
    add_sam_ephemeral(world)
    before = world.state()
    async with running(world, rows=6) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("m")
        await settle(pilot)
        picker = await pick_in_directory(pilot, "Sam", rows=2)
        screen = await preview(pilot)
        assert screen.keep_id == world.sam.id
        await pilot.press("escape")
        await settle(pilot)
        # Back at the pick, the search as typed and the pick highlighted: one key away from
        # another pick.
        assert pilot.app.screen is picker
        assert value_of(pilot, "#directory-search") == "Sam"
        results = picker.query_one("#directory-results", DataTable)
        assert pilot.app.focused is results and results.cursor_row == 0
        await pilot.press("down", "enter")
        screen = await preview(pilot)
        assert screen.keep_id != world.sam.id
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
    assert world.state() == before


async def test_the_merge_picker_lists_curated_customers_before_ephemeral_callers(
    world: World,
) -> None:
    ephemeral = add_sam_ephemeral(world)
    async with running(world, rows=6) as pilot:
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("m")
        await settle(pilot)
        picker = pilot.app.screen
        assert isinstance(picker, DirectoryScreen)
        await pilot.press(*"317555")
        await wait_until(pilot, lambda: picker._shown[0] == "317555", "the digits search")
        names = [c.display_name for c in picker.results]
        assert names[-1] == "Sam Ephemeral" and len(names) == 4, names
        assert {c.type for c in picker.results[:3]} == {ContactType.CURATED}
        summary = text_of(pilot, "#directory-summary")
        assert summary.startswith("Enter picks. 4 matches"), summary
        assert summary in "\n".join(screen_lines(pilot)), "the summary is cut at 80 columns"

        await pilot.press("home", "ctrl+k", *"sam", "enter", "enter")
        screen = await preview(pilot)
        assert [c.display_name for c in picker.results] == ["Sam Lee", "Sam Ephemeral"]
        assert screen.keep_id == world.sam.id
        assert screen.other_id == world.unknown_call.contact_id != ephemeral.contact_id


async def test_a_pair_picked_the_wrong_way_round_is_turned_round(world: World) -> None:
    """From the directory: the curated Sam Lee highlighted, F8, the ephemeral Sam picked: the
    preview keeps Sam Lee and says so; swapping back is refused in a sentence that fits."""
    ephemeral = add_sam_ephemeral(world)
    async with running(world, rows=6) as pilot:
        await pilot.press("d")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        await pilot.press(*"Sam Lee")
        await wait_until(pilot, lambda: directory._shown[0] == "Sam Lee", "the search")
        await pilot.press("down", "f8")
        await settle(pilot)
        await pick_in_directory(pilot, "Sam", rows=1)  # Sam Lee is left out
        screen = await preview(pilot)
        assert screen.keep_id == world.sam.id and screen.other_id == ephemeral.contact_id
        status = text_of(pilot, "#merge-status")
        assert status.startswith("Turned round: Sam Ephemeral (Ephemeral) is merged into "), status

        await pilot.press("s")
        await wait_until(pilot, lambda: not screen.busy, "the refusal")
        # Drawn once the screen has laid out the error line (a loaded machine takes longer).
        await wait_until(
            pilot,
            lambda: "Sam Lee is Curated" in "\n".join(screen_lines(pilot)),
            "the refusal on screen",
        )
        title = text_of(pilot, "#merge-title")
        assert "working it out" not in title and "Sam Lee" in title, title
        error = text_of(pilot, "#merge-error")
        assert error == (
            "Sam Lee is Curated and Sam Ephemeral is Ephemeral: a merge keeps the Curated one; "
            "press s to swap."
        ), error
        shown = "\n".join(screen_lines(pilot))
        assert "press s to swap." in shown and "-…" not in shown, shown
        # The preview of the other way round is gone: nothing to merge by mistake.
        assert screen.plan is None and screen.query_one("#merge-fields", DataTable).row_count == 0
        await pilot.press("s")
        await wait_until(pilot, lambda: not screen.busy and screen.plan is not None, "the plan")
        assert screen.keep_id == world.sam.id


async def test_the_notice_after_a_merge_names_the_contacts_as_they_were(world: World) -> None:
    """Pat Smith merged into Pat Jones with Last name taken from Pat Smith: the kept contact
    is now called Pat Smith too; the notice tells the two apart."""
    async with running(world, notifications=True) as pilot:
        await pilot.press("d")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        await pilot.press(*"Pat Smith")
        await wait_until(pilot, lambda: directory._shown[0] == "Pat Smith", "the search")
        await pilot.press("down", "f8")
        await settle(pilot)
        await pick_in_directory(pilot, "Pat", rows=1)
        screen = await preview(pilot)
        await to_row(pilot, screen, "lastName")
        await pilot.press("o")
        await wait_until(pilot, lambda: not screen.busy, "the new plan")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: pilot.app.screen is directory, "the merge")
        shown = toasts(list(pilot.app._notifications))
        assert "Merged Pat Smith into Pat Jones (now Pat Smith); 1 interaction relinked." in (
            shown
        ), shown


async def test_m_on_a_contact_already_in_contacts_says_how_to_merge(world: World) -> None:
    before = world.state()
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)
        assert text_of(pilot, "#notices") == (
            "Sam Lee is already in Contacts; to merge two contacts, open the directory (d) "
            "and press f8 on one of them."
        )
        # The profile offers no merge there.
        assert "Press m" not in "\n".join(screen_lines(pilot))
    assert world.state() == before


async def test_the_profile_offers_merge_in_the_channels_own_words(world: World) -> None:
    async with running(world) as pilot:
        offers = {}
        for interaction in (world.unknown_call, world.email, world.whatsapp):
            await select_interaction(pilot, interaction.id)
            offers[interaction.channel_label] = text_of(pilot, "#profile-merge")
    assert offers == {
        "Voice": "A customer calling from a new number? Press m to merge this contact into theirs.",
        "Email": "A customer writing from a new address? Press m to merge this contact into "
        "theirs.",
        "WhatsApp": "A customer messaging from a new WhatsApp account? Press m to merge this "
        "contact into theirs.",
    }


async def test_the_history_heading_and_the_takes_legend_fit_80_columns(world: World) -> None:
    ephemeral_id = world.unknown_call.contact_id
    assert ephemeral_id is not None
    world.service().merge(world.sam.id, ephemeral_id)
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        await wait_until(
            pilot, lambda: "Merged in" in text_of(pilot, "#profile-history"), "the merge"
        )
        main_screen(pilot).query_one("#profile-history").scroll_visible(animate=False)
        await settle(pilot)
        lines = screen_lines(pilot)
        assert any(line.strip().startswith("M: undo a merge") for line in lines), lines

        await pilot.press("d")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        await pilot.press(*"Pat Smith")
        await wait_until(pilot, lambda: directory._shown[0] == "Pat Smith", "the search")
        await pilot.press("down", "f8")
        await settle(pilot)
        await pick_in_directory(pilot, "Pat", rows=1)
        await preview(pilot)
        legend = text_of(pilot, "#merge-legend")
        assert legend == "Takes  held: kept one has it", legend
        assert legend in "\n".join(screen_lines(pilot))


async def open_pat_preview(pilot: Pilot[None]) -> tuple[DirectoryScreen, MergeScreen]:
    """From the directory: Pat Smith highlighted, F8, Pat Jones picked: the preview of merging
    Pat Smith into Pat Jones, shown."""
    await pilot.press("d")
    await settle(pilot)
    directory = pilot.app.screen
    assert isinstance(directory, DirectoryScreen)
    await pilot.press(*"Pat Smith")
    await wait_until(pilot, lambda: directory._shown[0] == "Pat Smith", "the search")
    await pilot.press("down", "f8")
    await settle(pilot)
    await pick_in_directory(pilot, "Pat", rows=1)
    return directory, await preview(pilot)


async def test_a_choice_typed_after_a_waiting_merge_does_not_change_what_it_merges(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """o on Last name (its preview slow to come), ctrl+s (waits for that preview), then k on
    the same row: the merge merges the choices made before ctrl+s (Last name: the other's,
    Smith), not the k typed after it."""
    async with running(world) as pilot:
        directory, screen = await open_pat_preview(pilot)
        await to_row(pilot, screen, "lastName")
        release = hold_previews(pilot, monkeypatch)
        await pilot.press("o")
        await wait_until(pilot, lambda: screen.busy, "the choice's preview, asked")
        await pilot.press("ctrl+s")
        await held_until(
            pilot, lambda: ("confirm", "") in screen._typed, "the ctrl+s, kept", release
        )
        await pilot.press("k")
        assert screen.prefer == {"lastName": "other"}
        release.set()
        await wait_until(pilot, lambda: pilot.app.screen is directory, "the merge")
    assert world.contact(world.pat_first.id).last_name == "Smith"
    assert world.service().repo.contact(world.pat_second.id) is None


async def test_a_preview_the_store_could_not_work_out_again_can_be_asked_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """o on Last name while the store cannot answer (a lock held too long): the preview shown
    stays, with the choices it was worked out for, and says so; o again, once the store
    answers, applies the choice, and ctrl+s merges it."""
    async with running(world) as pilot:
        directory, screen = await open_pat_preview(pilot)
        await to_row(pilot, screen, "lastName")
        service = main_screen(pilot).service
        worked_out = service.merge_preview
        failures = [StoreUnavailable("The store is busy: a lock was held for over 3 s.")]

        def busy_once(*args: Any, **kwargs: Any) -> MergePlan:
            if failures:
                raise failures.pop()
            return worked_out(*args, **kwargs)

        monkeypatch.setattr(service, "merge_preview", busy_once)
        await pilot.press("o")
        await wait_until(
            pilot,
            lambda: "could not be worked out again" in text_of(pilot, "#merge-error"),
            "the line saying the preview could not be worked out again",
        )
        error = text_of(pilot, "#merge-error")
        assert error.startswith("The store is busy: a lock was held for over 3 s."), error
        assert error.endswith("press that key again to retry."), error
        assert screen.plan is not None and screen.plan.result.last_name == "Jones"
        assert screen.prefer == {} and screen.check_action("prefer", ("other",))

        await pilot.press("o")
        await wait_until(
            pilot,
            lambda: not screen.busy and screen.prefer == {"lastName": "other"},
            "the choice, applied",
        )
        assert screen.plan is not None and screen.plan.result.last_name == "Smith"
        assert text_of(pilot, "#merge-error") == ""
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: pilot.app.screen is directory, "the merge")
    assert world.contact(world.pat_first.id).last_name == "Smith"


async def test_merge_is_in_the_palette_and_running_it_opens_the_prefilled_directory(
    world: World,
) -> None:
    """Issue 13: Merge is a key in the footer (test_main_keys) and in the palette; chosen
    from the palette it does what m does."""
    ephemeral = add_sam_ephemeral(world)
    async with running(world, rows=6) as pilot:
        await select_interaction(pilot, ephemeral.id)
        app = pilot.app
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Merge (m)" in commands, sorted(commands)
        commands["Merge (m)"].callback()
        await wait_until(pilot, lambda: isinstance(app.screen, DirectoryScreen), "the directory")
        directory = app.screen
        assert isinstance(directory, DirectoryScreen)
        await wait_until(
            pilot, lambda: directory._shown[0] == "Sam Ephemeral", "the search prefilled"
        )


async def test_a_preview_not_worked_out_again_after_a_change_says_so_and_a_choice_asks_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bob changes Pat Jones while the store cannot answer this app's preview: the preview
    shown stays (the contacts as they were), the line says why and what works; a choice then
    asks again and shows bob's change."""
    async with running(world) as pilot:
        directory, screen = await open_pat_preview(pilot)
        await to_row(pilot, screen, "lastName")
        service = main_screen(pilot).service
        worked_out = service.merge_preview
        failures = [StoreUnavailable("The store is busy: a lock was held for over 3 s.")]

        def busy_once(*args: Any, **kwargs: Any) -> MergePlan:
            if failures:
                raise failures.pop()
            return worked_out(*args, **kwargs)

        monkeypatch.setattr(service, "merge_preview", busy_once)
        edit_as_bob(world, world.pat_first.id, title="Buyer")
        await wait_until(
            pilot,
            lambda: "before a change in the store" in text_of(pilot, "#merge-error"),
            "the line saying the preview could not be worked out again",
        )
        assert screen.plan is not None and screen.plan.keep.version == 1
        await pilot.press("o")
        await wait_until(
            pilot,
            lambda: not screen.busy and screen.plan is not None and screen.plan.keep.version == 2,
            "the preview with bob's change",
        )
        assert screen.prefer == {"lastName": "other"} and screen.plan.result.title == "Buyer"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: pilot.app.screen is directory, "the merge")
    assert world.contact(world.pat_first.id).title == "Buyer"
