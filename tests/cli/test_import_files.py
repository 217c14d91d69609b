"""What `contact-tui import` reads: a regular file, standard input ('-') and a pipe (a FIFO,
or a shell's `<(...)`, where Ctrl+C stops a wait), measured before it is read when it has a
size; never a device (/dev/zero never ends), nor a symlink planted in a folder others can
write to. The app's dialog, which refuses pipes too, is tested in tests/ui/test_exchange_files.py.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from contact_tui.exchange.formats import MAX_IMPORT_BYTES
from tests.cli.runner import REPO, Runner
from tests.ui.test_exchange_files import bytes_read

CSV = "First Name,Last Name\r\nAna,Silva\r\n"


def _refused(run: Runner, path: str) -> str:
    result = run("import", path)
    assert result.code == EXIT_INVALID, result.err
    first, second = result.err.splitlines()
    assert second == "contact-tui: Nothing was imported."
    return first.removeprefix("contact-tui: ")


def test_a_device_is_refused_before_a_byte_is_read(run: Runner) -> None:
    before = bytes_read()
    said = _refused(run, "/dev/zero")
    assert bytes_read() - before < 1_000_000  # it used to read 500 MB of zeros first
    assert said == "/dev/zero is a character device, not a regular file; give a file's path."


def test_a_file_over_the_limit_is_refused_by_its_size_unread(run: Runner, tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:  # sparse: the size without the bytes
        f.truncate(MAX_IMPORT_BYTES + 1)
    before = bytes_read()
    said = _refused(run, str(huge))
    assert bytes_read() - before < MAX_IMPORT_BYTES // 10
    assert said == f"The file {huge} is larger than 500,000,000 bytes; it was not read."


@pytest.mark.parametrize("delay", [0.0, 0.2])
def test_a_named_pipe_is_read_once_its_writer_comes(
    run: Runner, tmp_path: Path, delay: float
) -> None:
    """A writer waiting for the import, which writes and leaves at once, loses nothing; one
    that comes later is waited for (a pipe opened without waiting reads as empty until then)."""
    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)

    def writer() -> None:
        time.sleep(delay)
        with fifo.open("w", encoding="utf-8") as pipe:  # waits for the import to open it
            pipe.write(CSV)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = run("import", str(fifo))
    thread.join(5)
    assert result.code == EXIT_OK, result.err
    assert "1 created" in result.out


def test_standard_input_is_read(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CSV.encode()), "utf-8"))
    result = run("import", "-", "--format", "csv")
    assert result.code == EXIT_OK, result.err
    assert "1 created" in result.out


def test_process_a_shells_process_substitution_is_read(config: Path) -> None:
    """`contact-tui import <(...)`: the shell passes /dev/fd/N, a pipe through two symlinks in
    folders only root or the user can write."""
    env = {k: v for k, v in os.environ.items() if k != "CONTACT_TUI_DEBUG"}
    env["PYTHONPATH"] = str(REPO)
    script = '"$0" -m contact_tui --config "$1" import <(printf %s "$2")'
    done = subprocess.run(
        ["bash", "-c", script, sys.executable, str(config), CSV],
        env=env,
        cwd=config.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert b"1 created" in done.stdout


def test_a_symlink_in_a_folder_others_can_write_is_not_followed(
    run: Runner, tmp_path: Path
) -> None:
    """As in /tmp: whoever planted the link could point it at a file the admin may read and
    they may not, or swap it between the check and the import; in the user's own folder a
    link is followed as before."""
    real = tmp_path / "real.csv"
    real.write_text(CSV, encoding="utf-8")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    planted = shared / "contacts.csv"
    planted.symlink_to(real)
    assert _refused(run, str(planted)) == (
        f"{planted} is a symbolic link in {shared}, a folder other users can write to, so it "
        "was not followed (one of them could point it at another file); give the path of the "
        "file itself."
    )
    own = tmp_path / "contacts.csv"
    own.symlink_to(real)
    result = run("import", str(own))
    assert result.code == EXIT_OK, result.err
    assert "1 created" in result.out
