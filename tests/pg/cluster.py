"""A throwaway PostgreSQL cluster for the tests: ``initdb`` and ``pg_ctl`` in a temporary
folder, reachable only on a Unix socket in that folder, run as a non-root user when the tests
run as root (PostgreSQL refuses to run as root), stopped and removed at the end.

Nothing here knows pytest; tests/pg/server.py turns it into fixtures.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Oldest server the store supports (issue 12).
MIN_VERSION = 13

# Points at a folder holding initdb and pg_ctl; an empty or missing folder means "no server
# here", which is how a test run simulates a machine without PostgreSQL.
BIN_ENV = "CONTACT_TUI_TEST_PG_BIN"

# The one database where the cluster checks peer authentication (the OS user must be the role),
# so a test can prove peer authentication for real; every other database trusts the socket.
PEER_DATABASE = "peer_check"

# Only the superuser's name is fixed; whichever OS user runs the server.
SUPERUSER = "postgres"

# The tests connect as many roles (alice, bob, a viewer...) from one OS user, so the socket
# trusts the role the client names. Production uses peer authentication instead (README), and
# PEER_DATABASE checks it here. Nothing listens on TCP, and the socket is in a folder only
# the test run can reach.
HBA = f"""\
local {PEER_DATABASE} all peer
local all all trust
"""

# fsync and the like are off: a crash of a throwaway cluster loses nothing we keep. Load tests
# open many sessions (50 simulated agents, 8 writers, a reader, the fixtures' own).
SETTINGS = {
    "listen_addresses": "''",
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
}


class NoServerError(Exception):
    """No usable PostgreSQL server binaries on this machine; the message says what to do."""


@dataclass(frozen=True)
class Binaries:
    """Where a PostgreSQL installation's programs are, and its major version."""

    bindir: Path
    version: int

    def path(self, program: str) -> str:
        """The full path of one of the installation's programs (initdb, pg_ctl, psql...)."""
        return str(self.bindir / program)


def find_binaries() -> Binaries:
    """The newest PostgreSQL >= 13 whose initdb and pg_ctl are found: BIN_ENV alone when set,
    else PATH, then the Debian and the PGDG RPM layouts."""
    override = os.environ.get(BIN_ENV)
    if override is not None:
        candidates = [Path(override)]
    else:
        on_path = shutil.which("initdb")
        # Resolved: a symlink on PATH (/usr/local/bin/initdb) leaves psql and pg_dump behind.
        candidates = [Path(on_path).resolve().parent] if on_path else []
        candidates += [
            Path(found)
            for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin")
            for found in glob.glob(pattern)
        ]
    usable = [
        Binaries(folder, version)
        for folder in candidates
        if (folder / "initdb").is_file()
        and (folder / "pg_ctl").is_file()
        and (version := _major_version(folder)) >= MIN_VERSION
    ]
    if not usable:
        where = f"{BIN_ENV}={override}" if override is not None else "PATH or /usr/lib/postgresql"
        raise NoServerError(
            f"No PostgreSQL {MIN_VERSION} or newer server (initdb and pg_ctl) was found in "
            f"{where}; install the server package (Debian: apt-get install postgresql) "
            f"or set {BIN_ENV} to its bin folder."
        )
    return max(usable, key=lambda found: found.version)


def _major_version(bindir: Path) -> int:
    out = subprocess.run(
        [str(bindir / "initdb"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"\s(\d+)", out)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class RunAs:
    """The OS user that owns and runs the cluster: the current one, or, when we are root, the
    ``postgres`` system user if there is one, else ``nobody``."""

    uid: int
    gid: int

    @classmethod
    def choose(cls) -> RunAs:
        """Who runs the server for a test run by the current user."""
        if os.geteuid() != 0:
            return cls(os.geteuid(), os.getegid())
        for name in ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            return cls(entry.pw_uid, entry.pw_gid)
        raise NoServerError(
            "The tests run as root and PostgreSQL refuses root, but neither a postgres nor a "
            "nobody user exists; create one (useradd --system postgres)."
        )

    def run(self, command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run ``command`` as this user in ``cwd``, capturing its output."""
        switch = self.uid != os.geteuid()
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            cwd=cwd,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
            user=self.uid if switch else None,
            group=self.gid if switch else None,
            extra_groups=[] if switch else None,
        )


def _memory_folder() -> str | None:
    """/dev/shm when it has room for a cluster, else None (the usual temporary folder).

    In memory, CREATE DATABASE takes 10-30 ms; on this machine's ext4 (mounted with discard)
    100-400 ms, a cost every test with a fresh database would pay. A container's /dev/shm is
    often 64 MB: too small, hence the check.
    """
    try:
        room = os.statvfs("/dev/shm")
    except OSError:
        return None
    has_room = room.f_bavail * room.f_frsize >= 1 << 30
    return "/dev/shm" if has_room and os.access("/dev/shm", os.W_OK) else None


class Cluster:
    """One throwaway cluster: ``start()`` makes and starts it, ``stop()`` stops and removes it.

    A watchdog process stops it too if the test process dies without ``stop()`` (kill -9, a
    crash), so no server outlives the run.
    """

    def __init__(self, binaries: Binaries, run_as: RunAs, port: int = 5432) -> None:
        self.binaries = binaries
        self.run_as = run_as
        self.port = port
        # A short path (a socket path must fit in 107 bytes), in memory when there is room.
        self.folder = Path(tempfile.mkdtemp(prefix="contact-tui-pg-", dir=_memory_folder()))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def socket_dir(self) -> str:
        """The folder of the server's Unix socket: libpq's ``host``."""
        return str(self.folder)

    def start(self) -> None:
        """Run initdb, write the settings and pg_hba.conf, start the server and wait for it."""
        # Others may only pass through the folder (to reach the socket), not list it.
        self.folder.chmod(0o711)
        if self.run_as.uid != os.geteuid():
            os.chown(self.folder, self.run_as.uid, self.run_as.gid)
        self._watchdog = subprocess.Popen(
            [
                sys.executable,
                "-I",
                str(Path(__file__).with_name("watchdog.py")),
                str(os.getpid()),
                self.binaries.path("pg_ctl"),
                str(self.data),
                str(self.folder),
                str(self.run_as.uid),
                str(self.run_as.gid),
            ],
            # No inherited output: a pipe reading the test run's output would wait for it.
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session: a Ctrl-C to the test run must not kill it before it is needed.
            start_new_session=True,
        )
        self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            # The Debian default, and what lower() and ILIKE see on a production host.
            "--locale",
            "C.UTF-8",
            "--no-sync",
        )
        settings = {
            **SETTINGS,
            "unix_socket_directories": f"'{self.folder}'",
            "port": str(self.port),
        }
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# contact-tui test cluster (tests/pg/cluster.py)\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        (self.data / "pg_hba.conf").write_text(HBA, encoding="utf-8")
        self.resume()

    def resume(self) -> None:
        """Start the (stopped) server and wait until it accepts connections."""
        self._run("pg_ctl", "start", "--pgdata", str(self.data), "--log", str(self.log), "--wait")

    def pause(self) -> None:
        """Stop the server quickly (open sessions are cut off), keeping its data."""
        self._run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "fast", "--wait")

    def stop(self) -> None:
        """Stop the server (at once: nothing in it is kept), remove its folder, end the
        watchdog."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self._watchdog is not None:
                # Stopped first, then the watchdog: dying in between leaves nothing running.
                self._watchdog.send_signal(signal.SIGTERM)
                self._watchdog.wait()

    def _run(self, program: str, *args: str) -> None:
        started = time.monotonic()
        # In the cluster's folder: the server's user may not be able to enter the current one.
        result = self.run_as.run([self.binaries.path(program), *args], cwd=self.folder)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{program} {' '.join(args)} failed after {time.monotonic() - started:.1f} s "
                f"(exit {result.returncode}):\n{result.stdout}{result.stderr}{log}"
            )
