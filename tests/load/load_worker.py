"""One agent process under load: handles interactions and edits contacts for a set time.

``python -m tests.load.load_worker TARGET USER SECONDS SEED [BATCH]`` (TARGET: an embedded
store's path or a PostgreSQL URL, tests.load.target) prints one JSON line: every id it was
handed and every save the store acknowledged, with save latencies. With BATCH, every fifth
action imports BATCH new contacts in one transaction, all with the last name
``Batch USER-n``, so that a reader can tell a half-visible import. The parent checks them
against the store afterwards.
"""

from __future__ import annotations

import json
import random
import sys
import time

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Channel, Participant
from contact_tui.exchange.rows import ALL_FIELDS, ImportRow, ParsedFile
from contact_tui.service import NewInteraction
from contact_tui.store.errors import ConflictError
from tests.load.target import open_service

# Small, so that compactions happen often while others read and write.
COMPACT_BYTES = 256 * 1024
BATCH_PREFIX = "Batch "


def batch(user: str, n: int, size: int) -> tuple[str, ParsedFile]:
    """An import of ``size`` new contacts sharing one last name (the batch's tag)."""
    tag = f"{BATCH_PREFIX}{user}-{n}"
    rows = [
        ImportRow(
            line=i + 2, draft=ContactDraft(first_name=f"Row{i}", last_name=tag), present=ALL_FIELDS
        )
        for i in range(size)
    ]
    return tag, ParsedFile(rows=rows)


def run(target: str, user: str, seconds: float, seed: int, size: int = 0) -> dict[str, object]:
    """Work until ``seconds`` have passed; return what the store acknowledged."""
    rng = random.Random(seed)
    service = open_service(target, user, compact_min_bytes=COMPACT_BYTES, compact_ratio=0)
    user = service.agent.user
    created: list[str] = []
    interactions: list[str] = []
    edits: list[tuple[str, int]] = []
    imports: list[str] = []
    latencies: list[float] = []
    conflicts = 0
    actions = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        actions += 1
        roll = rng.random()
        started = time.perf_counter()
        if size and actions % 5 == 0:
            tag, parsed = batch(user, len(imports), size)
            report = service.import_contacts(parsed)
            assert not report.problems and len(report.created) == size, report.problems
            imports.append(tag)
            created.extend(w.contact.id for w in report.created)
            continue  # not a save's latency
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
            service.refresh()
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
    service.close()
    return {
        "created": created,
        "interactions": interactions,
        "edits": edits,
        "imports": imports,
        "latencies": latencies,
        "conflicts": conflicts,
    }


if __name__ == "__main__":
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    result = run(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), size)
    print(json.dumps(result))
