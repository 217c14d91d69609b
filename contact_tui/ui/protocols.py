"""What a screen implements so the app can handle two things in one place for every screen:
a worker that failed unexpectedly, and a key pressed for an action the agent may not take.

Worker failures: Textual posts ``Worker.StateChanged`` to the node that started the worker and
does not bubble it, so a screen mixes in :class:`ForwardsWorkerErrors` to pass its workers'
failures to the app. The app then tells the agent in one sentence and calls the screen's
:meth:`WorkerOwner.worker_failed`, where the screen clears whatever busy state that worker
held ("Saving…", a refresh under way), so a screen is never left waiting for a worker that is
gone. Name a worker (``@work(name="saving the contact")``) to have the message say what failed.

Disabled actions: ``check_action`` returning None shows a binding dimmed and makes Textual
ignore its key silently. A screen that implements :meth:`ExplainsDisabled.disabled_reason`
is asked why when such a key is pressed, and the app shows the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from textual.worker import Worker, WorkerState

from contact_tui.domain.model import Permission


@runtime_checkable
class WorkerOwner(Protocol):
    """A screen (or widget) that holds busy state while its workers run."""

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """``worker`` raised ``error`` (already reported to the agent): clear the busy state
        it held, so the screen takes keys and work again."""
        ...


@runtime_checkable
class ExplainsDisabled(Protocol):
    """A screen that can say why one of its actions is disabled."""

    def disabled_reason(self, action: str) -> str | None:
        """One sentence for the agent saying why ``action`` cannot be run now (which
        permission it needs, whom to ask), or None when there is nothing to say."""
        ...


def not_allowed(label: str, needs: Sequence[Permission], roles: str) -> str:
    """The sentence :meth:`ExplainsDisabled.disabled_reason` gives for an action the agent's
    roles do not permit: what it is, the permissions it needs, and whom to ask. One wording
    for every screen."""
    names = " and ".join(p.value for p in needs)
    plural = "s" if len(needs) > 1 else ""
    return (
        f"{label} is not allowed for you: it needs the {names} permission{plural}, which your "
        f"roles ({roles}) do not give; ask your admin for it."
    )


class ForwardsWorkerErrors:
    """Mix into a Screen (before the Textual base) to hand its failed workers to the app."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Pass a failure on to the app, which reports it and calls ``worker_failed``."""
        if event.state == WorkerState.ERROR:
            app = event.worker.node.app
            if event.worker.node is not app:
                app.post_message(event)


__all__ = ["ExplainsDisabled", "ForwardsWorkerErrors", "WorkerOwner", "not_allowed"]
