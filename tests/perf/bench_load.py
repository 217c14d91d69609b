"""Load benchmark: 16 agent processes and a reader on one store; prints writes per second,
save latency percentiles, conflicts, and every broken promise (there should be none).

Run: .venv/bin/python tests/perf/bench_load.py [--writers 16] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.load.harness import run_load  # noqa: E402


def main() -> None:
    """Run once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = run_load(Path(tmp) / "store.json", options.writers, options.seconds)
    print(f"machine: {os.cpu_count()} cores; {report.writers} writers for {report.seconds:g} s")
    print(f"acknowledged writes: {report.writes} ({report.writes_per_second:.0f}/s)")
    print(f"save latency p50 {report.p50_ms:.2f} ms, p99 {report.p99_ms:.2f} ms")
    print(f"conflicts met and retried: {report.conflicts}")
    print(
        f"reader: {report.reader.get('refreshes', 0)} refreshes, "
        f"{report.reader.get('snapshot_reads', 0)} snapshot parses, "
        f"{report.reader.get('opens', 0)} fresh opens"
    )
    print(f"broken promises: {len(report.problems)}")
    for problem in report.problems[:20]:
        print(f"  {problem}")


if __name__ == "__main__":
    main()
