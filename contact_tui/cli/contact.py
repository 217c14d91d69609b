"""``contact-tui contact ...``: add, show, edit, promote, search, list, link, unlink, merge,
unmerge and delete."""

from __future__ import annotations

import sys

from contact_tui.cli.context import Context
from contact_tui.cli.exits import EXIT_CONFLICT, EXIT_INVALID, EXIT_OK, CliError
from contact_tui.cli.flags import apply_flags, flag_for
from contact_tui.cli.notes import note_lines
from contact_tui.cli.render import (
    contact_history_lines,
    contact_label,
    contact_lines,
    history_lines,
    merge_history_doc,
    merge_plan_doc,
    merge_plan_lines,
    search_lines,
)
from contact_tui.domain.codec import audit_to_doc, contact_to_doc, interaction_to_doc, note_to_doc
from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.merge import GROUPS
from contact_tui.domain.model import AuditRecord, Contact
from contact_tui.domain.permissions import UseCase
from contact_tui.domain.present import counted, history_entries
from contact_tui.service import InvalidInput


def _warn_about(ctx: Context, draft: ContactDraft, before: Contact | None = None) -> None:
    """Print the warnings a saved draft carries (numbers kept as typed, not searchable), and
    for an edit of ``before``, each number it kept as typed that the save converted though no
    flag named it (read in the address's country now).

    Called after the save, so that the service checks the permission before any rule: a
    viewer is told they may not add contacts, not that a number is malformed. The command
    line cannot ask "save anyway?", so warning after the save loses nothing.
    """
    for field_id, message in ctx.service().check(draft, before).items():
        ctx.out.warn(f"{flag_for(field_id)}: {message}")


def _stop_duplicates(ctx: Context, draft: ContactDraft, contact_id: str | None = None) -> None:
    """Refuse (exit 4) to save a contact another contact already has a number or email of,
    unless --allow-duplicate; a same-name contact with the same postal code or email domain
    is a warning. Called after the permission and the field rules are checked (so a rule
    broken is exit 2, not 4), and skipped without the view permission: whether other
    contacts exist is not a user's to learn then."""
    service = ctx.service()
    if not service.allowed(UseCase.VIEW_CONTACTS):
        return
    service.check(draft)  # a broken rule is said first, as the save would say it
    found = service.likely_duplicates(draft, contact_id)
    for match in found.soft:
        ctx.out.warn(f"possible duplicate: {match.describe()}")
    stopping = found.stopping()
    if stopping and not ctx.args.allow_duplicate:
        raise CliError(
            EXIT_CONFLICT,
            *(f"not saved: {m.describe()}." for m in stopping),
            "Link the interaction to that contact (contact link), or give --allow-duplicate "
            "to save anyway.",
        )
    for match in stopping:
        ctx.out.warn(f"saved beside a likely duplicate (--allow-duplicate): {match.describe()}")


def cmd_contact_add(ctx: Context) -> int:
    """Create a curated contact from the flags; with --interaction, link it too."""
    ctx.service().require_use_case(UseCase.CREATE_CONTACT)  # permission before any field rule
    draft = ContactDraft()
    apply_flags(draft, ctx.args)
    _stop_duplicates(ctx, draft)
    contact = ctx.service().create_contact(draft, interaction_id=ctx.args.interaction)
    _warn_about(ctx, draft)
    lines = [f"Created contact {contact.id}.", *contact_lines(contact)]
    if ctx.args.interaction:
        lines.insert(1, f"Linked to interaction {ctx.args.interaction}.")
    ctx.out.result(contact_to_doc(contact), lines)
    return EXIT_OK


def _read_for_change(
    ctx: Context, use_case: UseCase, *, need_change: bool
) -> tuple[Contact, ContactDraft, int]:
    """The contact, a draft of it with the flags applied, and the version to save against.

    Without --expect-version the version just read is sent, so a change someone else makes
    between this read and the write is still a conflict, never silently overwritten.
    """
    contact = ctx.service().contact(ctx.args.id)
    ctx.service().require_use_case(use_case)  # permission before any field rule
    draft = ContactDraft.from_contact(contact)
    given = apply_flags(draft, ctx.args)
    if given == 0 and need_change:
        raise InvalidInput("Nothing to change: give at least one field flag, e.g. --title.")
    expected = ctx.args.expect_version
    return contact, draft, contact.version if expected is None else expected


def cmd_contact_edit(ctx: Context) -> int:
    """Change the fields given as flags; an empty value clears a field."""
    before, draft, version = _read_for_change(ctx, UseCase.EDIT_CONTACT, need_change=True)
    _stop_duplicates(ctx, draft, ctx.args.id)
    contact = ctx.service().edit(ctx.args.id, draft, version)
    _warn_about(ctx, draft, before)
    ctx.out.result(
        contact_to_doc(contact), [f"Saved contact {contact.id}.", *contact_lines(contact)]
    )
    return EXIT_OK


def cmd_contact_promote(ctx: Context) -> int:
    """Add to Contacts: make an ephemeral contact curated, with any field flags applied."""
    before, draft, version = _read_for_change(ctx, UseCase.PROMOTE_CONTACT, need_change=False)
    _stop_duplicates(ctx, draft, ctx.args.id)
    contact = ctx.service().promote(ctx.args.id, draft, version)
    _warn_about(ctx, draft, before)
    ctx.out.result(
        contact_to_doc(contact), [f"Promoted contact {contact.id}.", *contact_lines(contact)]
    )
    return EXIT_OK


def cmd_contact_show(ctx: Context) -> int:
    """Show one contact and its notes (newest first); --history adds its audit trail.

    With --json the contact's document has its notes in a ``notes`` array (Genesys Note
    objects, newest first), as ``contact note list --json`` gives them."""
    service = ctx.service()
    contact = service.contact(ctx.args.id)
    if contact.id != ctx.args.id:
        ctx.out.warn_info(f"Contact {ctx.args.id} was merged into {contact.id}; showing that.")
    notes = service.contact_notes(contact.id)
    doc = {**contact_to_doc(contact), "notes": [note_to_doc(n) for n in notes]}
    lines = contact_lines(contact)
    if notes:
        lines += ["", f"Notes ({len(notes)})"]
        for note in notes:
            lines += note_lines(note)
    if not ctx.args.history:
        ctx.out.result(doc, lines)
        return EXIT_OK
    records = service.audit(contact.id)
    ctx.out.result(
        {"contact": doc, "history": [audit_to_doc(r) for r in records]},
        [*lines, "", "History", *history_lines(records)],
    )
    return EXIT_OK


def _print_search(ctx: Context, query: str) -> int:
    result = ctx.service().search(query, limit=ctx.args.limit)
    ctx.out.result([contact_to_doc(c) for c in result.contacts], search_lines(result, query))
    return EXIT_OK


# A search query is a name, a number or an address: a few hundred characters at most.
MAX_QUERY_BYTES = 10_000


def cmd_contact_search(ctx: Context) -> int:
    """Find contacts by name, phone (typed any way) or email. ``-`` reads the query from
    standard input, so a script's customer phone or name stays out of ``ps``."""
    query = ctx.args.query
    if query == "-":
        raw = sys.stdin.buffer.read(MAX_QUERY_BYTES + 1)
        if len(raw) > MAX_QUERY_BYTES:
            raise CliError(
                EXIT_INVALID, f"The query on standard input is over {MAX_QUERY_BYTES:,} bytes."
            )
        try:
            query = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise CliError(EXIT_INVALID, "The query on standard input is not UTF-8.") from None
    return _print_search(ctx, query)


def cmd_contact_list(ctx: Context) -> int:
    """List contacts in directory order."""
    return _print_search(ctx, "")


def cmd_contact_link(ctx: Context) -> int:
    """Link one of your interactions to a contact."""
    service = ctx.service()
    interaction = service.link(ctx.args.interaction_id, ctx.args.contact_id)
    ctx.out.result(
        interaction_to_doc(interaction),
        [f"Linked interaction {interaction.id} to {contact_label(service, ctx.args.contact_id)}."],
    )
    return EXIT_OK


def cmd_contact_unlink(ctx: Context) -> int:
    """Detach one of your interactions from its contact."""
    interaction = ctx.service().unlink(ctx.args.interaction_id)
    ctx.out.result(interaction_to_doc(interaction), [f"Unlinked interaction {interaction.id}."])
    return EXIT_OK


def cmd_contact_history(ctx: Context) -> int:
    """A contact's interactions, newest first: the agent's own, or everyone's with view-all;
    among them the merges into it that stand (as the profile shows them). With --json, one
    list: each entry's ``kind`` says which it is."""
    service = ctx.service()
    interactions = service.contact_history(ctx.args.id)
    contact = service.contact(ctx.args.id)
    merges = service.merges_into(contact.id) if service.allowed(UseCase.VIEW_CONTACTS) else []
    docs = [
        merge_history_doc(e)
        if isinstance(e, AuditRecord)
        else {"kind": "interaction", **interaction_to_doc(e)}
        for e in history_entries(interactions, merges)
    ]
    ctx.out.result(docs, contact_history_lines(contact, interactions, merges, service.region))
    return EXIT_OK


def _prefer(values: list[str] | None) -> dict[str, str]:
    """``--prefer FIELD=SIDE`` flags as a mapping; CliError (exit 2) for one without '='."""
    chosen: dict[str, str] = {}
    for value in values or ():
        field_id, sep, side = value.partition("=")
        if not sep:
            raise CliError(
                EXIT_INVALID,
                f"--prefer {value}: give FIELD=keep or FIELD=other, e.g. --prefer firstName=other.",
            )
        chosen[field_id.strip()] = side.strip()
    return chosen


def cmd_contact_merge(ctx: Context) -> int:
    """Merge contact OTHER into KEEP; --dry-run prints the preview and changes nothing."""
    service = ctx.service()
    service.require_use_case(UseCase.MERGE_CONTACTS)  # permission before any flag's rule
    prefer = _prefer(ctx.args.prefer)
    if ctx.args.dry_run:
        plan = service.merge_preview(ctx.args.keep, ctx.args.other, prefer)
        ctx.out.result(merge_plan_doc(plan), merge_plan_lines(plan))
        if plan.collisions:
            for collision in plan.collisions:
                ctx.out.error(collision.message)
            return EXIT_INVALID
        return EXIT_OK
    done = service.merge(ctx.args.keep, ctx.args.other, prefer)
    merge = done.record.merge
    assert merge is not None
    other = merge.other_before
    relinked = len(merge.relinked)
    ctx.out.result(
        {"contact": contact_to_doc(done.contact), "merge": audit_to_doc(done.record)},
        [
            f"Merged contact {other.id} ({other.display_name}, {other.type.value}) into "
            f"{done.contact.id}; {counted(relinked, 'interaction')} relinked.",
            f"Undo with: contact-tui contact unmerge {done.record.id}",
            *contact_lines(done.contact),
        ],
    )
    return EXIT_OK


def cmd_contact_unmerge(ctx: Context) -> int:
    """Undo a merge: the merged-away contact comes back; edits made since are kept."""
    done = ctx.service().unmerge(ctx.args.merge_id)
    lines = [
        f"Undid merge {ctx.args.merge_id}: contact {done.restored.id} "
        f"({done.restored.display_name}) is back, and {done.kept.id} gave back what the merge "
        "gave it."
    ]
    if done.unrestored:
        kept = ", ".join(GROUPS[g] for g in done.unrestored)
        lines.append(
            f"Not restored on {done.kept.id}, edited since the merge (the edits are kept): {kept}."
        )
    if done.left:
        lines.append(
            "Interactions someone relinked since, left as they are: " + ", ".join(done.left) + "."
        )
    if done.relinked:
        lines.append(
            f"Calls since the merge from what {done.restored.id} holds again, relinked to it: "
            + ", ".join(done.relinked)
            + "."
        )
    ctx.out.result(
        {
            "kept": contact_to_doc(done.kept),
            "restored": contact_to_doc(done.restored),
            "unrestored": list(done.unrestored),
            "left": list(done.left),
            "relinked": list(done.relinked),
            "unmerge": audit_to_doc(done.record),
        },
        lines,
    )
    return EXIT_OK


def cmd_contact_delete(ctx: Context) -> int:
    """Erase a contact (an erasure request). No confirmation is asked: the command is for
    scripts and for a supervisor who has checked the id with 'contact show'."""
    record = ctx.service().erase_contact(ctx.args.id)
    ctx.out.result(
        audit_to_doc(record),
        [
            f"Erased contact {ctx.args.id}: it, its notes and its data in the history are gone; "
            f"the history keeps who erased it and when (record {record.id})."
        ],
    )
    return EXIT_OK
