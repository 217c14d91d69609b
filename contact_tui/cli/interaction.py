"""``contact-tui interaction ...``: hand over (new, import), list, show and end interactions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from contact_tui.cli.context import Context
from contact_tui.cli.exits import (
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PERMISSION,
    CliError,
)
from contact_tui.cli.render import interaction_lines, table
from contact_tui.domain.codec import interaction_to_doc
from contact_tui.domain.model import Channel, Interaction, InteractionState, Participant, Platform
from contact_tui.domain.present import counted, timestamp
from contact_tui.domain.rules import MAX_WRAP_UP_LENGTH
from contact_tui.domain.text import describe_surrogate, lone_surrogate
from contact_tui.exchange import formats
from contact_tui.exchange.interactions import read_records
from contact_tui.service import InvalidInput, NewInteraction, NotFound, PermissionDenied

# A transcript file larger than this is refused: a transcript is a conversation, not a dump.
MAX_TRANSCRIPT_BYTES = 1_000_000
# A wrap-up note file: 10,000 characters of up to four bytes each, and a byte-order mark.
MAX_NOTE_BYTES = 4 * MAX_WRAP_UP_LENGTH + 3


def _read_limited(path: str, limit: int) -> bytes:
    """At most ``limit`` bytes of a file ('-' for standard input); CliError if it is larger."""
    try:
        return formats.read_bytes(path, limit)
    except formats.ExchangeError as err:
        raise CliError(EXIT_INVALID, str(err)) from None


def _decode_text(raw: bytes, path: str) -> str:
    """UTF-8 text (a leading byte-order mark is dropped); CliError for binary or other data."""
    if b"\x00" in raw:
        raise CliError(
            EXIT_INVALID, f"The file {path} looks binary (it holds NUL bytes); give UTF-8 text."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CliError(
            EXIT_INVALID,
            f"The file {path} is not UTF-8 text (byte {err.start} cannot be decoded).",
        ) from None


def read_transcript_file(path: str) -> tuple[str, ...]:
    """A transcript file's lines: UTF-8 text of at most 1 MB, one transcript line per line."""
    return tuple(_decode_text(_read_limited(path, MAX_TRANSCRIPT_BYTES), path).splitlines())


def _check_is_text(flag: str, values: Iterable[str]) -> None:
    """CliError when a flag's value holds bytes that are not UTF-8 (a lone surrogate in argv):
    such text cannot be stored, and the store would otherwise fail on it as an internal error."""
    for value in values:
        bad = lone_surrogate(value)
        if bad is not None:
            raise CliError(
                EXIT_INVALID,
                f"{flag}: the value is not UTF-8 text ({describe_surrogate(bad)} cannot be "
                "decoded); give it in UTF-8.",
            )


def _new_interaction_from_args(ctx: Context) -> NewInteraction:
    args = ctx.args
    for flag, values in (
        ("--agent", [args.agent or ""]),
        ("--from", [args.sender]),
        ("--name", [args.name or ""]),
        ("--to", args.to or []),
        ("--cc", args.cc or []),
        ("--subject", [args.subject or ""]),
        ("--transcript", args.transcript or []),
    ):
        _check_is_text(flag, values)
    if args.values == "-" and args.transcript_file == "-":
        # The values took all of standard input: the transcript would silently be empty.
        raise CliError(
            EXIT_INVALID,
            "--values - and --transcript-file - cannot both read standard input; put the "
            'transcript in the values as "transcript": ["line", ...] instead.',
        )
    transcript = tuple(args.transcript or ())
    if args.transcript_file:
        transcript += read_transcript_file(args.transcript_file)
    return NewInteraction(
        agent=args.agent if args.agent is not None else ctx.service().agent.user,
        channel=Channel(args.channel),
        sender=Participant(address=args.sender, name=args.name or ""),
        platform=Platform(args.platform) if args.platform else None,
        to=tuple(args.to or ()),
        cc=tuple(args.cc or ()),
        subject=args.subject or "",
        transcript=transcript,
    )


def cmd_interaction_new(ctx: Context) -> int:
    """Hand an interaction to an agent: record it, match its sender, link a contact."""
    service = ctx.service()
    interaction = service.handle_interaction(_new_interaction_from_args(ctx))
    ctx.out.result(interaction_to_doc(interaction), interaction_lines(interaction, service))
    return EXIT_OK


def _checked_records(
    path: str,
    records: Iterator[tuple[int, NewInteraction | str]],
    check: Callable[[NewInteraction], None],
) -> list[NewInteraction]:
    """Every record of an import file, each checked with ``check`` (the service's own rules
    and permissions) so that a bad record refuses the whole file before anything is saved; a
    record the user may not create refuses it at once with exit 3."""
    checked: list[NewInteraction] = []
    problems: list[str] = []
    try:
        for number, record in records:
            if isinstance(record, str):
                problems.append(f"{path} line {number}: {record}.")
                continue
            try:
                check(record)
            except PermissionDenied as err:
                raise CliError(
                    EXIT_PERMISSION, f"{path} line {number}: {err} Nothing was imported."
                ) from None
            except NotFound as err:
                # Routed to no agent who could take it: the integration's list of agents is
                # wrong, which every later line may share.
                raise CliError(
                    EXIT_NOT_FOUND, f"{path} line {number}: {err} Nothing was imported."
                ) from None
            except (ValueError, InvalidInput) as err:
                problems.append(f"{path} line {number}: {str(err).rstrip('.')}.")
            else:
                checked.append(record)
    except formats.ExchangeError as err:
        raise CliError(EXIT_INVALID, str(err)) from None
    if problems:
        shown = problems[:20]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more bad lines.")
        raise CliError(EXIT_INVALID, *shown, "Nothing was imported; fix the file and retry.")
    return checked


def cmd_interaction_import(ctx: Context) -> int:
    """Import a JSON-lines file of interactions: all lines are checked before any is saved."""
    path = ctx.args.file
    service = ctx.service()
    agents_found: set[str] = set()

    def check(record: NewInteraction) -> None:
        service.require_intake(record.agent)
        agent = service.check_interaction(record).agent
        if agent not in agents_found:  # one look per agent, not per line
            service.require_agent(agent)
            agents_found.add(agent)

    records = _checked_records(path, read_records(path, service.agent.user), check)
    done: list[Interaction] = []
    try:
        for record in records:
            done.append(service.handle_interaction(record))
    except Exception:
        # Say what did get saved before the error is reported, so a rerun can skip it.
        if done:
            ctx.out.error(
                f"{len(done)} of {len(records)} interactions from {path} were imported "
                "before this error; the rest were not."
            )
        raise
    rows = ((i.id, i.channel_label, i.from_.address, i.match.value, i.agent) for i in done)
    ctx.out.result(
        [interaction_to_doc(i) for i in done],
        [
            f"Imported {counted(len(done), 'interaction')} from {path}.",
            *(table(("ID", "CHANNEL", "FROM", "MATCH", "AGENT"), rows) if done else []),
        ],
    )
    return EXIT_OK


def cmd_interaction_list(ctx: Context) -> int:
    """An agent's interactions, newest first; ended ones only with --all-states."""
    service = ctx.service()
    agent = ctx.args.agent or service.agent.user
    found = [
        i
        for i in service.interactions(agent)
        if ctx.args.all_states or i.state != InteractionState.ENDED
    ]
    which = "" if ctx.args.all_states else "open "
    summary = f"{counted(len(found), which + 'interaction')} for {agent}."
    rows = (
        (i.id, i.state.value, i.channel_label, timestamp(i.started_at), i.from_.address)
        for i in found
    )
    ctx.out.result(
        [interaction_to_doc(i) for i in found],
        [summary, *(table(("ID", "STATE", "CHANNEL", "STARTED", "FROM"), rows) if found else [])],
    )
    return EXIT_OK


def cmd_interaction_show(ctx: Context) -> int:
    """Show one interaction with its match result and linked contact."""
    service = ctx.service()
    interaction = service.interaction(ctx.args.id)
    ctx.out.result(interaction_to_doc(interaction), interaction_lines(interaction, service))
    return EXIT_OK


def cmd_interaction_end(ctx: Context) -> int:
    """Mark one of your interactions ended."""
    interaction = ctx.service().end_interaction(ctx.args.id)
    ctx.out.result(
        interaction_to_doc(interaction),
        [f"Interaction {interaction.id} ended at {timestamp(interaction.ended_at)}."],
    )
    return EXIT_OK


def cmd_interaction_note(ctx: Context) -> int:
    """Write (or, with empty text, clear) the wrap-up note of an interaction: TEXT, or
    --file PATH ('-' reads standard input, keeping a long note out of ``ps``)."""
    args = ctx.args
    if args.file is not None:
        text = _decode_text(_read_limited(args.file, MAX_NOTE_BYTES), args.file)
    else:
        _check_is_text("TEXT", [args.text])
        text = args.text
    interaction = ctx.service().set_wrap_up(args.id, text)
    done = (
        f"Saved the wrap-up note of interaction {interaction.id}."
        if interaction.wrap_up_note
        else f"Interaction {interaction.id} has no wrap-up note now."
    )
    ctx.out.result(interaction_to_doc(interaction), [done])
    return EXIT_OK
