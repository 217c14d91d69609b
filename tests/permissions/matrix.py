"""Shared by the permission matrix tiers: every combination of the seven permissions, a store
with one thing for every action to act on, and a fingerprint proving nothing was written.

The same scene is built for the service, the command line and the screen, for whichever agent
the tier runs as (``alice`` for the service and the screen, the OS user for the CLI), so the
three tiers check the same actions on the same data. It is built once per agent and test
process (``SceneTemplates``) and copied for each test: building takes ~40 ms, copying <1 ms,
and the matrix has thousands of cases.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import combinations
from pathlib import Path

from contact_tui.config import Agent
from contact_tui.domain.model import (
    Channel,
    Contact,
    ContactType,
    Interaction,
    Participant,
    Permission,
    PhoneKind,
)
from contact_tui.domain.permissions import NEEDS, UseCase, in_check_order
from contact_tui.service import ContactService, NewInteraction
from contact_tui.store.repository import Repository
from tests.factories import (
    SAM_CELL,
    SHARED_NUMBER,
    UNKNOWN_CALLER,
    FixedClock,
    StoreBuilder,
    make_agent,
    make_config,
)

Combo = frozenset[Permission]

VIEW, ADD, EDIT, PROMOTE, ADMIN, ROUTE, VIEW_ALL = (
    Permission.VIEW,
    Permission.ADD,
    Permission.EDIT,
    Permission.PROMOTE,
    Permission.ADMIN,
    Permission.ROUTE,
    Permission.VIEW_ALL_INTERACTIONS,
)
SHORT = {
    VIEW: "view",
    ADD: "add",
    EDIT: "edit",
    PROMOTE: "promote",
    ADMIN: "admin",
    ROUTE: "route",
    VIEW_ALL: "viewAll",
}

# Every subset of the seven permissions: 128 combinations, from none to all.
COMBOS: list[Combo] = [
    frozenset(chosen)
    for size in range(len(Permission) + 1)
    for chosen in combinations(list(Permission), size)
]
assert len(COMBOS) == 2 ** len(Permission) == 128


def combo_id(combo: Combo) -> str:
    """A readable test id: 'view+edit', or 'none'."""
    return "+".join(SHORT[p] for p in Permission if p in combo) or "none"


def exactly(user: str, combo: Combo) -> Agent:
    """An agent holding exactly ``combo`` (make_agent gives every permission for none)."""
    return Agent(user=user, groups=frozenset(), roles=("matrix",), permissions=combo)


def first_missing(combo: Combo, needs: tuple[Permission, ...]) -> Permission | None:
    """The first permission of ``needs`` (in the order the code checks them) not in ``combo``."""
    return next((p for p in needs if p not in combo), None)


def needs_of(uses: tuple[UseCase, ...]) -> tuple[Permission, ...]:
    """What an action going through ``uses`` in turn needs, in the order it is refused for:
    each use case's permissions as the table has them, in check order. The matrices expect
    this rather than spelling the permissions again; tests/permissions/test_readme_roles.py
    holds the table to the README."""
    return tuple(dict.fromkeys(p for use in uses for p in in_check_order(NEEDS[use])))


# --- the scene every tier acts on -----------------------------------------------------------

OTHER_AGENT = "bob"
BOB_CALLER = "+1 212 555 0177"
OLD_CALLER = "+1 212 555 0199"


@dataclass(frozen=True)
class Scene:
    """A store holding something for every action, as ``user`` would find it.

    * ``sam``: a curated contact (edit, show, history, link target);
    * ``own_call``: the newest of ``user``'s interactions, from an unknown caller, linked to the
      ephemeral contact ``ephemeral`` made for it (promote, unlink, end);
    * ``shared_call``: ``user``'s call from a number two curated contacts share (candidates);
    * ``other_call``: an interaction routed to bob, linked to its own ephemeral contact;
    * ``old``: an ephemeral contact last seen 90 days ago, past the 60-day TTL (expire).
    """

    path: Path
    clock: FixedClock
    user: str
    sam: Contact
    pat_first: Contact
    pat_second: Contact
    ephemeral: Contact
    own_call: Interaction
    shared_call: Interaction
    other_call: Interaction
    old: Contact

    def service(self, combo: Combo) -> ContactService:
        """A service for ``user`` holding exactly ``combo``; the caller closes its repo."""
        return ContactService(
            Repository.open(self.path),
            make_config(self.path),
            exactly(self.user, combo),
            self.clock,
        )


def build_scene(folder: Path, user: str) -> Scene:
    """Build the scene in ``folder`` through the service, as routing and agents would."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "store.json"
    clock = FixedClock()
    repo = Repository.open(path)
    try:
        build = StoreBuilder(
            ContactService(repo, make_config(path), make_agent(user), clock), clock
        )

        def arrive(agent: str, number: str, name: str = "") -> Interaction:
            return build.arrive(NewInteraction(agent, Channel.VOICE, Participant(number, name)))

        start = clock.now
        clock.now = start - timedelta(days=90)
        old_call = arrive("carol", OLD_CALLER, "Old Caller")
        clock.now = start
        sam = build.curated("Sam", "Lee", PhoneKind.CELL, SAM_CELL)
        pat_first = build.curated("Pat", "Jones", PhoneKind.CELL, SHARED_NUMBER)
        pat_second = build.curated("Pat", "Smith", PhoneKind.WORK, SHARED_NUMBER)
        other_call = arrive(OTHER_AGENT, BOB_CALLER, "Bob's Caller")
        shared_call = arrive(user, SHARED_NUMBER)
        own_call = arrive(user, UNKNOWN_CALLER, "Una Known")
        clock.now += timedelta(minutes=5)
        ephemeral = repo.contact(own_call.contact_id or "")
        old = repo.contact(old_call.contact_id or "")
    finally:
        repo.close()
    assert ephemeral is not None and ephemeral.type == ContactType.EPHEMERAL
    assert old is not None and old.type == ContactType.EPHEMERAL
    return Scene(
        path=path,
        clock=clock,
        user=user,
        sam=sam,
        pat_first=pat_first,
        pat_second=pat_second,
        ephemeral=ephemeral,
        own_call=own_call,
        shared_call=shared_call,
        other_call=other_call,
        old=old,
    )


def copy_scene(template: Scene, folder: Path) -> Scene:
    """The same scene in ``folder``: the store's files copied byte for byte (modes included),
    and a clock of its own at the template's time, so a test that moves it moves only its own."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in template.path.parent.iterdir():
        shutil.copy2(source, folder / source.name)
    return replace(template, path=folder / template.path.name, clock=FixedClock(template.clock.now))


class SceneTemplates:
    """One scene per agent, built on first use in ``folder`` and copied for each test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._built: dict[str, Scene] = {}

    def copy(self, user: str, folder: Path) -> Scene:
        """A fresh copy of ``user``'s scene in ``folder``."""
        if user not in self._built:
            self._built[user] = build_scene(self.folder / f"scene-{len(self._built)}", user)
        return copy_scene(self._built[user], folder)


# --- proving nothing was written -----------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    """Every file in the store's folder, byte for byte, and the audit table's size."""

    files: dict[str, bytes]
    audit_records: int


def fingerprint(path: Path) -> Fingerprint:
    """The store at ``path`` as it is on disk now (read through a fresh repository)."""
    files = {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file()}
    repo = Repository.open(path, create=False)
    try:
        audit = len(repo.store.table_ids("audit"))
    finally:
        repo.close()
    return Fingerprint(files, audit)


def assert_unchanged(before: Fingerprint, path: Path) -> None:
    """Fail naming the file that changed (or the audit count) if anything was written."""
    after = fingerprint(path)
    assert sorted(after.files) == sorted(before.files), "files were added or removed"
    for name, data in before.files.items():
        assert after.files[name] == data, f"{name} changed"
    assert after.audit_records == before.audit_records
