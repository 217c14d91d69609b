"""The screen's actions under the permission combinations that change their outcome.

At 80x24, with the agent's newest interaction selected (an unknown caller, linked to the
ephemeral contact made for it, so every main-screen action applies). Without the view
permission the screen lists no interactions at all, so the actions on one do not apply; the
screen never lists another agent's interactions, view-all or not.

* under the 16 combinations of the four permissions the screen gates on, each without and
  with the three it gates nothing on (admin, route, view-all): the footer shows exactly the
  actions the agent lacks a permission for as disabled, ``#profile-notes`` names each missing
  permission, and pressing a disabled key opens nothing and writes nothing;
* per key, under the combinations that decide it: refused keys do nothing, permitted keys open
  the form or the directory (or, for unlink and end, make their change);
* an action forced past the footer (as a screen bug might) is still refused by the service,
  with the permission named on screen and nothing written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

import contact_tui.ui.app
from contact_tui.domain.model import InteractionState, MatchKind, Permission
from contact_tui.store.repository import Repository
from contact_tui.ui.app import ContactApp
from contact_tui.ui.screens.contact_form import ContactForm, FormMode
from contact_tui.ui.screens.directory import ContactCard, DirectoryScreen
from contact_tui.ui.screens.main import MainScreen
from tests.permissions.matrix import (
    ADD,
    ADMIN,
    BOB_CALLER,
    EDIT,
    PROMOTE,
    ROUTE,
    VIEW,
    VIEW_ALL,
    Combo,
    Fingerprint,
    Scene,
    SceneTemplates,
    assert_unchanged,
    combo_id,
    fingerprint,
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
ALL: Combo = frozenset(Permission)
# The permissions the main screen gates actions on (admin, route and view-all gate none).
SCREEN_PERMISSIONS = (PROMOTE, ADD, EDIT, VIEW)
OTHERS: Combo = frozenset({ADMIN, ROUTE, VIEW_ALL})
SCREEN_COMBOS: list[Combo] = [
    frozenset(c) | extra
    for extra in (frozenset(), OTHERS)
    for c in (
        {p for i, p in enumerate(SCREEN_PERMISSIONS) if bits >> i & 1}
        for bits in range(2 ** len(SCREEN_PERMISSIONS))
    )
]
assert len(set(SCREEN_COMBOS)) == 32


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
    opened: list[Repository] = []

    def open_service() -> Any:
        service = scene.service(combo)
        opened.append(service.repo)
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
        for repo in opened:
            repo.close()


def told(pilot: Pilot[None]) -> list[str]:
    app = pilot.app
    assert isinstance(app, RecordingApp)
    return app.told


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


def expect_notes(notes: str, combo: Combo) -> None:
    """The profile names every permission the agent lacks for a screen action, and no other."""
    missing = [p for p in SCREEN_PERMISSIONS if p not in combo]
    if len(missing) == len(SCREEN_PERMISSIONS):
        assert "allow no contact actions" in notes and "Ask your admin" in notes
        return
    for permission in SCREEN_PERMISSIONS:
        assert (permission.value in notes) == (permission in missing), (permission, notes)


# --- the main screen's keys ----------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """A main-screen key, its action, and the permission that gates it (None: no permission)."""

    key: str
    action: str
    needs: Permission | None


# Actions on the contact the profile shows: they apply only while a contact is shown, which
# takes the view permission too.
ON_THE_CONTACT = ("add_to_contacts", "edit")
# Actions on the selected interaction or its contact: without view none is listed, so they do
# not apply (hidden) rather than being refused.
ON_AN_INTERACTION = (*ON_THE_CONTACT, "link", "unlink", "end_interaction")

MAIN_KEYS = (
    Key("a", "add_to_contacts", PROMOTE),
    Key("n", "new_contact", ADD),
    # The selected contact is ephemeral: Edit on it is Add to Contacts (issue 10), so promote.
    Key("e", "edit", PROMOTE),
    Key("l", "link", VIEW),
    Key("u", "unlink", VIEW),
    Key("d", "directory", VIEW),
    Key("x", "end_interaction", VIEW),
)


def assert_gated(screen: MainScreen, key: Key, combo: Combo) -> None:
    """The footer offers ``key`` enabled only when permitted; refused, it is shown disabled
    (check_action None) or, where it does not apply, hidden (False)."""
    state = screen.check_action(key.action, ())
    binding = screen.active_bindings.get(key.key)
    if VIEW not in combo and key.action in ON_AN_INTERACTION:
        assert state is False, (key, state)
        assert binding is None, key
    elif key.needs is not None and key.needs not in combo:
        assert state is None, (key, state)
        assert binding is not None and not binding.enabled, key
    else:
        assert state is True, (key, state)
        assert binding is not None and binding.enabled, key


@pytest.mark.parametrize("combo", [pytest.param(c, id=combo_id(c)) for c in SCREEN_COMBOS])
async def test_footer_notes_and_refused_keys(combo: Combo, scene: Scene) -> None:
    async with running(scene, combo) as pilot:
        screen = main_screen(pilot)
        for key in MAIN_KEYS:
            assert_gated(screen, key, combo)

        notes = screen.query_one("#profile-notes")
        if all(p in combo for p in SCREEN_PERMISSIONS):
            assert "hidden" in notes.classes
        else:
            assert "hidden" not in notes.classes
            expect_notes(text_of(pilot, "#profile-notes"), combo)

        before = fingerprint(scene.path)
        # A disabled key says why (issue 10); a key that does not apply here says nothing.
        disabled = [
            k
            for k in MAIN_KEYS
            if k.needs is not None and screen.check_action(k.action, ()) is None
        ]
        for key in MAIN_KEYS:
            if key.needs is not None and key.needs not in combo:
                await pilot.press(key.key)  # returns once the app is idle again
                assert pilot.app.screen is screen, f"{key.key} opened {pilot.app.screen!r}"
        await settle(pilot)
        assert pilot.app.screen is screen
        assert_unchanged(before, scene.path)
        assert len(told(pilot)) == len(disabled), told(pilot)
        for key, message in zip(disabled, told(pilot), strict=True):
            assert key.needs is not None and key.needs.value in message, (key, message)


def _key_cases() -> list[Any]:
    """Refused: no permission, and every permission but the key's own. Allowed: the fewest
    permissions the key works with, and all of them."""
    cases = []
    for key in MAIN_KEYS:
        if key.needs is None:
            combos = [frozenset(), ALL]
        else:
            # Acting on the shown contact also takes seeing it (see ON_AN_INTERACTION).
            least = {key.needs, VIEW} if key.action in ON_AN_INTERACTION else {key.needs}
            combos = [frozenset(), ALL - {key.needs}, frozenset(least), ALL]
        cases += [pytest.param(key, c, id=f"{key.key}-{combo_id(c)}") for c in combos]
    return cases


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
    elif key.action == "unlink":
        await wait_until(pilot, lambda: own_call_state(scene)[0] is None, "the unlink")
    else:
        await pilot.press("y")  # End asks first (issue 10)
        await wait_until(
            pilot, lambda: own_call_state(scene)[1] == InteractionState.ENDED, "the end"
        )


@pytest.mark.parametrize(("key", "combo"), _key_cases())
async def test_main_screen_key(key: Key, combo: Combo, scene: Scene) -> None:
    async with running(scene, combo) as pilot:
        screen = main_screen(pilot)
        before = fingerprint(scene.path)
        await pilot.press(key.key)
        await settle(pilot)
        if key.needs is None or key.needs in combo:
            await _expect_opened(pilot, key, scene, before)
            return
        assert pilot.app.screen is screen, f"{key.key} opened {pilot.app.screen!r}"
        assert_gated(screen, key, combo)
        expect_notes(text_of(pilot, "#profile-notes"), combo)
        if screen.check_action(key.action, ()) is None:  # disabled: the key said why
            assert len(told(pilot)) == 1 and key.needs.value in told(pilot)[0], told(pilot)
        else:  # does not apply here: nothing to say
            assert told(pilot) == []
        assert_unchanged(before, scene.path)


# --- the directory's keys ------------------------------------------------------------------

DIRECTORY_KEYS = (Key("f3", "new", ADD), Key("f4", "edit", EDIT))


def _directory_cases() -> list[Any]:
    # The directory needs view to open at all; then only the key's own permission decides.
    cases = []
    for key in DIRECTORY_KEYS:
        assert key.needs is not None
        combos = (frozenset({VIEW}), ALL - {key.needs}, frozenset({VIEW, key.needs}), ALL)
        cases += [pytest.param(key, c, id=f"{key.key}-{combo_id(c)}") for c in combos]
    return cases


async def open_directory(pilot: Pilot[None]) -> DirectoryScreen:
    await pilot.press("d")
    await settle(pilot)
    directory = pilot.app.screen
    assert isinstance(directory, DirectoryScreen)
    await wait_until(pilot, lambda: directory.highlighted is not None, "the directory's results")
    return directory


@pytest.mark.parametrize(("key", "combo"), _directory_cases())
async def test_directory_key(key: Key, combo: Combo, scene: Scene) -> None:
    assert key.needs is not None
    async with running(scene, combo) as pilot:
        directory = await open_directory(pilot)
        highlighted = directory.highlighted
        assert highlighted is not None
        before = fingerprint(scene.path)
        permitted = key.needs in combo
        assert directory.check_action(key.action, ()) is (True if permitted else None)
        assert directory.active_bindings[key.key].enabled is permitted
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
        else:
            assert pilot.app.screen is directory, f"{key.key} opened {pilot.app.screen!r}"
            # A refused key says why (issue 10, item 8), naming the permission.
            await wait_until(pilot, lambda: bool(told(pilot)), "the refusal")
            assert len(told(pilot)) == 1 and key.needs.value in told(pilot)[0]
        assert_unchanged(before, scene.path)


# --- forced past the footer, the service still refuses ---------------------------------------

FORM_ACTIONS = (
    Key("a", "add_to_contacts", PROMOTE),
    Key("n", "new_contact", ADD),
    Key("e", "edit", PROMOTE),  # on the ephemeral contact: Add to Contacts
)


def _forced_form_cases() -> list[Any]:
    cases = []
    for key in FORM_ACTIONS:
        assert key.needs is not None
        combos = (frozenset({VIEW}), ALL - {key.needs})
        cases += [pytest.param(key, c, id=f"{key.action}-{combo_id(c)}") for c in combos]
    return cases


@pytest.mark.parametrize(("key", "combo"), _forced_form_cases())
async def test_a_form_forced_open_is_refused_on_save(key: Key, combo: Combo, scene: Scene) -> None:
    assert key.needs is not None
    async with running(scene, combo) as pilot:
        screen = main_screen(pilot)
        before = fingerprint(scene.path)
        await getattr(screen, f"action_{key.action}")()  # what a binding bug would do
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ContactForm)
        if key.action == "new_contact":
            form.query_one("#f-firstName", Input).value = "New"
            form.query_one("#f-lastName", Input).value = "Person"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not form.saving, "the save to be refused")
        banner = text_of(pilot, "#form-banner")
        assert banner.startswith("Not saved: ")
        assert f"{USER} may not {key.needs.label}" in banner
        assert key.needs.value in banner
        assert pilot.app.screen is form  # the agent's entries are still there
        assert_unchanged(before, scene.path)


@pytest.mark.parametrize("action", ["unlink", "end_interaction"])
@pytest.mark.parametrize(
    "combo", [pytest.param(c, id=combo_id(c)) for c in (frozenset(), ALL - {VIEW})]
)
async def test_an_interaction_action_forced_without_view_is_refused(
    action: str, combo: Combo, scene: Scene
) -> None:
    async with running(scene, combo) as pilot:
        before = fingerprint(scene.path)
        screen = main_screen(pilot)
        screen.interaction = scene.own_call  # what a screen bug might select
        getattr(screen, f"action_{action}")()
        if action == "end_interaction":
            await settle(pilot)
            await pilot.press("y")  # End asks first (issue 10)
        await wait_until(pilot, lambda: bool(told(pilot)), "the refusal")
        assert len(told(pilot)) == 1 and VIEW.value in told(pilot)[0]
        assert_unchanged(before, scene.path)
        assert own_call_state(scene) == (scene.ephemeral.id, scene.own_call.state)


@pytest.mark.parametrize(
    "combo", [pytest.param(c, id=combo_id(c)) for c in (frozenset(), ALL - {VIEW}, ALL)]
)
async def test_choosing_a_candidate_needs_view(combo: Combo, scene: Scene) -> None:
    """Without view, neither the interaction nor its candidates are offered at all (the
    service refusing the link is covered above); with it, choosing one links it."""
    assert scene.shared_call.match == MatchKind.MULTIPLE
    async with running(scene, combo) as pilot:
        options = main_screen(pilot).query_one("#candidates", OptionList)
        if VIEW not in combo:
            assert "hidden" in options.classes
            return
        await select_interaction(pilot, scene.shared_call.id)
        assert "hidden" not in options.classes, "an agent who may view contacts has no choice"
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


# --- bugs found while building the matrix (fixed) ----------------------------------------


@pytest.mark.parametrize(
    "combo", [pytest.param(c, id=combo_id(c)) for c in (frozenset(), ALL - {VIEW})]
)
async def test_without_view_the_screen_shows_no_interaction_or_contact(
    combo: Combo, scene: Scene
) -> None:
    async with running(scene, combo) as pilot:
        # Una Known is the caller's name on alice's own call; Pat Jones (linked) and Pat Smith
        # (candidate) are contact data.
        shown = "\n".join(screen_lines(pilot))
        for hidden in ("Una Known", "Jones", "Smith"):
            assert hidden not in shown
        assert main_screen(pilot).contact is None
        notes = text_of(pilot, "#profile-notes")
        assert "interactions are not shown" in notes and VIEW.value in notes


@pytest.mark.parametrize(
    "combo", [pytest.param(c, id=combo_id(c)) for c in (frozenset({VIEW}), ALL - {EDIT})]
)
async def test_the_contact_card_offers_no_edit_without_the_permission(
    combo: Combo, scene: Scene
) -> None:
    async with running(scene, combo) as pilot:
        directory = await open_directory(pilot)
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


def test_admin_route_and_view_all_gate_no_screen_action() -> None:
    """None of them is needed for any key here: the screen shows and acts on the agent's own
    interactions only."""
    assert all(key.needs not in OTHERS for key in MAIN_KEYS + DIRECTORY_KEYS)
