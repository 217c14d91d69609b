"""What a shell sees for each kind of store failure: exit code 6 (unreadable) or 7
(unavailable), one line on stderr naming the file and what to do, no traceback, and
``doctor`` (``--repair``) explaining or fixing it. One subprocess run per kind of failure.

Faults a subprocess cannot meet for real here (a full disk, a read-only filesystem) are
installed in it by ``tests.faults.faultfs`` before ``contact_tui.cli.main`` runs.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_CONFIG, EXIT_OK, EXIT_UNAVAILABLE, EXIT_UNREADABLE
from contact_tui.config import CONFIG_ENV, SYSTEM_CONFIG
from contact_tui.store.jsonstore import JsonStore

ROOT = Path(__file__).resolve().parents[2]
USER = pwd.getpwuid(os.getuid()).pw_name

# Runs the CLI with a fault installed: argv is KIND FOLDER CLI-ARGS... The kind "not-root"
# makes a root process look like an ordinary user to ``doctor --repair``'s guard (tested on
# its own in tests/hostile/test_store_files.py), so the repair itself runs for real in CI.
WITH_FAULT = """
import errno, os, sys
from pathlib import Path
import pytest
from tests.faults.faultfs import fill_disk, make_read_only
kind, folder = sys.argv[1], Path(sys.argv[2]).resolve()
patch = pytest.MonkeyPatch()
if kind == "full":
    fill_disk(patch, lambda p: p.startswith(str(folder) + "/"))
elif kind == "not-root":
    patch.setattr(os, "geteuid", lambda: 1000)
else:
    make_read_only(patch, folder, errno.EROFS)
from contact_tui.cli import main
sys.exit(main(sys.argv[3:]))
"""

pytestmark = pytest.mark.skipif(
    SYSTEM_CONFIG.exists(), reason=f"{SYSTEM_CONFIG} exists; it would win over --config"
)


def write_config(folder: Path, store: str = "store.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(
        f'[store]\npath = {json.dumps(store)}\n\n[users]\n{json.dumps(USER)} = "supervisor"\n',
        encoding="utf-8",
    )
    return config


def cli(config: Path, *args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (CONFIG_ENV, "CONTACT_TUI_DEBUG")}
    prefix = (
        ["-m", "contact_tui"] if fault is None else ["-c", WITH_FAULT, fault, str(config.parent)]
    )
    return subprocess.run(
        [sys.executable, *prefix, "--config", str(config), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.startswith("contact-tui: ") and err.count("\n") == 1, err
    return err.removeprefix("contact-tui: ").rstrip("\n")


def contact(cid: str) -> dict[str, Any]:
    return {"id": cid, "type": "Curated", "firstName": "Sam", "lastName": f"Lee {cid}"}


def test_a_damaged_store_exits_6_and_doctor_repair_rebuilds_it(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    path = tmp_path / "store.json"
    store = JsonStore(path)
    for n in range(4):
        with store.transaction("alice") as tx:
            tx.put("contacts", f"c{n}", contact(f"c{n}"))
        if n == 1:
            store.compact()
    store.close()
    path.write_bytes(path.read_bytes()[:40])  # truncated mid-JSON

    listed = cli(config, "contact", "list")
    assert listed.returncode == EXIT_UNREADABLE
    message = one_line(listed.stderr)
    assert message.startswith(f"Cannot read the store file {path}: it is not valid JSON")
    assert "contact-tui doctor" in message

    checked = cli(config, "doctor")
    assert checked.returncode == EXIT_UNREADABLE
    assert f"error: Cannot read the store file {path}" in checked.stdout
    assert "doctor --repair" in checked.stdout

    if os.geteuid() == 0:
        refused = cli(config, "doctor", "--repair")
        assert refused.returncode == EXIT_CONFIG
        assert "does not run as root" in one_line(refused.stderr)
        assert not (tmp_path / "store.json.damaged-1").exists()
    repaired = cli(config, "doctor", "--repair", fault="not-root")
    assert repaired.returncode == EXIT_OK, repaired.stdout + repaired.stderr
    assert f"Rebuilt {path}" in repaired.stdout and "4 contacts" in repaired.stdout
    assert (tmp_path / "store.json.damaged-1").exists()
    after = cli(config, "--json", "contact", "list")
    assert after.returncode == EXIT_OK, after.stderr
    assert len(json.loads(after.stdout)) == 4


def test_a_full_disk_exits_7_saying_so_and_saves_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert cli(config, "contact", "list").returncode == EXIT_OK  # creates the store
    journal = tmp_path / "store.json.journal"
    before = journal.read_bytes()
    added = cli(config, "contact", "add", "--first", "Sam", "--last", "Lee", fault="full")
    assert added.returncode == EXIT_UNAVAILABLE
    assert one_line(added.stderr) == (
        f"The disk holding {journal} is full; free some space and try again."
    )
    assert journal.read_bytes() == before
    assert cli(config, "contact", "add", "--first", "Sam", "--last", "Lee").returncode == EXIT_OK


def test_a_read_only_filesystem_exits_7_on_save_but_still_reads(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert cli(config, "contact", "add", "--first", "Sam", "--last", "Lee").returncode == EXIT_OK
    listed = cli(config, "contact", "list", fault="read-only")
    assert listed.returncode == EXIT_OK, listed.stderr
    assert "Lee" in listed.stdout
    added = cli(config, "contact", "add", "--first", "Kim", "--last", "Ng", fault="read-only")
    assert added.returncode == EXIT_UNAVAILABLE
    message = one_line(added.stderr)
    assert str(tmp_path / "store.json.lock") in message
    assert "read-only filesystem; ask your admin" in message
    checked = cli(config, "doctor", fault="read-only")
    assert checked.returncode == EXIT_OK
    assert "warning: Saves will fail:" in checked.stdout


def test_a_missing_folder_exits_7_and_doctor_names_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, store="gone/store.json")
    listed = cli(config, "contact", "list")
    assert listed.returncode == EXIT_UNAVAILABLE
    assert str(tmp_path / "gone") in one_line(listed.stderr)
    checked = cli(config, "doctor")
    assert checked.returncode == EXIT_UNREADABLE
    assert f"The store folder {tmp_path / 'gone'} does not exist" in checked.stdout
