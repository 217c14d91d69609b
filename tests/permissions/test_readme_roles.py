"""The README's role table ("Setting it up on a shared host") says what the service does.

The permission column must name exactly the built-in roles' permissions, and the "may" column,
read as a list of actions below, must be exactly what each role's agent can do through the
service (every action needs some permission, so a user with no role can do nothing). The
same column, with the README's import and export rules, is written out once more as use cases
(``README_USE_CASES``), by hand, to hold the permission table
(:mod:`contact_tui.domain.permissions`), which the matrices derive their expectations from.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contact_tui.config import BUILTIN_ROLES
from contact_tui.domain.model import Permission
from contact_tui.domain.permissions import UseCase, in_check_order, missing
from contact_tui.service import PermissionDenied
from tests.permissions.matrix import SceneTemplates
from tests.permissions.test_service_matrix import ACTIONS, USER

README = Path(__file__).resolve().parents[2] / "README.md"

# The README's "may" column, one action name (as in the service matrix) per claim.
VIEWER_MAY = {
    "search",  # see and search contacts and read their notes
    "contact",
    "audit",
    "notes",
    "interactions",  # see their own interactions
    "interaction-own",
    "handle-interaction",  # take in their own
    "link-own",
    "unlink-own",
    "end-own",
    "history",  # a contact's interactions (their own among them)
    "wrap-up-own",  # the wrap-up note of their own interactions
}
AGENT_MAY = VIEWER_MAY | {
    "create",
    "create-linked-own",
    "edit",
    "promote",
    "add-note",  # add contact notes, and edit or delete their own
    "edit-own-note",
    "delete-own-note",
    "merge",  # merge two contacts and undo a merge
    "merge-preview",
    "unmerge",
}
SUPERVISOR_MAY = AGENT_MAY | {
    "set-setting",  # change settings
    "expire",  # expire ephemeral contacts
    "route-interaction",  # hand interactions to other agents
    "interactions-other",  # see and act on others' interactions
    "interaction-other",
    "link-other",
    "unlink-other",
    "end-other",
    "create-linked-other",
    "wrap-up-other",
    "edit-other-note",  # edit or delete others' contact notes
    "delete-other-note",
    "erase",  # erase a contact (an erasure request)
}
ROUTER_MAY = {"route-interaction"}  # hand interactions to any agent, nothing else
README_MAY = {
    "viewer": VIEWER_MAY,
    "agent": AGENT_MAY,
    "supervisor": SUPERVISOR_MAY,
    "router": ROUTER_MAY,
}


# The same claims as use cases, plus "Import and export": import needs view and add, export
# view. Written out, not computed from the table: this is what the table is checked against.
VIEWER_USE_CASES = {
    UseCase.VIEW_CONTACTS,  # see and search contacts and read their notes
    UseCase.SEARCH,
    UseCase.VIEW_NOTES,
    UseCase.READ_INTERACTIONS,  # see, take in, link, unlink and end their own interactions
    UseCase.TAKE_IN_INTERACTION,
    UseCase.LINK,
    UseCase.UNLINK,
    UseCase.END_INTERACTION,
    UseCase.EXPORT_CONTACTS,
    UseCase.CONTACT_HISTORY,  # see a contact's interactions (their own)
    UseCase.WRAP_UP,  # write wrap-up notes on their own interactions
}
AGENT_USE_CASES = VIEWER_USE_CASES | {
    UseCase.CREATE_CONTACT,  # also create, edit and Add to Contacts (promote)
    UseCase.EDIT_CONTACT,
    UseCase.PROMOTE_CONTACT,
    UseCase.IMPORT_CONTACTS,
    UseCase.ADD_NOTE,  # add contact notes, and edit or delete their own
    UseCase.EDIT_NOTE,
    UseCase.MERGE_CONTACTS,  # merge two contacts and undo a merge
    UseCase.UNMERGE_CONTACTS,
}
README_USE_CASES = {
    "viewer": VIEWER_USE_CASES,
    "agent": AGENT_USE_CASES,
    "supervisor": AGENT_USE_CASES
    | {
        UseCase.CHANGE_SETTINGS,  # change settings
        UseCase.EXPIRE_EPHEMERAL,  # expire ephemeral contacts
        UseCase.ROUTE_INTERACTION,  # hand interactions to other agents
        UseCase.OTHERS_INTERACTION,  # see and act on others' interactions
        UseCase.OTHERS_NOTE,  # edit or delete others' contact notes
        UseCase.ERASE_CONTACT,  # erase a contact (an erasure request)
    },
    "router": {UseCase.ROUTE_INTERACTION},
}


def readme_roles() -> dict[str, tuple[frozenset[Permission], str]]:
    """Each role row of the table: the permissions it lists and its "may" text."""
    rows: dict[str, tuple[frozenset[Permission], str]] = {}
    known = {p.value: p for p in Permission}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] not in BUILTIN_ROLES:
            continue
        role, listed, may = cells
        permissions = {known[name] for name in re.findall(r"`([^`]+)`", listed)}
        # "view + ..." and "agent + ..." build on the role above.
        if listed.startswith("view +"):
            permissions |= rows["viewer"][0]
        if listed.startswith("agent +"):
            permissions |= rows["agent"][0]
        rows[role] = (frozenset(permissions), may)
    return rows


def test_the_table_lists_each_built_in_role_with_its_permissions() -> None:
    rows = readme_roles()
    assert set(rows) == set(BUILTIN_ROLES)
    for role, (permissions, _) in rows.items():
        assert permissions == BUILTIN_ROLES[role], role


@pytest.mark.parametrize("role", list(BUILTIN_ROLES))
def test_what_the_table_says_a_role_may_do_is_what_the_service_allows(
    role: str, tmp_path: Path, scene_templates: SceneTemplates
) -> None:
    allowed = set()
    for action in ACTIONS:
        scene = scene_templates.copy(USER, tmp_path / action.name)
        service = scene.service(BUILTIN_ROLES[role])
        try:
            action.run(service, scene)
        except PermissionDenied:
            continue
        finally:
            service.repo.close()
        allowed.add(action.name)
    assert allowed == README_MAY[role]


def test_no_role_may_do_nothing(tmp_path: Path, scene_templates: SceneTemplates) -> None:
    """A user the config gives no role: every action is refused, interactions included."""
    for action in ACTIONS:
        scene = scene_templates.copy(USER, tmp_path / action.name)
        service = scene.service(frozenset())
        try:
            with pytest.raises(PermissionDenied):
                action.run(service, scene)
        finally:
            service.repo.close()


@pytest.mark.parametrize("role", list(BUILTIN_ROLES))
def test_the_permission_table_gives_each_role_what_the_readme_says(role: str) -> None:
    held = BUILTIN_ROLES[role]
    assert {u for u in UseCase if not missing(held, u)} == README_USE_CASES[role]


def test_the_permission_table_gives_no_role_nothing() -> None:
    assert all(missing(frozenset(), u) for u in UseCase)


def test_import_needs_view_and_add_and_names_view_first() -> None:
    """As the README says; a user with neither is told about view, as before the table."""
    lacking = missing(frozenset(), UseCase.IMPORT_CONTACTS)
    assert in_check_order(lacking) == (Permission.VIEW, Permission.ADD)
    assert missing({Permission.VIEW}, UseCase.IMPORT_CONTACTS) == {Permission.ADD}
