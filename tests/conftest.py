"""Fixtures shared by every tier: a temporary store, services for chosen agents, and the
screen tests' store (the builders themselves are in tests/factories.py)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import textual._wait as textual_wait
from hypothesis import HealthCheck, settings

from contact_tui.domain.model import Permission
from contact_tui.service import ContactService
from contact_tui.store.repository import Repository
from tests import painting
from tests.factories import FixedClock, World, build_world, make_agent, make_config

# The command-line tests' config and runner, also used by the hostile-input tests; the
# PostgreSQL server and databases for the tests of the PostgreSQL store.
pytest_plugins = ["tests.cli.fixtures", "tests.pg.server", "tests.contract"]

# Property tests must not flake on a loaded 2-core CI machine: no deadlines, no speed health
# check, and in CI the same examples every run (locally they keep exploring).
settings.register_profile(
    "contact-tui",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("contact-tui")

# Every key a Pilot test presses waits twice for the app to go idle, and Textual judges idle in
# windows of 20 ms (under 1 ms of CPU in one): at least 40 ms a key, most of a form test's time.
# The same judgement in 5 ms windows (the same 5% CPU share) waits for the same work, a
# quarter as long. The pinned Textual (<8.3) reads both at every wait.
textual_wait.SLEEP_GRANULARITY = 0.005
textual_wait.SLEEP_IDLE = textual_wait.SLEEP_GRANULARITY / 20

# Headless apps render only the frames a test reads and their last one (tests/painting.py).
painting.install()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """How many workers ``pytest -n auto`` starts: one more than there are cores. Every worker
    spends about a third of its time waiting (for the app under test to go idle, for the
    PostgreSQL server, for child processes), and a spare worker fills those gaps: on 2 cores
    3 workers finish the suite sooner than 2 (the Makefile's ``test`` target has figures)."""
    return (os.cpu_count() or 1) + 1


# The few tests that take several seconds each (child processes writing for a set time): run
# first, so that no worker is still in one after the others have run out of tests.
LONGEST_FIRST = ("tests/load/", "tests/faults/test_kill.py", "tests/unit/test_concurrency.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the longest tests to the front (otherwise in the order collected)."""
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))


# A Pilot test allocates hundreds of thousands of short-lived objects (messages, strips,
# styles). At CPython's default threshold (700 new objects) the collector runs thousands of
# times in a screen test file, each run also walking the objects that survived since the last
# one; fewer, larger young collections free the same garbage for less: in
# tests/ui/test_contact_form.py and test_conflict.py the collector's CPU fell from ~2.1 s to
# ~0.7 s of ~18 s. It changes when this process collects, not what any code does.
YOUNG_GENERATION_THRESHOLD = 50_000


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once the tests are collected (in each xdist worker), make young collections rarer (see
    YOUNG_GENERATION_THRESHOLD)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Where a test's store lives; nothing is created until something opens it."""
    return tmp_path / "store.json"


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


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The store the screen tests start from (see ``build_world``); shared with the hostile
    tests, which drive the same screens."""
    built = build_world(tmp_path / "store.json")
    yield built
    built.close()


@pytest.fixture(autouse=True)
def _group_friendly_umask() -> Iterator[None]:
    """Run with a strict umask so tests prove the store sets modes itself."""
    old = os.umask(0o077)
    yield
    os.umask(old)
