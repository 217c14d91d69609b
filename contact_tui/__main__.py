"""``python -m contact_tui``: the same as the ``contact-tui`` command."""

from contact_tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
