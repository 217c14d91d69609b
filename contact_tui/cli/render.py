"""How contacts, interactions, search hits and audit trails read as plain text.

Only the words and the layout are decided here; :class:`~contact_tui.cli.output.Output`
makes every line printable as it goes out. With ``--json`` none of this is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from contact_tui.domain.codec import contact_to_doc, format_date
from contact_tui.domain.merge import GROUPS
from contact_tui.domain.model import AuditRecord, Contact, Interaction, MatchKind
from contact_tui.domain.permissions import UseCase
from contact_tui.domain.present import (
    counted,
    first_email,
    first_phone,
    history_entries,
    phone_text,
    sender_address,
    timestamp,
)
from contact_tui.domain.text import clip, display_width, printable, terminal_text
from contact_tui.service import ContactService, MergePlan, NotFound, SearchKind, SearchResult

# Table cells are cut to this many columns so one long value cannot wreck the layout.
MAX_CELL_WIDTH = 40


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Rows as aligned plain-text columns under ``headers``; cells are made printable, without
    the characters terminals disagree on the width of (:func:`terminal_text`).

    Cells are cut to MAX_CELL_WIDTH columns, except in the last column, where a long value
    cannot push anything out of line.
    """
    last = len(headers) - 1
    cells = [
        [
            printable(cell) if i == last else clip(terminal_text(cell), MAX_CELL_WIDTH, "...")
            for i, cell in enumerate(row)
        ]
        for row in rows
    ]
    widths = [
        max([display_width(header), *(display_width(row[i]) for row in cells)])
        for i, header in enumerate(headers)
    ]
    return [
        "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [list(headers), *cells]
    ]


def fields(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """Label/value pairs as aligned lines, skipping empty values; an empty label continues."""
    kept = [(label, value) for label, value in pairs if value]
    if not kept:
        return []
    width = max(len(label) for label, _ in kept)
    return [f"{label:<{width}}  {printable(value)}" for label, value in kept]


def contact_lines(contact: Contact) -> list[str]:
    """A contact as aligned label/value lines."""
    pairs: list[tuple[str, str]] = [
        ("Id", contact.id),
        ("Type", contact.type.value),
        ("Salutation", contact.salutation),
        ("Name", contact.display_name),
        ("Title", contact.title),
    ]
    pairs += [(f"{kind.label} phone", phone_text(phone)) for kind, phone in contact.phones()]
    pairs += [(f"{kind.label} email", email) for kind, email in contact.emails()]
    pairs += [("Address" if i == 0 else "", line) for i, line in enumerate(contact.address.lines())]
    pairs += [("Messaging", identity.describe()) for identity in contact.identities]
    pairs += [
        ("Survey", "opted out" if contact.survey_opt_out else "may be surveyed"),
        ("External URL", contact.external_system_url),
        ("Version", str(contact.version)),
        ("Created", f"{timestamp(contact.create_date)} by {contact.created_by or 'unknown'}"),
        ("Changed", f"{timestamp(contact.modify_date)} by {contact.modified_by or 'unknown'}"),
        ("Last interaction", timestamp(contact.last_interaction_date)),
    ]
    return fields(pairs)


def history_lines(records: Sequence[AuditRecord]) -> list[str]:
    """A contact's audit trail as a table, oldest first."""
    if not records:
        return ["No history."]
    return table(
        ("WHEN", "WHO", "ACTION", "VERSION", "FIELDS"),
        (
            (
                timestamp(r.at),
                r.agent,
                r.action,
                "" if r.version is None else str(r.version),
                _fields_text(r),
            )
            for r in records
        ),
    )


def _fields_text(record: AuditRecord) -> str:
    """The last column (never cut): the fields changed; a merge adds its id (what 'contact
    unmerge' takes), an unmerge the merge it undid and the fields it left as edited."""
    changed = ", ".join(record.fields)
    if record.merge is not None:
        return f"merge id {record.id}" + (f"; {changed}" if changed else "")
    if record.unmerge is not None:
        text = f"undid merge {record.unmerge.undoes}" + (f"; {changed}" if changed else "")
        if record.unmerge.unrestored:
            text += f"; kept as edited: {', '.join(record.unmerge.unrestored)}"
        return text
    return changed


def merge_plan_lines(plan: MergePlan) -> list[str]:
    """A merge preview: both contacts side by side with the result, what moves where, what a
    choice gives up, the collisions left to choose, the interactions relinked and the notes
    that move."""
    other, keep = plan.other, plan.keep
    lines = [
        f"Merging {other.id} ({other.display_name}, {other.type.value}) into {keep.id} "
        f"({keep.display_name}, {keep.type.value}) would give:",
        *table(
            ("FIELD", "KEPT", "OTHER", "RESULT"),
            (
                (f.label, f.keep, f.other, f.result)
                for f in plan.fields
                if f.keep or f.other or f.result
            ),
        ),
    ]
    for move in plan.moves:
        lines.append(
            f"Moves: {move.kind} {move.value} from {GROUPS[move.from_slot].lower()} to "
            f"{GROUPS[move.to_slot].lower()}."
        )
    for drop in plan.dropped:
        whose = "kept" if drop.side.value == "keep" else "other"
        lines.append(f"Given up: the {whose} contact's {GROUPS[drop.slot].lower()} {drop.value}.")
    for collision in plan.collisions:
        lines.append(f"Collision: {collision.message}")
    count = len(plan.relinked)
    lines.append(
        f"{counted(count, 'interaction')} would be relinked"
        + (f": {', '.join(plan.relinked)}." if count else ".")
    )
    lines.append(
        f"{counted(len(plan.notes), 'note')} of {other.id} would move to {keep.id}"
        + (f": {', '.join(plan.notes)}." if plan.notes else ".")
    )
    return lines


def merge_plan_doc(plan: MergePlan) -> dict[str, Any]:
    """A merge preview as JSON: the contacts as Genesys documents, the rest as plain lists."""
    return {
        "keep": contact_to_doc(plan.keep),
        "other": contact_to_doc(plan.other),
        "result": contact_to_doc(plan.result),
        "fields": [
            {
                "id": f.id,
                "label": f.label,
                "keep": f.keep,
                "other": f.other,
                "result": f.result,
                "source": f.source,
            }
            for f in plan.fields
        ],
        "moves": [
            {"kind": m.kind, "value": m.value, "from": m.from_slot, "to": m.to_slot}
            for m in plan.moves
        ],
        "dropped": [
            {"kind": d.kind, "value": d.value, "slot": d.slot, "side": d.side.value}
            for d in plan.dropped
        ],
        "collisions": [
            {
                "kind": c.kind,
                "value": c.value,
                "from": c.from_slot,
                "choices": list(c.choices),
                "message": c.message,
            }
            for c in plan.collisions
        ],
        "relinked": list(plan.relinked),
        "notes": list(plan.notes),
    }


_SEARCHED_BY = {
    SearchKind.ALL: "all contacts",
    SearchKind.PHONE: "phone",
    SearchKind.EMAIL: "email",
    SearchKind.NAME: "name",
    SearchKind.LITERAL: "literal text",
    SearchKind.NUMBER: "digits in a phone number, ending in them first",
}


def search_lines(result: SearchResult, query: str) -> list[str]:
    """Search hits as a table under a one-line summary."""
    how = _SEARCHED_BY[result.kind]
    shown = len(result.contacts)
    # Past the cap the stores stop counting: say "more than", never a guess.
    more = "More than " if result.capped else ""
    summary = f"{more}{result.total} contact{'s' if result.total != 1 or more else ''}"
    if query.strip():
        verb = "matches" if result.total == 1 and not more else "match"
        # Clipped: a 100 KB query should not come back as a 100 KB line.
        summary += f" {verb} {clip(query.strip(), MAX_CELL_WIDTH, '...')!r} (searched by {how})"
    if shown < result.total or result.capped:
        summary += f"; showing the first {shown} (use --limit for more)"
    if not result.contacts:
        return [summary + "."]
    rows = (
        (c.id, c.type.value, c.display_name, first_phone(c), first_email(c))
        for c in result.contacts
    )
    return [summary + ".", *table(("ID", "TYPE", "NAME", "PHONE", "EMAIL"), rows)]


_MATCH_TEXT = {
    MatchKind.NONE: "none: no contact had this identity, so an ephemeral contact was made for it",
    MatchKind.SINGLE: "single: one contact has this identity and is linked",
}


def _match_text(interaction: Interaction) -> str:
    if interaction.match == MatchKind.MULTIPLE:
        return (
            f"multiple: {len(interaction.candidate_ids)} contacts share this identity; the "
            "first-created is linked (choose another with 'contact-tui contact link')"
        )
    return _MATCH_TEXT[interaction.match]


def contact_label(service: ContactService, contact_id: str) -> str:
    """'<id> (Sam Vries, Curated)' when the agent may view contacts, else the id alone."""
    if not service.allowed(UseCase.VIEW_CONTACTS):
        return contact_id
    try:
        contact = service.contact(contact_id)
    except NotFound:
        return f"{contact_id} (removed)"
    return f"{contact_id} ({contact.display_name}, {contact.type.value})"


def interaction_lines(interaction: Interaction, service: ContactService) -> list[str]:
    """An interaction, its match result and its linked contact as aligned lines."""
    sender = interaction.from_
    pairs: list[tuple[str, str]] = [
        ("Id", interaction.id),
        ("Channel", interaction.channel_label),
        ("From", sender.address + (f" ({sender.name})" if sender.name else "")),
        ("To", ", ".join(interaction.to)),
        ("Cc", ", ".join(interaction.cc)),
        ("Subject", interaction.subject),
        ("Agent", interaction.agent),
        ("State", interaction.state.value),
        ("Started", timestamp(interaction.started_at)),
        ("Ended", timestamp(interaction.ended_at)),
        ("Match", _match_text(interaction)),
        (
            "Contact",
            contact_label(service, interaction.contact_id)
            if interaction.contact_id
            else "none linked",
        ),
    ]
    if interaction.match == MatchKind.MULTIPLE:
        pairs += [
            ("Candidates" if i == 0 else "", contact_label(service, cid))
            for i, cid in enumerate(interaction.candidate_ids)
        ]
    pairs += [
        ("Transcript" if i == 0 else "", line or " ")
        for i, line in enumerate(interaction.transcript)
    ]
    pairs += [
        ("Wrap-up" if i == 0 else "", line or " ")
        for i, line in enumerate(
            interaction.wrap_up_note.split("\n") if interaction.wrap_up_note else ()
        )
    ]
    return fields(pairs)


def about(interaction: Interaction) -> str:
    """What an interaction was about, in one line: its subject, else its first transcript
    line, else nothing."""
    if interaction.subject:
        return interaction.subject
    return interaction.transcript[0] if interaction.transcript else ""


def note_summary(note: str) -> str:
    """A wrap-up note's first line, and how many more there are."""
    first, _, rest = note.partition("\n")
    more = rest.count("\n") + 1 if rest else 0
    return first + (f" (+{counted(more, 'more line')})" if more else "")


def merge_summary(record: AuditRecord) -> str:
    """What a standing merge brought, short enough for a cell: the merged-in contact's type and
    how many interactions came with it (its name is in the FROM column)."""
    assert record.merge is not None
    return (
        f"Merged in: {record.merge.other_before.type.value}, "
        f"{counted(len(record.merge.relinked), 'interaction')}"
    )


def merge_history_doc(record: AuditRecord) -> dict[str, Any]:
    """A standing merge as ``contact history --json`` lists it among the interactions."""
    assert record.merge is not None
    other = record.merge.other_before
    return {
        "kind": "merge",
        "id": record.id,
        "at": format_date(record.at),
        "agent": record.agent,
        "mergedIn": {"id": other.id, "displayName": other.display_name, "type": other.type.value},
        "interactions": len(record.merge.relinked),
    }


def contact_history_lines(
    contact: Contact,
    interactions: Sequence[Interaction],
    merges: Sequence[AuditRecord] = (),
    region: str = "US",
) -> list[str]:
    """A contact's interactions and the merges into it as a table under a one-line summary,
    newest first: when, channel, the number or address it came from (formatted for
    ``region``), agent, state, id, what it was about, and the wrap-up note (its first line); a
    merge says who merged, whom (in FROM) and how many interactions came with it."""
    summary = counted(len(interactions), "interaction")
    if merges:
        summary += f" and {counted(len(merges), 'merge')}"
    summary += f" with {contact.display_name} ({contact.id})"
    if not interactions and not merges:
        return [summary + "."]
    rows = (
        (
            timestamp(e.at),
            "Merge",
            e.merge.other_before.display_name if e.merge is not None else "",
            e.agent,
            "",
            e.id,
            merge_summary(e),
            "",
        )
        if isinstance(e, AuditRecord)
        else (
            timestamp(e.started_at),
            e.channel_label,
            sender_address(e, region),
            e.agent,
            e.state.value,
            e.id,
            about(e),
            note_summary(e.wrap_up_note),
        )
        for e in history_entries(interactions, merges)
    )
    return [
        summary + ", newest first.",
        *table(("WHEN", "CHANNEL", "FROM", "AGENT", "STATE", "ID", "ABOUT", "WRAP-UP"), rows),
    ]
