"""The PostgreSQL tests' shared fixture: services over the PostgreSQL store alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract import Stores
from tests.factories import FixedClock


@pytest.fixture
def pg_stores(
    request: pytest.FixtureRequest, store_path: Path, clock: FixedClock
) -> Iterator[Stores]:
    """Services over the PostgreSQL store only."""
    built = Stores("postgres", store_path, clock, request)
    yield built
    built.close()
