"""A separate agent process for the concurrency tests and benchmarks.

``python -m tests.store_worker STORE USER N [COUNTER_ID]`` creates N contacts and increments a
shared counter contact N times through the service layer, retrying on conflict the way an
agent would (re-read, re-apply, save). It prints one JSON line: the ids of the contacts it
created (every one acknowledged by the store) and how many conflicts it met. STORE is an
embedded store's path (the counter's id in a file beside it) or a PostgreSQL URL naming the
login to act as (tests.load.target; the counter's id given).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from contact_tui.domain.draft import ContactDraft
from contact_tui.store.errors import ConflictError
from tests.load.target import open_service

COUNTER_ID_FILE = "counter-id"


def main(store: str, user: str, count: int, counter_id: str | None = None) -> None:
    """Run one worker and print its results as JSON."""
    service = open_service(store, user)
    if counter_id is None:
        counter_id = Path(store).with_name(COUNTER_ID_FILE).read_text().strip()
    created: list[str] = []
    conflicts = 0
    for n in range(count):
        contact = service.create_contact(ContactDraft(first_name=user, last_name=f"Number {n}"))
        created.append(contact.id)
        while True:
            service.refresh()
            current = service.contact(counter_id)
            draft = ContactDraft.from_contact(current)
            draft.title = str(int(current.title or "0") + 1)
            try:
                service.edit(counter_id, draft, current.version)
                break
            except ConflictError:
                conflicts += 1
    print(json.dumps({"created": created, "conflicts": conflicts}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:5])
