"""Hostile text: what a customer, a routing system or a careless import can put in a field.

Every entry is ``(name, category, text)``. The screen must show each one literally or with the
dangerous characters escaped or stripped, never styled, linked or moving the cursor, and with
table columns still aligned; the store keeps what was typed where the field's rule allows it
and refuses the rest with a message. What a customer sends is taken in by the interaction
rules instead: identifiers holding unsafe characters are refused, display text is kept with
them escaped, and both are bounded (tests/hostile/test_ingest.py).

Lone surrogates (what undecodable bytes in ``argv`` become) are not text and cannot be stored
as UTF-8; they are kept apart in :data:`SURROGATES`.
"""

from __future__ import annotations

from typing import Final

MARKUP: Final = "markup"
ANSI: Final = "ansi"
OSC: Final = "osc"
CONTROL: Final = "control"
BIDI: Final = "bidi"
INVISIBLE: Final = "invisible"
COMBINING: Final = "combining"
LONG: Final = "long"
WIDE: Final = "wide"

CATEGORIES: Final = (MARKUP, ANSI, OSC, CONTROL, BIDI, INVISIBLE, COMBINING, LONG, WIDE)

ESC = "\x1b"
ST = "\x1b\\"

CORPUS: Final[tuple[tuple[str, str, str], ...]] = (
    # --- Rich and Textual markup: must stay literal, never style or link ---------------------
    ("markup-bold", MARKUP, "[bold]Sam[/bold] Lee"),
    ("markup-link", MARKUP, "[link=http://x.example/]click me[/link]"),
    ("markup-close-all", MARKUP, "[/] [/bold] Lee"),
    ("markup-colour", MARKUP, "[bold red on white]Evil[/] Lee"),
    ("markup-action", MARKUP, "[@click=app.quit]Quit[/] Lee"),
    ("markup-variable", MARKUP, "[$accent]Var[/] $text Lee"),
    ("markup-escaped", MARKUP, r"\[not a tag] [b]b[/b]"),
    ("markup-emoji-code", MARKUP, ":warning: :thumbs_up: Lee"),
    # --- ANSI CSI sequences: colour, clear, cursor moves, terminal queries ------------------
    ("ansi-colour", ANSI, f"{ESC}[31mRed{ESC}[0m Lee"),
    ("ansi-clear", ANSI, f"{ESC}[2J{ESC}[HCleared"),
    ("ansi-cursor", ANSI, f"Sam{ESC}[10;10HMoved{ESC}[1A"),
    ("ansi-alt-screen", ANSI, f"{ESC}[?1049hAlt{ESC}[?1049l"),
    ("ansi-c1-csi", ANSI, "\x9b31mEight-bit CSI"),
    ("ansi-reset", ANSI, f"{ESC}cReset"),
    ("ansi-query", ANSI, f"{ESC}[6n{ESC}[21tQuery"),
    ("ansi-dcs", ANSI, f"{ESC}P+q544e{ST}DCS"),
    # --- OSC sequences: hyperlinks, window title, clipboard ---------------------------------
    ("osc8-link", OSC, f"{ESC}]8;;http://evil.example/{ST}click{ESC}]8;;{ST}"),
    ("osc0-title-bel", OSC, f"{ESC}]0;pwned\x07Title"),
    ("osc2-title-st", OSC, f"{ESC}]2;pwned{ST}Title"),
    ("osc52-clipboard", OSC, f"{ESC}]52;c;cm0gLXJmIH4K\x07Clip"),
    ("osc-c1", OSC, "\x9d0;pwned\x9cC1 OSC"),
    # --- control characters -----------------------------------------------------------------
    ("nul", CONTROL, "Sam\x00Lee"),
    ("bel", CONTROL, "Ring\x07\x07"),
    ("backspace", CONTROL, "Sam\x08\x08\x08Lee"),
    ("carriage-return", CONTROL, "Sam\rLee"),
    ("newline", CONTROL, "Sam\nLee"),
    ("tab", CONTROL, "Sam\tLee"),
    ("delete", CONTROL, "Sam\x7fLee"),
    ("c1-nel", CONTROL, "Sam\x85Lee"),
    ("form-feed", CONTROL, "Sam\x0c\x0bLee"),
    ("line-separator", CONTROL, "Sam\u2028Lee\u2029"),
    # --- text direction -----------------------------------------------------------------------
    ("rlo", BIDI, "Invoice \u202efdp.exe\u202c Lee"),
    ("lro", BIDI, "\u202dLRO\u202c Lee"),
    ("isolates", BIDI, "\u2066LRI\u2069 \u2067RLI\u2069 \u2068FSI\u2069"),
    ("marks", BIDI, "\u200fRLM\u200e LRM \u061cALM"),
    ("arabic", BIDI, "مريم الحسن"),
    ("hebrew", BIDI, "דוד לוי 42"),
    # --- zero-width and invisible ------------------------------------------------------------
    ("zwsp", INVISIBLE, "Sam\u200bLee"),
    ("bom", INVISIBLE, "\ufeffSam Lee"),
    ("soft-hyphen", INVISIBLE, "Sam\u00adLee"),
    ("word-joiner", INVISIBLE, "Sam\u2060Lee\u2062"),
    ("tag-characters", INVISIBLE, "Sam\U000e0041\U000e007f"),
    ("zwnj-persian", INVISIBLE, "می\u200cخواهم"),  # noqa: RUF001
    ("zwj-devanagari", INVISIBLE, "क्\u200dष Lee"),
    ("zwj-sinhala", INVISIBLE, "ශ්\u200dරී Lee"),
    # --- combining characters ----------------------------------------------------------------
    ("decomposed", COMBINING, "Jose\u0301 Zoe\u0308"),
    ("zalgo", COMBINING, "Z" + "\u0336\u0301\u0317\u035c" * 25 + "algo"),
    ("combining-only", COMBINING, "\u0301\u0308\u0336"),
    ("hangul-jamo", COMBINING, "\u1100\u1161\u11a8 \u1112\u1161\u11ab"),
    # --- very long ----------------------------------------------------------------------------
    ("long-10000", LONG, "x" * 10_000),
    ("long-words-10000", LONG, "Lee " * 2_499 + "End"),
    ("long-wide-10000", LONG, "山" * 10_000),
    ("long-name-limit", LONG, "N" * 1_000),
    ("long-name-over", LONG, "N" * 1_001),
    # --- wide characters and emoji ------------------------------------------------------------
    ("cjk", WIDE, "山田 太郎"),
    ("hangul", WIDE, "김민준"),
    ("fullwidth", WIDE, "ＳａｍＬｅｅ"),  # noqa: RUF001
    ("ideographic-space", WIDE, "\u3000Sam\u3000"),
    ("emoji", WIDE, "Sam 😀 Lee"),
    ("emoji-zwj", WIDE, "Zoë 👩\u200d👩\u200d👧 Lee"),
    ("emoji-vs16", WIDE, "I \u2764\ufe0f NY"),
    ("emoji-skin-tone", WIDE, "Sam 👍🏽 Lee"),
    ("emoji-flags", WIDE, "🇬🇧🇯🇵 Lee"),
    ("emoji-keycap", WIDE, "1\ufe0f\u20e3 Lee"),
    ("emoji-tag-flag", WIDE, "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "gbsct\x7f")),
    ("mixed", WIDE, "Sam 山田 😀 Ωμέγα Lee"),
)

NAMES: Final = tuple(name for name, _, _ in CORPUS)
TEXTS: Final = {name: text for name, _, text in CORPUS}

# Undecodable bytes in argv arrive as these (Python's surrogateescape); JSON can spell them.
SURROGATES: Final = (("undecodable-byte", "Sam\udcffLee"), ("lone-high-surrogate", "a\ud800b"))

# Characters that must never reach the screen or a terminal raw: ESC and 8-bit CSI/OSC/ST/DCS
# (any C0 or C1 control, in fact; callers split lines first), the bidi embeddings, overrides,
# isolates and marks, and the Unicode line and paragraph separators.
FORBIDDEN_ON_SCREEN: Final = frozenset(
    [chr(c) for c in range(0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + list("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
    + list("\u2028\u2029")
)


def entries(*categories: str) -> list[tuple[str, str]]:
    """``(name, text)`` of the corpus entries in ``categories`` (all of them when none given)."""
    return [(n, t) for n, c, t in CORPUS if not categories or c in categories]
