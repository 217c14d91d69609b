"""Pilot smoke runs proving the screens show what the gating rules decide, at 80x24.

The rules themselves (which key is enabled, shown disabled or hidden under each of the 128
permission combinations, what the profile's notes say, what a refused key says) are plain
functions, tested without an app in tests/permissions/test_gating.py. Here a few runs check
that the screens really use them and that a refused key writes nothing:

* the footer, the notes and every refused key at four combinations (none, view only,
  everything but view, everything), with every gated action's ``check_action`` and
  ``disabled_reason`` compared to the rules; without view the screen lists no interaction
  (so the actions on one are hidden), shows no contact, and an unlink or end forced past the
  footer is refused by the service;
* each main-screen key once where permitted (it opens its form or the directory, or makes its
  change) and each directory key once permitted and once refused;
* a form forced open past the footer (as a screen bug might) is still refused on save, with
  the permission named on screen and nothing written.

The agent is alice, with her newest interaction selected (an unknown caller, linked to the
ephemeral contact made for it, so every main-screen action applies); the screen never lists
another agent's interactions, view-all or not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList

import contact_tui.ui.app
from contact_tui.domain.model import InteractionState, MatchKind
from contact_tui.service import ContactService
from contact_tui.store.repository import Repository
from contact_tui.ui.app import ContactApp
from contact_tui.ui.gating import (
    DIRECTORY_GATED,
    GATED,
    Selection,
    denied_notes,
    directory_disabled_reason,
    directory_gate,
    main_disabled_reason,
    main_gate,
)
from contact_tui.ui.screens.contact_form import ContactForm, FormMode
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.directory import ContactCard, DirectoryScreen
from contact_tui.ui.screens.main import MainScreen
from contact_tui.ui.screens.merge import MergesScreen
from contact_tui.ui.screens.notes import NotesScreen
from tests.permissions.matrix import (
    ADD,
    ALL,
    BOB_CALLER,
    DIRECTORY_KEYS,
    EDIT,
    MAIN_KEYS,
    PROMOTE,
    VIEW,
    Combo,
    Fingerprint,
    Key,
    Scene,
    SceneTemplates,
    assert_unchanged,
    combo_id,
    exactly,
    expect_notes,
    expected_gate,
    fingerprint,
    screen_selection,
)
from tests.ui.pilot import (
    focus_on,
    interaction_table,
    main_screen,
    screen_lines,
    select_interaction,
    settle,
    store_open,
    text_of,
    wait_until,
)

USER = "alice"


def ids(*combos: Combo) -> list[Any]:
    return [pytest.param(c, id=combo_id(c)) for c in combos]


class RecordingApp(ContactApp):
    """The app, keeping every notification's text so a test can read what the agent was told."""

    # Subclassing moves the base for a relative CSS path; point at the app's own file.
    CSS_PATH = str(Path(contact_tui.ui.app.__file__).with_name("app.tcss"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.told: list[str] = []

    def notify(self, message: str, **kwargs: Any) -> None:
        self.told.append(message)
        super().notify(message, **kwargs)


@pytest.fixture
def scene(tmp_path: Path, scene_templates: SceneTemplates) -> Scene:
    return scene_templates.copy(USER, tmp_path / "store")


@asynccontextmanager
async def running(scene: Scene, combo: Combo) -> AsyncIterator[Pilot[None]]:
    """The app for alice holding exactly ``combo``, once both her interactions are listed (and
    only hers), or, without view, once the notes say why none are."""
    opened: list[ContactService] = []

    def open_service() -> ContactService:
        service = scene.service(combo)
        opened.append(service)
        return service

    app = RecordingApp(open_service, clock=scene.clock, cursor_blink=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            if VIEW in combo:
                await wait_until(
                    pilot,
                    lambda: store_open(pilot) and interaction_table(pilot).row_count == 2,
                    "the store to open",
                )
                await settle(pilot)
                selected = main_screen(pilot).interaction
                assert selected is not None and selected.id == scene.own_call.id
            else:
                await wait_until(
                    pilot,
                    lambda: (
                        store_open(pilot)
                        and "interactions are not shown" in text_of(pilot, "#profile-notes")
                    ),
                    "the store to open",
                )
                await settle(pilot)
                assert interaction_table(pilot).row_count == 0
                assert main_screen(pilot).interaction is None
            # bob's call is never listed, whatever the agent holds (view-all included).
            shown = "\n".join(screen_lines(pilot))
            assert scene.other_call.id not in interaction_table(pilot).rows
            assert "Bob's Caller" not in shown and BOB_CALLER not in shown
            yield pilot
    finally:
        for service in opened:
            service.close()


def told(pilot: Pilot[None]) -> list[str]:
    app = pilot.app
    assert isinstance(app, RecordingApp)
    return app.told


def told_more_than(pilot: Pilot[None], count: int) -> Callable[[], bool]:
    """A wait condition: the agent has been told more than ``count`` things."""
    return lambda: len(told(pilot)) > count


def done_saving(form: ContactForm) -> Callable[[], bool]:
    """A wait condition: ``form`` is no longer saving."""
    return lambda: not form.saving


def on_top(pilot: Pilot[None]) -> Screen[Any]:
    """The active screen (read afresh: what mypy knew of it before a key press is stale)."""
    return pilot.app.screen


def stored(scene: Scene) -> Repository:
    """A fresh repository on the scene's store (the caller closes it)."""
    return Repository.open(scene.path, create=False)


def own_call_state(scene: Scene) -> tuple[str | None, InteractionState]:
    repo = stored(scene)
    try:
        interaction = repo.interaction(scene.own_call.id)
    finally:
        repo.close()
    assert interaction is not None
    return interaction.contact_id, interaction.state


# --- the main screen's footer, notes and refused keys ----------------------------------------


def assert_uses_the_rules(screen: MainScreen, scene: Scene, combo: Combo) -> None:
    """Every gated action is offered, dimmed or hidden as the rules decide and gives their
    reason; the footer shows each key accordingly (hidden, dimmed or enabled)."""
    who, selection = exactly(USER, combo), screen_selection(scene, combo)
    for action in GATED:
        assert screen.check_action(action, ()) is main_gate(action, selection, who), action
        assert screen.disabled_reason(action) == main_disabled_reason(action, selection, who)
    for key in MAIN_KEYS:
        gate = expected_gate(key, combo)
        assert screen.check_action(key.action, ()) is gate, key
        binding = screen.active_bindings.get(key.key)
        if gate is False:
            assert binding is None, key
        else:
            assert binding is not None and binding.enabled is (gate is True), key


async def assert_nothing_shown_or_done_without_view(pilot: Pilot[None], scene: Scene) -> None:
    """Without view: no interaction, contact or candidate on screen, and an unlink or end
    forced past the footer (as a screen bug might) is refused, naming view."""
    screen = main_screen(pilot)
    # Una Known is the caller's name on alice's own call; Pat Jones (linked) and Pat Smith
    # (candidate) are contact data.
    shown = "\n".join(screen_lines(pilot))
    for hidden in ("Una Known", "Jones", "Smith"):
        assert hidden not in shown
    assert screen.contact is None
    assert "hidden" in screen.query_one("#candidates", OptionList).classes
    notes = text_of(pilot, "#profile-notes")
    assert "interactions are not shown" in notes and VIEW.value in notes

    before = fingerprint(scene.path)
    screen.interaction = scene.own_call  # what a screen bug might select
    for action in ("unlink", "end_interaction"):
        already = len(told(pilot))
        getattr(screen, f"action_{action}")()
        if action == "end_interaction":
            await settle(pilot)
            await pilot.press("y")  # End asks first (issue 10)
        await wait_until(pilot, told_more_than(pilot, already), f"the {action} refusal")
        assert len(told(pilot)) == already + 1 and VIEW.value in told(pilot)[-1], told(pilot)
    assert_unchanged(before, scene.path)
    assert own_call_state(scene) == (scene.ephemeral.id, scene.own_call.state)


@pytest.mark.parametrize("combo", ids(frozenset(), frozenset({VIEW}), ALL - {VIEW}, ALL))
async def test_footer_notes_and_refused_keys(combo: Combo, scene: Scene) -> None:
    who = exactly(USER, combo)
    async with running(scene, combo) as pilot:
        screen = main_screen(pilot)
        assert_uses_the_rules(screen, scene, combo)

        notes = denied_notes(who)
        assert ("hidden" in screen.query_one("#profile-notes").classes) == (notes == ())
        if notes:
            assert text_of(pilot, "#profile-notes") == "\n".join(notes)
            expect_notes(text_of(pilot, "#profile-notes"), combo)

        # Every key not enabled: a disabled one says why (issue 10), in the rules' words; one
        # that does not apply here says nothing. None opens or writes anything.
        before = fingerprint(scene.path)
        refused = [k for k in MAIN_KEYS if expected_gate(k, combo) is not True]
        for key in refused:
            await pilot.press(key.key)  # returns once the app is idle again
            assert pilot.app.screen is screen, f"{key.key} opened {pilot.app.screen!r}"
        await settle(pilot)
        assert pilot.app.screen is screen
        assert_unchanged(before, scene.path)
        disabled = [k for k in refused if expected_gate(k, combo) is None]
        selection = screen_selection(scene, combo)
        assert told(pilot) == [main_disabled_reason(k.action, selection, who) for k in disabled]
        for key, message in zip(disabled, told(pilot), strict=True):
            assert key.needs is not None
            lacking = ({key.needs} | key.also) - combo
            assert all(p.value in message for p in lacking), (key, message)

        if VIEW not in combo:
            await assert_nothing_shown_or_done_without_view(pilot, scene)


# --- each main-screen key, permitted ------------------------------------------------------


async def _expect_opened(pilot: Pilot[None], key: Key, scene: Scene, before: Fingerprint) -> None:
    screen = pilot.app.screen
    if key.action in ("add_to_contacts", "new_contact", "edit"):
        assert isinstance(screen, ContactForm), screen
        mode, contact = screen.request.mode, screen.request.contact
        if key.action == "new_contact":
            assert mode == FormMode.CREATE and contact is None
        else:
            # Both Add to Contacts and Edit on the ephemeral contact promote it.
            assert mode == FormMode.PROMOTE
            assert contact is not None and contact.id == scene.ephemeral.id
        assert_unchanged(before, scene.path)  # opening a form writes nothing
    elif key.action in ("link", "directory"):
        assert isinstance(screen, DirectoryScreen), screen
        assert screen.picking is (key.action == "link")
        assert_unchanged(before, scene.path)
    elif key.action == "merge":
        # The directory, picking the customer to merge the caller's ephemeral contact into.
        assert isinstance(screen, DirectoryScreen), screen
        assert screen.merging is not None and screen.merging.id == scene.ephemeral.id
        assert_unchanged(before, scene.path)
    elif key.action == "merges":
        assert isinstance(screen, MergesScreen), screen
        assert_unchanged(before, scene.path)
    elif key.action == "notes":
        assert isinstance(screen, NotesScreen), screen
        assert_unchanged(before, scene.path)
    elif key.action == "erase":
        # Erase asks first; Escape (after the loop's check) keeps the contact.
        assert isinstance(screen, ConfirmDialog), screen
        assert_unchanged(before, scene.path)
    elif key.action == "unlink":
        await wait_until(pilot, lambda: own_call_state(scene)[0] is None, "the unlink")
    else:
        await pilot.press("y")  # End asks first (issue 10)
        await wait_until(
            pilot, lambda: own_call_state(scene)[1] == InteractionState.ENDED, "the end"
        )


async def test_each_main_key_does_its_job_when_permitted(scene: Scene) -> None:
    """With every permission, each key opens its form or the directory (and Escape comes back
    with nothing written), or makes its change; unlink and end go last, as they change what
    the others act on."""
    by_key = {k.key: k for k in MAIN_KEYS}
    order = [by_key[k] for k in ("a", "n", "e", "l", "d", "m", "M", "D", "T", "u", "x")]
    assert sorted(order, key=MAIN_KEYS.index) == list(MAIN_KEYS)
    async with running(scene, ALL) as pilot:
        screen = main_screen(pilot)
        for key in order:
            assert screen.check_action(key.action, ()) is True, key
            before = fingerprint(scene.path)
            await pilot.press(key.key)
            await settle(pilot)
            await _expect_opened(pilot, key, scene, before)
            if key.action not in ("unlink", "end_interaction"):  # back from the form or directory
                await pilot.press("escape")
                await settle(pilot)
                assert pilot.app.screen is screen, pilot.app.screen
                assert_unchanged(before, scene.path)
            selected_now = screen.interaction
            assert selected_now is not None and selected_now.id == scene.own_call.id
        assert told(pilot) == ["Unlinked.", "Interaction ended."]


async def test_choosing_a_candidate_links_it(scene: Scene) -> None:
    """On the call that matched two contacts, the choice is offered (as the rules say) and
    choosing one links it. Without view it is not offered: test_footer_notes_and_refused_keys."""
    assert scene.shared_call.match == MatchKind.MULTIPLE
    async with running(scene, ALL) as pilot:
        screen = main_screen(pilot)
        options = screen.query_one("#candidates", OptionList)
        await select_interaction(pilot, scene.shared_call.id)
        assert "hidden" not in options.classes, "an agent who may view contacts has no choice"
        # Linked at arrival to the first created of the two it matched.
        several = Selection(scene.shared_call, scene.pat_first, (scene.pat_first, scene.pat_second))
        assert main_gate("choose_contact", several, exactly(USER, ALL)) is True
        assert screen.check_action("choose_contact", ()) is True
        await focus_on(pilot, "candidates")
        assert options.highlighted == 0
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: bool(told(pilot)), "the answer")
        assert told(pilot) == ["Linked."]
        repo = stored(scene)
        try:
            linked = repo.interaction(scene.shared_call.id)
        finally:
            repo.close()
        assert linked is not None and linked.contact_id == scene.pat_second.id


# --- the directory's keys ------------------------------------------------------------------


async def open_directory(pilot: Pilot[None]) -> DirectoryScreen:
    await pilot.press("d")
    await settle(pilot)
    directory = pilot.app.screen
    assert isinstance(directory, DirectoryScreen)
    await wait_until(pilot, lambda: directory.highlighted is not None, "the directory's results")
    return directory


async def assert_the_card_offers_no_edit(pilot: Pilot[None], scene: Scene) -> None:
    """The contact card, opened from the directory, opens no edit form on its Edit key."""
    directory = pilot.app.screen
    await pilot.press("down", "enter")
    await settle(pilot)
    card = pilot.app.screen
    assert isinstance(card, ContactCard)
    before = fingerprint(scene.path)
    await pilot.press("e")
    await settle(pilot)
    assert not isinstance(pilot.app.screen, ContactForm), "the edit form opened"
    assert pilot.app.screen in (card, directory)
    assert_unchanged(before, scene.path)


# The directory needs view to open at all; then only the key's own permission decides. Each
# key is refused twice and permitted once here; test_gating.py has every combination that matters.
@pytest.mark.parametrize("combo", ids(frozenset({VIEW}), ALL - {EDIT}, ALL - {ADD}))
async def test_directory_keys(combo: Combo, scene: Scene) -> None:
    who = exactly(USER, combo)
    async with running(scene, combo) as pilot:
        directory = await open_directory(pilot)
        highlighted = directory.highlighted
        assert highlighted is not None
        assert directory.interaction is not None
        assert directory.interaction.id == scene.own_call.id
        for action in (*DIRECTORY_GATED, "link", "close"):
            gate = directory_gate(action, highlighted, scene.own_call, who)
            assert directory.check_action(action, ()) is gate, action
            assert directory.disabled_reason(action) == directory_disabled_reason(action, who)
        before = fingerprint(scene.path)
        for key in DIRECTORY_KEYS:
            assert key.needs is not None
            permitted = key.needs in combo
            assert directory.check_action(key.action, ()) is (True if permitted else None)
            assert directory.active_bindings[key.key].enabled is permitted
            already = len(told(pilot))
            await pilot.press(key.key)
            await settle(pilot)
            if permitted:
                form = pilot.app.screen
                assert isinstance(form, ContactForm), form
                if key.action == "new":
                    assert form.request.mode == FormMode.CREATE
                else:
                    assert form.request.mode == FormMode.EDIT
                    assert form.request.contact is not None
                    assert form.request.contact.id == highlighted.id
                await pilot.press("escape")
                await settle(pilot)
            else:
                # A refused key says why (issue 10, item 8), naming the permission.
                await wait_until(pilot, told_more_than(pilot, already), "the refusal")
                assert told(pilot)[already:] == [directory_disabled_reason(key.action, who)]
                assert key.needs.value in told(pilot)[-1]
            assert pilot.app.screen is directory, f"{key.key} left {pilot.app.screen!r}"
        assert_unchanged(before, scene.path)
        if EDIT not in combo:
            await assert_the_card_offers_no_edit(pilot, scene)


# --- forced past the footer, the service still refuses ---------------------------------------

FORM_ACTIONS = (
    Key("a", "add_to_contacts", PROMOTE),
    Key("n", "new_contact", ADD),
    Key("e", "edit", PROMOTE),  # on the ephemeral contact: Add to Contacts
)


# Each form action forced with view only and with everything but its own permission.
@pytest.mark.parametrize("combo", ids(frozenset({VIEW}), ALL - {PROMOTE}, ALL - {ADD}))
async def test_a_form_forced_open_is_refused_on_save(combo: Combo, scene: Scene) -> None:
    async with running(scene, combo) as pilot:
        screen = main_screen(pilot)
        before = fingerprint(scene.path)
        forced = [k for k in FORM_ACTIONS if k.needs not in combo]
        assert forced
        for key in forced:
            assert key.needs is not None
            await getattr(screen, f"action_{key.action}")()  # what a binding bug would do
            await settle(pilot)
            form = pilot.app.screen
            assert isinstance(form, ContactForm)
            if key.action == "new_contact":
                form.query_one("#f-firstName", Input).value = "New"
                form.query_one("#f-lastName", Input).value = "Person"
            await pilot.press("ctrl+s")
            await wait_until(pilot, done_saving(form), "the save to be refused")
            banner = text_of(pilot, "#form-banner")
            assert banner.startswith("Not saved: ")
            assert f"{USER} may not {key.needs.label}" in banner
            assert key.needs.value in banner
            assert pilot.app.screen is form  # the agent's entries are still there
            assert_unchanged(before, scene.path)
            await pilot.press("escape")
            await settle(pilot)
            if key.action == "new_contact":  # what was typed is discarded only when confirmed
                assert isinstance(pilot.app.screen, ConfirmDialog)
                await pilot.press("y")
                await settle(pilot)
            assert on_top(pilot) is screen
        assert_unchanged(before, scene.path)
