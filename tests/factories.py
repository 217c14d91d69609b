"""Builders the tests share: configs, agents, a clock moved by hand, and the stores the screen
and permission tiers start from.

Fixtures stay in the conftest modules; what a test imports comes from here (or from the tier's
own helper module: ``tests/ui/pilot.py``, ``tests/cli/runner.py``, ``tests/permissions/matrix.py``),
never from a conftest, which pytest loads under its own rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from contact_tui.config import BUILTIN_ROLES, Agent, Config, default_settings
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    Channel,
    Contact,
    Interaction,
    Participant,
    Permission,
    PhoneKind,
    Platform,
)
from contact_tui.service import ContactService, NewInteraction
from contact_tui.store.format import journal_header, record_line
from contact_tui.store.repository import Repository

# --- configs, agents, the clock ---------------------------------------------------------------


# The agents the tests route interactions to, as an admin config would list them: the embedded
# store takes an interaction only for someone its config gives view (Config.may_view).
TEST_AGENTS = ("alice", "bob", "carol")


def make_config(store_path: Path, **defaults: object) -> Config:
    """A config for tests: the built-in roles, the test agents as agents, and the given setting
    overrides."""
    settings = default_settings()
    settings.update({k.replace("_", "-"): v for k, v in defaults.items()})
    return Config(
        source=None,
        store_path=store_path,
        defaults=settings,
        roles=dict(BUILTIN_ROLES),
        user_roles={name: ("agent",) for name in TEST_AGENTS},
        group_roles={},
    )


def make_agent(user: str = "alice", *permissions: Permission) -> Agent:
    """An agent with exactly these permissions (all of them when none are given)."""
    perms = frozenset(permissions) if permissions else frozenset(Permission)
    return Agent(user=user, groups=frozenset(), roles=("test",), permissions=perms)


class FixedClock:
    """A clock tests move by hand, so dates in assertions are exact."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class StoreBuilder:
    """Fills a store through the service, as routing and agents would, a minute per step so
    every list's newest-first order is fixed."""

    def __init__(self, service: ContactService, clock: FixedClock) -> None:
        self.service = service
        self.clock = clock

    def curated(self, first: str, last: str, kind: PhoneKind, number: str) -> Contact:
        """A curated contact with one phone number."""
        contact = self.service.create_contact(
            ContactDraft(first_name=first, last_name=last, phones={kind: PhoneDraft(number)})
        )
        self.clock.now += timedelta(minutes=1)
        return contact

    def arrive(self, new: NewInteraction) -> Interaction:
        """An interaction handed over by the routing side."""
        interaction = self.service.handle_interaction(new)
        self.clock.now += timedelta(minutes=1)
        return interaction


# --- the screen tests' store ------------------------------------------------------------------

AGENT = "alice"
SAM_CELL = "+1 317 555 0123"
SHARED_NUMBER = "+1 317 555 0188"
UNKNOWN_CALLER = "+1 212 555 0100"
JO = "jo@example.com"
KIM_WHATSAPP = "+44 7700 900123"


@dataclass
class World:
    """A store with known contacts and interactions, and a way to open more services on it."""

    path: Path
    clock: FixedClock
    sam: Contact
    pat_first: Contact
    pat_second: Contact
    unknown_call: Interaction
    sam_call: Interaction
    shared_call: Interaction
    email: Interaction
    whatsapp: Interaction
    _repos: list[Repository] = field(default_factory=list)

    def service(self, user: str = AGENT, *permissions: Permission) -> ContactService:
        """A fresh service (its own repository) on the store; every permission by default."""
        repo = Repository.open(self.path)
        self._repos.append(repo)
        return ContactService(
            repo, make_config(self.path), make_agent(user, *permissions), self.clock
        )

    def repo(self) -> Repository:
        """A fresh embedded repository on the store (closed with the world), for tests that
        write documents the service would refuse."""
        repo = Repository.open(self.path)
        self._repos.append(repo)
        return repo

    def contact(self, contact_id: str) -> Contact:
        """A contact as stored now, read through a freshly opened repository."""
        found = self.service().repo.contact(contact_id)
        assert found is not None, f"no contact {contact_id} in the store"
        return found

    def interaction(self, interaction_id: str) -> Interaction:
        """An interaction as stored now, read through a freshly opened repository."""
        return self.service().interaction(interaction_id)

    def contacts(self) -> dict[str, Contact]:
        """Every stored contact by id, read through a freshly opened repository."""
        repo = self.service().repo
        return {c.id: c for c in repo.contacts(repo.contact_ids())}

    def state(self) -> tuple[dict[str, Contact], dict[str, Interaction]]:
        """Every contact and interaction as stored now (to prove nothing was written)."""
        repo = self.service().repo
        interactions = (repo.interaction(i) for i in repo.interaction_ids())
        return self.contacts(), {i.id: i for i in interactions if i is not None}

    def close(self) -> None:
        """Close every repository opened for this test."""
        for repo in self._repos:
            repo.close()


def voice(number: str, name: str = "") -> NewInteraction:
    """A voice call from ``number`` routed to alice."""
    return NewInteraction(AGENT, Channel.VOICE, Participant(number, name))


def whatsapp(number: str, name: str = "") -> NewInteraction:
    """A WhatsApp message from ``number`` routed to alice."""
    return NewInteraction(
        AGENT, Channel.MESSAGE, Participant(number, name), platform=Platform.WHATSAPP
    )


def build_world(path: Path) -> World:
    """The store every screen test starts from, at ``path``.

    Contacts: Sam Lee (cell +1 317 555 0123), then Pat Jones and Pat Smith a minute apart,
    both holding +1 317 555 0188. Interactions for alice, a minute apart so the table's
    newest-first order is fixed: an unknown caller, Sam calling, the shared number calling,
    an email from unknown jo@example.com, and a WhatsApp message from Kim.
    """
    clock = FixedClock()
    repo = Repository.open(path)
    build = StoreBuilder(ContactService(repo, make_config(path), make_agent(AGENT), clock), clock)
    try:
        sam = build.curated("Sam", "Lee", PhoneKind.CELL, SAM_CELL)
        pat_first = build.curated("Pat", "Jones", PhoneKind.CELL, SHARED_NUMBER)
        pat_second = build.curated("Pat", "Smith", PhoneKind.WORK, SHARED_NUMBER)
        unknown_call = build.arrive(voice(UNKNOWN_CALLER))
        sam_call = build.arrive(voice(SAM_CELL, "Sam Lee"))
        shared_call = build.arrive(voice(SHARED_NUMBER))
        email = build.arrive(
            NewInteraction(
                AGENT,
                Channel.EMAIL,
                Participant(JO, "Jo"),
                to=("support@example.com",),
                cc=("boss@example.com",),
                subject="My order",
            )
        )
        chat = build.arrive(whatsapp(KIM_WHATSAPP, "Kim"))
        clock.now += timedelta(minutes=5)
    finally:
        repo.close()
    return World(
        path=path,
        clock=clock,
        sam=sam,
        pat_first=pat_first,
        pat_second=pat_second,
        unknown_call=unknown_call,
        sam_call=sam_call,
        shared_call=shared_call,
        email=email,
        whatsapp=chat,
    )


# --- a store the version before contact notes wrote (issue 13) ---------------------------------

NOTE_A = "Prefers email.\nDeaf in one ear: speak up.  \n\n  Indented line"


def _old_contact(contact_id: str, **extra: Any) -> dict[str, Any]:
    doc = {"id": contact_id, "type": "Curated", "firstName": "Sam", "lastName": contact_id}
    return {**doc, "surveyOptOut": False, "version": 3, **extra}


def write_old_store(path: Path) -> None:
    """A store as the version before contact notes wrote it: four tables, no ``notes`` table,
    one contact with notes in the snapshot and one whose notes arrived in the journal."""
    snapshot = {
        "contacts": {
            "a": _old_contact(
                "a",
                notes=NOTE_A,
                createDate="2025-01-02T03:04:05.000Z",
                modifyDate="2025-06-07T08:09:10.000Z",
                createdBy="carol",
                modifiedBy="bob",
            ),
            "c": _old_contact("c", createDate="2025-01-02T03:04:05.000Z", createdBy="carol"),
            "e": _old_contact("e", notes="", modifiedBy="bob"),
        },
        "interactions": {},
        "audit": {},
        "settings": {},
        "_meta": {"store": {"format": 1, "generation": 1}},
    }
    path.write_bytes(orjson.dumps(snapshot))
    b = _old_contact("b", notes="Only the creator", createDate="2024-12-31T23:59:59.999Z")
    b["createdBy"] = "dave"
    journal = journal_header(1, (0, 0)) + record_line(
        1, "2025-06-07T08:09:10.000Z", "dave", [["put", "contacts", "b", b]]
    )
    path.with_name(path.name + ".journal").write_bytes(journal)
    path.with_name(path.name + ".lock").write_bytes(b"")
