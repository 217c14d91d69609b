"""What the import dialog reads, at 80x24 by keys: exactly the bytes its check read (a file
changed after the check is not imported), only a regular file (a FIFO, '-', a device or a
symlink planted in a folder others can write to is refused at once, and the app stays
usable), and its words for one row and for a file whose every row is bad."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from textual.widgets import Button, Checkbox

from contact_tui.exchange.formats import MAX_IMPORT_BYTES
from contact_tui.ui.screens.directory import DirectoryScreen
from contact_tui.ui.screens.exchange import ExchangeDialog
from tests.factories import World
from tests.ui.pilot import WAIT_SECONDS, running, screen_lines, settle, text_of, wait_until
from tests.ui.test_exchange import HEADER, open_dialog, run_step, type_path

CHANGED = "changed since it was checked, so nothing was imported; press Ctrl+S to check it again."


def _label(dialog: ExchangeDialog) -> str:
    return str(dialog.query_one("#exchange-run", Button).label)


def bytes_read() -> int:
    """How many bytes this process's reads have returned so far, in all its threads."""
    with open("/proc/self/io", encoding="ascii") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("rchar:"))


def _release(fifo: Path) -> None:
    """Open ``fifo`` to write and close it: a reader waiting on it reads its end."""
    with contextlib.suppress(OSError):  # ENXIO: nobody reads it, as after a refusal
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def _names(world: World) -> set[str]:
    return {c.display_name for c in world.contacts().values()}


async def test_a_file_changed_after_its_check_is_not_imported(world: World, tmp_path: Path) -> None:
    """The tryout: check a CSV, rewrite it from another shell adding a row, Ctrl+S. Then a
    same-size swap (rename over it, modification time put back): the bytes are compared, not
    the file's size or time. Only what the last check read is imported."""
    path = tmp_path / "crm.csv"
    path.write_text(HEADER + "Ana,Silva,,\r\n", encoding="utf-8")
    before = world.state()
    async with running(world) as pilot:
        dialog = await open_dialog(pilot, "f6")
        await type_path(pilot, path)
        await run_step(pilot, "Press Ctrl+S again to import.")

        with path.open("a", encoding="utf-8") as f:  # the other shell
            f.write("Eve,Mallory,,planted\r\n")
        report = await run_step(pilot, CHANGED)
        assert report == f"{path} {CHANGED}"
        assert world.state() == before
        assert dialog.checked is None and "Check" in _label(dialog)

        report = await run_step(pilot, "Checked 2 rows:")
        assert "would create 2" in report
        stamp = path.stat()
        swapped = tmp_path / "swap.csv"
        swapped.write_text(HEADER + "Ana,Silva,,\r\n" + "Eve,Marlowe,,planted\r\n", "utf-8")
        assert swapped.stat().st_size == stamp.st_size
        os.replace(swapped, path)
        os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        await run_step(pilot, CHANGED)
        assert world.state() == before

        await run_step(pilot, "Press Ctrl+S again to import.")
        await run_step(pilot, "Imported 2 of 2 rows")
    assert {"Ana Silva", "Eve Marlowe"} <= _names(world) and "Eve Mallory" not in _names(world)


async def test_a_fifo_stdin_a_device_or_a_planted_symlink_is_refused_at_once(
    world: World, tmp_path: Path
) -> None:
    """Each is refused by the check with a sentence saying why; the dialog is not left busy
    (a FIFO used to leave "Checking every row…" for ever, Escape refused and Ctrl+Q hung) and
    Escape closes it. A symlink in the user's own folder is still followed."""
    fifo = tmp_path / "f.csv"
    os.mkfifo(fifo)
    real = tmp_path / "real.csv"
    real.write_text(HEADER + "Ana,Silva,,\r\n", encoding="utf-8")
    shared = tmp_path / "shared"  # as /tmp: everyone may make entries in it
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / "crm.csv").symlink_to(real)
    (tmp_path / "mine.csv").symlink_to(real)
    refused = {
        str(fifo): f"{fifo} is a named pipe (FIFO), not a regular file, and reading one could "
        "keep the app waiting for ever; save what it gives to a file, or import it with the "
        "command line (contact-tui import).",
        "-": "'-' (standard input) is read only by the command line; give a file's path.",
        "/dev/zero": "/dev/zero is a character device, not a regular file; give a file's path.",
        str(shared / "crm.csv"): f"{shared / 'crm.csv'} is a symbolic link in {shared}, a folder "
        "other users can write to, so it was not followed (one of them could point it at "
        "another file); give the path of the file itself.",
    }
    before = world.state()
    async with running(world) as pilot:
        dialog = await open_dialog(pilot, "f6")
        # Were a check stuck reading the FIFO (as before the fix), a writer that comes and goes
        # frees it, so this test fails on the sentence instead of hanging the run.
        release = threading.Timer(WAIT_SECONDS / 2, _release, (fifo,))
        release.start()
        try:
            for given, said in refused.items():
                await type_path(pilot, Path(given))
                await pilot.press("ctrl+s")
                await wait_until(pilot, lambda: not dialog.busy, f"the check of {given} to end")
                assert " ".join(text_of(pilot, "#exchange-report").split()) == said
                assert dialog.checked is None
        finally:
            release.cancel()
        assert world.state() == before

        await type_path(pilot, tmp_path / "mine.csv")
        await run_step(pilot, "Press Ctrl+S again to import.")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DirectoryScreen)


async def test_a_file_over_the_limit_is_refused_by_its_size_unread(
    world: World, tmp_path: Path
) -> None:
    """ "It was not read" is true: the size is taken from the file's status, and the bytes
    this process reads (its /proc I/O count, every thread) stay far below the file's."""
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:  # sparse: the size without the bytes
        f.truncate(MAX_IMPORT_BYTES + 1)
    async with running(world) as pilot:
        dialog = await open_dialog(pilot, "f6")
        await type_path(pilot, huge)
        before = bytes_read()
        report = await run_step(pilot, "it was not read")
        assert bytes_read() - before < MAX_IMPORT_BYTES // 10
        assert report == f"The file {huge} is larger than 500,000,000 bytes; it was not read."
        assert not dialog.busy


async def test_one_row_is_one_row_and_a_file_of_bad_rows_offers_no_others(
    world: World, tmp_path: Path
) -> None:
    good = tmp_path / "one.csv"
    good.write_text(HEADER + "Ana,Silva,,\r\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Kim,Park,1.21255E+10,\r\n", encoding="utf-8")
    async with running(world) as pilot:
        dialog = await open_dialog(pilot, "f6")
        # The Format list says which vCards import reads (export writes 3.0 or 4.0).
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert any("vCard (2.1, 3.0 or 4.0)" in line for line in screen_lines(pilot))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ExchangeDialog)

        await type_path(pilot, good)
        report = await run_step(pilot, "Press Ctrl+S again")
        assert report.startswith("Checked 1 row: importing would create 1,")
        assert f"Read {good} as CSV, 1 row.\n" in report

        await type_path(pilot, bad)
        report = " ".join((await run_step(pilot, "Checked 1 row:")).split())
        assert (
            "1 row has a problem. There is no other row to import: fix it, and press Ctrl+S "
            "to check the file again."
        ) in report
        assert "the others" not in report and "Press Ctrl+S again" not in report
        # Ticking "import the good rows" does not offer an import of none.
        dialog.query_one("#exchange-skip", Checkbox).value = True
        await settle(pilot)
        report = " ".join((await run_step(pilot, "Checked 1 row:")).split())
        assert "There is no other row to import" in report
        assert "Press Ctrl+S again" not in report and dialog.checked is None
        assert "Check" in _label(dialog)
