"""What the agent sees, pinned as SVG snapshots at 80x24 and 120x40.

Run ``.venv/bin/pytest tests/snapshots --snapshot-update`` after a deliberate change to the
look, and read the new SVGs (they open in a browser) before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import Channel, EmailKind, Participant, PhoneKind, Platform
from contact_tui.service import ContactService, NewInteraction
from contact_tui.store.repository import Repository
from contact_tui.ui.app import ContactApp
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.main import MainScreen
from tests.factories import FixedClock, make_agent, make_config
from tests.ui.pilot import wait_until

# Relative to a per-test working folder: the agent bar shows the path as given, so it is the
# same in every run, and concurrent runs on one host do not share a store.
STORE = Path("store.json")
SIZES = [(80, 24), (120, 40)]


def build_store(clock: FixedClock) -> None:
    """A small store: one curated contact, and interactions of each kind for alice."""
    service = ContactService(Repository.open(STORE), make_config(STORE), make_agent("alice"), clock)
    service.create_contact(
        ContactDraft(
            first_name="Sam",
            last_name="Lee",
            title="Buyer",
            phones={PhoneKind.CELL: PhoneDraft("(317) 555-0123", True)},
            emails={EmailKind.WORK: "sam.lee@example.com"},
            address={"address1": "12 Main St", "city": "Indianapolis", "countryCode": "US"},
        )
    )
    for minutes, new in enumerate(
        [
            NewInteraction(
                "alice",
                Channel.MESSAGE,
                Participant("+44 7700 900123", "Kim"),
                platform=Platform.WHATSAPP,
                transcript=("Hi! Where is my parcel?",),
            ),
            NewInteraction(
                "alice",
                Channel.EMAIL,
                Participant("jo@example.com", "Jo Bloggs"),
                to=("support@example.com",),
                subject="Invoice 4471 is wrong",
                transcript=("The total does not match the quote.",),
            ),
            NewInteraction("alice", Channel.VOICE, Participant("+1 317 555 0123", "SAM LEE")),
            NewInteraction("alice", Channel.VOICE, Participant("+1 212 555 0199")),
        ]
    ):
        clock.now += timedelta(minutes=minutes + 1)
        service.handle_interaction(new)
    service.repo.close()
    clock.now += timedelta(minutes=2)


def make_app() -> ContactApp:
    """The app on the snapshot store, for alice, with a fixed clock and no cursor blink."""
    clock = FixedClock()
    build_store(clock)
    return ContactApp(
        lambda: ContactService(
            Repository.open(STORE), make_config(STORE), make_agent("alice"), clock
        ),
        clock=clock,
        cursor_blink=False,
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until the store is open and the first look at it is on screen."""

    def opened() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, MainScreen) and screen.service is not None and not screen._refreshing
        )

    await wait_until(pilot, opened, "the store to open")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def steps(*keys: str) -> Callable[[Pilot[Any]], Any]:
    """Settle, then press keys, letting each screen settle in between (its workers done and
    their messages handled: waits, not sleeps)."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    return run


@pytest.fixture(autouse=True)
def _own_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each snapshot test runs in a fresh folder of its own."""
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_with_an_ephemeral_caller(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=steps())


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_with_a_curated_contact(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("down"))


@pytest.mark.parametrize("size", SIZES)
def test_add_to_contacts_form(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("a"))


@pytest.mark.parametrize("size", SIZES)
def test_form_with_a_read_only_whatsapp_identity(snap_compare: Any, size: tuple[int, int]) -> None:
    keys = ("down", "down", "down", "n", "tab", "tab", "tab", "tab")
    assert snap_compare(make_app(), terminal_size=size, run_before=steps(*keys))


@pytest.mark.parametrize("size", SIZES)
def test_directory_search(snap_compare: Any, size: tuple[int, int]) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await steps("d")(pilot)
        await pilot.press(*"lee")
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        # The search waits for typing to stop, then runs in a worker: wait for its results.
        await wait_until(pilot, lambda: directory._shown[0] == "lee", "the search for lee")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run)
