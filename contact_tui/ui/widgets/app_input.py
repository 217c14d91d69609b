"""The app's text field: an Input whose cursor blinks as the app says."""

from __future__ import annotations

from textual.widgets import Input


class AppInput(Input):
    """An Input whose cursor blinks only when the app's ``cursor_blink`` says so (snapshot
    tests turn it off, so the cursor is drawn the same in every run). Every text field the
    app shows is one, so no screen sets the blink by hand."""

    def on_mount(self) -> None:
        """Take the app's cursor blink setting (before Input's own mount starts its timer)."""
        self.cursor_blink = bool(getattr(self.app, "cursor_blink", True))
