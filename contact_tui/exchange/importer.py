"""Planning an import: every row checked with the form's rules, matched, and turned into the
contact it would save, before anything is written.

The service drives this (it owns permissions and the transaction); this module decides, row by
row, what the file asks for and what is wrong with it:

1. :func:`check_row` applies :func:`~contact_tui.domain.draft.check_draft` to the fields the row
   carries. It needs no store, so it runs before the store lock is taken. Another program's
   row (``ImportRow.other_program``) first loses each phone or email that is no number or
   address at all, with a warning (:mod:`~contact_tui.exchange.details`); our own export's
   row is refused for one, as it describes the whole contact.
2. :class:`Planner` matches each checked row to a stored contact (by id, then by E.164 phone
   or email), and works out the contact to create or the update to make, refusing rows that
   would undo someone else's newer change (a version conflict), describe a contact an earlier
   row already described, or need a permission the user lacks. An update reads the row's
   numbers that were read in the default country again in the stored contact's address
   country (the row carrying none), and keeps the stored names when the row's one name is a
   single name the ``--single-name`` choice did not take.
3. :func:`plan_notes` works out the contact notes the rows add: each note of a row whose
   text (cleaned by the note rule) its contact does not already have, so importing a file
   again, or an export of the same store, adds none. Adding a note needs edit, as it does on
   the profile; a row that would add one without it is refused (a permission problem), even
   when it creates its contact.

Nothing here imports Textual or touches a store document.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, Protocol

from contact_tui.domain.draft import (
    ADDRESS_SOURCE,
    CheckedFields,
    ContactDraft,
    CountryFrom,
    PhoneDraft,
    check_draft,
    check_phone,
    field_label,
    phone_countries,
    with_source,
)
from contact_tui.domain.fields import ADDRESS_FIELDS, FIELD_BY_ID, NAME_FIELDS, TEXT_FIELDS
from contact_tui.domain.identity import contact_keys, phone_identity, stored_email_identity
from contact_tui.domain.model import (
    Address,
    Contact,
    ContactType,
    EmailKind,
    MessagingIdentity,
    Permission,
    PhoneKind,
    Platform,
)
from contact_tui.domain.present import short_timestamp
from contact_tui.domain.rules import (
    RuleError,
    phone_key,
    region_for_country,
    region_for_country_code,
    validate_note,
    validate_text,
)
from contact_tui.domain.text import fold
from contact_tui.exchange.details import email_left_out, phone_left_out
from contact_tui.exchange.rows import ID_PATTERN, ImportRow

# A name that passes the name rule, standing in for a name column the file does not have while
# the other fields are checked (it is never saved: absent fields keep the stored value).
_STAND_IN_NAME = "Name"
# Dates before or after these are a mistake (or an attack on the date formatter), not a contact.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# Labels for the field ids readers report that are not form fields.
_LABELS = {
    "id": "Id",
    "type": "Type",
    "version": "Version",
    "createDate": "Created (createDate)",
    "modifyDate": "Modified (modifyDate)",
    "contact": "Contact",
    "notes": "Notes",
    "name": "Name",
}

_PLATFORM_ORDER = {p: n for n, p in enumerate(Platform)}
# Text-direction marks (LRE/PDF from Android and WhatsApp, LRM, isolates): they carry no
# meaning in a phone number, so an import drops them (with a note) rather than refuse it.
_DIRECTION_MARKS = str.maketrans(
    dict.fromkeys(
        map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    )
)


class SingleName(StrEnum):
    """What an import does with a row that has one name ("Ambulance", a company card), where
    the form needs a first and a last name (``--single-name``)."""

    REFUSE = "refuse"  # the row is refused, naming this choice
    FIRST = "first"  # the name is the first name; the last name stays empty
    LAST = "last"  # the name is the last name; the first name stays empty
    COMPANY = "company"  # as LAST for records the file marks as a company; others refused
    # The name stays in the field the file has it in (a CSV's First or Last Name column, a
    # Genesys firstName or lastName, a vCard N that says which: N:;Janet;;; or N:Jackson;;;;):
    # restores our own CSV and Genesys exports of one-name contacts into an empty store as
    # they were. A name a reader had to place itself (split from a display name, a company's,
    # a vCard's FN or ORG, or an N without its parts: N:Ambulance) is refused, naming the
    # other choices.
    AS_GIVEN = "as-given"


@dataclass(frozen=True)
class ChoiceWording:
    """How the place an import is run from names its choices, so that a message says what to
    change there: the command line's flags (:data:`COMMAND_LINE`), or the fields of the app's
    import dialog. A message naming a flag the app does not have would send people looking
    for it."""

    # One single-name choice as a message names it: "--single-name=last".
    single_name: Callable[[SingleName], str]
    # The advice that lets a refused single name in, given the choices that would:
    # "import it with --single-name=first or --single-name=last".
    single_name_advice: Callable[[Sequence[SingleName]], str]
    # Where the default country came from, in a note about a number: "--default-country".
    default_country: str
    # How to import the good rows of a file with bad ones: "use --skip-invalid".
    skip_invalid: str


def either(options: Sequence[str]) -> str:
    """Options as a sentence offers them: "a", "a or b", "a, b or c"."""
    if len(options) < 2:
        return "".join(options)
    return f"{', '.join(options[:-1])} or {options[-1]}"


COMMAND_LINE = ChoiceWording(
    single_name=lambda choice: f"--single-name={choice.value}",
    single_name_advice=lambda choices: (
        "import it with " + either([f"--single-name={c.value}" for c in choices])
    ),
    default_country="--default-country",
    skip_invalid="use --skip-invalid",
)


@dataclass(frozen=True)
class ImportOptions:
    """The choices an import is run with (``contact-tui import`` flags, or the dialog's)."""

    # The region numbers without + are read in when neither the row nor the contact's
    # address says (``--default-country``); None: the admin's default.
    default_country: str | None = None
    single_name: SingleName = SingleName.REFUSE
    # The encoding the whole file is read in (``--encoding``, a name formats.encoding_name
    # gave); None: UTF-8, UTF-16 by its look, a CSV that is neither as Windows-1252.
    encoding: str | None = None
    # How messages name these choices (the command line's flags unless the app says).
    wording: ChoiceWording = COMMAND_LINE


DEFAULT_OPTIONS = ImportOptions()


def parse_default_country(text: str) -> str:
    """The region (ISO 3166 code) a default country for an import names: its ISO code ("DE"),
    its name ("Germany", "Deutschland") or its calling code ("+49", "49"). The command line's
    ``--default-country`` and the app's import dialog both read it here. Raises RuleError,
    saying what to give, when ``text`` names no country."""
    region = region_for_country(text)
    if region is None and text.strip().lstrip("+").isdigit():
        try:
            region = region_for_country_code(text)
        except RuleError:
            region = None
    # A non-geographic calling code (+881, satellite) has no numbers written without +.
    if region is None or region == "001":
        shown = " ".join(text.split())[:40]
        raise RuleError(
            f"{shown!r} is not a country: give its ISO code (DE), its name (Germany) or its "
            "calling code (+49)."
        )
    return region


class Matched(StrEnum):
    """What matched a row to a stored contact: its id, an email, or only a phone number
    (which several people may share, so it renames nobody)."""

    ID = "id"
    EMAIL = "email"
    PHONE = "phone"


class ProblemKind(StrEnum):
    """Why a row cannot be imported, as the command line's exit code and ``--json`` tell it."""

    INVALID = "invalid"  # the row breaks a rule or matches ambiguously: fix the file
    PERMISSION = "permission"  # the row would need a permission the agent lacks
    CONFLICT = "conflict"  # the row would undo a newer change: export again


@dataclass(frozen=True)
class RowProblem:
    """Why one row cannot be imported."""

    line: int
    message: str
    kind: ProblemKind = ProblemKind.INVALID
    single_name: bool = False  # refused for having one name (see --single-name)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class CheckedRow:
    """A row whose present fields all passed the form's rules."""

    row: ImportRow
    fields: CheckedFields
    # The region each phone slot was read in (for matching what was typed to the number).
    phone_regions: dict[PhoneKind, str] = field(default_factory=dict)
    # Where --single-name put the row's one name ("firstName" or "lastName"), or "".
    single_name: str = ""
    # Notes about what checking did (a number kept as typed, marks dropped).
    notes: tuple[str, ...] = ()
    # The row's contact notes, each as the note rule cleans it, repeats left out.
    contact_notes: tuple[str, ...] = ()
    # A single name the choice does not let into a new contact: the field it stays in, and
    # the refusal ("Last name is required. 'Ambulance' is a single name: ..."). Refused when
    # the row would create a contact; a row naming a stored contact updates its other fields
    # and leaves its stored names alone (so our own export of a one-name contact imports back
    # unchanged, and "Acme" matched by John Smith's email does not make him "Acme Smith").
    single_name_waiting: str = ""
    single_name_refusal: str = ""
    # What that update says when the stored name differs: "'Acme', a single name, which
    # --single-name=refuse does not take, so the stored name is kept; import it with
    # --single-name=first or --single-name=last to rename them".
    single_name_kept: str = ""
    # The slots read in the default country, as neither the number nor the row's address
    # gave one: a stored contact the row updates may have an address country, which comes
    # first (:func:`~contact_tui.domain.draft.phone_countries`), so the planner reads them
    # again. Their notes (a number kept as typed) wait for the planner too.
    phone_defaults: frozenset[PhoneKind] = frozenset()
    phone_notes: dict[PhoneKind, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedWrite:
    """A contact an import will save: new (``before`` is None) or an update of ``before``."""

    line: int
    contact: Contact
    before: Contact | None
    action: str  # "create", "update" or "promote"


@dataclass(frozen=True)
class PlannedNote:
    """A contact note an import will add (by the importing user, dated when it is written)."""

    line: int
    contact_id: str
    text: str


@dataclass
class ImportReport:
    """What an import did, or (on a dry run, or when a row was bad) what it would have done."""

    rows: int = 0
    created: list[PlannedWrite] = field(default_factory=list)
    updated: list[PlannedWrite] = field(default_factory=list)
    unchanged: int = 0
    # The contact notes added (or, on a dry run, that would be), in row order.
    notes_added: list[PlannedNote] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    skip_invalid: bool = False
    # The --single-name choice, and the lines of the rows it put in with one name.
    single_name: SingleName = SingleName.REFUSE
    single_name_lines: list[int] = field(default_factory=list)
    # The SHA-256 (hex) of the file's bytes read (ContactService.import_file; "" for rows
    # given otherwise): an import after a check passes it back, to import what was checked.
    file_digest: str = ""

    @property
    def skipped(self) -> int:
        """Rows left out because they had a problem."""
        return len({p.line for p in self.problems})

    def summary(self, wording: ChoiceWording = COMMAND_LINE) -> str:
        """One sentence: what was (or would be) created, updated and left alone; ``wording``
        names the import's choices as the place it was run from does."""
        if not self.rows:
            # An export of an empty store, or an empty file: nothing is wrong with it.
            if self.dry_run:
                return "Dry run: the file holds no contacts, so there is nothing to import."
            return "The file holds no contacts, so nothing was imported."
        counts = (
            f"{len(self.created)} created, {len(self.updated)} updated, {self.unchanged} unchanged"
        )
        if self.notes_added:
            added = len(self.notes_added)
            counts += f", {added} {'note' if added == 1 else 'notes'} added"
        if self.dry_run:
            verdict = "Dry run: nothing was written."
            if self.problems:
                verdict += f" {self._have_problems()}."
            return f"{verdict} Importing would give: {counts}.{self.single_names(wording)}"
        if self.problems and self.skipped >= self.rows:
            every = (
                "the only row has a problem; fix it"
                if self.rows == 1
                else f"all {self.rows} rows have a problem; fix them"
            )
            return f"Nothing was imported: {every} and import again." + self.single_names(wording)
        if not self.written and self.problems and not self.skip_invalid:
            them = "it" if self.skipped == 1 else "them"
            return (
                f"Nothing was imported: {self._have_problems()}. "
                f"Fix {them}, or {wording.skip_invalid} to import the other rows."
                + self.single_names(wording)
            )
        text = f"Imported {self.rows - self.skipped} of {self.rows} rows: {counts}."
        if self.problems:
            rows = "row with a problem was" if self.skipped == 1 else "rows with problems were"
            text += f" {self.skipped} {rows} skipped."
        return text + self.single_names(wording)

    def _have_problems(self) -> str:
        """'1 of 2 rows has a problem', '2 of 3 rows have problems'."""
        rows = "row" if self.rows == 1 else "rows"
        have = "has a problem" if self.skipped == 1 else "have problems"
        return f"{self.skipped} of {self.rows} {rows} {have}"

    @property
    def nothing_good(self) -> bool:
        """True when every row had a problem, so even --skip-invalid imports nothing."""
        return bool(self.problems) and self.skipped >= self.rows

    def single_names(self, wording: ChoiceWording = COMMAND_LINE) -> str:
        """How many rows the single-name choice let in, or refused, as a sentence or two
        (with a leading space), or "" when it affected none."""
        text = ""
        choice = wording.single_name(self.single_name)
        count = len(self.single_name_lines)
        if count:
            rows = "row" if count == 1 else "rows"
            where = {
                SingleName.FIRST: "as the first name",
                SingleName.AS_GIVEN: "in the name field the file gives it in",
            }.get(self.single_name, "as the last name")
            text += (
                f" {count} {rows} with a single name {'has' if count == 1 else 'have'} it "
                f"{where} ({choice})."
            )
        refused = sum(1 for p in self.problems if p.single_name)
        if refused:
            rows = "row has" if refused == 1 else "rows have"
            text += (
                f" {refused} {rows} a single name and {'was' if refused == 1 else 'were'} "
                f"refused ({choice})."
            )
        return text


Progress = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    """The default progress callback: says nothing."""


def _problem(row: ImportRow, errors: dict[str, str]) -> RowProblem:
    """One problem naming every bad field, at the line of the first one (a card's bad EMAIL
    line, not its BEGIN:VCARD); a bad field on another line says its own line."""
    lines = {field_id: row.line_of(field_id) for field_id in errors}
    line = min(lines.values())
    parts = []
    # In line order, so the fields on the problem's own line come first and every other
    # part says its line (a card's bad TEL on its first line was named without one).
    for field_id, message in sorted(errors.items(), key=lambda item: lines[item[0]]):
        label = _label(field_id)
        where = f" (line {lines[field_id]})" if lines[field_id] != line else ""
        # "Last name is required." already names its field; "not yes or no" does not.
        if message.startswith(label):
            parts.append(f"{label}{where}{message[len(label) :]}")
        else:
            parts.append(f"{label}{where}: {message}")
    return RowProblem(line, " ".join(p if p.endswith(".") else p + "." for p in parts))


def _label(field_id: str) -> str:
    """What to call a field in a message: 'Work phone', 'Work phone SMS', 'WhatsApp identity'."""
    if field_id in _LABELS:
        return _LABELS[field_id]
    base, _, part = field_id.partition(".")
    if base == "notes":  # "notes.2": the second of a row's notes, named in the message
        return _label(base)
    if part == "acceptsSMS":
        return f"{field_label(base)} SMS"
    if base == "identity" and part in Platform._value2member_map_:
        return f"{Platform(part).label} identity"
    if part and base in PhoneKind._value2member_map_:
        return f"{field_label(base)} {part}"
    return field_label(field_id)


def check_row(
    row: ImportRow, region: str, options: ImportOptions = DEFAULT_OPTIONS
) -> CheckedRow | RowProblem:
    """Apply the form's rules to the fields a row carries; a problem names each bad field.

    ``region`` is the admin's default country; a number without + is read in the country the
    row gives for it (Genesys ``normalizationCountryCode``), else the row's address country,
    else ``options.default_country``, else ``region`` (the planner reads the last two kinds
    again in a stored contact's address country when the row updates one). Another
    program's phone or email that is none at all is left out with a note (see the module
    notes); a row with no name that says what it lacks (``ImportRow.no_name``) is refused
    saying what it holds.

    A single name that ``options.single_name`` does not take is no problem yet: whether the
    row makes a contact (refused) or updates one (its other fields; the stored names stay)
    is for the planner to say, so the row carries the refusal (``single_name_refusal``)
    unless something else is wrong.
    """
    notes: list[str] = []
    row = _without_direction_marks(row, notes)
    row = _without_unusable_details(row, notes)
    row, single, refusal, kept = _single_name(row, options)
    waiting = ""
    if refusal:
        # The name stays where the file has it until the planner knows if it makes a contact.
        waiting = "firstName" if row.draft.first_name.strip() else "lastName"
        row = _one_name_in(row, waiting)
    errors: dict[str, str] = {}
    if row.contact_id and not ID_PATTERN.fullmatch(row.contact_id):
        errors["id"] = (
            f"{row.contact_id[:60]!r} is not an id (letters, digits, '.', '_', ':' and '-', "
            "up to 128)"
        )
    if row.version is not None and row.version < 0:
        errors["version"] = f"{row.version} is not a version (0 or more)"
    for key, value in (("createDate", row.create_date), ("modifyDate", row.modify_date)):
        if value is not None and not _EARLIEST <= value < _LATEST:
            errors[key] = f"{value.date().isoformat()} is not a plausible date (1900 to 2199)"
    draft = _checkable(row)
    regions = _phone_regions(row, draft, region, options)
    result = check_draft(draft, region, {k: r for k, (r, _, _) in regions.items()})
    errors.update({k: v for k, v in result.errors.items() if k in row.present})
    missing = "lastName" if waiting == "firstName" else "firstName"
    refused = f"{_label(missing)} is required. {refusal}." if refusal else ""
    if row.no_name and not _named(row) and {"firstName", "lastName"} <= errors.keys():
        # A record with no name at all: what it does hold tells which contact it was.
        del errors["firstName"], errors["lastName"]
        errors["name"] = f"{row.no_name}; {_contents(row)}"
    # What the reader saw in the raw text (an Excel-mangled number) says more than the rule.
    errors.update(row.errors)
    contact_notes = _checked_notes(row.contact_notes, errors)
    for platform, identity in row.identities.items():
        try:
            for text in (*identity.ids, identity.display_name, identity.handle):
                validate_text(text, f"{platform.label} identity", max_length=1000)
        except RuleError as err:
            errors[f"identity.{platform.value}"] = str(err)
    phones = dict(result.fields.phones) if result.fields is not None else {}
    for kind, given in row.given_phones.items():
        try:
            validate_text(given.display, _label(kind.value), max_length=1000)
            validate_text(given.user_input, _label(kind.value), max_length=1000)
        except RuleError as err:
            errors[kind.value] = str(err)
            continue
        checked = phones.get(kind)
        if checked is not None and kind.value in row.present:
            # Keep the number as the file stores it: its e164 may not be what a parse of the
            # display gives today, nor its userInput ("901 06 000", typed in Norway) a number
            # in the country this import reads numbers without + in.
            phones[kind] = (
                given if given.user_input else replace(given, user_input=checked.user_input)
            )
    if errors or result.fields is None:
        if refused:
            errors[missing] = refused
        problem = _problem(row, errors or {"contact": "could not be read"})
        return replace(problem, single_name=bool(refusal))
    fields = replace(result.fields, phones=phones)
    defaults = frozenset(
        kind
        for kind, (_, _, found) in regions.items()
        if found == CountryFrom.DEFAULT
        and kind.value in row.present
        and kind not in row.given_phones
    )
    phone_notes: dict[PhoneKind, str] = {}
    for kind, (where, source, _) in regions.items():
        warning = result.warnings.get(kind.value)
        if warning and kind.value in row.present and kind not in row.given_phones:
            note = _phone_note(row, kind, warning, where, source)
            if kind in defaults:
                phone_notes[kind] = note
            else:
                notes.append(note)
    if _nameless(row) or single or waiting:
        # An ephemeral contact is made by the system from an identifier; it may have no name.
        # A single name leaves the other one empty, as --single-name asked.
        fields = replace(
            fields,
            first_name="" if not row.draft.first_name.strip() else fields.first_name,
            last_name="" if not row.draft.last_name.strip() else fields.last_name,
        )
    return CheckedRow(
        row,
        fields,
        {k: r for k, (r, _, _) in regions.items()},
        single,
        tuple(notes),
        contact_notes,
        single_name_waiting=waiting,
        single_name_refusal=refused,
        single_name_kept=kept if refused else "",
        phone_defaults=defaults,
        phone_notes=phone_notes,
    )


def _phone_note(row: ImportRow, kind: PhoneKind, warning: str, where: str, source: str) -> str:
    """The note about a row's number kept as typed (``warning``), at its line, saying where
    the country ``where`` it was read in came from (``source``; "" for the admin's default)."""
    text = row.draft.phones[kind].text.strip()
    warning = with_source(warning, text, where, source)
    return f"line {row.line_of(kind.value)}: {_label(kind.value)} {text!r}: {warning}"


def _named(row: ImportRow) -> bool:
    """True when the row has any part of a name."""
    d = row.draft
    return any(text.strip() for text in (d.first_name, d.middle_name, d.last_name, d.salutation))


def _contents(row: ImportRow) -> str:
    """What a row with no name holds, briefly ("it holds an email 'sam@example.com' and 2
    phones"), each quoted value cleaned and cut short, so the admin can find the contact."""
    d = row.draft

    def some(count: int, one: str, many: str, first: str) -> str:
        quoted = f" {_quoted(first)}" if first else ""
        return f"{one}{quoted}" if count == 1 else f"{count} {many} (the first{quoted})"

    phones = [p.text.strip() for p in d.phones.values() if p.text.strip()]
    emails = [e.strip() for e in d.emails.values() if e.strip()]
    parts = []
    if emails:
        parts.append(some(len(emails), "an email", "emails", emails[0]))
    if phones:
        parts.append(some(len(phones), "a phone", "phones", phones[0]))
    if d.title.strip():
        parts.append(f"the title {_quoted(d.title)}")
    if any(v.strip() for v in d.address.values()):
        parts.append("an address")
    if row.contact_notes:
        count = len(row.contact_notes)
        parts.append("a note" if count == 1 else f"{count} notes")
    if row.identities:
        parts.append(", ".join(f"a {p.label} id" for p in row.identities))
    if not parts:
        return "it holds nothing else either"
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"it holds {listed}"


def _quoted(text: str) -> str:
    """A value quoted in a message: on one line, cut short; repr escapes control and
    format characters (an escape sequence, a right-to-left override)."""
    one_line = " ".join(text.split())
    return repr(one_line[:40] + "..." if len(one_line) > 40 else one_line)


def _checked_notes(texts: Sequence[str], errors: dict[str, str]) -> tuple[str, ...]:
    """A row's contact notes as the note rule cleans them (as the profile's note would be),
    a text the row repeats once; a note the rule refuses is an error under "notes" (the Nth
    of several under "notes.N", so the problem points at its own line: a card's NOTE)."""
    found: dict[str, None] = {}
    for n, text in enumerate(texts, 1):
        if not text.strip():
            continue
        try:
            found.setdefault(validate_note(text))
        except RuleError as err:
            if len(texts) > 1:
                errors[f"notes.{n}"] = f"note {n} of {len(texts)}: {err}"
            else:
                errors["notes"] = str(err)
            return ()
    return tuple(found)


def _without_direction_marks(row: ImportRow, notes: list[str]) -> ImportRow:
    """The row with text-direction marks taken out of its phone numbers, noting each."""
    cleaned: dict[PhoneKind, PhoneDraft] | None = None
    for kind, phone in row.draft.phones.items():
        text = phone.text.translate(_DIRECTION_MARKS)
        if text == phone.text:
            continue
        marks = ", ".join(sorted({f"U+{ord(c):04X}" for c in phone.text if c not in text}))
        notes.append(
            f"line {row.line_of(kind.value)}: {_label(kind.value)} {text.strip()!r}: removed the "
            f"text-direction marks around it ({marks}), which mean nothing in a number"
        )
        cleaned = cleaned if cleaned is not None else dict(row.draft.phones)
        cleaned[kind] = PhoneDraft(text, phone.accepts_sms)
    if cleaned is None:
        return row
    return replace(row, draft=replace(row.draft, phones=cleaned))


def _without_unusable_details(row: ImportRow, notes: list[str]) -> ImportRow:
    """Another program's row without the phones and emails that are no number or address
    at all (:mod:`~contact_tui.exchange.details`), noting each where the file has it: the
    contact goes in without them, and an update keeps what the store has in their slots.
    Any other row (our own export's) is returned as it is: it describes the whole contact,
    so the form's rules refuse such a value, naming the field."""
    if not row.other_program:
        return row
    phones = dict(row.draft.phones)
    emails = dict(row.draft.emails)
    gone: set[str] = set()
    for kind, phone in row.draft.phones.items():
        if kind.value not in row.present or kind in row.given_phones or not phone.text.strip():
            continue
        where = row.field_sources.get(kind.value, _label(kind.value))
        warning = phone_left_out(where, phone.text.strip())
        if warning:
            notes.append(f"line {row.line_of(kind.value)}: {warning}")
            del phones[kind]
            gone.update((kind.value, f"{kind.value}.acceptsSMS"))
    for email_kind, email in row.draft.emails.items():
        if email_kind.value not in row.present:
            continue
        where = row.field_sources.get(email_kind.value, _label(email_kind.value))
        warning = email_left_out(where, email.strip())
        if warning:
            notes.append(f"line {row.line_of(email_kind.value)}: {warning}")
            del emails[email_kind]
            gone.add(email_kind.value)
    if not gone:
        return row
    draft = replace(row.draft, phones=phones, emails=emails)
    return replace(row, draft=draft, present=row.present - gone)


def _single_name(row: ImportRow, options: ImportOptions) -> tuple[ImportRow, str, str, str]:
    """(the row, where its one name went or "", why it is refused or "", and why an update
    keeps the stored name instead or "": both name the choices that would let it in, as
    ``options.wording`` says them).

    A row has a single name when it carries a first and a last name column and exactly one of
    them holds text, or the file marks it as a company with one name. Its other name is left
    out of the row (an update keeps the stored one; a new contact has it empty).
    """
    if _nameless(row):
        return row, "", "", ""
    first = row.draft.first_name.strip() if "firstName" in row.present else ""
    last = row.draft.last_name.strip() if "lastName" in row.present else ""
    both_columns = {"firstName", "lastName"} <= row.present
    if bool(first) == bool(last) or not (both_columns or row.company):
        return row, "", "", ""
    if row.exact_names:
        # Our own export of a contact stored with one name: nothing to choose, nothing moves
        # (a choice that moved it would leave the stored copy in the other name: "Acme Acme").
        where, other = ("firstName", "lastName") if first else ("lastName", "firstName")
        return replace(row, present=row.present - {other}), where, "", ""
    name = first or last
    given = "firstName" if first else "lastName"
    choice = options.single_name
    target = {SingleName.FIRST: "firstName", SingleName.LAST: "lastName"}.get(choice, "")
    if choice == SingleName.COMPANY and row.company:
        target = "lastName"
    if choice == SingleName.AS_GIVEN and row.names_placed:
        target = given
    if not target:
        # A company's, a place's or a group's card names no person: its name is theirs.
        kind = row.card_kind or ("company" if row.company else "")
        what = f"a {kind}'s name" if kind else "a single name"
        choices = [SingleName.FIRST, SingleName.LAST]
        where = ""
        if row.names_placed:
            choices.insert(0, SingleName.AS_GIVEN)
            where = f" (the file has it as the {_label(given).lower()})"
        if row.company:
            choices.insert(0, SingleName.COMPANY)
        advice = options.wording.single_name_advice(choices)
        return (
            row,
            "",
            f"{name[:60]!r} is {what}{where}: {advice} to keep it as that name and leave the "
            "other empty",
            f"{name[:60]!r}, {what}{where}, which "
            f"{options.wording.single_name(options.single_name)} does not take, so the stored "
            f"name is kept; {advice} to rename them",
        )
    return _one_name_in(row, target), target, "", ""


def _one_name_in(row: ImportRow, target: str) -> ImportRow:
    """The row with its one name in ``target`` ("firstName" or "lastName") and the other
    name left out (an update keeps the stored one; a new contact has it empty)."""
    name = (row.draft.first_name.strip() and row.draft.first_name) or row.draft.last_name
    other = "lastName" if target == "firstName" else "firstName"
    draft = replace(
        row.draft,
        first_name=name if target == "firstName" else "",
        last_name=name if target == "lastName" else "",
    )
    return replace(row, draft=draft, present=row.present - {other})


def _phone_regions(
    row: ImportRow, draft: ContactDraft, region: str, options: ImportOptions
) -> dict[PhoneKind, tuple[str, str, CountryFrom]]:
    """For each phone slot: the region a number without + is read in, in the form's order
    (:func:`~contact_tui.domain.draft.phone_countries`: the number's own country, the
    contact's address, the default), where it came from in words ("" for the admin's
    default), and which of those it was. ``draft`` is the row's checkable draft: an address
    the file does not carry says nothing here (the planner asks the stored contact's)."""
    own = {
        kind: found
        for kind in PhoneKind
        if (found := region_for_country(row.phone_countries.get(kind, "")))
    }
    sources = {
        CountryFrom.NUMBER: "the number's normalizationCountryCode",
        CountryFrom.ADDRESS: ADDRESS_SOURCE,
        CountryFrom.DEFAULT: options.wording.default_country if options.default_country else "",
    }
    countries = phone_countries(draft, options.default_country or region, own)
    return {kind: (where, sources[source], source) for kind, (where, source) in countries.items()}


def _nameless(row: ImportRow) -> bool:
    """True when the row may lack the names the form requires: an ephemeral contact."""
    return row.type == ContactType.EPHEMERAL


def _checkable(row: ImportRow) -> ContactDraft:
    """The row's draft with absent fields emptied (and absent names stood in for), so only
    the fields the file carries can fail."""
    d = row.draft
    present = row.present

    nameless = _nameless(row)

    def text(field_id: str) -> str:
        spec = FIELD_BY_ID[field_id]
        value = d.text_of(field_id)
        if field_id in present and (value.strip() or not (spec.required and nameless)):
            return value
        return _STAND_IN_NAME if spec.required else ""

    texts: dict[str, Any] = {f.attr: text(f.id) for f in TEXT_FIELDS}  # Any: see draft._texts
    return ContactDraft(
        **texts,
        phones={
            k: d.phones.get(k, PhoneDraft()) if k.value in present else PhoneDraft()
            for k in PhoneKind
        },
        emails={k: d.emails.get(k, "") if k.value in present else "" for k in EmailKind},
        address={
            f.part: d.address.get(f.part, "") if f.id in present else "" for f in ADDRESS_FIELDS
        },
        survey_opt_out=d.survey_opt_out,
    )


class ContactView(Protocol):
    """What planning reads: the committed store, or a transaction's view of it."""

    def contact(self, contact_id: str) -> Contact | None: ...

    def contacts_by_key(self, key: str) -> list[Contact]: ...

    def merged_into(self, contact_id: str) -> str | None: ...


@dataclass
class Planner:
    """Turns checked rows into the writes an import would make (see the module docstring)."""

    view: ContactView
    region: str
    user: str
    now: datetime
    can: Callable[[Permission], bool]
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    _planned: dict[str, int] = field(default_factory=dict)  # contact id -> line
    _planned_keys: dict[str, list[str]] = field(default_factory=dict)  # key -> contact ids
    _planned_names: dict[str, Name] = field(default_factory=dict)  # contact id -> its name
    warnings: list[str] = field(default_factory=list)
    # Row line -> the contact the row creates, updates or leaves as it is (where its notes go).
    contacts: dict[int, Contact] = field(default_factory=dict)
    # What each planned row says (see _said), -> its line: a later row saying the same again.
    _said: dict[str, int] = field(default_factory=dict)

    def plan(self, checked: CheckedRow) -> PlannedWrite | RowProblem | None:
        """The write one row needs; None when the stored contact already says the same, or
        an earlier row of the file said exactly the same (warned about: a contact given twice
        in a phone book is harmless, unlike two rows that differ about one contact)."""
        row = checked.row
        said = _said(checked)
        earlier = self._said.get(said)
        if earlier is not None:
            self.warnings.extend(checked.phone_notes.values())
            self.warnings.append(
                f"line {row.line}: repeats line {earlier} exactly, so it is imported once; "
                "this row is counted as unchanged"
            )
            return None
        found = self._match(checked)
        if not isinstance(found, tuple):
            # No stored contact whose address country could come first: the numbers stay
            # read in the default (an update says its own, :meth:`_in_address_country`).
            self.warnings.extend(checked.phone_notes.values())
        if isinstance(found, RowProblem):
            return found
        if found is None:
            result: PlannedWrite | RowProblem | None = self._create(checked)
        else:
            result = self._update(checked, found[0], how=found[1])
        contact = result.contact if isinstance(result, PlannedWrite) else None
        if contact is None and found is not None and result is None:
            contact = found[0]
        if contact is not None:
            self._said.setdefault(said, row.line)
            self.contacts[row.line] = contact
            self._planned[contact.id] = row.line
            self._planned_names[contact.id] = _folded_name(contact.first_name, contact.last_name)
            for key in match_keys(contact):
                ids = self._planned_keys.setdefault(key, [])
                if contact.id not in ids:
                    ids.append(contact.id)
        return result

    # --- matching ----------------------------------------------------------------------

    def _match(self, checked: CheckedRow) -> tuple[Contact, Matched] | RowProblem | None:
        """The stored contact a row describes, and what found it (its id, an email, or only
        a phone); a problem when the row is ambiguous or repeats an earlier row.

        A shared number (a family's home phone, an office switchboard) is not a shared
        person: a contact found only by phone whose name differs from the row's is someone
        else, never renamed or overwritten; when no contact is left, the row makes a new one
        (warned about), also when the one sharing it is an earlier row of the file. A
        contact found only by phone whose name agrees keeps its stored name (a number alone
        renames nobody). A known id matches as before, and so does an email, unless the
        contact it names has another name too (then the row is ambiguous, as before).
        """
        row = checked.row
        by_id = None
        if row.contact_id:
            if row.contact_id in self._planned:
                return self._twice(row, row.contact_id, f"the id {row.contact_id}")
            by_id = self.view.contact(row.contact_id)
            # A row naming a contact merged into another updates the one it was merged into,
            # through later merges too (a loop, which no store should hold, ends the walk).
            seen = {row.contact_id}
            current: str | None = row.contact_id
            while by_id is None and current is not None:
                current = self.view.merged_into(current)
                if current is None or current in seen:
                    break
                seen.add(current)
                by_id = self.view.contact(current)
            if by_id is not None and by_id.id != row.contact_id:
                self.warnings.append(
                    f"line {row.line}: contact {row.contact_id} was merged into {by_id.id}; "
                    "the row updates that contact"
                )
        named = _row_name(checked)
        matches: dict[str, Contact] = {}
        how: dict[str, str] = {}
        found_by: dict[str, list[tuple[str, str]]] = {}  # contact id -> (key, shown) found by
        by_email: set[str] = set()
        # Earlier rows' contacts that share one of this row's numbers but are someone else.
        earlier: dict[str, str] = {}  # contact id -> the key shown
        keys = _row_keys(checked)
        for key, shown, is_email in keys:
            if by_id is None:
                for planned_id in self._planned_keys.get(key, ()):
                    if is_email or not _other_person(named, self._planned_names[planned_id]):
                        return self._twice(row, planned_id, shown)
                    earlier.setdefault(planned_id, shown)
            for contact in self.view.contacts_by_key(key):
                matches.setdefault(contact.id, contact)
                how.setdefault(contact.id, shown)
                found_by.setdefault(contact.id, []).append((key, shown))
                if is_email:
                    by_email.add(contact.id)
        if by_id is not None:
            # Only news is warned about: a number or address the contact already had, shared
            # before the import (a family's landline), stays as it was, so re-importing an
            # unchanged export says nothing about it.
            had = match_keys(by_id)
            for other in matches.values():
                new = [shown for key, shown in found_by[other.id] if key not in had]
                if other.id != by_id.id and new:
                    self.warnings.append(
                        f"line {row.line}: {new[0]} also belongs to {_name(other)}; "
                        f"both contacts now have it"
                    )
            return by_id, Matched.ID
        others = {
            cid: c
            for cid, c in matches.items()
            if cid not in by_email and _other_person(named, _folded_name(c.first_name, c.last_name))
        }
        if by_email and all(
            _other_person(named, _folded_name(c.first_name, c.last_name))
            for cid, c in matches.items()
            if cid in by_email
        ):
            # The row's email names someone, but not by the row's name either: matching it
            # to anyone is a guess, so it stays ambiguous (refused) as before.
            others = {}
        for cid in others:
            del matches[cid]
        if len(matches) > 1:
            listed = "; ".join(
                f"{c.display_name or '(no name)'} (id {c.id}, by {how[c.id]})"
                for c in list(matches.values())[:5]
            )
            return RowProblem(
                row.line,
                f"matches {len(matches)} contacts: {listed}. Give the row an id to say which.",
            )
        if not matches:
            if checked.single_name_refusal:
                return None  # refused as a new contact: nothing to say about adding it
            sharing = [f"{_name(c)} by {how[c.id]}" for c in others.values()]
            sharing.extend(
                f"{self._planned_contact(cid).display_name or '(no name)'} (line "
                f"{self._planned[cid]}) by {shown}"
                for cid, shown in earlier.items()
                if cid not in others
            )
            if sharing:
                listed = ", ".join(sharing[:5])
                who = "who has another name" if len(sharing) == 1 else "who have other names"
                every = "both keep" if len(sharing) == 1 else "all keep"
                self.warnings.append(
                    f"line {row.line}: shares a number with {listed}, {who}; "
                    f"{_shown_name(checked)} is added as a new contact and {every} the number"
                )
            elif not row.contact_id and not keys:
                self.warnings.append(
                    f"line {row.line}: has no id, searchable phone or email to match on, so "
                    "importing the file again adds it again"
                )
            return None
        contact = next(iter(matches.values()))
        if contact.id in self._planned:
            return self._twice(row, contact.id, how[contact.id])
        if row.contact_id:
            self.warnings.append(
                f"line {row.line}: no contact has the id {row.contact_id}; matched "
                f"{_name(contact)} by {how[contact.id]}"
            )
        if contact.id not in by_email:
            # Found by a number alone, which renames nobody: the stored name stays.
            if _renamed(checked, contact):
                self.warnings.append(
                    f"line {row.line}: matched {_name(contact)} by {how[contact.id]}; the file "
                    f"names them {_full_name(checked)}, but a shared number renames nobody, so "
                    "the stored name is kept (give the row the contact's id to rename it)"
                )
            return contact, Matched.PHONE
        stored = f"{contact.first_name} {contact.last_name}".strip()
        # Naming a nameless (ephemeral) contact is what an import is for; renaming is news. A
        # single name the choice did not take renames nobody: the update says so.
        if (
            stored
            and any(named)
            and not checked.single_name_refusal
            and named != _folded_name(contact.first_name, contact.last_name)
        ):
            self.warnings.append(
                f"line {row.line}: matched {_name(contact)} by {how[contact.id]}; "
                f"the file names them {_shown_name(checked)}"
            )
        return contact, Matched.EMAIL

    def _in_address_country(self, checked: CheckedRow, current: Contact) -> CheckedRow:
        """The row with each number it read in the default country read again in the
        country the updated contact's address names, when it names one (the row's address
        carries no country, so ``current``'s stays): the order
        :func:`~contact_tui.domain.draft.phone_countries` declares, as the form and a save
        of this contact would read it. Jonas Weber, stored with an address in DE, imported
        with Home Phone "0351 223344" and no address gets +49 351 223344, not a number kept
        as typed for not being one in the United States. Says the row's notes about its
        numbers, as read in the end."""
        row = checked.row
        notes = dict(checked.phone_notes)
        phones = dict(checked.fields.phones)
        regions = dict(checked.phone_regions)
        if "address.countryCode" not in row.present:
            draft = ContactDraft(address={"countryCode": current.address.country_code})
            for kind in sorted(checked.phone_defaults):
                phone = phones.get(kind)
                where, source = phone_countries(draft, regions[kind])[kind]
                if phone is None or source != CountryFrom.ADDRESS or where == regions[kind]:
                    continue
                text = row.draft.phones[kind].text
                try:
                    again, warning = check_phone(text, where, phone.accepts_sms)
                except RuleError:  # what passed in one country passes in any: no digits
                    continue
                phones[kind], regions[kind] = again, where
                notes.pop(kind, None)
                if warning:
                    notes[kind] = _phone_note(row, kind, warning, where, ADDRESS_SOURCE)
        self.warnings.extend(notes[kind] for kind in sorted(notes))
        if phones == checked.fields.phones:
            return checked
        return replace(
            checked, fields=replace(checked.fields, phones=phones), phone_regions=regions
        )

    def _stored_numbers_kept(self, checked: CheckedRow, current: Contact) -> CheckedRow:
        """The row with each number it keeps as typed that is one of ``current``'s numbers
        written without its country code ("030 3000001" read in the wrong country, for the
        stored +49 30 3000001) replaced by that stored number, with a warning: a file
        imported again with another default country must not turn searchable numbers into
        unsearchable text."""
        stored = [
            (kind, phone, region)
            for kind, phone in current.phones()
            if phone.e164
            and phone.country_code
            and (region := _region_of(phone.country_code)) is not None
        ]
        if not stored:
            return checked
        phones = dict(checked.fields.phones)
        row = checked.row
        for kind, phone in checked.fields.phones.items():
            if phone is None or phone.e164 or kind.value not in row.present:
                continue
            for stored_kind, old, region in stored:
                if phone_key(phone.display, region) != old.e164:
                    continue
                phones[kind] = replace(old, accepts_sms=phone.accepts_sms)
                self.warnings.append(
                    f"line {row.line_of(kind.value)}: {_label(kind.value)} {phone.display!r} is "
                    f"the {_label(stored_kind.value).lower()} {_name(current)} has, "
                    f"{old.display}, written without its country code; that number is kept"
                )
                break
        if phones == checked.fields.phones:
            return checked
        return replace(checked, fields=replace(checked.fields, phones=phones))

    def _single_name_kept(
        self, checked: CheckedRow, current: Contact, warned: frozenset[str]
    ) -> frozenset[str]:
        """The name field of a single name the choice did not take (``single_name_waiting``),
        for an update to leave out: ``current`` keeps its stored names, and unless the name
        is one it has already (our own export of a one-name contact), or a warning already
        said it is kept (``warned``: a shared number renames nobody), a warning names the
        choices that would rename it."""
        waiting = checked.single_name_waiting
        name = _folded_name(getattr(checked.fields, FIELD_BY_ID[waiting].attr), "")
        have = {_folded_name(current.first_name, ""), _folded_name(current.last_name, "")}
        if name not in have and waiting not in warned:
            self.warnings.append(
                f"line {checked.row.line_of(waiting)}: {_name(current)}: the file names them "
                f"{checked.single_name_kept}"
            )
        return frozenset((waiting,))

    def _planned_contact(self, contact_id: str) -> Contact:
        """The contact an earlier row of the file creates or updates."""
        return self.contacts[self._planned[contact_id]]

    def _twice(self, row: ImportRow, contact_id: str, shown: str) -> RowProblem:
        return RowProblem(
            row.line,
            f"describes the same contact as line {self._planned.get(contact_id, '?')} "
            f"(both have {shown}); merge the two rows",
        )

    # --- creating and updating -------------------------------------------------------------

    def _create(self, checked: CheckedRow) -> PlannedWrite | RowProblem:
        row = checked.row
        if checked.single_name_refusal:
            return RowProblem(
                row.line_of(checked.single_name_waiting),
                checked.single_name_refusal,
                single_name=True,
            )
        # A single name (--single-name) leaves the other name out on purpose.
        given = row.present | ({"firstName", "lastName"} if checked.single_name else set())
        missing = [f.id for f in NAME_FIELDS if f.required and f.id not in given]
        if missing:
            labels = " and ".join(field_label(f) for f in missing)
            return RowProblem(
                row.line,
                f"no contact matches this row, and a new contact needs a {labels.lower()}, "
                "which the file does not have",
            )
        contact_type = row.type or ContactType.CURATED
        created = row.create_date or self.now
        modified = row.modify_date or self.now
        if modified < created:
            # A contact cannot change before it exists: a vCard REV (or a file's modifyDate)
            # earlier than its createDate, or than now when it has none, moves createDate
            # back to it. The modifyDate stays, so the row's conflict check still holds.
            if row.create_date is not None:
                self.warnings.append(
                    f"line {row.line_of('modifyDate')}: modifyDate {short_timestamp(modified)} "
                    f"is before createDate {short_timestamp(created)}; createDate is set to the "
                    "modifyDate"
                )
            created = modified
        contact = checked.fields.apply_to(
            Contact(
                id=row.contact_id or self.new_id(),
                type=contact_type,
                create_date=created,
                modify_date=modified,
                created_by=self.user,
                modified_by=self.user,
            )
        )
        contact = _with_inputs(
            replace(contact, identities=_identities((), row)),
            row,
            checked.phone_regions,
            self.region,
        )
        return PlannedWrite(row.line, contact, None, "create")

    def _update(
        self, checked: CheckedRow, current: Contact, *, how: Matched
    ) -> PlannedWrite | RowProblem | None:
        by_id = how == Matched.ID
        checked = self._in_address_country(checked, current)
        # A number alone renames nobody; a single name the contact holds already, in the
        # other name field, is not written twice.
        kept = _renamed(checked, current) if how == Matched.PHONE else frozenset()
        kept |= _single_name_held(checked, current)
        if checked.single_name_refusal:
            if not (current.first_name.strip() or current.last_name.strip()):
                # Naming a nameless (ephemeral) contact with one name is what the choice
                # refuses, as for a new contact.
                return RowProblem(
                    checked.row.line_of(checked.single_name_waiting),
                    checked.single_name_refusal,
                    single_name=True,
                )
            kept |= self._single_name_kept(checked, current, warned=kept)
        if kept:
            checked = replace(checked, row=replace(checked.row, present=checked.row.present - kept))
        checked = self._stored_numbers_kept(checked, current)
        row = checked.row
        updated = _with_inputs(
            _merge(current, checked.fields, row), row, checked.phone_regions, self.region
        )
        new_type = row.type or (
            ContactType.CURATED if current.type == ContactType.EPHEMERAL else current.type
        )
        updated = replace(updated, type=new_type)
        if updated == current:
            return None
        if new_type == ContactType.EPHEMERAL and current.type != ContactType.EPHEMERAL:
            return RowProblem(
                row.line,
                f"would make {current.type.value.lower()} contact {_name(current)} ephemeral; "
                "an import cannot do that",
            )
        action = "update"
        needed = Permission.EDIT
        if new_type == ContactType.CURATED and current.type != ContactType.CURATED:
            action, needed = "promote", Permission.PROMOTE
        if not self.can(needed):
            what = (
                f"add {_name(current)} to Contacts (it is {current.type.value})"
                if action == "promote"
                else f"change {_name(current)}"
            )
            return RowProblem(
                row.line,
                f"would {what}, which needs the {needed.value} permission",
                ProblemKind.PERMISSION,
            )
        # The file's version and modifyDate describe the record its id names; a row matched by
        # phone or email came from some other record, so they say nothing about this one.
        conflict = _conflict(row, current) if by_id else ""
        if conflict:
            return RowProblem(row.line, conflict, ProblemKind.CONFLICT)
        updated = replace(updated, modify_date=self.now, modified_by=self.user)
        return PlannedWrite(row.line, updated, current, action)


def plan_notes(
    rows: Iterable[tuple[CheckedRow, Contact]],
    stored: Mapping[str, Iterable[str]],
    can_edit: bool,
) -> tuple[list[PlannedNote], list[RowProblem]]:
    """The contact notes the rows add, and the rows refused for them (see the module
    docstring): ``rows`` pairs each planned row with its contact, ``stored`` gives the note
    texts each contact has now (by id), ``can_edit`` whether the user holds edit. A note is
    left out when its contact already has a note of exactly that text, or an earlier row
    added one."""
    added: list[PlannedNote] = []
    problems: list[RowProblem] = []
    texts: dict[str, set[str]] = {}
    for checked, contact in rows:
        if not checked.contact_notes:
            continue
        have = texts.get(contact.id)
        if have is None:
            have = texts[contact.id] = set(stored.get(contact.id, ()))
        new = [text for text in checked.contact_notes if text not in have]
        if not new:
            continue
        if not can_edit:
            count = f"{len(new)} {'note' if len(new) == 1 else 'notes'}"
            problems.append(
                RowProblem(
                    checked.row.line,  # the row's line: the service leaves out its write
                    f"would add {count} to {_name(contact)}, which needs the "
                    f"{Permission.EDIT.value} permission; import the file without its notes",
                    ProblemKind.PERMISSION,
                )
            )
            continue
        have.update(new)
        line = checked.row.line_of("notes")
        added.extend(PlannedNote(line, contact.id, text) for text in new)
    return added, problems


def _name(contact: Contact) -> str:
    return f"{contact.display_name or '(no name)'} (id {contact.id})"


def _said(checked: CheckedRow) -> str:
    """Everything a checked row asks of the store, as one comparable text: two rows with the
    same text are the same contact given twice. Values are compared as the rules cleaned them
    (a number as its E.164 form, not as typed; the line numbers are left out)."""
    row, fields = checked.row, checked.fields
    phones = {k: p if p is None else replace(p, user_input="") for k, p in fields.phones.items()}
    return repr(
        (
            replace(fields, phones=phones),
            sorted(row.present),
            row.contact_id,
            row.type,
            sorted(row.identities.items()),
            row.version,
            row.create_date,
            row.modify_date,
            sorted(row.given_phones.items()),
            checked.contact_notes,
            checked.single_name,
            checked.single_name_waiting,
            row.company,
            row.exact_names,
        )
    )


def _conflict(row: ImportRow, current: Contact) -> str:
    """Why applying this row would undo a newer change, or ''."""
    changed = f"changed by {current.modified_by or 'someone'}"
    if current.modify_date is not None:
        changed += f" at {short_timestamp(current.modify_date)}"
    if row.version is not None and row.version != current.version:
        return (
            f"{_name(current)} is at version {current.version} ({changed}) but the file has "
            f"version {row.version}; export it again, or clear the version to overwrite"
        )
    if (
        row.version is None
        and row.modify_date is not None
        and current.modify_date is not None
        and current.modify_date > row.modify_date
    ):
        return (
            f"{_name(current)} was {changed}, after the file's modifyDate "
            f"{short_timestamp(row.modify_date)}; export it again, or clear modifyDate "
            "to overwrite"
        )
    return ""


def _row_keys(checked: CheckedRow) -> list[tuple[str, str, bool]]:
    """The identity keys a row is matched by, with how to name each in a message and
    whether it is an email (a phone may be shared by several people; an email is not)."""
    row, fields = checked.row, checked.fields
    keys = []
    for kind, phone in fields.phones.items():
        if phone is not None and phone.e164 and kind.value in row.present:
            keys.append((phone_identity(phone.e164), f"phone {phone.e164}", False))
    for email_kind, email in fields.emails.items():
        if email and email_kind.value in row.present:
            keys.append((stored_email_identity(email), f"email {email}", True))
    return keys


Name = tuple[str, str]  # a first and a last name, folded; ("", "") when unknown


def _folded_name(first: str, last: str) -> Name:
    """A person's first and last name as compared: case, accents and spacing folded."""
    return fold(" ".join(first.split())), fold(" ".join(last.split()))


def _row_name(checked: CheckedRow) -> Name:
    """The row's folded name, or ("", "") when it does not carry both names (so it cannot
    say whether it is the same person) or is a nameless ephemeral row."""
    present = checked.row.present
    single = checked.single_name or checked.single_name_waiting
    if not single and not {"firstName", "lastName"} <= present:
        return "", ""
    return _folded_name(checked.fields.first_name, checked.fields.last_name)


def _shown_name(checked: CheckedRow) -> str:
    fields = checked.fields
    return " ".join(f"{fields.first_name} {fields.last_name}".split()) or "(no name)"


def _single_name_held(checked: CheckedRow, contact: Contact) -> frozenset[str]:
    """The field a single name would go in (--single-name), when ``contact`` holds that name
    in its other name field already: a company imported with --single-name=last, then again
    with --single-name=first, keeps "Pizzeria Roma" once, not as its first and last name."""
    single = checked.single_name or checked.single_name_waiting
    if not single:
        return frozenset()
    attrs = {"firstName": ("first_name", "last_name"), "lastName": ("last_name", "first_name")}
    mine, other = attrs[single]
    name = getattr(checked.fields, mine)
    if _folded_name(name, "") != _folded_name(getattr(contact, other), ""):
        return frozenset()
    return frozenset((single,))


def _region_of(country_code: int) -> str | None:
    """The region a stored number's calling code is read in, or None (a non-geographic or
    unknown code has no national form)."""
    try:
        region = region_for_country_code(country_code)
    except RuleError:
        return None
    return None if region == "001" else region


def _full_name(checked: CheckedRow) -> str:
    """The row's first, middle and last name as one line."""
    fields = checked.fields
    return " ".join(f"{fields.first_name} {fields.middle_name} {fields.last_name}".split())


def _other_person(row: Name, stored: Name) -> bool:
    """True when a row's name and a stored contact's name say they are different people,
    though they share a number.

    Another first name or another last name is another person (a family's home phone, an
    office switchboard; "Sam Smith" is not "Sam Lee", even if one became the other, which
    only an id or an email can say). A name one of them lacks says nothing (an import names
    a nameless ephemeral contact; a single name, "Sam", agrees with "Sam Lee"), and a file
    that swaps the columns ("Silva", "Ana") names the same person.
    """
    if not any(row) or not any(stored) or row == stored:
        return False
    if sorted(" ".join(row).split()) == sorted(" ".join(stored).split()):
        return False
    return any(mine and theirs and mine != theirs for mine, theirs in zip(row, stored, strict=True))


_NAME_ATTRS: Final = tuple((f.id, f.attr) for f in NAME_FIELDS)


def _renamed(checked: CheckedRow, contact: Contact) -> frozenset[str]:
    """The name fields the row would change on ``contact`` from a name it already has (an
    empty stored name is filled, as when an import names an ephemeral contact)."""
    return frozenset(
        field_id
        for field_id, attr in _NAME_ATTRS
        if field_id in checked.row.present
        and getattr(contact, attr).strip()
        and getattr(checked.fields, attr) != getattr(contact, attr)
    )


def match_keys(contact: Contact) -> set[str]:
    """The phone and email keys an import matches a contact by (not messaging ids)."""
    return contact_keys(
        (p.e164 for _, p in contact.phones() if p.e164), (e for _, e in contact.emails()), ()
    )


def _identities(
    current: Iterable[MessagingIdentity], row: ImportRow
) -> tuple[MessagingIdentity, ...]:
    """The current identities, with those on platforms the row carries replaced by the row's."""
    carried = {
        Platform(f.removeprefix("identity.")) for f in row.present if f.startswith("identity.")
    }
    kept = [i for i in current if i.platform not in carried]
    kept.extend(i for p, i in row.identities.items() if p in carried and i.ids)
    return tuple(sorted(kept, key=lambda i: _PLATFORM_ORDER[i.platform]))


def _merge(current: Contact, fields: CheckedFields, row: ImportRow) -> Contact:
    """``current`` with the row's present fields applied and every absent one kept."""
    present = _unmoved(current, fields, row.present)
    updated = fields.apply_to(current)
    keep: dict[str, object] = {
        f.attr: getattr(current, f.attr) for f in TEXT_FIELDS if f.id not in present
    }
    for kind in PhoneKind:
        phone = updated.phone(kind)
        if kind.value not in present:
            keep[kind.attr] = current.phone(kind)
        elif phone is not None and f"{kind.value}.acceptsSMS" not in present:
            old = current.phone(kind)
            same = old is not None and (old.e164 or old.display) == (phone.e164 or phone.display)
            keep[kind.attr] = replace(phone, accepts_sms=old.accepts_sms if same and old else False)
    for email_kind in EmailKind:
        if email_kind.value not in present:
            keep[email_kind.attr] = current.email(email_kind)
    if any(f.id not in present for f in ADDRESS_FIELDS):
        keep["address"] = Address(
            **{
                f.attr: getattr(updated.address if f.id in present else current.address, f.attr)
                for f in ADDRESS_FIELDS
            }
        )
    if "surveyOptOut" not in present:
        keep["survey_opt_out"] = current.survey_opt_out
    keep["identities"] = _identities(current.identities, row)
    return replace(updated, **keep)  # type: ignore[arg-type]


def _unmoved(current: Contact, fields: CheckedFields, present: frozenset[str]) -> frozenset[str]:
    """``present`` without the phone and email slots whose value the contact already holds in
    a slot the file does not mention: a phone's vCard calling a number "cell" that is stored as
    the work number leaves it where it is instead of storing it twice."""
    drop: set[str] = set()
    stored_phones = {
        (p.e164 or p.display): k for k, p in current.phones() if k.value not in present
    }
    for kind, phone in fields.phones.items():
        if phone is not None and kind.value in present:
            where = stored_phones.get(phone.e164 or phone.display)
            if where is not None and where != kind:
                drop.update((kind.value, f"{kind.value}.acceptsSMS"))
    stored_emails = {e.lower(): k for k, e in current.emails() if k.value not in present}
    for email_kind, email in fields.emails.items():
        if email and email_kind.value in present:
            where_e = stored_emails.get(email.lower())
            if where_e is not None and where_e != email_kind:
                drop.add(email_kind.value)
    return present - drop if drop else present


def _with_inputs(
    contact: Contact, row: ImportRow, regions: dict[PhoneKind, str], region: str
) -> Contact:
    """Keep what was first typed for each number (Genesys ``userInput``), when the file says;
    ``regions`` is the country each slot's number was read in (``region`` where unsaid)."""
    if not row.phone_inputs:
        return contact
    changes: dict[str, object] = {}
    for kind, typed in row.phone_inputs.items():
        phone = contact.phone(kind)
        if phone is None or phone.user_input == typed or kind.value not in row.present:
            continue
        if (
            phone.e164 is None
            or _same_digits(typed, phone.e164)
            or (phone_key(typed, regions.get(kind, region)) == phone.e164)
        ):
            changes[kind.attr] = replace(phone, user_input=typed)
    return replace(contact, **changes) if changes else contact  # type: ignore[arg-type]


def _same_digits(typed: str, e164: str) -> bool:
    """True when ``typed`` is ``e164`` written with a + and spacing ("+44 20 7946 0958"): the
    common case, decided without parsing the number again (a parse is about 70 us)."""
    return typed.lstrip().startswith("+") and "".join(c for c in typed if c.isdigit()) == e164[1:]
