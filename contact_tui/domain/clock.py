"""The clock every layer uses, so tests can pass a fixed one and dates round-trip exactly."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, to the millisecond the store keeps (Genesys dates carry milliseconds)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
