"""Text helpers: making customer text safe to show, and folding it for search and sorting."""

from __future__ import annotations

import unicodedata

# Zero-width non-joiner and joiner shape Persian, Indic scripts and emoji; they are harmless.
_JOINERS = frozenset("\u200c\u200d")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def is_unsafe_char(char: str) -> bool:
    """True for characters a terminal may act on or that reorder or hide text."""
    category = unicodedata.category(char)
    return category in _UNSAFE_CATEGORIES or (category == "Cf" and char not in _JOINERS)


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with control, bidi-override and other invisible format characters escaped.

    Customer text (a name, a subject, a transcript line) may hold ``"\\x1b[2J"`` or a
    right-to-left override; printed raw, a terminal would obey it. Each such character becomes
    its ``\\x``/``\\u`` escape, so the agent sees that it is there. Zero-width (non-)joiners
    stay: scripts and emoji need them.
    """
    if text.isprintable():  # the common case: one C-level scan
        return text
    return "".join(_escape(ch) if is_unsafe_char(ch) else ch for ch in text)


def fold(text: str) -> str:
    """Text for matching and ordering: case and accents removed ("Álvarez" -> "alvarez").

    Agents type names without accents mid-call; a directory should still find and order
    "Álvarez" among the A's.
    """
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide East Asian characters 2, combining marks 0."""
    total = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def clip(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``limit`` columns, ending in ``ellipsis`` when cut, so one long
    value cannot push a layout out of line."""
    if display_width(text) <= limit:
        return text
    kept, used = [], 0
    room = limit - display_width(ellipsis)
    for char in text:
        used += display_width(char)
        if used > room:
            break
        kept.append(char)
    return "".join(kept) + ellipsis
