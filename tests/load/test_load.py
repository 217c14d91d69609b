"""Eight agent processes and a reader on one store for a few seconds: every promise holds."""

from __future__ import annotations

from pathlib import Path

from tests.load.harness import run_load


def test_eight_writers_and_a_reader_lose_nothing_and_never_see_a_torn_file(
    store_path: Path,
) -> None:
    report = run_load(store_path, writers=8, seconds=4)
    assert report.problems == []
    assert report.writes > 100  # the load really ran
    assert report.reader["snapshot_reads"] > 50
    assert report.reader["opens"] > 0
