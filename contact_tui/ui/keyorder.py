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
A key's binding that opens a screen awaits its mount, and the screen's ``focus()`` lands
(through the app's queue) before that callback hands on the next key: keys typed after it
reach the screen it opened, however long the opening takes.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.message_pump import MessagePump

# How often a key in flight is looked at: if its path is cut (the widget holding it was
# removed before it got to the key), the next key goes on then rather than never. A key still
# on its way (a widget busy before it gets to the key, on a loaded machine) is waited for, up
# to HELD_SECONDS: a handler that waited on something only a later key could give would
# otherwise hold the keyboard for good. (While the app itself runs a key's binding, a search
# to answer or a screen to mount, nothing is looked at: the timers' callbacks run on the
# app's own queue, after it.)
STUCK_SECONDS = 0.5
HELD_SECONDS = 10.0

ResultType = TypeVar("ResultType")


class InOrderKeys(App[ResultType]):
    """An app that finishes each key before it hands on the next (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting_keys: deque[events.Key] = deque()
        self._key_in_flight = 0  # the number of the key in flight; 0 when none is
        self._keys_read = 0
        # Where the key in flight is: the node whose queue holds it (and the callback behind
        # it), and when it was handed on.
        self._key_at: MessagePump | None = None
        self._key_since = 0.0

    @property
    def keys_pending(self) -> bool:
        """True while a key read from the terminal is being handled or waits its turn."""
        return bool(self._waiting_keys or self._key_in_flight)

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
            self._key_since = time.monotonic()
            self._follow(target, number)
            self._look_later(number)

    def _look_later(self, number: int) -> None:
        self.set_timer(STUCK_SECONDS, lambda: self._look_at(number))

    def _look_at(self, number: int) -> None:
        """Give up on key ``number`` if its path is cut, or it has been held too long; else
        look again later. (Handing on the next key while this one still waits in a busy
        widget would send it to that widget, before this key's binding moved the focus.)"""
        if self._key_in_flight != number:
            return  # done
        node = self._key_at
        cut = node is None or node._closing or node._closed
        if cut or time.monotonic() - self._key_since >= HELD_SECONDS:
            self._key_done(number)
        else:
            self._look_later(number)

    def _follow(self, node: MessagePump, number: int) -> None:
        """Queue a callback behind the key at ``node``; when it runs, the key has left
        ``node`` (handled, or bubbled to its parent), so follow it there, up to the app."""
        if self._key_in_flight != number:
            return  # given up on: the next key has gone on
        self._key_at = node
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
            return  # already done (or given up on)
        self._key_in_flight = 0
        self._key_at = None
        if self._waiting_keys:
            self.call_later(self._next_key)
