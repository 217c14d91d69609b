"""The README's role table ("Setting it up on a shared host") says what the service does.

The permission column must name exactly the built-in roles' permissions, and the "may" column,
read as a list of actions below, must be exactly what each role's agent can do through the
service (plus what needs no permission: ending and handing over their own interactions).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contact_tui.config import BUILTIN_ROLES
from contact_tui.domain.model import Permission
from contact_tui.service import InvalidInput, PermissionDenied
from tests.permissions.conftest import build_scene
from tests.permissions.test_service_matrix import ACTIONS, USER

README = Path(__file__).resolve().parents[2] / "README.md"

# The README's "may" column, one action name (as in the service matrix) per claim.
NEEDS_NOTHING = {"end-own", "handle-interaction", "interactions"}
VIEWER_MAY = {"search", "contact", "audit", "link-own", "unlink-own"}  # see, search, link own
AGENT_MAY = VIEWER_MAY | {"create", "create-linked-own", "edit", "promote"}
SUPERVISOR_MAY = AGENT_MAY | {
    "set-setting",  # change settings
    "expire",  # expire ephemeral contacts
    "link-other",  # act on others' interactions
    "unlink-other",
    "end-other",
    "create-linked-other",
}
README_MAY = {"viewer": VIEWER_MAY, "agent": AGENT_MAY, "supervisor": SUPERVISOR_MAY}


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
    role: str, tmp_path: Path
) -> None:
    allowed = set()
    for action in ACTIONS:
        scene = build_scene(tmp_path / action.name, USER)
        service = scene.service(BUILTIN_ROLES[role])
        try:
            action.run(service, scene)
        except (PermissionDenied, InvalidInput):
            continue
        finally:
            service.repo.close()
        allowed.add(action.name)
    assert allowed == README_MAY[role] | NEEDS_NOTHING
