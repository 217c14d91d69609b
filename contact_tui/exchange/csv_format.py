"""Contacts as CSV: one row per contact, one column per field, Genesys camelCase names.

The documented header is :data:`COLUMNS` (``columns_markdown()`` renders it for the README and
the CLI help). :func:`write_csv` always writes exactly that header; :func:`read_csv` is
forgiving about what spreadsheets and CRMs produce:

* Header names match ignoring case, spaces, underscores, hyphens and dots ("First Name",
  "first_name" and "firstName" are the same column), plus the short alias list in ``COLUMNS``.
  A column that matches nothing is reported once in ``ParsedFile.warnings``.
* Comma-separated by default; a header line with no comma but with semicolons or tabs (what
  European Excel saves) is read with that separator, and an Excel ``sep=;`` first line is obeyed.
* UTF-8 with or without a byte-order mark; quoted cells may hold commas, quotes and newlines.
  ``ImportRow.line`` is the physical line where a record starts.
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
emails are passed on as text for the importer to check with the form's rules.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from contact_tui.domain.codec import format_date, parse_date
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.fields import FIELDS, TEXT_FIELDS, Field, FieldKind, fields_of
from contact_tui.domain.model import (
    Contact,
    ContactType,
    MessagingIdentity,
    PhoneKind,
    PhoneNumber,
    Platform,
)
from contact_tui.domain.text import printable, printable_lines
from contact_tui.exchange.rows import FileFormatError, FileProblem, ImportRow, ParsedFile, decode

__all__ = ["COLUMNS", "HEADER", "Column", "columns_markdown", "read_csv", "write_csv"]


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


def _row(contact: Contact) -> dict[str, str]:
    row: dict[str, str] = {
        "id": contact.id,
        "type": contact.type.value,
        **{spec.column: _cell(contact, spec) for spec in FIELDS},
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


def write_csv(contacts: Iterable[Contact]) -> str:
    """The documented header and one row per contact, as RFC 4180 text (``\\r\\n`` line ends).

    Phones are written in international form when searchable, so reading the file back under
    any default country gives the same E.164; other numbers are written as typed. Control
    characters are escaped and every cell is formula-guarded (see the module docstring).
    Encode the result as UTF-8.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for contact in contacts:
        row = _row(contact)
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
    warnings = []
    for i, name in sorted(unknown):
        why = (
            "could be any of the email columns"
            if _key(name) == _EMAIL_ALIAS
            else "is not a contact-tui field"
        )
        warnings.append(f"column {i + 1} '{name}' {why}; its values are not imported")
    return _Header(line, len(cells), index, unnamed, warnings)


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
        self.row = ImportRow(line=line, draft=ContactDraft(), present=header.present())

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
        for spec in TEXT_FIELDS:
            if self.has(spec.column):
                setattr(draft, spec.attr, self.text(spec.column))
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


def read_csv(data: bytes) -> ParsedFile:
    """Read a CSV file of contacts: one ImportRow per non-blank record, errors and all.

    Raises FileFormatError when the file cannot be read at all: not UTF-8, empty, no usable
    header, a column given twice. Problems further down (a broken quote, a row with the wrong
    number of cells) are FileProblems in the result; values that cannot be what their column
    says (a "maybe" in an SMS column) are in that row's ``errors``.
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
    header = _read_header(first[1], first[0])
    parsed.warnings.extend(header.warnings)
    unnamed_warned: set[int] = set()
    for line, cells in records:
        extra = [c for c in cells[header.width :] if c.strip()]
        if len(cells) < header.width or extra:
            parsed.problems.append(
                FileProblem(
                    line,
                    f"{len(cells)} {'cell' if len(cells) == 1 else 'cells'} but the header has "
                    f"{header.width} columns",
                )
            )
            continue
        for i in sorted(header.unnamed - unnamed_warned):
            if cells[i].strip():
                unnamed_warned.add(i)
                parsed.warnings.append(
                    f"column {i + 1} has no name in the header; its values are not imported"
                )
        parsed.rows.append(_RowReader(header, line, cells).read())
    return parsed
