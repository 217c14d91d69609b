"""Exit codes of ``contact-tui``, and the error a command raises to leave with one of them.

Every command module raises :class:`CliError` or lets a service error through; the entry
point (:mod:`contact_tui.cli.entry`) turns either into a message and one of these codes.
"""

from __future__ import annotations

DEBUG_ENV = "CONTACT_TUI_DEBUG"

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INVALID = 2
EXIT_PERMISSION = 3
EXIT_CONFLICT = 4
EXIT_NOT_FOUND = 5
EXIT_UNREADABLE = 6
EXIT_UNAVAILABLE = 7
EXIT_CONFIG = 8
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (EXIT_INTERNAL, f"unexpected internal error (rerun with {DEBUG_ENV}=1 for a traceback)"),
    (EXIT_INVALID, "invalid input or usage"),
    (EXIT_PERMISSION, "permission denied"),
    (
        EXIT_CONFLICT,
        "conflict: the contact changed since the version you started from, or another "
        "contact has its number or email (--allow-duplicate)",
    ),
    (EXIT_NOT_FOUND, "not found"),
    (EXIT_UNREADABLE, "store unreadable (damaged or unreadable file; see 'contact-tui doctor')"),
    (
        EXIT_UNAVAILABLE,
        "store unavailable (busy lock, disk full, no write permission or access, no folder)",
    ),
    (EXIT_CONFIG, "config error, or refusing to run in an unsafe environment"),
    (EXIT_BROKEN_PIPE, "standard output closed early (as for SIGPIPE)"),
)


class CliError(Exception):
    """A failure the command line reports itself: each line goes to stderr, then exit ``code``."""

    def __init__(self, code: int, *lines: str) -> None:
        self.code = code
        self.lines = lines
        super().__init__(" ".join(lines))
