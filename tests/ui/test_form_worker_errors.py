"""A worker that raises what nobody expected never leaves the contact form, the directory or
the import/export dialog busy, and the agent is told (issue 10, item 2). The app reports it
in one sentence; the screen that owned the worker takes keys and work again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Contact
from contact_tui.service import ContactService, SearchResult
from contact_tui.ui.screens.contact_form import ContactForm
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.exchange import ExchangeDialog
from tests.factories import World
from tests.ui.pilot import (
    fill,
    is_form_open,
    running,
    save_form,
    select_interaction,
    settle,
    text_of,
    value_of,
    wait_until,
)


def failures(told: list[str], what: str) -> list[str]:
    """The app's reports of ``what`` failing unexpectedly."""
    return [m for m in told if m.startswith(f"{what} failed with an unexpected error")]


async def test_a_save_that_raises_leaves_the_form_working_with_every_value(
    world: World, told: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first save raises a RuntimeError, the second a KeyError, the third works."""
    errors: list[Exception] = [RuntimeError("disk on fire"), KeyError("firstName")]
    original = ContactService.create_contact
    attempts = 0

    def create_broken_twice(self: ContactService, draft: ContactDraft, **kwargs: Any) -> Contact:
        nonlocal attempts
        attempts += 1
        if attempts <= len(errors):
            raise errors[attempts - 1]
        return original(self, draft, **kwargs)

    monkeypatch.setattr(ContactService, "create_contact", create_broken_twice)
    async with running(world) as pilot:
        before = world.state()
        await select_interaction(pilot, world.unknown_call.id)
        await pilot.press("n")
        await settle(pilot)
        opened = pilot.app.screen
        assert isinstance(opened, ContactForm)
        form: ContactForm = opened  # typed for the waits in the loop below
        await pilot.press(*"Ann")
        await fill(pilot, "f-lastName", "Bee")
        await fill(pilot, "f-workEmail", "ann@example.com")

        for attempt, error in enumerate(errors, start=1):
            # Ctrl+S is taken again after each failure.
            told.clear()
            await pilot.press("ctrl+s")
            await wait_until(
                pilot,
                lambda: bool(failures(told, "Saving the contact")) and not form.saving,
                f"save {attempt} to fail",
            )

            assert attempts == attempt
            # Said once by the app, and in the form where the agent is looking, in one sentence.
            name = type(error).__name__
            reports = failures(told, "Saving the contact")
            assert len(reports) == 1 and name in reports[0], (name, told)
            assert text_of(pilot, "#form-banner") == (
                f"The save stopped with an unexpected error ({name}), so it may not have been "
                "made; your entries are still here: press ^s to try again, or Cancel."
            ), name
            assert "hidden" not in form.query_one("#form-banner").classes, name
            assert pilot.app.screen is form, name
            assert value_of(pilot, "#f-firstName") == "Ann", name
            assert value_of(pilot, "#f-lastName") == "Bee", name
            assert value_of(pilot, "#f-workEmail") == "ann@example.com", name
            assert world.state() == before, name

        # With the save working the contact is made.
        await save_form(pilot)
        assert attempts == len(errors) + 1
        created = [c for c in world.contacts().values() if c.id not in before[0]]
        assert [c.display_name for c in created] == ["Ann Bee"]
        assert world.interaction(world.unknown_call.id).contact_id == created[0].id


async def open_directory(pilot: Pilot[None]) -> DirectoryScreen:
    """Press d on the main screen and wait for the directory's first search."""
    await pilot.press("d")
    await settle(pilot)
    directory = pilot.app.screen
    assert isinstance(directory, DirectoryScreen)
    await wait_until(pilot, lambda: bool(directory.results), "the first search")
    return directory


async def test_a_search_that_raises_leaves_the_directory_searching(
    world: World, told: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(world) as pilot:
        directory = await open_directory(pilot)
        original = ContactService.search
        calls = 0

        def search_once_broken(self: ContactService, query: str, **kwargs: Any) -> SearchResult:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("index gone")
            return original(self, query, **kwargs)

        monkeypatch.setattr(ContactService, "search", search_once_broken)
        await pilot.press(*"Pat")
        await wait_until(
            pilot, lambda: bool(failures(told, "Searching the directory")), "the report"
        )
        assert "the rows below may not match it" in text_of(pilot, "#directory-summary")
        assert pilot.app.screen is directory

        # The next search runs and is shown.
        await pilot.press("space", *"Jones")
        await wait_until(
            pilot, lambda: text_of(pilot, "#directory-summary").startswith("1 match"), "a match"
        )
        assert [c.display_name for c in directory.results] == ["Pat Jones"]

        # The directory's keys still work: F3 opens the form.
        await pilot.press("f3")
        await settle(pilot)
        assert is_form_open(pilot)


async def test_an_import_or_export_that_raises_leaves_the_dialog_working(
    world: World, told: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Import (F6) then export (F7), from one directory."""
    path = tmp_path / "crm.csv"
    path.write_text("First Name,Last Name\r\nAna,Silva\r\n", encoding="utf-8")
    original = ContactService.import_file
    calls = 0

    def import_once_broken(self: ContactService, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("First Name")
        return original(self, *args, **kwargs)

    def export_broken(self: ContactService, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("writer bug")

    monkeypatch.setattr(ContactService, "import_file", import_once_broken)
    monkeypatch.setattr(ContactService, "export_file", export_broken)
    async with running(world) as pilot:
        await open_directory(pilot)
        await pilot.press("f6")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ExchangeDialog)
        await fill(pilot, "exchange-path", str(path))

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: calls == 1 and not dialog.busy, "the check to fail")
        assert len(failures(told, "Checking the file to import")) == 1, told
        assert text_of(pilot, "#exchange-report") == (
            "Checking the file to import stopped with an unexpected error (KeyError); "
            "Ctrl+S tries again."
        )
        assert "hidden" in dialog.query_one("#exchange-progress").classes

        # Ctrl+S runs again, and Escape closes the dialog: nothing waits for the dead worker.
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: "Checked 1 row:" in text_of(pilot, "#exchange-report"), "the check"
        )
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DirectoryScreen)

        # An export that raises: the dialog says so and still closes.
        await pilot.press("f7")
        await settle(pilot)
        export = pilot.app.screen
        assert isinstance(export, ExchangeDialog)
        await fill(pilot, "exchange-path", str(tmp_path / "out.csv"))

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(failures(told, "Exporting the contacts")), "report")
        assert not export.busy
        assert "Exporting the contacts stopped" in text_of(pilot, "#exchange-report")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DirectoryScreen)
