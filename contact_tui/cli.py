"""The ``contact-tui`` command: a scriptable surface over the service the screen uses.

Admins, integrations and agents who prefer a shell get the same use cases, permission checks
and validation as the screen, because every subcommand calls :class:`ContactService` and
nothing below it. ``--json`` prints one JSON document per command, in the Genesys shape the
store keeps. The acting user and their permissions come only from the operating system and
the admin config: no flag can set them.

Exit codes (also printed by ``contact-tui --help``):

====  =====================================================================================
0     success
1     unexpected internal error (rerun with CONTACT_TUI_DEBUG=1 for a traceback)
2     invalid input or usage (a bad flag value, a rule a field breaks, a bad input file)
3     permission denied (your roles lack the permission the action needs)
4     conflict (the contact changed since the version you started from)
5     not found (no contact or interaction has that id)
6     store unreadable (a store file is damaged or cannot be read; see ``contact-tui doctor``)
7     store unavailable (busy lock, full disk, no write permission, missing folder, or the
      store's folder or files are not open to you: ask the admin to add you to its group)
8     config error (the admin config is missing, unreadable, not root's alone, or wrong), or a
      refusal to run where the user can be forged (inside a user namespace)
141   standard output was closed early (``contact-tui contact list | head``), as for SIGPIPE
====  =====================================================================================
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import io
import itertools
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO, TextIO, cast

from contact_tui.bootstrap import no_access_message, open_service
from contact_tui.config import SETTINGS, Config, ConfigError, load_config
from contact_tui.domain.draft import TEXT_ATTRS, ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    AuditRecord,
    Channel,
    Contact,
    EmailKind,
    Interaction,
    InteractionState,
    MatchKind,
    Participant,
    Permission,
    PhoneKind,
    PhoneNumber,
    Platform,
)
from contact_tui.domain.rules import MAX_INTERACTION_LENGTH
from contact_tui.domain.text import (
    clip,
    describe_surrogate,
    display_width,
    is_unsafe_char,
    lone_surrogate,
    printable,
    terminal_text,
)
from contact_tui.exchange import formats
from contact_tui.exchange.importer import ImportReport, Progress, no_progress
from contact_tui.service import (
    ContactService,
    InvalidInput,
    NewInteraction,
    PermissionDenied,
    SearchResult,
)
from contact_tui.store.doctor import diagnose, repair_refusal
from contact_tui.store.documents import audit_to_doc, contact_to_doc, interaction_to_doc
from contact_tui.store.errors import ConflictError, NotFound, StoreUnavailable, StoreUnreadable

PROG = "contact-tui"
DEBUG_ENV = "CONTACT_TUI_DEBUG"

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INVALID = 2
EXIT_PERMISSION = 3
EXIT_CONFLICT = 4
EXIT_NOT_FOUND = 5
EXIT_UNREADABLE = 6
EXIT_UNAVAILABLE = 7
EXIT_CONFIG = 8
EXIT_BROKEN_PIPE = 141

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (EXIT_INTERNAL, f"unexpected internal error (rerun with {DEBUG_ENV}=1 for a traceback)"),
    (EXIT_INVALID, "invalid input or usage"),
    (EXIT_PERMISSION, "permission denied"),
    (EXIT_CONFLICT, "conflict: the contact changed since the version you started from"),
    (EXIT_NOT_FOUND, "not found"),
    (EXIT_UNREADABLE, "store unreadable (damaged or unreadable file; see 'contact-tui doctor')"),
    (
        EXIT_UNAVAILABLE,
        "store unavailable (busy lock, disk full, no write permission or access, no folder)",
    ),
    (EXIT_CONFIG, "config error, or refusing to run in an unsafe environment"),
    (EXIT_BROKEN_PIPE, "standard output closed early (as for SIGPIPE)"),
)

# A transcript file larger than this is refused: a transcript is a conversation, not a dump.
MAX_TRANSCRIPT_BYTES = 1_000_000
DEFAULT_LIMIT = 50
# Table cells are cut to this many columns so one long value cannot wreck the layout.
MAX_CELL_WIDTH = 40


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(data: Any, *, ascii_only: bool = False) -> str:
    """``data`` as indented JSON that is also safe to print to a terminal.

    ``json.dumps`` escapes C0 controls but leaves C1 controls, bidi overrides and line
    separators raw; outside ASCII such characters can only occur inside JSON strings, so
    escaping them as ``\\uXXXX`` keeps the document valid and its values unchanged.
    """
    text = json.dumps(data, ensure_ascii=ascii_only, indent=2)
    # DEL is ASCII, so neither json.dumps nor the scan below would escape it.
    text = text.replace("\x7f", "\\u007f")
    if ascii_only or text.isascii():
        return text
    return "".join(
        _json_escape(ch) if ord(ch) >= 0x7F and is_unsafe_char(ch) else ch for ch in text
    )


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


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else ""


# --- output ------------------------------------------------------------------------------------


class Output:
    """Where results, warnings and errors go; human text is made printable on the way out."""

    def __init__(self, json_mode: bool, stdout: TextIO, stderr: TextIO) -> None:
        self.json_mode = json_mode
        self.stdout = stdout
        self.stderr = stderr
        encoding = (getattr(stdout, "encoding", None) or "utf-8").lower().replace("_", "-")
        # On a terminal that is not UTF-8, JSON falls back to \u escapes for everything.
        self.ascii_json = encoding not in ("utf-8", "utf8")

    def result(self, data: Any, lines: Iterable[str]) -> None:
        """Print a command's result: ``data`` as JSON with --json, else the human ``lines``."""
        if self.json_mode:
            self._write(self.stdout, json_text(data, ascii_only=self.ascii_json))
        else:
            for line in lines:
                self._write(self.stdout, printable(line))

    def warn(self, message: str) -> None:
        """A warning on stderr; it does not change the exit code."""
        self._write(self.stderr, f"warning: {printable(message)}")

    def text(self, line: str) -> None:
        """One line of text on stdout, made printable (whatever --json says)."""
        self._write(self.stdout, printable(line))

    def warn_info(self, message: str) -> None:
        """A note on stderr (stdout may carry data); it does not change the exit code."""
        self._write(self.stderr, printable(message))

    def error(self, message: str) -> None:
        """One error sentence on stderr."""
        self._write(self.stderr, f"{PROG}: {printable(message)}")

    @staticmethod
    def _write(stream: TextIO, line: str) -> None:
        encoding = getattr(stream, "encoding", None)
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            # A Latin-1 or ASCII terminal gets escapes, not a UnicodeEncodeError.
            line = line.encode(encoding, "backslashreplace").decode(encoding)
        print(line, file=stream)


class CliError(Exception):
    """A failure the command line reports itself: each line goes to stderr, then exit ``code``."""

    def __init__(self, code: int, *lines: str) -> None:
        self.code = code
        self.lines = lines
        super().__init__(" ".join(lines))


@dataclass
class Context:
    """One run of the command: its arguments and output, and the config and service it opens
    only when a subcommand needs them (doctor must work when the store cannot be opened)."""

    args: argparse.Namespace
    out: Output
    _config: Config | None = field(default=None, init=False)
    _service: ContactService | None = field(default=None, init=False)

    def config(self) -> Config:
        """The admin config in force (the system config wins over --config)."""
        if self._config is None:
            # Absolute, so the store path derived from it and every message stay right
            # whatever folder the command runs in.
            chosen = Path(self.args.config).expanduser().absolute() if self.args.config else None
            self._config = load_config(chosen)
        return self._config

    def service(self) -> ContactService:
        """The service over the configured store, opened on first use."""
        if self._service is None:
            self._service = open_service(self.config())
        return self._service

    def close(self) -> None:
        """Release the store's file handles."""
        if self._service is not None:
            self._service.repo.close()


# --- contact fields as flags -------------------------------------------------------------------

# Flag, the field id the domain reports problems under (the Genesys key), help.
CONTACT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("--first", "firstName", "first name (required)"),
    ("--middle", "middleName", "middle name"),
    ("--last", "lastName", "last name (required)"),
    ("--salutation", "salutation", "salutation, e.g. Dr"),
    ("--title", "title", "job title"),
    ("--work-phone", "workPhone", "work phone: +country code, or the default country applies"),
    ("--home-phone", "homePhone", "home phone"),
    ("--cell-phone", "cellPhone", "cell phone"),
    ("--other-phone", "otherPhone", "other phone"),
    ("--work-email", "workEmail", "work email"),
    ("--personal-email", "personalEmail", "personal email"),
    ("--other-email", "otherEmail", "other email"),
    ("--address1", "address.address1", "address line 1"),
    ("--address2", "address.address2", "address line 2"),
    ("--city", "address.city", "city"),
    ("--state", "address.state", "state or region"),
    ("--postal-code", "address.postalCode", "postal code"),
    ("--country", "address.countryCode", "country code, e.g. GB"),
    ("--external-url", "externalSystemUrl", "link to this customer in another system"),
)
SMS_FLAGS: dict[PhoneKind, str] = {
    PhoneKind.WORK: "--work-sms",
    PhoneKind.HOME: "--home-sms",
    PhoneKind.CELL: "--cell-sms",
    PhoneKind.OTHER: "--other-sms",
}
FLAG_FOR_FIELD: dict[str, str] = {field_id: flag for flag, field_id, _ in CONTACT_FIELDS}
_PHONE_FIELDS = {kind.value: kind for kind in PhoneKind}
_EMAIL_FIELDS = {kind.value: kind for kind in EmailKind}


def _dest(flag: str) -> str:
    # A prefix keeps contact fields apart from other options in the namespace.
    return "field_" + flag.removeprefix("--").replace("-", "_")


def flag_for(field_id: str) -> str:
    """The flag that sets a field, for messages: 'workPhone' -> '--work-phone'."""
    return FLAG_FOR_FIELD.get(field_id, field_id)


def _set_field(draft: ContactDraft, field_id: str, value: str) -> None:
    if field_id in TEXT_ATTRS:
        setattr(draft, TEXT_ATTRS[field_id], value)
    elif field_id in _PHONE_FIELDS:
        draft.phones.setdefault(_PHONE_FIELDS[field_id], PhoneDraft()).text = value
    elif field_id in _EMAIL_FIELDS:
        draft.emails[_EMAIL_FIELDS[field_id]] = value
    else:
        draft.address[field_id.removeprefix("address.")] = value


def apply_flags(draft: ContactDraft, args: argparse.Namespace) -> int:
    """Copy the contact flags that were given onto ``draft``; returns how many there were.

    A flag given as an empty string clears its field; flags not given leave it alone.
    """
    given = 0
    for flag, field_id, _ in CONTACT_FIELDS:
        value = getattr(args, _dest(flag))
        if value is not None:
            _set_field(draft, field_id, value)
            given += 1
    sms_without_number: dict[str, str] = {}
    for kind, flag in SMS_FLAGS.items():
        value = getattr(args, _dest(flag))
        if value is None:
            continue
        given += 1
        phone = draft.phones.setdefault(kind, PhoneDraft())
        phone.accepts_sms = value
        if value and not phone.text.strip():
            sms_without_number[flag] = (
                f"there is no {kind.label.lower()} phone number to send SMS to; "
                f"give {flag.removesuffix('-sms')}-phone too."
            )
    if sms_without_number:
        raise InvalidInput("An SMS flag has no number.", sms_without_number)
    if args.survey_opt_out is not None:
        draft.survey_opt_out = args.survey_opt_out
        given += 1
    return given


def _warn_about(ctx: Context, draft: ContactDraft) -> None:
    """Print the warnings a saved draft carries (numbers kept as typed, not searchable).

    Called after the save, so that the service checks the permission before any rule: a
    viewer is told they may not add contacts, not that a number is malformed. The command
    line cannot ask "save anyway?", so warning after the save loses nothing.
    """
    for field_id, message in ctx.service().check(draft).items():
        ctx.out.warn(f"{flag_for(field_id)}: {message}")


# --- human rendering ---------------------------------------------------------------------------


def _phone_text(phone: PhoneNumber) -> str:
    notes = []
    if phone.accepts_sms:
        notes.append("SMS")
    if not phone.searchable:
        notes.append("not searchable")
    return phone.display + (f"  ({', '.join(notes)})" if notes else "")


def contact_lines(contact: Contact) -> list[str]:
    """A contact as aligned label/value lines."""
    pairs: list[tuple[str, str]] = [
        ("Id", contact.id),
        ("Type", contact.type.value),
        ("Salutation", contact.salutation),
        ("Name", contact.display_name),
        ("Title", contact.title),
    ]
    pairs += [(f"{kind.label} phone", _phone_text(phone)) for kind, phone in contact.phones()]
    pairs += [(f"{kind.label} email", email) for kind, email in contact.emails()]
    pairs += [("Address" if i == 0 else "", line) for i, line in enumerate(contact.address.lines())]
    pairs += [("Messaging", identity.describe()) for identity in contact.identities]
    pairs += [
        ("Survey", "opted out" if contact.survey_opt_out else "may be surveyed"),
        ("External URL", contact.external_system_url),
        ("Version", str(contact.version)),
        ("Created", f"{_when(contact.create_date)} by {contact.created_by or 'unknown'}"),
        ("Changed", f"{_when(contact.modify_date)} by {contact.modified_by or 'unknown'}"),
        ("Last interaction", _when(contact.last_interaction_date)),
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
                _when(r.at),
                r.agent,
                r.action,
                "" if r.version is None else str(r.version),
                ", ".join(r.fields),
            )
            for r in records
        ),
    )


def _first_phone(contact: Contact) -> str:
    phones = contact.phones()
    return phones[0][1].display if phones else ""


def _first_email(contact: Contact) -> str:
    emails = contact.emails()
    return emails[0][1] if emails else ""


def search_lines(result: SearchResult, query: str) -> list[str]:
    """Search hits as a table under a one-line summary."""
    how = {"all": "all contacts", "literal": "literal text"}.get(result.kind, f"{result.kind}")
    shown = len(result.contacts)
    summary = f"{result.total} contact{'s' if result.total != 1 else ''}"
    if query.strip():
        verb = "matches" if result.total == 1 else "match"
        # Clipped: a 100 KB query should not come back as a 100 KB line.
        summary += f" {verb} {clip(query.strip(), MAX_CELL_WIDTH, '...')!r} (searched by {how})"
    if shown < result.total:
        summary += f"; showing the first {shown} (use --limit for more)"
    if not result.contacts:
        return [summary + "."]
    rows = (
        (c.id, c.type.value, c.display_name, _first_phone(c), _first_email(c))
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


def _contact_label(service: ContactService, contact_id: str) -> str:
    """'<id> (Sam Vries, Curated)' when the agent may view contacts, else the id alone."""
    if not service.can(Permission.VIEW):
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
        ("Started", _when(interaction.started_at)),
        ("Ended", _when(interaction.ended_at)),
        ("Match", _match_text(interaction)),
        (
            "Contact",
            _contact_label(service, interaction.contact_id)
            if interaction.contact_id
            else "none linked",
        ),
    ]
    if interaction.match == MatchKind.MULTIPLE:
        pairs += [
            ("Candidates" if i == 0 else "", _contact_label(service, cid))
            for i, cid in enumerate(interaction.candidate_ids)
        ]
    pairs += [
        ("Transcript" if i == 0 else "", line or " ")
        for i, line in enumerate(interaction.transcript)
    ]
    return fields(pairs)


# --- contact commands --------------------------------------------------------------------------


def cmd_contact_add(ctx: Context) -> int:
    """Create a curated contact from the flags; with --interaction, link it too."""
    ctx.service().require(Permission.ADD)  # permission before any field rule
    draft = ContactDraft()
    apply_flags(draft, ctx.args)
    contact = ctx.service().create_contact(draft, interaction_id=ctx.args.interaction)
    _warn_about(ctx, draft)
    lines = [f"Created contact {contact.id}.", *contact_lines(contact)]
    if ctx.args.interaction:
        lines.insert(1, f"Linked to interaction {ctx.args.interaction}.")
    ctx.out.result(contact_to_doc(contact), lines)
    return EXIT_OK


def _read_for_change(
    ctx: Context, permission: Permission, *, need_change: bool
) -> tuple[Contact, ContactDraft, int]:
    """The contact, a draft of it with the flags applied, and the version to save against.

    Without --expect-version the version just read is sent, so a change someone else makes
    between this read and the write is still a conflict, never silently overwritten.
    """
    contact = ctx.service().contact(ctx.args.id)
    ctx.service().require(permission)  # permission before any field rule
    draft = ContactDraft.from_contact(contact)
    given = apply_flags(draft, ctx.args)
    if given == 0 and need_change:
        raise InvalidInput("Nothing to change: give at least one field flag, e.g. --title.")
    expected = ctx.args.expect_version
    return contact, draft, contact.version if expected is None else expected


def cmd_contact_edit(ctx: Context) -> int:
    """Change the fields given as flags; an empty value clears a field."""
    _, draft, version = _read_for_change(ctx, Permission.EDIT, need_change=True)
    contact = ctx.service().edit(ctx.args.id, draft, version)
    _warn_about(ctx, draft)
    ctx.out.result(
        contact_to_doc(contact), [f"Saved contact {contact.id}.", *contact_lines(contact)]
    )
    return EXIT_OK


def cmd_contact_promote(ctx: Context) -> int:
    """Add to Contacts: make an ephemeral contact curated, with any field flags applied."""
    _, draft, version = _read_for_change(ctx, Permission.PROMOTE, need_change=False)
    contact = ctx.service().promote(ctx.args.id, draft, version)
    _warn_about(ctx, draft)
    ctx.out.result(
        contact_to_doc(contact), [f"Promoted contact {contact.id}.", *contact_lines(contact)]
    )
    return EXIT_OK


def cmd_contact_show(ctx: Context) -> int:
    """Show one contact; --history adds its audit trail."""
    service = ctx.service()
    contact = service.contact(ctx.args.id)
    if not ctx.args.history:
        ctx.out.result(contact_to_doc(contact), contact_lines(contact))
        return EXIT_OK
    records = service.audit(contact.id)
    ctx.out.result(
        {"contact": contact_to_doc(contact), "history": [audit_to_doc(r) for r in records]},
        [*contact_lines(contact), "", "History", *history_lines(records)],
    )
    return EXIT_OK


def _print_search(ctx: Context, query: str) -> int:
    result = ctx.service().search(query, limit=ctx.args.limit)
    ctx.out.result([contact_to_doc(c) for c in result.contacts], search_lines(result, query))
    return EXIT_OK


def cmd_contact_search(ctx: Context) -> int:
    """Find contacts by name, phone (typed any way) or email."""
    return _print_search(ctx, ctx.args.query)


def cmd_contact_list(ctx: Context) -> int:
    """List contacts in directory order."""
    return _print_search(ctx, "")


def cmd_contact_link(ctx: Context) -> int:
    """Link one of your interactions to a contact."""
    service = ctx.service()
    interaction = service.link(ctx.args.interaction_id, ctx.args.contact_id)
    ctx.out.result(
        interaction_to_doc(interaction),
        [f"Linked interaction {interaction.id} to {_contact_label(service, ctx.args.contact_id)}."],
    )
    return EXIT_OK


def cmd_contact_unlink(ctx: Context) -> int:
    """Detach one of your interactions from its contact."""
    interaction = ctx.service().unlink(ctx.args.interaction_id)
    ctx.out.result(interaction_to_doc(interaction), [f"Unlinked interaction {interaction.id}."])
    return EXIT_OK


# --- interaction commands ----------------------------------------------------------------------


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


# Keys of one JSON-lines import record.
IMPORT_KEYS = ("agent", "channel", "platform", "from", "name", "to", "cc", "subject", "transcript")


def _not_surrogate(key: str, value: str) -> str:
    # JSON can spell a lone surrogate ("\ud800"), which is not a character and cannot be stored.
    bad = lone_surrogate(value)
    if bad is not None:
        raise ValueError(f"{key!r} holds U+{ord(bad):04X}, a lone surrogate, not a character")
    return value


def _text_value(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be text, not {type(value).__name__}")
    return _not_surrogate(key, value)


def _texts_value(record: dict[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key!r} must be a list of texts")
    return tuple(_not_surrogate(key, v) for v in value)


def _choice(text: str, kind: type[Channel] | type[Platform], key: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        known = ", ".join(k.value for k in kind)
        raise ValueError(f"{key!r} is {text!r}; known: {known}") from None


def parse_import_record(line: str, default_agent: str) -> NewInteraction:
    """One JSON-lines record as a NewInteraction; ValueError says what is wrong with it.

    The shape rules the service applies (a message needs a platform, other channels have
    none, a sender is required) are checked here too, so that a file is refused as a whole
    before anything in it is imported.
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg} at column {err.colno})") from None
    except RecursionError:  # "[[[[..." thousands deep exhausts the parser's stack
        raise ValueError("not a record: its JSON is nested too deeply") from None
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    unknown = sorted(set(record) - set(IMPORT_KEYS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; known: {', '.join(IMPORT_KEYS)}")
    channel = _choice(_text_value(record, "channel"), Channel, "channel")
    platform_text = _text_value(record, "platform")
    platform = _choice(platform_text, Platform, "platform") if platform_text else None
    if (channel == Channel.MESSAGE) != (platform is not None):
        raise ValueError("a message needs a platform, and only a message has one")
    sender = _text_value(record, "from")
    if not sender.strip():
        raise ValueError("'from' (the sender) is required")
    return NewInteraction(
        agent=_text_value(record, "agent") or default_agent,
        channel=channel,
        sender=Participant(address=sender, name=_text_value(record, "name")),
        platform=platform,
        to=_texts_value(record, "to"),
        cc=_texts_value(record, "cc"),
        subject=_text_value(record, "subject"),
        transcript=_texts_value(record, "transcript"),
    )


def _parse_import_file(
    path: str,
    lines: Iterable[tuple[int, str | None]],
    default_agent: str,
    check: Callable[[NewInteraction], None],
) -> list[NewInteraction]:
    """Every record of an import file, each checked with ``check`` (the service's own rules
    and permissions) so that a bad record refuses the whole file before anything is saved; a
    record the user may not create refuses it at once with exit 3."""
    records: list[NewInteraction] = []
    problems: list[str] = []
    for number, line in lines:
        if line is None:
            problems.append(
                f"{path} line {number}: it is longer than {MAX_IMPORT_LINE_BYTES:,} bytes, "
                "more than one interaction may hold."
            )
            continue
        if not line.strip():
            continue
        try:
            record = parse_import_record(line, default_agent)
            check(record)
        except PermissionDenied as err:
            raise CliError(
                EXIT_PERMISSION, f"{path} line {number}: {err} Nothing was imported."
            ) from None
        except (ValueError, InvalidInput) as err:
            problems.append(f"{path} line {number}: {str(err).rstrip('.')}.")
        else:
            records.append(record)
    if problems:
        shown = problems[:20]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more bad lines.")
        raise CliError(EXIT_INVALID, *shown, "Nothing was imported; fix the file and retry.")
    return records


# An import file holds many interactions; this bounds the memory one run can take.
MAX_IMPORT_BYTES = 100_000_000
# One record (line) of an import file: the largest interaction with every character spelled as
# a six-byte \uXXXX escape, plus its keys and punctuation. A longer line is refused as it is
# read, without holding it in memory (a 90 MB transcript line once reached the store).
MAX_IMPORT_LINE_BYTES = 6 * MAX_INTERACTION_LENGTH + 100_000


def _open_input(path: str) -> BinaryIO:
    """``path`` opened for reading bytes ('-' is standard input); CliError when it cannot be."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise CliError(EXIT_INVALID, f"The file {path} does not exist.") from None
    except IsADirectoryError:
        raise CliError(EXIT_INVALID, f"{path} is a folder, not a file.") from None
    except OSError as err:
        raise CliError(EXIT_INVALID, f"Cannot read {path}: {err.strerror or err}.") from None


def _import_lines(path: str) -> Iterator[tuple[int, str | None]]:
    """The lines of a JSON-lines file ('-' is standard input), numbered from 1, as text; None
    for a line longer than MAX_IMPORT_LINE_BYTES, which is skipped unread. Memory stays bounded
    by one line: CliError when the file is larger than MAX_IMPORT_BYTES, binary, or not UTF-8.
    """
    what = "Standard input" if path == "-" else f"The file {path}"
    stream = _open_input(path)
    offset = 0  # of the line being read, in the file: for a message naming the byte
    try:
        for number in itertools.count(1):
            raw = stream.readline(MAX_IMPORT_LINE_BYTES + 2)  # the limit, then \r\n
            if not raw:
                return
            size, too_long = len(raw), len(raw.rstrip(b"\r\n")) > MAX_IMPORT_LINE_BYTES
            while too_long and not raw.endswith(b"\n") and offset + size <= MAX_IMPORT_BYTES:
                raw = stream.readline(MAX_IMPORT_LINE_BYTES)  # the rest of it, piece by piece
                size += len(raw)
                if not raw:
                    break
            if offset + size > MAX_IMPORT_BYTES:
                raise CliError(
                    EXIT_INVALID,
                    f"{what} is larger than {MAX_IMPORT_BYTES:,} bytes; it was not read.",
                )
            if too_long:
                yield number, None
            else:
                yield number, _decode_line(raw, number, offset, what)
            offset += size
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _decode_line(raw: bytes, number: int, offset: int, what: str) -> str:
    """One line of an import file as text, without its line end (or a leading byte-order mark
    on the first); CliError for binary data or bytes that are not UTF-8."""
    if b"\x00" in raw:
        raise CliError(EXIT_INVALID, f"{what} looks binary (it holds NUL bytes); give UTF-8 text.")
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw, offset = raw[len(codecs.BOM_UTF8) :], offset + len(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as err:
        raise CliError(
            EXIT_INVALID,
            f"{what} is not UTF-8 text (byte {offset + err.start} cannot be decoded).",
        ) from None


def cmd_interaction_import(ctx: Context) -> int:
    """Import a JSON-lines file of interactions: all lines are checked before any is saved."""
    path = ctx.args.file
    service = ctx.service()
    lines = _import_lines(path)

    def check(record: NewInteraction) -> None:
        service.require_intake(record.agent)
        service.check_interaction(record)

    records = _parse_import_file(path, lines, service.agent.user, check)
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
            f"Imported {len(done)} interaction{'s' if len(done) != 1 else ''} from {path}.",
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
    summary = f"{len(found)} {which}interaction{'s' if len(found) != 1 else ''} for {agent}."
    rows = (
        (i.id, i.state.value, i.channel_label, _when(i.started_at), i.from_.address) for i in found
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
        [f"Interaction {interaction.id} ended at {_when(interaction.ended_at)}."],
    )
    return EXIT_OK


# --- admin, expire, doctor, app ----------------------------------------------------------------


# --- import and export -------------------------------------------------------------------------

# Progress is drawn (on a terminal only) for files with more rows than this.
PROGRESS_ROWS = 300
# Problems and warnings printed before "... and N more" (--json lists them all).
MAX_PRINTED = 200


@contextlib.contextmanager
def _progress(ctx: Context, count: int) -> Iterator[Progress]:
    """A progress callback drawing a rich bar per phase on stderr, for imports and exports of
    more than a few hundred contacts run at a terminal; otherwise one that says nothing."""
    stderr = ctx.out.stderr
    if count <= PROGRESS_ROWS or ctx.out.json_mode or not stderr.isatty():
        yield no_progress
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(file=stderr),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done)

    with bar:
        yield progress


def _report_lines(path: str, report: ImportReport) -> list[str]:
    lines = [report.summary()]
    for label, writes in (("created", report.created), ("updated", report.updated)):
        if writes and len(writes) <= 20:
            lines.append(f"{label.capitalize()}:")
            lines.extend(
                f"  line {w.line}: {w.contact.display_name} ({w.contact.id})" for w in writes
            )
    return lines


def _import_exit_code(report: ImportReport, skip_invalid: bool) -> int:
    if not report.problems or (skip_invalid and not report.dry_run):
        return EXIT_OK
    kinds = {p.kind for p in report.problems}
    if "invalid" in kinds:
        return EXIT_INVALID
    return EXIT_PERMISSION if "permission" in kinds else EXIT_CONFLICT


def cmd_import(ctx: Context) -> int:
    """Import contacts from a Genesys JSON, CSV or vCard file, in one store transaction."""
    args = ctx.args
    path = args.file
    service = ctx.service()
    service.require(Permission.VIEW)  # refuse before reading a big file
    service.require(Permission.ADD)
    try:
        data = formats.read_bytes(path)
        name, parsed = formats.parse(path, data, args.format)
    except formats.ExchangeError as err:
        raise CliError(EXIT_INVALID, str(err), "Nothing was imported.") from None
    with _progress(ctx, len(parsed.rows)) as progress:
        report = service.import_contacts(
            parsed, dry_run=args.dry_run, skip_invalid=args.skip_invalid, progress=progress
        )
    for problem in report.problems[:MAX_PRINTED]:
        ctx.out.error(f"{path} {problem}")
    if len(report.problems) > MAX_PRINTED:
        ctx.out.error(f"... and {len(report.problems) - MAX_PRINTED} more (--json lists all).")
    for warning in report.warnings[:MAX_PRINTED]:
        ctx.out.warn(f"{path} {warning}")
    if len(report.warnings) > MAX_PRINTED:
        ctx.out.warn(f"... and {len(report.warnings) - MAX_PRINTED} more (--json lists all).")
    ctx.out.result(
        {
            "file": path,
            "format": name,
            "dryRun": report.dry_run,
            "written": report.written,
            "rows": report.rows,
            "created": [{"line": w.line, "id": w.contact.id} for w in report.created],
            "updated": [{"line": w.line, "id": w.contact.id} for w in report.updated],
            "unchanged": report.unchanged,
            "problems": [
                {"line": p.line, "kind": p.kind, "message": p.message} for p in report.problems
            ],
            "warnings": report.warnings,
        },
        _report_lines(path, report),
    )
    return _import_exit_code(report, args.skip_invalid)


def cmd_export(ctx: Context) -> int:
    """Write every contact the user may view, to a file (atomically) or standard output."""
    args = ctx.args
    contacts = ctx.service().export_contacts()
    write = formats.writer(args.format, args.vcard_version)
    with _progress(ctx, len(contacts)) as progress:
        text = write(formats.tracked(contacts, progress))
    what = f"{len(contacts):,} contact{'s' if len(contacts) != 1 else ''}"
    if args.output and args.output != "-":
        try:
            mode = formats.write_atomically(args.output, text)
        except formats.ExchangeError as err:
            raise CliError(EXIT_INVALID, str(err), "Nothing was exported.") from None
        ctx.out.warn_info(
            f"Exported {what} to {args.output} ({formats.FORMATS[args.format].title})."
        )
        if mode & 0o004:
            # The replaced file was readable by everyone and kept its mode; say so, since the
            # export holds customer data, rather than change a share someone set up.
            ctx.out.warn(
                f"{args.output} is readable by every user of this host (mode {mode:04o}); "
                f"run 'chmod o-rwx {args.output}' unless that is meant."
            )
        return EXIT_OK
    stdout = ctx.out.stdout
    if stdout.isatty():
        # On a terminal the export is for reading: customer text is shown, not obeyed.
        for line in text.splitlines():
            ctx.out.text(line)
    else:
        stdout.write(text)
        stdout.flush()
    return EXIT_OK


def cmd_admin_show(ctx: Context) -> int:
    """Effective settings and where each came from, the config, the store and who you are.

    Anyone may look: it shows nothing the config file does not, and an agent told
    'permission denied' needs to see their own roles.
    """
    service = ctx.service()
    config = service.config
    agent = service.agent
    # A value set with 'admin set' lives in the store and overrides the config's.
    default_source = "config" if config.source is not None else "built-in default"
    settings = {}
    for name in SETTINGS:
        source = default_source if service.repo.setting(name) is None else "store"
        settings[name] = {"value": service.setting(name), "source": source}
    permissions = sorted(p.value for p in agent.permissions)
    data = {
        "settings": settings,
        "config": config.describe_source(),
        "store": str(service.repo.path),
        "agent": {"user": agent.user, "roles": list(agent.roles), "permissions": permissions},
    }
    lines = fields(
        [
            ("Agent", agent.user),
            ("Roles", agent.role_label),
            ("Permissions", permissions[0] if permissions else "none"),
            *(("", p) for p in permissions[1:]),
            ("Config", config.describe_source()),
            ("Store", str(service.repo.path)),
        ]
    )
    lines += ["", "Settings"]
    lines += table(
        ("NAME", "VALUE", "FROM"),
        ((name, str(s["value"]), str(s["source"])) for name, s in settings.items()),
    )
    ctx.out.result(data, lines)
    return EXIT_OK


def cmd_admin_set(ctx: Context) -> int:
    """Change a setting for everyone using this store (admin permission)."""
    service = ctx.service()
    value = service.set_setting(ctx.args.name, ctx.args.value)
    ctx.out.result(
        {"name": ctx.args.name, "value": value},
        [f"{ctx.args.name} = {value} (saved in {service.repo.path}; applies to everyone)."],
    )
    return EXIT_OK


def cmd_expire(ctx: Context) -> int:
    """Remove ephemeral contacts past their time to live (admin permission)."""
    removed = ctx.service().expire_ephemeral()
    ctx.out.result(
        {"removed": removed, "count": len(removed)},
        [f"Removed {len(removed)} expired ephemeral contact{'s' if len(removed) != 1 else ''}."],
    )
    return EXIT_OK


def cmd_doctor(ctx: Context) -> int:
    """Check the store and say what is wrong; exit 6 when anything is an error.

    It reads the store path from the config and never opens the service, so it works on
    exactly the stores the other commands cannot open.
    """
    path = ctx.config().store_path
    if ctx.args.repair and (refusal := repair_refusal(path)):
        raise CliError(EXIT_CONFIG, refusal)  # root's writes in a group-writable folder
    findings = diagnose(path, repair=ctx.args.repair)
    ctx.out.result(
        [{"level": f.level, "message": f.message} for f in findings],
        [f"{f.level}: {f.message}" for f in findings],
    )
    return EXIT_UNREADABLE if any(f.level == "error" for f in findings) else EXIT_OK


def cmd_app(ctx: Context) -> int:
    """Start the full-screen app (imported late: the subcommands need no Textual)."""
    from contact_tui.ui.app import run_app

    ctx.config()  # a broken config is reported here, before the screen takes the terminal
    run_app(ctx.service)  # the store opens in the app, behind a drawn screen
    return EXIT_OK


HANDLERS: dict[str, Callable[[Context], int]] = {
    "app": cmd_app,
    "contact add": cmd_contact_add,
    "contact show": cmd_contact_show,
    "contact edit": cmd_contact_edit,
    "contact promote": cmd_contact_promote,
    "contact search": cmd_contact_search,
    "contact list": cmd_contact_list,
    "contact link": cmd_contact_link,
    "contact unlink": cmd_contact_unlink,
    "interaction new": cmd_interaction_new,
    "interaction import": cmd_interaction_import,
    "interaction list": cmd_interaction_list,
    "interaction show": cmd_interaction_show,
    "interaction end": cmd_interaction_end,
    "admin show": cmd_admin_show,
    "admin set": cmd_admin_set,
    "expire": cmd_expire,
    "doctor": cmd_doctor,
    "import": cmd_import,
    "export": cmd_export,
}

# --- the parser --------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def _version() -> str:
    try:
        return metadata.version("contact-tui")
    except metadata.PackageNotFoundError:
        return "(version unknown: not installed as a package)"


def _epilog() -> str:
    codes = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return (
        "Run with no command to start the app. The acting user is the operating-system user;\n"
        "their roles come from the admin config. A flag given twice takes its last value,\n"
        "except --to, --cc and --transcript, which collect every value. Options that take\n"
        "customer data can come from --values FILE (- = standard input) instead, out of\n"
        "sight of other users' ps: contact add/edit/promote and interaction new.\n\n"
        f"exit codes:\n{codes}"
    )


# A values file holds one command's options; a 1 MB transcript fits even as escaped JSON.
MAX_VALUES_BYTES = 2_000_000
VALUES_HELP = (
    "read options from FILE (- = standard input) instead of the command line: a JSON object "
    'keyed by option name without the dashes, e.g. {"first": "Sam", "cell-phone": "+1 317 555 '
    '0123", "work-sms": true, "transcript": ["line 1"]}; other users can see a command line '
    "(ps), not a file or standard input"
)
# Options a values file may not set: they are not data, and a file cannot name another file.
_NOT_IN_VALUES = frozenset({"help", "json", "values"})


def _json_kind(value: object) -> str:
    """What a JSON value is, in the words a message uses."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else "an object"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads would keep the last of two equal keys; which one the author meant is unknown.
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice")
        seen.add(key)
    return dict(pairs)


class ValuesParser(argparse.ArgumentParser):
    """A command's parser whose options can also come from a JSON object: ``--values FILE``.

    Customer data on a command line is visible to every user of the host (``ps``,
    /proc/PID/cmdline); in a file or on standard input it is not. Every option of a command
    that accepts values is a key, under its long name without the dashes, so an option added
    to the command later takes part with no second declaration. An option given both on the
    command line and in the file is refused: neither silently wins. Problems with the file are
    usage errors, reported as argparse reports a bad flag (exit 2), before anything is opened.
    """

    takes_values = False

    def accept_values(self) -> None:
        """Add ``--values FILE`` to this command; call after all its other options."""
        for action in self._value_options().values():
            if not isinstance(
                action,
                argparse._AppendAction | argparse._StoreAction | argparse.BooleanOptionalAction,
            ):  # a new kind of option needs a rule for its JSON type below
                raise TypeError(f"{action.option_strings[0]} cannot be given in --values")
        self.add_argument("--values", metavar="FILE", help=VALUES_HELP)
        self.takes_values = True

    def _value_options(self) -> dict[str, argparse.Action]:
        """Each option a values file may set, by its key: the long name without dashes."""
        options: dict[str, argparse.Action] = {}
        for action in self._actions:
            longs = [o for o in action.option_strings if o.startswith("--")]
            if longs and action.dest not in _NOT_IN_VALUES:
                options[longs[0].removeprefix("--")] = action
        return options

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse the command line, then merge the values file and check required options.

        Required options are checked after the merge, since the file may carry them.
        """
        if not self.takes_values:
            return super().parse_known_args(args, namespace)
        required = [a for a in self._actions if a.required and a.option_strings]
        for action in required:
            action.required = False
        try:
            parsed, extras = super().parse_known_args(args, namespace)
        finally:
            for action in required:
                action.required = True
        if parsed.values is not None:
            self._merge_values(parsed)
        missing = [a.option_strings[0] for a in required if getattr(parsed, a.dest) is None]
        if missing:
            self.error(
                f"the following arguments are required: {', '.join(missing)} (on the command "
                "line or in --values)"
            )
        return parsed, extras

    def _merge_values(self, parsed: argparse.Namespace) -> None:
        where = f"--values {printable(parsed.values)}"
        given = self._read_values(parsed.values, where)
        options = self._value_options()
        unknown = [key for key in given if key not in options]
        if unknown:
            self.error(
                f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(k) for k in unknown)}; the keys are this command's options "
                f"without the dashes: {', '.join(options)}"
            )
        twice = [key for key in given if getattr(parsed, options[key].dest) != options[key].default]
        if twice:
            self.error(
                f"{', '.join('--' + k for k in twice)} given both on the command line and in "
                f"{where}; give each in one place"
            )
        problems: list[str] = []
        for key, value in given.items():
            try:
                setattr(parsed, options[key].dest, self._convert(key, options[key], value))
            except ValueError as err:
                problems.append(str(err))
        if problems:
            self.error(f"{where}: {'; '.join(problems)}")

    def _read_values(self, path: str, where: str) -> dict[str, Any]:
        try:
            raw = formats.read_bytes(path, MAX_VALUES_BYTES)
        except formats.ExchangeError as err:
            self.error(f"{where}: {str(err).rstrip('.')}")
        try:
            doc = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_unique_keys)
        except UnicodeDecodeError as err:
            self.error(f"{where}: not UTF-8 text (byte {err.start} cannot be decoded)")
        except RecursionError:
            self.error(f"{where}: its JSON is nested too deeply")
        except json.JSONDecodeError as err:
            self.error(f"{where}: not valid JSON ({err.msg} at line {err.lineno})")
        except ValueError as err:  # _unique_keys
            self.error(f"{where}: {err}")
        if not isinstance(doc, dict):
            self.error(f"{where}: give a JSON object ({{...}}), not {_json_kind(doc)}")
        return doc

    @staticmethod
    def _convert(key: str, action: argparse.Action, value: object) -> Any:
        """``value`` as the option would hold it had it come from the command line."""
        if isinstance(action, argparse.BooleanOptionalAction):
            if not isinstance(value, bool):
                raise ValueError(f"{key!r} must be true or false, not {_json_kind(value)}")
            return value
        if isinstance(action, argparse._AppendAction):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f'{key!r} must be a list of texts, e.g. ["one", "two"]')
            return [_not_surrogate(key, v) for v in value]
        # A whole number may be written as a JSON number ("expect-version": 3).
        if isinstance(value, int) and not isinstance(value, bool) and action.type is not None:
            value = str(value)
        if not isinstance(value, str):
            raise ValueError(f"{key!r} must be text, not {_json_kind(value)}")
        converted: Any = _not_surrogate(key, value)
        if callable(action.type):
            try:
                converted = action.type(converted)
            except (ValueError, argparse.ArgumentTypeError) as err:
                raise ValueError(f"{key!r}: {err}") from None
        if action.choices is not None and converted not in action.choices:
            known = ", ".join(str(c) for c in action.choices)
            raise ValueError(f"{key!r} is {value!r}; known: {known}")
        return converted


def _add_contact_field_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("contact fields (an empty value clears a field)")
    for flag, _, help_text in CONTACT_FIELDS:
        group.add_argument(flag, dest=_dest(flag), metavar="TEXT", help=help_text)
    for kind, flag in SMS_FLAGS.items():
        group.add_argument(
            flag,
            dest=_dest(flag),
            action=argparse.BooleanOptionalAction,
            default=None,
            help=f"whether the {kind.label.lower()} phone accepts SMS",
        )
    group.add_argument(
        "--survey-opt-out",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the customer does not want surveys",
    )


def _command(
    sub: Any, name: str, command: str, help_text: str, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=help_text, parents=list(parents)
    )
    parser.set_defaults(command=command)
    return parser


def _add_contact_parsers(sub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    contact = sub.add_parser("contact", help="add, show, edit, promote, search, link contacts")
    csub = contact.add_subparsers(
        dest="contact_command", required=True, metavar="COMMAND", parser_class=ValuesParser
    )
    add = _command(csub, "add", "contact add", "create a curated contact", common)
    _add_contact_field_flags(add)
    add.add_argument("--interaction", metavar="ID", help="link the new contact to this interaction")
    cast(ValuesParser, add).accept_values()  # csub's parser_class
    show = _command(csub, "show", "contact show", "show a contact", common)
    show.add_argument("id", metavar="ID")
    show.add_argument("--history", action="store_true", help="add the contact's audit trail")
    for name, verb in (("edit", "change a contact's fields"), ("promote", "add to Contacts")):
        parser = _command(csub, name, f"contact {name}", verb, common)
        parser.add_argument("id", metavar="ID")
        parser.add_argument(
            "--expect-version",
            type=_positive_int,
            metavar="N",
            help="refuse (exit 4) unless the contact is still at version N; without it, the "
            "version just read is used, so a change made meanwhile is still refused",
        )
        _add_contact_field_flags(parser)
        cast(ValuesParser, parser).accept_values()
    search = _command(csub, "search", "contact search", "find contacts", common)
    search.add_argument("query", metavar="QUERY", help='name, phone or email; "quoted" = literal')
    listing = _command(csub, "list", "contact list", "list contacts in directory order", common)
    for parser in (search, listing):
        parser.add_argument("--limit", type=_positive_int, default=DEFAULT_LIMIT, metavar="N")
    link = _command(csub, "link", "contact link", "link an interaction to a contact", common)
    link.add_argument("interaction_id", metavar="INTERACTION_ID")
    link.add_argument("contact_id", metavar="CONTACT_ID")
    unlink = _command(csub, "unlink", "contact unlink", "unlink an interaction", common)
    unlink.add_argument("interaction_id", metavar="INTERACTION_ID")


def _add_interaction_parsers(sub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    interaction = sub.add_parser("interaction", help="hand over, list, show and end interactions")
    isub = interaction.add_subparsers(
        dest="interaction_command", required=True, metavar="COMMAND", parser_class=ValuesParser
    )
    new = _command(isub, "new", "interaction new", "hand an interaction to an agent", common)
    new.add_argument(
        "--agent",
        metavar="USER",
        help=f"who it is routed to (default: you; another agent needs {Permission.ROUTE.value})",
    )
    new.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    new.add_argument("--platform", choices=[p.value for p in Platform], help="for messages")
    new.add_argument(
        "--from", dest="sender", required=True, metavar="VALUE", help="number, address or id"
    )
    new.add_argument("--name", metavar="TEXT", help="the sender's display name")
    new.add_argument("--to", action="append", metavar="VALUE", help="repeatable")
    new.add_argument("--cc", action="append", metavar="VALUE", help="repeatable")
    new.add_argument("--subject", metavar="TEXT")
    new.add_argument("--transcript", action="append", metavar="LINE", help="repeatable")
    new.add_argument(
        "--transcript-file", metavar="PATH", help="UTF-8 text up to 1 MB, one line each; - = stdin"
    )
    cast(ValuesParser, new).accept_values()  # isub's parser_class
    imp = _command(isub, "import", "interaction import", "import a JSON-lines file", common)
    imp.add_argument(
        "file",
        metavar="FILE",
        help=f"one object per line with keys {', '.join(IMPORT_KEYS)}; - = stdin",
    )
    listing = _command(isub, "list", "interaction list", "list an agent's interactions", common)
    listing.add_argument(
        "--agent",
        metavar="USER",
        help=f"whose (default: yours; another's needs {Permission.VIEW_ALL_INTERACTIONS.value})",
    )
    listing.add_argument("--all-states", action="store_true", help="include ended interactions")
    for name, verb in (("show", "show an interaction"), ("end", "end one of your interactions")):
        parser = _command(isub, name, f"interaction {name}", verb, common)
        parser.add_argument("id", metavar="ID")


def _add_admin_parsers(sub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser("admin", help="show or change admin settings")
    asub = admin.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")
    _command(asub, "show", "admin show", "settings, config, store and your roles", common)
    set_ = _command(asub, "set", "admin set", "change a setting (admin permission)", common)
    set_.add_argument(
        "name",
        choices=list(SETTINGS),
        metavar="NAME",
        help="; ".join(f"{n}: {spec[2]}" for n, spec in SETTINGS.items()),
    )
    set_.add_argument("value", metavar="VALUE")


def _add_exchange_parsers(sub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    names = list(formats.FORMATS)
    imp = _command(
        sub,
        "import",
        "import",
        "import contacts from a Genesys JSON, CSV or vCard file (one transaction)",
        common,
    )
    imp.add_argument("file", metavar="FILE", help="the file to read; - = standard input")
    imp.add_argument(
        "--format",
        choices=names,
        help="the file's format (default: from its suffix .json/.csv/.vcf, else its content)",
    )
    imp.add_argument(
        "--dry-run", action="store_true", help="check and match every row, write nothing"
    )
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the good rows even if some are bad (default: a bad row stops everything)",
    )
    exp = _command(sub, "export", "export", "export the contacts you may view", common)
    exp.add_argument("--format", choices=names, required=True)
    exp.add_argument(
        "--vcard-version",
        choices=list(formats.VCARD_VERSIONS),
        default="4.0",
        metavar="V",
        help="vCard version to write: 4.0 (default) or 3.0",
    )
    exp.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write here, replacing the file all at once (default: standard output)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for the whole command tree."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A terminal app for contact-centre agents, and its scriptable commands.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="admin config to use when there is no system config (/etc/contact-tui wins)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.set_defaults(command="app")
    # --json is also accepted after the subcommand; SUPPRESS keeps the global value otherwise.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    sub = parser.add_subparsers(dest="group", metavar="COMMAND")
    _add_contact_parsers(sub, [common])
    _add_interaction_parsers(sub, [common])
    _add_admin_parsers(sub, [common])
    _command(sub, "expire", "expire", "remove expired ephemeral contacts (admin)", [common])
    _add_exchange_parsers(sub, [common])
    doctor = _command(sub, "doctor", "doctor", "check the store and say what is wrong", [common])
    doctor.add_argument(
        "--repair", action="store_true", help="fix what can be fixed without losing anything"
    )
    return parser


# --- running -----------------------------------------------------------------------------------


def _report_invalid(out: Output, err: InvalidInput) -> None:
    if not err.errors:
        out.error(str(err))
        return
    for field_id, message in err.errors.items():
        out.error(f"{flag_for(field_id)}: {message}")


def _report_conflict(out: Output, err: ConflictError) -> None:
    out.error(
        f"{err} Nothing was saved; see the contact with 'contact-tui contact show "
        f"{err.contact_id}' and make your change again."
    )


def _run(ctx: Context) -> int:
    """Run the chosen handler and turn every error a user can cause into its exit code."""
    out = ctx.out
    try:
        return HANDLERS[ctx.args.command](ctx)
    except CliError as err:
        for line in err.lines:
            out.error(line)
        return err.code
    except InvalidInput as err:
        _report_invalid(out, err)
        return EXIT_INVALID
    except PermissionDenied as err:
        out.error(str(err))
        return EXIT_PERMISSION
    except ConflictError as err:
        _report_conflict(out, err)
        return EXIT_CONFLICT
    except NotFound as err:
        out.error(str(err))
        return EXIT_NOT_FOUND
    except StoreUnreadable as err:
        out.error(str(err))
        return EXIT_UNREADABLE
    except StoreUnavailable as err:
        out.error(str(err))
        return EXIT_UNAVAILABLE
    except ConfigError as err:
        out.error(str(err))
        return EXIT_CONFIG
    except PermissionError as err:
        # The OS refused a file (a user outside the store's group): say which and whom to ask.
        store_path = ctx._config.store_path if ctx._config is not None else None
        out.error(no_access_message(err, store_path))
        return EXIT_UNAVAILABLE


def _exit_code(code: object) -> int:
    """argparse's SystemExit code as an int (None means success)."""
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_INVALID


def main(argv: list[str] | None = None) -> int:
    """Run ``contact-tui`` with ``argv`` (default: the process's); returns the exit code.

    The console script passes the result to ``sys.exit``; tests call this in-process.
    """
    stdout, stderr = sys.stdout, sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # usage errors (2), --help and --version (0)
        return _exit_code(exit_.code)
    ctx = Context(args, Output(args.json, stdout, stderr))
    try:
        return _run(ctx)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as err:
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc(file=stderr)
        ctx.out.error(
            f"internal error: {type(err).__name__}: {err}; rerun with {DEBUG_ENV}=1 for a traceback"
        )
        return EXIT_INTERNAL
    finally:
        ctx.close()


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
