"""Stops a test cluster whose test process died without stopping it (kill -9, a crash).

Run by tests/pg/cluster.py as ``python -I watchdog.py PID PG_CTL DATA FOLDER UID GID``: it
waits until process PID (its parent) is gone, then stops the server in DATA as UID:GID and
removes FOLDER. The test process ends it with SIGTERM after stopping the cluster itself.
Standard library only: it runs with ``-I``, outside the venv's path.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time


def main(argv: list[str]) -> None:
    """Watch the parent; when it is gone, stop the cluster and remove its folder."""
    parent, pg_ctl, data, folder, uid, gid = argv
    # A Ctrl-C to the test run reaches us only if we shared its terminal's process group; we
    # do not, but ignore it anyway: the test process stops the cluster on Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Our parent dying makes us someone else's child: polling is cheap and needs no pidfd.
    while os.getppid() == int(parent):
        time.sleep(0.2)
    switch = int(uid) != os.geteuid()
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(
            [pg_ctl, "stop", "--pgdata", data, "--mode", "immediate"],
            cwd=folder,
            capture_output=True,
            check=False,
            user=int(uid) if switch else None,
            group=int(gid) if switch else None,
            extra_groups=[] if switch else None,
        )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
