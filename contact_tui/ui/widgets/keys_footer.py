"""The footer of every screen: Textual's, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# What the footer shows, one entry per active binding: the binding, its key as displayed
# (the agent's keymap applied), whether it is enabled, its tooltip. None before the screen
# has said its bindings are ready (the footer is empty then).
Shown = tuple[tuple[Binding, str, bool, str], ...] | None


class KeysFooter(Footer):
    """Textual's footer, rebuilt only when the keys it would show change.

    Textual's footer rebuilds every key (a widget each, styled anew) whenever its screen says
    its bindings may have changed: on each focus move, each screen pushed or popped, each
    change of what the screen allows. Opening the app did that eight times, one of the largest
    costs of an open. This one rebuilds at most once per burst of such signals, and not at all
    when the keys, their labels and their enabled states are what it shows already; and each
    key it makes is styled once, not twice.
    """

    def __init__(self, *, leave_out: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Actions whose keys this footer does not show although their bindings say so (the
        # app's Quit on the main screen, whose footer is full at 80 columns: help lists it).
        self.leave_out = leave_out
        self._shown: Shown = None
        self._rebuild_due = False

    def _keys(self) -> Shown:
        """What :meth:`compose` would show now (everything it reads, in its order)."""
        if not self._bindings_ready:
            return None
        app = self.app
        return tuple(
            (binding, app.get_key_display(binding), enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
        )

    def compose(self) -> ComposeResult:
        """Textual's keys, noting what they show."""
        self._shown = self._keys()
        left_out = 0
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                if widget.action in self.leave_out:
                    left_out += 1
                    continue
                # Born with the class its ``compact`` binding gives it once mounted: added
                # then, it would restyle the key a second time.
                widget.set_class(self.compact, "-compact", update=False)
            yield widget
        if left_out:
            # Textual gave the grid a column per action, the ones left out included.
            self.styles.grid_size_columns = self.styles.grid_size_columns - left_out

    def bindings_changed(self, screen: Screen[object]) -> None:
        """The screen's bindings may have changed: look once it has refreshed (as Textual's
        footer does), and only once however many signals arrive before then."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_due:
            self._rebuild_due = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_due = False
        if self.is_attached and self._keys() != self._shown:
            await self.recompose()
