"""What a file reader hands the importer: one record per contact, with the line it came from.

Readers (``csv_format``, ``vcard``, ``genesys``) only turn bytes into :class:`ImportRow`s and say
what is wrong with the file itself (bad encoding, a broken quote, a card without END:VCARD).
They do not apply the contact rules: the importer checks every row with the same
:func:`~contact_tui.domain.draft.check_draft` the form uses, so a file and the form cannot
disagree about what is valid.

Nothing here imports Textual or touches the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.fields import ADDRESS_FIELDS, TEXT_FIELDS
from contact_tui.domain.model import (
    ContactType,
    EmailKind,
    MessagingIdentity,
    Note,
    PhoneKind,
    PhoneNumber,
    Platform,
)

# Field ids a row can carry. A row lists the ones its file has in ``present``; on an update,
# fields that are not present keep the stored value (a CSV with only name and phone columns
# must not wipe the addresses). An empty value that *is* present clears the field.
PHONE_FIELDS = tuple(kind.value for kind in PhoneKind)  # "workPhone", ...
SMS_FIELDS = tuple(f"{kind.value}.acceptsSMS" for kind in PhoneKind)  # "workPhone.acceptsSMS"
EMAIL_FIELDS = tuple(kind.value for kind in EmailKind)  # "workEmail", ...
ADDRESS_FIELD_IDS = tuple(f.id for f in ADDRESS_FIELDS)  # "address.city", ...
IDENTITY_FIELDS = tuple(
    f"identity.{p.value}" for p in Platform if p != Platform.SMS
)  # "identity.whatsapp", ...
FLAG_FIELDS = ("surveyOptOut",)
ALL_FIELDS = frozenset(
    (
        *(f.id for f in TEXT_FIELDS),  # names, salutation, title, externalSystemUrl
        *PHONE_FIELDS,
        *SMS_FIELDS,
        *EMAIL_FIELDS,
        *ADDRESS_FIELD_IDS,
        *IDENTITY_FIELDS,
        *FLAG_FIELDS,
    )
)


# The contact notes an export writes, by contact id, each contact's oldest first (a contact
# without notes need not be in it).
NotesByContact = Mapping[str, Sequence[Note]]
NO_NOTES: NotesByContact = {}


# How messages name the code page Outlook and Excel on Western Windows save text in, and
# Windows programs write vCard 2.1 in: one spelling for every format.
WINDOWS_1252 = "Windows-1252"


# What an id from a file may look like (a Genesys UUID, a CRM key): no spaces, slashes or
# control characters, so it can never be mistaken for anything but an id.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@dataclass
class ImportRow:
    """One contact as a file describes it, before any rule is applied.

    ``draft`` holds the field values as text, exactly as the form would. ``present`` names the
    fields the file carries for this row (see ``ALL_FIELDS``). ``identities`` holds the
    messaging identities for the platforms whose ``identity.<platform>`` field is present; a
    platform that is present but missing from the dict means "no identity on that platform".
    """

    line: int  # 1-based line of the file where this record starts
    draft: ContactDraft
    present: frozenset[str] = ALL_FIELDS
    contact_id: str = ""  # an id from the file: matched first, and kept when creating
    type: ContactType | None = None  # None: Curated on create, unchanged on update
    identities: dict[Platform, MessagingIdentity] = field(default_factory=dict)
    version: int | None = None  # the version the file was exported at, if it says
    modify_date: datetime | None = None  # the modifyDate the file was exported at, if it says
    create_date: datetime | None = None
    # What was typed for each phone, when the file keeps it apart from the number (Genesys
    # ``userInput``), so a round trip keeps it.
    phone_inputs: dict[PhoneKind, str] = field(default_factory=dict)
    # The country a number without + is read in, when the file says so for that number
    # (Genesys ``normalizationCountryCode``): a region code or a country's name.
    phone_countries: dict[PhoneKind, str] = field(default_factory=dict)
    # Numbers the file already holds in checked form (a Genesys object with ``e164``): kept
    # exactly as given rather than derived again from the text.
    given_phones: dict[PhoneKind, PhoneNumber] = field(default_factory=dict)
    # True when the record names a company or place, not a person (vCard KIND:org,
    # X-ABShowAs:COMPANY): its one name may go in with ``--single-name=company``.
    company: bool = False
    # What a record that names no person names, for messages ("company", "place" or
    # "group": a vCard KIND, a CSV row named by its company column); '' for a person.
    card_kind: str = ""
    # True when the file says exactly which name a contact has and that the other is empty
    # (contact-tui's own vCard export): a single name stays in its slot and goes in whatever
    # ``--single-name`` says, which decides only for names a file leaves to a guess.
    exact_names: bool = False
    # True when the first and last name are the file's own fields for them (a CSV's First and
    # Last Name columns, Genesys firstName and lastName), not placed by the reader (split from
    # a display name, a company's or a vCard FN's one name): ``--single-name=as-given`` keeps
    # a single name in the field it is in only then, so it never guesses.
    names_placed: bool = False
    # True when the record is another program's (a phone's vCard, an Outlook or Google CSV,
    # a CRM's rows in our column names, a script's Genesys JSON): a phone or email in it that
    # is no number or address is left out with a warning (see ``details``). False for
    # contact-tui's own export (a vCard with X-CONTACT-TUI-TYPE, a CSV row with an id, a type
    # and a version, a Genesys object with an id and a type, as ours and Genesys Cloud's
    # are), which describes the whole contact: leaving a value out would empty, or leave
    # stale, a stored slot, so such a value refuses the row, naming the field.
    other_program: bool = False
    # Where each field's value is in the record, as the file names it, for messages about
    # it: a CSV's column ("Business Phone (column 7)"), a Genesys key ("workPhone"). Keys
    # are field ids; a field not listed is called by its label ("Work phone").
    field_sources: dict[str, str] = field(default_factory=dict)
    # What a record with no name at all lacks, as a refusal says it ("the card has no name
    # (N, FN or ORG)"); '' when the form's "First name is required" says it well enough.
    no_name: str = ""
    # Things the file holds that contact-tui has no field for (vCard BDAY, an unknown CSV column,
    # a fifth phone number): reported, never silently dropped.
    warnings: list[str] = field(default_factory=list)
    # Problems in this row's raw values that a reader can see before the rules run (a "maybe" in
    # an SMS column, a date that is not a date). Keys are field ids, as in DraftCheck.errors.
    errors: dict[str, str] = field(default_factory=dict)
    # The contact notes the record carries (a vCard's NOTEs, a CSV notes cell, a Genesys
    # object's notes), as text, oldest first: the import adds each one the contact does not
    # already have (``importer.plan_notes``); a record without notes never removes any.
    contact_notes: list[str] = field(default_factory=list)
    # The line each field's value is on, where that is not ``line``: a card's EMAIL on its
    # seventh line, a cell after a quoted note of several lines. Keys are field ids (as in
    # ``errors``: "workEmail", "address.city", "modifyDate"; a vCard's Nth NOTE is "notes.N");
    # a field not listed is on ``line``.
    field_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, field_id: str) -> int:
        """The line a field's value is on, where a message about it points; a part the row
        does not list ("notes.2" of a CSV cell) is on its field's line."""
        found = self.field_lines.get(field_id)
        if found is None:
            found = self.field_lines.get(field_id.partition(".")[0], self.line)
        return found


@dataclass(frozen=True)
class FileProblem:
    """Something wrong with the file at a line: the importer reports it and writes nothing."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ParsedFile:
    """A reader's result: the rows it could read and the problems it found."""

    rows: list[ImportRow] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    # Notes about the whole file (an ignored column, the delimiter that was guessed).
    warnings: list[str] = field(default_factory=list)


class FileFormatError(ValueError):
    """The file cannot be read at all (not UTF-8, not JSON, no header). ``line`` locates it."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


def decode(data: bytes) -> str:
    """File bytes as text: UTF-8, with or without a byte-order mark.

    Anything else raises FileFormatError naming the line and the byte, and what to do about it
    (spreadsheets often save "CSV" in a Windows code page).
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        # utf-8-sig counts err.start from after the byte-order mark it took off.
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        at = err.start + start
        line = data.count(b"\n", start, at) + 1
        byte = data[at : at + 1].hex().upper()
        raise FileFormatError(
            line,
            f"byte 0x{byte} is not UTF-8; save the file as UTF-8 "
            "(in a spreadsheet: 'CSV UTF-8') and try again",
        ) from None
