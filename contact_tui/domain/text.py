"""Text helpers: making customer text safe to show, and folding it for search and sorting."""

from __future__ import annotations

import unicodedata

# Zero-width non-joiner and joiner are kept: Persian, Sinhala and Devanagari words are spelled
# with them and emoji sequences (a family, a rainbow flag) are made of them, and all they do is
# join or keep apart the letters on either side: they cannot move the cursor, reorder text or
# hide any. Every other format character (bidi controls, word joiner, soft hyphen, byte-order
# mark, tag characters, which can smuggle invisible text) is unsafe.
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


def printable_lines(text: str) -> str:
    """``text`` as :func:`printable` makes it, but with its line feeds kept.

    For values that are several lines by nature (a contact's notes): a line feed is the one
    control character such a value holds on purpose, and the formats written (CSV, vCard) carry
    it as their own. A carriage return, like every other control, is escaped.
    """
    if text.isprintable():
        return text
    return "\n".join(printable(line) for line in text.split("\n"))


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text``, or None when it is all real characters.

    A surrogate is not a character: it is what Python makes of bytes that are not UTF-8 in a
    command-line argument (``\\udcff`` for byte 0xFF) or of a ``"\\ud800"`` escape in JSON. Text
    holding one cannot be written as UTF-8, so it cannot be stored.
    """
    if text.isprintable() or text.isascii():  # one C-level scan each; surrogates are neither
        return None
    return next((ch for ch in text if "\ud800" <= ch <= "\udfff"), None)


def describe_surrogate(char: str) -> str:
    """What a lone surrogate stands for, for a message: 'byte 0xFF' or 'U+D800'."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape's spelling of an undecodable byte
        return f"byte 0x{code - 0xDC00:02X}"
    return f"U+{code:04X}"


# Characters terminals disagree on the width of. Emoji joined by a zero-width joiner are one
# wide glyph on kitty, WezTerm or iTerm2 and one glyph each on xterm, VTE or tmux; Rich (and so
# Textual) also counts the character after any ZWJ as no width, which is wrong for the letters
# Sinhala and Devanagari join with it. A variation selector 16 makes "❤" or "1" wide on some
# terminals and not others, and a skin-tone modifier is wide on its own or nothing.
_WIDTH_AMBIGUOUS = dict.fromkeys([0x200D, 0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)])


def terminal_text(text: str) -> str:
    """``text`` as a table or screen shows it: :func:`printable`, then without the characters
    terminals disagree on the width of (zero-width joiner, emoji variation selectors, skin-tone
    modifiers), so that every terminal and Rich count the same columns and a row stays in line.

    What is lost is how a few glyphs look (a family emoji shows as its people, a red heart as
    a plain one); the letters and the stored value are unchanged.
    """
    return printable(text).translate(_WIDTH_AMBIGUOUS)


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


def _conjoining_jamo(char: str) -> bool:
    # Hangul vowels and final consonants that join the leading consonant before them into one
    # syllable ("\u1100\u1161\u11a8" is one wide cell). They are letters (Lo), not marks, so
    # the category test below misses them; terminals give them no width of their own.
    return "\u1160" <= char <= "\u11ff" or "\ud7b0" <= char <= "\ud7ff"


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide East Asian characters 2, combining marks 0."""
    total = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me", "Cf") or _conjoining_jamo(char):
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
