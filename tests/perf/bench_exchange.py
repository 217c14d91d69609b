"""Import/export benchmark: prints figures for 10,000 and 100,000 contacts in each format.

Not a test: nothing here asserts. Run ``make bench-exchange`` (or this file with
``--sizes 1000 --formats csv``). For each size and format, in a fresh process:

* export: every contact out of a store of that size, with its notes (service.export_text)
* read: parsing the exported file into rows
* import: importing it into an empty store (check every row, match, save: one transaction)
* lock: the longest the import held the store lock (other agents' saves wait this long)
* re-import: importing the same file again into that store (every row matched, unchanged)
* peak RSS of the process (it holds both stores, the file and its rows)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from contact_tui.domain.clock import utcnow  # noqa: E402
from contact_tui.domain.codec import contact_to_doc, note_to_doc  # noqa: E402
from contact_tui.domain.model import (  # noqa: E402
    Address,
    Contact,
    ContactType,
    MessagingIdentity,
    Note,
    Platform,
)
from contact_tui.domain.rules import parse_phone  # noqa: E402
from contact_tui.exchange import formats  # noqa: E402
from contact_tui.store.files import InterProcessLock  # noqa: E402
from contact_tui.store.jsonstore import JsonStore  # noqa: E402
from tests.perf.bench_store import FIRST, LAST, e164_for, open_service  # noqa: E402


def build_store(path: Path, size: int) -> None:
    """``size`` curated contacts as agents make them: two searchable phones, an email, an
    address, and on every tenth a note and a WhatsApp identity."""
    rng = random.Random(size)
    now = utcnow()
    contacts: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    for n in range(size):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        cell = e164_for(n)
        contact = Contact(
            id=f"00000000-0000-4000-8000-{n:012d}",
            type=ContactType.CURATED,
            first_name=first,
            last_name=f"{last}{n}",
            title="Buyer",
            cell_phone=parse_phone(cell, "US", accepts_sms=True),
            work_phone=parse_phone(f"+44 20 {7000 + n // 10_000} {n % 10_000:04d}", "US"),
            work_email=f"{first.lower()}.{n}@example.com",
            address=Address("1 Main St", "", "Springfield", "IL", "62701", "US"),
            identities=(
                (MessagingIdentity(Platform.WHATSAPP, (cell,), first),) if n % 10 == 0 else ()
            ),
            create_date=now,
            modify_date=now,
            version=1,
            created_by="bench",
            modified_by="bench",
        )
        contacts[contact.id] = contact_to_doc(contact)
        if n % 10 == 0:
            note = Note(f"n-{n}", contact.id, "Prefers email.\nCall after 5pm.", "bench", now, now)
            notes[note.id] = note_to_doc(note)
    JsonStore(path, seed=lambda: {"contacts": contacts, "notes": notes}).close()


def lock_holds() -> list[float]:
    """Record how long each store lock is held in this process, from now on."""
    held: list[float] = []
    acquire, release = InterProcessLock.acquire, InterProcessLock.release
    taken: dict[int, float] = {}

    def timed_acquire(self: InterProcessLock) -> None:
        acquire(self)
        taken[id(self)] = time.perf_counter()

    def timed_release(self: InterProcessLock) -> None:
        if id(self) in taken:
            held.append(time.perf_counter() - taken.pop(id(self)))
        release(self)

    InterProcessLock.acquire = timed_acquire  # type: ignore[method-assign]
    InterProcessLock.release = timed_release  # type: ignore[method-assign]
    return held


def child(size: int, fmt: str, workdir: Path) -> dict[str, Any]:
    source = workdir / "source.json"
    build_store(source, size)
    service = open_service(source)
    t = time.perf_counter()
    text = service.export_text(fmt).text  # the contacts and their notes
    export_s = time.perf_counter() - t
    path = workdir / f"export.{fmt}"
    formats.write_atomically(str(path), text)
    data = path.read_bytes()
    service.repo.close()

    target = open_service(workdir / "target.json")
    t = time.perf_counter()
    _, parsed = formats.parse(str(path), data, fmt)
    read_s = time.perf_counter() - t
    phases: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(phase: str, done: int, total: int) -> None:
        if done == total:
            now = time.perf_counter()
            phases[phase] = now - last[0]
            last[0] = now

    held = lock_holds()
    t = time.perf_counter()
    last[0] = t
    report = target.import_contacts(parsed, progress=progress)
    lock_s = max(held, default=0.0)
    import_s = time.perf_counter() - t
    assert not report.problems, report.problems[:3]
    assert len(report.created) == size, len(report.created)
    t = time.perf_counter()
    again = target.import_contacts(formats.parse(str(path), data, fmt)[1])
    reimport_s = time.perf_counter() - t
    assert again.unchanged == size and not again.written, again.summary()
    return {
        "size": size,
        "format": fmt,
        "file_mb": len(data) / 1e6,
        "export_s": export_s,
        "read_s": read_s,
        "import_s": import_s,
        "check_s": phases.get("Checking", 0.0),
        "match_s": phases.get("Matching", 0.0),
        "save_s": phases.get("Saving", 0.0),
        "lock_s": lock_s,
        "reimport_s": reimport_s,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=list(formats.FORMATS))
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(child(int(args.child[0]), args.child[1], Path(tmp))))
        return
    header = (
        f"{'contacts':>8} {'format':>7} {'file':>8} {'export':>7} {'read':>6} {'import':>7} "
        f"{'(check':>7} {'match':>6} {'save)':>6} {'lock':>6} {'re-import':>9} {'RSS':>7}"
    )
    print(header)
    for size in args.sizes:
        for fmt in args.formats:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(size), fmt],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                print(f"{size:>8,} {fmt:>7} failed:\n{done.stderr}", flush=True)
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{r['size']:>8,} {r['format']:>7} {r['file_mb']:>6.1f}MB {r['export_s']:>6.2f}s "
                f"{r['read_s']:>5.2f}s {r['import_s']:>6.2f}s {r['check_s']:>6.2f}s "
                f"{r['match_s']:>5.2f}s {r['save_s']:>5.2f}s {r['lock_s']:>5.2f}s "
                f"{r['reimport_s']:>8.2f}s "
                f"{r['rss_mb']:>5.0f}MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
