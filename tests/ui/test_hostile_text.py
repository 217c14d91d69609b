"""Customer text is shown as text: markup stays literal and control characters are escaped."""

from __future__ import annotations

from contact_tui.domain.model import Channel, Participant
from contact_tui.service import NewInteraction
from tests.factories import AGENT, World
from tests.ui.pilot import (
    interaction_table,
    main_screen,
    running,
    screen_lines,
    select_interaction,
    text_of,
    wait_until,
)

EVIL_NAME = "[bold red]Evil[/] \x1b[2J"
EVIL_LINE = "[link=http://x]click[/link]"


async def test_markup_and_escape_sequences_from_customers_are_shown_literally(
    world: World,
) -> None:
    hostile = world.service().handle_interaction(
        NewInteraction(
            AGENT,
            Channel.EMAIL,
            Participant("evil@example.com", EVIL_NAME),
            subject="[b]urgent[/b]",
            transcript=(EVIL_LINE,),
        )
    )
    async with running(world, rows=6) as pilot:
        await select_interaction(pilot, hostile.id)

        detail = text_of(pilot, "#interaction-detail-text")
        assert "[bold red]Evil[/] \\x1b[2J <evil@example.com>" in detail
        assert EVIL_LINE in detail
        assert "[b]urgent[/b]" in detail
        assert "\x1b" not in detail

        name_cell = interaction_table(pilot).get_row(hostile.id)[2]
        assert str(name_cell).startswith("[bold red]Evil[/] \\x1b")

        # What the terminal is sent: the brackets are there and no ESC byte is.
        lines = screen_lines(pilot)
        assert any("[bold red]Evil[/] \\x1b[2J" in line for line in lines), "\n".join(lines)
        assert not any("\x1b" in line for line in lines)
        assert main_screen(pilot).interaction is not None


async def test_a_hostile_sender_arriving_live_is_announced_literally(world: World) -> None:
    async with running(world, notifications=True) as pilot:
        world.service().handle_interaction(
            NewInteraction(AGENT, Channel.VOICE, Participant("+1 212 555 0199", EVIL_NAME))
        )
        await wait_until(pilot, lambda: interaction_table(pilot).row_count == 6, "the new call")
        await wait_until(
            pilot,
            lambda: any("[bold red]Evil[/]" in line for line in screen_lines(pilot)[-6:]),
            "the arrival toast",
        )
        lines = screen_lines(pilot)
        assert not any("\x1b" in line for line in lines)
        assert any("\\x1b[2J" in line for line in lines[-6:]), "\n".join(lines)
