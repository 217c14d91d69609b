"""Interaction files: JSON lines, one interaction a line, as a routing system hands them over.

Each line is an object with the keys in IMPORT_KEYS (``agent``, ``channel``, ``platform``,
``from``, ``name``, ``to``, ``cc``, ``subject``, ``transcript``); a blank line is skipped.
Reading is bounded: the whole file by MAX_IMPORT_BYTES, each line by MAX_IMPORT_LINE_BYTES. A
longer line is reported as a problem and skipped without being held in memory, so a hostile
file costs at most one line's worth.

A file that cannot be read as text at all raises :class:`~contact_tui.exchange.formats.
ExchangeError`; a line that is not a valid record is a problem reported with its line number.
"""

from __future__ import annotations

import codecs
import itertools
import json
import sys
from collections.abc import Iterator
from typing import Any

from contact_tui.domain.model import Channel, NewInteraction, Participant, Platform
from contact_tui.domain.rules import MAX_INTERACTION_LENGTH
from contact_tui.domain.text import lone_surrogate
from contact_tui.exchange.formats import ExchangeError, open_input

# Keys of one JSON-lines record.
IMPORT_KEYS = ("agent", "channel", "platform", "from", "name", "to", "cc", "subject", "transcript")

# An import file holds many interactions; this bounds the memory one run can take.
MAX_IMPORT_BYTES = 100_000_000
# One record (line) of an import file: the largest interaction with every character spelled as
# a six-byte \uXXXX escape, plus its keys and punctuation. A longer line is refused as it is
# read, without holding it in memory (a 90 MB transcript line once reached the store).
MAX_IMPORT_LINE_BYTES = 6 * MAX_INTERACTION_LENGTH + 100_000


def not_surrogate(key: str, value: str) -> str:
    """``value`` unchanged, or ValueError naming ``key`` when it holds a lone surrogate.

    JSON can spell one ("\\ud800"); it is not a character and cannot be stored.
    """
    bad = lone_surrogate(value)
    if bad is not None:
        raise ValueError(f"{key!r} holds U+{ord(bad):04X}, a lone surrogate, not a character")
    return value


def _text_value(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be text, not {type(value).__name__}")
    return not_surrogate(key, value)


def _texts_value(record: dict[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key!r} must be a list of texts")
    return tuple(not_surrogate(key, v) for v in value)


def _choice(text: str, kind: type[Channel] | type[Platform], key: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        known = ", ".join(k.value for k in kind)
        raise ValueError(f"{key!r} is {text!r}; known: {known}") from None


def parse_record(line: str, default_agent: str) -> NewInteraction:
    """One JSON-lines record as a NewInteraction; ValueError says what is wrong with it.

    The shape rules the service applies (a message needs a platform, other channels have
    none, a sender is required) are checked here too, so that a file is refused as a whole
    before anything in it is imported.
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg} at column {err.colno})") from None
    except RecursionError:  # "[[[[..." thousands deep exhausts the parser's stack
        raise ValueError("not a record: its JSON is nested too deeply") from None
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    unknown = sorted(set(record) - set(IMPORT_KEYS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; known: {', '.join(IMPORT_KEYS)}")
    channel = _choice(_text_value(record, "channel"), Channel, "channel")
    platform_text = _text_value(record, "platform")
    platform = _choice(platform_text, Platform, "platform") if platform_text else None
    if (channel == Channel.MESSAGE) != (platform is not None):
        raise ValueError("a message needs a platform, and only a message has one")
    sender = _text_value(record, "from")
    if not sender.strip():
        raise ValueError("'from' (the sender) is required")
    return NewInteraction(
        agent=_text_value(record, "agent") or default_agent,
        channel=channel,
        sender=Participant(address=sender, name=_text_value(record, "name")),
        platform=platform,
        to=_texts_value(record, "to"),
        cc=_texts_value(record, "cc"),
        subject=_text_value(record, "subject"),
        transcript=_texts_value(record, "transcript"),
    )


def read_records(path: str, default_agent: str) -> Iterator[tuple[int, NewInteraction | str]]:
    """Each non-blank line of an interaction file ('-' is standard input), numbered from 1:
    its record (``agent`` defaults to ``default_agent``), or a sentence, without its full
    stop, saying what is wrong with it. Lines are read one at a time as the caller asks;
    ExchangeError when the file cannot be read, or is too large, binary or not UTF-8.
    """
    for number, line in read_lines(path):
        if line is None:
            yield (
                number,
                f"it is longer than {MAX_IMPORT_LINE_BYTES:,} bytes, more than one interaction "
                "may hold",
            )
            continue
        if not line.strip():
            continue
        try:
            yield number, parse_record(line, default_agent)
        except ValueError as err:
            yield number, str(err).rstrip(".")


def read_lines(path: str) -> Iterator[tuple[int, str | None]]:
    """The lines of a JSON-lines file ('-' is standard input), numbered from 1, as text; None
    for a line longer than MAX_IMPORT_LINE_BYTES, which is skipped unread. Memory stays bounded
    by one line: ExchangeError when the file is larger than MAX_IMPORT_BYTES, binary, or not
    UTF-8.
    """
    what = "Standard input" if path == "-" else f"The file {path}"
    stream = open_input(path)
    offset = 0  # of the line being read, in the file: for a message naming the byte
    try:
        for number in itertools.count(1):
            raw = stream.readline(MAX_IMPORT_LINE_BYTES + 2)  # the limit, then \r\n
            if not raw:
                return
            size, too_long = len(raw), len(raw.rstrip(b"\r\n")) > MAX_IMPORT_LINE_BYTES
            while too_long and not raw.endswith(b"\n") and offset + size <= MAX_IMPORT_BYTES:
                raw = stream.readline(MAX_IMPORT_LINE_BYTES)  # the rest of it, piece by piece
                size += len(raw)
                if not raw:
                    break
            if offset + size > MAX_IMPORT_BYTES:
                raise ExchangeError(
                    f"{what} is larger than {MAX_IMPORT_BYTES:,} bytes; reading stopped there."
                )
            if too_long:
                yield number, None
            else:
                yield number, _decode_line(raw, number, offset, what)
            offset += size
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _decode_line(raw: bytes, number: int, offset: int, what: str) -> str:
    """One line of an import file as text, without its line end (or a leading byte-order mark
    on the first); ExchangeError for binary data or bytes that are not UTF-8."""
    if b"\x00" in raw:
        raise ExchangeError(f"{what} looks binary (it holds NUL bytes); give UTF-8 text.")
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw, offset = raw[len(codecs.BOM_UTF8) :], offset + len(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as err:
        raise ExchangeError(
            f"{what} is not UTF-8 text (byte {offset + err.start} cannot be decoded)."
        ) from None
