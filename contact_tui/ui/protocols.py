"""What a screen implements so the app can handle two things in one place for every screen:
a worker that failed unexpectedly, and a key pressed for an action the agent may not take.

Worker failures: Textual posts ``Worker.StateChanged`` to the node that started the worker and
does not bubble it, so a screen mixes in :class:`ForwardsWorkerErrors` to pass its workers'
failures to the app. The app then tells the agent in one sentence and calls the screen's
:meth:`WorkerOwner.worker_failed`, where the screen clears whatever busy state that worker
held ("Saving…", a refresh under way), so a screen is never left waiting for a worker that is
gone. Name a worker (``@work(name="saving the contact")``) to have the message say what failed.

A worker hands its result to its screen as a :class:`WorkerResult` message (Harlequin's way),
not by ``call_from_thread`` into a private method. Made in the worker's thread, the message
names that worker, so a handler that raises on it is reported as that worker's failure, as a
``call_from_thread`` callback's error was: a bug in painting a refresh is told to the agent
and clears the busy state, and never takes the app down.

Disabled actions: ``check_action`` returning None shows a binding dimmed and makes Textual
ignore its key silently. A screen that implements :meth:`ExplainsDisabled.disabled_reason`
is asked why when such a key is pressed, and the app shows the answer.

Notices: a screen with a line of its own for them (:class:`ShowsNotices`) gets the app's
notices there rather than as toasts, which would cover what the agent is reading. Store changes:
the main screen, which watches the store, tells a screen on top of it that
:class:`FollowsStore` what changed, so that screen need not watch the store itself.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from textual.message import Message
from textual.message_pump import MessagePump
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState, get_current_worker

from contact_tui.service import Change

# The sentence a disabled key gives; its wording lives with the rules in ui/gating.py.
from contact_tui.ui.gating import not_allowed


@runtime_checkable
class WorkerOwner(Protocol):
    """A screen (or widget) that holds busy state while its workers run."""

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """``worker`` raised ``error`` (already reported to the agent): clear the busy state
        it held, so the screen takes keys and work again."""
        ...


@runtime_checkable
class ReportsWorkerFailures(Protocol):
    """The app: tells the agent a worker failed and has its owner clear its busy state."""

    def report_worker_failure(self, worker: Worker[Any], error: BaseException | None) -> None:
        """Say in one sentence that ``worker`` failed with ``error``, and call the
        :meth:`WorkerOwner.worker_failed` of the screen that owns it."""
        ...


@runtime_checkable
class ExplainsDisabled(Protocol):
    """A screen that can say why one of its actions is disabled."""

    def disabled_reason(self, action: str) -> str | None:
        """One sentence for the agent saying why ``action`` cannot be run now (which
        permission it needs, whom to ask), or None when there is nothing to say."""
        ...


@runtime_checkable
class ShowsNotices(Protocol):
    """A screen with a notice line of its own, where the app's notices go instead of toasts."""

    def show_notice(self, message: str, severity: SeverityLevel, timeout: float | None) -> None:
        """Show ``message`` (already made safe) for ``timeout`` seconds (None: the screen's
        own time for ``severity``)."""
        ...


@runtime_checkable
class FollowsStore(Protocol):
    """A screen that shows stored contacts and follows others' changes to them."""

    def store_changed(self, changes: list[Change]) -> None:
        """The store changed as ``changes`` say (its view already holds the changes)."""
        ...


class WorkerResult(Message):
    """What a worker posts to the screen that started it; made in the worker's thread."""

    bubble = False

    def __init__(self) -> None:
        super().__init__()
        self.worker: Worker[Any] = get_current_worker()


class ForwardsWorkerErrors(MessagePump):
    """Mix into a Screen (before the Textual base) to hand its failed workers to the app,
    and the failures of the handlers of their :class:`WorkerResult` messages."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Pass a failure on to the app, which reports it and calls ``worker_failed``."""
        if event.state == WorkerState.ERROR:
            app = event.worker.node.app
            if event.worker.node is not app:
                app.post_message(event)

    async def _on_message(self, message: Message) -> None:
        """Handle a message as usual; a :class:`WorkerResult` whose handler raises is its
        worker's failure (see the module doc), anything else raises as Textual has it."""
        try:
            await super()._on_message(message)
        except Exception as error:
            app = self.app
            if not isinstance(message, WorkerResult) or not isinstance(app, ReportsWorkerFailures):
                raise
            app.report_worker_failure(message.worker, error)


__all__ = [
    "ExplainsDisabled",
    "FollowsStore",
    "ForwardsWorkerErrors",
    "ReportsWorkerFailures",
    "ShowsNotices",
    "WorkerOwner",
    "WorkerResult",
    "not_allowed",
]
