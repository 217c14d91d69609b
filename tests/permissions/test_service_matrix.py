"""Every service action under every combination of the permissions its rule names, each
with none and with all of the others (tests/permissions/matrix.py: ``row_combos``).

Allowed: the action succeeds and does what it says. Refused: PermissionDenied names the first
missing permission and the store's files and audit table are exactly as they were. Reading or
acting on another agent's interaction takes the view-all permission, and the refusal names
whose it is; handing one to another agent takes the route permission.

Every case runs over both stores with the same expectations; over PostgreSQL the agent's
permissions are the server's grants. And since an agent may connect to the database with
other clients than this app, every case the app refuses runs once more over PostgreSQL with a
client that claims every permission: the server itself must refuse the write or show nothing
the grants do not allow, and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import (
    Channel,
    ContactType,
    Interaction,
    InteractionState,
    Participant,
    Permission,
)
from contact_tui.domain.permissions import UseCase
from contact_tui.service import (
    ContactService,
    InvalidInput,
    NewInteraction,
    PermissionDenied,
    SearchResult,
)
from contact_tui.store.errors import NotFound, StoreRefused
from tests.contract import store_params
from tests.permissions.matrix import (
    ADD,
    ALL,
    NOTE_ALL,
    OTHER_AGENT,
    ROUTE,
    VIEW_ALL,
    Combo,
    PgScenes,
    Row,
    Scene,
    SceneTemplates,
    assert_row_combos,
    combo_id,
    first_missing,
    needs_of,
    row_combos,
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
    linked = scene.reader(s).interaction(scene.own_call.id)
    assert linked is not None and linked.contact_id == result.id


def _create_other(s: ContactService, scene: Scene) -> Any:
    return s.create_contact(_new_person(), interaction_id=scene.other_call.id)


def _check_created_other(result: Any, scene: Scene, s: ContactService) -> None:
    linked = scene.reader(s).interaction(scene.other_call.id)
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
    reader = scene.reader(s)
    contact = reader.contact(result.contact_id)
    assert contact is not None and contact.type == ContactType.EPHEMERAL
    assert result.agent == USER
    # The audit names the real user who handed it over, never "system".
    assert {r.agent for r in reader.audit_for(contact.id)} == {USER}


def _route(s: ContactService, scene: Scene) -> Any:
    return s.handle_interaction(
        NewInteraction(OTHER_AGENT, Channel.VOICE, Participant("+1 212 555 0142", "New Caller"))
    )


def _check_routed(result: Any, scene: Scene, s: ContactService) -> None:
    reader = scene.reader(s)
    assert result.agent == OTHER_AGENT
    assert result.id in {i.id for i in reader.interactions_for(OTHER_AGENT)}
    assert {r.agent for r in reader.audit_for(result.contact_id or "")} == {USER}


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


def _history(s: ContactService, scene: Scene) -> Any:
    return s.contact_history(scene.ephemeral.id)


def _check_history(result: Any, scene: Scene, s: ContactService) -> None:
    assert [i.id for i in result] == [scene.own_call.id]


NOTE = "Matrix wrap-up.\nSecond line."


def _wrap_up_own(s: ContactService, scene: Scene) -> Any:
    return s.set_wrap_up(scene.own_call.id, NOTE)


def _wrap_up_other(s: ContactService, scene: Scene) -> Any:
    return s.set_wrap_up(scene.other_call.id, NOTE)


def _check_wrapped_up(result: Any, scene: Scene, s: ContactService) -> None:
    stored = scene.reader(s).interaction(result.id)
    assert result.wrap_up_note == NOTE and stored is not None and stored.wrap_up_note == NOTE


def _notes(s: ContactService, scene: Scene) -> Any:
    return s.contact_notes(scene.pat_first.id)


def _check_notes(result: Any, scene: Scene, s: ContactService) -> None:
    assert {n.id for n in result} == {scene.own_note.id, scene.other_note.id}


def _add_note(s: ContactService, scene: Scene) -> Any:
    return s.add_note(scene.pat_first.id, "Matrix note")


def _check_note_added(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.text == "Matrix note" and result.created_by == USER


def _edit_own_note(s: ContactService, scene: Scene) -> Any:
    return s.edit_note(scene.own_note.id, "Changed", scene.own_note.version)


def _edit_other_note(s: ContactService, scene: Scene) -> Any:
    return s.edit_note(scene.other_note.id, "Changed", scene.other_note.version)


def _check_note_edited(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.text == "Changed" and result.modified_by == USER


def _delete_own_note(s: ContactService, scene: Scene) -> Any:
    return s.delete_note(scene.own_note.id)


def _delete_other_note(s: ContactService, scene: Scene) -> Any:
    return s.delete_note(scene.other_note.id)


def _check_note_deleted(result: Any, scene: Scene, s: ContactService) -> None:
    remaining = scene.reader(s).notes_for(scene.pat_first.id)
    assert len(remaining) == 1


def _merge(s: ContactService, scene: Scene) -> Any:
    return s.merge(scene.sam.id, scene.ephemeral.id)


def _check_merged(result: Any, scene: Scene, s: ContactService) -> None:
    reader = scene.reader(s)
    assert result.contact.id == scene.sam.id and reader.contact(scene.ephemeral.id) is None
    linked = reader.interaction(scene.own_call.id)
    assert linked is not None and linked.contact_id == scene.sam.id


def _preview(s: ContactService, scene: Scene) -> Any:
    return s.merge_preview(scene.sam.id, scene.ephemeral.id)


def _check_previewed(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.relinked == (scene.own_call.id,) and not result.collisions
    assert {p.display for _, p in result.result.phones()} == {
        p.display for c in (scene.sam, scene.ephemeral) for _, p in c.phones()
    }


def _unmerge(s: ContactService, scene: Scene) -> Any:
    return s.unmerge(scene.merge_id)


def _check_unmerged(result: Any, scene: Scene, s: ContactService) -> None:
    assert result.restored == scene.merged_away and result.unrestored == ()
    assert scene.reader(s).contact(scene.merged_away.id) == scene.merged_away


def _erase(s: ContactService, scene: Scene) -> Any:
    return s.erase_contact(scene.sam.id)


def _check_erased(result: Any, scene: Scene, s: ContactService) -> None:
    reader = scene.reader(s)
    assert reader.contact(scene.sam.id) is None
    trail = reader.audit_for(scene.sam.id)
    assert trail[-1].id == result.id and trail[-1].action == "erase"
    assert all(r.fields == () and r.version is None and r.merge is None for r in trail)


@dataclass(frozen=True)
class Action:
    """One service call: the use cases it goes through, in order (the table says what they
    need), and whether it acts on another agent's interaction."""

    name: str
    uses: tuple[UseCase, ...]
    run: Run
    check: Check
    writes: bool
    others_interaction: bool = False

    @property
    def needs(self) -> tuple[Permission, ...]:
        """The permissions it needs, in the order it is refused for them."""
        return needs_of(self.uses)


CREATE, LINK, UNLINK, END = (
    UseCase.CREATE_CONTACT,
    UseCase.LINK,
    UseCase.UNLINK,
    UseCase.END_INTERACTION,
)
READ, OTHERS = UseCase.READ_INTERACTIONS, UseCase.OTHERS_INTERACTION


ACTIONS = [
    Action("create", (CREATE,), _create, _check_created, writes=True),
    Action("create-linked-own", (CREATE,), _create_own, _check_created_own, writes=True),
    Action(
        "create-linked-other",
        (CREATE, OTHERS),
        _create_other,
        _check_created_other,
        writes=True,
        others_interaction=True,
    ),
    Action("edit", (UseCase.EDIT_CONTACT,), _edit, _check_edited, writes=True),
    Action("promote", (UseCase.PROMOTE_CONTACT,), _promote, _check_promoted, writes=True),
    Action("link-own", (LINK,), _link_own, _check_linked, writes=True),
    Action(
        "link-other",
        (LINK, OTHERS),
        _link_other,
        _check_linked,
        writes=True,
        others_interaction=True,
    ),
    Action("unlink-own", (UNLINK,), _unlink_own, _check_unlinked, writes=True),
    Action(
        "unlink-other",
        (UNLINK, OTHERS),
        _unlink_other,
        _check_unlinked,
        writes=True,
        others_interaction=True,
    ),
    Action("end-own", (END,), _end_own, _check_ended, writes=True),
    Action(
        "end-other",
        (END, OTHERS),
        _end_other,
        _check_ended,
        writes=True,
        others_interaction=True,
    ),
    Action("search", (UseCase.SEARCH,), _search, _check_found, writes=False),
    Action("contact", (UseCase.VIEW_CONTACTS,), _show, _check_shown, writes=False),
    Action("audit", (UseCase.VIEW_CONTACTS,), _audit, _check_audit, writes=False),
    Action("set-setting", (UseCase.CHANGE_SETTINGS,), _set_setting, _check_setting, writes=True),
    Action("expire", (UseCase.EXPIRE_EPHEMERAL,), _expire, _check_expired, writes=True),
    Action(
        "handle-interaction",
        (UseCase.TAKE_IN_INTERACTION,),
        _hand_over,
        _check_handed_over,
        writes=True,
    ),
    Action("route-interaction", (UseCase.ROUTE_INTERACTION,), _route, _check_routed, writes=True),
    Action("interactions", (READ,), _list_interactions, _check_listed, writes=False),
    Action(
        "interactions-other",
        (READ, OTHERS),
        _list_others,
        _check_listed_others,
        writes=False,
        others_interaction=True,
    ),
    Action("interaction-own", (READ,), _show_own, _check_shown_own, writes=False),
    Action("merge", (UseCase.MERGE_CONTACTS,), _merge, _check_merged, writes=True),
    Action("merge-preview", (UseCase.MERGE_CONTACTS,), _preview, _check_previewed, writes=False),
    Action("unmerge", (UseCase.UNMERGE_CONTACTS,), _unmerge, _check_unmerged, writes=True),
    Action("erase", (UseCase.ERASE_CONTACT,), _erase, _check_erased, writes=True),
    Action(
        "interaction-other",
        (READ, OTHERS),
        _show_other,
        _check_shown_other,
        writes=False,
        others_interaction=True,
    ),
    Action("history", (UseCase.CONTACT_HISTORY,), _history, _check_history, writes=False),
    Action("wrap-up-own", (UseCase.WRAP_UP,), _wrap_up_own, _check_wrapped_up, writes=True),
    Action(
        "wrap-up-other",
        (UseCase.WRAP_UP, OTHERS),
        _wrap_up_other,
        _check_wrapped_up,
        writes=True,
        others_interaction=True,
    ),
    Action("notes", (UseCase.VIEW_NOTES,), _notes, _check_notes, writes=False),
    Action("add-note", (UseCase.ADD_NOTE,), _add_note, _check_note_added, writes=True),
    Action("edit-own-note", (UseCase.EDIT_NOTE,), _edit_own_note, _check_note_edited, writes=True),
    Action(
        "edit-other-note",
        (UseCase.EDIT_NOTE, UseCase.OTHERS_NOTE),
        _edit_other_note,
        _check_note_edited,
        writes=True,
    ),
    Action(
        "delete-own-note",
        (UseCase.EDIT_NOTE,),
        _delete_own_note,
        _check_note_deleted,
        writes=True,
    ),
    Action(
        "delete-other-note",
        (UseCase.EDIT_NOTE, UseCase.OTHERS_NOTE),
        _delete_other_note,
        _check_note_deleted,
        writes=True,
    ),
]

# One test per action (and store) runs it under its combinations (``row_combos``, ``Row``).
ROWS = [pytest.param(action, id=action.name) for action in ACTIONS]

SceneFor = Callable[[str], AbstractContextManager[Scene]]


@pytest.fixture(params=store_params())
def scene_for(request: pytest.FixtureRequest, scene_templates: SceneTemplates) -> SceneFor:
    """Each case's scene as built, by the case's name: over the embedded store a copy in a
    folder of its own; over PostgreSQL the working database, put back after the case."""
    if request.param == "embedded":
        tmp_path: Path = request.getfixturevalue("tmp_path")

        @contextmanager
        def embedded(case: str) -> Iterator[Scene]:
            yield scene_templates.copy(USER, tmp_path / case)

        return embedded
    return _pg_scene_for(request)


def _pg_scene_for(request: pytest.FixtureRequest) -> SceneFor:
    scenes: PgScenes = request.getfixturevalue("pg_scenes")

    @contextmanager
    def postgres(case: str) -> Iterator[Scene]:
        scene = scenes.scene(USER)
        assert scene.pg is not None
        try:
            yield scene
        finally:
            scene.pg.reset()

    return postgres


@pytest.mark.parametrize("action", ROWS)
def test_action_under_every_combination(action: Action, scene_for: SceneFor) -> None:
    row = Row()
    for combo in row_combos(action.needs):
        with row.case(combo_id(combo)), scene_for(combo_id(combo)) as scene:
            _action_under_combination(action, combo, scene)
    row.check()


def _action_under_combination(action: Action, combo: Combo, scene: Scene) -> None:
    before = scene.snapshot()
    service = scene.service(combo)
    try:
        missing = first_missing(combo, action.needs)
        # What screens and the CLI ask before offering an action is what the service does.
        assert all(service.allowed(use) for use in action.uses) is (missing is None)
        if missing is not None:
            with pytest.raises(PermissionDenied) as denied:
                action.run(service, scene)
            message = str(denied.value)
            assert denied.value.permission == missing
            assert missing.value in message
            assert f"{USER} may not {missing.label}" in message
            assert "matrix" in message  # the agent's roles, so they know what to ask for
            assert "Ask your admin" in message
            if missing in (VIEW_ALL, ROUTE, NOTE_ALL):
                assert f"{OTHER_AGENT}, not " in message  # whose interaction or note it is
            scene.assert_unchanged(before)
        else:
            result = action.run(service, scene)
            action.check(result, scene, service)
            if action.writes:
                assert scene.snapshot().files != before.files, "nothing was saved"
            else:
                scene.assert_unchanged(before)
    finally:
        scene.release(service)


def refused_combos(action: Action) -> list[Combo]:
    """The combinations the app refuses ``action`` under (each lacks a permission it needs),
    for a client that does not ask the app."""
    combos = row_combos(action.needs)
    return [combo for combo in combos if first_missing(combo, action.needs) is not None]


def _reveals_nothing(result: Any, scene: Scene, combo: Combo) -> None:
    """A read the grants do not allow found nothing, or an interaction without what the
    customer said. Whose it is shows (the app's refusal says so too), and so does its sender
    to a user who may make a contact from it."""
    if isinstance(result, SearchResult):
        assert result.contacts == [] and result.total == 0
    elif isinstance(result, Interaction):
        assert (result.transcript, result.subject, result.to, result.cc) == ((), "", (), ())
        call = scene.own_call if result.id == scene.own_call.id else scene.other_call
        # Making a contact from an interaction one may act on takes its sender (add).
        takes_sender = ADD in combo and (call is scene.own_call or VIEW_ALL in combo)
        assert result.from_ == (call.from_ if takes_sender else Participant("", ""))
    else:
        assert result in (None, [])


@pytest.mark.pg
@pytest.mark.parametrize("action", ROWS)
def test_the_database_refuses_what_the_app_would(
    action: Action, request: pytest.FixtureRequest
) -> None:
    pg_scene_for = _pg_scene_for(request)
    row = Row()
    for combo in refused_combos(action):
        with row.case(combo_id(combo)), pg_scene_for(combo_id(combo)) as scene:
            _the_database_refuses(action, combo, scene)
    row.check()


def _the_database_refuses(action: Action, combo: Combo, pg_scene: Scene) -> None:
    before = pg_scene.snapshot()
    # The client claims every permission; the server holds only ``combo``.
    service = pg_scene.service(combo, claimed=ALL)
    if action.writes:
        with pytest.raises((StoreRefused, InvalidInput)) as refused:
            action.run(service, pg_scene)
        error = refused.value
        if isinstance(error, StoreRefused):
            # The server names a permission the user lacks (its own order of checks).
            assert error.permission is not None
            assert error.permission not in combo
        else:
            # Another agent's interaction comes back without its link, so the lying client
            # finds nothing to act on and writes nothing.
            assert action.others_interaction, error
    else:
        try:
            result = action.run(service, pg_scene)
        except (NotFound, StoreRefused):
            result = None  # a refusal reveals nothing either (the merge preview's)
        _reveals_nothing(result, pg_scene, combo)
    pg_scene.assert_unchanged(before)


def test_the_matrix_covers_every_permission_and_refusal() -> None:
    """Each permission gates at least one action, each use case but import and export (their
    own tests are in tests/service and the CLI matrix) is gone through, each row tries every
    combination of the permissions it names with none and with all of the others, and every
    action on another agent's interaction takes the view-all permission."""
    assert {p for action in ACTIONS for p in action.needs} == set(Permission)
    exchange = {UseCase.IMPORT_CONTACTS, UseCase.EXPORT_CONTACTS}
    assert {u for action in ACTIONS for u in action.uses} == set(UseCase) - exchange
    for action in ACTIONS:
        assert_row_combos(row_combos(action.needs), action.needs)
    assert all(VIEW_ALL in a.needs for a in ACTIONS if a.others_interaction)
    assert all(VIEW_ALL not in a.needs for a in ACTIONS if not a.others_interaction)
