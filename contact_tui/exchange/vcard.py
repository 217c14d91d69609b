"""Contacts as vCards (RFC 6350 vCard 4.0 and RFC 2426 vCard 3.0; 2.1 as phones export it).

Reading is done here, on the file's octets (vobject 0.9.9's reader decodes text values as
comma-separated lists, numbers lines wrongly, matches QUOTED-PRINTABLE only in upper case and
decodes the whole file before unfolding):

* The file is split into cards, so every card knows the line it starts on and one broken card
  (no END:VCARD) is a :class:`~contact_tui.exchange.rows.FileProblem` at its line while the
  other cards are still read. A card nested in another (2.1's AGENT, Android's tests) is a card
  of its own. Text outside the cards is a problem too; a file with text but no BEGIN:VCARD
  cannot be read; an empty file holds no contacts (a file warning).
* Folded lines are unfolded first, as octets, so a character a careless exporter split across
  a fold (ownCloud) is whole again; then each property is decoded on its own: QUOTED-PRINTABLE
  however it is spelled (``note;quoted-printable:``, ``ENCODING=quoted-printable``), then its
  octets in its CHARSET (Shift_JIS, windows-1252, ...), UTF-8 when it names none. A vCard 2.1
  card's text that names none and is not UTF-8 is read as Windows-1252, with a warning at its
  line to check it: Windows programs (The Bat!, Outlook 2003) write 2.1 in the system's code
  page without saying which; 3.0 and 4.0 are UTF-8 by definition, so there it is a line
  that cannot be read (below): it refuses the card in N or FN, a warning in a NOTE or ADR.
  Parameter names and values are read ignoring case. Android's street continued after a
  trailing backslash is one value. UTF-16 files are made UTF-8 before they
  get here (:func:`contact_tui.exchange.formats.as_utf8`).
* A line that cannot be read (no ``NAME:``, an unclosed quote, text in no known charset)
  refuses its card, at that line, only when it names or identifies the contact (N, FN, UID,
  KIND), is its VERSION or one of our own X-CONTACT-TUI- properties, or is in our own
  export's card (which describes the whole contact); otherwise (a ``#`` comment,
  ``X-messaging/twitter-All:``, a photo, a detail read: TEL, EMAIL, ADR, TITLE, NOTE, IMPP,
  REV, PRODID) it is a warning and the card is read without it.
  Text values are unescaped here (``\\\\``, ``\\,``, ``\\;``, ``\\n``); any other
  backslash is kept as written.
* Names: N gives last;first;middle;salutation. When N lacks a first or a last name and FN has
  more (``N:Janet`` with ``FN:Janet Jackson``), FN is split at its last space instead, with a
  warning; without N, FN is split so. A single name stays in the part of N that holds it
  (``N:;Janet;;;`` the first name, ``N:Jackson;;;;`` the last) and the row says so
  (``names_placed``, which ``--single-name=as-given`` keeps); from FN, ORG or an N without its
  parts (``N:Ambulance``) it is the first name, not placed. The importer's ``--single-name``
  decides what a single name becomes; a card with no name at all is refused saying what it
  holds (``no_name``). A company's card (``KIND:org``, Apple's
  ``X-ABShowAs:COMPANY``) without a person's name has its organisation (ORG, else FN) as that
  single name and is marked ``company``; so has a card whose only name is its ORG (no N, and
  FN empty or the same: Outlook's and Evolution's company contacts) and a place's
  (``KIND:location``); a group's (``KIND:group``) FN is one name too, unmarked. None is split
  into a first and last name.
  contact-tui's own cards say exactly which name a contact has (``exact_names``): a contact
  stored with one name comes back with it in the same slot, whatever ``--single-name`` says.
* TITLE, each NOTE as a contact note of its own, the first (or preferred) ADR (street, extended,
  locality, region, code, country; a street of several lines keeps them: its first line is
  address line 1, the others line 2), UID (``urn:uuid:`` removed), REV.
* TEL and EMAIL: values whose type names a slot (cell/mobile/iphone, work, home; for email
  work, home/personal/cell) take it first, in PREF order; the others then take the slot their
  type names or, for phones, Other and then any free slot; an email without a type goes to
  Other and then Personal, never Work (a work address is where business mail goes, so a
  guess there misdirects it; Genesys has work, personal and other addresses). What does not
  fit is a warning. TEL types text, sms and msg mean the number accepts SMS; a fax or pager
  number goes to Other even when it is also "work"; a ``sip:`` (or other non-tel URI) TEL is a
  warning, not a number.
* A TEL or EMAIL is a detail of the contact (:mod:`contact_tui.exchange.details`, the rule every
  format shares): in another program's card, a TEL the phone rule
  takes in no country (no digits: "ask Jenny", Outlook's ``BusinessPhone`` placeholder; an
  extension alone; an extension over 9 digits; over 64 characters) and an EMAIL the email
  rule refuses (``contact1@invalid``) are a warning at their line, quoting them, and are not
  stored, so the next one may take the slot and the rest of the card goes in. An address
  written with a name (``"Omega" <omega@example.com>``) is the address in the brackets, with
  a warning. Our own card describes the whole contact (every slot is present), so leaving a
  value out would empty the stored slot: there the importer refuses the card, at the line.
* ``present``: a card from elsewhere (a phone, khard) always names the contact; its title,
  address and each phone and email slot are present only when the card has them, and
  the survey opt-out, external URL and identities only with our properties, so such a card adds
  and changes but never wipes what it does not mention. contact-tui's own export (it has
  X-CONTACT-TUI-TYPE) describes the whole contact: every field is present.
* Properties contact-tui has no field for (ORG, BDAY, PHOTO, URL, ...) are one warning per card.
* Each field read records the line of its property (``ImportRow.field_lines``; a folded
  property's first line), so a bad EMAIL is reported at its own line, not at BEGIN:VCARD.

Writing (vobject builds, escapes and folds each card): VERSION, PRODID, UID (the id exactly as
stored; in 4.0 a UUID in 8-4-4-4-12 form is ``urn:uuid:`` + the id, keeping its case, and any
other id is ``VALUE=text``), then the properties in vobject's order (alphabetical; each
contact note is a NOTE, oldest first, so importing the file again adds none). Phones are
text in both versions (4.0 says so with ``VALUE=text``) holding the number as the form shows it,
TYPE work, home or cell (Other is ``voice``) plus ``text`` when it accepts SMS; emails have TYPE
work, home (Personal) or none (Other). The address has no TYPE, as contact-tui does not know it.
REV is ``modifyDate`` rounded up to the second (vCard 4 has no fractions; rounding up keeps an
unchanged contact from looking changed after the file's REV). vobject folds by characters, not
octets, when a line is under 75 characters; such lines are refolded here so that no line is over
75 octets and no character is split. Lines end in CRLF: write the text as bytes or with
``newline=""``.

Control characters: whatever the store holds (a store written by an older version can hold an
escape sequence or a right-to-left override in a name), a card holds no control, format or bidi
character but its own line breaks. In a text value each one is written as its visible ``\\x1b``
or ``\\u202e`` escape (:func:`contact_tui.domain.text.printable`, what the screen shows too;
a note's line feeds are vCard's ``\\n`` as ever), which reading does not undo; in a parameter or
an IMPP id it is a percent escape (below), which reading does undo.

contact-tui's own properties, so that an export round-trips exactly:

* ``X-CONTACT-TUI-TYPE`` (Ephemeral, Identified, Curated), ``X-CONTACT-TUI-VERSION``,
  ``X-CONTACT-TUI-CREATED`` and ``X-CONTACT-TUI-MODIFIED`` (ISO-8601 with milliseconds, as
  Genesys writes dates; it wins over REV), ``X-CONTACT-TUI-SURVEY-OPT-OUT`` (true or false),
  ``X-CONTACT-TUI-EXTERNAL-URL``.
* One ``IMPP`` per messaging id: ``IMPP;X-CONTACT-TUI-DISPLAY-NAME=Sam;X-CONTACT-TUI-HANDLE=sam:
  whatsapp:+447700900123``, schemes whatsapp, facebook, twitter (x is read too), line,
  instagram and webchat; the display name and handle ride on the platform's first IMPP. vCard
  parameters cannot hold a double quote or a line break, and vobject has no RFC 6868 ``^``
  escapes (it refuses a ``"`` and writes a line break raw, breaking the card), so in the two
  parameters and in the id ``%``, ``"``, ``^``, control, format and line-separator characters
  are written as UTF-8 percent escapes (``%22``); the id also escapes every kind of space,
  ``,``, ``;`` and ``\\`` so it stays a clean URI. Reading undoes the escapes. An IMPP with
  another scheme (sip, xmpp, skype) is a warning.

Readers do not apply the contact rules (see :mod:`contact_tui.exchange.rows`): names, phones and
emails are passed on as text for the importer to check with the form's rules, and hostile text
(escape sequences, markup) is carried as data. The one exception is the TEL and EMAIL
values above, which are checked here (with :mod:`~contact_tui.exchange.details`, as the
importer checks every other program's row) so that one that is no number or address frees its
slot for the next (the importer knows no slots); control characters in them are still left to
the importer.
"""

from __future__ import annotations

import binascii
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import unquote

from contact_tui.domain.codec import format_date, parse_date
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.fields import ADDRESS_PARTS, NAME_FIELDS
from contact_tui.domain.model import (
    IDENTITY_PLATFORMS,
    Contact,
    ContactType,
    EmailKind,
    MessagingIdentity,
    Note,
    PhoneKind,
    Platform,
)
from contact_tui.domain.text import fold, printable, printable_lines
from contact_tui.exchange.details import email_left_out, phone_left_out
from contact_tui.exchange.rows import (
    ADDRESS_FIELD_IDS,
    ALL_FIELDS,
    ID_PATTERN,
    NO_NOTES,
    WINDOWS_1252,
    FileFormatError,
    FileProblem,
    ImportRow,
    NotesByContact,
    ParsedFile,
)

VERSIONS = ("3.0", "4.0")
PRODID = "-//contact-tui//EN"

X_TYPE = "X-CONTACT-TUI-TYPE"
X_VERSION = "X-CONTACT-TUI-VERSION"
X_CREATED = "X-CONTACT-TUI-CREATED"
X_MODIFIED = "X-CONTACT-TUI-MODIFIED"
X_SURVEY_OPT_OUT = "X-CONTACT-TUI-SURVEY-OPT-OUT"
X_EXTERNAL_URL = "X-CONTACT-TUI-EXTERNAL-URL"
X_DISPLAY_NAME = "X-CONTACT-TUI-DISPLAY-NAME"
X_HANDLE = "X-CONTACT-TUI-HANDLE"

# IMPP URI schemes of the messaging platforms; the first scheme of a platform is written.
SCHEMES: dict[str, Platform] = {
    "whatsapp": Platform.WHATSAPP,
    "facebook": Platform.FACEBOOK,
    "twitter": Platform.TWITTER,
    "x": Platform.TWITTER,
    "line": Platform.LINE,
    "instagram": Platform.INSTAGRAM,
    "webchat": Platform.WEBCHAT,
}
_SCHEME_OF = {platform: scheme for scheme, platform in reversed(SCHEMES.items())}

# What every card carries: a vCard is a whole address-book entry.
# A card from elsewhere (a phone, khard) always names the contact; every other field is present
# only when the card has it, so a phone's card never wipes a number, address or note it lacks.
_ALWAYS_PRESENT = frozenset((*(f.id for f in NAME_FIELDS), "salutation"))
# Properties that are read (or deliberately ignored) and so never "not imported".
_HANDLED = frozenset(
    (
        *("VERSION", "PRODID", "REV", "UID", "N", "FN", "KIND"),
        *("TITLE", "NOTE", "ADR", "TEL", "EMAIL", "IMPP"),
        *(X_TYPE, X_VERSION, X_CREATED, X_MODIFIED, X_SURVEY_OPT_OUT, X_EXTERNAL_URL),
    )
)

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_LINE_BREAK_TEXT = re.compile(r"\r\n|\r|\n")
_UNESCAPE = re.compile(r"\\([\\,;nN])")
# A component separator of a structured value (N, ADR): a semicolon no backslash escapes.
_UNESCAPED_SEMICOLON = re.compile(r"(?<!\\)(?:\\\\)*;")
_FOLD_OCTETS = 75
_SMS_TYPES = frozenset(("text", "sms", "msg"))
_CELL_TYPES = frozenset(("cell", "mobile", "iphone"))
_NOT_A_PHONE_TYPES = frozenset(("fax", "pager"))
# Android's EMAIL;CELL (an address on the phone) is the person's own, as HOME is.
_PERSONAL_EMAIL_TYPES = frozenset(("home", "personal", "cell", "mobile"))
_NOT_PREFERRED = 101  # RFC 6350 PREF runs from 1 (most preferred) to 100

_Slot = TypeVar("_Slot", PhoneKind, EmailKind)
# The fields N fills (a problem with a name points at the N line).
_NAME_FIELD_IDS = ("firstName", "middleName", "lastName", "salutation")


# --- reading -------------------------------------------------------------------------------


def read_vcard(data: bytes) -> ParsedFile:
    """The contacts in a vCard file (2.1, 3.0 or 4.0), one row per card.

    Raises FileFormatError when the file holds text but no BEGIN:VCARD at all; every other
    problem is a FileProblem at its line, and the cards around it are still read. An empty file
    (what exporting an empty address book gives) holds no contacts, which is said as a warning.
    """
    data = data.removeprefix(b"\xef\xbb\xbf")
    parsed = ParsedFile()
    if not data.strip():
        parsed.warnings.append("holds no contacts: the file is empty")
        return parsed
    cards = _split_cards(_LINE_BREAK.split(data), parsed.problems)
    if cards is None:
        raise FileFormatError(1, "no BEGIN:VCARD found; is this a vCard file?")
    for card in cards:
        notes: list[tuple[int, str]] = []
        props = _parse_card(card, parsed.problems, notes)
        if props is not None:
            parsed.rows.append(_CardReader(card.start, props, notes).read())
    parsed.problems.sort(key=lambda p: p.line)
    return parsed


@dataclass
class _Card:
    """The physical lines between one BEGIN:VCARD and its END:VCARD, with their numbers, as
    bytes: each property is decoded in its own CHARSET once its folded lines are joined."""

    start: int
    lines: list[tuple[int, bytes]] = field(default_factory=list)


def _split_cards(lines: list[bytes], problems: list[FileProblem]) -> list[_Card] | None:
    """The complete cards of a file (None when there is no BEGIN:VCARD at all).

    A line starting with a space or tab inside a card is a folded continuation, never the
    card's END (a long note can fold so that a continuation reads " END:VCARD").
    """
    cards: list[_Card] = []
    current: _Card | None = None
    # The cards a BEGIN:VCARD inside a card interrupted (vCard 2.1 nests an AGENT's card, and
    # Android's tests nest cards): each nested card is a card of its own, and the one around
    # it goes on after its END.
    outer: list[_Card] = []
    seen_begin = False
    in_stray_text = False
    for number, line in enumerate(lines, 1):
        bare = line.strip().upper()
        continuation = line[:1] in (b" ", b"\t")
        if current is not None and not continuation and bare in (b"END:VCARD", b"BEGIN:VCARD"):
            if bare == b"END:VCARD":
                cards.append(current)
                current = outer.pop() if outer else None
                continue
            outer.append(current)
            current = _Card(number)
        elif current is not None:
            current.lines.append((number, line))
        elif bare == b"BEGIN:VCARD":
            seen_begin = True
            in_stray_text = False
            current = _Card(number)
        elif bare and not in_stray_text:
            in_stray_text = True
            problems.append(
                FileProblem(
                    number,
                    "text outside any card; a vCard file holds only BEGIN:VCARD ... "
                    "END:VCARD blocks and blank lines",
                )
            )
    for unended in (*outer, *([current] if current is not None else [])):
        problems.append(_no_end(unended))
    cards.sort(key=lambda card: card.start)  # a nested card ends before the one around it
    return cards if seen_begin else None


def _no_end(card: _Card) -> FileProblem:
    return FileProblem(
        card.start, "this card has no END:VCARD; add one after its last line, then try again"
    )


@dataclass(frozen=True)
class _Prop:
    """One content line of a card, as plain typed values."""

    name: str  # upper case, without its group
    params: dict[str, list[str]]  # parameter names upper case
    bare: tuple[str, ...]  # vCard 2.1 parameters without a name: TEL;CELL;PREF:
    value: str  # as written (QUOTED-PRINTABLE and CHARSET decoded), not yet unescaped
    line: int
    # The character set the text was read in when it was not UTF-8 and the line named none
    # (a vCard 2.1 card from Windows), '' otherwise.
    guessed: str = ""

    @property
    def types(self) -> frozenset[str]:
        """TYPE values in lower case, from TYPE=a,b, repeated TYPE= and 2.1 bare params."""
        values = [*self.params.get("TYPE", ()), *self.bare]
        return frozenset(t.strip().lower() for v in values for t in v.split(",") if t.strip())

    @property
    def pref(self) -> int:
        """1 for the most preferred (PREF=1 or TYPE=pref) up to 101 for not preferred."""
        for value in self.params.get("PREF", ()):
            try:
                return max(1, min(int(value), 100))
            except ValueError:
                continue
        return 1 if "pref" in self.types else _NOT_PREFERRED

    def param(self, name: str) -> str:
        """One parameter's value (several values joined by commas, as written), or ''."""
        return ",".join(self.params.get(name, ()))

    @property
    def text(self) -> str:
        """The value with vCard text escapes undone."""
        return _unescape(self.value)

    @property
    def empty(self) -> bool:
        return not self.value.strip(" ;,")


class _BadLine(ValueError):
    """A content line that cannot be read; ``name`` is its property name when one is legible."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def _parse_card(
    card: _Card, problems: list[FileProblem], notes: list[tuple[int, str]]
) -> list[_Prop] | None:
    """The properties of a card; None (and a problem at the offending line) when a property
    that names or identifies the contact (N, FN, UID, KIND), its VERSION or one of our
    X-CONTACT-TUI- properties, or any property of our own export's card, cannot be read. A
    line that cannot be read in another property (a photo in an unknown charset,
    ``X-messaging/twitter-All:``, a ``#`` comment, a broken TEL or NOTE: a detail of the
    contact) is a note in ``notes`` and the rest of the card is read."""
    props: list[_Prop] = []
    depth = 0  # inside a component nested in the card (2.1 AGENT), which is not read
    legacy = any(_VERSION_21.fullmatch(line) for _, line in card.lines)
    # Our own card describes the whole contact: a value left out would empty a stored one.
    ours = any(_OUR_TYPE.match(line) for _, line in card.lines)
    for number, raw in _logical_lines(card.lines):
        try:
            prop = _parse_line(number, raw, legacy=legacy)
        except _BadLine as bad:
            if bad.name in _HANDLED and (ours or bad.name not in _DETAILS):
                problems.append(FileProblem(number, f"{bad.name}: {bad.message}"))
                return None
            what = bad.name or "this line"
            notes.append((number, f"{what} was not imported: {bad.message}"))
            continue
        if prop.guessed and prop.name in _HANDLED:
            # Only where the text is used: a property not read is listed as not imported.
            checked = "the name" if prop.name in ("N", "FN") else "it"
            notes.append(
                (
                    number,
                    f"{prop.name} {_shown(_unescape(prop.value))} was read as {prop.guessed} "
                    f"because it is not UTF-8 and the line names no CHARSET; check {checked}",
                )
            )
        if prop.name == "BEGIN":
            depth += 1
            if depth == 1:
                props.append(_Prop(prop.text.upper() or "BEGIN", {}, (), "(component)", number))
        elif prop.name == "END":
            depth = max(0, depth - 1)
        elif depth == 0:
            props.append(prop)
    return props


def _logical_lines(lines: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """Unfold a card's physical lines, as bytes (a character a careless exporter split across
    a fold is whole again before it is decoded): a line starting with a space or tab continues
    the one before (minus that one character); in 2.1, a QUOTED-PRINTABLE value ending in "="
    continues on the next line (a soft line break, decoded later), and, as Android writes a
    street of several lines, a value ending in a lone backslash continues on a next line that
    is not a property (the line break is kept)."""
    out: list[tuple[int, list[bytes]]] = []  # parts joined at the end: a photo has many lines
    qp_open = False
    for number, line in lines:
        if qp_open and out:
            out[-1][1].extend((b"\n", line))
        elif line[:1] in (b" ", b"\t") and out:
            out[-1][1].append(line[1:])
        elif out and b":" not in line and line.strip() and _ends_in_backslash(out[-1][1][-1]):
            out[-1][1][-1] = out[-1][1][-1].rstrip()[:-1]
            out[-1][1].extend((b"\n", line))
        elif line.strip():
            out.append((number, [line.lstrip(b" \t")]))
        else:
            qp_open = False
            continue
        parts = out[-1][1]
        qp_open = (
            parts[-1].endswith(b"=") and b"QUOTED-PRINTABLE" in parts[0].split(b":", 1)[0].upper()
        )
    return [(number, b"".join(parts)) for number, parts in out]


def _ends_in_backslash(part: bytes) -> bool:
    stripped = part.rstrip()
    return (len(stripped) - len(stripped.rstrip(b"\\"))) % 2 == 1


# NAME, or group.NAME (Apple's item1.TEL); Lotus Notes writes X_ for X-.
_NAME = re.compile(rb"(?:[A-Za-z0-9_-]+\.)?([A-Za-z0-9_-]+)")
# The name and parameters: everything up to the first colon outside a quoted parameter value.
_HEAD = re.compile(rb'((?:[^:"]|"[^"]*")*):')
_SPLIT_PARAMS = re.compile(r';(?=(?:[^"]*"[^"]*")*[^"]*$)')
_SPLIT_VALUES = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')
_VERSION_21 = re.compile(rb"\s*VERSION\s*:\s*2\.1\s*", re.IGNORECASE)
_OUR_TYPE = re.compile(rb"(?:[A-Za-z0-9_-]+\.)?" + X_TYPE.encode() + rb"[;:]", re.IGNORECASE)
# Properties read that are details of a contact: in another program's card a line of one
# that cannot be read is a warning, not a reason to refuse the contact.
_DETAILS = frozenset(("TEL", "EMAIL", "ADR", "TITLE", "NOTE", "IMPP", "REV", "PRODID"))
# What a vCard 2.1 card's text is read as when it is not UTF-8 and names no CHARSET: Windows
# programs (Outlook 2003, The Bat!) write 2.1 in the system's code page without saying so, and
# windows-1252 is the code page of Western Europe and the Americas.
_LEGACY_CHARSET = "windows-1252"
_LEGACY_CHARSET_NAME = f"{WINDOWS_1252} (Western European)"


def _parse_line(number: int, raw: bytes, *, legacy: bool = False) -> _Prop:
    """One unfolded content line as a property, its value decoded: QUOTED-PRINTABLE (however
    the parameter is spelled) undone, then the octets read in the property's CHARSET (UTF-8
    when it names none; in a vCard 2.1 card, ``legacy``, text that names none and is not
    UTF-8 is read as windows-1252 and the property says so). Raises _BadLine."""
    name_match = _NAME.match(raw)
    legible = ""
    if name_match and raw[name_match.end() : name_match.end() + 1] in (b";", b":"):
        legible = name_match.group(1).decode("ascii").upper().replace("_", "-")
    head_match = _HEAD.match(raw)
    if not legible or name_match is None or head_match is None:
        raise _BadLine(legible, "it is not a vCard property (NAME:value or NAME;PARAM:value)")
    head, value = head_match.group(1), raw[head_match.end() :]
    rest = head[name_match.end() :]
    params: dict[str, list[str]] = {}
    bare: list[str] = []
    for param in _SPLIT_PARAMS.split(rest[1:].decode("utf-8", "replace")) if rest else ():
        key, equals, values = param.partition("=")
        if not equals:
            if param.strip():
                bare.append(param.strip())
            continue
        params.setdefault(key.strip().upper(), []).extend(
            v[1:-1] if len(v) > 1 and v[0] == v[-1] == '"' else v
            for v in _SPLIT_VALUES.split(values)
        )
    encodings = {v.lower() for v in (*params.get("ENCODING", ()), *bare)}
    if "quoted-printable" in encodings:
        value = binascii.a2b_qp(value)
        params.pop("ENCODING", None)
        bare = [b for b in bare if b.lower() != "quoted-printable"]
    charset = next((c for c in params.get("CHARSET", ()) if c), "")
    try:
        text = value.decode(charset or "utf-8")
    except LookupError:
        raise _BadLine(
            legible, f"its CHARSET {charset!r} is not a character set contact-tui knows"
        ) from None
    except UnicodeDecodeError as err:
        if legacy and not charset:
            try:
                text = value.decode(_LEGACY_CHARSET)
            except UnicodeDecodeError:
                pass  # one of the five bytes windows-1252 leaves undefined: refused below
            else:
                return _Prop(legible, params, tuple(bare), text, number, _LEGACY_CHARSET_NAME)
        byte = value[err.start : err.start + 1].hex().upper()
        if charset or legacy:
            said = (
                f"is not {charset}"
                if charset
                else f"is neither UTF-8 nor {WINDOWS_1252} and the line names no CHARSET"
            )
            advice = "export the contacts again as vCard 3.0 or 4.0, which are UTF-8"
        else:
            # A 3.0 or 4.0 file is UTF-8 by definition: exporting it again as one is no advice.
            said = "is not UTF-8, which vCard 3.0 and 4.0 are, and the line names no CHARSET"
            advice = "save the file as UTF-8 and import it again"
        raise _BadLine(legible, f"its text (byte 0x{byte}) {said}; {advice}") from None
    return _Prop(legible, params, tuple(bare), text, number)


def _unescape(text: str) -> str:
    """Undo vCard text escaping: \\\\ \\, \\; \\n \\N. Any other backslash is kept."""
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _components(value: str, count: int) -> list[str]:
    """A structured value (N, ADR) split on unescaped semicolons into ``count`` parts."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            current.append(value[i : i + 2])
            i += 2
            continue
        if char == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    if len(parts) > count:  # a malformed value: keep the surplus in the last part
        parts[count - 1 :] = [";".join(parts[count - 1 :])]
    return [_unescape(p) for p in parts] + [""] * (count - len(parts))


def _shown(text: str) -> str:
    """A value quoted for a message: control characters escaped, long text shortened."""
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text)


class _CardReader:
    """Turns the properties of one card into an ImportRow."""

    def __init__(self, start: int, props: list[_Prop], notes: list[tuple[int, str]]) -> None:
        self.start = start
        self.props = props
        self.ours = any(p.name == X_TYPE for p in props)
        self.draft = ContactDraft(address={part: "" for part in ADDRESS_PARTS})
        self.result = ImportRow(line=start, draft=self.draft)
        self.present: set[str] = set(_ALWAYS_PRESENT)
        self.warnings: list[tuple[int, str]] = []
        for line, message in notes:
            self.warn(line, message)
        # Properties read on this card beyond _HANDLED (ORG when it names a company's card).
        self.handled: set[str] = set()

    def of(self, name: str) -> list[_Prop]:
        return [p for p in self.props if p.name == name]

    def warn(self, line: int, message: str) -> None:
        self.warnings.append((line, f"line {line}: {message}"))

    def at(self, prop: _Prop, *field_ids: str) -> None:
        """Record that these fields come from ``prop``, so a problem with one names its line
        rather than the card's first."""
        for field_id in field_ids:
            self.result.field_lines[field_id] = prop.line

    def read(self) -> ImportRow:
        self._version()
        self._names()
        self._texts()
        self._address()
        self._phones()
        self._emails()
        self._identities()
        self._extensions()
        self._dates()
        self._not_imported()
        row = self.result
        if not self.ours:
            self.present.update(("title",) if self.of("TITLE") else ())
            self.present.update(ADDRESS_FIELD_IDS if self.of("ADR") else ())
            for kind, phone in self.draft.phones.items():
                # Phones rarely mark numbers "text": no SMS type here means "not said", and a
                # stored SMS flag on the same number is kept.
                self.present.add(kind.value)
                if phone.accepts_sms:
                    self.present.add(f"{kind.value}.acceptsSMS")
            self.present.update(kind.value for kind in self.draft.emails)
        row.present = ALL_FIELDS if self.ours else frozenset(self.present)
        # Our own export says which name a contact stored with one name has, and describes
        # the whole contact.
        row.exact_names, row.other_program = self.ours, not self.ours
        row.no_name = "the card has no name (N, FN or ORG)"
        row.warnings = [message for _, message in sorted(self.warnings, key=lambda w: w[0])]
        return row

    def _version(self) -> None:
        for prop in self.of("VERSION")[:1]:
            if prop.text.strip() not in ("2.1", *VERSIONS):
                self.warn(prop.line, f"vCard version {_shown(prop.text)} is not known; read as 4.0")

    def _names(self) -> None:
        names = self.of("N")
        for extra in names[1:]:
            if not extra.empty:
                self.warn(extra.line, "a second name (N) was not imported")
        family, given, additional, prefix, suffix = (
            _components(names[0].value, 5) if names else [""] * 5
        )
        if names and suffix.strip():
            self.warn(
                names[0].line,
                f"the name suffix {_shown(suffix)} was not imported "
                "(contact-tui has no such field)",
            )
        draft = self.draft
        formatted = next((p for p in self.of("FN") if p.text.strip()), None)
        fn = formatted.text.strip() if formatted else ""
        if names:
            # "name": a card with no name at all is refused at its (empty) N.
            self.at(names[0], *_NAME_FIELD_IDS, "name")
        if self.ours:
            draft.last_name, draft.first_name = family, given
            draft.middle_name, draft.salutation = additional, prefix
            return
        has_family, has_given = bool(family.strip()), bool(given.strip())
        if (has_family and has_given) or ((additional.strip() or prefix.strip()) and not fn):
            draft.last_name, draft.first_name = family, given
            draft.middle_name, draft.salutation = additional, prefix
            return
        single = (family if has_family else given if has_given else "").strip()
        if single and (not fn or fold(fn) == fold(single) or " " not in fn):
            # One name and nothing more in FN ("Ambulance", 최유림): the importer decides what
            # a single name becomes. N with its components (N:;Janet;;; or N:Jackson;;;;)
            # says which name it is, so it stays there (--single-name=as-given keeps it);
            # N:Ambulance, without them, says nothing: the first name, the last empty.
            draft.middle_name, draft.salutation = additional, prefix
            if _UNESCAPED_SEMICOLON.search(names[0].value):
                draft.first_name, draft.last_name = given.strip(), family.strip()
                self.result.names_placed = True
            else:
                draft.first_name = single
            return
        kind = self._kind()
        org = self._organisation()
        if not (kind or single) and org and fold(fn) in ("", fold(_organisation_of(org))):
            # No person's name, only an organisation (Outlook's and Evolution's company
            # contacts, whose FN, when there is one, is the ORG): a company's card too.
            kind = "company"
        if kind != "company":
            org = None
        if not single and kind and (org is not None or fn):
            # A card for a company (KIND:org, Apple's X-ABShowAs:COMPANY), a place or a group
            # names no person: its organisation (else FN) is the one name it has, never split
            # into a first and last name ("Empire State" / "Building").
            self.handled.update(("ORG", "X-ABSHOWAS") if org is not None else ())
            name = _organisation_of(org) if org is not None else fn
            draft.first_name = name
            source = org if org is not None else formatted
            if source is not None:
                self.at(source, "firstName", "lastName")
            self.result.company = kind != "group"
            self.result.card_kind = kind
            said = (
                f"its organisation {_shown(name)} is the name"
                if org is not None
                else f"{_shown(name)} is one name, not a person's first and last name"
            )
            self.warn(formatted.line if formatted else self.start, f"a {kind}'s card: {said}")
            return
        first, last = _split_formatted(fn)
        draft.first_name, draft.last_name = first, last
        if formatted is not None:
            self.at(formatted, "firstName", "lastName")
        draft.middle_name, draft.salutation = additional, prefix
        if single and formatted is not None and last:
            # N holds one part only (N:Janet) while FN has the whole name: FN is the better
            # source, and the message says where the names came from.
            self.warn(
                formatted.line,
                f"the name (N) holds only {_shown(single)}; the first and last name were "
                f"taken from FN {_shown(fn)}",
            )

    def _kind(self) -> str:
        """What a card that describes no person describes ("company", "place" or "group",
        from KIND and Apple's X-ABShowAs), or '' for a person's card."""
        kinds = {p.text.strip().lower() for p in self.of("KIND")}
        shown_as = {p.text.strip().lower() for p in self.of("X-ABSHOWAS")}
        if kinds & {"org", "organization"} or "company" in shown_as:
            return "company"
        return "place" if "location" in kinds else "group" if "group" in kinds else ""

    def _organisation(self) -> _Prop | None:
        """The first ORG that names an organisation, or None."""
        return next((p for p in self.of("ORG") if _organisation_of(p)), None)

    def _texts(self) -> None:
        titles = [p for p in self.of("TITLE") if p.value]
        if titles:
            self.draft.title = titles[0].text
            self.at(titles[0], "title")
        for extra in titles[1:]:
            if not extra.empty:
                self.warn(extra.line, f"a second title {_shown(extra.text)} was not imported")
        # Each NOTE is a note of its own (our export writes one a note); "notes.N" is the line
        # of the Nth, so a note the rule refuses is reported at its own line.
        written = [p for p in self.of("NOTE") if p.text.strip()]
        self.result.contact_notes = [p.text for p in written]
        for prop in written[:1]:
            self.at(prop, "notes")
        for n, prop in enumerate(written, 1):
            self.at(prop, f"notes.{n}")
        for prop in self.of("UID")[:1]:
            self.at(prop, "id")
            uid = prop.text.strip()
            uid = uid[9:] if uid.lower().startswith("urn:uuid:") else uid
            if self.ours or ID_PATTERN.fullmatch(uid):
                self.result.contact_id = uid
            else:
                # Another app's UID ("...@host", a URL) is its own business: match by phone
                # or email instead of refusing the card.
                self.warn(prop.line, f"the UID {_shown(uid)} is not used as an id")

    def _address(self) -> None:
        addresses = sorted(
            (p for p in self.of("ADR") if p.value.replace(";", "")), key=lambda p: p.pref
        )
        if not addresses:
            return
        for extra in sorted(addresses[1:], key=lambda p: p.line):
            self.warn(
                extra.line,
                "a second address was not imported (contact-tui keeps one address per contact)",
            )
        chosen = addresses[0]
        self.at(chosen, *ADDRESS_FIELD_IDS)
        box, extended, street, city, region, code, country = _components(chosen.value, 7)
        address1, address2 = _street_lines(street, extended)
        self.draft.address.update(
            address1=address1,
            address2=address2,
            city=city,
            state=region,
            postalCode=code,
            countryCode=country,
        )
        if box.strip():
            self.warn(
                chosen.line,
                f"the PO box {_shown(box)} of the address was not imported "
                "(contact-tui has no such field)",
            )

    def _phones(self) -> None:
        phones = self.draft.phones
        wanted: list[tuple[_Prop, PhoneKind]] = []
        for prop in sorted((p for p in self.of("TEL") if p.value.strip()), key=lambda p: p.pref):
            scheme = _uri_scheme(prop.text)
            if scheme and scheme != "tel" and prop.param("VALUE").lower() != "text":
                # A SIP (or other) address is not a number a call can be matched by.
                self.warn(
                    prop.line,
                    f"the {scheme.upper()} address {_shown(prop.text)} was not imported "
                    "(contact-tui keeps phone numbers only)",
                )
                continue
            number = _phone_text(prop)
            unusable = "" if self.ours else phone_left_out("TEL", number)
            if unusable:
                # A detail of another program's card (see details): the contact goes in
                # without it, and the next number may take its slot.
                self.warn(prop.line, unusable)
                continue
            wanted.append((prop, _phone_kind(prop.types)))
        fallback = [PhoneKind.OTHER, PhoneKind.WORK, PhoneKind.HOME, PhoneKind.CELL]
        for prop, slot in _slots(wanted, fallback):
            number = _phone_text(prop)
            if slot is None:
                self.warn(
                    prop.line,
                    f"the phone number {_shown(number)} was not imported "
                    "(all four phone slots are taken)",
                )
            else:
                phones[slot] = PhoneDraft(number, bool(prop.types & _SMS_TYPES))
                self.at(prop, slot.value, f"{slot.value}.acceptsSMS")

    def _emails(self) -> None:
        emails = self.draft.emails
        props: list[_Prop] = []
        for prop in sorted((p for p in self.of("EMAIL") if p.value.strip()), key=lambda p: p.pref):
            named = None if self.ours else _NAME_ADDR.fullmatch(prop.text)
            if named and not email_left_out("EMAIL", named.group(1)):
                # A name and an address ('"Omega" <omega@example.com>', as mail programs
                # write them): the address is the part in angle brackets, and the name is
                # the contact's. An address the rule takes holds no escaped character.
                address = named.group(1).strip()
                self.warn(
                    prop.line,
                    f"EMAIL {_shown(prop.text)} holds a name and an address; the address "
                    f"{_shown(address)} was imported",
                )
                prop = replace(prop, value=address)
            unusable = "" if self.ours else email_left_out("EMAIL", prop.text)
            if unusable:
                # A detail, as a TEL that is no number (see _phones): the next address may
                # take its slot.
                self.warn(prop.line, unusable)
                continue
            props.append(prop)
        # An address without a type goes to Other, then Personal, never Work: see the notes.
        order = [EmailKind.OTHER, EmailKind.PERSONAL]
        for prop, slot in _slots([(p, _email_kind(p.types)) for p in props], order):
            if slot is None:
                why = (
                    "all three email slots are taken"
                    if len(emails) == len(EmailKind)
                    else "Other and Personal are taken, and only a work address goes to Work"
                )
                self.warn(
                    prop.line, f"the email address {_shown(prop.text)} was not imported ({why})"
                )
            else:
                emails[slot] = prop.text
                self.at(prop, slot.value)

    def _identities(self) -> None:
        ids: dict[Platform, list[str]] = {}
        display: dict[Platform, str] = {}
        handle: dict[Platform, str] = {}
        for prop in self.of("IMPP"):
            value = prop.text
            scheme, colon, rest = value.partition(":")
            platform = SCHEMES.get(scheme.strip().lower()) if colon else None
            if platform is None:
                if value:
                    self.warn(
                        prop.line,
                        f"IMPP {_shown(value)} was not imported "
                        "(contact-tui has no such messaging platform)",
                    )
                continue
            if platform not in ids:
                self.at(prop, f"identity.{platform.value}")
            platform_ids = ids.setdefault(platform, [])
            if rest and unquote(rest) not in platform_ids:
                platform_ids.append(unquote(rest))
            if not display.get(platform):
                display[platform] = unquote(prop.param(X_DISPLAY_NAME))
            if not handle.get(platform):
                handle[platform] = unquote(prop.param(X_HANDLE))
        for platform, platform_ids in ids.items():
            self.result.identities[platform] = MessagingIdentity(
                platform, tuple(platform_ids), display[platform], handle[platform]
            )
            self.present.add(f"identity.{platform.value}")

    def _extensions(self) -> None:
        row = self.result
        for prop in self.of(X_TYPE)[:1]:
            self.at(prop, "type")
            value = prop.text.strip()
            known = {t.value.lower(): t for t in ContactType}
            if value.lower() in known:
                row.type = known[value.lower()]
            else:
                row.errors["type"] = (
                    f"{_shown(value)} is not a contact type; use Ephemeral, Identified or Curated"
                )
        for prop in self.of(X_SURVEY_OPT_OUT)[:1]:
            self.at(prop, "surveyOptOut")
            self.present.add("surveyOptOut")
            flag = prop.text.strip().lower()
            if flag in ("true", "yes", "1"):
                self.draft.survey_opt_out = True
            elif flag not in ("false", "no", "0", ""):
                row.errors["surveyOptOut"] = f"{_shown(prop.text)} is not true or false"
        for prop in self.of(X_EXTERNAL_URL)[:1]:
            self.at(prop, "externalSystemUrl")
            self.present.add("externalSystemUrl")
            self.draft.external_system_url = prop.text
        for prop in self.of(X_VERSION)[:1]:
            self.at(prop, "version")
            try:
                row.version = int(prop.text.strip())
            except ValueError:
                self.warn(
                    prop.line,
                    f"{X_VERSION} {_shown(prop.text)} is not a whole number and was ignored",
                )

    def _dates(self) -> None:
        row = self.result
        for prop in self.of(X_CREATED)[:1]:
            self.at(prop, "createDate")
            row.create_date = self._date(prop)
        for prop in (*self.of(X_MODIFIED), *self.of("REV"))[:1]:
            self.at(prop, "modifyDate")
            row.modify_date = self._date(prop)

    def _date(self, prop: _Prop) -> datetime | None:
        try:
            return parse_date(prop.text.strip())
        except (ValueError, OverflowError):
            self.warn(prop.line, f"{prop.name} {_shown(prop.text)} is not a date and was ignored")
            return None

    def _not_imported(self) -> None:
        names: list[str] = []
        for prop in self.props:
            if prop.name in _HANDLED or prop.name in self.handled:
                continue
            if not prop.empty and prop.name not in names:
                names.append(prop.name)
        if names:
            self.warn(
                self.start, f"{', '.join(names)} not imported (contact-tui has no such field)"
            )


def _organisation_of(prop: _Prop) -> str:
    """An ORG property's organisation name (its first component), or ''."""
    return _components(prop.value, 2)[0].strip()


def _split_formatted(name: str) -> tuple[str, str]:
    """A formatted name (FN) as first and last name, split at its last space; one word is a
    first name alone."""
    first, _, last = name.rpartition(" ")
    return (first.strip(), last) if first.strip() else (last, "")


def _phone_kind(types: frozenset[str]) -> PhoneKind:
    if types & _NOT_A_PHONE_TYPES:
        return PhoneKind.OTHER
    if types & _CELL_TYPES:
        return PhoneKind.CELL
    if "work" in types:
        return PhoneKind.WORK
    if "home" in types:
        return PhoneKind.HOME
    return PhoneKind.OTHER


def _email_kind(types: frozenset[str]) -> EmailKind:
    if "work" in types:
        return EmailKind.WORK
    if types & _PERSONAL_EMAIL_TYPES:
        return EmailKind.PERSONAL
    return EmailKind.OTHER


def _slots(
    values: list[tuple[_Prop, _Slot]], fallback: list[_Slot]
) -> list[tuple[_Prop, _Slot | None]]:
    """The slot each value goes to (None: no room). ``values`` come most preferred first, each
    with the slot its type names (``fallback[0]``, Other, when it names none). Values that name
    a slot take it first, while it is free; then the rest, in order, take the slot they name
    or else the first free one of ``fallback``. So an untyped number never takes Cell from the
    card's TYPE=CELL number listed after it."""
    taken: dict[_Slot, _Prop] = {}
    first = [(p, wanted) for p, wanted in values if wanted != fallback[0]]
    for prop, wanted in first:
        if wanted not in taken:
            taken[wanted] = prop
    placed: list[tuple[_Prop, _Slot | None]] = [(prop, slot) for slot, prop in taken.items()]
    for prop, wanted in values:
        if taken.get(wanted) is prop:
            continue
        choices: list[_Slot] = [wanted]
        choices.extend(fallback)
        slot = next((s for s in choices if s not in taken), None)
        if slot is not None:
            taken[slot] = prop
        placed.append((prop, slot))
    return placed


def _uri_scheme(text: str) -> str:
    """The lower-case scheme of a URI value ("sip" of "sip:sam@pbx"), or '' for a number."""
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", text)
    return match.group(1).lower() if match else ""


def _street_lines(street: str, extended: str) -> tuple[str, str]:
    """ADR's street and extended address as address lines 1 and 2. A street or extended
    address of several lines (Gmail, Lotus Notes and Android write them) keeps every line:
    the first line is line 1 and the others line 2, joined with ", "."""
    if not _LINE_BREAK_TEXT.search(street) and not _LINE_BREAK_TEXT.search(extended):
        return street, extended
    lines = [part.strip() for text in (street, extended) for part in _LINE_BREAK_TEXT.split(text)]
    lines = [line for line in lines if line]
    return (lines[0] if lines else ""), ", ".join(lines[1:])


# An address with a name, as mail programs write it: "Sam Lee" <sam@example.com>.
_NAME_ADDR = re.compile(r"[^<>]*<([^<>]+)>\s*", re.DOTALL)


def _phone_text(prop: _Prop) -> str:
    """A TEL value as text: a tel: URI becomes its number, with ' ext. N' for an extension."""
    text = prop.text
    if not text.strip().lower().startswith("tel:"):
        return text  # as written: the importer parses it with the form's rules
    number, *params = text.strip()[4:].split(";")
    number = unquote(number)
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "ext" and value.strip():
            return f"{number} ext. {unquote(value.strip())}"
    return number


# --- writing -------------------------------------------------------------------------------

_PHONE_TYPE = {
    PhoneKind.WORK: "work",
    PhoneKind.HOME: "home",
    PhoneKind.CELL: "cell",
    PhoneKind.OTHER: "voice",
}
_EMAIL_TYPE = {EmailKind.WORK: "work", EmailKind.PERSONAL: "home", EmailKind.OTHER: ""}
# Characters a parameter value (and an IMPP id) cannot carry as they are: see the module notes.
_ESCAPED_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
_PARAM_SPECIALS = '%"^'
_ID_SPECIALS = _PARAM_SPECIALS + ",;\\"


def write_vcard(
    contacts: Iterable[Contact], version: str = "4.0", notes: NotesByContact = NO_NOTES
) -> str:
    """The contacts as vCards, one after another, with CRLF line ends; each contact's notes
    (``notes``, by contact id) are a NOTE each, oldest first.

    ``version`` is "4.0" (RFC 6350) or "3.0" (RFC 2426); anything else is a ValueError.
    """
    if version not in VERSIONS:
        raise ValueError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    return "".join(_write_card(c, version, notes.get(c.id, ())) for c in contacts)


def _write_card(contact: Contact, version: str, notes: Sequence[Note]) -> str:
    # vobject is imported where a card is written, not with the module: every command imports
    # the exchange formats (their names), and vobject is much of a command's start-up.
    import vobject  # type: ignore[import-untyped]

    card: Any = vobject.vCard()
    _add(card, "VERSION", version)
    _add(card, "PRODID", PRODID)
    _add(card, "UID", *_uid(contact.id, version))
    _add(card, "FN", contact.display_name)
    card.add("n").value = vobject.vcard.Name(
        family=printable(contact.last_name),
        given=printable(contact.first_name),
        additional=printable(contact.middle_name),
        prefix=printable(contact.salutation),
        suffix="",
    )
    if contact.title:
        _add(card, "TITLE", contact.title)
    for note in notes:
        _add(card, "NOTE", note.text)
    for kind, phone in contact.phones():
        tel_params = {"TYPE": [_PHONE_TYPE[kind], *(["text"] if phone.accepts_sms else [])]}
        if version == "4.0":
            tel_params["VALUE"] = ["text"]  # RFC 6350 6.4.1: TEL may be text instead of a tel: URI
        # The text the form shows (ContactDraft.from_contact), so a round trip gives the same
        # draft: the international form of a searchable number, else the number as typed.
        shown = phone.display if phone.searchable else phone.user_input or phone.display
        if _uri_scheme(shown):
            # A number kept as typed that reads like a URI ("A:1"): said to be text, so the
            # reader keeps it as a number rather than warning it off as a SIP address.
            tel_params["VALUE"] = ["text"]
        _add(card, "TEL", shown, tel_params)
    for email_kind, email in contact.emails():
        email_type = _EMAIL_TYPE[email_kind]
        _add(card, "EMAIL", email, {"TYPE": [email_type]} if email_type else {})
    a = contact.address
    if not a.is_empty():
        card.add("adr").value = vobject.vcard.Address(
            box="",
            extended=printable(a.address2),
            street=printable(a.address1),
            city=printable(a.city),
            region=printable(a.state),
            code=printable(a.postal_code),
            country=printable(a.country_code),
        )
    if contact.modify_date is not None:
        _add(card, "REV", _rev(contact.modify_date, version))
        _add(card, X_MODIFIED, format_date(contact.modify_date))
    if contact.create_date is not None:
        _add(card, X_CREATED, format_date(contact.create_date))
    _add(card, X_TYPE, contact.type.value)
    _add(card, X_VERSION, str(contact.version))
    _add(card, X_SURVEY_OPT_OUT, "true" if contact.survey_opt_out else "false")
    if contact.external_system_url:
        _add(card, X_EXTERNAL_URL, contact.external_system_url)
    for identity in contact.identities:
        if identity.platform not in IDENTITY_PLATFORMS:
            continue
        for i, platform_id in enumerate(identity.ids or ("",)):
            params: dict[str, list[str]] = {}
            if i == 0 and identity.display_name:
                params[X_DISPLAY_NAME] = [_escape(identity.display_name, _PARAM_SPECIALS)]
            if i == 0 and identity.handle:
                params[X_HANDLE] = [_escape(identity.handle, _PARAM_SPECIALS)]
            scheme = _SCHEME_OF[identity.platform]
            uri = f"{scheme}:{_escape(platform_id, _ID_SPECIALS, spaces=True)}"
            _add(card, "IMPP", uri, params)
    return _refold(str(card.serialize()))


def _add(card: Any, name: str, value: str, params: dict[str, list[str]] | None = None) -> None:
    """Add a property whose ``value`` has its control characters written as visible escapes
    (a note keeps its line feeds, which vobject writes as ``\\n``)."""
    line = card.add(name.lower())
    line.value = printable_lines(value) if name == "NOTE" else printable(value)
    for key, values in (params or {}).items():
        line.params[key] = values


_CANONICAL_UUID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")


def _uid(contact_id: str, version: str) -> tuple[str, dict[str, list[str]]]:
    """UID's value and parameters: the id exactly as stored (an id from khard or Evolution
    keeps its case and form, so importing the export finds the same contact). In 4.0 a UUID
    in its 8-4-4-4-12 form is a ``urn:uuid:`` URI; any other id is text (``VALUE=text``)."""
    if version != "4.0":
        return contact_id, {}
    if _CANONICAL_UUID.fullmatch(contact_id):
        return f"urn:uuid:{contact_id}", {}
    return contact_id, {"VALUE": ["text"]}


def _rev(value: datetime, version: str) -> str:
    """REV rounded up to the whole second (never earlier than the real modifyDate)."""
    value = value.astimezone(UTC)
    if value.microsecond:
        value = value.replace(microsecond=0) + timedelta(seconds=1)
    return value.strftime("%Y%m%dT%H%M%SZ" if version == "4.0" else "%Y-%m-%dT%H:%M:%SZ")


def _escape(text: str, specials: str, *, spaces: bool = False) -> str:
    """``text`` with ``specials``, invisible or control characters (and, if ``spaces``, every
    kind of space) as %XX escapes of their UTF-8 octets."""
    return "".join(
        "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
        if c in specials
        or unicodedata.category(c) in _ESCAPED_CATEGORIES
        or (spaces and c.isspace())
        else c
        for c in text
    )


def _refold(text: str) -> str:
    """Fold the lines vobject left over 75 octets (it checks characters first, so a line of
    fewer than 75 multi-byte characters is not folded), never splitting a character."""
    out: list[str] = []
    for line in text.split("\r\n"):
        if len(line.encode("utf-8", "surrogatepass")) <= _FOLD_OCTETS:
            out.append(line)
            continue
        chunk, size = "", 0
        for char in line:
            width = len(char.encode("utf-8", "surrogatepass"))
            if size + width > _FOLD_OCTETS:
                out.append(chunk)
                chunk, size = " ", 1
            chunk += char
            size += width
        out.append(chunk)
    return "\r\n".join(out)
