"""Where a command's results, warnings and errors go: JSON with ``--json``, else text.

Everything printed passes through here and is made printable on the way out, so customer
text in a result or a message is shown, never obeyed by the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from contact_tui.domain.text import is_unsafe_char, printable

PROG = "contact-tui"


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(data: Any, *, ascii_only: bool = False) -> str:
    """``data`` as indented JSON that is also safe to print to a terminal.

    ``json.dumps`` escapes C0 controls but leaves C1 controls, bidi overrides and line
    separators raw; outside ASCII such characters can only occur inside JSON strings, so
    escaping them as ``\\uXXXX`` keeps the document valid and its values unchanged.
    """
    text = json.dumps(data, ensure_ascii=ascii_only, indent=2)
    # DEL is ASCII, so neither json.dumps nor the scan below would escape it.
    text = text.replace("\x7f", "\\u007f")
    if ascii_only or text.isascii():
        return text
    return "".join(
        _json_escape(ch) if ord(ch) >= 0x7F and is_unsafe_char(ch) else ch for ch in text
    )


class Output:
    """Where results, warnings and errors go; human text is made printable on the way out."""

    def __init__(self, json_mode: bool, stdout: TextIO, stderr: TextIO) -> None:
        self.json_mode = json_mode
        self.stdout = stdout
        self.stderr = stderr
        encoding = (getattr(stdout, "encoding", None) or "utf-8").lower().replace("_", "-")
        # On a terminal that is not UTF-8, JSON falls back to \u escapes for everything.
        self.ascii_json = encoding not in ("utf-8", "utf8")

    def result(self, data: Any, lines: Iterable[str]) -> None:
        """Print a command's result: ``data`` as JSON with --json, else the human ``lines``."""
        if self.json_mode:
            self._write(self.stdout, json_text(data, ascii_only=self.ascii_json))
        else:
            for line in lines:
                self._write(self.stdout, printable(line))

    def warn(self, message: str) -> None:
        """A warning on stderr; it does not change the exit code."""
        self._write(self.stderr, f"warning: {printable(message)}")

    def text(self, line: str) -> None:
        """One line of text on stdout, made printable (whatever --json says)."""
        self._write(self.stdout, printable(line))

    def warn_info(self, message: str) -> None:
        """A note on stderr (stdout may carry data); it does not change the exit code."""
        self._write(self.stderr, printable(message))

    def error(self, message: str) -> None:
        """One error sentence on stderr."""
        self._write(self.stderr, f"{PROG}: {printable(message)}")

    @staticmethod
    def _write(stream: TextIO, line: str) -> None:
        encoding = getattr(stream, "encoding", None)
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            # A Latin-1 or ASCII terminal gets escapes, not a UnicodeEncodeError.
            line = line.encode(encoding, "backslashreplace").decode(encoding)
        print(line, file=stream)
