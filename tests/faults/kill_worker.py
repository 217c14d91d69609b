"""A writer process for the kill -9 tests: it saves one known contact in a loop, or imports.

``python -m tests.faults.kill_worker STORE CONTACT_ID COMPACT_MIN_BYTES`` opens the store with
``compact_ratio=0`` and that compaction threshold (1 byte: every save compacts), prints
``READY <v>`` where v is the contact's title as it found it (a whole number), then saves
title v+1, v+2, ... through the service layer (each save is one journal record holding the
contact and its audit record) and prints ``ACK <n>`` after each save the store acknowledged,
flushing stdout, so that whoever kills it knows the last acknowledged value.

STORE may be a PostgreSQL URL naming the login to act as (tests.load.target; one login per
worker, so that whoever kills it can find the server process serving it); each save is then
one server transaction.
``python -m tests.faults.kill_worker URL --import SIZE`` imports batches of SIZE new contacts
instead, each in one transaction: ``START <tag>`` before each (its contacts' last name) and
``ACK <tag>`` once it is committed.

It imports only what an agent process imports (not pytest): it starts in about 0.15 s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from contact_tui.config import BUILTIN_ROLES, Agent, Config, default_settings
from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Permission
from contact_tui.service import ContactService
from contact_tui.store.repository import Repository
from tests.load.load_worker import batch
from tests.load.target import is_url, open_service

USER = "killer"


def service_for(path: Path, compact_min_bytes: int) -> ContactService:
    """A service over ``path`` for an agent with every permission and a tiny compaction
    threshold, so that kills land in compactions too."""
    repo = Repository.open(path, compact_min_bytes=compact_min_bytes, compact_ratio=0.0)
    config = Config(
        source=None,
        store_path=path,
        defaults=default_settings(),
        roles=dict(BUILTIN_ROLES),
        user_roles={},
        group_roles={},
    )
    agent = Agent(user=USER, groups=frozenset(), roles=("test",), permissions=frozenset(Permission))
    return ContactService(repo, config, agent)


def import_forever(url: str, size: int) -> None:
    """Import batches of ``size`` new contacts until killed, saying when each starts and ends."""
    service = open_service(url, USER)
    print("READY 0", flush=True)
    n = 0
    while True:
        tag, parsed = batch(f"{USER}-{os.getpid()}", n, size)
        print(f"START {tag}", flush=True)
        service.import_contacts(parsed)
        print(f"ACK {tag}", flush=True)
        n += 1


def main(argv: list[str]) -> None:
    """Save forever (until killed), acknowledging each save on stdout."""
    if argv[1] == "--import":
        import_forever(argv[0], int(argv[2]))
        return
    target, contact_id, min_bytes = argv[0], argv[1], int(argv[2])
    service = open_service(target, USER) if is_url(target) else service_for(Path(target), min_bytes)
    current = service.contact(contact_id)
    value = int(current.title or "0")
    print(f"READY {value}", flush=True)
    while True:
        draft = ContactDraft.from_contact(current)
        draft.title = str(value + 1)
        current = service.edit(contact_id, draft, current.version)
        value += 1
        print(f"ACK {value}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
