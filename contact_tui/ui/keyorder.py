"""Keys handled one at a time, in the order typed, however fast they arrive.

Textual hands each key to the focused widget's queue as soon as it reads the key, and the
key's binding (Tab moving the focus, space ticking a box, backspace in a field, a screen's
``n``) runs only when the key has gone through that widget and bubbled back up to the app.
Keys read in between were handed to whatever had the focus when they were read: in a burst
(a fast typist, or keys arriving together over SSH) "Pat<Tab>Kim" put "PatKim" in First
name, and a key pressed right after ``n`` went to the list behind the form.

:class:`InOrderKeys` holds each key read from the terminal until the one before it has been
through every widget it bubbles through and the app itself, by sending a callback along the
same path behind it; only then is the next key handed on, to whatever has the focus by then.
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.message_pump import MessagePump

# If a key's path is cut (its widget was removed before it got to the key), the next key
# goes on after this many seconds rather than never.
STUCK_SECONDS = 0.5

ResultType = TypeVar("ResultType")


class InOrderKeys(App[ResultType]):
    """An app that finishes each key before it hands on the next (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting_keys: deque[events.Key] = deque()
        self._key_in_flight = 0  # the number of the key in flight; 0 when none is
        self._keys_read = 0

    async def on_event(self, event: events.Event) -> None:
        """Keys from the terminal wait their turn; everything else goes on as usual."""
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        self._waiting_keys.append(event)
        if not self._key_in_flight:
            await self._next_key()

    async def _next_key(self) -> None:
        """Hand on the oldest waiting key, and follow it until it is done."""
        while self._waiting_keys and not self._key_in_flight:
            key = self._waiting_keys.popleft()
            target: MessagePump = self.focused or self.screen
            await super().on_event(key)  # priority bindings run here; otherwise forwarded
            if not key.is_forwarded:
                continue  # handled by the app itself: done
            self._keys_read += 1
            self._key_in_flight = number = self._keys_read
            self._follow(target, number)
            self.set_timer(STUCK_SECONDS, lambda number=number: self._key_done(number))

    def _follow(self, node: MessagePump, number: int) -> None:
        """Queue a callback behind the key at ``node``; when it runs, the key has left
        ``node`` (handled, or bubbled to its parent), so follow it there, up to the app."""
        parent = node._parent
        if node is self or parent is None:
            scheduled = node.call_later(self._key_done, number)
        else:
            scheduled = node.call_later(self._follow, parent, number)
        if not scheduled:
            self._key_done(number)  # that widget is closing: the key went nowhere further

    def _key_done(self, number: int) -> None:
        """The key in flight is done (or given up on): hand on the next one."""
        if self._key_in_flight != number:
            return  # already done; this is the stuck-key timer of an earlier key
        self._key_in_flight = 0
        if self._waiting_keys:
            self.call_later(self._next_key)
