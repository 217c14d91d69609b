"""What an agent's app costs the host and the SSH link: idle CPU and bytes sent to the terminal.

Not a test: nothing here asserts. Run ``.venv/bin/python tests/perf/bench_idle.py``. It starts
the real app (``contact-tui``) on a copy of the demo data in a pseudo-terminal of the given
size, waits until the first screen is drawn and settled, then measures:

* idle: CPU used by the app's process (user + system, from /proc) and bytes it wrote to the
  terminal over ``--idle`` seconds with no key pressed;
* Down: bytes written for each Down key press in the interaction list (pressed slowly, so each
  repaint is counted on its own);
* burst: bytes for ten Down presses sent in one write, as SSH delivers typed-ahead keys.

Bytes written to the terminal are what an SSH session carries; an idle screen should send
nothing.

``--postgres`` runs the app on a PostgreSQL store instead (a throwaway cluster, as
tests/perf/bench_pg.py starts; an agent with five calls in her queue). Idle, the app then looks
every store.SWEEP_SECONDS at what was committed (schema.committed_since): give ``--idle`` a few
of those (65 s: three looks). The server logs the agent's statements, so the figures say how
many looks ran in the window.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import sys
import tempfile
import termios
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from contact_tui import bootstrap  # noqa: E402
from contact_tui.domain.clock import utcnow  # noqa: E402
from contact_tui.domain.model import Channel, NewInteraction, Participant  # noqa: E402
from contact_tui.store.postgres import admin  # noqa: E402
from tests.perf.bench_pg import start_cluster, superuser_url, url_for, write_config  # noqa: E402

APP = ROOT / ".venv" / "bin" / "contact-tui"
DOWN = b"\x1b[B"
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _drain(fd: int, seconds: float) -> int:
    """Read whatever the app writes for ``seconds``; return the byte count."""
    total = 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                total += len(os.read(fd, 65536))
            except OSError:
                break
    return total


def _settle(fd: int, quiet: float = 1.5, limit: float = 20.0) -> int:
    """Read until the app has been silent for ``quiet`` seconds (first paint done)."""
    total = 0
    start = time.monotonic()
    last = start
    while time.monotonic() - start < limit:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            total += len(chunk)
            last = time.monotonic()
        elif time.monotonic() - last >= quiet and total:
            break
    return total


AGENT = "bench_idle"  # the agent whose app is measured on PostgreSQL


class PgStore:
    """A throwaway cluster holding the store, and a config for the agent's app on it."""

    def __init__(self, work: Path) -> None:
        self.cluster = start_cluster(memory=True)
        url = superuser_url(self.cluster)
        admin.init(url)
        admin.grant(url, AGENT, ["agent"])
        admin.grant(url, "bench_router", ["router"])
        self.config = write_config(
            work, AGENT, f'url = "{url_for(self.cluster, "postgres", AGENT)}"'
        )
        router = bootstrap.open_service(
            config_path=write_config(
                work, "router", f'url = "{url_for(self.cluster, "postgres", "bench_router")}"'
            )
        )
        # Calls two days old: their ages' texts change once a day, not during the window.
        router.clock = lambda: utcnow() - timedelta(days=2)
        try:
            for n in range(5):
                router.handle_interaction(
                    NewInteraction(AGENT, Channel.VOICE, Participant(f"+1 317 555 01{n:02d}"))
                )
        finally:
            router.close()
        # Every statement of the agent's sessions in the server's log: the looks are counted.
        self._admin(f"ALTER ROLE {AGENT} SET log_statement = 'all'")

    def _admin(self, statement: str) -> None:
        with psycopg.connect(superuser_url(self.cluster), autocommit=True) as conn:
            conn.execute(statement)

    def looks(self) -> int:
        """The looks at what was committed (committed_since) the server has logged so far."""
        return self.cluster.log.read_text(errors="replace").count("committed_since")

    def close(self) -> None:
        """Stop and remove the cluster."""
        self.cluster.stop()


def measure(
    columns: int, rows: int, idle: float, presses: int, pg: PgStore | None = None
) -> dict[str, float]:
    """Run the app in a pty of ``columns`` x ``rows`` and measure it (on ``pg``'s store when
    given, else on a copy of the demo data)."""
    work = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    (work / "data").mkdir()
    shutil.copy(ROOT / "data" / "seed.json", work / "data" / "seed.json")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, as an agent would start it
        os.chdir(work)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTACT_TUI", "TEXTUAL"))}
        env["TERM"] = "xterm-256color"
        if pg is not None:
            env["CONTACT_TUI_CONFIG"] = str(pg.config)
        os.execve(str(APP), [str(APP)], env)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        first = _settle(fd)
        cpu0 = _cpu_seconds(pid)
        looks0 = pg.looks() if pg is not None else 0
        idle_bytes = _drain(fd, idle)
        cpu_idle = _cpu_seconds(pid) - cpu0
        looks = pg.looks() - looks0 if pg is not None else 0
        per_down = []
        for _ in range(presses):
            os.write(fd, DOWN)
            per_down.append(_drain(fd, 0.6))
        os.write(fd, DOWN * 10)
        burst = _drain(fd, 1.5)
        return {
            "first_paint_bytes": first,
            "idle_seconds": idle,
            "idle_cpu_percent": 100 * cpu_idle / idle,
            "idle_bytes": idle_bytes,
            "idle_bytes_per_second": idle_bytes / idle,
            "down_bytes_median": sorted(per_down)[len(per_down) // 2],
            "down_bytes_max": max(per_down),
            "burst_of_10_bytes": burst,
            "idle_looks": looks,
        }
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Parse the arguments, measure each size, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=20.0, help="idle seconds measured")
    parser.add_argument("--presses", type=int, default=5, help="Down presses measured")
    parser.add_argument("--sizes", default="80x24,120x40", help="terminal sizes, e.g. 80x24")
    parser.add_argument(
        "--postgres", action="store_true", help="a PostgreSQL store (a throwaway cluster)"
    )
    args = parser.parse_args()
    if not APP.exists():
        sys.exit(f"{APP} is missing: run 'make test' or 'make run' once to set up the venv.")
    print(f"machine: {os.cpu_count()} cores; app: {APP}")
    pg = PgStore(Path(tempfile.mkdtemp(prefix="bench-idle-pg-"))) if args.postgres else None
    try:
        for size in args.sizes.split(","):
            report(size, args, pg)
    finally:
        if pg is not None:
            pg.close()


def report(size: str, args: argparse.Namespace, pg: PgStore | None) -> None:
    """Measure one terminal size and print its figures."""
    columns, rows = (int(n) for n in size.split("x"))
    figures = measure(columns, rows, args.idle, args.presses, pg)
    print(
        f"{columns}x{rows}: idle {figures['idle_cpu_percent']:.2f}% of a core, "
        f"{figures['idle_bytes']:.0f} B to the terminal over {args.idle:g} s"
        + (f" ({figures['idle_looks']} looks at the database)" if pg is not None else "")
        + f"; Down {figures['down_bytes_median']:.0f} B median "
        f"({figures['down_bytes_max']:.0f} max); 10 Downs in one burst "
        f"{figures['burst_of_10_bytes']:.0f} B; "
        f"first paint {figures['first_paint_bytes']:.0f} B"
    )


if __name__ == "__main__":
    main()
