"""The import dialog's Single names field has the command line's as-given choice (issue 14,
item 12): a file's one-name rows go in with each name in the field the file has it in, and
the summary counts them in the dialog's words. At 80x24, by keys."""

from __future__ import annotations

from pathlib import Path

from contact_tui.exchange.importer import SingleName
from contact_tui.ui.screens.exchange import SINGLE_NAME_LABELS
from tests.factories import World
from tests.ui.pilot import running, settle, value_of
from tests.ui.test_exchange import open_dialog, run_step, type_path


def test_the_dialog_offers_every_choice_the_command_line_has() -> None:
    assert list(SINGLE_NAME_LABELS) == list(SingleName)


async def test_as_the_file_has_it_keeps_each_single_name_in_its_field(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "one-names.csv"
    path.write_text(
        "First Name,Last Name,Cell Phone\r\n"
        "Mama,,+44 7700 900123\r\n"  # a first name only
        ",Okafor,+44 7700 900124\r\n",  # a last name only
        encoding="utf-8",
    )
    async with running(world) as pilot:
        await open_dialog(pilot, "f6")
        await type_path(pilot, path)
        # From the file name: Tab to Format, Tab to Single names; open it, down to the last
        # choice (As the file has it), Enter.
        await pilot.press("tab", "tab", "enter", "down", "down", "down", "down", "enter")
        await settle(pilot)
        assert value_of(pilot, "#exchange-path") == str(path)

        report = await run_step(pilot, "Press Ctrl+S again")
        assert "would create 2" in report
        report = await run_step(pilot, "Imported 2 of 2 rows")

    assert (
        "2 rows with a single name have it in the name field the file gives it in (Single "
        "names: As the file has it)."
    ) in " ".join(report.split())
    names = {(c.first_name, c.last_name) for c in world.contacts().values()}
    assert {("Mama", ""), ("", "Okafor")} <= names
