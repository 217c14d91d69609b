"""Store benchmark: prints figures for stores of 1,000, 10,000 and 100,000 contacts.

Not a test: nothing here asserts. Run ``make bench`` (or this file with ``--sizes 1000``).
For each size it builds a store of realistic contacts, then measures, in fresh processes:

* open: time to open the store (parse snapshot, replay journal, build indexes), and peak RSS
* lookup: lookup of a contact by phone number (any formatting -> E.164 -> index)
* save: one edit through the service layer (validate, lock, catch up, append, fsync)
* seen: how long until a second, already-open process sees that save, and the CPU time
  that process spent taking it in
* 8 writers: eight processes editing contacts at once for a few seconds; saves per second
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from contact_tui.domain.clock import utcnow  # noqa: E402
from contact_tui.domain.codec import contact_to_doc  # noqa: E402
from contact_tui.domain.draft import ContactDraft  # noqa: E402
from contact_tui.domain.model import Address, Contact, ContactType, PhoneNumber  # noqa: E402
from contact_tui.service import ContactService  # noqa: E402
from contact_tui.store.jsonstore import JsonStore  # noqa: E402
from contact_tui.store.repository import Repository  # noqa: E402
from tests.factories import make_agent, make_config  # noqa: E402

FIRST = [
    "Sam",
    "Priya",
    "José",
    "Mei",
    "Olena",
    "Siobhán",
    "Ahmed",
    "Kwame",
    "Lars",
    "Ana",
    "Dana",
    "Chris",
    "Hana",
    "Tomás",
    "Ivan",
    "Fatima",
    "Noah",
    "Emma",
    "Liam",
    "Zoë",
]
LAST = [
    "Lee",
    "Raman",
    "Álvarez",
    "Zhang",
    "Shevchenko",
    "O'Brien",
    "Al-Farsi",
    "Mensah",
    "Nilsson",
    "Silva",
    "Whitfield",
    "Sato",
    "Novák",
    "Petrov",
    "Haddad",
    "Smith",
    "Jones",
]


def e164_for(n: int) -> str:
    """A distinct, possible North American number for contact ``n``."""
    area = 201 + (n // 10_000) % 700
    return f"+1{area}555{n % 10_000:04d}"


def cell_phone(n: int) -> PhoneNumber:
    """Contact ``n``'s mobile number as the app stores what an agent types (rules.parse_phone):
    an edit through the app then leaves it as it was, as it does for a real contact."""
    e164 = e164_for(n)
    return PhoneNumber(f"+1 {e164[2:5]}-{e164[5:8]}-{e164[8:]}", e164, e164, 1, True)


def work_phone(n: int) -> PhoneNumber:
    """Contact ``n``'s work number: a London number typed in its national form, which the app
    (default country US) keeps as typed, not searchable by E.164 (see :func:`cell_phone`)."""
    typed = f"020 7946 {n % 10_000:04d}"
    return PhoneNumber(typed, typed, None, None, False)


def build_store(path: Path, size: int) -> None:
    """A store of ``size`` contacts with names, two phones, an email and an address each."""
    rng = random.Random(size)
    now = utcnow()
    contacts: dict[str, Any] = {}
    for n in range(size):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contact = Contact(
            id=f"00000000-0000-4000-8000-{n:012d}",
            type=ContactType.CURATED if n % 5 else ContactType.EPHEMERAL,
            first_name=first,
            last_name=f"{last}{n}",
            title="Buyer",
            cell_phone=cell_phone(n),
            work_phone=work_phone(n),
            work_email=f"{first.lower()}.{n}@example.com",
            address=Address("1 Main St", "", "Springfield", "IL", "62701", "US"),
            create_date=now,
            modify_date=now,
            version=1,
            created_by="bench",
            modified_by="bench",
        )
        contacts[contact.id] = contact_to_doc(contact)
    JsonStore(path, seed=lambda: {"contacts": contacts}).close()


def open_service(path: Path, user: str = "bench") -> ContactService:
    """A service over the store at ``path``."""
    return ContactService(Repository.open(path), make_config(path), make_agent(user))


# --- child processes ---------------------------------------------------------------------------


def child_open(path: Path) -> dict[str, Any]:
    """Open once; report the time, peak RSS and lookup and save latencies."""
    started = time.perf_counter()
    service = open_service(path)
    opened = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = len(service.repo.contact_ids())
    rng = random.Random(1)
    lookups = []
    for _ in range(200):
        n = rng.randrange(size)
        e164 = e164_for(n)
        typed = f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
        t = time.perf_counter()
        hits = service.search(typed).contacts
        lookups.append(time.perf_counter() - t)
        assert hits, typed
    saves = []
    for i in range(50):
        cid = f"00000000-0000-4000-8000-{rng.randrange(size):012d}"
        contact = service.contact(cid)
        draft = ContactDraft.from_contact(contact)
        draft.title = f"Buyer {i}"
        t = time.perf_counter()
        service.edit(cid, draft, contact.version)
        saves.append(time.perf_counter() - t)
    return {
        "open_s": opened,
        "rss_mb": rss_mb,
        "lookup_ms": statistics.median(lookups) * 1000,
        "lookup_p99_ms": sorted(lookups)[int(len(lookups) * 0.99) - 1] * 1000,
        "save_ms": statistics.median(saves) * 1000,
        "save_p99_ms": sorted(saves)[int(len(saves) * 0.99) - 1] * 1000,
    }


def child_watch(path: Path, ready: Path, interval: float) -> dict[str, Any]:
    """Open, signal ready, then poll like the app until a contact's title changes."""
    service = open_service(path)
    target = "00000000-0000-4000-8000-000000000007"
    before = service.contact(target).title
    ready.write_text("ready")
    cpu = 0.0
    deadline = time.time() + 30
    while time.time() < deadline:
        c0 = time.process_time()
        service.repo.refresh()
        seen = service.contact(target).title
        cpu += time.process_time() - c0
        if seen != before:
            return {"seen_at": time.time(), "cpu_ms": cpu * 1000}
        time.sleep(interval)
    return {"seen_at": None, "cpu_ms": cpu * 1000}


def child_writer(path: Path, start: Path, seconds: float, worker: int) -> dict[str, Any]:
    """Wait for the start file, then edit contacts for ``seconds``; report saves and latencies."""
    service = open_service(path, f"writer{worker}")
    size = len(service.repo.contact_ids())
    rng = random.Random(worker)
    Path(f"{start}.ready{worker}").write_text("ready")
    while not start.exists():
        time.sleep(0.01)
    latencies = []
    conflicts = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        cid = f"00000000-0000-4000-8000-{rng.randrange(size):012d}"
        service.repo.refresh()
        contact = service.contact(cid)
        draft = ContactDraft.from_contact(contact)
        draft.title = f"Edited by {worker} at {time.time():.3f}"
        t = time.perf_counter()
        try:
            service.edit(cid, draft, contact.version)
        except Exception:
            conflicts += 1
            continue
        latencies.append(time.perf_counter() - t)
    return {"saves": len(latencies), "conflicts": conflicts, "latencies": latencies}


# --- parent ----------------------------------------------------------------------------------


def run_child(*args: str) -> subprocess.Popen[bytes]:
    """Start this script in child mode."""
    return subprocess.Popen(
        [sys.executable, __file__, "--child", *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )


def result(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    """A child's JSON result; raises if it failed."""
    out, _ = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed with {proc.returncode}")
    data: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return data


def bench(size: int, writers: int, seconds: float) -> dict[str, Any]:
    """Every figure for one store size."""
    with tempfile.TemporaryDirectory(dir=ROOT / "tests" / "perf") as tmp:
        path = Path(tmp) / "store.json"
        t = time.perf_counter()
        build_store(path, size)
        built = time.perf_counter() - t
        figures: dict[str, Any] = {
            "size": size,
            "build_s": built,
            "file_mb": path.stat().st_size / 1e6,
        }
        figures.update(result(run_child("open", str(path))))

        ready = Path(tmp) / "watch-ready"
        watcher = run_child("watch", str(path), str(ready), "0.25")
        while not ready.exists():
            time.sleep(0.01)
        service = open_service(path)
        target = "00000000-0000-4000-8000-000000000007"
        contact = service.contact(target)
        draft = ContactDraft.from_contact(contact)
        draft.title = "Seen?"
        saved_at = time.time()
        service.edit(target, draft, contact.version)
        watched = result(watcher)
        figures["seen_s"] = (watched["seen_at"] - saved_at) if watched["seen_at"] else None
        figures["seen_cpu_ms"] = watched["cpu_ms"]
        service.repo.close()

        start = Path(tmp) / "start"
        procs = [
            run_child("write", str(path), str(start), str(seconds), str(w)) for w in range(writers)
        ]
        while not all(Path(f"{start}.ready{w}").exists() for w in range(writers)):
            time.sleep(0.05)
        start.write_text("go")
        outs = [result(p) for p in procs]
        latencies = sorted(x for o in outs for x in o["latencies"])
        figures["writers"] = writers
        figures["writes_per_s"] = sum(o["saves"] for o in outs) / seconds
        figures["write_p50_ms"] = statistics.median(latencies) * 1000
        figures["write_p99_ms"] = latencies[int(len(latencies) * 0.99) - 1] * 1000
        figures["conflicts"] = sum(o["conflicts"] for o in outs)
    return figures


def main() -> None:
    """Parse arguments and print a table of figures."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, args = sys.argv[2], sys.argv[3:]
        path = Path(args[0])
        if mode == "open":
            out = child_open(path)
        elif mode == "watch":
            out = child_watch(path, Path(args[1]), float(args[2]))
        else:
            out = child_writer(path, Path(args[1]), float(args[2]), int(args[3]))
        print(json.dumps(out))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    options = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    header = (
        "contacts",
        "file MB",
        "open s",
        "RSS MB",
        "lookup ms",
        "save ms",
        "save p99",
        "seen s",
        "seen CPU ms",
        "writes/s",
        "w p50 ms",
        "w p99 ms",
    )
    print(" | ".join(header))
    for size in (int(s) for s in options.sizes.split(",")):
        f = bench(size, options.writers, options.seconds)
        row = (
            f"{f['size']:,}",
            f"{f['file_mb']:.1f}",
            f"{f['open_s']:.2f}",
            f"{f['rss_mb']:.0f}",
            f"{f['lookup_ms']:.3f}",
            f"{f['save_ms']:.2f}",
            f"{f['save_p99_ms']:.2f}",
            f"{f['seen_s']:.3f}" if f["seen_s"] is not None else "never",
            f"{f['seen_cpu_ms']:.1f}",
            f"{f['writes_per_s']:.0f}",
            f"{f['write_p50_ms']:.2f}",
            f"{f['write_p99_ms']:.2f}",
        )
        print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
