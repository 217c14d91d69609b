"""The main screen's and the directory's permission gating, as plain functions
(contact_tui/ui/gating.py): no app is started. The combinations are tests/permissions/matrix.py's
``row_combos``: every combination of the permissions the screen's keys are gated on, each with
none and with all of the others (which the screens must ignore: shown here too).

For each combination, with the scene's own call selected as the screen selects it (an unknown
caller linked to the ephemeral contact made for it; without view the screen lists nothing, so
nothing is selected): which keys are enabled, shown disabled or hidden, what the profile's notes
say, and what a refused key says. tests/permissions/test_screen_matrix.py proves, with a few
Pilot runs, that the screens show exactly what these functions decide and write nothing when a
key is refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contact_tui.config import Agent
from contact_tui.domain.model import ContactType, MatchKind
from contact_tui.domain.permissions import UseCase
from contact_tui.ui.gating import (
    DIRECTORY_GATED,
    GATED,
    Selection,
    denied_notes,
    directory_disabled_reason,
    directory_gate,
    main_disabled_reason,
    main_gate,
    not_allowed,
)
from tests.permissions.matrix import (
    ADD,
    ALL,
    DIRECTORY_KEYS,
    EDIT,
    MAIN_KEYS,
    MERGE,
    ON_AN_INTERACTION,
    OTHERS,
    PROMOTE,
    SCREEN_PERMISSIONS,
    VIEW,
    Combo,
    Key,
    Scene,
    SceneTemplates,
    combo_id,
    exactly,
    expect_notes,
    expected_gate,
    row_combos,
    screen_selection,
)

USER = "alice"
ROLES = "matrix"  # the role label of exactly()'s agents
# The note an agent without view reads at the top of the profile.
UNREAD = f"Your interactions are not shown: that needs {VIEW.value}."
# The main screen gates its keys and notes on these alone.
MAIN_COMBOS = [pytest.param(c, id=combo_id(c)) for c in row_combos(SCREEN_PERMISSIONS)]


@pytest.fixture(scope="module")
def scene(scene_templates: SceneTemplates, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """The scene's interactions and contacts (only read here: no test writes the store)."""
    return scene_templates.copy(USER, tmp_path_factory.mktemp("gating"))


def agent(combo: Combo) -> Agent:
    return exactly(USER, combo)


def test_the_scene_selects_an_interaction_every_main_key_applies_to(scene: Scene) -> None:
    """The selection the matrix uses leaves no key hidden for want of something to act on."""
    assert scene.ephemeral.type == ContactType.EPHEMERAL
    assert scene.own_call.contact_id == scene.ephemeral.id
    for key in MAIN_KEYS:
        assert main_gate(key.action, screen_selection(scene, ALL), agent(ALL)) is True, key


# --- the main screen ---------------------------------------------------------------------


@pytest.mark.parametrize("combo", MAIN_COMBOS)
def test_main_footer_notes_and_refusals(combo: Combo, scene: Scene) -> None:
    """Enabled only when permitted; not permitted, shown disabled and the key names the
    permission it needs; hidden, and silent, where it does not apply (without view)."""
    who, selection = agent(combo), screen_selection(scene, combo)
    for key in MAIN_KEYS:
        gate = main_gate(key.action, selection, who)
        assert gate is expected_gate(key, combo), (key, gate)
        reason = main_disabled_reason(key.action, selection, who)
        if gate is None:
            assert key.needs is not None and reason is not None
            lacking = ({key.needs} | key.also) - combo
            assert all(p.value in reason for p in lacking), reason
            assert f"your roles ({ROLES})" in reason, reason
        else:
            assert reason is None, (key, reason)

    notes = denied_notes(who)
    if all(p in combo for p in SCREEN_PERMISSIONS):
        assert notes == ()  # the notes line is hidden
    else:
        assert notes != ()
        expect_notes("\n".join(notes), combo)
    assert (UNREAD in notes) == (VIEW not in combo), notes


def _key_cases() -> list[Any]:
    """Refused: no permission, and every permission but the key's own. Allowed: the fewest
    permissions the key works with, and all of them."""
    cases = []
    for key in MAIN_KEYS:
        assert key.needs is not None
        # Acting on the shown contact also takes seeing it (see ON_AN_INTERACTION).
        least = ({key.needs, VIEW} if key.action in ON_AN_INTERACTION else {key.needs}) | key.also
        cases += [
            pytest.param(key, combo, allowed, id=f"{key.key}-{combo_id(combo)}")
            for combo, allowed in (
                (frozenset(), False),
                (ALL - {key.needs}, False),
                (frozenset(least), True),
                (ALL, True),
            )
        ]
    return cases


@pytest.mark.parametrize(("key", "combo", "allowed"), _key_cases())
def test_main_key_needs_its_permission(key: Key, combo: Combo, allowed: bool, scene: Scene) -> None:
    gate = main_gate(key.action, screen_selection(scene, combo), agent(combo))
    assert (gate is True) == allowed, gate


def test_edit_on_a_contact_in_contacts_needs_edit(scene: Scene) -> None:
    """Edit is Add to Contacts only on a contact not yet in Contacts; on a curated one it needs
    the edit permission, and its refusal says Edit."""
    curated = Selection(scene.shared_call, scene.pat_first)
    assert main_gate("edit", curated, agent(ALL - {PROMOTE})) is True
    assert main_gate("edit", curated, agent(ALL - {EDIT})) is None
    assert main_gate("add_to_contacts", curated, agent(ALL)) is False  # already in Contacts
    assert main_disabled_reason("edit", curated, agent(ALL - {EDIT})) == not_allowed(
        "Edit", [EDIT], ROLES
    )
    ephemeral = screen_selection(scene, ALL)
    assert main_disabled_reason("edit", ephemeral, agent(ALL - {PROMOTE})) == not_allowed(
        "Add to Contacts (Edit on a contact not yet in Contacts)", [PROMOTE], ROLES
    )


@pytest.mark.parametrize("combo", [pytest.param(c, id=combo_id(c)) for c in (ALL - {VIEW}, ALL)])
def test_choosing_a_candidate_needs_view_and_several_matches(combo: Combo, scene: Scene) -> None:
    """Offered on a call that matched several contacts, to an agent who may view them;
    elsewhere it does not apply."""
    assert scene.shared_call.match == MatchKind.MULTIPLE
    several = Selection(scene.shared_call, scene.pat_first, (scene.pat_first, scene.pat_second))
    who = agent(combo)
    assert main_gate("choose_contact", several, who) is (True if VIEW in combo else None)
    assert main_gate("choose_contact", Selection(scene.shared_call, scene.pat_first), who) is False
    assert main_gate("choose_contact", screen_selection(scene, ALL), who) is False


def test_nothing_selected_leaves_only_new_and_directory() -> None:
    """With no interaction (an empty list), only the actions that need none apply."""
    for action in GATED:
        expected = action in ("new_contact", "directory")
        assert (main_gate(action, Selection(None, None), agent(ALL)) is True) == expected, action


def test_each_missing_permission_names_its_actions() -> None:
    """The notes group the refused actions by the permission they need, after the note that
    the interactions are not shown."""
    needs_view = (
        "Not allowed for you: Link, Unlink, Choose a matching contact, Directory, End, "
        f"Wrap-up note, Merge, Undo a merge (needs {VIEW.value})."
    )
    needs_merge = f"Not allowed for you: Merge, Undo a merge (needs {MERGE.value})."
    assert denied_notes(agent(ALL - {VIEW})) == (UNREAD, needs_view)
    assert denied_notes(agent(frozenset({PROMOTE}))) == (
        UNREAD,
        f"Not allowed for you: Create New Contact (needs {ADD.value}).",
        f"Not allowed for you: Edit, Add a note, Merge, Undo a merge (needs {EDIT.value}).",
        needs_view,
        needs_merge,
    )
    assert denied_notes(agent(frozenset({VIEW, ADD, EDIT, MERGE}))) == (
        f"Not allowed for you: Add to Contacts (needs {PROMOTE.value}).",
    )
    assert denied_notes(agent(ALL - {MERGE})) == (needs_merge,)


def test_no_screen_action_says_ask_for_the_agent_role() -> None:
    assert denied_notes(agent(frozenset())) == (
        UNREAD,
        f"Your roles ({ROLES}) allow no contact actions. Ask your admin for the agent role.",
    )


@pytest.mark.parametrize(
    "combo", [pytest.param(c, id=combo_id(c)) for c in row_combos(ALL - OTHERS)]
)
def test_admin_route_and_view_all_change_nothing_on_the_screens(combo: Combo, scene: Scene) -> None:
    """The screens show and act on the agent's own interactions only: holding admin, route or
    view-all, or not, changes no gate, reason or note."""
    who, without = agent(combo), agent(combo - OTHERS)
    selection = screen_selection(scene, combo)
    for action in GATED:
        assert main_gate(action, selection, who) is main_gate(action, selection, without)
        assert main_disabled_reason(action, selection, who) == main_disabled_reason(
            action, selection, without
        )
    for action in DIRECTORY_GATED:
        assert directory_gate(action, scene.sam, None, who) is directory_gate(
            action, scene.sam, None, without
        )
    assert denied_notes(who) == denied_notes(without)


def test_admin_route_and_view_all_gate_no_screen_action() -> None:
    """None of them is needed for any key here: the screen shows and acts on the agent's own
    interactions only."""
    assert all(key.needs not in OTHERS for key in MAIN_KEYS + DIRECTORY_KEYS)
    use_cases = [u for u, _ in GATED.values()] + [u for _, u in DIRECTORY_GATED.values()]
    assert UseCase.OTHERS_INTERACTION not in use_cases


# --- the directory -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "combo",
    [pytest.param(c, id=combo_id(c)) for c in row_combos({VIEW, ADD, EDIT}) if VIEW in c],
)
def test_directory_keys(combo: Combo, scene: Scene) -> None:
    """The directory opens only with view; there New (F3) and Edit (F4) need their own
    permission: enabled with it, shown disabled without, and the key names what it needs."""
    who = agent(combo)
    for key in DIRECTORY_KEYS:
        assert key.needs is not None
        permitted = key.needs in combo
        for interaction in (None, scene.own_call):
            gate = directory_gate(key.action, scene.sam, interaction, who)
            assert gate is (True if permitted else None), (key, gate)
        reason = directory_disabled_reason(key.action, who)
        if permitted:
            assert reason is None
        else:
            assert reason is not None and key.needs.value in reason, reason
    # Edit has nothing to act on with no contact highlighted: hidden, whatever is held.
    assert directory_gate("edit", None, scene.own_call, who) is False


def test_directory_refusals_name_every_missing_permission() -> None:
    """Import needs view and add; without both, the refusal names both."""
    reason = directory_disabled_reason("import", agent(frozenset()))
    assert reason == not_allowed("Import", [VIEW, ADD], ROLES)
    assert directory_disabled_reason("import", agent(ALL)) is None
    assert directory_disabled_reason("close", agent(frozenset())) is None


def test_directory_link_needs_an_interaction_and_a_contact(scene: Scene) -> None:
    who = agent(ALL)
    assert directory_gate("link", scene.sam, scene.own_call, who) is True
    assert directory_gate("link", scene.sam, None, who) is False
    assert directory_gate("link", None, scene.own_call, who) is False
    assert directory_gate("close", None, None, agent(frozenset())) is True


def test_the_gating_rules_import_no_textual() -> None:
    """The rules are plain functions: importing them loads no Textual (a fresh interpreter,
    so modules other tests imported cannot hide a leak)."""
    code = (
        "import sys\n"
        "import contact_tui.ui.gating\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert out.stdout.strip() == ""
