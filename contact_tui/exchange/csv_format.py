"""Contacts as CSV: one row per contact, one column per field, Genesys camelCase names.

The documented header is :data:`COLUMNS` (``columns_markdown()`` renders it for the README and
the CLI help). :func:`write_csv` always writes exactly that header; its ``notes`` column holds
the contact's notes (documents of their own, oldest first) with a line holding only ``---``
between two of them (:func:`join_notes`), which :func:`read_csv` splits back into notes
(:func:`split_notes`); an import adds each note the contact does not have yet, so importing an
export again adds none. Another program's notes column is one note. :func:`read_csv` is
forgiving about what spreadsheets and CRMs produce:

* Header names match ignoring case, spaces, underscores, hyphens and dots ("First Name",
  "first_name" and "firstName" are the same column), plus the short alias list in ``COLUMNS``.
* Outlook's, Google Contacts' (legacy and current) and Thunderbird's exports are recognised by
  their header and read by their own column names (see "other programs' exports" below).
* Columns that match nothing are summed up in one warning that names those with a value.
* Comma-separated by default; a header line with no comma but with semicolons or tabs (what
  European Excel saves) is read with that separator, and an Excel ``sep=;`` first line is obeyed.
* UTF-8 with or without a byte-order mark; quoted cells may hold commas, quotes and newlines.
  ``ImportRow.line`` is the physical line where a record starts, and ``field_lines`` the line
  of each field whose cell is further down (after a quoted note of several lines). A record
  shorter than the header has its missing trailing cells empty (as Excel, Google and Python's
  csv read it).
* Excel conventions: ``="0123"`` is the text 0123; a phone cell Excel turned into scientific
  notation (``1.21255E+10``) is an error for that field, as the digits are lost.

Formula-injection guard (OWASP "CSV injection"): when writing, any cell whose text starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return -- after any run of apostrophes -- gets
one leading apostrophe, so a spreadsheet shows it as text instead of running it as a formula.
International phone numbers ("+1 212-555-0199") are not: digits, spaces and dashes are
arithmetic at worst, and phone columns stay readable. When reading, one apostrophe
is removed from a cell that is one or more apostrophes followed by one of those characters.
The two rules are exact inverses, so every value survives a round trip unchanged (a name that
really starts with ``'=`` is written ``''=`` and read back as ``'=``).

Control characters: whatever the store holds (a store written by an older version can hold an
escape sequence or a right-to-left override in a name), the written file holds no control,
format or bidi character but its own line breaks. Each one is written as its visible ``\\x1b``
or ``\\u202e`` escape (:func:`contact_tui.domain.text.printable`, what the screen shows too);
notes keep their line feeds. Reading does not undo the escapes: the file re-imports, and the
text shows what was there.

The written text uses ``\\r\\n`` line ends (RFC 4180; what spreadsheets expect) while newlines
inside notes are kept as they are, inside quotes. Write it with ``newline=""`` (or as bytes) so
the line ends are not translated, and encode it as UTF-8 without a byte-order mark.

Readers do not apply the contact rules (see :mod:`contact_tui.exchange.rows`): names, phones and
emails are passed on as text for the importer to check with the form's rules. A row is another
program's (``ImportRow.other_program``: a phone or email that is none is left out with a
warning, :mod:`contact_tui.exchange.details`) unless it has an id, a type and a version, as
every row our export writes does; the dialect reader applies that rule itself before placing
values by label, so the next value may take the slot.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, TypeVar

from contact_tui.domain.codec import format_date, parse_date
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.fields import (
    FIELD_BY_ID,
    FIELDS,
    TEXT_FIELDS,
    Field,
    FieldKind,
    fields_of,
)
from contact_tui.domain.model import (
    Contact,
    ContactType,
    EmailKind,
    MessagingIdentity,
    Note,
    PhoneKind,
    PhoneNumber,
    Platform,
)
from contact_tui.domain.text import printable, printable_lines
from contact_tui.exchange.details import email_left_out, phone_left_out
from contact_tui.exchange.rows import (
    NO_NOTES,
    FileFormatError,
    FileProblem,
    ImportRow,
    NotesByContact,
    ParsedFile,
    decode,
)

__all__ = [
    "COLUMNS",
    "GENESYS",
    "GOOGLE",
    "GOOGLE_LEGACY",
    "HEADER",
    "OUTLOOK",
    "THUNDERBIRD",
    "Column",
    "columns_markdown",
    "detect_dialect",
    "join_notes",
    "read_csv",
    "split_notes",
    "write_csv",
]


@dataclass(frozen=True)
class Column:
    """One documented CSV column: its header name, what it holds, and other names read as it."""

    name: str
    description: str
    aliases: tuple[str, ...] = ()


_IDS_HINT = "separated by spaces"

COLUMNS: Final[tuple[Column, ...]] = (
    Column("id", "Contact id: matched first when importing, and kept for a new contact"),
    Column("type", "Ephemeral, Identified or Curated; empty leaves it to the importer"),
    # The contact's fields, from the field table: names, phones, emails, address, and more.
    *(Column(f.column, f.column_help, f.aliases) for f in FIELDS),
    Column(
        "notes",
        "The contact's notes, oldest first, one after another with a line holding only --- "
        "between them; may span several lines inside quotes",
    ),
    Column("whatsAppId", "WhatsApp number, e.g. +447700900123"),
    Column("whatsAppDisplayName", "WhatsApp display name"),
    Column("facebookIds", f"Facebook page-scoped ids, {_IDS_HINT}"),
    Column("facebookDisplayName", "Facebook display name"),
    Column("twitterId", "X user id"),
    Column("twitterScreenName", "X handle (screen name), without the @"),
    Column("twitterName", "X display name"),
    Column("lineIds", f"LINE user ids, {_IDS_HINT}"),
    Column("lineDisplayName", "LINE display name"),
    Column("instagramIds", f"Instagram scoped ids, {_IDS_HINT}"),
    Column("instagramHandle", "Instagram handle, without the @"),
    Column("instagramDisplayName", "Instagram display name"),
    Column("webChatIds", f"Web-chat cookie ids, {_IDS_HINT}"),
    Column("webChatDisplayName", "Web-chat display name"),
    Column(
        "createDate", "When the contact was created: ISO-8601 UTC, e.g. 2026-11-28T09:30:15.123Z"
    ),
    Column("modifyDate", "When the contact was last changed (ISO-8601, as createDate)"),
    Column("version", "The contact's version when exported: a whole number"),
)

HEADER: Final[tuple[str, ...]] = tuple(c.name for c in COLUMNS)

# The alias read as otherEmail only when no other column of the file is an email column;
# next to workEmail or personalEmail, "Email" could mean either, so it is not guessed.
_EMAIL_ALIAS: Final = "email"


@dataclass(frozen=True)
class _Identity:
    """The columns of one messaging platform."""

    ids: str
    display_name: str
    handle: str | None  # None: the platform has no handle column
    single: bool  # the platform holds one id (WhatsApp number, X user id)


_IDENTITIES: Final[dict[Platform, _Identity]] = {
    Platform.WHATSAPP: _Identity("whatsAppId", "whatsAppDisplayName", None, True),
    Platform.FACEBOOK: _Identity("facebookIds", "facebookDisplayName", None, False),
    Platform.TWITTER: _Identity("twitterId", "twitterName", "twitterScreenName", True),
    Platform.LINE: _Identity("lineIds", "lineDisplayName", None, False),
    Platform.INSTAGRAM: _Identity("instagramIds", "instagramDisplayName", "instagramHandle", False),
    Platform.WEBCHAT: _Identity("webChatIds", "webChatDisplayName", None, False),
}

_FIELD_OF_COLUMN: Final[dict[str, Field]] = {f.column: f for f in FIELDS}
_SMS_OF_PHONE: Final[dict[PhoneKind, Field]] = {f.phone_kind: f for f in fields_of(FieldKind.SMS)}


def _field_id(column: str) -> str | None:
    """The ImportRow field id a column fills (see rows.ALL_FIELDS), or None for bookkeeping."""
    if column in _FIELD_OF_COLUMN:
        return _FIELD_OF_COLUMN[column].id
    for platform, spec in _IDENTITIES.items():
        if column in (spec.ids, spec.display_name, spec.handle):
            return f"identity.{platform.value}"
    return None


def columns_markdown() -> str:
    """The documented header as a Markdown table, in column order, with the other names read."""
    lines = ["| Column | What it holds | Also read from |", "| --- | --- | --- |"]
    for column in COLUMNS:
        aliases = ", ".join(f"`{a}`" for a in column.aliases)
        lines.append(f"| `{column.name}` | {column.description} | {aliases} |")
    return "\n".join(lines) + "\n"


# --- writing ---------------------------------------------------------------------------------

_NEEDS_GUARD = re.compile(r"'*[=+\-@\t\r]")
_GUARDED = re.compile(r"'+[=+\-@\t\r]")


# An international number ("+1 212-555-0199 ext. 12") is arithmetic at worst, never a
# function call, so it is written as it is: phone columns stay clean for the people reading them.
_PLAIN_NUMBER = re.compile(r"\+[\d \-().]+(?: ?(?:ext\.?|x) ?\d+)?")


def _guard(text: str) -> str:
    """Prefix an apostrophe so a spreadsheet does not run the cell as a formula."""
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text if _NEEDS_GUARD.match(text) else text


# Our notes column holds a contact's notes, oldest first, with a line holding only
# NOTE_SEPARATOR between two notes. A line of a note that is the separator, or the separator
# after backslashes (spaces around it aside), is written with one more backslash in front,
# which reading takes off again: every note comes back as it was.
NOTE_SEPARATOR: Final = "---"
_ESCAPED_SEPARATOR = re.compile(r"\\*---")


def join_notes(texts: Iterable[str]) -> str:
    """The notes column's cell for notes ``texts`` (oldest first); :func:`split_notes`
    gives them back."""
    return f"\n\n{NOTE_SEPARATOR}\n\n".join(
        "\n".join(_escape_separator(line) for line in text.split("\n")) for text in texts
    )


def _escape_separator(line: str) -> str:
    if not _ESCAPED_SEPARATOR.fullmatch(line.strip()):
        return line
    start = len(line) - len(line.lstrip())
    return f"{line[:start]}\\{line[start:]}"


def split_notes(cell: str) -> list[str]:
    """The notes a notes cell holds (see :func:`join_notes`), blank ones left out. The blank
    line on each side of a separator is the separator's, when there is one (a cell typed
    by hand may have none)."""
    notes: list[str] = []
    lines: list[str] = []
    after_separator = False
    for line in _LINE_BREAKS.split(cell):
        bare = line.strip()
        if bare == NOTE_SEPARATOR:
            notes.append("\n".join(lines[:-1] if lines and not lines[-1] else lines))
            lines = []
            after_separator = True
            continue
        if after_separator and not line:
            after_separator = False
            continue
        after_separator = False
        lines.append(line.replace("\\", "", 1) if _ESCAPED_SEPARATOR.fullmatch(bare) else line)
    notes.append("\n".join(lines))
    return [note for note in notes if note.strip()]


def _printable(column: str, text: str) -> str:
    """A cell's text without control characters (see the module notes); notes keep their
    line feeds."""
    return printable_lines(text) if column == "notes" else printable(text)


def _phone_text(phone: PhoneNumber | None) -> str:
    if phone is None:
        return ""
    # As ContactDraft.from_contact: international form when searchable, else as typed.
    return phone.display if phone.searchable else (phone.user_input or phone.display)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _cell(contact: Contact, spec: Field) -> str:
    """One field's cell: text as stored, a phone as :func:`_phone_text`, a flag as true/false
    (an SMS flag is empty when its slot has no number)."""
    if spec.kind == FieldKind.PHONE:
        return _phone_text(contact.phone(spec.phone_kind))
    if spec.kind == FieldKind.SMS:
        phone = contact.phone(spec.phone_kind)
        return "" if phone is None else _flag(phone.accepts_sms)
    if spec.kind == FieldKind.FLAG:
        return _flag(getattr(contact, spec.attr))
    holder = contact.address if spec.kind == FieldKind.ADDRESS else contact
    return str(getattr(holder, spec.attr))


def _row(contact: Contact, notes: Sequence[Note]) -> dict[str, str]:
    row: dict[str, str] = {
        "id": contact.id,
        "type": contact.type.value,
        **{spec.column: _cell(contact, spec) for spec in FIELDS},
        "notes": join_notes(note.text for note in notes),
        "createDate": format_date(contact.create_date) if contact.create_date else "",
        "modifyDate": format_date(contact.modify_date) if contact.modify_date else "",
        "version": str(contact.version),
    }
    for platform, spec in _IDENTITIES.items():
        identity = contact.identity(platform)
        if identity is not None:
            row[spec.ids] = " ".join(identity.ids)
            row[spec.display_name] = identity.display_name
            if spec.handle is not None:
                row[spec.handle] = identity.handle
    return row


def write_csv(contacts: Iterable[Contact], notes: NotesByContact = NO_NOTES) -> str:
    """The documented header and one row per contact, as RFC 4180 text (``\\r\\n`` line ends);
    each contact's notes (``notes``, by contact id) are in its notes cell (:func:`join_notes`).

    Phones are written in international form when searchable, so reading the file back under
    any default country gives the same E.164; other numbers are written as typed. Control
    characters are escaped and every cell is formula-guarded (see the module docstring).
    Encode the result as UTF-8.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for contact in contacts:
        row = _row(contact, notes.get(contact.id, ()))
        writer.writerow([_guard(_printable(name, row.get(name, ""))) for name in HEADER])
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------------


def _key(name: str) -> str:
    """A header name reduced for matching: no case, spaces, underscores, hyphens or dots."""
    return re.sub(r"[\s_.\-\ufeff]+", "", name).casefold()


_BY_KEY: Final[dict[str, str]] = {
    _key(alias): column.name
    for column in COLUMNS
    for alias in (column.name, *column.aliases)
    if alias != _EMAIL_ALIAS
}
_EMAIL_COLUMNS: Final = frozenset(f.column for f in fields_of(FieldKind.EMAIL))

_EXCEL_TEXT = re.compile(r'="((?:[^"]|"")*)"', re.DOTALL)
_EXCEL_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[^\S\r\n]*(?:\r\n|\r|\n))+")
_WHOLE_NUMBER = re.compile(r"[0-9]+")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_TRUE: Final = frozenset({"true", "yes", "y", "1", "x"})
_FALSE: Final = frozenset({"false", "no", "n", "0", ""})
_DELIMITER_NAMES: Final = {";": "semicolons", "\t": "tabs", ",": "commas", "|": "bars"}


def _clean(raw: str, *, notes: bool = False) -> str:
    """A cell's text: stripped, Excel's ="..." unwrapped, our formula guard removed.

    Notes lose only leading blank lines and trailing whitespace, so indentation is kept.
    """
    text = _LEADING_BLANK_LINES.sub("", raw).rstrip() if notes else raw.strip()
    excel = _EXCEL_TEXT.fullmatch(text)
    if excel is not None:
        return excel.group(1).replace('""', '"')
    if _GUARDED.match(text):
        return text[1:]
    return text


@dataclass
class _Header:
    """Which cell of a record holds each documented column."""

    line: int
    width: int
    index: dict[str, int]  # canonical column name -> cell index
    unnamed: set[int] = field(default_factory=set)  # empty header cells
    warnings: list[str] = field(default_factory=list)
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (cell index, name)
    names: dict[str, str] = field(default_factory=dict)  # canonical -> as the file names it

    def present(self) -> frozenset[str]:
        return frozenset(f for c in self.index if (f := _field_id(c)) is not None)


def _expected_header() -> str:
    return ",".join(HEADER)


def _read_header(cells: list[str], line: int) -> _Header:
    index: dict[str, int] = {}
    names: dict[str, str] = {}  # canonical -> the name the file used
    unnamed: set[int] = set()
    unknown: list[tuple[int, str]] = []
    email_alias: list[tuple[int, str]] = []
    for i, raw in enumerate(cells):
        name = _clean(raw)
        key = _key(name)
        if not key:
            unnamed.add(i)
            continue
        if key == _EMAIL_ALIAS:
            email_alias.append((i, name))
            continue
        column = _BY_KEY.get(key)
        if column is None:
            unknown.append((i, name))
            continue
        if column in index:
            raise FileFormatError(
                line,
                f"column {i + 1} '{name}' repeats column {index[column] + 1} "
                f"'{names[column]}' (both are {column}); remove one of them",
            )
        index[column] = i
        names[column] = name
    for i, name in email_alias:
        if _EMAIL_COLUMNS.isdisjoint(index):
            index["otherEmail"] = i
            names["otherEmail"] = name
        elif "otherEmail" in index and not {"workEmail", "personalEmail"} & set(index):
            raise FileFormatError(
                line,
                f"column {i + 1} '{name}' repeats column {index['otherEmail'] + 1} "
                f"'{names['otherEmail']}' (both are otherEmail); remove one of them",
            )
        else:
            unknown.append((i, name))
    if not {"id", "firstName", "lastName"} & set(index):
        raise FileFormatError(
            line,
            "the header row has no id, firstName or lastName column, so this does not look "
            f"like a contact file; the first line should be the header: {_expected_header()}",
        )
    warnings = [
        f"column {i + 1} '{name}' could be any of the email columns; its values are not imported"
        for i, name in unknown
        if _key(name) == _EMAIL_ALIAS
    ]
    others = sorted((i, name) for i, name in unknown if _key(name) != _EMAIL_ALIAS)
    return _Header(line, len(cells), index, unnamed, warnings, others, names)


def _delimiter(text: str) -> tuple[str, str | None, int]:
    """(delimiter, a warning or None, lines to skip): comma unless the header says otherwise."""
    lines = re.split(r"\r\n|\r|\n", text)
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    header = lines[first] if lines else ""
    hint = re.fullmatch(r"\s*sep=(.)\s*", header, re.IGNORECASE)
    if hint is not None:
        sep = hint.group(1)
        name = _DELIMITER_NAMES.get(sep, f"'{sep}'")
        note = f"the file's first line says 'sep={sep}', so it is read as separated by {name}"
        return sep, (note if sep != "," else None), first + 1
    if "," in header:
        return ",", None, 0
    counts = {sep: header.count(sep) for sep in (";", "\t")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        return ",", None, 0
    return (
        sep,
        f"the header has no commas but has {_DELIMITER_NAMES[sep]} (as European Excel saves "
        f"CSV), so the file is read as separated by {_DELIMITER_NAMES[sep]}",
        0,
    )


def _csv_problem(err: csv.Error, start: int, now: int) -> FileProblem:
    reason = str(err)
    if "field larger than field limit" in reason:
        message = (
            f"a cell is longer than {csv.field_size_limit():,} characters, which no contact "
            "field allows (is a quote missing?)"
        )
    elif "unexpected end of data" in reason:
        message = (
            "a quoted cell in the record starting here is never closed, so the file ends "
            'inside it; close the quote, or double any quote inside a cell ("")'
        )
    else:
        where = "" if now == start else f" (at line {now})"
        message = f'broken quoting{where}: {reason}; a quote inside a cell must be doubled ("")'
    return FileProblem(start, message + "; reading stopped here")


def _records(
    reader: Iterator[list[str]], line_num: Callable[[], int], problems: list[FileProblem]
) -> Iterator[tuple[int, list[str]]]:
    """(start line, cells) per non-blank record; a csv.Error becomes a problem and ends it."""
    while True:
        start = line_num() + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            problems.append(_csv_problem(err, start, line_num()))
            return
        if any(cell.strip() for cell in cells):
            yield start, cells


def _cell_lines(start: int, cells: list[str]) -> list[int] | None:
    """The line each cell of the record starting on line ``start`` begins on; None when the
    record is on one line, as nearly all are. A quoted cell with line breaks (a note) moves
    the cells after it down, and a problem with one of those must name its own line."""
    if not any("\n" in cell or "\r" in cell for cell in cells):
        return None
    lines = []
    line = start
    for cell in cells:
        lines.append(line)
        line += len(_LINE_BREAKS.findall(cell))
    return lines


def _bool(text: str) -> bool | None:
    lowered = text.casefold()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


class _RowReader:
    """Turns one record into an ImportRow, collecting per-field errors."""

    def __init__(self, header: _Header, line: int, cells: list[str]) -> None:
        self.header = header
        self.cells = cells
        # Our own header: the names are always in their own columns.
        self.row = ImportRow(
            line=line, draft=ContactDraft(), present=header.present(), names_placed=True
        )
        lines = _cell_lines(line, cells)
        if lines is not None:
            self.row.field_lines = self._field_lines(lines)

    def _field_lines(self, lines: list[int]) -> dict[str, int]:
        """The line of each field's cell (by the field ids errors use; a messaging identity
        is where its ids are)."""
        ids_columns = {spec.ids for spec in _IDENTITIES.values()}
        found: dict[str, int] = {}
        for column, i in self.header.index.items():
            field_id = _field_id(column) or column  # "id", "type", "version", the dates
            if field_id not in found or column in ids_columns:
                found[field_id] = lines[i]
        return found

    def has(self, column: str) -> bool:
        return column in self.header.index

    def text(self, column: str) -> str:
        i = self.header.index.get(column)
        if i is None or i >= len(self.cells):
            return ""
        return _clean(self.cells[i], notes=column == "notes")

    def flag(self, column: str, field_id: str) -> bool:
        text = self.text(column)
        value = _bool(text)
        if value is None:
            self.row.errors[field_id] = f"'{text}' is not yes or no"
            return False
        return value

    def read(self) -> ImportRow:
        row, draft = self.row, self.row.draft
        row.contact_id = self.text("id")
        self.read_bookkeeping()
        # Our export writes an id, a type and a version on every row: such a row describes
        # the whole contact (see rows.ImportRow.other_program). Another program's row in our
        # column names (a CRM's, a hand-made one) only loses a phone or email that is none.
        row.other_program = not (row.contact_id and self.text("type") and self.text("version"))
        names = self.header.names
        row.field_sources = {
            spec.id: f"{names[spec.column]} (column {self.header.index[spec.column] + 1})"
            for spec in (*fields_of(FieldKind.PHONE), *fields_of(FieldKind.EMAIL))
            if self.has(spec.column)
        }
        for spec in TEXT_FIELDS:
            if self.has(spec.column):
                setattr(draft, spec.attr, self.text(spec.column))
        row.contact_notes = split_notes(self.text("notes"))
        for spec in fields_of(FieldKind.PHONE):
            sms = _SMS_OF_PHONE[spec.phone_kind]
            if not (self.has(spec.column) or self.has(sms.column)):
                continue
            number = self.text(spec.column)
            if _EXCEL_SCIENTIFIC.fullmatch(number):
                row.errors[spec.id] = (
                    f"Excel turned this number into {number}; "
                    "format the column as Text and export again"
                )
            accepts = self.flag(sms.column, sms.id) if self.has(sms.column) else False
            draft.phones[spec.phone_kind] = PhoneDraft(number, accepts)
        for spec in fields_of(FieldKind.EMAIL):
            if self.has(spec.column):
                draft.emails[spec.email_kind] = self.text(spec.column)
        for spec in fields_of(FieldKind.ADDRESS):
            if self.has(spec.column):
                draft.address[spec.part] = self.text(spec.column)
        for spec in fields_of(FieldKind.FLAG):
            if self.has(spec.column):
                setattr(draft, spec.attr, self.flag(spec.column, spec.id))
        for platform, columns in _IDENTITIES.items():
            self.read_identity(platform, columns)
        return row

    def read_bookkeeping(self) -> None:
        row = self.row
        kind = self.text("type")
        if kind:
            match = next((t for t in ContactType if t.value.casefold() == kind.casefold()), None)
            if match is None:
                row.errors["type"] = f"'{kind}' is not Ephemeral, Identified or Curated"
            row.type = match
        version = self.text("version")
        if version:
            if _WHOLE_NUMBER.fullmatch(version):
                row.version = int(version)
            else:
                row.errors["version"] = f"'{version}' is not a whole number (0, 1, 2, ...)"
        row.create_date = self.date("createDate")
        row.modify_date = self.date("modifyDate")

    def date(self, column: str) -> datetime | None:
        text = self.text(column)
        try:
            return parse_date(text)
        except ValueError:
            self.row.errors[column] = (
                f"'{text}' is not a date and time like 2026-11-28T09:30:15.123Z"
            )
            return None

    def read_identity(self, platform: Platform, spec: _Identity) -> None:
        ids = tuple(self.text(spec.ids).split())
        display_name = self.text(spec.display_name)
        handle = self.text(spec.handle) if spec.handle is not None else ""
        field_id = f"identity.{platform.value}"
        if not ids:
            if display_name or handle:
                self.row.warnings.append(
                    f"{platform.label}: {spec.ids} is empty, so the {platform.label} name and "
                    "handle on this row are not imported"
                )
            return
        if spec.single and len(ids) > 1:
            self.row.errors[field_id] = (
                f"{platform.label} holds one id; {spec.ids} has {len(ids)}: {' '.join(ids)}"
            )
            return
        self.row.identities[platform] = MessagingIdentity(platform, ids, display_name, handle)


# --- other programs' exports ------------------------------------------------------------------
#
# Outlook, Google Contacts (its legacy and its current header) and Thunderbird name their
# columns their own way, and two of their names mean something else in ours: Outlook's "Title"
# is the honorific (our salutation; "Job Title" is the title), and Thunderbird's "Home Address"
# is a street. Their phones and emails carry a label (a column name, or Google's "Phone 1 -
# Label" cell) instead of our fixed slots. So the dialect is decided once, from the header
# (:func:`detect_dialect`), and each of its columns gets a role; a row's numbers and emails are
# then placed in our slots by label (see :func:`_place`), and whatever does not fit is a
# warning on that row. A row from such a file only adds and changes what it has: an empty cell
# never clears a stored value (as a vCard from a phone), so a second import of the same file
# matches everyone by phone or email and changes nothing.

GENESYS: Final = "genesys"
OUTLOOK: Final = "outlook"
GOOGLE_LEGACY: Final = "google-legacy"
GOOGLE: Final = "google"
THUNDERBIRD: Final = "thunderbird"

_DIALECT_ARTICLES: Final[dict[str, str]] = {
    OUTLOOK: "an Outlook CSV export",
    GOOGLE_LEGACY: "a Google Contacts CSV export (legacy header)",
    GOOGLE: "a Google Contacts CSV export",
    THUNDERBIRD: "a Thunderbird CSV export",
}

# The note that says how a foreign file is read: the few places where its names mean
# something else than ours.
_DIALECT_NOTES: Final[dict[str, str]] = {
    OUTLOOK: "its Title column is read as the salutation and Job Title as the title",
    GOOGLE_LEGACY: "phones and emails go to the slot their Type names",
    GOOGLE: "phones and emails go to the slot their Label names",
    THUNDERBIRD: "Home Address and Work Address are read as streets",
}


@dataclass(frozen=True)
class _Role:
    """What one column of a foreign dialect holds.

    ``what`` is "text" (``key`` is a field id), "notes" (the cell is one contact note),
    "display" (a display name, used when the name columns are empty), "phone" or "email"
    (``key`` is the slot its label names: "work", "home", "cell", "other", or "" when it names
    none), "phone-label" or "email-label" (the cell is the label of the values with the same
    ``group``), "address" (``key`` is the part) or "quiet" (a column that only describes
    another one: Outlook's "E-mail Type").
    """

    what: str
    key: str = ""
    group: str = ""


def _roles(what: str, key: str, *names: str) -> dict[str, _Role]:
    """The columns ``names``, each its own group, all with one role."""
    return {_key(name): _Role(what, key, name) for name in names}


def _address_roles(group: str, parts: dict[str, tuple[str, ...]]) -> dict[str, _Role]:
    return {
        _key(name): _Role("address", part, group) for part, names in parts.items() for name in names
    }


def _outlook_address(prefix: str) -> dict[str, _Role]:
    return _address_roles(
        prefix,
        {
            "formatted": (f"{prefix} Address",),
            "street": (f"{prefix} Street",),
            "street2": (f"{prefix} Street 2",),
            "street3": (f"{prefix} Street 3",),
            "pobox": (f"{prefix} Address PO Box", f"{prefix} PO Box"),
            "city": (f"{prefix} City",),
            "state": (f"{prefix} State",),
            "postalCode": (f"{prefix} Postal Code",),
            "countryCode": (f"{prefix} Country/Region", f"{prefix} Country"),
        },
    )


_OUTLOOK: Final[dict[str, _Role]] = {
    **_roles("text", "firstName", "First Name"),
    **_roles("text", "middleName", "Middle Name"),
    **_roles("text", "lastName", "Last Name"),
    **_roles("text", "salutation", "Title"),
    **_roles("text", "title", "Job Title"),
    **_roles("notes", "notes", "Notes"),
    **_roles("phone", "work", "Business Phone", "Business Phone 2", "Company Main Phone"),
    **_roles("phone", "home", "Home Phone", "Home Phone 2"),
    **_roles("phone", "cell", "Mobile Phone"),
    **_roles("phone", "other", "Other Phone"),
    **_roles(
        "phone",
        "",
        "Primary Phone",
        "Car Phone",
        "Callback",
        "Assistant's Phone",
        "ISDN",
        "Radio Phone",
        "TTY/TDD Phone",
        "Telex",
        "Pager",
        "Business Fax",
        "Home Fax",
        "Other Fax",
    ),
    **_roles("email", "", "E-mail Address", "E-mail 2 Address", "E-mail 3 Address"),
    **_roles(
        "quiet",
        "",
        *(f"E-mail{n} {what}" for n in ("", " 2", " 3") for what in ("Type", "Display Name")),
    ),
    **_outlook_address("Business"),
    **_outlook_address("Home"),
    **_outlook_address("Other"),
}


def _thunderbird_address(prefix: str) -> dict[str, _Role]:
    return _address_roles(
        prefix,
        {
            "street": (f"{prefix} Address",),
            "street2": (f"{prefix} Address 2", f"{prefix} Address2"),
            "city": (f"{prefix} City",),
            "state": (f"{prefix} State", f"{prefix} County"),
            "postalCode": (f"{prefix} ZipCode", f"{prefix} Post Code"),
            "countryCode": (f"{prefix} Country",),
        },
    )


_THUNDERBIRD: Final[dict[str, _Role]] = {
    **_roles("text", "firstName", "First Name"),
    **_roles("text", "lastName", "Last Name"),
    **_roles("display", "", "Display Name"),
    **_roles("text", "title", "Job Title"),
    **_roles("notes", "notes", "Notes"),
    **_roles("email", "", "Primary Email", "Secondary Email", "Second Email"),
    **_roles("phone", "work", "Work Phone"),
    **_roles("phone", "home", "Home Phone"),
    **_roles("phone", "cell", "Mobile Number"),
    **_roles("phone", "", "Fax Number", "Pager Number"),
    **_thunderbird_address("Home"),
    **_thunderbird_address("Work"),
}

_GOOGLE_COMMON: Final[dict[str, _Role]] = {
    **_roles("display", "", "Name"),
    **_roles("notes", "notes", "Notes"),
}

_GOOGLE_LEGACY_COLUMNS: Final[dict[str, _Role]] = {
    **_GOOGLE_COMMON,
    **_roles("text", "firstName", "Given Name"),
    **_roles("text", "middleName", "Additional Name"),
    **_roles("text", "lastName", "Family Name"),
    **_roles("text", "salutation", "Name Prefix"),
    **_roles("text", "title", "Organization 1 - Title"),
}

_GOOGLE_COLUMNS: Final[dict[str, _Role]] = {
    **_GOOGLE_COMMON,
    **_roles("text", "firstName", "First Name"),
    **_roles("text", "middleName", "Middle Name"),
    **_roles("text", "lastName", "Last Name"),
    **_roles("text", "salutation", "Name Prefix"),
    **_roles("text", "title", "Organization Title"),
}

# Google's numbered columns: "Phone 2 - Label", "E-mail 1 - Value", "Address 1 - Postal Code".
_GOOGLE_NUMBERED = re.compile(r"\s*(e-?mail|phone|address)\s*(\d+)\s+-\s+(.+?)\s*", re.IGNORECASE)
_GOOGLE_ADDRESS_PARTS: Final = {
    "formatted": "formatted",
    "street": "street",
    "extendedaddress": "extended",
    "pobox": "pobox",
    "city": "city",
    "region": "state",
    "postalcode": "postalCode",
    "country": "countryCode",
}


def _google_numbered(name: str) -> _Role | None:
    """The role of one of Google's numbered columns, or None when it is not one we read."""
    match = _GOOGLE_NUMBERED.fullmatch(name)
    if match is None:
        return None
    kind, number, part = _key(match.group(1)), match.group(2), _key(match.group(3))
    group = f"{kind} {number}"
    if part in ("type", "label"):
        return _Role(f"{kind}-label", "", group)
    if kind == "address":
        address_part = _GOOGLE_ADDRESS_PARTS.get(part)
        return None if address_part is None else _Role("address", address_part, group)
    return _Role(kind, "", group) if part == "value" else None


_DIALECT_COLUMNS: Final[dict[str, dict[str, _Role]]] = {
    OUTLOOK: _OUTLOOK,
    GOOGLE_LEGACY: _GOOGLE_LEGACY_COLUMNS,
    GOOGLE: _GOOGLE_COLUMNS,
    THUNDERBIRD: _THUNDERBIRD,
}

# Header names (reduced) that only one dialect writes: any of them decides the dialect.
_THUNDERBIRD_SIGNATURE: Final = frozenset(
    _key(n)
    for n in (
        "Primary Email",
        "Secondary Email",
        "Second Email",
        "Mobile Number",
        "Pager Number",
        "Fax Number",
        "Home ZipCode",
        "Work ZipCode",
        "Home Address 2",
        "Work Address 2",
        "Screen Name",
    )
)
_OUTLOOK_SIGNATURE: Final = frozenset(
    _key(n)
    for n in (
        "E-mail Address",
        "E-mail 2 Address",
        "E-mail 3 Address",
        "Business Phone",
        "Business Phone 2",
        "Home Phone 2",
        "Business Street",
        "Home Street",
        "Other Street",
        "Business Postal Code",
        "Home Postal Code",
        "Business Fax",
        "Home Fax",
    )
)
# A column only our own format has: with one of these the file is ours, whatever else it has.
_OWN_SIGNATURE: Final = frozenset(
    _key(n)
    for n in (
        "id",
        "version",
        "workEmail",
        "personalEmail",
        "otherEmail",
        *(f.column for f in fields_of(FieldKind.SMS)),
        "address1",
        "countryCode",
    )
)


def detect_dialect(names: Iterable[str]) -> str:
    """Which program's header this is: ``GENESYS`` (ours), ``OUTLOOK``, ``GOOGLE_LEGACY``,
    ``GOOGLE`` or ``THUNDERBIRD``. A column only ours has decides first; then Google's numbered
    label/value columns, then Thunderbird's and Outlook's own column names; else ours."""
    cleaned = [_clean(name) for name in names]
    keys = {_key(name) for name in cleaned}
    if keys & _OWN_SIGNATURE:
        return GENESYS
    numbered = [m for n in cleaned if (m := _GOOGLE_NUMBERED.fullmatch(n)) is not None]
    if any(_key(m.group(3)) == "type" for m in numbered) or {"givenname", "familyname"} & keys:
        return GOOGLE_LEGACY
    if numbered:
        return GOOGLE
    if keys & _THUNDERBIRD_SIGNATURE:
        return THUNDERBIRD
    if keys & _OUTLOOK_SIGNATURE:
        return OUTLOOK
    return GENESYS


@dataclass
class _DialectHeader:
    """Which role each cell of a foreign dialect's record has."""

    width: int
    roles: dict[int, _Role]
    names: list[str]  # the header as the file has it
    unnamed: set[int] = field(default_factory=set)
    unknown: list[tuple[int, str]] = field(default_factory=list)
    company: int | None = None  # the organisation column (not imported; see names())

    def name_columns(self) -> frozenset[str]:
        """The name fields present on every row: the file has name columns."""
        if not any(r.what == "display" or r.key in _NAME_IDS for r in self.roles.values()):
            return frozenset()
        return _NAME_IDS


_NAME_IDS: Final = frozenset(("firstName", "middleName", "lastName"))
_COMPANY_KEYS: Final = frozenset(
    _key(n)
    for n in (
        "Company",
        "Organization",
        "Organisation",
        "Organization 1 - Name",
        "Organization Name",
    )
)


def _read_dialect_header(dialect: str, cells: list[str], line: int) -> _DialectHeader:
    """The role of each column of a foreign dialect's header; a column given twice is refused,
    as in ours (which of the two holds the value would be a guess)."""
    columns = _DIALECT_COLUMNS[dialect]
    numbered = dialect in (GOOGLE, GOOGLE_LEGACY)
    header = _DialectHeader(len(cells), {}, [_clean(c) for c in cells])
    taken: dict[_Role, int] = {}
    for i, name in enumerate(header.names):
        key = _key(name)
        if not key:
            header.unnamed.add(i)
            continue
        role = columns.get(key) or (_google_numbered(name) if numbered else None)
        if role is None:
            header.unknown.append((i, name))
            if key in _COMPANY_KEYS and header.company is None:
                header.company = i
            continue
        if role in taken:
            raise FileFormatError(
                line,
                f"column {i + 1} '{name}' repeats column {taken[role] + 1} "
                f"'{header.names[taken[role]]}'; remove one of them",
            )
        taken[role] = i
        header.roles[i] = role
    return header


# Labels (folded, without Google's "* " primary mark) that name one of our slots.
_PHONE_LABELS: Final[dict[str, PhoneKind]] = {
    **dict.fromkeys(("mobile", "cell", "cellular", "mobile phone", "iphone"), PhoneKind.CELL),
    **dict.fromkeys(("work", "business", "work phone"), PhoneKind.WORK),
    **dict.fromkeys(("home", "home phone", "personal"), PhoneKind.HOME),
    "other": PhoneKind.OTHER,
}
_EMAIL_LABELS: Final[dict[str, EmailKind]] = {
    **dict.fromkeys(("work", "business"), EmailKind.WORK),
    **dict.fromkeys(("home", "personal"), EmailKind.PERSONAL),
    "other": EmailKind.OTHER,
}
_FIXED_PHONE: Final = {
    "work": PhoneKind.WORK,
    "home": PhoneKind.HOME,
    "cell": PhoneKind.CELL,
    "other": PhoneKind.OTHER,
}
_GOOGLE_MULTI = " ::: "
# Where a value goes whose label names no slot, or names a taken one: Other first, then any
# free phone slot; an email only to Personal (Work is a claim the file did not make).
_PHONE_FALLBACK: Final = (PhoneKind.OTHER, PhoneKind.WORK, PhoneKind.HOME, PhoneKind.CELL)
_EMAIL_FALLBACK: Final = (EmailKind.OTHER, EmailKind.PERSONAL)


@dataclass(frozen=True)
class _Candidate:
    """One number or email a row has, with the label the file gave it."""

    value: str
    label: str  # as the file names it: a column name or Google's label cell
    primary: bool  # Google's "* " mark
    fixed: str | None  # the slot a fixed-label column names ("" none); None: use the label
    cell: int  # the index of the cell it is in (its line, in a record of several lines)


_Slot = TypeVar("_Slot", PhoneKind, EmailKind)


def _place(
    candidates: list[_Candidate],
    slot_of: Callable[[_Candidate], _Slot | None],
    fallback: tuple[_Slot, ...],
    same: Callable[[str], str],
) -> tuple[dict[_Slot, _Candidate], list[_Candidate]]:
    """Put each value in the slot its label names; a value whose label names no slot, or
    whose slot is taken, goes to the first free slot of ``fallback``; the rest do not fit.

    Primary values are placed first, so a second "Mobile" number never pushes the primary one
    out of Cell. A value repeated under another label (Outlook's "Primary Phone" is usually
    also the "Mobile Phone") is kept once, under the label that names a slot.
    """
    kept: dict[str, _Candidate] = {}
    for candidate in candidates:
        key = same(candidate.value)
        if key not in kept or (slot_of(kept[key]) is None and slot_of(candidate) is not None):
            kept[key] = candidate
    ordered = sorted(kept.values(), key=lambda c: not c.primary)
    placed: dict[_Slot, _Candidate] = {}
    left: list[_Candidate] = []
    for candidate in ordered:
        slot = slot_of(candidate)
        if slot is not None and slot not in placed:
            placed[slot] = candidate
        else:
            left.append(candidate)
    overflow = []
    for candidate in left:
        free = [k for k in fallback if k not in placed]
        if free:
            placed[free[0]] = candidate
        else:
            overflow.append(candidate)
    return placed, overflow


def _label_key(label: str) -> tuple[str, bool]:
    """A label folded for lookup, and whether Google marked it primary ("* Mobile")."""
    text = label.strip()
    primary = text.startswith("*")
    return text.lstrip("*").strip().casefold(), primary


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit()) or text.strip().casefold()


_ADDRESS_LINE_PARTS: Final = ("street2", "street3", "extended", "pobox")


def _address_from(parts: dict[str, str]) -> dict[str, str]:
    """Our six address parts from a dialect's address: the street's first line is address 1;
    its other lines, the second and third street lines, the extended address and the PO box
    are address 2 (our address lines hold no line breaks). A formatted address is used only
    when the parts are all empty, as its lines."""
    street = parts.get("street", "")
    detail = [parts.get(p, "") for p in ("city", "state", "postalCode", "countryCode")]
    if not street and not any(parts.get(p) for p in _ADDRESS_LINE_PARTS) and not any(detail):
        street = parts.get("formatted", "")
    lines = [line.strip() for line in street.splitlines() if line.strip()]
    rest = [*lines[1:], *(parts.get(p, "") for p in _ADDRESS_LINE_PARTS)]
    return {
        "address1": lines[0] if lines else "",
        "address2": ", ".join(r.strip() for r in rest if r.strip()),
        "city": detail[0],
        "state": detail[1],
        "postalCode": detail[2],
        "countryCode": detail[3],
    }


_SHOWN_LENGTH = 80


def _shown(text: str) -> str:
    """A value quoted for a message: on one line, and cut short (a cell can be 100 KB)."""
    text = " ".join(text.split())
    return f"'{text[:_SHOWN_LENGTH]}...'" if len(text) > _SHOWN_LENGTH else f"'{text}'"


class _DialectRowReader:
    """Turns one record of a foreign dialect into an ImportRow (see the section notes)."""

    def __init__(self, header: _DialectHeader, line: int, cells: list[str]) -> None:
        self.header = header
        self.line = line
        self.cells = cells
        self.row = ImportRow(
            line=line, draft=ContactDraft(), present=frozenset(), other_program=True
        )
        self.present: set[str] = set(header.name_columns())
        self.lines = _cell_lines(line, cells)
        # The name fields filled from the display name (not from a company's name).
        self.from_display: tuple[str, ...] = ()

    def line_of(self, i: int) -> int:
        """The line cell ``i`` begins on."""
        return self.lines[i] if self.lines is not None else self.line

    def at(self, i: int | None, *field_ids: str) -> None:
        """Record that these fields come from cell ``i``, when the record spans lines."""
        if self.lines is not None and i is not None:
            for field_id in field_ids:
                self.row.field_lines[field_id] = self.lines[i]

    def cell(self, i: int) -> str:
        """Cell ``i`` as :func:`_clean` gives it (a row is as wide as the header here)."""
        role = self.header.roles.get(i)
        return _clean(self.cells[i], notes=role is not None and role.what == "notes")

    def warn(self, message: str, cell: int | None = None) -> None:
        line = self.line if cell is None else self.line_of(cell)
        self.row.warnings.append(f"line {line}: {message}")

    def read(self) -> ImportRow:
        labels: dict[str, str] = {}
        values: dict[str, list[tuple[int, str]]] = {"phone": [], "email": []}
        addresses: dict[str, dict[str, str]] = {}
        address_cells: dict[str, int] = {}  # group -> its first filled cell
        display, display_cell = "", None
        for i, role in self.header.roles.items():
            text = self.cell(i)
            if role.what == "text":
                self.text(role.key, text)
                self.at(i, role.key)
            elif role.what == "notes":
                # Another program's notes are one note: its writer knows nothing of ours.
                if text:
                    self.row.contact_notes.append(text)
                    self.at(i, "notes")
            elif role.what == "display":
                display, display_cell = text, i
            elif role.what in ("phone-label", "email-label", "address-label"):
                labels[role.group] = text
            elif role.what in values:
                values[role.what].append((i, text))
            elif role.what == "address":
                addresses.setdefault(role.group, {})[role.key] = text
                if text:
                    address_cells.setdefault(role.group, i)
        company = self.header.company
        taken = self.names(display, self.cell(company) if company is not None else "")
        self.at(company if self.row.company else display_cell, *taken)
        self.row.names_placed = not taken
        if not self.row.company:
            self.from_display = taken
        self.phones(self.usable(self.candidates(values["phone"], labels), phone_left_out))
        self.emails(self.usable(self.candidates(values["email"], labels), email_left_out))
        self.address(addresses, labels, address_cells)
        self.row.present = frozenset(self.present)
        return self.row

    def text(self, field_id: str, text: str) -> None:
        spec = FIELD_BY_ID[field_id]
        setattr(self.row.draft, spec.attr, text)
        if text:
            self.present.add(field_id)

    def names(self, display: str, company: str) -> tuple[str, ...]:
        """Fill the names from the display name when the name columns lack them, as a vCard's
        FN fills an empty N: split at its last space ("Janet Jackson" is Janet / Jackson), or
        the missing half of "Janet Jackson" when only Janet is given.

        A row with no name but a company's ("Acer America", alone or as the display name too)
        is a company's record: its one name is the company's, and the importer's single-name
        choice decides where it goes (it is never split into a person's first and last name).
        Returns the name fields filled so.
        """
        draft = self.row.draft
        display, company = " ".join(display.split()), " ".join(company.split())
        first, last = draft.first_name, draft.last_name
        if not (first or last or draft.middle_name or draft.salutation):
            if display and display.casefold() != company.casefold():
                head, _, tail = display.rpartition(" ")
                draft.first_name, draft.last_name = (head, tail) if head else (tail, "")
                return ("firstName", "lastName")
            if company:
                draft.first_name = company
                self.row.company = True
                self.row.card_kind = "company"
                return ("firstName", "lastName")
        elif display and first and not last and display.startswith(first + " "):
            draft.last_name = display[len(first) + 1 :]
            return ("lastName",)
        elif display and last and not first and display.endswith(" " + last):
            draft.first_name = display[: -len(last) - 1]
            return ("firstName",)
        return ()

    def candidates(self, cells: list[tuple[int, str]], labels: dict[str, str]) -> list[_Candidate]:
        """The values of the phone (or email) columns, Google's ' ::: ' lists split, each
        with its label: Google's label cell, else the column's name."""
        found = []
        for i, text in cells:
            role = self.header.roles[i]
            label, fixed = (
                (labels[role.group] or self.header.names[i], None)
                if role.group in labels
                else (self.header.names[i], role.key)
            )
            primary = _label_key(label)[1]
            for value in text.split(_GOOGLE_MULTI):
                if value.strip():
                    found.append(_Candidate(value.strip(), label, primary, fixed, i))
        return found

    def usable(
        self, candidates: list[_Candidate], left_out: Callable[[str, str], str]
    ) -> list[_Candidate]:
        """The candidates that may be a number (or address): one that is none at all is a
        detail left out with a warning at its cell (see ``details``), before the slots are
        given, so the next value may take its slot."""
        kept = []
        for candidate in candidates:
            i = candidate.cell
            warning = left_out(f"{self.header.names[i]} (column {i + 1})", candidate.value)
            if warning:
                self.warn(warning, i)
            else:
                kept.append(candidate)
        return kept

    def phones(self, candidates: list[_Candidate]) -> None:
        def slot(candidate: _Candidate) -> PhoneKind | None:
            if candidate.fixed is not None:
                return _FIXED_PHONE.get(candidate.fixed)
            return _PHONE_LABELS.get(_label_key(candidate.label)[0])

        placed, overflow = _place(candidates, slot, _PHONE_FALLBACK, _digits)
        for kind in PhoneKind:
            candidate = placed.get(kind)
            if candidate is None:
                continue
            self.row.draft.phones[kind] = PhoneDraft(candidate.value)
            self.present.add(kind.value)
            self.at(candidate.cell, kind.value)
            if _EXCEL_SCIENTIFIC.fullmatch(candidate.value):
                self.row.errors[kind.value] = (
                    f"Excel turned this number into {candidate.value}; "
                    "format the column as Text and export again"
                )
        for candidate in overflow:
            self.warn(
                f"the phone number {_shown(candidate.value)} ({_shown(candidate.label)}) was not "
                "imported: the work, home, cell and other phone slots are all taken",
                candidate.cell,
            )

    def emails(self, candidates: list[_Candidate]) -> None:
        def slot(candidate: _Candidate) -> EmailKind | None:
            if candidate.fixed is not None:
                return None  # Outlook's and Thunderbird's email columns name no slot
            return _EMAIL_LABELS.get(_label_key(candidate.label)[0])

        placed, overflow = _place(candidates, slot, _EMAIL_FALLBACK, lambda t: t.casefold())
        for kind, candidate in placed.items():
            self.row.draft.emails[kind] = candidate.value
            self.present.add(kind.value)
            self.at(candidate.cell, kind.value)
        for candidate in overflow:
            why = (
                "the work, personal and other email slots are all taken"
                if slot(candidate) == EmailKind.WORK
                else "the other and personal email slots are taken, and an email the file "
                "does not call Work is not put in Work"
            )
            self.warn(
                f"the email {_shown(candidate.value)} ({_shown(candidate.label)}) was not "
                f"imported: {why}",
                candidate.cell,
            )

    def address(
        self,
        addresses: dict[str, dict[str, str]],
        labels: dict[str, str],
        cells: dict[str, int],
    ) -> None:
        """The row's one address: Google's primary, else the first in column order; any other
        address is a warning. ``cells`` gives each address's first filled cell."""
        filled = [(g, parts) for g, parts in addresses.items() if any(parts.values())]
        if not filled:
            return
        filled.sort(key=lambda item: not _label_key(labels.get(item[0], ""))[1])
        (chosen_group, chosen), *others = filled
        self.row.draft.address = _address_from(chosen)
        self.present.update(f.id for f in fields_of(FieldKind.ADDRESS))
        self.at(cells.get(chosen_group), *(f.id for f in fields_of(FieldKind.ADDRESS)))
        for group, parts in others:
            label = labels.get(group, "").lstrip("* ") or group
            text = ", ".join(v for k, v in parts.items() if v and k != "formatted")
            self.warn(
                f"the {_shown(label)} address {_shown(text or parts.get('formatted', ''))} was "
                "not imported: a contact has one address",
                cells.get(group),
            )


# --- reading ---------------------------------------------------------------------------------


# Values other programs write into columns we do not read, that hold nothing: Outlook's
# defaults, and the group every Google contact is in. Such a cell counts as empty, so the
# summary of unread columns names only the ones that hold something.
_PLACEHOLDERS: Final[dict[str, frozenset[str]]] = {
    **dict.fromkeys(("anniversary", "birthday"), frozenset({"0/0/00", "0/0/0000"})),
    "gender": frozenset({"unspecified"}),
    **dict.fromkeys(("priority", "sensitivity"), frozenset({"normal"})),
    "private": frozenset({"false"}),
    **dict.fromkeys(("labels", "groupmembership"), frozenset({"* mycontacts"})),
}


def _unknown_summary(unknown: list[tuple[int, str]], filled: dict[int, int]) -> str | None:
    """One line about the columns that are not contact-tui fields, naming only those that have
    a value on some row (an Outlook export has about 80 such columns, nearly all empty)."""
    if not unknown:
        return None
    with_values = [(i, name) for i, name in unknown if filled.get(i)]
    empty = len(unknown) - len(with_values)
    if not with_values:
        if empty == 1:
            return "1 column is not a contact-tui field and is empty on every row: nothing is lost"
        return (
            f"{empty} columns are not contact-tui fields and are empty on every row: "
            "nothing is lost"
        )
    listed = ", ".join(
        f"{_shown(name)} (column {i + 1}, on {filled[i]} {'row' if filled[i] == 1 else 'rows'})"
        for i, name in with_values
    )
    one = len(with_values) == 1
    also = ""
    if empty:
        also = (
            f"; {empty} more such {'column is' if empty == 1 else 'columns are'} empty on every row"
        )
    return (
        f"values in {'1 column' if one else f'{len(with_values)} columns'} were not imported, "
        f"as contact-tui has no field for {'it' if one else 'them'}: {listed}{also}"
    )


def read_csv(data: bytes) -> ParsedFile:
    """Read a CSV file of contacts: one ImportRow per non-blank record, errors and all.

    The header decides the dialect (:func:`detect_dialect`): ours, Outlook's, Google's or
    Thunderbird's; a foreign dialect is named in the first warning. Raises FileFormatError when
    the file cannot be read at all: not UTF-8, empty, no usable header, a column given twice.
    Problems further down (a broken quote, a row with more cells than the header) are
    FileProblems in the result; a row with fewer cells has the missing ones empty, as Excel and
    Google read it. Values that cannot be what their column says (a "maybe" in an SMS column)
    are in that row's ``errors``.
    """
    text = decode(data)
    if not text.lstrip("\ufeff").strip():
        raise FileFormatError(1, "the file is empty")
    parsed = ParsedFile()
    delimiter, note, skip = _delimiter(text)
    if note is not None:
        parsed.warnings.append(note)
    source = io.StringIO(text, newline="")
    for _ in range(skip):
        source.readline()
    reader = csv.reader(source, delimiter=delimiter, strict=True)

    def line_num() -> int:
        return reader.line_num + skip

    records = _records(reader, line_num, parsed.problems)
    first = next(records, None)
    if first is None:
        problem = parsed.problems[0] if parsed.problems else None
        if problem is not None:
            raise FileFormatError(problem.line, f"the header cannot be read: {problem.message}")
        raise FileFormatError(1, "the file is empty")
    dialect = detect_dialect(first[1])
    header: _Header | _DialectHeader
    if dialect == GENESYS:
        header = _read_header(first[1], first[0])
        parsed.warnings.extend(header.warnings)
    else:
        header = _read_dialect_header(dialect, first[1], first[0])
        parsed.warnings.append(
            f"the header is that of {_DIALECT_ARTICLES[dialect]}, so the file is read as one: "
            f"{_DIALECT_NOTES[dialect]}"
        )
    filled: dict[int, int] = {}
    # The company column of a foreign dialect: on a row whose one name is the company's
    # (Thunderbird's "Acer America"), that cell is read, as the row's name.
    company_column = header.company if isinstance(header, _DialectHeader) else None
    named_by_company = False
    from_display: list[int] = []  # lines of rows whose names came from the display name
    nothing = {
        i: _PLACEHOLDERS.get(_key(name), frozenset()) if dialect != GENESYS else frozenset()
        for i, name in header.unknown
    }
    unnamed_warned: set[int] = set()
    for line, cells in records:
        extra = [c for c in cells[header.width :] if c.strip()]
        if extra:
            parsed.problems.append(
                FileProblem(
                    line,
                    f"{len(cells)} cells but the header has {header.width} columns; "
                    "the cells past the last column hold text",
                )
            )
            continue
        # Missing trailing cells are empty, as Excel, Google and Python's csv read them.
        cells = cells + [""] * (header.width - len(cells))
        for i in sorted(header.unnamed - unnamed_warned):
            if cells[i].strip():
                unnamed_warned.add(i)
                parsed.warnings.append(
                    f"column {i + 1} has no name in the header; its values are not imported"
                )
        if isinstance(header, _Header):
            parsed.rows.append(_RowReader(header, line, cells).read())
        else:
            dialect_row = _DialectRowReader(header, line, cells)
            parsed.rows.append(dialect_row.read())
            if dialect_row.from_display:
                from_display.append(line)
        read_as_name = company_column if parsed.rows[-1].company else None
        named_by_company = named_by_company or read_as_name is not None
        for i, placeholders in nothing.items():
            cell = cells[i].strip()
            if cell and cell.casefold() not in placeholders and i != read_as_name:
                filled[i] = filled.get(i, 0) + 1
    unknown = header.unknown
    if named_by_company:
        # A company column that held only the names of company rows was read: not unread.
        unknown = [(i, n) for i, n in unknown if filled.get(i) or i != company_column]
    summary = _unknown_summary(unknown, filled)
    if summary is not None:
        parsed.warnings.append(summary)
    if from_display:
        parsed.warnings.append(_display_name_summary(from_display))
    return parsed


def _display_name_summary(lines: list[int]) -> str:
    """One line about the rows whose first or last name came from the display name, which
    is split at its last space: a guess, so said (with the first few lines)."""
    count = len(lines)
    shown = ", ".join(map(str, lines[:10])) + (f" and {count - 10} more" if count > 10 else "")
    rows = f"line {shown}" if count == 1 else f"{count} rows (lines {shown})"
    return (
        f"the first and last name of {rows} come from the display name, as the name columns "
        "lack them: split at its last space ('Janet Jackson' is Janet / Jackson), or the half "
        "a row lacks; check names of more than two words"
    )
