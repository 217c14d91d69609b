"""Low-level file handling for the store: the lock, atomic replacement, left-over files.

Everything here is about bytes on a local POSIX filesystem. ``flock`` does not work reliably
on NFS, so the store's folder must be local (the README says so).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pwd
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from contact_tui.store.errors import StoreError, StoreUnavailable
from contact_tui.store.layout import StoreLayout
from contact_tui.store.safefs import Folder, replace_file, shown

# New store files are readable and writable by owner and group only: agents share a group.
# A replaced file keeps its mode within these bits, so "other" access is never carried over.
FILE_MODE = 0o660


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


@dataclass(frozen=True)
class LockHolder:
    """The process holding a store's lock, as far as /proc tells."""

    pid: int
    user: str
    command: str

    def __str__(self) -> str:
        return f"process {self.pid} (user {self.user}, command '{self.command}')"


def lock_holder(ino: int) -> LockHolder | None:
    """The process holding a ``flock`` on the file with inode ``ino``, from /proc/locks
    (Linux), or None when unknown (no /proc, or ``hidepid`` hides the holder)."""
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters read "1: -> FLOCK ...".
        if len(parts) < 6 or parts[1] != "FLOCK":
            continue
        dev_ino = parts[5].split(":")
        if len(dev_ino) == 3 and dev_ino[2] == str(ino) and parts[4].isdigit():
            pid = int(parts[4])
            try:
                uid = os.stat(f"/proc/{pid}").st_uid
                try:
                    user = pwd.getpwuid(uid).pw_name
                except KeyError:
                    user = str(uid)
            except OSError:
                user = "unknown"
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    raw = f.read(4096)
                cmd = raw.replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                cmd = ""
            # The command line is the holder's to choose: escape it before printing it.
            return LockHolder(pid, user, shown(cmd, 80) or "unknown")
    return None


def open_lock_file(folder: Folder, name: str, create: bool) -> int:
    """Open the lock file ``name`` for writing; with ``create``, make it if it is missing.

    Only a regular file is opened (a symlink or FIFO there raises UnsafeStoreFile), and its
    mode is set only when this call made it: chmod through a file someone planted would
    change whatever it points to.
    """
    for _ in range(5):
        try:
            fd, _ = folder.open(name, os.O_RDWR)
            return fd
        except FileNotFoundError:
            if not create:
                raise
        try:
            return folder.create(name, os.O_RDWR, FILE_MODE)
        except FileExistsError:
            continue  # made meanwhile, or a dangling symlink, which the next open refuses
    raise StoreUnavailable(
        f"The lock file {folder.path_of(name)} kept appearing and disappearing; try again, "
        "and if it persists, ask your admin to check who is changing the folder."
    )


class InterProcessLock:
    """An exclusive ``flock`` on a separate lock file, shared by every agent process.

    The kernel drops the lock when its holder dies, even by ``kill -9``, so a crashed agent
    never leaves the store locked. Waiting polls with a short back-off (a blocking ``flock``
    could not time out), which hands the lock over within about a millisecond.
    """

    def __init__(self, path: Path, timeout: float = 10.0, folder: Folder | None = None) -> None:
        self.path = path
        self.timeout = timeout
        self._folder = folder
        self._fd: int | None = None

    def _open(self, create: bool) -> int:
        folder = self._folder or Folder(self.path.parent)
        try:
            return open_lock_file(folder, self.path.name, create)
        finally:
            if self._folder is None:
                folder.close()

    def acquire(self) -> None:
        """Take the lock, or raise StoreUnavailable after ``timeout`` seconds (naming the
        holder), or UnsafeStoreFile when the lock file is not a regular file."""
        try:
            fd = self._open(create=True)
        except OSError as err:
            raise StoreUnavailable(describe_os_error(err, self.path)) from err
        deadline = time.monotonic() + self.timeout
        delay = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = lock_holder(os.fstat(fd).st_ino)
                    os.close(fd)
                    who = str(holder) if holder else "another process"
                    raise StoreUnavailable(
                        f"The store is busy: {who} has held {self.path} for over "
                        f"{self.timeout:g} s; try again, and if it persists, ask its user or "
                        "your admin to end that process ('contact-tui doctor' names it too)."
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.01)
        self._fd = fd

    def try_acquire(self) -> bool:
        """Take the lock if it is free now, without waiting; False if it is held or the lock
        file cannot be opened (a reader in a read-only folder, or no lock file yet)."""
        try:
            fd = self._open(create=False)
        except (OSError, StoreError):
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


def atomic_write(path: Path, data: bytes, folder: Folder | None = None) -> os.stat_result:
    """Replace the store file ``path`` with ``data`` (see ``safefs.replace_file``: readers see
    the old or the new file, never a mix); return the new file's status, or raise
    StoreUnavailable saying why it could not be written.

    The new file keeps the old one's mode within FILE_MODE (``mkstemp``'s 0600 would lock the
    other agents out, and access someone gave "other" is not carried over); a new file gets
    FILE_MODE. In a setgid folder it takes the folder's group; elsewhere it keeps the old
    file's group if it can (and its mode either way: other agents must still write it).
    """
    opened = folder or Folder(path.parent)
    try:
        old = opened.lstat(path.name)
        if old is not None and not stat.S_ISREG(old.st_mode):
            old = None  # a planted entry: nothing of it is carried over
        setgid_folder = bool(os.fstat(opened.fd).st_mode & stat.S_ISGID)
        mode = (old.st_mode & FILE_MODE) if old is not None else FILE_MODE
        gid = old.st_gid if old is not None and not setgid_folder else None
        return replace_file(opened.fd, path.name, data, mode, gid)
    except OSError as err:
        raise StoreUnavailable(describe_os_error(err, path)) from err
    finally:
        if folder is None:
            opened.close()


def remove_orphans(folder: Folder, layout: StoreLayout) -> list[str]:
    """Delete temporary files a crashed writer left beside the store; their names.

    Call only under the lock: temporary files are written only under it, so while we hold it
    every one that exists belongs to a writer that died.
    """
    removed = []
    for name in folder.names():
        if layout.is_tmp(name):
            with contextlib.suppress(OSError):
                folder.unlink(name)
                removed.append(name)
    return removed
