"""The directory at 80x24 finds a caller by the last four digits they say (issue 13): typed
key by key into the search box, the contact whose number ends in them is on screen first,
with the number that matched, and the summary says how the digits were searched."""

from __future__ import annotations

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import PhoneKind
from contact_tui.ui.screens.directory import DirectoryScreen
from tests.factories import World
from tests.ui.pilot import running, screen_lines, settle, text_of, wait_until


async def test_typing_the_last_four_digits_finds_the_caller_first(world: World) -> None:
    # Holds 0123 inside its number, not at the end, and comes first in the directory.
    world.service().create_contact(
        ContactDraft(
            first_name="Ada",
            last_name="Aaron",
            phones={PhoneKind.WORK: PhoneDraft("+1 317 401 2399")},
        )
    )
    async with running(world) as pilot:
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "d")
        directory = pilot.app.screen
        assert isinstance(directory, DirectoryScreen)
        assert pilot.app.focused is directory.query_one("#directory-search")

        await pilot.press(*"0123")
        await wait_until(pilot, lambda: directory._shown[0] == "0123", "the search for 0123")
        await settle(pilot)

        assert [c.last_name for c in directory.results] == ["Lee", "Aaron"]
        assert text_of(pilot, "#directory-summary") == (
            "2 matches (digits in a phone number, ending in them first)."
        )
        lines = screen_lines(pilot)
        sam = next((n for n, line in enumerate(lines) if "Sam Lee" in line), None)
        ada = next((n for n, line in enumerate(lines) if "Ada Aaron" in line), None)
        assert sam is not None and ada is not None and sam < ada, "\n".join(lines)
        # Each row shows the number that holds the digits.
        assert "555-0123" in lines[sam] and "401-2399" in lines[ada], "\n".join(lines)
