"""``contact-tui`` with no command: the full-screen app."""

from __future__ import annotations

from contact_tui.cli.context import Context
from contact_tui.cli.exits import EXIT_OK


def cmd_app(ctx: Context) -> int:
    """Start the full-screen app (imported late: the subcommands need no Textual)."""
    from contact_tui.ui.app import run_app

    ctx.config()  # a broken config is reported here, before the screen takes the terminal
    run_app(ctx.service)  # the store opens in the app, behind a drawn screen
    return EXIT_OK
