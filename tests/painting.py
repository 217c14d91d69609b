"""Painting in the screen tests: the app under test paints its last frame, not every frame.

A Pilot app (``App.run_test``) is headless: Textual lays out each frame and renders every
changed widget into segments, then ``App._display`` drops them, as no terminal is there. That
rendering was a fifth of the screen tests' CPU (50 tests of tests/ui/test_merge_ui.py,
test_duplicates.py, test_history.py, tests/permissions/test_screen_matrix.py and
tests/snapshots, one process, twice each way: 35.2 and 35.9 s of CPU painting every frame,
28.2 and 27.5 s without).
With ``install()``, a headless app's top screen skips that work (it still lays out, so what a
test queries, focuses, clicks or sees in ``region``/``size`` is unchanged), and:

* whatever a test reads from the screen is rendered when it reads it, as before:
  ``tests.ui.pilot.screen_lines()`` / ``terminal_output()`` and the snapshot tests
  (``export_screenshot``) render the whole screen from the widgets' current state;
* every ``run_test`` whose body ends without an error paints its last frame in full
  (``paint_fully``) before the app closes, so a widget that cannot render the state a test
  leaves it in still fails that test.

What is given up: a frame that is neither read nor last is not rendered, so a widget that
fails to render only in such a passing state goes unseen. ``CONTACT_TUI_TEST_PAINT=1`` paints
every frame again (as before) for a run that wants that check.

Inline apps and background screens are left alone (no test runs inline; a background screen
only hands its dirty regions to the top one).
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakSet

from textual._compositor import LayoutUpdate
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

PAINT_ENV = "CONTACT_TUI_TEST_PAINT"

# Apps whose test counts what reaches the terminal (an idle screen sends nothing): they paint
# every frame, as a real terminal would see them.
_painting_every_frame: WeakSet[App[Any]] = WeakSet()


def paint_every_frame(app: App[Any]) -> None:
    """Let ``app`` render and display every frame, for a test that counts what
    ``App._display`` is given (what an idle or busy screen would send to a terminal)."""
    _painting_every_frame.add(app)


def paint_fully(app: App[Any]) -> None:
    """Render the app's whole terminal now (the top screen over those it shows through) into
    escape sequences, as ``App._display`` would for a real terminal; raises what a widget's
    rendering raises."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert isinstance(update, LayoutUpdate)
    update.render_segments(app.console)


def install() -> None:
    """Make headless apps skip rendering frames nobody reads and paint their last frame (see
    the module docstring); nothing when ``CONTACT_TUI_TEST_PAINT=1``."""
    if os.environ.get(PAINT_ENV) == "1":
        return
    Screen._compositor_refresh = _skipping_refresh(Screen._compositor_refresh)  # type: ignore[method-assign, assignment]
    App.run_test = _painting_last_frame(App.run_test)  # type: ignore[method-assign]


def _skipping_refresh(refresh: Callable[[Screen[Any]], None]) -> Callable[[Screen[Any]], None]:
    def compositor_refresh(screen: Screen[Any]) -> None:
        app = screen.app
        if (
            not (app.is_headless and not app.is_inline and screen is app.screen)
            or app in _painting_every_frame
        ):
            refresh(screen)
            return
        # What the real refresh leaves behind, minus the rendering App._display would drop:
        # the changed regions and widgets count as painted, and the widget under the mouse is
        # worked out again.
        screen._compositor._dirty_regions.clear()
        screen._dirty_widgets.clear()
        app._update_mouse_over(screen)

    return compositor_refresh


def _painting_last_frame(
    run_test: Callable[..., Any],
) -> Callable[..., Any]:
    @asynccontextmanager
    async def painting_run_test(app: App[Any], **kwargs: Any) -> AsyncGenerator[Pilot[Any], None]:
        async with run_test(app, **kwargs) as pilot:
            yield pilot
            # Only after a body that did not raise (an error already fails the test), and only
            # while the app still shows a screen (a test may have quit it).
            if app.is_running and app._screen_stack:
                paint_fully(app)

    return painting_run_test
