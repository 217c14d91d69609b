"""What the agent sees while the store opens; then the main screen, given the open service.

Opening a big store takes a moment, so it runs in a worker once this screen is drawn. This
screen has the main screen's layout and keys, the keys dimmed (each says the store is still
opening), so nothing moves when the main screen takes its place. The main screen is made only
with an open service, so none of its methods has to ask whether there is one yet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from contact_tui.service import ContactService, StoreWatch
from contact_tui.ui.protocols import ForwardsWorkerErrors, WorkerResult
from contact_tui.ui.screens.dialogs import FatalScreen
from contact_tui.ui.screens.main import GATED, MainScreen, main_layout
from contact_tui.ui.screens.sizing import take_size_classes
from contact_tui.ui.widgets.profile_pane import ProfilePane, ProfileView

STILL_OPENING = "The store is still opening; try again in a moment."


class OpeningScreen(ForwardsWorkerErrors, Screen[None]):
    """Opens the store, then puts the main screen (or the reason it could not open) in its
    place."""

    # The main screen's action keys, so the footer and help read the same while it opens.
    BINDINGS = [b for b in MainScreen.BINDINGS if isinstance(b, Binding) and b.action in GATED]

    class ServiceOpened(WorkerResult):
        """The store is open: the main screen can be made with it."""

        def __init__(self, service: ContactService, watch: StoreWatch) -> None:
            super().__init__()
            self.service = service
            self.watch = watch

    class OpenFailed(WorkerResult):
        """The store could not be opened, for the reason given."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(
        self, open_service: Callable[[], ContactService], clock: Callable[[], datetime]
    ) -> None:
        super().__init__()
        take_size_classes(self)
        self._open_service = open_service
        self.clock = clock
        # What takes this screen's place once the store is open (or could not be opened).
        self._next: Screen[None] | None = None

    def compose(self) -> ComposeResult:
        """The main screen's layout, empty."""
        yield from main_layout("contact-tui  opening the store…", opening=True)

    def on_mount(self) -> None:
        """Draw at once, then open the store in a worker."""
        self.query_one(ProfilePane).view = ProfileView(None, None, loading=True)
        self.query_one("#interaction-pane").loading = True
        self._open()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Every action key is shown dimmed until the store is open."""
        return None if action in GATED else True

    def disabled_reason(self, action: str) -> str | None:
        """Why an action key does nothing yet."""
        return STILL_OPENING if action in GATED else None

    @work(
        thread=True,
        exclusive=True,
        group="store-open",
        exit_on_error=False,
        name="Opening the store",
        description="opening the store once the first screen is drawn",
    )
    def _open(self) -> None:
        try:
            service = self._open_service()
            # The first watch too, here: for PostgreSQL it is a connection of its own, which
            # a slow server would otherwise make the screen wait for.
            watch = service.watch()
        except Exception as err:  # any failure to open is shown, not a traceback
            self.post_message(self.OpenFailed(str(err) or type(err).__name__))
            return
        self.post_message(self.ServiceOpened(service, watch))

    @on(ServiceOpened)
    def _opened(self, event: ServiceOpened) -> None:
        self._next = MainScreen(event.service, self.clock, event.watch)
        self._show_next()

    @on(OpenFailed)
    def _open_failed(self, event: OpenFailed) -> None:
        self._next = FatalScreen(event.message)
        self._show_next()

    def on_screen_resume(self) -> None:
        """Back on top (the help closed, say): show what comes next, if it is ready."""
        self._show_next()

    def _show_next(self) -> None:
        """Put the next screen in this one's place, once this one is on top: switching
        replaces the top screen, which must not be the help or palette over this one."""
        upcoming = self._next
        if upcoming is not None and self.is_active:
            self._next = None
            self.app.switch_screen(upcoming)
