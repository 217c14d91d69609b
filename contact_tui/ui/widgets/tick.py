"""A checkbox that shows its state by its box, not by colour alone."""

from __future__ import annotations

from typing import Any

from textual.widgets import Checkbox


class Tick(Checkbox):
    """A checkbox whose box is blank when off: Textual's draws an X in both states and tells
    them apart by colour alone, which 16-colour and monochrome terminals lose."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.BUTTON_INNER = self._inner(self.value)

    @staticmethod
    def _inner(value: bool) -> str:
        return "X" if value else " "

    def watch_value(self) -> None:
        """Redraw the box for the new state (Textual's watcher sets the -on class)."""
        super().watch_value()
        self.BUTTON_INNER = self._inner(self.value)
        self.refresh()
