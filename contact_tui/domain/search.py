"""How the directory's search reads a query, where the stores need to agree on it.

A partial number (issue 13): agents hear "the last four digits are 0123" or a number without
its area code, so a query of only digits and phone formatting with at least
:data:`MIN_PARTIAL_DIGITS` digits finds every contact whose number holds that digit run.
Fewer digits would match most numbers (three digits: one contact in a hundred per number), so
such a query is searched as text in names and emails instead.
"""

from __future__ import annotations

import re

MIN_PARTIAL_DIGITS = 4

# How many matches a search counts at most: counting every hit of a common name in a million
# contacts cost 200 ms on PostgreSQL (issue 12). Both stores count up to one more than this,
# so "more than COUNT_CAP" is said only when it is true, and say the same number.
COUNT_CAP = 1000

# Digits and what people put between them when saying or writing a number.
_NUMBER_TEXT = re.compile(r"[0-9\s().+/-]+")


def count_cap(limit: int) -> int:
    """How many matches a search asking for ``limit`` counts before it says "more than":
    COUNT_CAP, or ``limit`` when more are asked for. A store counts one more than this at
    most."""
    return max(COUNT_CAP, limit)


def partial_number(query: str) -> str | None:
    """The digits of a query made only of ASCII digits and phone formatting ("555-0123",
    "(555) 0123", "0123") with at least MIN_PARTIAL_DIGITS digits; None for anything else."""
    if not _NUMBER_TEXT.fullmatch(query):
        return None
    digits = "".join(ch for ch in query if "0" <= ch <= "9")
    return digits if len(digits) >= MIN_PARTIAL_DIGITS else None


__all__ = ["COUNT_CAP", "MIN_PARTIAL_DIGITS", "count_cap", "partial_number"]
