"""Low-level file handling for the store: the lock, atomic replacement, journal framing.

Everything here is about bytes on a local POSIX filesystem. ``flock`` does not work reliably
on NFS, so the store's folder must be local (the README says so).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from contact_tui.store.errors import StoreUnavailable

# New store files are readable and writable by owner and group only: agents share a group.
FILE_MODE = 0o660
TMP_MARK = ".tmp-"


def tmp_prefix(path: Path) -> str:
    """The name prefix of temporary files made beside ``path``; used to clean up orphans."""
    return f".{path.name}{TMP_MARK}"


def store_tmp_prefixes(path: Path) -> tuple[str, ...]:
    """The prefixes of every temporary file a store at ``path`` makes: its snapshot's (and
    backups') and its journal's (``atomic_write`` names a temporary file after its target)."""
    return (tmp_prefix(path), tmp_prefix(path.with_name(path.name + ".journal")))


def is_store_tmp(path: Path, name: str) -> bool:
    """Whether ``name`` is a temporary file of the store at ``path``."""
    return name.startswith(store_tmp_prefixes(path))


def describe_os_error(err: OSError, path: Path) -> str:
    """One sentence for an OS error on a store file, with what to do about it."""
    if err.errno == errno.ENOSPC:
        return f"The disk holding {path} is full; free some space and try again."
    if err.errno == errno.EDQUOT:
        return f"Your disk quota for {path} is used up; free some space and try again."
    if err.errno in (errno.EACCES, errno.EPERM):
        return (
            f"No permission to write {path}; ask your admin to add you to the store's group "
            "or to give the group write access to the folder."
        )
    if err.errno == errno.EROFS:
        return (
            f"{path} is on a read-only filesystem; ask your admin to mount it read-write or to "
            "move the store."
        )
    if err.errno == errno.ENOENT:
        return f"The folder {path.parent} does not exist; create it or fix the store path."
    return f"Cannot write {path}: {err.strerror or err}."


class InterProcessLock:
    """An exclusive ``flock`` on a separate lock file, shared by every agent process.

    The kernel drops the lock when its holder dies, even by ``kill -9``, so a crashed agent
    never leaves the store locked. Waiting polls with a short back-off (a blocking ``flock``
    could not time out), which hands the lock over within about a millisecond.
    """

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise StoreUnavailable after ``timeout`` seconds."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as err:
            raise StoreUnavailable(describe_os_error(err, self.path)) from err
        with contextlib.suppress(OSError):
            if os.fstat(fd).st_uid == os.getuid():
                os.fchmod(fd, FILE_MODE)
        deadline = time.monotonic() + self.timeout
        delay = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreUnavailable(
                        f"The store is busy: another process has held {self.path} for over "
                        f"{self.timeout:g} s; try again, and if it persists, run 'contact-tui "
                        "doctor' to see which process holds it."
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.01)
        self._fd = fd

    def try_acquire(self) -> bool:
        """Take the lock if it is free now, without waiting; False if it is held or the lock
        file cannot be opened (a reader in a read-only folder)."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock back."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """``with lock.held():`` runs the block under the lock."""
        self.acquire()
        try:
            yield
        finally:
            self.release()


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix.

    Temporary file in the same folder, fsync, rename, fsync of the folder. The new file keeps
    the old one's mode and group (``mkstemp``'s 0600 would lock the other agents out); a new
    file gets FILE_MODE.
    """
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    tmp = path.with_name(f"{tmp_prefix(path)}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            mode = (old.st_mode & 0o777) if old is not None else FILE_MODE
            os.fchmod(fd, mode)
            if old is not None and old.st_gid != os.getegid():
                with contextlib.suppress(OSError):
                    os.fchown(fd, -1, old.st_gid)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StoreUnavailable(describe_os_error(err, path)) from err


def remove_orphans(path: Path) -> list[Path]:
    """Delete temporary files a crashed writer left beside the store at ``path``.

    Call only under the lock: temporary files are written only under it, so while we hold it
    every one that exists belongs to a writer that died.
    """
    removed = []
    for entry in path.parent.iterdir():
        if is_store_tmp(path, entry.name):
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed


# --- journal framing ---------------------------------------------------------------------------
#
# One record a line: eight hex digits of CRC-32 over the JSON, a space, the JSON, a newline.
# A line without its newline is a write still under way (or a crash); a line whose checksum
# does not match is damage. The first line is a header naming the snapshot generation the
# records apply to.


class FrameError(ValueError):
    """A complete journal line that does not check out."""


def frame(record: Any) -> bytes:
    """One journal line for ``record``."""
    payload = orjson.dumps(record)
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


def unframe(line: bytes) -> Any:
    """The record in one complete journal line (without its newline)."""
    if len(line) < 10 or line[8:9] != b" ":
        raise FrameError("the line is not a journal record")
    payload = line[9:]
    try:
        expected = int(line[:8], 16)
    except ValueError:
        raise FrameError("the checksum is not hexadecimal") from None
    if zlib.crc32(payload) != expected:
        raise FrameError("the checksum does not match (the line was changed or damaged)")
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        raise FrameError(f"the record is not JSON ({err})") from None
