"""An idle main screen costs next to nothing (issue 10, item 17): it reads the store only when
a store file changed (inotify, or two lstat calls where there is none), and repaints an age only
when its text changes, and then only that cell."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.widgets.data_table import ColumnKey

from contact_tui.store.watch import InotifyWatch, StatWatch
from contact_tui.ui.screens.main import MainScreen
from contact_tui.ui.widgets.interaction_pane import InteractionTable, seconds_to_next_age
from tests.factories import World, voice
from tests.ui.pilot import interaction_table, main_screen, running, settle, wait_until


def test_inotify_says_when_the_journal_changes_and_only_then(tmp_path: Path) -> None:
    watch = InotifyWatch.open(tmp_path / "store.json")
    assert watch is not None, "inotify is available on Linux"
    try:
        assert not watch.changed()
        (tmp_path / "store.json.lock").write_bytes(b"")  # a writer's lock: not a change
        (tmp_path / "other.txt").write_bytes(b"x")
        assert not watch.changed()
        with open(tmp_path / "store.json.journal", "ab") as journal:
            journal.write(b"{}\n")
        assert watch.changed()
        assert not watch.changed()  # each change is said once
        (tmp_path / "new").write_bytes(b"{}")
        os.replace(tmp_path / "new", tmp_path / "store.json")  # a compaction's rename
        assert watch.changed() and watch.alive
    finally:
        watch.close()


def test_inotify_says_when_the_folder_goes(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    watch = InotifyWatch.open(folder / "store.json")
    assert watch is not None
    try:
        folder.rename(tmp_path / "moved")
        assert watch.changed() and not watch.alive
    finally:
        watch.close()


def test_the_fallback_compares_the_files(tmp_path: Path) -> None:
    watch = StatWatch(tmp_path / "store.json")
    assert not watch.changed()
    (tmp_path / "store.json.journal").write_bytes(b"{}\n")
    assert watch.changed() and not watch.changed()


def test_the_next_age_change() -> None:
    start = datetime(2026, 1, 1)
    assert seconds_to_next_age(start, start + timedelta(seconds=12.25)) == 0.75
    assert seconds_to_next_age(start, start + timedelta(minutes=4, seconds=10)) == 50
    assert seconds_to_next_age(start, start + timedelta(hours=3)) == 3600


def count_workers(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record every refresh worker the main screen starts."""
    started: list[bool] = []
    original = MainScreen._reload_worker

    def counting(self: MainScreen, force: bool) -> Any:
        started.append(force)
        return original(self, force)

    monkeypatch.setattr(MainScreen, "_reload_worker", counting)
    return started


@pytest.mark.parametrize("inotify", [True, False], ids=["inotify", "lstat-poll"])
async def test_an_idle_screen_starts_no_worker_and_still_sees_changes(
    world: World, monkeypatch: pytest.MonkeyPatch, inotify: bool
) -> None:
    if not inotify:
        monkeypatch.setattr(InotifyWatch, "open", classmethod(lambda cls, path: None))
    started = count_workers(monkeypatch)
    async with running(world) as pilot:
        screen = main_screen(pilot)
        assert isinstance(screen._watch, InotifyWatch if inotify else StatWatch)
        started.clear()
        await pilot.pause(1.2)  # more than two ticks of the fallback's timer
        assert started == [], "an idle screen read the store"

        world.service("bob").handle_interaction(voice("+1 212 555 0142"))
        await wait_until(
            pilot, lambda: interaction_table(pilot).row_count == 6, "the new call", timeout=1.5
        )
        assert len(started) >= 1


async def test_ages_repaint_only_the_cells_whose_text_changed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(world) as pilot:
        table = interaction_table(pilot)
        assert isinstance(table, InteractionTable)
        ages = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
        repaints: list[tuple[Region, ...]] = []
        original = InteractionTable.refresh

        def recording(self: InteractionTable, *regions: Region, **kwargs: Any) -> Any:
            repaints.append(regions)
            return original(self, *regions, **kwargs)

        monkeypatch.setattr(InteractionTable, "refresh", recording)
        screen = main_screen(pilot)
        screen._ages_due()  # the clock has not moved: nothing to repaint
        assert repaints == []

        # Ages are whole minutes (5m to 9m): thirty seconds on, no text changes, nothing is sent.
        world.clock.now += timedelta(seconds=30)
        screen._ages_due()
        assert [str(table.get_row_at(i)[4]) for i in range(table.row_count)] == ages
        assert repaints == []

        # A minute on, every age shows another minute: each repaint is that one cell.
        world.clock.now += timedelta(seconds=30)
        screen._ages_due()
        after = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
        assert all(a != b for a, b in zip(ages, after, strict=True)), (ages, after)
        assert len(repaints) == table.row_count
        age_width = table.columns[ColumnKey("age")].get_render_width(table)
        assert all(len(r) == 1 and r[0].width <= age_width for r in repaints), repaints
        await settle(pilot)
