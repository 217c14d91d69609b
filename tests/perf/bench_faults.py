"""Kill -9 benchmark: the long variant of tests/faults/test_kill.py (which runs 25 rounds in CI).

Each round starts a writer that saves one contact in a loop (compacting every save or every
few saves), kills it with SIGKILL at a random moment, then opens the store and checks that it
opens, that the contact is as of the last acknowledged save or the one in flight (with its
version and audit trail in step), that no temporary file is left once it is open, and that
``doctor`` finds no error. Not a test (tests/perf is not collected); it exits 1 if any round
went wrong.

    .venv/bin/python tests/perf/bench_faults.py            # 200 rounds
    .venv/bin/python tests/perf/bench_faults.py 500 --seed 7
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.faults.test_kill import run_kill_rounds  # noqa: E402


def main() -> int:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", nargs="?", type=int, default=200, help="kills (default 200)")
    parser.add_argument("--seed", type=int, default=None, help="the same seed, the same delays")
    parser.add_argument("--dir", type=Path, default=None, help="where to make the store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-faults-") as folder:
        report = run_kill_rounds(Path(folder), args.rounds, args.seed)
    print(f"kills:                                {report.kills}")
    print(f"saves acknowledged:                   {report.saves}")
    print(f"opens that failed:                    {len(report.failed_opens)}")
    print(f"states neither before nor after:      {len(report.wrong_states)}")
    print(f"tmp files left after open:            {len(report.tmp_left)}")
    print(f"doctor errors:                        {len(report.doctor_errors)}")
    print(f"time:                                 {report.seconds:.1f} s")
    print("where the kills landed (judged from the files they left):")
    for where, count in report.landed.most_common():
        print(f"  {count:5d}  {where}")
    problems = report.failed_opens + report.wrong_states + report.tmp_left + report.doctor_errors
    for problem in problems[:10]:
        print(f"PROBLEM: {problem}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
