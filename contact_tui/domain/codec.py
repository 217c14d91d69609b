"""The Genesys JSON codec: the one place where documents become domain objects and back.

Both stores keep contacts, interactions and audit records as these documents (the embedded
store in its JSON file, PostgreSQL as jsonb), and the Genesys JSON import and export and the
command line's ``--json`` output use the same shape, so it lives in the domain, below them all.
Documents follow the Genesys Cloud Platform API v2 ``ExternalContact`` JSON shape (camelCase,
absent values omitted) plus a few local keys (``version``, ``createdBy``, ``modifiedBy``,
``lastInteractionDate``, ``webChatId``). Anything malformed raises :class:`DocumentError`
naming the document and the key, never a bare ``KeyError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from contact_tui.domain.fields import FieldKind, fields_of
from contact_tui.domain.identity import contact_keys
from contact_tui.domain.model import (
    Address,
    AuditAction,
    AuditRecord,
    Channel,
    Contact,
    ContactType,
    EmailKind,
    Interaction,
    InteractionState,
    MatchKind,
    MergeDetail,
    MessagingIdentity,
    Note,
    Participant,
    PhoneKind,
    PhoneNumber,
    Platform,
    Relink,
    UnmergeDetail,
)
from contact_tui.domain.text import fold

Doc = dict[str, Any]

# Keys that exist only in this store and are left out of a Genesys export. (A contact's notes
# are not on its document: they are documents of their own, as Genesys keeps them apart.)
LOCAL_KEYS = ("version", "createdBy", "modifiedBy", "lastInteractionDate", "webChatId")

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")


class DocumentError(ValueError):
    """A stored document does not have the shape a contact, interaction or audit record needs."""

    def __init__(self, table: str, doc_id: str, reason: str) -> None:
        self.table = table
        self.doc_id = doc_id
        self.reason = reason
        super().__init__(f"{table} document {doc_id!r}: {reason}")


# --- dates ---------------------------------------------------------------------------------


def format_date(value: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a Z, as Genesys writes dates."""
    value = value.astimezone(UTC)
    # Not strftime("%Y"): on Linux it writes the year 999 as "999", which no reader accepts.
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
        f"{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}Z"
    )


def parse_date(value: object) -> datetime | None:
    """The inverse of :func:`format_date`; also takes offsets and dates without milliseconds."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"a date must be text, not {type(value).__name__}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-01:00 is past the last datetime in UTC
        raise ValueError(f"{value} is out of range") from None


# --- small readers that name what is wrong ---------------------------------------------------


class _Reader:
    """Reads typed values out of one document and names the key when one is wrong."""

    def __init__(self, table: str, doc: Mapping[str, Any], doc_id: str) -> None:
        self.table = table
        self.doc = doc
        self.doc_id = doc_id

    def fail(self, key: str, reason: str) -> DocumentError:
        return DocumentError(self.table, self.doc_id, f"{key}: {reason}")

    def text(self, key: str, doc: Mapping[str, Any] | None = None) -> str:
        value = (self.doc if doc is None else doc).get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.fail(key, f"expected text, found {type(value).__name__}")
        return value

    def flag(self, key: str, doc: Mapping[str, Any] | None = None) -> bool:
        value = (self.doc if doc is None else doc).get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, found {value!r}")
        return value

    def integer(self, key: str, doc: Mapping[str, Any] | None = None) -> int | None:
        value = (self.doc if doc is None else doc).get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected a whole number, found {value!r}")
        return value

    def mapping(self, key: str, doc: Mapping[str, Any] | None = None) -> Mapping[str, Any] | None:
        value = (self.doc if doc is None else doc).get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected an object, found {type(value).__name__}")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.doc.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "expected a list of text")
        return tuple(value)

    def date(self, key: str) -> datetime | None:
        try:
            return parse_date(self.doc.get(key))
        except ValueError as err:
            raise self.fail(key, f"not an ISO-8601 date ({err})") from None

    def choice(self, key: str, enum: type[Any], default: Any = None) -> Any:
        value = self.doc.get(key, default)
        if value is None and default is None:
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise self.fail(key, f"{value!r} is not one of {allowed}") from None


# --- contacts --------------------------------------------------------------------------------


def _phone_to_doc(phone: PhoneNumber) -> Doc:
    doc: Doc = {"display": phone.display, "userInput": phone.user_input}
    if phone.e164 is not None:
        doc["e164"] = phone.e164
    if phone.country_code is not None:
        # A string in the Genesys API (PhoneNumber.countryCode: "1"); its SDKs type it so.
        doc["countryCode"] = str(phone.country_code)
    doc["acceptsSMS"] = phone.accepts_sms
    if phone.extension is not None:
        doc["extension"] = phone.extension
    return doc


def _phone_from_doc(r: _Reader, key: str, doc: Mapping[str, Any]) -> PhoneNumber:
    e164 = r.text("e164", doc) or None
    if e164 is not None and not _E164.match(e164):
        raise r.fail(f"{key}.e164", f"{e164!r} is not in E.164 form")
    display = r.text("display", doc) or e164 or r.text("userInput", doc)
    if not display:
        raise r.fail(key, "a phone number needs display, e164 or userInput")
    return PhoneNumber(
        display=display,
        user_input=r.text("userInput", doc),
        e164=e164,
        country_code=_country_code(r, key, doc),
        accepts_sms=r.flag("acceptsSMS", doc),
        extension=_extension(r, key, doc),
    )


def _extension(r: _Reader, key: str, doc: Mapping[str, Any]) -> int | None:
    value = r.integer("extension", doc)
    if value is not None and value < 0:
        raise r.fail(f"{key}.extension", f"{value} is not an extension")
    return value


def _country_code(r: _Reader, key: str, doc: Mapping[str, Any]) -> int | None:
    """A phone's calling code: "44" as Genesys writes it, or 44 as older stores did.

    Anything else that is text (a region such as "GB") says nothing the E.164 number does not,
    and is dropped rather than refusing the contact.
    """
    value = doc.get("countryCode")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 4 else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise r.fail(f"{key}.countryCode", f"expected a calling code, found {value!r}")
    return value


def _without_empty(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if v not in ("", None)}


def _identity_to_doc(identity: MessagingIdentity) -> tuple[str, Doc]:
    p = identity.platform
    first = identity.ids[0] if identity.ids else ""
    if p == Platform.WHATSAPP:
        number: Doc = {"display": first}
        if _E164.match(first):
            number["e164"] = first
        return "whatsAppId", {"phoneNumber": number, "displayName": identity.display_name}
    if p == Platform.TWITTER:
        return "twitterId", {
            "id": first,
            "screenName": identity.handle,
            "name": identity.display_name,
        }
    if p == Platform.FACEBOOK:
        ids = [{"scopedId": i} for i in identity.ids]
        return "facebookId", {"ids": ids, "displayName": identity.display_name}
    if p == Platform.LINE:
        return "lineId", {
            "ids": [{"userId": i} for i in identity.ids],
            "displayName": identity.display_name,
        }
    if p == Platform.INSTAGRAM:
        return "instagramId", {
            "ids": [{"scopedId": i} for i in identity.ids],
            "handle": identity.handle,
            "displayName": identity.display_name,
        }
    if p == Platform.WEBCHAT:
        return "webChatId", {
            "ids": [{"cookieId": i} for i in identity.ids],
            "displayName": identity.display_name,
        }
    raise ValueError(f"{p.label} identities are matched by phone number, not stored as an identity")


# Genesys key, platform, and the key each entry of ``ids`` holds its id under.
_IDENTITY_KEYS: tuple[tuple[str, Platform, str], ...] = (
    ("whatsAppId", Platform.WHATSAPP, ""),
    ("facebookId", Platform.FACEBOOK, "scopedId"),
    ("twitterId", Platform.TWITTER, ""),
    ("lineId", Platform.LINE, "userId"),
    ("instagramId", Platform.INSTAGRAM, "scopedId"),
    ("webChatId", Platform.WEBCHAT, "cookieId"),
)


def _identity_ids(r: _Reader, key: str, value: Mapping[str, Any], id_key: str) -> tuple[str, ...]:
    if key == "whatsAppId":
        number = r.mapping("phoneNumber", value) or {}
        first = r.text("e164", number) or r.text("display", number)
        return (first,) if first else ()
    if key == "twitterId":
        first = r.text("id", value) or r.text("screenName", value)
        return (first,) if first else ()
    entries = value.get("ids") or []
    if not isinstance(entries, list):
        raise r.fail(f"{key}.ids", "expected a list")
    ids = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get(id_key), str):
            raise r.fail(f"{key}.ids", f"each entry needs a text {id_key}")
        ids.append(entry[id_key])
    return tuple(ids)


def _identities_from_doc(r: _Reader) -> tuple[MessagingIdentity, ...]:
    found = []
    for key, platform, id_key in _IDENTITY_KEYS:
        value = r.mapping(key)
        if value is None:
            continue
        ids = _identity_ids(r, key, value, id_key)
        if not ids:
            continue
        name_key = "name" if key == "twitterId" else "displayName"
        handle_key = "screenName" if key == "twitterId" else "handle"
        found.append(
            MessagingIdentity(
                platform=platform,
                ids=ids,
                display_name=r.text(name_key, value),
                handle=r.text(handle_key, value),
            )
        )
    return tuple(found)


def contact_to_doc(contact: Contact) -> Doc:
    """A contact as a store document (Genesys shape plus local keys), empty values omitted."""
    doc: Doc = {"id": contact.id, "type": contact.type.value}
    for key, value in (
        ("firstName", contact.first_name),
        ("middleName", contact.middle_name),
        ("lastName", contact.last_name),
        ("salutation", contact.salutation),
        ("title", contact.title),
    ):
        if value:
            doc[key] = value
    for kind in PhoneKind:
        phone = contact.phone(kind)
        if phone is not None:
            doc[kind.value] = _phone_to_doc(phone)
    for email_kind in EmailKind:
        email = contact.email(email_kind)
        if email:
            doc[email_kind.value] = email
    if not contact.address.is_empty():
        a = contact.address
        doc["address"] = {
            k: v
            for k, v in (
                ("address1", a.address1),
                ("address2", a.address2),
                ("city", a.city),
                ("state", a.state),
                ("postalCode", a.postal_code),
                ("countryCode", a.country_code),
            )
            if v
        }
    for identity in contact.identities:
        identity_key, identity_doc = _identity_to_doc(identity)
        doc[identity_key] = _without_empty(identity_doc)
    doc["surveyOptOut"] = contact.survey_opt_out
    if contact.external_system_url:
        doc["externalSystemUrl"] = contact.external_system_url
    if contact.create_date is not None:
        doc["createDate"] = format_date(contact.create_date)
    if contact.modify_date is not None:
        doc["modifyDate"] = format_date(contact.modify_date)
    doc["version"] = contact.version
    if contact.created_by:
        doc["createdBy"] = contact.created_by
    if contact.modified_by:
        doc["modifiedBy"] = contact.modified_by
    if contact.last_interaction_date is not None:
        doc["lastInteractionDate"] = format_date(contact.last_interaction_date)
    return doc


def contact_from_doc(doc: Mapping[str, Any], doc_id: str = "") -> Contact:
    """A store document as a contact; raises DocumentError naming the bad key.

    An earlier version's ``notes`` key is not read: the stores move it into the contact's
    first note (``store.upgrade``: the embedded store when it opens, PostgreSQL in ``db
    init``), and PostgreSQL refuses to store a contact holding it.
    """
    if not isinstance(doc, Mapping):
        raise DocumentError("contacts", doc_id, "not an object")
    r = _Reader("contacts", doc, doc_id or str(doc.get("id", "")))
    contact_id = r.text("id") or doc_id
    if not contact_id:
        raise r.fail("id", "missing")
    phones: dict[str, PhoneNumber | None] = {}
    for kind in PhoneKind:
        value = r.mapping(kind.value)
        phones[kind.value] = None if value is None else _phone_from_doc(r, kind.value, value)
    address = r.mapping("address") or {}
    version = r.integer("version")
    return Contact(
        id=contact_id,
        type=r.choice("type", ContactType, ContactType.CURATED.value),
        first_name=r.text("firstName"),
        middle_name=r.text("middleName"),
        last_name=r.text("lastName"),
        salutation=r.text("salutation"),
        title=r.text("title"),
        work_phone=phones["workPhone"],
        cell_phone=phones["cellPhone"],
        home_phone=phones["homePhone"],
        other_phone=phones["otherPhone"],
        work_email=r.text("workEmail"),
        personal_email=r.text("personalEmail"),
        other_email=r.text("otherEmail"),
        address=Address(
            address1=r.text("address1", address),
            address2=r.text("address2", address),
            city=r.text("city", address),
            state=r.text("state", address),
            postal_code=r.text("postalCode", address),
            country_code=r.text("countryCode", address),
        ),
        identities=_identities_from_doc(r),
        survey_opt_out=r.flag("surveyOptOut"),
        external_system_url=r.text("externalSystemUrl"),
        create_date=r.date("createDate"),
        modify_date=r.date("modifyDate"),
        version=version if version is not None else 0,
        created_by=r.text("createdBy"),
        modified_by=r.text("modifiedBy"),
        last_interaction_date=r.date("lastInteractionDate"),
    )


def contact_doc_keys(doc: Mapping[str, Any]) -> set[str]:
    """The identity keys of a raw contact document, for the store's index.

    Tolerant by design: a malformed part contributes no key instead of failing the whole
    index build; :func:`contact_from_doc` reports it when the contact is read.
    """
    e164s = []
    for kind in PhoneKind:
        phone = doc.get(kind.value)
        if isinstance(phone, Mapping) and isinstance(phone.get("e164"), str):
            e164s.append(phone["e164"])
    emails = [v for k in EmailKind if isinstance(v := doc.get(k.value), str)]
    identities: list[tuple[str, tuple[str, ...]]] = []
    for key, platform, id_key in _IDENTITY_KEYS:
        value = doc.get(key)
        if not isinstance(value, Mapping):
            continue
        try:
            ids = _identity_ids(_Reader("contacts", doc, ""), key, value, id_key)
        except DocumentError:
            continue
        identities.append((platform.value, ids))
    return contact_keys(e164s, emails, identities)


# The fields search matches by substring: the names and the email addresses.
_SEARCHED = fields_of(FieldKind.NAME, FieldKind.EMAIL)


def contact_doc_search_text(doc: Mapping[str, Any]) -> str:
    """Lower-cased names and emails of a raw document, for substring search."""
    parts = []
    for spec in _SEARCHED:
        value = doc.get(spec.column)
        if isinstance(value, str) and value:
            parts.append(value)
    return fold("\x00".join(parts))


_NOT_DIGIT = re.compile(r"[^0-9]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _phone_numbers(doc: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """Each phone slot's number in slot order: its E.164 form (True), else the number as kept
    (False). Tolerant like the other index helpers: a malformed slot gives nothing."""
    numbers = []
    for kind in PhoneKind:
        phone = doc.get(kind.value)
        if not isinstance(phone, Mapping):
            continue
        e164, display, typed = (phone.get(k) for k in ("e164", "display", "userInput"))
        if isinstance(e164, str) and e164:
            numbers.append((e164, True))
        elif kept := next((t for t in (display, typed) if isinstance(t, str) and t), None):
            numbers.append((kept, False))
    return numbers


def contact_doc_phone_digits(doc: Mapping[str, Any]) -> str:
    """The ASCII digits of each phone number (E.164, else as kept), each followed by a space:
    a partial-number search finds a digit run in it, and "ends in" as the run and a space.
    The PostgreSQL store's phone_digits() builds the same text on the server."""
    digits = (_NOT_DIGIT.sub("", number) for number, _ in _phone_numbers(doc))
    return "".join(d + " " for d in digits if d)


def contact_doc_phone_text(doc: Mapping[str, Any]) -> str:
    """The kept (not E.164) phone numbers as typed, ASCII letters lowered, one a line, for a
    quoted search (found as Genesys finds them: literally)."""
    return "\n".join(literal_phone_text(n) for n, e164 in _phone_numbers(doc) if not e164)


def literal_phone_text(text: str) -> str:
    """Phone text as a quoted search compares it: ASCII letters lowered, nothing else changed
    (the same on both stores; PostgreSQL's lower() would depend on the server's locale)."""
    return text.translate(_ASCII_LOWER)


def contact_doc_sort_key(doc: Mapping[str, Any]) -> tuple[str, str, str]:
    """Directory order: last name, first name, then id for a stable order."""
    last = doc.get("lastName")
    first = doc.get("firstName")
    return (
        fold(last) if isinstance(last, str) else "",
        fold(first) if isinstance(first, str) else "",
        str(doc.get("id", "")),
    )


def created_order_key(doc: Mapping[str, Any]) -> tuple[str, str]:
    """First-created first: ISO dates in one format sort as text; id breaks ties."""
    created = doc.get("createDate")
    return (created if isinstance(created, str) else "", str(doc.get("id", "")))


# --- interactions ----------------------------------------------------------------------------


def interaction_to_doc(interaction: Interaction) -> Doc:
    """An interaction as a store document."""
    doc: Doc = {
        "id": interaction.id,
        "channel": interaction.channel.value,
        "from": {"address": interaction.from_.address, "name": interaction.from_.name},
        "agent": interaction.agent,
        "state": interaction.state.value,
        "startedAt": format_date(interaction.started_at),
        "match": interaction.match.value,
    }
    if interaction.platform is not None:
        doc["platform"] = interaction.platform.value
    if interaction.to:
        doc["to"] = list(interaction.to)
    if interaction.cc:
        doc["cc"] = list(interaction.cc)
    if interaction.subject:
        doc["subject"] = interaction.subject
    if interaction.transcript:
        doc["transcript"] = list(interaction.transcript)
    if interaction.ended_at is not None:
        doc["endedAt"] = format_date(interaction.ended_at)
    if interaction.contact_id is not None:
        doc["contactId"] = interaction.contact_id
    if interaction.candidate_ids:
        doc["candidateIds"] = list(interaction.candidate_ids)
    if interaction.wrap_up_note:
        doc["wrapUpNote"] = interaction.wrap_up_note
    if interaction.match_key:
        doc["matchKey"] = interaction.match_key
    return doc


def interaction_from_doc(doc: Mapping[str, Any], doc_id: str = "") -> Interaction:
    """A store document as an interaction; raises DocumentError naming the bad key."""
    if not isinstance(doc, Mapping):
        raise DocumentError("interactions", doc_id, "not an object")
    r = _Reader("interactions", doc, doc_id or str(doc.get("id", "")))
    sender = r.mapping("from") or {}
    started = r.date("startedAt")
    if started is None:
        raise r.fail("startedAt", "missing")
    return Interaction(
        id=r.text("id") or doc_id,
        channel=r.choice("channel", Channel),
        platform=r.choice("platform", Platform),
        from_=Participant(address=r.text("address", sender), name=r.text("name", sender)),
        to=r.texts("to"),
        cc=r.texts("cc"),
        subject=r.text("subject"),
        transcript=r.texts("transcript"),
        agent=r.text("agent"),
        state=r.choice("state", InteractionState, InteractionState.ALERTING.value),
        started_at=started,
        ended_at=r.date("endedAt"),
        contact_id=r.text("contactId") or None,
        match=r.choice("match", MatchKind, MatchKind.NONE.value),
        candidate_ids=r.texts("candidateIds"),
        wrap_up_note=r.text("wrapUpNote"),
        match_key=r.text("matchKey"),
    )


# --- audit -----------------------------------------------------------------------------------


def audit_to_doc(record: AuditRecord) -> Doc:
    """An audit record as a store document."""
    doc: Doc = {
        "id": record.id,
        "at": format_date(record.at),
        "agent": record.agent,
        "action": str(record.action),  # the stored word, whatever type the record holds
        "fields": list(record.fields),
    }
    if record.contact_id is not None:
        doc["contactId"] = record.contact_id
    if record.version is not None:
        doc["version"] = record.version
    if record.interaction_id is not None:
        doc["interactionId"] = record.interaction_id
    if record.note_id is not None:
        doc["noteId"] = record.note_id
    if record.merge is not None:
        doc["merge"] = merge_to_doc(record.merge)
    if record.unmerge is not None:
        u = record.unmerge
        doc["unmerge"] = {
            "undoes": u.undoes,
            "unrestored": list(u.unrestored),
            "left": list(u.left),
            "relinked": list(u.relinked),
        }
    return doc


def merge_to_doc(merge: MergeDetail) -> Doc:
    """A merge's detail as its audit record (and the store's merges table) keeps it: both
    contacts' documents before, the kept one's after, each interaction it relinked and the
    ids of the notes it moved."""
    return {
        "keptBefore": contact_to_doc(merge.kept_before),
        "otherBefore": contact_to_doc(merge.other_before),
        "keptAfter": contact_to_doc(merge.kept_after),
        "relinked": [
            {
                "id": r.interaction_id,
                "contactBefore": r.contact_before,
                "contactAfter": r.contact_after,
                "candidatesBefore": list(r.candidates_before),
                "candidatesAfter": list(r.candidates_after),
            }
            for r in merge.relinked
        ],
        "movedNotes": list(merge.moved_notes),
    }


def merge_from_doc(doc: Mapping[str, Any], doc_id: str = "") -> MergeDetail:
    """The inverse of :func:`merge_to_doc`; DocumentError naming the bad key."""
    r = _Reader("audit", doc, doc_id)
    parts = []
    for key in ("keptBefore", "otherBefore", "keptAfter"):
        part = r.mapping(key)
        if part is None:
            raise r.fail(f"merge.{key}", "missing")
        parts.append(contact_from_doc(part, str(part.get("id", ""))))
    relinked = doc.get("relinked") or []
    if not isinstance(relinked, list):
        raise r.fail("merge.relinked", "expected a list")
    links = []
    for entry in relinked:
        if not isinstance(entry, Mapping):
            raise r.fail("merge.relinked", "each entry must be an object")
        e = _Reader("audit", entry, doc_id)
        links.append(
            Relink(
                interaction_id=e.text("id"),
                contact_before=e.text("contactBefore") or None,
                contact_after=e.text("contactAfter") or None,
                candidates_before=e.texts("candidatesBefore"),
                candidates_after=e.texts("candidatesAfter"),
            )
        )
    return MergeDetail(parts[0], parts[1], parts[2], tuple(links), r.texts("movedNotes"))


def audit_from_doc(doc: Mapping[str, Any], doc_id: str = "") -> AuditRecord:
    """A store document as an audit record."""
    r = _Reader("audit", doc, doc_id or str(doc.get("id", "")))
    at = r.date("at")
    if at is None:
        raise r.fail("at", "missing")
    return AuditRecord(
        id=r.text("id") or doc_id,
        at=at,
        agent=r.text("agent"),
        action=AuditAction.read(r.text("action")),
        contact_id=r.text("contactId") or None,
        fields=r.texts("fields"),
        version=r.integer("version"),
        interaction_id=r.text("interactionId") or None,
        note_id=r.text("noteId") or None,
        merge=merge_from_doc(merge, doc_id) if (merge := r.mapping("merge")) else None,
        unmerge=_unmerge_from_doc(r, unmerge) if (unmerge := r.mapping("unmerge")) else None,
    )


def _unmerge_from_doc(r: _Reader, doc: Mapping[str, Any]) -> UnmergeDetail:
    inner = _Reader(r.table, doc, r.doc_id)
    return UnmergeDetail(
        undoes=inner.text("undoes"),
        unrestored=inner.texts("unrestored"),
        left=inner.texts("left"),
        relinked=inner.texts("relinked"),
    )


# --- contact notes ---------------------------------------------------------------------------


def note_to_doc(note: Note) -> Doc:
    """A contact note as a store document: Genesys Cloud's Note (entityId is the contact, the
    author a user reference) plus the local ``version`` and ``modifiedBy``."""
    doc: Doc = {
        "id": note.id,
        "entityId": note.contact_id,
        "entityType": "Contact",
        "noteText": note.text,
        "createDate": format_date(note.create_date),
        "modifyDate": format_date(note.modify_date),
        "createdBy": {"id": note.created_by},
        "version": note.version,
    }
    if note.modified_by:
        doc["modifiedBy"] = note.modified_by
    return doc


def note_from_doc(doc: Mapping[str, Any], doc_id: str = "") -> Note:
    """A store document as a contact note; raises DocumentError naming the bad key."""
    if not isinstance(doc, Mapping):
        raise DocumentError("notes", doc_id, "not an object")
    r = _Reader("notes", doc, doc_id or str(doc.get("id", "")))
    contact_id = r.text("entityId")
    if not contact_id:
        raise r.fail("entityId", "missing")
    author = r.mapping("createdBy") or {}
    created = r.date("createDate")
    if created is None:
        raise r.fail("createDate", "missing")
    version = r.integer("version")
    return Note(
        id=r.text("id") or doc_id,
        contact_id=contact_id,
        text=r.text("noteText"),
        created_by=r.text("id", author),
        create_date=created,
        modify_date=r.date("modifyDate") or created,
        version=version if version is not None else 1,
        modified_by=r.text("modifiedBy"),
    )


def changed_fields(before: Doc | None, after: Doc) -> tuple[str, ...]:
    """The top-level keys whose values differ, ignoring bookkeeping keys."""
    ignore = {"version", "modifyDate", "modifiedBy", "lastInteractionDate"}
    before = before or {}
    keys = (set(before) | set(after)) - ignore
    return tuple(sorted(k for k in keys if before.get(k) != after.get(k)))
