"""Genesys Cloud JSON: a JSON array of Platform API v2 ``ExternalContact`` objects.

Export is the store document without the local keys (``codec.LOCAL_KEYS``): camelCase,
empty values left out, PhoneNumber objects with ``display``, ``e164``, ``countryCode``,
``userInput``, ``acceptsSMS`` and ``extension`` (an integer), messaging identities,
``surveyOptOut``, ``type``, and ``createDate``/``modifyDate`` in ISO-8601 with a Z.

Contact notes: Genesys keeps them apart from the contact (its notes API,
``/api/v2/externalcontacts/contacts/{contactId}/notes``), so an ``ExternalContact`` has no
notes. An export carries a contact's notes in a local ``notes`` key of its object: an array,
oldest first, of Genesys ``Note`` objects (``id``, ``entityId``, ``entityType`` "Contact",
``noteText``, ``createDate``, ``modifyDate``, ``createdBy`` ``{"id": user}``), left out when
the contact has none; a script can post each one to the notes API. Import reads that array
(each object's ``noteText``; a plain string in it is a note's text too) and, from files an
earlier version wrote, ``notes`` as one string (one note). Each note the contact does not
already have is added by the importing user, now (the file's authors and dates are not
kept: the store sets who and when), so importing an export again adds none.

Import reads such an array, a single object, or a page as the API returns it
(``{"entities": [...], "pageSize": ...}``), and knows the line each object starts on, so every
problem is reported as "line N: ...". Keys Genesys has and contact-tui does not (``division``,
``customFields``, ``externalOrganization`` ...) are reported as not imported. An object with
an id and a type (ours, Genesys Cloud's) describes the whole contact: a phone or email in it
that is no number or address refuses it; in any other object (a script's, Terraform's) such a
value is left out with a warning naming its key (:mod:`contact_tui.exchange.details`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import orjson
import phonenumbers

from contact_tui.domain import codec as docs
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import Contact, ContactType, Note, PhoneKind, PhoneNumber
from contact_tui.exchange.rows import (
    ALL_FIELDS,
    NO_NOTES,
    FileFormatError,
    FileProblem,
    ImportRow,
    NotesByContact,
    ParsedFile,
    decode,
)

# Keys this module maps; anything else on an object is reported as not imported.
_KNOWN_KEYS = frozenset(
    {
        "id",
        "type",
        "firstName",
        "middleName",
        "lastName",
        "salutation",
        "title",
        "workPhone",
        "cellPhone",
        "homePhone",
        "otherPhone",
        "workEmail",
        "personalEmail",
        "otherEmail",
        "address",
        "whatsAppId",
        "facebookId",
        "twitterId",
        "lineId",
        "instagramId",
        "surveyOptOut",
        "externalSystemUrl",
        "createDate",
        "modifyDate",
        "notes",
        "webChatId",
    }
)
# Keys that describe the record rather than the customer; skipped without a word.
_QUIET_KEYS = frozenset({"selfUri", "version", "createdBy", "modifiedBy", "lastInteractionDate"})
# The keys read inside each object-valued key (a phone's are in _PHONE_KEYS); any other key
# inside one is reported as not imported, never dropped silently.
_PHONE_KEYS = frozenset(
    {"display", "e164", "countryCode", "userInput", "acceptsSMS", "extension"}
    | {"normalizationCountryCode"}  # read as the country a number without + is in
)
_NESTED_KEYS: dict[str, frozenset[str]] = {
    "address": frozenset({"address1", "address2", "city", "state", "postalCode", "countryCode"}),
    "twitterId": frozenset({"id", "name", "screenName"}),
    "lineId": frozenset({"ids", "displayName"}),
    "whatsAppId": frozenset({"phoneNumber", "displayName"}),
    "facebookId": frozenset({"ids", "displayName"}),
    "instagramId": frozenset({"ids", "handle", "displayName"}),
    "webChatId": frozenset({"ids", "displayName"}),
}
_ID_KEYS = {"lineId": "userId", "facebookId": "scopedId", "instagramId": "scopedId"}
_ID_KEYS["webChatId"] = "cookieId"
# The phone and email keys: a message about one names the key, as the file does.
_DETAIL_KEYS = (
    *("workPhone", "cellPhone", "homePhone", "otherPhone"),
    *("workEmail", "personalEmail", "otherEmail"),
)
_EXPORTED_LOCALS = frozenset(docs.LOCAL_KEYS)


# --- export ----------------------------------------------------------------------------------


def contact_to_genesys(contact: Contact) -> dict[str, Any]:
    """One contact as a Genesys ``ExternalContact`` object (no local keys)."""
    doc = docs.contact_to_doc(contact)
    return {k: v for k, v in doc.items() if k not in _EXPORTED_LOCALS}


def note_to_genesys(note: Note) -> dict[str, Any]:
    """One contact note as a Genesys ``Note`` object (no local keys)."""
    doc = docs.note_to_doc(note)
    return {k: v for k, v in doc.items() if k not in ("version", "modifiedBy")}


def write_genesys(contacts: Iterable[Contact], notes: NotesByContact = NO_NOTES) -> str:
    """A JSON array of contacts, two-space indented, one key per line, ending in a newline;
    a contact with notes (``notes``, by contact id) has them in its local ``notes`` array."""
    data = []
    for contact in contacts:
        obj = contact_to_genesys(contact)
        own = notes.get(contact.id, ())
        if own:
            obj["notes"] = [note_to_genesys(n) for n in own]
        data.append(obj)
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


# --- import ----------------------------------------------------------------------------------


def read_genesys(data: bytes) -> ParsedFile:
    """Read a Genesys Cloud JSON file into rows, each knowing its line."""
    text = decode(data)
    parsed = ParsedFile()
    for line, value in _top_level_objects(text):
        if not isinstance(value, dict):
            parsed.problems.append(
                FileProblem(line, f"expected a contact object, found {_json_kind(value)}")
            )
            continue
        row = _row_from_object(line, value)
        parsed.rows.append(row)
    return parsed


def _row_from_object(line: int, obj: Mapping[str, Any]) -> ImportRow:
    """One ExternalContact object as an import row; shape problems become row errors."""
    obj = dict(obj)
    unknown = sorted(k for k in obj if k not in _KNOWN_KEYS and k not in _QUIET_KEYS)
    unknown.extend(_unread_nested(obj))
    warnings = []
    if unknown:
        # Up to 20 keys are named, and how many more there are: each one is data not kept.
        listed = ", ".join(unknown[:20])
        if len(unknown) > 20:
            listed += f" and {len(unknown) - 20} more"
        warnings.append(f"line {line}: {listed} not imported (contact-tui has no such field)")
    for key in _QUIET_KEYS:
        obj.pop(key, None)
    kind = obj.get("type")
    if isinstance(kind, str):  # "curated" is as clear as "Curated", as in the CSV and vCard
        obj["type"] = {t.value.lower(): t.value for t in ContactType}.get(kind.lower(), kind)
    raw_id = obj.get("id", "")
    contact_id = raw_id if isinstance(raw_id, str) else ""
    # The document reader checks every key's type and names the one that is wrong.
    try:
        contact = docs.contact_from_doc({**obj, "id": contact_id or "new"}, contact_id)
    except docs.DocumentError as err:
        key, _, reason = err.reason.partition(": ")
        # Nothing else of the object is checked (present is empty), so the one wrong key is
        # the whole message, not followed by "First name is required".
        return ImportRow(
            line=line,
            draft=ContactDraft(),
            present=frozenset(),
            contact_id=contact_id,
            warnings=warnings,
            errors={key or "contact": reason or err.reason},
        )
    errors: dict[str, str] = {}
    if not isinstance(raw_id, str):
        errors["id"] = f"expected text, found {_json_kind(raw_id)}"
    notes = _notes(obj.get("notes"), errors)
    draft = ContactDraft.from_contact(contact)
    inputs: dict[PhoneKind, str] = {}
    given: dict[PhoneKind, PhoneNumber] = {}
    countries: dict[PhoneKind, str] = {}
    for kind, phone in contact.phones():
        raw = obj[kind.value]
        # Check the number itself (E.164 plus extension) rather than Genesys's display, which
        # may be in a national format that would read differently under another default country.
        if phone.e164 is not None:
            text = phone.e164 + (f" ext. {phone.extension}" if phone.extension else "")
            draft.phones[kind] = PhoneDraft(text, phone.accepts_sms)
            # ... and keep the object as Genesys stored it: its e164 is not derived again
            # ("+330000000000" would become "+33000000000").
            given[kind] = _with_calling_code(phone, raw.get("countryCode"), kind, line, warnings)
        if phone.user_input:
            inputs[kind] = phone.user_input
        country = raw.get("normalizationCountryCode")
        if isinstance(country, str) and country.strip():
            countries[kind] = country
    return ImportRow(
        line=line,
        draft=draft,
        present=_present(obj),
        contact_id=contact_id,
        type=ContactType(obj["type"]) if "type" in obj else None,
        identities={i.platform: i for i in contact.identities},
        modify_date=contact.modify_date,
        create_date=contact.create_date,
        phone_inputs=inputs,
        phone_countries=countries,
        given_phones=given,
        warnings=warnings,
        errors=errors,
        contact_notes=notes,
        names_placed=True,  # firstName and lastName are the object's own keys
        # Our export (and Genesys Cloud's) gives every contact its id and type: such an
        # object describes the whole contact (see rows.ImportRow.other_program).
        other_program=not (contact_id and "type" in obj),
        field_sources={key: key for key in _DETAIL_KEYS if key in obj},
    )


def _notes(value: object, errors: dict[str, str]) -> list[str]:
    """The note texts of an object's ``notes``: an array of Note objects (or of texts), or
    one text (an earlier version's export); anything else is an error under "notes"."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    texts: list[str] = []
    if isinstance(value, list):
        for n, item in enumerate(value):
            text = item.get("noteText") if isinstance(item, dict) else item
            if not isinstance(text, str):
                found = _json_kind(text if isinstance(item, dict) else item)
                errors["notes"] = (
                    f"note {n + 1} has no noteText (text), found {found}; each note is a Note "
                    'object like {"noteText": "..."}'
                )
                return []
            if text.strip():
                texts.append(text)
        return texts
    errors["notes"] = f"expected an array of Note objects, found {_json_kind(value)}"
    return []


def _with_calling_code(
    phone: PhoneNumber, raw: object, kind: PhoneKind, line: int, warnings: list[str]
) -> PhoneNumber:
    """The phone with the calling code its e164 has, saying so when the file's
    ``countryCode`` was written another way (Genesys may give a region, "FR")."""
    try:
        code = phonenumbers.parse(phone.e164 or "", None).country_code
    except phonenumbers.NumberParseException:
        return phone  # "+999...": no calling code to keep; the e164 is kept as given
    if raw is not None and raw != "" and str(raw) != str(code):
        warnings.append(
            f"line {line}: {kind.value}.countryCode {raw!r} is kept as the calling code "
            f"{code} of {phone.e164}"
        )
    return replace(phone, country_code=code)


def _unread_nested(obj: Mapping[str, Any]) -> list[str]:
    """The dotted names of keys inside the object's values that the import does not keep:
    ``instagramId.screenName``, ``twitterId.verified``, a WhatsApp number's extension."""
    found: list[str] = []
    for key, value in obj.items():
        if not isinstance(value, Mapping):
            continue
        if key in ("workPhone", "cellPhone", "homePhone", "otherPhone"):
            found.extend(f"{key}.{k}" for k in value if k not in _PHONE_KEYS)
            continue
        known = _NESTED_KEYS.get(key)
        if known is None:
            continue
        found.extend(f"{key}.{k}" for k in value if k not in known)
        ids = value.get("ids")
        if key in _ID_KEYS and isinstance(ids, list):
            extra = {k for i in ids if isinstance(i, Mapping) for k in i if k != _ID_KEYS[key]}
            found.extend(f"{key}.ids.{k}" for k in sorted(extra))
        number = value.get("phoneNumber")
        if key == "whatsAppId" and isinstance(number, Mapping):
            found.extend(_unread_whatsapp(number))
    return found


def _unread_whatsapp(number: Mapping[str, Any]) -> list[str]:
    """What of a WhatsApp number is not kept: contact-tui keeps the number (its e164, else
    its display) as the WhatsApp id, so an extension, a country, an SMS flag, or a display
    that differs from the e164 would be lost and is named."""
    e164 = number.get("e164")
    found = []
    for k, v in number.items():
        if k == "e164" or v in (None, "", False):
            continue
        if k == "display" and (not e164 or v == e164):
            continue
        found.append(f"whatsAppId.phoneNumber.{k}")
    return found


def _present(obj: Mapping[str, Any]) -> frozenset[str]:
    """Every field, except our local ones the object does not carry: Genesys has no web-chat
    identity, so a file without one leaves ours. (Notes are never a field: a row adds the
    notes it has and never removes any.)"""
    local = {"webChatId": "identity.webchat"}
    return ALL_FIELDS - {field for key, field in local.items() if key not in obj}


def _json_kind(value: object) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "text",
        bool: "true or false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


_DECODER = json.JSONDecoder(parse_constant=lambda name: _refuse_constant(name))
_SPACE = " \t\n\r"


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class _Cursor:
    """A position in the text that knows its line number, advancing only forwards."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def move(self, pos: int) -> None:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos

    def skip_space(self) -> str:
        """Skip whitespace; the next character, or '' at the end."""
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        self.move(pos)
        return text[pos] if pos < len(text) else ""

    def expect(self, chars: str, what: str) -> str:
        char = self.skip_space()
        if not char or char not in chars:
            found = repr(char) if char else "the end of the file"
            raise FileFormatError(self.line, f"expected {what}, found {found}")
        self.move(self.pos + 1)
        return char

    def value(self) -> Any:
        self.skip_space()
        try:
            value, end = _DECODER.raw_decode(self.text, self.pos)
        except json.JSONDecodeError as err:
            message = f"not valid JSON: {err.msg} (column {err.colno})"
            raise FileFormatError(err.lineno, message) from None
        except ValueError as err:
            message = str(err)
            if "int_max_str_digits" in message or "Exceeds the limit" in message:
                message = "a number with thousands of digits is not a contact field"
            raise FileFormatError(self.line, message) from None
        except RecursionError:
            raise FileFormatError(self.line, "the JSON is nested too deeply") from None
        start = self.line
        self.move(end)
        return start, value


def _top_level_objects(text: str) -> Iterator[tuple[int, Any]]:
    """(line, value) for each contact in an array, an API page or a single object."""
    cur = _Cursor(text)
    first = cur.skip_space()
    if not first:
        raise FileFormatError(1, "the file is empty")
    if first == "[":
        yield from _array_items(cur)
    elif first == "{":
        yield from _object_or_page(cur)
    else:
        raise FileFormatError(
            cur.line, "expected a JSON array of contacts ('[') or one contact object ('{')"
        )
    if cur.skip_space():
        raise FileFormatError(cur.line, "unexpected text after the end of the JSON")


def _array_items(cur: _Cursor) -> Iterator[tuple[int, Any]]:
    cur.expect("[", "'['")
    if cur.skip_space() == "]":
        cur.move(cur.pos + 1)
        return
    while True:
        yield cur.value()
        if cur.expect(",]", "',' or ']'") == "]":
            return


def _object_or_page(cur: _Cursor) -> Iterator[tuple[int, Any]]:
    """A single contact object, or ``{"entities": [...], ...}`` as the API pages contacts."""
    start = cur.line
    cur.expect("{", "'{'")
    obj: dict[str, Any] = {}
    page = False
    if cur.skip_space() == "}":
        cur.move(cur.pos + 1)
    else:
        while True:
            line, key = cur.value()
            if not isinstance(key, str):
                raise FileFormatError(line, "expected a key in double quotes")
            cur.expect(":", "':'")
            if key == "entities":
                if cur.skip_space() != "[":
                    raise FileFormatError(cur.line, '"entities" must be an array of contacts')
                page = True
                yield from _array_items(cur)
            else:
                obj[key] = cur.value()[1]
            if cur.expect(",}", "',' or '}'") == "}":
                break
    if not page:
        yield start, obj
