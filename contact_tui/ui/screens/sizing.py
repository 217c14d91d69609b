"""Screens made with the width classes they will be given, so they are styled once."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen


def take_size_classes(screen: Screen[Any]) -> None:
    """Give a screen being made the classes its breakpoints (``HORIZONTAL_BREAKPOINTS``, the
    app's unless the screen has its own; the same for vertical) give it at the app's size now.

    Textual adds them when the screen gets its first Resize, after every widget in it has been
    styled, and so styles every widget again. A screen made with them is styled for its width
    once: Textual finds the classes already there and leaves them. Should the size differ by
    then, Textual changes them as before.
    """
    app = screen.app
    size = app.size
    horizontal = screen.HORIZONTAL_BREAKPOINTS
    vertical = screen.VERTICAL_BREAKPOINTS
    for breakpoints, dimension in (
        (app.HORIZONTAL_BREAKPOINTS if horizontal is None else horizontal, size.width),
        (app.VERTICAL_BREAKPOINTS if vertical is None else vertical, size.height),
    ):
        screen.add_class(
            *screen._get_breakpoint_classes(dimension, breakpoints or []), update=False
        )
