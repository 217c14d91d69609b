"""Import and export from the directory, driven by keys at 80x24."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from contact_tui.domain.model import Permission
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.exchange import ExchangeDialog
from tests.factories import World
from tests.ui.pilot import fill, running, screen_lines, settle, text_of, wait_until

HEADER = "First Name,Last Name,Cell Phone,Notes\r\n"


async def open_dialog(pilot: Pilot[None], key: str) -> ExchangeDialog:
    await pilot.press("d")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DirectoryScreen)
    await pilot.press(key)
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ExchangeDialog)
    return dialog


async def type_path(pilot: Pilot[None], path: Path) -> None:
    # The file field has the focus, its text selected: typing would replace it (the dialog's
    # keys are proved in tests/ui/test_keys.py; a path typed key by key costs seconds here).
    await fill(pilot, "exchange-path", str(path))
    await settle(pilot)


async def run_step(pilot: Pilot[None], wanted: str) -> str:
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: wanted in text_of(pilot, "#exchange-report"), wanted)
    return text_of(pilot, "#exchange-report")


async def test_an_import_is_checked_first_then_imported_on_the_second_ctrl_s(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(
        HEADER + "Ana,Silva,+44 7700 900111,VIP\r\n" + "Sam,Lee,(317) 555-0123,Prefers SMS\r\n",
        encoding="utf-8",
    )
    before = world.state()
    async with running(world) as pilot:
        await open_dialog(pilot, "f6")
        await type_path(pilot, path)

        report = await run_step(pilot, "Checked 2 rows")
        assert "would create 1, update 1 and leave 0 unchanged" in report
        assert "Press Ctrl+S again to import." in report
        assert world.state() == before  # a check writes nothing

        report = await run_step(pilot, "Imported 2 of 2 rows")
        contacts = {c.display_name: c for c in world.contacts().values()}
        assert contacts["Ana Silva"].notes == "VIP"
        assert contacts["Sam Lee"].version == 2
        assert contacts["Sam Lee"].notes == "Prefers SMS"

        await pilot.press("escape")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        table = directory.query_one("#directory-results", DataTable)
        await wait_until(pilot, lambda: table.row_count == len(contacts), "the new contact")


async def test_bad_rows_are_listed_by_line_and_an_unreadable_file_is_explained(
    world: World, tmp_path: Path
) -> None:
    """Two imports from one directory: a file with bad rows (opened with Ctrl+O) imports
    nothing; a file that is not UTF-8 (opened with F6) is explained and the dialog stays."""
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "Ana,Silva,,\r\n" + ",[bold red]NoFirst[/],,\r\n" + "Kim,Park,x12,\r\n",
        encoding="utf-8",
    )
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(HEADER.encode() + b"Zo\xeb,Brown,,\r\n")
    before = world.state()
    async with running(world) as pilot:
        dialog = await open_dialog(pilot, "ctrl+o")
        await type_path(pilot, path)

        report = await run_step(pilot, "rows have problems")
        assert "line 3: First name is required." in report
        assert "line 4: Cell phone:" in report
        assert "Press Ctrl+S again" not in report
        # A second Ctrl+S checks again rather than importing a file with bad rows.
        await run_step(pilot, "Checked 3 rows")
        assert world.state() == before
        assert dialog.checked is None

        await pilot.press("escape")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ExchangeDialog) and pilot.app.screen is not dialog
        await type_path(pilot, latin1)
        report = await run_step(pilot, "is not UTF-8")
        assert "line 2" in report
        assert isinstance(pilot.app.screen, ExchangeDialog)


async def test_export_writes_the_file_and_asks_before_replacing_one(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "out.vcf"
    async with running(world) as pilot:
        await open_dialog(pilot, "f7")
        await type_path(pilot, path)
        # Format: CSV, Genesys, vCard 4.0 ... choose vCard 4.0 with the keyboard.
        await pilot.press("tab", "enter", "down", "down", "enter")
        await settle(pilot)

        stored = len(world.contacts())
        await run_step(pilot, f"Exported {stored} contacts to {path}")
        assert path.read_text(encoding="utf-8").count("BEGIN:VCARD") == stored

        path.write_text("keep me\n", encoding="utf-8")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert path.read_text(encoding="utf-8") == "keep me\n"

        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: "BEGIN:VCARD" in path.read_text("utf-8"), "the export")


async def test_import_is_not_offered_without_the_add_permission(
    world: World, tmp_path: Path
) -> None:
    async with running(world, Permission.VIEW) as pilot:
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DirectoryScreen)
        footer = screen_lines(pilot)[-1]
        assert "Export" in footer
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ExchangeDialog)
