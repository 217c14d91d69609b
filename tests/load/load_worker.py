"""One agent process under load: handles interactions and edits contacts for a set time.

``python -m tests.load.load_worker STORE USER SECONDS SEED`` prints one JSON line: every id it
was handed and every save the store acknowledged, with save latencies. The parent checks
them against the store afterwards.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Channel, Participant
from contact_tui.service import ContactService, NewInteraction
from contact_tui.store.errors import ConflictError
from contact_tui.store.repository import Repository
from tests.factories import make_agent, make_config

# Small, so that compactions happen often while others read and write.
COMPACT_BYTES = 256 * 1024


def run(store: Path, user: str, seconds: float, seed: int) -> dict[str, object]:
    """Work until ``seconds`` have passed; return what the store acknowledged."""
    rng = random.Random(seed)
    repo = Repository.open(store, compact_min_bytes=COMPACT_BYTES, compact_ratio=0)
    service = ContactService(repo, make_config(store), make_agent(user))
    created: list[str] = []
    interactions: list[str] = []
    edits: list[tuple[str, int]] = []
    latencies: list[float] = []
    conflicts = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        roll = rng.random()
        started = time.perf_counter()
        if roll < 0.4:
            # A call from one of 300 numbers: some known, many new (ephemeral contacts).
            number = f"+1317555{rng.randrange(300):04d}"
            interaction = service.handle_interaction(
                NewInteraction(user, Channel.VOICE, Participant(number))
            )
            interactions.append(interaction.id)
            if interaction.match.value == "none" and interaction.contact_id:
                created.append(interaction.contact_id)
        elif roll < 0.6:
            contact = service.create_contact(
                ContactDraft(first_name=user, last_name=f"Load {len(created)}")
            )
            created.append(contact.id)
        else:
            service.repo.refresh()
            ids = service.repo.contact_ids()
            if not ids:
                continue
            contact_id = rng.choice(ids)
            current = service.contact(contact_id)
            draft = ContactDraft.from_contact(current)
            draft.first_name = draft.first_name or "Named"
            draft.last_name = draft.last_name or "By Load"
            draft.title = f"{user} {time.time():.6f}"
            try:
                saved = service.edit(contact_id, draft, current.version)
            except ConflictError:
                conflicts += 1
                continue
            edits.append((contact_id, saved.version))
        latencies.append(time.perf_counter() - started)
    repo.close()
    return {
        "created": created,
        "interactions": interactions,
        "edits": edits,
        "latencies": latencies,
        "conflicts": conflicts,
    }


if __name__ == "__main__":
    result = run(Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
    print(json.dumps(result))
