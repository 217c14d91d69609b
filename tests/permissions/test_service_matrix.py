"""Every service action under every one of the 128 permission combinations.

Allowed: the action succeeds and does what it says. Refused: PermissionDenied names the first
missing permission and the store's files and audit table are exactly as they were. Reading or
acting on another agent's interaction takes the view-all permission, and the refusal names
whose it is; handing one to another agent takes the route permission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import (
    Channel,
    ContactType,
    InteractionState,
    Participant,
    Permission,
)
from contact_tui.service import ContactService, NewInteraction, PermissionDenied
from tests.permissions.matrix import (
    ADD,
    ADMIN,
    COMBOS,
    EDIT,
    OTHER_AGENT,
    PROMOTE,
    ROUTE,
    VIEW,
    VIEW_ALL,
    Combo,
    Scene,
    SceneTemplates,
    assert_unchanged,
    combo_id,
    fingerprint,
    first_missing,
)

USER = "alice"


def _new_person() -> ContactDraft:
    return ContactDraft(first_name="New", last_name="Person")


def _titled(scene: Scene) -> ContactDraft:
    draft = ContactDraft.from_contact(scene.sam)
    draft.title = "Head of Matrices"
    return draft


# Each action runs against the scene and checks its own result when it is allowed.
Run = Callable[[ContactService, Scene], Any]
Check = Callable[[Any, Scene, ContactService], None]


def _create(s: ContactService, scene: Scene) -> Any:
    return s.create_contact(_new_person())


def _check_created(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.type == ContactType.CURATED and result.created_by == USER


def _create_own(s: ContactService, scene: Scene) -> Any:
    return s.create_contact(_new_person(), interaction_id=scene.own_call.id)


def _check_created_own(result: Any, scene: Scene, s: ContactService) -> None:
    assert s.repo.interaction(scene.own_call.id).contact_id == result.id  # type: ignore[union-attr]


def _create_other(s: ContactService, scene: Scene) -> Any:
    return s.create_contact(_new_person(), interaction_id=scene.other_call.id)


def _check_created_other(result: Any, scene: Scene, s: ContactService) -> None:
    linked = s.repo.interaction(scene.other_call.id)
    assert linked is not None and linked.contact_id == result.id


def _edit(s: ContactService, scene: Scene) -> Any:
    return s.edit(scene.sam.id, _titled(scene), scene.sam.version)


def _check_edited(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.title == "Head of Matrices" and result.version == scene.sam.version + 1


def _promote(s: ContactService, scene: Scene) -> Any:
    return s.promote(scene.ephemeral.id, None, scene.ephemeral.version)


def _check_promoted(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.id == scene.ephemeral.id and result.type == ContactType.CURATED


def _link_own(s: ContactService, scene: Scene) -> Any:
    return s.link(scene.own_call.id, scene.sam.id)


def _link_other(s: ContactService, scene: Scene) -> Any:
    return s.link(scene.other_call.id, scene.sam.id)


def _check_linked(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.contact_id == scene.sam.id


def _unlink_own(s: ContactService, scene: Scene) -> Any:
    return s.unlink(scene.own_call.id)


def _unlink_other(s: ContactService, scene: Scene) -> Any:
    return s.unlink(scene.other_call.id)


def _check_unlinked(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.contact_id is None


def _end_own(s: ContactService, scene: Scene) -> Any:
    return s.end_interaction(scene.own_call.id)


def _end_other(s: ContactService, scene: Scene) -> Any:
    return s.end_interaction(scene.other_call.id)


def _check_ended(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.state == InteractionState.ENDED


def _search(s: ContactService, scene: Scene) -> Any:
    return s.search("Sam")


def _check_found(result: Any, scene: Scene, s: ContactService) -> None:
    assert [c.id for c in result.contacts] == [scene.sam.id]


def _show(s: ContactService, scene: Scene) -> Any:
    return s.contact(scene.sam.id)


def _check_shown(result: Any, scene: Scene, s: ContactService) -> None:
    assert result == scene.sam


def _audit(s: ContactService, scene: Scene) -> Any:
    return s.audit(scene.sam.id)


def _check_audit(result: Any, scene: Scene, s: ContactService) -> None:
    assert [r.action for r in result] == ["create"]


def _set_setting(s: ContactService, scene: Scene) -> Any:
    return s.set_setting("ephemeral-ttl-days", 30)


def _check_setting(result: Any, scene: Scene, s: ContactService) -> None:
    assert result == 30 and s.setting("ephemeral-ttl-days") == 30


def _expire(s: ContactService, scene: Scene) -> Any:
    return s.expire_ephemeral()


def _check_expired(result: Any, scene: Scene, s: ContactService) -> None:
    assert result == [scene.old.id]


def _hand_over(s: ContactService, scene: Scene) -> Any:
    return s.handle_interaction(
        NewInteraction(USER, Channel.VOICE, Participant("+1 212 555 0142", "New Caller"))
    )


def _check_handed_over(result: Any, scene: Scene, s: ContactService) -> None:
    contact = s.repo.contact(result.contact_id)
    assert contact is not None and contact.type == ContactType.EPHEMERAL
    assert result.agent == USER
    # The audit names the real user who handed it over, never "system".
    assert {r.agent for r in s.repo.audit_for(contact.id)} == {USER}


def _route(s: ContactService, scene: Scene) -> Any:
    return s.handle_interaction(
        NewInteraction(OTHER_AGENT, Channel.VOICE, Participant("+1 212 555 0142", "New Caller"))
    )


def _check_routed(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.agent == OTHER_AGENT
    assert result.id in {i.id for i in s.repo.interactions_for(OTHER_AGENT)}
    assert {r.agent for r in s.repo.audit_for(result.contact_id or "")} == {USER}


def _list_interactions(s: ContactService, scene: Scene) -> Any:
    return s.interactions()


def _check_listed(result: Any, scene: Scene, s: ContactService) -> None:
    assert [i.id for i in result] == [scene.own_call.id, scene.shared_call.id]


def _list_others(s: ContactService, scene: Scene) -> Any:
    return s.interactions(OTHER_AGENT)


def _check_listed_others(result: Any, scene: Scene, s: ContactService) -> None:
    assert [i.id for i in result] == [scene.other_call.id]


def _show_own(s: ContactService, scene: Scene) -> Any:
    return s.interaction(scene.own_call.id)


def _check_shown_own(result: Any, scene: Scene, s: ContactService) -> None:
    assert result == scene.own_call


def _show_other(s: ContactService, scene: Scene) -> Any:
    return s.interaction(scene.other_call.id)


def _check_shown_other(result: Any, scene: Scene, s: ContactService) -> None:
    assert result == scene.other_call


@dataclass(frozen=True)
class Action:
    """One use case: the permissions it checks, in order, and whether it needs ownership."""

    name: str
    needs: tuple[Permission, ...]
    run: Run
    check: Check
    writes: bool
    others_interaction: bool = False


ACTIONS = [
    Action("create", (ADD,), _create, _check_created, writes=True),
    Action("create-linked-own", (ADD,), _create_own, _check_created_own, writes=True),
    Action(
        "create-linked-other",
        (ADD, VIEW_ALL),
        _create_other,
        _check_created_other,
        writes=True,
        others_interaction=True,
    ),
    Action("edit", (EDIT,), _edit, _check_edited, writes=True),
    Action("promote", (PROMOTE,), _promote, _check_promoted, writes=True),
    Action("link-own", (VIEW,), _link_own, _check_linked, writes=True),
    Action(
        "link-other",
        (VIEW, VIEW_ALL),
        _link_other,
        _check_linked,
        writes=True,
        others_interaction=True,
    ),
    Action("unlink-own", (VIEW,), _unlink_own, _check_unlinked, writes=True),
    Action(
        "unlink-other",
        (VIEW, VIEW_ALL),
        _unlink_other,
        _check_unlinked,
        writes=True,
        others_interaction=True,
    ),
    Action("end-own", (VIEW,), _end_own, _check_ended, writes=True),
    Action(
        "end-other",
        (VIEW, VIEW_ALL),
        _end_other,
        _check_ended,
        writes=True,
        others_interaction=True,
    ),
    Action("search", (VIEW,), _search, _check_found, writes=False),
    Action("contact", (VIEW,), _show, _check_shown, writes=False),
    Action("audit", (VIEW,), _audit, _check_audit, writes=False),
    Action("set-setting", (ADMIN,), _set_setting, _check_setting, writes=True),
    Action("expire", (ADMIN,), _expire, _check_expired, writes=True),
    Action("handle-interaction", (VIEW,), _hand_over, _check_handed_over, writes=True),
    Action("route-interaction", (ROUTE,), _route, _check_routed, writes=True),
    Action("interactions", (VIEW,), _list_interactions, _check_listed, writes=False),
    Action(
        "interactions-other",
        (VIEW, VIEW_ALL),
        _list_others,
        _check_listed_others,
        writes=False,
        others_interaction=True,
    ),
    Action("interaction-own", (VIEW,), _show_own, _check_shown_own, writes=False),
    Action(
        "interaction-other",
        (VIEW, VIEW_ALL),
        _show_other,
        _check_shown_other,
        writes=False,
        others_interaction=True,
    ),
]

CASES = [
    pytest.param(action, combo, id=f"{action.name}-{combo_id(combo)}")
    for action in ACTIONS
    for combo in COMBOS
]


@pytest.fixture
def scene(tmp_path: Path, scene_templates: SceneTemplates) -> Scene:
    return scene_templates.copy(USER, tmp_path / "store")


@pytest.mark.parametrize(("action", "combo"), CASES)
def test_action_under_combination(action: Action, combo: Combo, scene: Scene) -> None:
    before = fingerprint(scene.path)
    service = scene.service(combo)
    try:
        missing = first_missing(combo, action.needs)
        if missing is not None:
            with pytest.raises(PermissionDenied) as denied:
                action.run(service, scene)
            message = str(denied.value)
            assert denied.value.permission == missing
            assert missing.value in message
            assert f"{USER} may not {missing.label}" in message
            assert "matrix" in message  # the agent's roles, so they know what to ask for
            assert "Ask your admin" in message
            if missing in (VIEW_ALL, ROUTE):
                assert f"{OTHER_AGENT}, not " in message  # whose interaction it is
            assert_unchanged(before, scene.path)
        else:
            result = action.run(service, scene)
            action.check(result, scene, service)
            if action.writes:
                assert fingerprint(scene.path).files != before.files, "nothing was saved"
            else:
                assert_unchanged(before, scene.path)
    finally:
        service.repo.close()


def test_the_matrix_covers_every_permission_and_refusal() -> None:
    """Each permission gates at least one action, every combination is present, and every
    action on another agent's interaction takes the view-all permission."""
    assert {p for action in ACTIONS for p in action.needs} == set(Permission)
    assert len({combo_id(c) for c in COMBOS}) == 128
    assert all(VIEW_ALL in a.needs for a in ACTIONS if a.others_interaction)
    assert all(VIEW_ALL not in a.needs for a in ACTIONS if not a.others_interaction)
