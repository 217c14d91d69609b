"""An Input that offers a value from the interaction when the agent focuses it empty."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import events
from textual.suggester import SuggestFromList, SuggestionReady

from contact_tui.ui.widgets.app_input import AppInput


class OfferingInput(AppInput):
    """Shows the first offer as ghost text when focused empty; → accepts it (Input's own key).

    While the agent types, offers that start with what was typed complete the same way.
    """

    def __init__(self, offers: Sequence[str] = (), **kwargs: Any) -> None:
        self.offers = list(offers)
        suggester = SuggestFromList(self.offers, case_sensitive=False) if self.offers else None
        super().__init__(suggester=suggester, **kwargs)

    @property
    def offer(self) -> str:
        """What focusing this field empty offers, or ''."""
        return self.offers[0] if self.offers and not self.value else ""

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        if self.offer:
            # Input clears its suggestion on focus; this message sets it after that.
            self.post_message(SuggestionReady("", self.offer))
