"""Fixtures shared by every tier: a temporary store, configs and agents with chosen roles."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from contact_tui.config import BUILTIN_ROLES, SETTINGS, Agent, Config
from contact_tui.domain.model import Permission
from contact_tui.service import ContactService
from contact_tui.store.repository import Repository

# Property tests must not flake on a loaded 2-core CI machine: no deadlines, no speed health
# check, and in CI the same examples every run (locally they keep exploring).
settings.register_profile(
    "contact-tui",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("contact-tui")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Where a test's store lives; nothing is created until something opens it."""
    return tmp_path / "store.json"


def make_config(store_path: Path, **defaults: object) -> Config:
    """A config for tests: the built-in roles and the given setting overrides."""
    settings = {name: spec[1] for name, spec in SETTINGS.items()}
    settings.update({k.replace("_", "-"): v for k, v in defaults.items()})
    return Config(
        source=None,
        store_path=store_path,
        defaults=settings,
        roles=dict(BUILTIN_ROLES),
        user_roles={},
        group_roles={},
    )


def make_agent(user: str = "alice", *permissions: Permission) -> Agent:
    """An agent with exactly these permissions (all of them when none are given)."""
    perms = frozenset(permissions) if permissions else frozenset(Permission)
    return Agent(user=user, groups=frozenset(), roles=("test",), permissions=perms)


class FixedClock:
    """A clock tests move by hand, so dates in assertions are exact."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    """A fixed clock at 2026-11-28 09:00 UTC."""
    return FixedClock()


@pytest.fixture
def service_for(store_path: Path, clock: FixedClock) -> Iterator[Callable[..., ContactService]]:
    """Build services over one shared store: ``service_for("bob", Permission.VIEW)``."""
    opened: list[Repository] = []

    def build(user: str = "alice", *permissions: Permission, **defaults: object) -> ContactService:
        repo = Repository.open(store_path)
        opened.append(repo)
        return ContactService(
            repo, make_config(store_path, **defaults), make_agent(user, *permissions), clock
        )

    yield build
    for repo in opened:
        repo.close()


@pytest.fixture
def service(service_for: Callable[..., ContactService]) -> ContactService:
    """A service for agent alice with every permission."""
    return service_for("alice")


@pytest.fixture(autouse=True)
def _group_friendly_umask() -> Iterator[None]:
    """Run with a strict umask so tests prove the store sets modes itself."""
    old = os.umask(0o077)
    yield
    os.umask(old)
