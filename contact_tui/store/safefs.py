"""Opening store files in a folder that other people can write to.

On a shared host everyone in the store's group can make entries in the store folder, so a
name the store uses may be a symlink to someone's ``~/.bash_profile``, a FIFO that blocks its
reader for ever, or a link to ``/dev/zero``. So every store file is opened by name relative
to the folder's descriptor with ``O_NOFOLLOW`` (the kernel refuses a symlink: nothing to race
between a check and the open), ``O_NONBLOCK`` (opening a FIFO never waits), and checked with
``fstat`` to be a regular file of a bounded size before a byte of it is read. New files are
made with ``O_EXCL``, so a name someone planted, a dangling symlink included, counts as taken
and is never written through. Files are kept aside by hard link, never copied.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from contact_tui.domain.text import printable
from contact_tui.store.errors import StoreUnavailable, StoreUnreadable, UnsafeStoreFile
from contact_tui.store.layout import aside_prefix, tmp_prefix

# No store file this app writes comes near this (100,000 contacts make a 64 MB snapshot, and
# the embedded store is for far fewer); a bigger one is not ours, and reading it would take
# the memory of every agent's process on the host.
MAX_FILE_BYTES = 512 * 1024**2
# A file this big whose blocks on disk hold under 1/64 of its size is mostly holes
# (`truncate -s 400M store.json`): cheap to plant, costly to read. Compressing filesystems
# store JSON in 1/5 to 1/15 of its size, well above this line.
SPARSE_MIN_BYTES = 64 * 1024**2
SPARSE_RATIO = 64
SAFE_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
# Errors an open gives for something that is not a regular file: a symlink under O_NOFOLLOW,
# a FIFO without a reader or a socket, a device without a driver, a folder opened to write.
_NOT_REGULAR_ERRNOS = frozenset({errno.ELOOP, errno.ENXIO, errno.ENODEV, errno.EISDIR})
_READ_CHUNK = 1 << 30


def shown(text: str, limit: int = 200) -> str:
    """``text`` safe to print in a message: control, format and bidi characters escaped by the
    project's one escape, ``domain.text.printable`` (a planted file name or link target must
    not drive the reader's terminal), and at most ``limit`` characters."""
    if len(text) > limit:
        text = text[:limit] + "..."
    return printable(text)


def describe_kind(st: os.stat_result, link_target: str | None = None) -> str:
    """What a non-regular file is, as words: "a symbolic link to '/x'", "a named pipe (FIFO)"."""
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "a symbolic link" + (f" to '{shown(link_target)}'" if link_target else "")
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def check_size(path: Path, size: int, st: os.stat_result | None = None) -> None:
    """Refuse a store file bigger than MAX_FILE_BYTES, or (given its status) one that is
    mostly holes, before reading it."""
    if size > MAX_FILE_BYTES:
        raise StoreUnreadable(
            path,
            f"it is {size:,} bytes, more than the {MAX_FILE_BYTES // 1024**2} MiB a store file "
            "may be, so it was not read",
            "This app never writes a file that big: check what it is (ls -l) and put the store "
            "back from your backups.",
        )
    if (
        st is not None
        and st.st_size >= SPARSE_MIN_BYTES
        and st.st_blocks * 512 * SPARSE_RATIO < st.st_size
    ):
        raise StoreUnreadable(
            path,
            f"it claims {st.st_size:,} bytes but holds only {st.st_blocks * 512:,} on disk (a "
            "sparse file, mostly holes), which this app never writes, so it was not read",
            "Check what it is (ls -ls) and put the store back from your backups.",
        )


def open_folder(folder: Path) -> int:
    """A descriptor of the store's folder, or StoreUnavailable saying why there is none."""
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        raise StoreUnavailable(
            f"The store folder {folder} does not exist; create it (on a local filesystem) or "
            "point the admin config at another path."
        ) from None
    except OSError as err:
        if err.errno in (errno.EACCES, errno.EPERM):
            raise StoreUnavailable(
                f"No permission to open the store folder {folder}; ask your admin to add you to "
                "the store's group."
            ) from err
        raise StoreUnavailable(
            f"Cannot open the store folder {folder}: {err.strerror or err}."
        ) from err


class Folder:
    """The store's folder, held open: every store file is opened, made, linked and renamed by
    name relative to it, never through a path, and never by following a symlink.

    The descriptor is opened on first use and again after :meth:`close`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def fd(self) -> int:
        """The folder's descriptor."""
        if self._fd is None:
            self._fd = open_folder(self.path)
        return self._fd

    def close(self) -> None:
        """Release the descriptor."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            self.close()

    def path_of(self, name: str) -> Path:
        """The path of ``name`` in this folder, for messages."""
        return self.path / name

    def lstat(self, name: str) -> os.stat_result | None:
        """``name``'s own status (a symlink is not followed), or None when there is none."""
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def kind(self, name: str) -> str | None:
        """What is at ``name`` when it is not a regular file (see describe_kind); None when it
        is a regular file or absent."""
        st = self.lstat(name)
        if st is None or stat.S_ISREG(st.st_mode):
            return None
        target = None
        if stat.S_ISLNK(st.st_mode):
            try:
                target = os.readlink(name, dir_fd=self.fd)
            except OSError:
                target = None
        return describe_kind(st, target)

    def open(self, name: str, flags: int) -> tuple[int, os.stat_result]:
        """Open the existing regular file ``name`` (and its status), never following a symlink
        nor waiting on a FIFO. Raises UnsafeStoreFile for anything but a regular file, and
        OSError (FileNotFoundError when there is none) as ``os.open`` does."""
        try:
            fd = os.open(name, flags | SAFE_FLAGS, dir_fd=self.fd)
        except OSError as err:
            if err.errno in _NOT_REGULAR_ERRNOS and (kind := self.kind(name)) is not None:
                raise UnsafeStoreFile(self.path_of(name), kind) from None
            raise
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise UnsafeStoreFile(self.path_of(name), describe_kind(st))
        return fd, st

    def create(self, name: str, flags: int, mode: int) -> int:
        """Make the new file ``name`` with ``mode`` (whatever the umask). FileExistsError when
        the name is taken, by anything, a dangling symlink included."""
        fd = os.open(name, flags | os.O_CREAT | os.O_EXCL | SAFE_FLAGS, mode, dir_fd=self.fd)
        try:
            os.fchmod(fd, mode)  # ours, just made: give back what the umask took
        except OSError:
            os.close(fd)
            raise
        return fd

    def read(self, name: str) -> tuple[bytes, os.stat_result]:
        """The whole of the regular file ``name`` and its status, refusing one over
        MAX_FILE_BYTES before reading it (see :meth:`open` for the other refusals)."""
        fd, st = self.open(name, os.O_RDONLY)
        try:
            check_size(self.path_of(name), st.st_size, st)
            return read_bounded(fd, st.st_size, self.path_of(name)), st
        finally:
            os.close(fd)

    def link_aside(self, names: list[str], suffix: str) -> list[str]:
        """Keep each of ``names`` also as ``name.SUFFIX-N``, one N for all, the first N free for
        every one of them. Hard links: nothing is copied, no symlink is followed, and a name
        that exists in any form (a dangling symlink too) is never replaced."""
        n = 1
        while True:
            made: list[str] = []
            try:
                for name in names:
                    target = f"{aside_prefix(name, suffix)}{n}"
                    os.link(
                        name,
                        target,
                        src_dir_fd=self.fd,
                        dst_dir_fd=self.fd,
                        follow_symlinks=False,
                    )
                    made.append(target)
                return made
            except FileExistsError:
                for target in made:
                    os.unlink(target, dir_fd=self.fd)
                n += 1

    def set_aside(self, name: str, suffix: str) -> str:
        """Rename ``name`` to the first free ``name.SUFFIX-N`` (never replacing anything)."""
        try:
            (target,) = self.link_aside([name], suffix)
        except PermissionError:
            # fs.protected_hardlinks refuses a link to a file we cannot both read and write;
            # a rename needs only the folder. It never follows a symlink either, and at worst
            # replaces an entry planted at a free-looking name in this very folder.
            n = 1
            while self.lstat(target := f"{aside_prefix(name, suffix)}{n}") is not None:
                n += 1
            self.replace(name, target)
            return target
        os.unlink(name, dir_fd=self.fd)
        return target

    def replace(self, src: str, dst: str) -> None:
        """Rename ``src`` over ``dst`` (a symlink at ``dst`` is replaced, never followed)."""
        os.replace(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def unlink(self, name: str) -> None:
        """Remove ``name`` (a symlink itself, not its target)."""
        os.unlink(name, dir_fd=self.fd)

    def names(self) -> list[str]:
        """Every name in the folder."""
        return os.listdir(self.fd)

    def fsync(self) -> None:
        """Make renames and new names in the folder durable."""
        os.fsync(self.fd)


def replace_file(
    dir_fd: int,
    name: str,
    data: bytes,
    mode: int,
    gid: int | None = None,
    *,
    private_unless_gid: bool = False,
) -> os.stat_result:
    """Replace the file ``name`` in the folder ``dir_fd`` with ``data``, so that readers see
    the old file or the new one, never a mix, and a failure leaves the old one as it was;
    return the new file's status. The one way this app writes a whole file: store snapshots
    and journal headers, and exports.

    The data goes to a new temporary file beside ``name`` (``O_EXCL``, no symlink followed),
    made 0600 and then given group ``gid`` (None: the group the folder gives it) and
    ``mode`` through its descriptor, so the umask is never read (reading it means setting it,
    for every thread of the process) and a name swapped for a symlink cannot turn this into a
    chmod of someone else's file. When the file cannot get ``gid`` (we are not in that group)
    it keeps ``mode``, unless ``private_unless_gid``: then it loses the group bits, as the
    same bits for another group would widen who can read it. Then fsync, rename over
    ``name`` (a symlink there is replaced, never followed), and fsync of the folder so the
    rename survives a crash. Raises OSError, having removed the temporary file.
    """
    tmp = f"{tmp_prefix(name)}{os.getpid()}-{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | SAFE_FLAGS, 0o600, dir_fd=dir_fd)
    try:
        try:
            if gid is not None and os.fstat(fd).st_gid != gid:
                try:
                    os.fchown(fd, -1, gid)
                except OSError:
                    if private_unless_gid:
                        mode &= ~0o070
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        os.fsync(dir_fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    return st


def read_bounded(fd: int, size: int, path: Path) -> bytes:
    """Everything in the open regular file ``fd`` of ``size`` bytes (by fstat), refusing more
    than MAX_FILE_BYTES, including what grows while it is read."""
    check_size(path, size)
    chunks: list[bytes] = []
    total = 0
    want = size + 1  # one read takes it all and the next says end of file
    while True:
        chunk = os.read(fd, min(max(want - total, 1 << 16), _READ_CHUNK))
        if not chunk:
            return b"".join(chunks)  # one chunk: the same bytes, not a copy
        chunks.append(chunk)
        total += len(chunk)
        check_size(path, total)


__all__ = [
    "MAX_FILE_BYTES",
    "Folder",
    "check_size",
    "describe_kind",
    "open_folder",
    "read_bounded",
    "replace_file",
    "shown",
]
