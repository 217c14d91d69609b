"""The directory at 80 columns: a cut address is marked cut, the row shows the phone and email
the search matched, and F3 starts the new contact from what was searched for."""

from __future__ import annotations

from textual.pilot import Pilot

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import EmailKind, PhoneKind
from contact_tui.domain.rules import phone_key
from contact_tui.domain.suggest import phone_kind_for
from contact_tui.ui.screens.directory import DirectoryScreen
from tests.factories import World
from tests.ui.pilot import (
    fill,
    is_form_open,
    running,
    screen_lines,
    settle,
    value_of,
    wait_until,
)

LONG_EMAIL = "christopher.montgomery@example.com"


def add_contact(world: World, first: str, last: str, **fields: object) -> None:
    """Store a curated contact through another session."""
    world.service().create_contact(ContactDraft(first_name=first, last_name=last, **fields))  # type: ignore[arg-type]


async def open_directory(pilot: Pilot[None]) -> DirectoryScreen:
    """Press d and wait for the first page of results."""
    await pilot.press("d")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "directory")
    screen = pilot.app.screen
    assert isinstance(screen, DirectoryScreen)
    await wait_until(pilot, lambda: bool(screen.results), "the first page")
    return screen


async def search(pilot: Pilot[None], screen: DirectoryScreen, text: str) -> None:
    """Put ``text`` in the search box at once (typing in it is proved in
    tests/ui/test_linking.py) and wait for its results."""
    await fill(pilot, "directory-search", text)
    await wait_until(
        pilot, lambda: screen._shown[0] == text, f"the results for {text!r}", timeout=5
    )
    await settle(pilot)


def row_of(pilot: Pilot[None], name: str) -> str:
    """The screen line showing ``name``."""
    lines = screen_lines(pilot)
    found = [line for line in lines if name in line]
    assert found, f"no row for {name!r}:\n" + "\n".join(lines)
    return found[0]


async def test_a_cut_email_ends_in_an_ellipsis_even_with_a_scrollbar(world: World) -> None:
    add_contact(world, "Chris", "Lee", emails={EmailKind.WORK: "chris.lee@example.com"})
    add_contact(world, "Christopher", "Montgomery", emails={EmailKind.WORK: LONG_EMAIL})
    for n in range(25):  # enough rows for the table's scrollbar to appear
        add_contact(world, "Filler", f"Number{n:02}", emails={EmailKind.WORK: f"f{n}@x.example"})
    async with running(world) as pilot:
        screen = await open_directory(pilot)
        assert len(screen.results) > 20  # more rows than fit: the scrollbar is showing
        lee = row_of(pilot, "Chris Lee")
        assert "chris.lee@example.com" in lee, lee
        long_row = row_of(pilot, "Christopher Mont")
        shown = long_row.split("Curated")[1].split()[-1]
        assert shown.endswith("…") and LONG_EMAIL.startswith(shown[:-1]), "\n".join(
            screen_lines(pilot)
        )
        # Nothing is drawn under the scrollbar's column, where the edge would cut it unmarked.
        for line in screen_lines(pilot)[5:20]:
            assert len(line.rstrip()) <= 79, line


async def test_the_row_shows_the_phone_and_email_that_matched(world: World) -> None:
    add_contact(
        world,
        "Chris",
        "Lee",
        phones={
            PhoneKind.WORK: PhoneDraft("+1 317 555 0100"),
            PhoneKind.CELL: PhoneDraft("+1 317 555 0199"),
        },
        emails={EmailKind.WORK: "chris@work.example", EmailKind.PERSONAL: "chris@home.example"},
    )
    async with running(world) as pilot:
        screen = await open_directory(pilot)
        await search(pilot, screen, "317.555.0199")
        row = row_of(pilot, "Chris Lee")
        assert "+1 317-555-0199" in row and "0100" not in row, row
        await search(pilot, screen, "chris@home.example")
        row = row_of(pilot, "Chris Lee")
        assert "chris@home.example" in row and "chris@work" not in row, row
        await search(pilot, screen, "home")
        assert "chris@home.example" in row_of(pilot, "Chris Lee")


async def test_f3_starts_the_new_contact_from_the_search(world: World) -> None:
    """A name, an address and a number searched for, one after the other in one directory:
    F3 puts each in its field (a number in the slot of its kind of line), Escape closes the
    untouched form without asking."""
    number = "(317) 555-0142"
    e164 = phone_key(number, "US")
    assert e164 is not None
    slot = phone_kind_for(e164).value
    cases = (
        ("Robin Banks", {"f-firstName": "Robin", "f-lastName": "Banks"}),
        ("robin@example.com", {"f-workEmail": "robin@example.com"}),
        (number, {f"f-{slot}": number, "f-firstName": ""}),
    )
    async with running(world) as pilot:
        screen = await open_directory(pilot)
        for typed, fields in cases:
            await search(pilot, screen, typed)
            await pilot.press("f3")
            await wait_until(pilot, lambda: is_form_open(pilot), f"the form for {typed!r}")
            for field, expected in fields.items():
                got = value_of(pilot, f"#{field}")
                assert got == expected, f"searched {typed!r}: #{field} holds {got!r}"
            await pilot.press("escape")
            await wait_until(pilot, lambda: pilot.app.screen is screen, "the directory again")
