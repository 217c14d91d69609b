"""A worker that raises what nobody expected never leaves a screen busy, and the agent is told
(issue 10, item 2): one app-level handler, fed by each screen's forwarded worker failures."""

from __future__ import annotations

from typing import Any

import pytest
from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from contact_tui.domain.model import Interaction
from contact_tui.service import ContactService
from contact_tui.ui.protocols import ForwardsWorkerErrors
from contact_tui.ui.widgets.interaction_pane import InteractionPane
from tests.factories import World, voice
from tests.ui.pilot import (
    interaction_table,
    main_screen,
    running,
    select_interaction,
    settle,
    wait_until,
)


class BusyScreen(ForwardsWorkerErrors, Screen[None]):
    """A screen that, like the form, is busy while its worker runs."""

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        self.failures: list[BaseException | None] = []

    def compose(self) -> ComposeResult:
        """Something to show."""
        yield Static("busy screen")

    def start(self) -> None:
        """Become busy and start the worker."""
        self.busy = True
        self._fail()

    @work(thread=True, exit_on_error=False, name="Doing the test task")
    def _fail(self) -> None:
        raise LookupError("nothing expected this")

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """Clear the busy state."""
        self.failures.append(error)
        self.busy = False


async def test_a_screens_failed_worker_clears_its_busy_state_and_is_reported(
    world: World, told: list[str]
) -> None:
    async with running(world) as pilot:
        screen = BusyScreen()
        await pilot.app.push_screen(screen)
        screen.start()
        await wait_until(pilot, lambda: not screen.busy, "the busy state to clear")
        assert len(screen.failures) == 1 and isinstance(screen.failures[0], LookupError)
        assert any(
            "Doing the test task failed with an unexpected error" in m
            and "nothing expected this" in m
            for m in told
        ), told
        assert pilot.app.is_running  # the app goes on


async def test_a_refresh_that_raises_does_not_stop_the_screen_refreshing(
    world: World, told: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(world) as pilot:
        screen = main_screen(pilot)
        original = InteractionPane.show
        calls = 0

        def show_once_broken(self: InteractionPane, *args: Any, **kwargs: Any) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("a bug in painting")
            original(self, *args, **kwargs)

        monkeypatch.setattr(InteractionPane, "show", show_once_broken)
        world.service().handle_interaction(voice("+1 212 555 0142"))
        await wait_until(pilot, lambda: calls >= 1, "the refresh to run")
        await wait_until(pilot, lambda: not screen._refreshing, "the refresh flag to clear")
        assert any("Looking for changes in the store failed" in m for m in told), told

        # The next change is shown: the screen is not stuck waiting for the failed look.
        world.service().handle_interaction(voice("+1 212 555 0143"))
        await wait_until(
            pilot, lambda: interaction_table(pilot).row_count == 7, "the next two interactions"
        )


async def test_a_change_that_raises_is_reported_and_the_key_works_again(
    world: World, told: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(world) as pilot:
        await select_interaction(pilot, world.sam_call.id)
        original = ContactService.unlink
        attempts = 0

        def unlink_once_broken(self: ContactService, interaction_id: str) -> Interaction:
            nonlocal attempts
            attempts += 1
            if attempts == 1:
                raise KeyError("unexpected")
            return original(self, interaction_id)

        monkeypatch.setattr(ContactService, "unlink", unlink_once_broken)
        await pilot.press("u")
        await wait_until(
            pilot, lambda: any("Saving your change failed" in m for m in told), "the report"
        )
        assert world.interaction(world.sam_call.id).contact_id == world.sam.id

        await pilot.press("u")
        await wait_until(
            pilot,
            lambda: world.interaction(world.sam_call.id).contact_id is None,
            "the second unlink",
        )
        await settle(pilot)
