"""Knowing when another process changed the store, without reading it to find out.

An idle agent's app must cost next to nothing, yet show other agents' changes within a second.
:class:`InotifyWatch` asks the kernel (inotify, through ctypes: no extra dependency) to say
when the snapshot or journal in the store's folder changes; its descriptor goes into the event
loop, so an idle app wakes only when something was written. Where inotify is not available
(another OS, a full inotify table), :class:`StatWatch` compares two ``lstat`` results per look,
which is cheap enough to run on the event loop a few times a second.

Either says only "something may have changed": the caller then reads the store the usual way
(``JsonStore.refresh``), which is what decides what changed. Nothing here opens a store file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
from pathlib import Path

from contact_tui.store.base import StoreWatch
from contact_tui.store.layout import StoreLayout

# From <sys/inotify.h>. Appending to the journal is IN_MODIFY; a compaction renames a new
# snapshot and journal into place (IN_MOVED_TO); doctor and people move or delete them.
IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_UNMOUNT = 0x00002000
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
WATCHED = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
# The folder itself went away (moved, deleted, unmounted): the watch is over.
GONE = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name


class InotifyWatch:
    """An inotify descriptor on the store's folder, readable when its snapshot or journal
    changes. Put :meth:`fileno` in the event loop (``loop.add_reader``) and call
    :meth:`changed` when it is readable."""

    # The kernel tells of every change: nothing to look at besides (StoreWatch).
    recheck_seconds: float | None = None

    def __init__(self, fd: int, names: frozenset[bytes]) -> None:
        self._fd = fd
        self._names = names
        self.alive = True

    @classmethod
    def open(cls, store_path: Path) -> InotifyWatch | None:
        """A watch on the folder of the store at ``store_path``, or None where inotify cannot
        be had (not Linux, no libc symbol, the per-user limit reached, the folder missing)."""
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            init1 = libc.inotify_init1
            add_watch = libc.inotify_add_watch
        except (OSError, AttributeError):
            return None
        init1.argtypes = [ctypes.c_int]
        init1.restype = ctypes.c_int
        add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        add_watch.restype = ctypes.c_int
        fd = init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        layout = StoreLayout(store_path)
        # IN_DONT_FOLLOW: a symlink put in place of the folder is not watched through.
        folder = os.fsencode(layout.folder)
        if add_watch(fd, folder, WATCHED | GONE | IN_ONLYDIR | IN_DONT_FOLLOW) < 0:
            os.close(fd)
            return None
        names = frozenset(os.fsencode(n) for n in (layout.snapshot, layout.journal))
        return cls(fd, names)

    def fileno(self) -> int:
        """The descriptor to wait on."""
        return self._fd

    @property
    def trouble(self) -> str:
        """Nothing: the kernel tells of every change."""
        return ""

    def changed(self) -> bool:
        """Read every pending event; True when one concerns the snapshot or the journal, the
        kernel dropped events (overflow), or the folder went away (then :attr:`alive` is
        False and the caller should look some other way)."""
        changed = False
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return changed
            except OSError as err:
                if err.errno == errno.EINTR:
                    continue
                self.alive = False
                return True
            if not data:
                return changed
            offset = 0
            while offset + _EVENT.size <= len(data):
                _, mask, _, length = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0")
                offset += _EVENT.size + length
                if mask & GONE:
                    self.alive = False
                    changed = True
                elif mask & IN_Q_OVERFLOW or name in self._names:
                    changed = True

    def close(self) -> None:
        """Stop watching (the descriptor is closed; remove it from the event loop first)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class StatWatch:
    """The fallback: the snapshot's and journal's identity, size and change time, compared
    with the last look. Two ``lstat`` calls, cheap enough for a timer on the event loop."""

    def __init__(self, store_path: Path) -> None:
        layout = StoreLayout(store_path)
        self._paths = (layout.at(layout.snapshot), layout.at(layout.journal))
        self._last = self._look()

    # The app's timer calls changed() already (StoreWatch).
    recheck_seconds: float | None = None

    def fileno(self) -> None:
        """No descriptor: call :meth:`changed` on a timer."""
        return None

    @property
    def alive(self) -> bool:
        """Always: the files are looked up by name each time."""
        return True

    @property
    def trouble(self) -> str:
        """Nothing: a look never fails."""
        return ""

    def _look(self) -> tuple[tuple[int, int, int, int] | None, ...]:
        looks: list[tuple[int, int, int, int] | None] = []
        for path in self._paths:
            try:
                st = os.lstat(path)  # lstat: never follows a link someone put there
            except OSError:
                looks.append(None)
                continue
            looks.append((st.st_dev, st.st_ino, st.st_size, st.st_ctime_ns))
        return tuple(looks)

    def changed(self) -> bool:
        """True when either file differs from the last look."""
        now = self._look()
        if now == self._last:
            return False
        self._last = now
        return True

    def close(self) -> None:
        """Nothing to release."""


def watch_folder(store_path: Path, poll: bool = False) -> StoreWatch:
    """The cheapest watch this machine allows on the store at ``store_path``: inotify, or
    the ``lstat`` comparison where inotify cannot be had or ``poll`` asks for it."""
    watch = None if poll else InotifyWatch.open(store_path)
    return watch if watch is not None else StatWatch(store_path)


__all__ = ["InotifyWatch", "StatWatch", "StoreWatch", "watch_folder"]
