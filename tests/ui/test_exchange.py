"""Import and export from the directory, driven by keys at 80x24."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input

from contact_tui.domain.model import Permission, PhoneKind
from contact_tui.exchange.importer import ImportReport, RowProblem
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.exchange import DIALOG_WORDING, SKIP_LABEL, ExchangeDialog
from tests.factories import World
from tests.ui.pilot import fill, running, screen_lines, settle, text_of, value_of, wait_until

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
        # Sam Lee's row only adds a note: the contact is unchanged, the note is added.
        assert "would create 1, update 0 and leave 1 unchanged, and add 2 notes." in report
        assert "Press Ctrl+S again to import." in report
        assert world.state() == before  # a check writes nothing

        report = await run_step(pilot, "Imported 2 of 2 rows")
        contacts = {c.display_name: c for c in world.contacts().values()}
        repo = world.repo()
        assert [n.text for n in repo.notes_for(contacts["Ana Silva"].id)] == ["VIP"]
        assert contacts["Sam Lee"].version == 1
        assert "Prefers SMS" in [n.text for n in repo.notes_for(contacts["Sam Lee"].id)]

        await pilot.press("escape")
        await settle(pilot)
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        table = directory.query_one("#directory-results", DataTable)
        await wait_until(pilot, lambda: table.row_count == len(contacts), "the new contact")


async def test_bad_rows_are_listed_by_line_and_a_windows_1252_file_is_said_to_be_read_so(
    world: World, tmp_path: Path
) -> None:
    """Two imports from one directory: a file with bad rows (opened with Ctrl+O) imports
    nothing; a file that is not UTF-8 (opened with F6) is read as Windows-1252, which the check
    says, naming the line to look at, and the dialog stays."""
    path = tmp_path / "bad.csv"
    path.write_text(
        # Excel's 1.21255E+10 lost the number's digits: a bad row (a number that is no
        # number at all, as "x12", is only left out of another program's row).
        HEADER + "Ana,Silva,,\r\n" + ",[bold red]NoFirst[/],,\r\n" + "Kim,Park,1.21255E+10,\r\n",
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
        report = await run_step(pilot, "read as Windows-1252")
        assert "line 2: the file is not UTF-8" in report
        assert isinstance(pilot.app.screen, ExchangeDialog)


async def test_the_good_rows_box_opens_unticked_and_bad_rows_say_how_to_import_the_rest(
    world: World, tmp_path: Path
) -> None:
    """As the command line, a file with a bad row is refused whole until the agent says
    otherwise: the box opens unticked (and looks it: blank, not an X told apart by colour),
    the check says how to import the good rows, and ticking it imports them and reports the
    bad one."""
    path = tmp_path / "mixed.csv"
    path.write_text(HEADER + "Ana,Silva,,\r\n" + "Kim,Park,1.21255E+10,\r\n", encoding="utf-8")
    before = world.state()
    async with running(world) as pilot:
        await open_dialog(pilot, "f6")
        box = pilot.app.screen.query_one("#exchange-skip", Checkbox)
        assert box.value is False
        line = screen_lines(pilot)[box.region.y]
        assert SKIP_LABEL in line and "X" not in line.split(SKIP_LABEL)[0]
        await type_path(pilot, path)

        report = await run_step(pilot, "1 row has a problem")
        assert f"fix it, or tick '{SKIP_LABEL}' and press Ctrl+S to import the others" in (
            " ".join(report.split())
        )
        assert "line 3: Cell phone:" in report
        assert world.state() == before

        box.value = True  # as Space on the focused box does (tests/ui/test_keys.py)
        await settle(pilot)
        line = screen_lines(pilot)[box.region.y]
        assert SKIP_LABEL in line and "X" in line.split(SKIP_LABEL)[0]
        report = await run_step(pilot, "Press Ctrl+S again to import.")
        report = await run_step(pilot, "Imported 1 of 2 rows")
        assert "line 3" in report
    assert "Ana Silva" in {c.display_name for c in world.contacts().values()}
    assert "Kim Park" not in {c.display_name for c in world.contacts().values()}


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


# --- the import's choices: single names and the country of numbers without + ----------------


async def test_a_single_name_is_refused_naming_the_dialogs_choice_then_taken_with_it(
    world: World, tmp_path: Path
) -> None:
    """The refusal names the dialog's Single names field (the app has no --single-name), and
    choosing "Last name" with the keys lets the row in, counted in the summary."""
    path = tmp_path / "phone.csv"
    path.write_text(
        "First Name,Last Name,Work Phone\r\n"
        "Ambulance,,+44 20 7946 0999\r\n"
        "Ana,Silva,+44 7700 900111\r\n",
        encoding="utf-8",
    )
    async with running(world) as pilot:
        dialog = await open_dialog(pilot, "f6")
        lines = "\n".join(screen_lines(pilot))
        assert "Single names   Refuse the row" in lines and "Country " in lines
        await type_path(pilot, path)

        report = await run_step(pilot, "Checked 2 rows")
        assert (
            "line 2: Last name is required. 'Ambulance' is a single name (the file has it as "
            "the first name): set Single names to 'As the file has it', 'First name' or 'Last "
            "name' to keep it as that name and leave the other empty."
        ) in report
        assert "1 row has a single name and was refused (Single names: Refuse the row)." in report
        assert "--single-name" not in report  # a flag the app does not have

        # From the file name: Tab to Format, Tab to Single names; open it, down twice, Enter.
        await pilot.press("tab", "tab", "enter", "down", "down", "enter")
        await settle(pilot)
        assert value_of(pilot, "#exchange-path") == str(path)
        report = await run_step(pilot, "Press Ctrl+S again")
        assert "would create 2" in report
        assert "1 row with a single name has it as the last name (Single names: Last name)." in (
            report
        )

        # Another choice after the check means the next Ctrl+S checks again.
        await fill(pilot, "exchange-country", "GB")
        assert dialog.checked is None
        assert "Check" in str(dialog.query_one("#exchange-run", Button).label)
        await run_step(pilot, "Press Ctrl+S again")

        report = await run_step(pilot, "Imported 2 of 2 rows")
        assert "(Single names: Last name)" in report
        names = {(c.first_name, c.last_name) for c in world.contacts().values()}
        assert ("", "Ambulance") in names and ("Ana", "Silva") in names


async def test_the_country_field_reads_numbers_without_plus_and_refuses_a_non_country(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "de.csv"
    path.write_text(
        "First Name,Last Name,Cell Phone,Work Phone\r\nJonas,Weber,0351 223344,112\r\n",
        encoding="utf-8",
    )
    before = world.state()
    async with running(world) as pilot:
        dialog = await open_dialog(pilot, "f6")
        await type_path(pilot, path)
        await fill(pilot, "exchange-country", "Atlantis")

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(pilot, "#exchange-report") == (
            "Country: 'Atlantis' is not a country: give its ISO code (DE), its name (Germany) "
            "or its calling code (+49)."
        )
        assert pilot.app.focused is dialog.query_one("#exchange-country", Input)
        assert not dialog.busy and world.state() == before

        # The command line's parser: a name, an ISO code or a calling code.
        await fill(pilot, "exchange-country", "+49")
        report = await run_step(pilot, "Press Ctrl+S again")
        assert "Germany (+49) was taken from the Country field." in report
        assert "--default-country" not in report
        await run_step(pilot, "Imported 1 of 1 rows")

    [jonas] = [c for c in world.contacts().values() if c.last_name == "Weber"]
    cell = jonas.phone(PhoneKind.CELL)
    assert cell is not None and cell.e164 == "+49351223344"


async def test_a_file_with_no_contacts_says_so_and_offers_no_import(
    world: World, tmp_path: Path
) -> None:
    """An empty store's export (a 0-byte vCard file, a CSV header, an empty JSON array)."""
    files = {"empty.vcf": "", "empty.csv": "firstName,lastName\r\n", "empty.json": "[]\n"}
    before = world.state()
    async with running(world) as pilot:
        dialog = await open_dialog(pilot, "f6")
        for name, text in files.items():
            path = tmp_path / name
            path.write_text(text, encoding="utf-8")
            await type_path(pilot, path)
            report = await run_step(pilot, f"Read {path}")
            assert report.startswith("The file holds no contacts, so there is nothing to import.")
            assert "Press Ctrl+S again" not in report and dialog.checked is None
    assert world.state() == before


def test_the_dialogs_summary_names_its_checkbox_not_the_flag() -> None:
    """An import refused for a bad row (found when the rows are planned again under the lock)
    advises the checkbox the dialog has; the command line's summary, its flag."""
    report = ImportReport(rows=2, problems=[RowProblem(3, "Work phone: needs digits.")])

    assert report.summary(DIALOG_WORDING) == (
        "Nothing was imported: 1 of 2 rows has a problem. Fix it, or tick 'Import the good "
        "rows even if some are bad' to import the other rows."
    )
    assert "or use --skip-invalid to import the other rows." in report.summary()
