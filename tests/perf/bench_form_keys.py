"""CPU per Tab in the contact form: what one focus move costs the host.

Not a test: nothing here asserts. Run ``.venv/bin/python tests/perf/bench_form_keys.py`` from
the repository root. It opens the app headless at 80x24 on the test world (tests/factories.py),
opens the contact form on an unknown caller, and presses Tab ``--tabs`` times, ``--rounds``
times, printing the CPU time and wall time per Tab of each round. Each focus move restyles the
fields and, with Textual's own footer, rebuilt every key of the footer (half the cost before
every screen took ui/widgets/keys_footer.KeysFooter).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.factories import build_world
from tests.ui.pilot import is_form_open, running, select_interaction, settle, wait_until


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(tabs: int, rounds: int) -> list[tuple[float, float]]:
    """CPU and wall milliseconds per Tab, one pair a round."""
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        world = build_world(Path(folder) / "store")
        async with running(world) as pilot:
            await select_interaction(pilot, world.unknown_call.id)
            await pilot.press("n")
            await wait_until(pilot, lambda: is_form_open(pilot), "the form")
            await settle(pilot)
            for _ in range(rounds):
                cpu, wall = _cpu(), time.perf_counter()
                for _ in range(tabs):
                    await pilot.press("tab")
                await settle(pilot)
                figures.append(
                    ((_cpu() - cpu) / tabs * 1000, (time.perf_counter() - wall) / tabs * 1000)
                )
    return figures


def main() -> None:
    """Parse the arguments, measure, print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tabs", type=int, default=20, help="Tabs a round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    for cpu, wall in asyncio.run(measure(args.tabs, args.rounds)):
        print(f"Tab in the contact form: {cpu:.1f} ms CPU, {wall:.1f} ms wall")


if __name__ == "__main__":
    main()
