"""Simulated filesystem faults for one folder: read-only (EACCES or EROFS) and a full disk.

The tests run as root, and root ignores file modes, so ``chmod`` cannot make a folder
read-only for them. These helpers make the OS calls fail the way the kernel fails them
instead, and only for files in the given folder:

* :func:`make_read_only` fails every call that would change the folder (open for writing or
  creating, link, rename, unlink) with EACCES or EROFS. Descriptors opened before the fault
  keep working, as they do after a ``chmod`` (and a read-only remount refuses to happen while
  files are open for writing).
* :func:`fill_disk` makes ``os.write`` to matching files fail with ENOSPC, after writing part of
  the data first if asked, the way a disk that fills mid-write does.

``test_faults.py`` checks the same behaviour on a real tiny tmpfs where it can mount one.
Each helper returns a function that lifts the fault (``monkeypatch`` also lifts it at the end).
"""

from __future__ import annotations

import builtins
import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def fd_path(fd: int) -> str:
    """The path an open descriptor refers to (Linux /proc), or '' when unknown."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def _inside(folder: Path, path: Any, dir_fd: int | None = None) -> bool:
    """Whether ``path`` (relative to ``dir_fd`` when given, as the store opens its files)
    names a file directly in ``folder``."""
    if isinstance(path, int):
        return False
    try:
        name = Path(os.fsdecode(path))
        if dir_fd is not None and not name.is_absolute():
            name = Path(fd_path(dir_fd)) / name
        return name.resolve().parent == folder
    except (TypeError, ValueError):
        return False


def make_read_only(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int) -> Callable[[], None]:
    """Fail every change to files in ``folder`` with ``code`` (EACCES or EROFS)."""
    folder = folder.resolve()
    active = [True]
    real_open, real_builtin_open = os.open, builtins.open

    def fail(path: Any) -> None:
        raise OSError(code, os.strerror(code), os.fsdecode(path))

    def fake_open(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if active[0] and flags & WRITE_FLAGS and _inside(folder, path, kwargs.get("dir_fd")):
            fail(path)
        return real_open(path, flags, mode, **kwargs)

    def fake_builtin_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if active[0] and set(mode) & set("wax+") and _inside(folder, file):
            fail(file)
        return real_builtin_open(file, mode, *args, **kwargs)

    def guard(name: str) -> None:
        real = getattr(os, name)

        def fake(*args: Any, **kwargs: Any) -> Any:
            # (path, dir_fd) pairs as os.link/replace/rename (src_dir_fd, dst_dir_fd) and
            # os.unlink/mkdir/rmdir (dir_fd) take them.
            dir_fds = (kwargs.get("src_dir_fd", kwargs.get("dir_fd")), kwargs.get("dst_dir_fd"))
            for arg, dir_fd in zip(args[:2], dir_fds, strict=False):
                if active[0] and _inside(folder, arg, dir_fd):
                    fail(arg)
            return real(*args, **kwargs)

        monkeypatch.setattr(os, name, fake)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(builtins, "open", fake_builtin_open)
    for name in ("link", "replace", "rename", "unlink", "mkdir", "rmdir"):
        guard(name)

    def lift() -> None:
        active[0] = False

    return lift


def fill_disk(
    monkeypatch: pytest.MonkeyPatch,
    matches: Callable[[str], bool],
    partial: int = 0,
) -> Callable[[], None]:
    """Make ``os.write`` to files whose path ``matches`` fail with ENOSPC.

    With ``partial``, the first such write really writes that many bytes and returns the
    short count (so the caller tries again and then meets ENOSPC), as a filling disk does.
    """
    active = [True]
    budget = [partial]
    real_write = os.write

    def fake_write(fd: int, data: Any) -> int:
        if active[0] and matches(fd_path(fd)):
            if budget[0] > 0:
                n = min(budget[0], len(data))
                budget[0] -= n
                return real_write(fd, bytes(data[:n]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", fake_write)

    def lift() -> None:
        active[0] = False

    return lift
