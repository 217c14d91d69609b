"""The three exchange formats by name, and reading and writing their files safely.

The command line and the directory screen both come through here, so they agree on which
format a file is, how big a file may be, and how an export reaches the disk (all at once:
a failed or refused export never leaves half a file, or truncates the one that was there).
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import select
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from contact_tui.domain.model import Contact
from contact_tui.exchange.csv_format import read_csv, write_csv
from contact_tui.exchange.genesys import read_genesys, write_genesys
from contact_tui.exchange.rows import WINDOWS_1252, FileFormatError, NotesByContact, ParsedFile
from contact_tui.exchange.vcard import read_vcard, write_vcard
from contact_tui.store.safefs import describe_kind, replace_file

# An import is read into memory whole; this bounds what one run can take (100,000 contacts as
# Genesys JSON are about 60 MB).
MAX_IMPORT_BYTES = 500_000_000


@dataclass(frozen=True)
class Format:
    """One exchange format: its name, what it is, and how to read and write it."""

    name: str
    title: str
    suffixes: tuple[str, ...]
    read: Callable[[bytes], ParsedFile]
    # The contacts, and their notes by contact id (oldest first), as the file's text.
    write: Callable[[Iterable[Contact], NotesByContact], str]


FORMATS: dict[str, Format] = {
    "genesys": Format("genesys", "Genesys Cloud JSON", (".json",), read_genesys, write_genesys),
    "csv": Format("csv", "CSV", (".csv", ".tsv", ".txt"), read_csv, write_csv),
    "vcard": Format(
        "vcard",
        "vCard",
        (".vcf", ".vcard"),
        read_vcard,
        lambda contacts, notes: write_vcard(contacts, "4.0", notes),
    ),
}
VCARD_VERSIONS = ("4.0", "3.0")


class ExchangeError(Exception):
    """A file cannot be read or written; the message names it and says why."""


def writer(
    name: str, vcard_version: str = "4.0"
) -> Callable[[Iterable[Contact], NotesByContact], str]:
    """The function that writes contacts, and their notes by contact id, in format ``name``."""
    if name == "vcard":
        return lambda contacts, notes: write_vcard(contacts, vcard_version, notes)
    return FORMATS[name].write


def tracked(
    contacts: list[Contact], progress: Callable[[str, int, int], None], every: int = 200
) -> Iterator[Contact]:
    """The contacts, one by one, reporting ("Writing", done, total) as a writer takes them
    (a vCard export of 100,000 contacts takes about a minute)."""
    total = len(contacts)
    for n, contact in enumerate(contacts, 1):
        yield contact
        if n % every == 0 or n == total:
            progress("Writing", n, total)


def guess_format(path: str, data: bytes) -> str:
    """The format of a file, from its suffix, else from how it begins."""
    suffix = Path(path).suffix.lower()
    for fmt in FORMATS.values():
        if suffix in fmt.suffixes:
            return fmt.name
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"[", b"{"):
        return "genesys"
    if head[:11].upper() == b"BEGIN:VCARD":
        return "vcard"
    return "csv"


class FileChanged(ExchangeError):
    """The file an import reads no longer holds the bytes its check read."""


# Read a pipe this much at a time: its size is not known before it ends.
_PIPE_CHUNK = 1 << 20


def _others_can_write(folder: os.stat_result) -> bool:
    """Whether someone but the caller can make entries in ``folder`` (a world-writable /tmp,
    a group share, another user's home read by root): a symlink there may be theirs, pointing
    wherever they like, and swapped at will. The strict answer for a group: it may have others."""
    mode = folder.st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        return True
    return folder.st_uid != os.geteuid() and bool(mode & stat.S_IWUSR)


def _open_file(path: str, *, regular_only: bool) -> tuple[int, os.stat_result]:
    """``path`` opened to read, and its status: a regular file, or, unless ``regular_only``,
    a pipe (a FIFO, or ``<(...)`` on the command line, where Ctrl+C stops a wait).

    As the store opens its files (``store.safefs``): without waiting (``O_NONBLOCK``: a FIFO
    with no writer, or a device, never hangs the open), then checked with ``fstat`` on the
    descriptor that is read, so nothing can be swapped in between; and without following a
    symlink (``O_NOFOLLOW``) in a folder others can write to. ExchangeError with a sentence
    for anything else: a device never ends (/dev/zero) or reads the terminal (/dev/tty)."""
    folder, name = os.path.split(path)
    if not name:  # "contacts/" names a folder, or nothing
        folder, name = path, "."
    try:
        dir_fd = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ExchangeError(f"The file {path} does not exist.") from None
    except NotADirectoryError:
        raise ExchangeError(f"The file {path} does not exist: {folder} is not a folder.") from None
    except OSError as err:
        raise ExchangeError(f"Cannot read {path}: {err.strerror or err}.") from None
    try:
        shared = _others_can_write(os.fstat(dir_fd))
        flags = os.O_RDONLY | os.O_CLOEXEC | (os.O_NOFOLLOW if shared else 0)
        try:
            fd = os.open(name, flags | os.O_NONBLOCK, dir_fd=dir_fd)
        except FileNotFoundError:
            raise ExchangeError(f"The file {path} does not exist.") from None
        except OSError as err:
            if shared and err.errno == errno.ELOOP:
                raise ExchangeError(
                    f"{path} is a symbolic link in {folder or '.'}, a folder other users can "
                    "write to, so it was not followed (one of them could point it at another "
                    "file); give the path of the file itself."
                ) from None
            if err.errno == errno.ENXIO:  # a socket, or a device with no driver
                raise ExchangeError(f"{path} is not a regular file; give a file's path.") from None
            raise ExchangeError(f"Cannot read {path}: {err.strerror or err}.") from None
        st = os.fstat(fd)
        if stat.S_ISFIFO(st.st_mode) and not regular_only:
            try:
                _wait_for_writer(fd)
            except BaseException:  # Ctrl+C while it waits
                os.close(fd)
                raise
        elif not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise ExchangeError(_not_a_file(path, st))
    finally:
        os.close(dir_fd)
    return fd, st


def _wait_for_writer(fd: int) -> None:
    """Make the pipe ``fd`` (opened without waiting) block on reads, once it has bytes or its
    writer has come and gone: read before that, a pipe without a writer yet ends at once.
    Opening it again to wait would lose a writer that came and went in between."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    poller.poll()  # Ctrl+C stops the wait (the command line is the only caller)
    os.set_blocking(fd, True)


def _not_a_file(path: str, st: os.stat_result) -> str:
    """Why ``path``, which is not a regular file, is not read."""
    if stat.S_ISDIR(st.st_mode):
        return f"{path} is a folder, not a file."
    if stat.S_ISFIFO(st.st_mode):
        # Only the app's dialog refuses a pipe: nothing there can stop a wait for its writer.
        return (
            f"{path} is a named pipe (FIFO), not a regular file, and reading one could keep the "
            "app waiting for ever; save what it gives to a file, or import it with the command "
            "line (contact-tui import)."
        )
    return f"{path} is {describe_kind(st)}, not a regular file; give a file's path."


def open_input(path: str, *, regular_only: bool = False) -> BinaryIO:
    """``path`` opened for reading bytes ('-' is standard input, which the caller leaves
    open); ExchangeError with a sentence when it cannot be opened, or is no file (a device,
    a socket; with ``regular_only``, as in the app's dialog, a pipe or standard input too:
    see :func:`_open_file`)."""
    if path == "-":
        if regular_only:
            raise ExchangeError(_NO_STDIN)
        return sys.stdin.buffer
    fd, _ = _open_file(path, regular_only=regular_only)
    return os.fdopen(fd, "rb")


_NO_STDIN = "'-' (standard input) is read only by the command line; give a file's path."


def read_bytes(path: str, limit: int = MAX_IMPORT_BYTES, *, regular_only: bool = False) -> bytes:
    """A whole file's bytes ('-' is standard input; ``regular_only`` as :func:`open_input`);
    ExchangeError with a sentence when it cannot be read or is larger than ``limit``: a
    regular file is measured before a byte of it is read, a stream as it is read."""
    if path == "-":
        if regular_only:
            raise ExchangeError(_NO_STDIN)
        try:
            data = sys.stdin.buffer.read(limit + 1)
        except OSError as err:
            raise ExchangeError(f"Cannot read {path}: {err.strerror or err}.") from None
    else:
        fd, st = _open_file(path, regular_only=regular_only)
        try:
            if stat.S_ISREG(st.st_mode) and st.st_size > limit:
                raise ExchangeError(
                    f"The file {path} is larger than {limit:,} bytes; it was not read."
                )
            data = _read_up_to(fd, limit + 1, st.st_size if stat.S_ISREG(st.st_mode) else -1)
        except OSError as err:
            raise ExchangeError(f"Cannot read {path}: {err.strerror or err}.") from None
        finally:
            os.close(fd)
    if len(data) > limit:
        # A stream, or a file that grew while it was read: its first bytes were read.
        what = "Standard input" if path == "-" else f"The file {path}"
        raise ExchangeError(
            f"{what} is larger than {limit:,} bytes; reading stopped there and nothing was used."
        )
    return data


def _read_up_to(fd: int, most: int, size: int) -> bytes:
    """Up to ``most`` bytes of ``fd``, to its end. ``size`` is a regular file's (by fstat):
    one read takes it all and the next finds the end, unless it grew meanwhile; -1 for a pipe,
    read a chunk at a time."""
    chunks: list[bytes] = []
    total = 0
    step = size + 1 if size >= 0 else _PIPE_CHUNK
    while total < most and (chunk := os.read(fd, min(most - total, step))):
        chunks.append(chunk)
        total += len(chunk)
        step = _PIPE_CHUNK
    return b"".join(chunks)  # one chunk: the same bytes, not a copy


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _utf16_without_bom(data: bytes) -> str:
    """The UTF-16 byte order of a file without a byte-order mark, or ''.

    Text that is mostly ASCII (the names of vCard properties, CSV headers, digits) has a NUL
    in every other octet when it is UTF-16: nearly all of one half of the octets are NUL and
    almost none of the other. A binary file has NULs scattered in both halves.
    """
    sample = data[:4096]
    if len(sample) < 8:
        return ""
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd >= half * 0.3 and even <= half * 0.02:
        return "utf-16-le"
    if even >= half * 0.3 and odd <= half * 0.02:
        return "utf-16-be"
    return ""


def as_utf8(path: str, data: bytes) -> bytes:
    """A file's bytes as the readers take them: a UTF-16 or UTF-32 file (Windows' "Unicode"
    saves, Outlook and some phones; with or without a byte-order mark) becomes UTF-8, line for
    line; any other file is returned as it is (the readers decode it, UTF-8 or, in a vCard,
    each property's CHARSET). ExchangeError when a file that looks UTF-16 does not decode."""
    codec = next((c for bom, c in _BOMS if data.startswith(bom)), "")
    start = next((len(bom) for bom, c in _BOMS if c == codec), 0)
    codec = codec or _utf16_without_bom(data)
    if not codec:
        return data
    try:
        return data[start:].decode(codec).encode("utf-8")
    except UnicodeDecodeError as err:
        name = codec.upper().replace("-LE", " (little-endian)").replace("-BE", " (big-endian)")
        raise ExchangeError(
            f"{path} looks like {name} text, but octet {err.start + start} is not; "
            "save it as UTF-8 and try again."
        ) from None


# What a file is saved in, as an --encoding's advice names it.
_FILE_ENCODINGS = "windows-1252, iso-8859-15, utf-16 or utf-8"
# Codecs Python calls text encodings that no program saves a contacts file in, by the name
# codecs.lookup gives, with what each is for: decoding a file in one fails on the first line
# with a plain UnicodeError (punycode, idna), or turns a backslash into an escape.
_NOT_FILE_ENCODINGS = {
    "idna": "spells domain names",
    "punycode": "spells domain names",
    "utf-7": "is for mail",
    "unicode-escape": "reads Python escape sequences",
    "raw-unicode-escape": "reads Python escape sequences",
    "undefined": "refuses every byte",
}


def encoding_name(text: str) -> str:
    """The codec an ``--encoding`` names ("windows-1252", "cp1252", "latin-1", "utf-16"), as
    Python calls it; ValueError with a sentence saying what to give when it names none, names
    a codec that is not a text encoding (base64, zlib), or one no file is saved in (punycode,
    unicode_escape)."""
    shown = " ".join(text.split())[:40]
    try:
        info = codecs.lookup(shown)
    except LookupError:
        info = None
    # _is_text_encoding is how codecs itself tells str.encode() that base64 is not one.
    if info is None or not info._is_text_encoding:
        raise ValueError(
            f"{shown!r} is not a text encoding; give the one the file was saved in, such as "
            f"{_FILE_ENCODINGS}."
        )
    what = _NOT_FILE_ENCODINGS.get(info.name)
    if what:
        raise ValueError(
            f"{shown!r} is not an encoding files are saved in (it {what}); give the one the "
            f"file was saved in, such as {_FILE_ENCODINGS}."
        )
    return info.name


def _recoded(path: str, data: bytes, encoding: str) -> bytes:
    """``data``, read in ``encoding`` (an ``--encoding``: it wins over any byte-order mark or
    guess), as UTF-8; ExchangeError naming the line of the first byte that is not."""
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        return data.decode(codec).encode("utf-8")
    except UnicodeDecodeError as err:
        # utf-8-sig counts err.start from after the byte-order mark it took off.
        at = err.start + (3 if codec == "utf-8-sig" and data.startswith(codecs.BOM_UTF8) else 0)
        line = data.count(b"\n", 0, at) + 1
        byte = data[at : at + 1].hex().upper()
        raise ExchangeError(
            f"{path} line {line}: byte 0x{byte} is not {encoding}; give the encoding the "
            "file was saved in."
        ) from None
    except UnicodeError as err:
        # A codec that fails without saying where (encoding_name refuses the ones known to;
        # the app's import dialog or a future codec may still hand one in).
        raise ExchangeError(
            f"{path} cannot be read as {encoding} ({err}); give the encoding the file was saved in."
        ) from None


# Bytes no text file holds (C0 controls but tab, line feed, form feed and carriage return; DEL):
# a file with them that is not UTF-8 is refused as it was, not read as Windows-1252.
_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_WORD_END = re.compile(r'[\s,;"]')
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _windows_1252(data: bytes) -> tuple[bytes, str]:
    """A CSV file that is not UTF-8 as UTF-8, read in Windows-1252 (what Outlook and Excel on
    Western Windows save "CSV" in), and the warning that says so; ``data`` and "" when it is
    UTF-8, or is no Windows-1252 text either (control bytes, bytes 1252 leaves undefined):
    the reader then refuses it, saying to save it as UTF-8."""
    try:
        data.decode("utf-8")
        return data, ""
    except UnicodeDecodeError:
        pass
    if data.startswith(b"\xef\xbb\xbf") or _CONTROLS.search(data):
        return data, ""  # a UTF-8 file with a bad byte, or no text at all
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return data, ""
    first = _NON_ASCII.search(data)
    at = first.start() if first else 0  # there is one: the file is not UTF-8
    line = data.count(b"\n", 0, at) + 1
    # The word the first such letter is in ("Müller"), for the admin to look at.
    line_start = text.rfind("\n", 0, at) + 1
    start = max((m.end() for m in _WORD_END.finditer(text, line_start, at)), default=line_start)
    end = _WORD_END.search(text, at)
    word = text[start : end.start() if end else len(text)][:40]
    warning = (
        f"line {line}: the file is not UTF-8, so it was read as {WINDOWS_1252} (what Outlook and "
        f"Excel on Windows save CSV in); {word!r} on this line is the first word with a letter "
        "outside ASCII: check that names read right, and if they do not, save the file as "
        "CSV UTF-8 and import it again"
    )
    return text.encode("utf-8"), warning


def _no_encoding_for_vcard(path: str, name: str) -> None:
    """ExchangeError when an ``--encoding`` is given for a vCard (format ``name``)."""
    if name == "vcard":
        raise ExchangeError(
            f"{path} is a vCard, which gives the character set of each property that is not "
            "UTF-8 itself (CHARSET); import it without an encoding."
        )


def parse(
    path: str, data: bytes, name: str | None = None, encoding: str | None = None
) -> tuple[str, ParsedFile]:
    """The format used and the rows read. A file that cannot be read at all raises
    ExchangeError naming the file and the line.

    ``encoding`` (:func:`encoding_name`) is the one the whole file is read in; without it a
    UTF-16 or UTF-32 file is recognised (:func:`as_utf8`), and a CSV file that is not UTF-8
    is read as Windows-1252, with a warning. A vCard names its character set per property.
    """
    if encoding:
        # A vCard's advice comes before decoding it, which may fail on a byte its CHARSET
        # explains; a file only known as one once decoded (UTF-16 without a suffix) after.
        _no_encoding_for_vcard(path, name or guess_format(path, data))
        data = _recoded(path, data, encoding)
    else:
        data = as_utf8(path, data)
    name = name or guess_format(path, data)
    if encoding:
        _no_encoding_for_vcard(path, name)
    if b"\x00" in data[:1_000_000]:
        raise ExchangeError(f"{path} looks binary (it holds NUL bytes); give a text file.")
    note = ""
    if name == "csv" and not encoding:
        data, note = _windows_1252(data)
    try:
        parsed = FORMATS[name].read(data)
    except FileFormatError as err:
        raise ExchangeError(
            f"{path} line {err.line}: {err.message} (read as {FORMATS[name].title})."
        ) from None
    if note:
        parsed.warnings.insert(0, note)
    return name, parsed


# A new export holds customer data: readable by its owner only, whatever the umask says.
NEW_FILE_MODE = 0o600


def _replaced_mode(path: str, target: Path) -> tuple[int, int | None]:
    """The mode a replacement for ``target`` gets, and the group it should keep (None: new).

    A regular file of the caller's own keeps its permission bits (not set-id or sticky ones)
    and its group, so a share they set up on purpose survives. Another user's file does not:
    its mode is that user's choice, not the caller's, and in a shared folder an attacker could
    plant a world-readable file for a supervisor's nightly export to take over; it is
    replaced by a new file with NEW_FILE_MODE, as is anything else there (nothing, a symlink,
    a FIFO). ``lstat`` because ``os.replace`` replaces a symlink itself, never the file it
    points to, so that file's mode says nothing.
    """
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return NEW_FILE_MODE, None
    except OSError as err:
        raise ExchangeError(f"Cannot write {path}: {err.strerror or err}.") from None
    if stat.S_ISDIR(info.st_mode) or (stat.S_ISLNK(info.st_mode) and target.is_dir()):
        raise ExchangeError(f"{path} is a folder; give a file name.")
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
        return NEW_FILE_MODE, None
    return stat.S_IMODE(info.st_mode) & 0o777, info.st_gid


def write_atomically(path: str, text: str) -> int:
    """Write ``text`` to ``path`` as UTF-8, all at once; returns the file's mode.

    Through the store's one atomic-write helper (``safefs.replace_file``): a reader never
    sees half an export, a failure leaves any old file as it was, and the umask is never
    read (reading it means setting it, for every thread of the process, and the directory
    screen exports in a worker thread). A new file gets NEW_FILE_MODE (0600); a replaced one
    keeps its mode and group (see :func:`_replaced_mode`), and loses its group bits if its
    group cannot be kept: the same bits on a different group would widen who can read it.
    """
    target = Path(path)
    folder = target.parent
    mode, gid = _replaced_mode(path, target)
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise ExchangeError(f"Cannot write in {folder}: {err.strerror or err}.") from None
    try:
        data = text.encode("utf-8")
        st = replace_file(dir_fd, target.name, data, mode, gid, private_unless_gid=True)
    except OSError as err:
        raise ExchangeError(f"Cannot write {path}: {err.strerror or err}.") from None
    finally:
        os.close(dir_fd)
    return stat.S_IMODE(st.st_mode)
