"""What the README promises about names, and how wide a terminal draws text: the yardsticks
the hostile-input tests measure the app against."""

from __future__ import annotations

import unicodedata

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_JOINERS = frozenset("\u200c\u200d")


def name_rule_accepts(text: str, limit: int = 1000) -> bool:
    """What the README promises for a name: letters of every script and punctuation are fine;
    control, format (other than zero-width joiners) and line-break characters are refused, as
    are empty and over-long names."""
    text = text.strip()
    if not text or len(text) > limit:
        return False
    return not any(
        unicodedata.category(ch) in _REFUSED_CATEGORIES and ch not in _JOINERS for ch in text
    )


def _char_width(char: str) -> int:
    code = ord(char)
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF:  # conjoining Hangul vowels, finals
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def terminal_width(text: str) -> int:
    """Columns a terminal that measures one code point at a time (wcwidth: xterm, VTE, the
    Linux console) gives ``text``. Grapheme-aware terminals (kitty, WezTerm, iTerm2) agree with
    it on everything but emoji sequences joined by ZWJ, variation selectors and skin-tone
    modifiers, so text that has none of those is measured the same on every terminal."""
    return sum(_char_width(ch) for ch in text)
