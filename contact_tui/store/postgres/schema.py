"""The PostgreSQL store's schema: versioned migrations, the roles, and the server-side rules.

The database is the security boundary (README, "Choosing a store"). Agents connect as their
own login roles; every permission is a NOLOGIN role they are granted through the built-in role
groups (viewer, agent, supervisor, router). Agents may read tables (row-level security decides
which rows) and write only through the SECURITY DEFINER functions below, which check the
caller's permissions (``session_user``: the server's word, never the client's), take who and
when from the server, and derive the identity index from the document itself. With no write
privilege on any table an agent cannot lock a table in a mode that blocks others, and with
``lock_timeout`` set on every session the app opens, a row held by a hostile session costs
others a clear error after a few seconds, not a hang.

Each migration runs in its own transaction; ``meta.schema_version`` says how far a database is.
"""

from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from collections.abc import Iterator

from contact_tui.domain.fields import FieldKind, fields_of
from contact_tui.domain.model import AuditAction, ContactType, InteractionState, Permission
from contact_tui.domain.permissions import BUILTIN_ROLES
from contact_tui.domain.rules import MAX_NOTE_LENGTH, MAX_WRAP_UP_LENGTH
from contact_tui.domain.search import MIN_PARTIAL_DIGITS
from contact_tui.domain.text import fold, is_unsafe_char
from contact_tui.store.errors import NO_AGENT_TO_TAKE
from contact_tui.store.postgres.foldmap import FOLD_MAP

SCHEMA = "contact_tui"
NOTIFY_CHANNEL = "contact_tui_changes"
# How much a session that sends its change notices after each commit keeps before it sends
# the rest in the transaction after all (an import's thousands: see schema.announce).
PENDING_NOTICES_BYTES = 8000

# Every login role and group this store creates starts with this, so an admin can tell them
# apart from the site's other roles.
ROLE_PREFIX = "contact_tui_"
# Granted to every group role: may use the schema at all.
USER_ROLE = f"{ROLE_PREFIX}user"

# One NOLOGIN role per permission; holding it is holding the permission.
PERMISSION_ROLES: dict[Permission, str] = {
    Permission.VIEW: f"{ROLE_PREFIX}can_view",
    Permission.ADD: f"{ROLE_PREFIX}can_add",
    Permission.EDIT: f"{ROLE_PREFIX}can_edit",
    Permission.PROMOTE: f"{ROLE_PREFIX}can_promote",
    Permission.ADMIN: f"{ROLE_PREFIX}can_admin",
    Permission.ROUTE: f"{ROLE_PREFIX}can_route",
    Permission.VIEW_ALL_INTERACTIONS: f"{ROLE_PREFIX}can_view_all",
    Permission.NOTE_EDIT_ALL: f"{ROLE_PREFIX}can_edit_all_notes",
    Permission.MERGE: f"{ROLE_PREFIX}can_merge",
    Permission.DELETE: f"{ROLE_PREFIX}can_delete",
}
assert set(PERMISSION_ROLES) == set(Permission), "every permission has its role"

# The built-in roles (domain.permissions.BUILTIN_ROLES) as group roles: granting one grants
# its permissions.
GROUP_ROLES: dict[str, str] = {name: f"{ROLE_PREFIX}{name}" for name in BUILTIN_ROLES}


def _unsafe_ranges() -> list[tuple[int, int]]:
    """The code points :func:`is_unsafe_char` refuses, as ranges; the line feed is allowed
    (notes and transcripts hold lines) and NUL cannot be stored in jsonb at all."""
    ranges: list[tuple[int, int]] = []
    for code in range(1, sys.maxunicode + 1):
        char = chr(code)
        if char == "\n" or not is_unsafe_char(char):
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def _escape(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def unsafe_class() -> str:
    """A PostgreSQL regular-expression bracket expression matching every unsafe character, as
    :func:`contact_tui.domain.text.is_unsafe_char` defines them (Unicode
    ``unicodedata.unidata_version``); surrogates cannot occur in UTF-8 text and are left out."""
    parts = []
    for low, high in _unsafe_ranges():
        if 0xD800 <= low <= 0xDFFF and 0xD800 <= high <= 0xDFFF:
            continue
        parts.append(_escape(low) if low == high else f"{_escape(low)}-{_escape(high)}")
    return "[" + "".join(parts) + "]"


# Pinned in the first migration: a database keeps refusing exactly what it refused when it was
# made. tests/pg checks that this is still what the domain's rule derives.
UNSAFE_CLASS = (
    "[\\u0001-\\u0009\\u000b-\\u001f\\u007f-\\u009f\\u00ad\\u0600-\\u0605\\u061c\\u06dd"
    "\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b\\u200e-\\u200f\\u2028-\\u202e\\u2060-\\u2064"
    "\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\\U000110bd\\U000110cd\\U00013430-\\U00013438"
    "\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a\\U000e0001\\U000e0020-\\U000e007f]"
)
UNICODE_VERSION = unicodedata.unidata_version
# The Hangul syllables, which fold() decomposes into their letters (jamo) by rule.
_HANGUL_FIRST = 0xAC00
_HANGUL_LAST = 0xD7A3


def fold_map() -> str:
    """:func:`contact_tui.domain.text.fold` as a JSON object (ASCII, no quote mark) mapping
    each character it changes to what it becomes: A-Z, and every code point from U+0080 up but
    the Hangul syllables, which the SQL fold() decomposes by the Unicode rule instead (11,172
    entries it would otherwise hold).

    fold() maps each character on its own, whatever is around it: NFKD decomposes each
    character on its own and then only reorders runs of combining marks, which fold() removes;
    str.casefold() needs no context. So a table of single characters is all of it, and
    checking every code point (tests/pg/test_fold_sql.py) checks every text.
    """
    table = {chr(code): chr(code + 32) for code in range(ord("A"), ord("Z") + 1)}
    for code in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF or _HANGUL_FIRST <= code <= _HANGUL_LAST:
            continue
        char = chr(code)
        folded = fold(char)
        if folded != char:
            table[char] = folded
    return json.dumps(table, ensure_ascii=True, separators=(",", ":")).replace("'", "\\u0027")


# What clean() looks for in a document's text form (jsonb's output), where a string's or a
# key's characters below U+0020 are always escaped (\b \f \n \r \t, else \u00XX in lower
# case; \u0000 cannot be stored) and every other character is written as it is, a backslash as
# two. So: one of the class's characters from U+007F up, which outside a string or key that
# text never holds, or an escape of a control character other than the line feed: a backslash
# after an even run of backslashes (each pair one escaped backslash), then b, f, r, t or u00
# with 0 or 1.
_CONTROLS = "\\u0001-\\u0009\\u000b-\\u001f"
assert UNSAFE_CLASS.startswith("[" + _CONTROLS)
_UNSAFE_TEXT = (
    "[" + UNSAFE_CLASS[1 + len(_CONTROLS) :] + "|(^|[^\\\\])(\\\\\\\\)*\\\\([bfrt]|u00[01])"
)

# How deep any stored document may nest (the app writes at most 4 levels), and how large a
# contact may be (every field at its limit is well under this): a 20 MB name stored by direct
# SQL made every directory listing slow for everyone.
MAX_DEPTH = 8
MAX_CONTACT_BYTES = 512 * 1024


def _role(permission: Permission) -> str:
    return PERMISSION_ROLES[permission]


def _holds(*permissions: Permission) -> str:
    """SQL true when the session's user holds any of ``permissions``; wrapped in a sub-select
    so a row-level policy evaluates it once per statement, not once per row."""
    checks = " OR ".join(f"pg_has_role(session_user, '{_role(p)}', 'MEMBER')" for p in permissions)
    return f"(SELECT {checks})"


def _has(*permissions: Permission) -> str:
    """SQL true when the session's user holds any of ``permissions``, for a plpgsql condition:
    without :func:`_holds`'s sub-select it is a simple expression, which plpgsql evaluates
    directly where a sub-select costs a whole query (0.05-0.1 ms) at each call."""
    checks = " OR ".join(f"pg_has_role(session_user, '{_role(p)}', 'MEMBER')" for p in permissions)
    return f"({checks})"


_PHONES = "ARRAY['workPhone', 'homePhone', 'cellPhone', 'otherPhone']"
# What saving an existing interaction may change (what the app changes: the link, the
# candidates, the state); everything else stays as it arrived.
_MUTABLE = "ARRAY['contactId', 'candidateIds', 'state', 'endedAt']"
_STATES = "ARRAY[" + ", ".join(f"'{s.value}'" for s in InteractionState) + "]"
_KINDS = "ARRAY[" + ", ".join(f"'{t.value}'" for t in ContactType) + "]"
# What codec.contact_from_doc reads as text, at the top and in the address.
_CONTACT_TEXTS = (
    *("firstName", "middleName", "lastName", "salutation", "title"),
    *("workEmail", "personalEmail", "otherEmail", "externalSystemUrl"),
    *("createdBy", "modifiedBy"),
)
_ADDRESS_TEXTS = ("address1", "address2", "city", "state", "postalCode", "countryCode")
_PHONE_KEYS = ("workPhone", "homePhone", "cellPhone", "otherPhone")
# Each messaging identity: its key, its texts, and the key of each entry of its ids (None:
# no list of ids).
_IDENTITIES = (
    ("whatsAppId", ("displayName", "handle"), None),
    ("twitterId", ("id", "screenName", "name"), None),
    ("facebookId", ("displayName", "handle"), "scopedId"),
    ("lineId", ("displayName", "handle"), "userId"),
    ("instagramId", ("displayName", "handle"), "scopedId"),
    ("webChatId", ("displayName", "handle"), "cookieId"),
)
# codec.parse_date's forms: a calendar date, a time to the minute or second with a fraction,
# and Z or an offset; the number ranges here, the days of the month in is_date.
_ISO_DATE = (
    "^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?)?"
    "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)


def _all_text(expr: str, *keys: str) -> str:
    """SQL true when each of ``keys`` in the object ``expr`` is text, null or absent."""
    return "(" + " AND ".join(f"{SCHEMA}.is_text({expr} -> '{k}')" for k in keys) + ")"


def _identity(key: str, id_key: str | None) -> str:
    """SQL true when the document's identity ``key`` is absent, null, or an object whose ids
    (absent, null or a list) are objects holding a text ``id_key`` (its texts: see
    :data:`_NOT_TEXT`)."""
    value = f"doc -> '{key}'"
    ids = "true"
    if id_key is not None:
        bad = f'lax $[*] ? (@.type() != "object" || !exists(@.{id_key} ? (@.type() == "string")))'
        ids = (
            f"({value} -> 'ids' IS NULL OR jsonb_typeof({value} -> 'ids') = 'null' "
            f"OR (jsonb_typeof({value} -> 'ids') = 'array' "
            f"AND NOT jsonb_path_exists({value} -> 'ids', '{bad}')))"
        )
    return (
        f"({value} IS NULL OR jsonb_typeof({value}) = 'null' OR (jsonb_typeof({value}) = "
        f"'object' AND {ids}))"
    )


# A JSON path finding any text of a contact document codec.contact_from_doc reads (at the top,
# in the address, the WhatsApp number and each messaging identity) that is neither a string nor
# null; absent is "not set". type() looks at a list itself where lax mode would look inside;
# a lax path may still look into a container that is a list, which contact_shape refuses
# anyway. One path walk in C, where an is_text() for each of the 33 cost a plpgsql expression
# each to prepare in every transaction.
_NOT_TEXT = (
    "lax $ ? ("
    + " || ".join(
        f'@.{path}.type() != "string" && @.{path}.type() != "null"'
        for path in (
            *_CONTACT_TEXTS,
            *(f"address.{k}" for k in _ADDRESS_TEXTS),
            "whatsAppId.phoneNumber.e164",
            "whatsAppId.phoneNumber.display",
            *(f"{key}.{k}" for key, texts, _ in _IDENTITIES for k in texts),
        )
    )
    + ")"
)

# Whose use cases read a contact inside a write (schema.read_contact): all but route alone.
_READS_CONTACT = _has(
    Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE, Permission.ADMIN
)
# The dates the app writes (codec.format_date).
_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$"
_EMAILS = "ARRAY['workEmail', 'personalEmail', 'otherEmail']"
# Every member of a contact document doc_keys reads: a save that changes none of them keeps
# the contact's identity keys.
_KEYED = (
    "ARRAY['workPhone', 'homePhone', 'cellPhone', 'otherPhone', 'workEmail', 'personalEmail', "
    "'otherEmail', 'whatsAppId', 'twitterId', 'facebookId', 'lineId', 'instagramId', "
    "'webChatId']"
)


def _doc_text(key: str) -> str:
    """SQL: the contact document's ``key`` when it is text, else NULL."""
    return f"CASE WHEN jsonb_typeof(doc -> '{key}') = 'string' THEN doc ->> '{key}' END"


# contact_doc_search_text before its fold: the names and emails that are set, one a line
# (fold maps each character on its own, so folding them joined is folding each).
_SEARCH_TEXT = (
    "concat_ws(E'\\n', "
    + ", ".join(
        f"nullif({_doc_text(f.column)}, '')" for f in fields_of(FieldKind.NAME, FieldKind.EMAIL)
    )
    + ")"
)

# The refusal save_interaction raises for an interaction routed to no one who could read it
# (the service says the same sentence: store.errors), '%' standing for the agent.
_NO_AGENT_TO_TAKE = NO_AGENT_TO_TAKE.format(agent="%", permission=Permission.VIEW.value).replace(
    "'", "''"
)

MIGRATION_1 = f"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA {SCHEMA};
REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC;

CREATE TABLE {SCHEMA}.meta (key text PRIMARY KEY, value text NOT NULL);

-- True when no string (value or key) anywhere in a document holds a control, bidi or other
-- format character: the same rule the app cleans customer text with, enforced for direct SQL.
-- No document nests deeper than MAX_DEPTH (the deepest the app writes is 4): JSON nested
-- thousands deep is stored by the server but makes every reader that decodes it recurse until
-- it fails, so one such contact would break search for everyone.
-- The characters: one regular expression over the document's text (_UNSAFE_TEXT), 6 us a
-- contact, where walking every string and every key with JSON paths took 50 us (a save checks
-- its contact and its audit record). The depth: one path walk. plpgsql, which plans the
-- expression once a session: as an SQL function it was planned for every row checked.
CREATE FUNCTION {SCHEMA}.clean(doc jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN NOT jsonb_path_exists(doc, 'strict $.**{{{MAX_DEPTH + 1} to last}}')
        AND doc::text !~ '{_UNSAFE_TEXT}';
END $$;

-- The identity keys of a contact document: what domain.codec.contact_doc_keys derives.
-- plpgsql, so its query is planned once a session: as an SQL function it was planned again
-- for every save that changed a key (0.5 ms).
CREATE FUNCTION {SCHEMA}.doc_keys(doc jsonb) RETURNS SETOF text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN QUERY SELECT 'tel:' || (doc -> k ->> 'e164') FROM unnest({_PHONES}) AS k
        WHERE jsonb_typeof(doc -> k -> 'e164') = 'string' AND doc -> k ->> 'e164' <> ''
    UNION
    SELECT 'email:' || lower(btrim(doc ->> k)) FROM unnest({_EMAILS}) AS k
        WHERE jsonb_typeof(doc -> k) = 'string' AND doc ->> k <> ''
    UNION
    SELECT 'whatsapp:' || btrim(v) FROM (SELECT CASE
            WHEN jsonb_typeof(doc #> '{{whatsAppId,phoneNumber,e164}}') = 'string'
                 AND doc #>> '{{whatsAppId,phoneNumber,e164}}' <> ''
            THEN doc #>> '{{whatsAppId,phoneNumber,e164}}'
            WHEN jsonb_typeof(doc #> '{{whatsAppId,phoneNumber,display}}') = 'string'
            THEN doc #>> '{{whatsAppId,phoneNumber,display}}' END AS v) AS w
        WHERE v <> '' AND jsonb_typeof(doc -> 'whatsAppId') = 'object'
    UNION
    SELECT 'twitter:' || btrim(v) FROM (SELECT CASE
            WHEN jsonb_typeof(doc #> '{{twitterId,id}}') = 'string'
                 AND doc #>> '{{twitterId,id}}' <> ''
            THEN doc #>> '{{twitterId,id}}'
            WHEN jsonb_typeof(doc #> '{{twitterId,screenName}}') = 'string'
            THEN doc #>> '{{twitterId,screenName}}' END AS v) AS t
        WHERE v <> '' AND jsonb_typeof(doc -> 'twitterId') = 'object'
    UNION
    SELECT p.platform || ':' || btrim(e ->> p.id_key)
        FROM (VALUES ('facebookId', 'facebook', 'scopedId'), ('lineId', 'line', 'userId'),
                     ('instagramId', 'instagram', 'scopedId'),
                     ('webChatId', 'webchat', 'cookieId')) AS p(key, platform, id_key),
             jsonb_array_elements(CASE WHEN jsonb_typeof(doc -> p.key -> 'ids') = 'array'
                                       THEN doc -> p.key -> 'ids' ELSE '[]' END) AS e
        WHERE jsonb_typeof(doc -> p.key) = 'object'
          AND jsonb_typeof(e -> p.id_key) = 'string' AND e ->> p.id_key <> '';
END $$;

-- The shape domain.codec.contact_from_doc reads, so that no save (a user with edit calling
-- save_contact with "firstName": 42, say) can store a contact no one can read afterwards.
-- Absent and null are "not set" to the codec; a number it reads must be written as a whole
-- number (jsonb keeps 1.0 as 1.0, which reads back as a float). The helpers are one
-- expression each, which PostgreSQL inlines into contact_shape's; contact_shape is plpgsql so
-- that the whole expression is planned once a session and then only evaluated (tens of
-- microseconds a save). As an SQL function it was planned again for every save: 1.4 ms.
CREATE FUNCTION {SCHEMA}.is_text(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v IS NULL OR jsonb_typeof(v) IN ('null', 'string')
$$;
CREATE FUNCTION {SCHEMA}.is_flag(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v IS NULL OR jsonb_typeof(v) IN ('null', 'boolean')
$$;
CREATE FUNCTION {SCHEMA}.is_whole(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v IS NULL OR jsonb_typeof(v) = 'null'
        OR (jsonb_typeof(v) = 'number' AND v #>> '{{}}' ~ '^-?[0-9]+$')
$$;
-- An ISO-8601 date as codec.parse_date reads it (datetime.fromisoformat, then UTC): the
-- calendar checked, and no offset that would carry the years 1 or 9999 out of range.
CREATE FUNCTION {SCHEMA}.is_date(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN v IS NULL OR jsonb_typeof(v) = 'null' OR v = '""' THEN true
        WHEN jsonb_typeof(v) <> 'string' OR v #>> '{{}}' !~ '{_ISO_DATE}' THEN false
        ELSE substr(v #>> '{{}}', 9, 2)::int <= extract(day FROM
                 make_date(substr(v #>> '{{}}', 1, 4)::int, substr(v #>> '{{}}', 6, 2)::int, 1)
                 + interval '1 month - 1 day')
             AND NOT (v #>> '{{}}' ~ '^(0001|9999)-.*[+-][0-9]{{2}}:[0-9]{{2}}$'
                      AND v #>> '{{}}' !~ '[+-]00:00$')
    END
$$;
CREATE FUNCTION {SCHEMA}.is_phone(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v IS NULL OR jsonb_typeof(v) = 'null' OR (
        jsonb_typeof(v) = 'object'
        AND {_all_text("v", "e164", "display", "userInput")}
        AND coalesce(v ->> 'e164', '') ~ '^([+][1-9][0-9]{{1,14}})?$'
        AND coalesce(v ->> 'display', '') || coalesce(v ->> 'e164', '')
            || coalesce(v ->> 'userInput', '') <> ''
        AND ({SCHEMA}.is_text(v -> 'countryCode') OR {SCHEMA}.is_whole(v -> 'countryCode'))
        AND {SCHEMA}.is_flag(v -> 'acceptsSMS')
        AND {SCHEMA}.is_whole(v -> 'extension')
        AND coalesce(v ->> 'extension', '') NOT LIKE '-%')
$$;
CREATE FUNCTION {SCHEMA}.contact_shape(doc jsonb, p_id text, p_version integer, p_kind text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v_key text;
BEGIN
    -- Never null (each part coalesced): a CHECK lets a null through. A check made for many
    -- members is one expression in a loop: plpgsql prepares each expression again in every
    -- transaction, and the whole shape as one expression cost 0.1 ms a save to prepare.
    IF NOT coalesce(jsonb_typeof(doc) = 'object'
       AND doc -> 'id' = to_jsonb(p_id)
       AND doc -> 'type' = to_jsonb(p_kind)
       AND p_kind = ANY({_KINDS})
       AND doc -> 'version' = to_jsonb(p_version) AND doc ->> 'version' = p_version::text
       -- An earlier version's notes field: notes are documents of their own now (db init
       -- moves an old row's field into a note; the codec would not read it).
       AND NOT doc ? 'notes'
       AND {SCHEMA}.is_flag(doc -> 'surveyOptOut')
       AND (doc -> 'address' IS NULL OR jsonb_typeof(doc -> 'address') IN ('null', 'object'))
       AND (doc #> '{{whatsAppId,phoneNumber}}' IS NULL
            OR jsonb_typeof(doc #> '{{whatsAppId,phoneNumber}}') IN ('null', 'object'))
       AND {" AND ".join(_identity(key, id_key) for key, _, id_key in _IDENTITIES)}
       AND NOT jsonb_path_exists(doc, '{_NOT_TEXT}'), false)
    THEN
        RETURN false;
    END IF;
    FOREACH v_key IN ARRAY ARRAY['createDate', 'modifyDate', 'lastInteractionDate'] LOOP
        IF NOT coalesce({SCHEMA}.is_date(doc -> v_key), false) THEN
            RETURN false;
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY {_PHONES} LOOP
        IF NOT coalesce({SCHEMA}.is_phone(doc -> v_key), false) THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END $$;

-- Partial-number and quoted search over a contact's phone numbers (issue 13), from the document
-- alone so the save path is unchanged: each slot's number (E.164, else as kept), the same as
-- codec._phone_numbers. phone_digits: each number's ASCII digits and a space ("ends in 0123"
-- is LIKE '%0123 %'), as codec.contact_doc_phone_digits; phone_text: the kept numbers as
-- typed, ASCII letters lowered, one a line, as codec.contact_doc_phone_text (not lower(): it
-- follows the server's locale). Both are kept in the contacts table as columns of the same
-- names, each with its trigram index: apart, so that the digits' trigrams ("ends in 0123" is
-- LIKE '%0123 %') are not also found in kept text such as "0123 ext 5".
CREATE FUNCTION {SCHEMA}.phone_numbers(p_doc jsonb)
RETURNS TABLE (slot bigint, number text, e164 boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s.slot, coalesce(f.e164, f.display, f.typed), f.e164 IS NOT NULL
    FROM unnest(ARRAY['workPhone', 'homePhone', 'cellPhone', 'otherPhone'])
        WITH ORDINALITY AS s (key, slot)
    CROSS JOIN LATERAL (SELECT
        nullif(CASE WHEN jsonb_typeof(p_doc -> s.key -> 'e164') = 'string'
                    THEN p_doc -> s.key ->> 'e164' END, '') AS e164,
        nullif(CASE WHEN jsonb_typeof(p_doc -> s.key -> 'display') = 'string'
                    THEN p_doc -> s.key ->> 'display' END, '') AS display,
        nullif(CASE WHEN jsonb_typeof(p_doc -> s.key -> 'userInput') = 'string'
                    THEN p_doc -> s.key ->> 'userInput' END, '') AS typed) AS f
    WHERE jsonb_typeof(p_doc -> s.key) = 'object'
      AND coalesce(f.e164, f.display, f.typed) IS NOT NULL
$$;
-- These two are the contacts table's generated columns, so every save computes them: in
-- plpgsql, compiled once a session, where a SQL function over phone_numbers was planned again
-- at each save (0.3 ms of the server's time a save). The same reading as phone_numbers, slot
-- by slot (tests/pg/test_search_sql.py holds both to the codec).
CREATE FUNCTION {SCHEMA}.phone_digits(p_doc jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v_out text := '';
    v_slot jsonb;
    v_number text;
    v_key text;
BEGIN
    FOREACH v_key IN ARRAY {_PHONES} LOOP
        v_slot := p_doc -> v_key;
        CONTINUE WHEN jsonb_typeof(v_slot) IS DISTINCT FROM 'object';
        v_number := regexp_replace(coalesce(
            nullif(CASE WHEN jsonb_typeof(v_slot -> 'e164') = 'string'
                        THEN v_slot ->> 'e164' END, ''),
            nullif(CASE WHEN jsonb_typeof(v_slot -> 'display') = 'string'
                        THEN v_slot ->> 'display' END, ''),
            nullif(CASE WHEN jsonb_typeof(v_slot -> 'userInput') = 'string'
                        THEN v_slot ->> 'userInput' END, '')), '[^0-9]', '', 'g');
        IF v_number <> '' THEN
            v_out := v_out || v_number || ' ';
        END IF;
    END LOOP;
    RETURN v_out;
END $$;
CREATE FUNCTION {SCHEMA}.phone_text(p_doc jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v_out text := '';
    v_slot jsonb;
    v_number text;
    v_key text;
BEGIN
    FOREACH v_key IN ARRAY {_PHONES} LOOP
        v_slot := p_doc -> v_key;
        CONTINUE WHEN jsonb_typeof(v_slot) IS DISTINCT FROM 'object'
            OR nullif(CASE WHEN jsonb_typeof(v_slot -> 'e164') = 'string'
                           THEN v_slot ->> 'e164' END, '') IS NOT NULL;
        v_number := coalesce(
            nullif(CASE WHEN jsonb_typeof(v_slot -> 'display') = 'string'
                        THEN v_slot ->> 'display' END, ''),
            nullif(CASE WHEN jsonb_typeof(v_slot -> 'userInput') = 'string'
                        THEN v_slot ->> 'userInput' END, ''));
        IF v_number IS NOT NULL THEN
            v_out := v_out || E'\\n' || translate(v_number, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                                                  'abcdefghijklmnopqrstuvwxyz');
        END IF;
    END LOOP;
    RETURN substr(v_out, 2);
END $$;

-- domain.text.fold, for the directory order and search columns the server works out from the
-- document (a client that sent them could hide a contact from search or plant a false name).
-- Not the server's normalize() or lower(): their Unicode tables and the locale's case rules
-- differ between PostgreSQL versions and systems, and this must fold as the app does. ASCII
-- (most names) by translate(); other text a character at a time through FOLD_MAP (pinned;
-- foldmap.py) or, for a Hangul syllable, the Unicode rule that decomposes it into its letters.
CREATE FUNCTION {SCHEMA}.fold_chars(p text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT string_agg(CASE
            WHEN ascii(c) BETWEEN {_HANGUL_FIRST} AND {_HANGUL_LAST}
            THEN chr(4352 + (ascii(c) - {_HANGUL_FIRST}) / 588)
                 || chr(4449 + (ascii(c) - {_HANGUL_FIRST}) % 588 / 28)
                 || CASE WHEN (ascii(c) - {_HANGUL_FIRST}) % 28 = 0 THEN ''
                         ELSE chr(4519 + (ascii(c) - {_HANGUL_FIRST}) % 28) END
            ELSE coalesce('{FOLD_MAP}'::jsonb ->> c, c) END, '' ORDER BY n)
        FROM unnest(string_to_array(p, NULL)) WITH ORDINALITY AS u(c, n));
END $$;
-- One expression, which the server inlines where it is called (not strict, or it would not):
-- ASCII text costs no function call (8 us as plpgsql). Called from plpgsql (below), which
-- plans it once a session: a generated column's expression is planned at every write, and
-- inlining means reading the function's text again (70 us a save for the three columns).
CREATE FUNCTION {SCHEMA}.fold(p text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN octet_length(p) = length(p)
                THEN translate(p, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
                ELSE {SCHEMA}.fold_chars(p) END
$$;

-- domain.codec.contact_doc_sort_key's part for ``p_key``: its text folded, '' when not text.
CREATE FUNCTION {SCHEMA}.sort_text(doc jsonb, p_key text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN {SCHEMA}.fold(coalesce(CASE WHEN jsonb_typeof(doc -> p_key) = 'string'
                                       THEN doc ->> p_key END, ''));
END $$;

-- domain.codec.contact_doc_search_text. concat_ws() is only stable (for arguments of any
-- type), so a generated column cannot call it itself. The text goes to fold() as a variable:
-- the server inlines fold() only where its argument is cheap to repeat.
CREATE FUNCTION {SCHEMA}.search_text(doc jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v_text text := {_SEARCH_TEXT};
BEGIN
    RETURN {SCHEMA}.fold(v_text);
END $$;

CREATE TABLE {SCHEMA}.contacts (
    id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    doc jsonb NOT NULL CHECK ({SCHEMA}.clean(doc))
        CHECK (octet_length(doc::text) <= {MAX_CONTACT_BYTES}),
    version integer NOT NULL CHECK (version > 0),
    kind text NOT NULL,
    created text COLLATE "C" NOT NULL,
    -- Worked out by the server from the document, by every writer alike (a save, a merge, an
    -- unmerge, a copy, an upgrade): what domain.codec.contact_doc_sort_key and
    -- contact_doc_search_text give (NUL, which text cannot hold, as a line feed).
    sort_last text COLLATE "C" NOT NULL
        GENERATED ALWAYS AS ({SCHEMA}.sort_text(doc, 'lastName')) STORED,
    sort_first text COLLATE "C" NOT NULL
        GENERATED ALWAYS AS ({SCHEMA}.sort_text(doc, 'firstName')) STORED,
    search text NOT NULL GENERATED ALWAYS AS ({SCHEMA}.search_text(doc)) STORED,
    -- Kept in the row: a search rechecks and ranks its hits by reading these, where calling
    -- the functions on each hit's document cost 43 us a row (a digit run every contact holds
    -- took 8 s at 100,000 contacts). A save computed them for the index anyway.
    phone_digits text GENERATED ALWAYS AS ({SCHEMA}.phone_digits(doc)) STORED,
    phone_text text GENERATED ALWAYS AS ({SCHEMA}.phone_text(doc)) STORED,
    CONSTRAINT contact_shape CHECK ({SCHEMA}.contact_shape(doc, id, version, kind))
)
-- Room on each page for a changed version of its rows: an edit that leaves the names, emails
-- and numbers as they were (a title, an address, a note) then stays on its page and touches
-- none of the five indexes (a "HOT" update), where on a full page it wrote an entry in each.
WITH (fillfactor = 80);
CREATE INDEX contacts_directory ON {SCHEMA}.contacts (sort_last, sort_first, id COLLATE "C");
CREATE INDEX contacts_search ON {SCHEMA}.contacts USING gin (search gin_trgm_ops);
CREATE INDEX contacts_phone_digits ON {SCHEMA}.contacts USING gin (phone_digits gin_trgm_ops);
CREATE INDEX contacts_phone_text ON {SCHEMA}.contacts USING gin (phone_text gin_trgm_ops);

CREATE TABLE {SCHEMA}.contact_keys (
    key text NOT NULL,
    contact_id text NOT NULL REFERENCES {SCHEMA}.contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (key, contact_id)
);
CREATE INDEX contact_keys_contact ON {SCHEMA}.contact_keys (contact_id);

CREATE TABLE {SCHEMA}.interactions (
    id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    agent text NOT NULL,
    started text COLLATE "C" NOT NULL,
    contact_id text,
    doc jsonb NOT NULL CHECK ({SCHEMA}.clean(doc))
);
CREATE INDEX interactions_agent ON {SCHEMA}.interactions (agent, started DESC);
CREATE INDEX interactions_contact ON {SCHEMA}.interactions (contact_id);
-- The interactions offering a contact as a candidate (read_ids_naming: expiry, absorbing;
-- merge_contacts, merge_interactions: merging).
CREATE INDEX interactions_candidates ON {SCHEMA}.interactions USING gin ((doc -> 'candidateIds'));

CREATE TABLE {SCHEMA}.audit (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    contact_id text,
    agent text NOT NULL,
    at timestamptz NOT NULL,
    doc jsonb NOT NULL CHECK ({SCHEMA}.clean(doc))
);
CREATE INDEX audit_contact ON {SCHEMA}.audit (contact_id, seq);

-- Which contacts each transaction changed, so an import planned outside its transaction can
-- tell whether anyone changed what it planned from (see contact_ids_changed_since). Pruned
-- by the trigger that fills it; a day is far longer than any import plans.
CREATE TABLE {SCHEMA}.contact_changes (
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
    contact_id text NOT NULL,
    created boolean NOT NULL DEFAULT false,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_changes_tx ON {SCHEMA}.contact_changes (tx);
-- The pruning finds what is old through this index, not by reading the whole table.
CREATE INDEX contact_changes_at ON {SCHEMA}.contact_changes (at);
CREATE FUNCTION {SCHEMA}.log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A removal (erase, merge) counts too: an import planned to write to or add notes to it.
    INSERT INTO {SCHEMA}.contact_changes (contact_id, created)
        VALUES (coalesce(NEW.id, OLD.id), TG_OP = 'INSERT');
    IF random() < 0.001 THEN
        -- A bounded batch, passing over rows another transaction is pruning: two saves
        -- pruning at once must not wait on each other (nor on an import that pruned and has
        -- not committed yet) until their lock timeout.
        DELETE FROM {SCHEMA}.contact_changes WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM {SCHEMA}.contact_changes WHERE at < now() - interval '1 day'
            LIMIT 10000 FOR UPDATE SKIP LOCKED));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER log_change AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.contacts
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.log_change();

-- The audit record of a contact's change, written by the function that makes the change
-- (save_contact, delete_contact) from the images before and after it, so every version of a
-- contact has its record by construction and no caller chooses what it says: the server's id,
-- who and when, the contact and version, and the fields that differ (as
-- domain.codec.changed_fields: top-level keys, bookkeeping ones left out, absent and null
-- alike). add_audit may then only say which interaction the change came from.
CREATE FUNCTION {SCHEMA}.audit_change(
    p_action text, p_id text, p_version integer, p_old jsonb, p_new jsonb
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_at timestamptz := clock_timestamp();
    v_id text := gen_random_uuid()::text;
BEGIN
    -- One statement (a removal has no fields): each statement plpgsql runs is a query started
    -- and ended, and a save's time is mostly such overheads.
    INSERT INTO {SCHEMA}.audit (id, contact_id, agent, at, doc)
        SELECT v_id, p_id, session_user, v_at, jsonb_build_object(
            'id', v_id, 'agent', session_user,
            'at', to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'action', p_action, 'fields', f.fields, 'contactId', p_id, 'version', p_version)
        FROM (SELECT coalesce(jsonb_agg(k ORDER BY k COLLATE "C"), '[]') AS fields
              FROM (SELECT jsonb_object_keys(coalesce(p_old, '{{}}')) AS k
                    UNION SELECT jsonb_object_keys(p_new)) AS keys
              WHERE p_new IS NOT NULL
                AND k <> ALL (ARRAY['version', 'modifyDate', 'modifiedBy', 'lastInteractionDate'])
                AND coalesce(p_old -> k, 'null') <> coalesce(p_new -> k, 'null')) AS f;
END $$;

CREATE TABLE {SCHEMA}.settings (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{{0,63}}$'),
    value jsonb NOT NULL CHECK ({SCHEMA}.clean(value))
);

-- Who may read what: row-level security on every table agents can select from.
ALTER TABLE {SCHEMA}.contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE {SCHEMA}.contact_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE {SCHEMA}.interactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE {SCHEMA}.audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY viewers_read ON {SCHEMA}.contacts FOR SELECT USING ({_holds(Permission.VIEW)});
CREATE POLICY viewers_read ON {SCHEMA}.contact_keys FOR SELECT
    USING ({_holds(Permission.VIEW)});
CREATE POLICY own_or_all ON {SCHEMA}.interactions FOR SELECT USING (
    {_holds(Permission.VIEW)}
    AND (agent = session_user OR {_holds(Permission.VIEW_ALL_INTERACTIONS)})
);
CREATE POLICY viewers_read ON {SCHEMA}.audit FOR SELECT USING ({_holds(Permission.VIEW)});

-- The notices of interactions and notes a session kept for after its commit (announce), so
-- a look at what was committed (committed_since) finds them whatever the session does after
-- it: sends them, never sends them, fails to or dies first. A contact's are not written
-- here: contact_changes holds every contact's change. Pruned as contact_changes is.
CREATE TABLE {SCHEMA}.kept_notices (
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
    payload text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kept_notices_tx ON {SCHEMA}.kept_notices (tx);
CREATE INDEX kept_notices_at ON {SCHEMA}.kept_notices (at);

-- Every change is announced to the apps listening, after commit: which table and which id,
-- and for an interaction whose queue it is in (after a line feed, which no stored text
-- holds), so an app can pass over what it does not show without asking the server.
CREATE FUNCTION {SCHEMA}.announce() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_row record;
    v_payload text;
    v_kept text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_row := OLD;
    ELSE
        v_row := NEW;
    END IF;
    IF TG_TABLE_NAME = 'interactions' THEN
        v_payload := 'interactions:' || v_row.id || E'\\n' || v_row.agent;
    ELSE
        v_payload := TG_TABLE_NAME || ':' || v_row.id;
    END IF;
    -- A session that said it sends its notices itself right after each commit (the app's:
    -- PostgresStore, through announce_committed) keeps them until then, a few kilobytes at
    -- most. NOTIFY in a transaction makes its commit wait for every other notifying commit
    -- before it, each one's write to disk included: eight agents saving at once could then
    -- commit no faster than the disk syncs, one at a time (a third of the saves a second).
    IF current_setting('{SCHEMA}.notify_after_commit', true) = 'on' THEN
        v_kept := coalesce(nullif(current_setting('{SCHEMA}.pending_notices', true), ''), '[]');
        IF octet_length(v_kept) < {PENDING_NOTICES_BYTES} THEN
            -- Not LOCAL: kept past the commit, and undone with the transaction if it fails.
            PERFORM set_config('{SCHEMA}.pending_notices',
                               (v_kept::jsonb || to_jsonb(v_payload))::text, false);
            -- Nothing makes the session send what it kept (psql can ask to keep them too):
            -- the apps' look every few seconds finds the change in what the server wrote.
            IF TG_TABLE_NAME <> 'contacts' THEN
                INSERT INTO {SCHEMA}.kept_notices (payload) VALUES (v_payload);
                IF random() < 0.001 THEN  -- as log_change prunes contact_changes
                    DELETE FROM {SCHEMA}.kept_notices WHERE ctid = ANY(ARRAY(
                        SELECT ctid FROM {SCHEMA}.kept_notices
                        WHERE at < now() - interval '1 day' LIMIT 10000 FOR UPDATE SKIP LOCKED));
                END IF;
            END IF;
            RETURN NULL;
        END IF;
    END IF;
    PERFORM pg_notify('{NOTIFY_CHANNEL}', v_payload);
    RETURN NULL;
END $$;
-- The notices the session's committed transactions kept (announce), sent in a transaction of
-- their own that does not wait for the disk: there is nothing in it to keep, and the changes
-- they announce were on disk before their commit returned. When it fails (the notification
-- queue full), the notices stay kept for the next call.
CREATE FUNCTION {SCHEMA}.announce_committed() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_kept text := current_setting('{SCHEMA}.pending_notices', true);
BEGIN
    IF coalesce(v_kept, '') = '' THEN
        RETURN;
    END IF;
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_notify('{NOTIFY_CHANNEL}', p) FROM jsonb_array_elements_text(v_kept::jsonb) AS p;
    PERFORM set_config('{SCHEMA}.pending_notices', '', false);
END $$;
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.contacts
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.interactions
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.announce();
CREATE FUNCTION {SCHEMA}.announce_setting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{NOTIFY_CHANNEL}', 'settings:' || NEW.name);
    RETURN NULL;
END $$;
CREATE TRIGGER announce AFTER INSERT OR UPDATE ON {SCHEMA}.settings
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.announce_setting();

-- Refusals carry SQLSTATE 42501 (insufficient_privilege) and name the permission in the
-- message's first word so the app can say which one; conflicts carry 40001 with a detail.
CREATE FUNCTION {SCHEMA}.require(allowed boolean, permission text, doing text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT allowed THEN
        RAISE EXCEPTION '% may not %: that needs the % permission', session_user, doing, permission
            USING ERRCODE = '42501', HINT = permission;
    END IF;
END $$;

-- The save itself, for save_contact and for the merge functions, which write their own audit
-- record (a merge, not an edit): p_audit says whether this writes the version's record. Not
-- granted to users (see _grants): a save by a user is always audited.
CREATE FUNCTION {SCHEMA}.store_contact(
    p_doc jsonb, p_expected integer, p_created text, p_action text, p_audit boolean
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    -- The table's collation, whatever the caller's: called with text of another collation (a
    -- C-collated column, say) the row would otherwise be found by scanning an index whole.
    v_id text COLLATE "default" := p_doc ->> 'id';
    v_kind text := p_doc ->> 'type';
    v_old {SCHEMA}.contacts;
    v_doc jsonb;
    v_created_by text;
BEGIN
    IF v_id IS NULL OR v_kind IS NULL OR jsonb_typeof(p_doc) <> 'object' THEN
        RAISE EXCEPTION 'a contact needs an id and a type' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_old FROM {SCHEMA}.contacts WHERE id = v_id FOR UPDATE;
    IF NOT FOUND THEN
        IF p_expected <> 0 THEN
            RAISE EXCEPTION 'No contact has the id %; it may have been removed.', v_id
                USING ERRCODE = 'P0002';
        END IF;
        IF v_kind = 'Curated' THEN
            PERFORM {SCHEMA}.require({_has(Permission.ADD)}, '{Permission.ADD.value}',
                                     'add contacts');
        ELSE
            PERFORM {SCHEMA}.require({_has(Permission.VIEW, Permission.ROUTE)},
                                     '{Permission.VIEW.value}', 'take in interactions');
        END IF;
        v_created_by := CASE WHEN p_doc ->> 'createdBy' = 'system' AND v_kind <> 'Curated'
                             THEN 'system' ELSE session_user END;
    ELSE
        IF v_old.version <> p_expected
           OR (p_created IS NOT NULL AND v_old.doc ->> 'createDate' IS DISTINCT FROM p_created)
        THEN
            RAISE EXCEPTION 'contact % changed since it was read', v_id
                USING ERRCODE = '40001',
                      DETAIL = jsonb_build_object('version', v_old.version,
                                                  'modifiedBy', v_old.doc ->> 'modifiedBy',
                                                  'modifyDate', v_old.doc ->> 'modifyDate')::text;
        END IF;
        IF v_old.kind = 'Curated' THEN
            IF v_kind <> 'Curated' THEN
                RAISE EXCEPTION 'a contact in Contacts stays there' USING ERRCODE = '22023';
            END IF;
            PERFORM {SCHEMA}.require({_has(Permission.EDIT)}, '{Permission.EDIT.value}',
                                     'edit contacts');
        ELSIF v_kind = 'Curated' THEN
            PERFORM {SCHEMA}.require({_has(Permission.PROMOTE)},
                                     '{Permission.PROMOTE.value}', 'promote contacts');
        ELSE
            -- Changing a contact not in Contacts is an edit (or an import's update); taking in
            -- an interaction only makes new ones, so view or route alone may not rewrite the
            -- identity an ephemeral contact catches calls by.
            PERFORM {SCHEMA}.require({_has(Permission.EDIT, Permission.ADD)},
                                     '{Permission.EDIT.value}', 'edit contacts');
        END IF;
        v_created_by := v_old.doc ->> 'createdBy';
    END IF;
    v_doc := p_doc || jsonb_build_object('version', p_expected + 1, 'modifiedBy', session_user,
                                         'createdBy', v_created_by);
    -- A call that renewed the contact after the save was worked out: keep the later date
    -- (a renewal bumps no version, so the version check does not see it).
    IF v_old.doc ->> 'lastInteractionDate' > coalesce(v_doc ->> 'lastInteractionDate', '') THEN
        v_doc := v_doc || jsonb_build_object('lastInteractionDate',
                                             v_old.doc ->> 'lastInteractionDate');
    END IF;
    -- The row is locked (FOR UPDATE): an UPDATE checks the document once, where an upsert
    -- checks the row it would insert and then the row it updates.
    IF v_old.id IS NOT NULL THEN
        UPDATE {SCHEMA}.contacts SET doc = v_doc, version = p_expected + 1, kind = v_kind,
                created = coalesce(v_doc ->> 'createDate', '')
            WHERE id = v_id;
    ELSE
        INSERT INTO {SCHEMA}.contacts (id, doc, version, kind, created)
            VALUES (v_id, v_doc, p_expected + 1, v_kind, coalesce(v_doc ->> 'createDate', ''))
            ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc, version = EXCLUDED.version,
                kind = EXCLUDED.kind, created = EXCLUDED.created;
    END IF;
    -- The identity keys are derived again only when what they derive from changed: most
    -- saves (a title, a note) leave them as they were.
    IF v_old.id IS NULL OR EXISTS (
        SELECT 1 FROM unnest({_KEYED}) AS k WHERE v_old.doc -> k IS DISTINCT FROM v_doc -> k
    ) THEN
        DELETE FROM {SCHEMA}.contact_keys WHERE contact_id = v_id;
        INSERT INTO {SCHEMA}.contact_keys (key, contact_id)
            SELECT DISTINCT k, v_id FROM {SCHEMA}.doc_keys(v_doc) AS k;
    END IF;
    IF p_audit THEN
        PERFORM {SCHEMA}.audit_change(
            coalesce(p_action, CASE WHEN v_old.id IS NULL THEN 'create'
                                    WHEN v_old.kind <> 'Curated' AND v_kind = 'Curated'
                                    THEN 'promote' ELSE 'edit' END),
            v_id, p_expected + 1, v_old.doc, v_doc);
    END IF;
    RETURN v_doc;
END $$;

-- p_action: what the audit record calls the change; the server's word (create, promote, edit)
-- unless it is 'import'.
CREATE FUNCTION {SCHEMA}.save_contact(
    p_doc jsonb, p_expected integer, p_created text, p_action text DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    IF p_action IS DISTINCT FROM 'import' AND p_action IS NOT NULL THEN
        RAISE EXCEPTION 'a save is audited as the server says, or as an import'
            USING ERRCODE = '22023';
    END IF;
    RETURN {SCHEMA}.store_contact(p_doc, p_expected, p_created, p_action, true);
END $$;

-- A date the app can read back, or an error (a bad one would make the document unreadable).
CREATE FUNCTION {SCHEMA}.check_date(p_when text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_when IS NULL OR p_when !~ '{_DATE}' THEN
        RAISE EXCEPTION 'not a date as the app writes them: %', p_when USING ERRCODE = '22007';
    END IF;
    PERFORM p_when::timestamptz;
END $$;

CREATE FUNCTION {SCHEMA}.touch_contact(p_id text, p_when text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.VIEW, Permission.ROUTE)},
                             '{Permission.VIEW.value}', 'take in interactions');
    PERFORM {SCHEMA}.check_date(p_when);
    UPDATE {SCHEMA}.contacts SET doc = doc || jsonb_build_object('lastInteractionDate', p_when)
        WHERE id = p_id;
END $$;

-- The curated contacts this transaction created.
CREATE FUNCTION {SCHEMA}.made_here() RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT ch.contact_id FROM {SCHEMA}.contact_changes AS ch
        JOIN {SCHEMA}.contacts AS c ON c.id = ch.contact_id AND c.kind = 'Curated'
        WHERE ch.tx = pg_current_xact_id() AND ch.created
$$;

-- True when a curated contact this transaction created holds one of the contact's identity
-- keys.
CREATE FUNCTION {SCHEMA}.absorbed(p_id text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM {SCHEMA}.contact_keys AS gone
            JOIN {SCHEMA}.contact_keys AS made ON made.key = gone.key
                                             AND made.contact_id <> gone.contact_id
        WHERE gone.contact_id = p_id AND made.contact_id IN (SELECT * FROM {SCHEMA}.made_here())
    )
$$;

-- The contacts an interaction document points at: its link and its candidates.
CREATE FUNCTION {SCHEMA}.refs(p_doc jsonb) RETURNS SETOF text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT p_doc ->> 'contactId' WHERE jsonb_typeof(p_doc -> 'contactId') = 'string'
    UNION
    SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(p_doc -> 'candidateIds') = 'array'
                                          THEN p_doc -> 'candidateIds' ELSE '[]' END)
$$;

-- True when ``p_new`` differs from ``p_old`` only as making a contact from an interaction
-- (add) changes it: its link moves to a contact this transaction created, and links and
-- candidates pointing at a contact it absorbed (removed) point at the new one. Moving a link
-- away from a contact that still exists takes ``p_mine``: the caller may act on the
-- interaction (theirs, or any with view-all).
CREATE FUNCTION {SCHEMA}.relinks_to_new(p_old jsonb, p_new jsonb, p_mine boolean)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (p_new - 'contactId' - 'candidateIds') = (p_old - 'contactId' - 'candidateIds')
       AND NOT EXISTS (
           SELECT 1 FROM {SCHEMA}.refs(p_new) AS r
           WHERE r NOT IN (SELECT * FROM {SCHEMA}.refs(p_old))
             AND r NOT IN (SELECT * FROM {SCHEMA}.made_here()))
       AND NOT EXISTS (
           SELECT 1 FROM {SCHEMA}.refs(p_old) AS r
           WHERE r NOT IN (SELECT * FROM {SCHEMA}.refs(p_new))
             AND EXISTS (SELECT 1 FROM {SCHEMA}.contacts WHERE id = r)
             AND NOT (p_mine AND r = p_old ->> 'contactId'
                      AND p_new ->> 'contactId' IN (SELECT * FROM {SCHEMA}.made_here())))
$$;

-- True when ``p_new`` only stops pointing at contacts that no longer exist (expiry, admin).
CREATE FUNCTION {SCHEMA}.drops_gone(p_old jsonb, p_new jsonb) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT (p_new - 'contactId' - 'candidateIds') = (p_old - 'contactId' - 'candidateIds')
       AND NOT EXISTS (
           SELECT 1 FROM {SCHEMA}.refs(p_new) AS r
           WHERE r NOT IN (SELECT * FROM {SCHEMA}.refs(p_old)))
       AND NOT EXISTS (
           SELECT 1 FROM {SCHEMA}.refs(p_old) AS r
           WHERE r NOT IN (SELECT * FROM {SCHEMA}.refs(p_new))
             AND EXISTS (SELECT 1 FROM {SCHEMA}.contacts WHERE id = r))
$$;

CREATE FUNCTION {SCHEMA}.delete_contact(p_id text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_kind text;
    v_version integer;
    v_absorbed boolean;
BEGIN
    SELECT kind, version INTO v_kind, v_version FROM {SCHEMA}.contacts WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    v_absorbed := v_kind <> 'Curated' AND {_holds(Permission.ADD)} AND {SCHEMA}.absorbed(p_id);
    IF v_kind = 'Curated' THEN
        PERFORM {SCHEMA}.require({_holds(Permission.ADMIN)}, '{Permission.ADMIN.value}',
                                 'remove contacts');
    ELSIF NOT v_absorbed THEN
        -- Expiry is an admin's; with add, only the contact this transaction just made from
        -- its identity takes its place (the service's absorbing, on Add to Contacts).
        PERFORM {SCHEMA}.require({_holds(Permission.ADMIN)}, '{Permission.ADMIN.value}',
                                 'remove ephemeral contacts');
    END IF;
    DELETE FROM {SCHEMA}.contacts WHERE id = p_id;
    PERFORM {SCHEMA}.audit_change(CASE WHEN v_absorbed THEN 'absorb' ELSE 'expire' END,
                                  p_id, v_version + 1, NULL, NULL);
END $$;

-- Who may take an interaction routed to them: a login role that may read their own queue
-- (view). The one rule: save_interaction checks it, and PostgresStore.user_may_view asks it.
CREATE FUNCTION {SCHEMA}.may_take(p_user text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM pg_roles AS r WHERE r.rolname = p_user AND r.rolcanlogin
                   AND pg_has_role(r.oid, '{_role(Permission.VIEW)}', 'MEMBER'))
$$;

-- Reading or acting on an interaction needs view; another agent's, view-all too; putting a new
-- one in another agent's queue needs route (domain.permissions). The app's other saves are
-- allowed as narrowly as it makes them: a contact made from an interaction (add) links it,
-- and expiry (admin) unlinks the contacts it removed. A save of an existing interaction
-- changes only the link, the candidates and the state: what the customer said, who sent it
-- and whose it is stay as they arrived.
CREATE FUNCTION {SCHEMA}.save_interaction(p_doc jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_id text := p_doc ->> 'id';
    v_agent text := p_doc ->> 'agent';
    v_old {SCHEMA}.interactions;
    -- A wrap-up note is written only through save_wrap_up (checked and audited there): a new
    -- interaction arrives without one, and an existing one keeps its own (not in _MUTABLE).
    v_doc jsonb := p_doc - 'wrapUpNote';
BEGIN
    IF v_id IS NULL OR v_agent IS NULL OR jsonb_typeof(p_doc) <> 'object' THEN
        RAISE EXCEPTION 'an interaction needs an id and an agent' USING ERRCODE = '22023';
    END IF;
    IF NOT coalesce(p_doc ->> 'state' = ANY({_STATES}), FALSE)
       OR jsonb_typeof(coalesce(p_doc -> 'contactId', '""')) <> 'string'
       -- Read as text by every reader: anything else would make the interaction unreadable.
       OR jsonb_typeof(coalesce(p_doc -> 'matchKey', '""')) <> 'string'
       OR jsonb_typeof(coalesce(p_doc -> 'candidateIds', '[]')) <> 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(p_doc -> 'candidateIds', '[]')) AS c
                  WHERE jsonb_typeof(c) <> 'string')
    THEN
        RAISE EXCEPTION 'interaction % has a bad state, link or candidates', v_id
            USING ERRCODE = '22023';
    END IF;
    IF p_doc ? 'endedAt' THEN
        PERFORM {SCHEMA}.check_date(p_doc ->> 'endedAt');
    END IF;
    SELECT * INTO v_old FROM {SCHEMA}.interactions WHERE id = v_id FOR UPDATE;
    IF FOUND THEN
        v_doc := (v_old.doc - {_MUTABLE}) || jsonb_strip_nulls(jsonb_build_object(
            'contactId', p_doc -> 'contactId', 'candidateIds', p_doc -> 'candidateIds',
            'state', p_doc -> 'state', 'endedAt', p_doc -> 'endedAt'));
        IF NOT (({_holds(Permission.VIEW)} AND (v_old.agent = session_user
                                                 OR {_holds(Permission.VIEW_ALL_INTERACTIONS)}))
                OR ({_holds(Permission.ADD)} AND {SCHEMA}.relinks_to_new(
                        v_old.doc, v_doc, v_old.agent = session_user
                                          OR {_holds(Permission.VIEW_ALL_INTERACTIONS)}))
                OR ({_holds(Permission.ADMIN)} AND {SCHEMA}.drops_gone(v_old.doc, v_doc)))
        THEN
            PERFORM {SCHEMA}.require({_holds(Permission.VIEW)}, '{Permission.VIEW.value}',
                                     'act on interactions');
            PERFORM {SCHEMA}.require({_holds(Permission.VIEW_ALL_INTERACTIONS)},
                                     '{Permission.VIEW_ALL_INTERACTIONS.value}',
                                     'act on other agents'' interactions');
        END IF;
    ELSIF v_agent = session_user THEN
        PERFORM {SCHEMA}.require({_holds(Permission.VIEW)}, '{Permission.VIEW.value}',
                                 'take in interactions');
    ELSE
        PERFORM {SCHEMA}.require({_holds(Permission.ROUTE)}, '{Permission.ROUTE.value}',
                                 'hand interactions to other agents');
        -- Routed to no one who can read it: no queue would ever show it, so it would be lost
        -- work.
        IF NOT {SCHEMA}.may_take(v_agent) THEN
            RAISE EXCEPTION '{_NO_AGENT_TO_TAKE}', v_agent USING ERRCODE = 'P0002';
        END IF;
    END IF;
    -- The key the sender matched by is the server's word, not the client's: an unmerge moves
    -- calls by it. A new interaction keeps it only where its link and every candidate hold it
    -- now (the match found them by it); a saved one keeps its own (not in _MUTABLE).
    IF v_old.id IS NULL AND v_doc ? 'matchKey' AND (
        NOT EXISTS (SELECT 1 FROM {SCHEMA}.refs(v_doc))
        OR EXISTS (SELECT 1 FROM {SCHEMA}.refs(v_doc) AS r WHERE NOT EXISTS (
            SELECT 1 FROM {SCHEMA}.contact_keys AS k
            WHERE k.contact_id = r AND k.key = v_doc ->> 'matchKey')))
    THEN
        v_doc := v_doc - 'matchKey';
    END IF;
    INSERT INTO {SCHEMA}.interactions (id, agent, started, contact_id, doc)
        VALUES (v_id, v_doc ->> 'agent', coalesce(v_doc ->> 'startedAt', ''),
                v_doc ->> 'contactId', v_doc)
        ON CONFLICT (id) DO UPDATE SET contact_id = EXCLUDED.contact_id, doc = EXCLUDED.doc;
END $$;

-- The audit records of changes no contact version carries, and the interaction a contact's
-- change came from. Each must describe a change this transaction made (rows it wrote carry
-- its transaction id): a link or unlink names an interaction it saved and the contact that
-- interaction is linked to now (unlinked: none); a setting names a setting it stored; a record
-- of a contact version is the one save_contact or delete_contact wrote, which only gains the
-- interaction it came from. Who, when and the id are the server's; records are never changed
-- once committed. A transaction that saved in a savepoint has other ids and is refused: the
-- app uses none.
CREATE FUNCTION {SCHEMA}.add_audit(p_doc jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_xid xid := pg_current_xact_id()::xid;
    v_action text := p_doc ->> 'action';
    v_contact text := p_doc ->> 'contactId';
    v_interaction text := p_doc ->> 'interactionId';
    v_fields jsonb := '[]';
    v_seq bigint;
    v_ok boolean;
BEGIN
    PERFORM {SCHEMA}.require(pg_has_role(session_user, '{USER_ROLE}', 'MEMBER'),
                             '{Permission.VIEW.value}', 'use this store');
    IF jsonb_typeof(p_doc) <> 'object' OR jsonb_typeof(p_doc -> 'action') <> 'string'
       OR jsonb_typeof(coalesce(p_doc -> 'contactId', '""')) <> 'string'
       OR jsonb_typeof(coalesce(p_doc -> 'interactionId', '""')) <> 'string' THEN
        RAISE EXCEPTION 'an audit record needs an action, and ids as text' USING ERRCODE = '22023';
    END IF;
    IF v_interaction IS NOT NULL THEN
        SELECT i.xmin = v_xid AND CASE v_action WHEN 'unlink' THEN i.contact_id IS NULL
                                               WHEN 'link' THEN i.contact_id = v_contact
                                               ELSE true END
            INTO v_ok FROM {SCHEMA}.interactions AS i WHERE i.id = v_interaction;
    END IF;
    IF p_doc ? 'version' THEN
        SELECT a.seq INTO v_seq FROM {SCHEMA}.audit AS a
            WHERE a.contact_id = v_contact AND a.doc -> 'version' = p_doc -> 'version'
              AND a.doc ->> 'action' = v_action AND a.xmin = v_xid AND NOT a.doc ? 'interactionId'
            ORDER BY a.seq DESC LIMIT 1;
        IF v_seq IS NOT NULL AND (v_interaction IS NULL OR v_ok) THEN
            IF v_interaction IS NOT NULL THEN
                UPDATE {SCHEMA}.audit
                    SET doc = doc || jsonb_build_object('interactionId', v_interaction)
                    WHERE seq = v_seq;
            END IF;
            RETURN;
        END IF;
    ELSIF v_action IN ('link', 'unlink') THEN
        v_ok := coalesce(v_ok, false) AND v_contact IS NOT NULL;
    ELSIF v_action = 'setting' AND v_contact IS NULL AND v_interaction IS NULL
          AND jsonb_typeof(p_doc -> 'fields') = 'array'
          AND jsonb_array_length(p_doc -> 'fields') = 1
    THEN
        v_fields := p_doc -> 'fields';
        SELECT s.xmin = v_xid INTO v_ok FROM {SCHEMA}.settings AS s WHERE s.name = v_fields ->> 0;
    END IF;
    IF NOT coalesce(v_ok, false) OR p_doc ? 'version' THEN
        RAISE EXCEPTION '% may not write an audit record of no change this transaction made',
            session_user USING ERRCODE = '42501', HINT = '{Permission.EDIT.value}';
    END IF;
    PERFORM {SCHEMA}.audit_link(v_action, v_contact, v_interaction, v_fields);
END $$;

-- A link, unlink or setting record as add_audit checked it: only what it checked.
CREATE FUNCTION {SCHEMA}.audit_link(
    p_action text, p_contact text, p_interaction text, p_fields jsonb
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_at timestamptz := clock_timestamp();
    v_id text := gen_random_uuid()::text;
BEGIN
    INSERT INTO {SCHEMA}.audit (id, contact_id, agent, at, doc)
        VALUES (v_id, p_contact, session_user, v_at, jsonb_strip_nulls(jsonb_build_object(
            'id', v_id, 'agent', session_user,
            'at', to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'action', p_action, 'fields', p_fields, 'contactId', p_contact,
            'interactionId', p_interaction)));
END $$;

CREATE FUNCTION {SCHEMA}.set_setting(p_name text, p_value jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.ADMIN)}, '{Permission.ADMIN.value}',
                             'change admin settings');
    INSERT INTO {SCHEMA}.settings (name, value) VALUES (p_name, p_value)
        ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value;
END $$;

-- Reads inside a write: matching a sender, checking a save, relinking, expiring. Each is open
-- to the permissions of the use cases that make it (domain.permissions) and no wider, so a
-- login cannot read through them what the app would not show it: the routing integration
-- (route alone) matches a sender's key and learns only which contacts hold that key, not what
-- they hold; listing every contact is expiry's (admin). Listing and searching the directory is
-- through the tables, which need the view permission. An interaction comes back without what
-- the customer said unless the caller may read it (view, and view-all for another agent's),
-- nor its sender unless the caller may make a contact of it.
CREATE FUNCTION {SCHEMA}.is_user() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT pg_has_role(session_user, '{USER_ROLE}', 'MEMBER')
$$;

-- Link (view), edit, promote, a contact made from an interaction absorbing its ephemeral one
-- (add), expiry (admin), an import's check of what changed (view).
CREATE FUNCTION {SCHEMA}.read_contact(p_id text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    PERFORM {SCHEMA}.require({_READS_CONTACT}, '{Permission.VIEW.value}', 'read contacts');
    RETURN (SELECT doc FROM {SCHEMA}.contacts WHERE id = p_id);
END $$;

-- Matching an arriving interaction's sender (view for one's own queue, route for another's)
-- and an import's matching (view). Without view, only what matching needs: the id and type
-- (curated first) of each contact holding the key.
CREATE FUNCTION {SCHEMA}.read_contacts_by_key(p_key text) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_view boolean := {_holds(Permission.VIEW)};
BEGIN
    PERFORM {SCHEMA}.require(v_view OR {_holds(Permission.ROUTE)}, '{Permission.VIEW.value}',
                             'match senders to contacts');
    RETURN QUERY SELECT CASE WHEN v_view THEN c.doc
                             ELSE jsonb_build_object('id', c.id, 'type', c.kind,
                                                     'version', c.version) END
        FROM {SCHEMA}.contact_keys AS k
        JOIN {SCHEMA}.contacts AS c ON c.id = k.contact_id
        WHERE k.key = p_key ORDER BY c.created, c.id COLLATE "C";
END $$;

-- The directory's search: contacts whose search text contains every pattern (LIKE '%needle%'),
-- or whose kept phone text contains p_phone (a quoted search; NULL: none); those whose last name
-- (sort_last) starts with a needle first, then the others, each group in directory order; the
-- first p_limit and how many there are, counted up to p_cap + 1 (domain.search.count_cap:
-- counting every hit of a common name cost 200 ms at 1,000,000 contacts). A function, not a
-- query on the table: under row-level security PostgreSQL may not use an index for LIKE (it is
-- not leakproof), so every search read the whole table (36-254 ms at 100,000 contacts;
-- tests/perf/bench_pg.py). Without the view permission nothing is found, as the table's policy
-- would have it. Each pattern is a literal, so the planner sees it (the trigram index needs
-- its text, the directory's index a last name's start: sort_last is in "C" order).
CREATE FUNCTION {SCHEMA}.search_contacts(
    p_patterns text[], p_phone text, p_limit integer, p_cap integer
)
RETURNS TABLE (doc jsonb, total bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_where text;
    v_starts text[];
BEGIN
    IF NOT {_holds(Permission.VIEW)} THEN
        RETURN;
    END IF;
    IF coalesce(cardinality(p_patterns), 0) = 0 AND p_phone IS NULL THEN
        RETURN QUERY SELECT c.doc,
                (SELECT count(*) FROM (SELECT 1 FROM {SCHEMA}.contacts LIMIT p_cap + 1) AS f)
            FROM {SCHEMA}.contacts AS c
            ORDER BY c.sort_last, c.sort_first, c.id COLLATE "C" LIMIT p_limit;
        RETURN;
    END IF;
    SELECT string_agg(format('search LIKE %L', p), ' AND ') INTO v_where
        FROM unnest(p_patterns) AS p;
    -- '%needle%' without its first '%': a last name starting with the needle.
    SELECT array_agg(DISTINCT substr(p, 2)) INTO v_starts
        FROM unnest(p_patterns) AS p WHERE left(p, 1) = '%';
    IF p_phone IS NOT NULL THEN
        v_where := format('(%s OR phone_text LIKE %L)', coalesce(v_where, 'false'), p_phone);
    END IF;
    RETURN QUERY SELECT * FROM {SCHEMA}.search_page(v_where, v_starts, p_limit, p_cap);
END $$;

-- A partial number (issue 13): contacts with a number holding the digit run p_digits (ASCII
-- digits only: the service's domain.search.partial_number), those with a number ending in it
-- first, each group in directory order; counted as search_contacts counts. Through the
-- trigram index on the phone_digits column.
CREATE FUNCTION {SCHEMA}.search_contacts_by_number(p_digits text, p_limit integer, p_cap integer)
RETURNS TABLE (doc jsonb, total bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    IF NOT {_holds(Permission.VIEW)} OR p_digits !~ '^[0-9]{{{MIN_PARTIAL_DIGITS},}}$' THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM {SCHEMA}.search_page(
        format('phone_digits LIKE %L', '%' || p_digits || '%'), NULL, p_limit, p_cap,
        format('phone_digits LIKE %L', '%' || p_digits || ' %'));
END $$;

-- One page of a search (called by the functions above, which check the permission; as the
-- caller's own query otherwise): the contacts matching p_where (SQL made with format() from
-- literals), those ranked first before the others, each group in directory order; the first
-- p_limit and how many match, counted up to p_cap + 1. Ranked first: with p_starts (LIKE
-- patterns 'needle%'), a last name (sort_last) starting with one; else where p_first is true
-- (NULL: no ranking).
-- A last name's start is a stretch of the directory's index, read in order up to twice p_cap
-- rows: it stops at its p_limit-th match, which is the first group's page (its matches in
-- other stretches merged in). When most of the rows it read match (a common last name: 6% of
-- a million contacts), the stretch is also counted there, up to p_cap + 1, without the trigram
-- index, whose answer (all 59,000) cost 20 ms to find and 500 ms to sort. A stretch with too
-- few matches in the rows read (the one Sato called Priya among 59,000 Satos) has its
-- matches sorted out of the trigram index's instead. Otherwise the matches are counted
-- through the trigram indexes, up to p_cap + 1: that many or fewer are all sorted. More than
-- that is a needle many contacts hold ("a", a common first name, an area code's digits): the
-- rest of the page is found by walking the directory's index from its start, which stops at
-- the page's last match; a walk that meets too few (the matches all under one letter) gives
-- up after twice p_cap rows and the matches are sorted.
CREATE FUNCTION {SCHEMA}.search_page(
    p_where text, p_starts text[], p_limit integer, p_cap integer, p_first text DEFAULT NULL
) RETURNS TABLE (doc jsonb, total bigint)
LANGUAGE plpgsql STABLE SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_first text := coalesce(p_first, 'false');
    v_total bigint;
    v_ids text[];
    v_more text[];
    v_need integer;
    v_start text;
    v_rows bigint;
    v_found text[];
    v_last bigint;
    -- How far into a last name's stretch of the directory a search reads.
    v_walk integer := 2 * (p_cap + 1);
    v_known boolean := true;  -- the first group's page is known from the stretches read
    v_setting text;
    v_rest text;
BEGIN
    IF cardinality(p_starts) > 0 THEN
        SELECT string_agg(format('sort_last LIKE %L', s), ' OR ') INTO v_first
            FROM unnest(p_starts) AS s;
        -- In the index's order: the planner would rather sort a whole stretch (5,900 rows at
        -- 100,000 contacts: 30 ms, where reading 1,000 in order takes 2).
        v_setting := current_setting('enable_bitmapscan');
        PERFORM set_config('enable_bitmapscan', 'off', true);
        FOREACH v_start IN ARRAY p_starts LOOP
            -- The stretch's first p_limit matches, and how far into it the last one was.
            -- (Ordered by the index's columns, not n: the planner knows they come in that
            -- order and stops at the page's last match.)
            EXECUTE format('SELECT array_agg(id ORDER BY n), max(n) FROM (SELECT n, id FROM '
                           '(SELECT row_number() OVER (ORDER BY sort_last, sort_first, '
                           'id COLLATE "C") AS n, id, sort_last, sort_first, search, phone_text '
                           'FROM contacts WHERE sort_last LIKE %L ORDER BY sort_last, '
                           'sort_first, id COLLATE "C" LIMIT %s) AS w WHERE %s '
                           'ORDER BY sort_last, sort_first, id COLLATE "C" LIMIT %s) AS m',
                           v_start, v_walk, p_where, p_limit) INTO v_found, v_last;
            IF coalesce(cardinality(v_found), 0) < p_limit THEN
                -- Known all the same if the stretch ended within the walk (the index says).
                EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM contacts '
                               'WHERE sort_last LIKE %L LIMIT %s) AS s', v_start, v_walk)
                    INTO v_rows;
                v_known := v_known AND v_rows < v_walk;
            ELSIF v_total IS NULL AND v_last <= 2 * p_limit THEN
                -- Most of it matches (a common last name): counted here, up to the cap, not
                -- through the trigram index, which finds all 59,000 and costs 20 ms for it.
                EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM (SELECT search, phone_text '
                               'FROM contacts WHERE sort_last LIKE %L ORDER BY sort_last, '
                               'sort_first, id COLLATE "C" LIMIT %s) AS w WHERE %s LIMIT %s) AS c',
                               v_start, v_walk, p_where, p_cap + 1) INTO v_rows;
                IF v_rows > p_cap THEN
                    v_total := v_rows;
                END IF;
            END IF;
            v_ids := coalesce(v_ids, '{{}}') || coalesce(v_found, '{{}}');
        END LOOP;
        PERFORM set_config('enable_bitmapscan', v_setting, true);
        IF cardinality(p_starts) > 1 THEN  -- several stretches: merged in directory order
            SELECT array_agg(id ORDER BY sort_last, sort_first, id COLLATE "C") INTO v_ids
                FROM (SELECT id, sort_last, sort_first FROM contacts WHERE id = ANY (v_ids)
                      ORDER BY sort_last, sort_first, id COLLATE "C" LIMIT p_limit) AS m;
        END IF;
    END IF;
    IF v_total IS NULL THEN
        EXECUTE format(
            'SELECT count(*), (array_agg(id ORDER BY later, sort_last, sort_first, '
            'id COLLATE "C"))[1:%s] FROM (SELECT id, sort_last, sort_first, NOT (%s) AS later '
            'FROM contacts WHERE %s LIMIT %s) AS found', p_limit, v_first, p_where, p_cap + 1)
            INTO v_total, v_more;
        IF v_total <= p_cap THEN  -- every match counted and sorted
            v_ids := v_more;
        END IF;
    END IF;
    IF v_total > p_cap THEN
        IF NOT v_known OR p_first IS NOT NULL THEN
            -- Materialized: else the planner walks the directory for a LIMIT it expects to
            -- reach soon, through every row before the matches (359 ms at 100,000).
            EXECUTE format('WITH found AS MATERIALIZED (SELECT id, sort_last, sort_first '
                           'FROM contacts WHERE (%s) AND (%s)) '
                           'SELECT array_agg(id ORDER BY sort_last, sort_first, id COLLATE "C") '
                           'FROM (SELECT * FROM found '
                           'ORDER BY sort_last, sort_first, id COLLATE "C" LIMIT %s) AS r',
                           p_where, v_first, p_limit) INTO v_ids;
        END IF;
        v_need := p_limit - coalesce(cardinality(v_ids), 0);
        IF v_need > 0 THEN
            v_rest := format('(%s) AND NOT (%s)', p_where, v_first);
            EXECUTE format('SELECT array_agg(id ORDER BY sort_last, sort_first, id COLLATE "C") '
                           'FROM (SELECT * FROM (SELECT * FROM contacts '
                           'ORDER BY sort_last, sort_first, id COLLATE "C" LIMIT %s) AS w '
                           'WHERE %s ORDER BY sort_last, sort_first, id COLLATE "C" '
                           'LIMIT %s) AS r', 2 * (p_cap + 1), v_rest, v_need) INTO v_more;
            IF coalesce(cardinality(v_more), 0) < v_need THEN
                -- Through the index: for 6% of a million rows the planner picks a table scan
                -- (1.2 s, where the index's bitmap reads only the matches' pages).
                v_setting := current_setting('enable_seqscan');
                PERFORM set_config('enable_seqscan', 'off', true);
                EXECUTE format('WITH found AS MATERIALIZED (SELECT id, sort_last, sort_first '
                               'FROM contacts WHERE %s) '
                               'SELECT array_agg(id ORDER BY sort_last, sort_first, '
                               'id COLLATE "C") FROM (SELECT * FROM found '
                               'ORDER BY sort_last, sort_first, id COLLATE "C" LIMIT %s) AS r',
                               v_rest, v_need) INTO v_more;
                PERFORM set_config('enable_seqscan', v_setting, true);
            END IF;
            v_ids := coalesce(v_ids, '{{}}') || coalesce(v_more, '{{}}');
        END IF;
    END IF;
    RETURN QUERY SELECT c.doc, v_total
        FROM unnest(v_ids) WITH ORDINALITY AS t (id, n)
        JOIN contacts AS c ON c.id = t.id ORDER BY t.n;
END $$;

-- Absorbing (add: does the new contact hold the ephemeral one's identity?) and an import's
-- check of what changed (view).
CREATE FUNCTION {SCHEMA}.read_contact_keys(p_id text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.VIEW, Permission.ADD)},
                             '{Permission.VIEW.value}', 'read contacts');
    RETURN QUERY SELECT key FROM {SCHEMA}.contact_keys WHERE contact_id = p_id;
END $$;

-- Every contact id: expiry's (admin). Every interaction id: the interactions absorbing (add)
-- and expiry relink; read_interaction decides what each of them shows.
CREATE FUNCTION {SCHEMA}.read_ids(p_table text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    IF p_table = 'contacts' THEN
        PERFORM {SCHEMA}.require({_holds(Permission.ADMIN)}, '{Permission.ADMIN.value}',
                                 'list every contact');
        RETURN QUERY SELECT id FROM {SCHEMA}.contacts;
    ELSIF p_table = 'interactions' THEN
        PERFORM {SCHEMA}.require({_holds(Permission.ADD, Permission.ADMIN)},
                                 '{Permission.ADD.value}', 'list every interaction');
        RETURN QUERY SELECT id FROM {SCHEMA}.interactions;
    END IF;
END $$;

-- Contacts other transactions changed that were not yet committed when ``p_snapshot`` (a
-- pg_current_snapshot()) was taken: an import's check of its plan (view and add).
CREATE FUNCTION {SCHEMA}.changed_since(p_snapshot text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_snapshot pg_snapshot := p_snapshot::pg_snapshot;
    v_own xid8 := pg_current_xact_id_if_assigned();
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.VIEW)}, '{Permission.VIEW.value}',
                             'see which contacts changed');
    RETURN QUERY SELECT DISTINCT contact_id FROM {SCHEMA}.contact_changes
        WHERE tx >= pg_snapshot_xmin(v_snapshot) AND NOT pg_visible_in_snapshot(tx, v_snapshot)
          AND tx IS DISTINCT FROM v_own;
END $$;

-- What other sessions committed after the snapshot p_since (a ``seen`` this returned before;
-- NULL on the first call) up to this statement's snapshot, returned as ``seen`` for the next
-- call: each changed contact and each notice a session kept (kept_notices), as the notices
-- say them ('table:id'), at most p_limit. The apps' look every few seconds
-- (store.SWEEP_SECONDS): a change is seen even when its session never sent the notices it
-- kept. Read by transaction id through the indexes: the ones begun after p_since, and the
-- ones running then; each committed transaction is in the first look whose snapshot sees it.
-- It says what the notices say, ids and whose queue, never what changed, and to viewers only:
-- an old p_since gives the ids of a day's changes, which any login listening all day heard.
CREATE FUNCTION {SCHEMA}.committed_since(
    p_since text, p_limit integer, OUT seen text, OUT payloads text[]
) LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_since pg_snapshot := p_since::pg_snapshot;
    v_now pg_snapshot := pg_current_snapshot();
    v_after xid8 := pg_snapshot_xmax(v_since);
    v_running xid8[] := ARRAY(SELECT pg_snapshot_xip(v_since));
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.VIEW)}, '{Permission.VIEW.value}',
                             'see what was committed');
    seen := v_now::text;
    -- One branch per index lookup: "after OR running" in one WHERE read the whole table.
    payloads := ARRAY(
        SELECT DISTINCT c.payload FROM (
            SELECT 'contacts:' || contact_id AS payload, tx FROM {SCHEMA}.contact_changes
                WHERE tx >= v_after
            UNION ALL SELECT 'contacts:' || contact_id, tx FROM {SCHEMA}.contact_changes
                WHERE tx = ANY(v_running)
            UNION ALL SELECT payload, tx FROM {SCHEMA}.kept_notices WHERE tx >= v_after
            UNION ALL SELECT payload, tx FROM {SCHEMA}.kept_notices WHERE tx = ANY(v_running)
        ) AS c
        WHERE v_since IS NOT NULL AND pg_visible_in_snapshot(c.tx, v_now)
        LIMIT p_limit);
END $$;

CREATE FUNCTION {SCHEMA}.read_interaction(p_id text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_row {SCHEMA}.interactions;
    v_doc jsonb;
BEGIN
    PERFORM {SCHEMA}.require({SCHEMA}.is_user(), '{Permission.VIEW.value}', 'use this store');
    SELECT * INTO v_row FROM {SCHEMA}.interactions WHERE id = p_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF {_holds(Permission.VIEW)}
       AND (v_row.agent = session_user OR {_holds(Permission.VIEW_ALL_INTERACTIONS)}) THEN
        RETURN v_row.doc;
    END IF;
    v_doc := v_row.doc - 'transcript' - 'subject' - 'to' - 'cc' - 'wrapUpNote' - 'matchKey';
    IF {_holds(Permission.ADD)}
       AND (v_row.agent = session_user OR {_holds(Permission.VIEW_ALL_INTERACTIONS)}) THEN
        RETURN v_doc;  -- a contact made from it (add) takes its sender's identity
    END IF;
    IF v_row.agent <> session_user AND NOT {_holds(Permission.VIEW_ALL_INTERACTIONS)} THEN
        -- Another agent's: whose it is (for the refusal to say so) and nothing about whom
        -- they are talking to: no sender, no contact, no candidates.
        RETURN (v_doc - 'contactId' - 'candidateIds')
            || jsonb_build_object('from', jsonb_build_object('address', '', 'name', ''));
    END IF;
    RETURN v_doc || jsonb_build_object('from', jsonb_build_object('address', '', 'name', ''));
END $$;

-- The interactions linked to, or offering as a candidate, any of p_ids: what absorbing (add)
-- and expiry (admin) relink, found through the indexes instead of every interaction
-- (read_ids('interactions')); read_interaction decides what each of them shows.
CREATE FUNCTION {SCHEMA}.read_ids_naming(p_ids text[]) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.ADD, Permission.ADMIN)},
                             '{Permission.ADD.value}', 'list every interaction');
    RETURN QUERY SELECT id FROM {SCHEMA}.interactions WHERE contact_id = ANY(p_ids)
        UNION SELECT id FROM {SCHEMA}.interactions WHERE doc -> 'candidateIds' ?| p_ids
        ORDER BY 1;
END $$;

-- An interaction's wrap-up note (issue 13): its own agent's to write, or anyone's with
-- view-all, as ending it is (domain.permissions: UseCase.WRAP_UP). Nothing else of the
-- interaction changes; the audit record is written here, who and when from the server. An
-- empty note clears it. The table's clean() check refuses control and format characters.
CREATE FUNCTION {SCHEMA}.save_wrap_up(p_id text, p_note text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_old {SCHEMA}.interactions;
    v_at timestamptz := clock_timestamp();
    v_audit text := gen_random_uuid()::text;
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.VIEW)}, '{Permission.VIEW.value}',
                             'write wrap-up notes');
    SELECT * INTO v_old FROM {SCHEMA}.interactions WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No interaction has the id %.', p_id USING ERRCODE = 'P0002';
    END IF;
    IF v_old.agent <> session_user THEN
        PERFORM {SCHEMA}.require({_holds(Permission.VIEW_ALL_INTERACTIONS)},
                                 '{Permission.VIEW_ALL_INTERACTIONS.value}',
                                 'write wrap-up notes on other agents'' interactions');
    END IF;
    IF p_note IS NULL OR char_length(p_note) > {MAX_WRAP_UP_LENGTH} THEN
        RAISE EXCEPTION 'a wrap-up note holds at most {MAX_WRAP_UP_LENGTH} characters'
            USING ERRCODE = '22001';
    END IF;
    UPDATE {SCHEMA}.interactions
        SET doc = CASE WHEN p_note = '' THEN doc - 'wrapUpNote'
                       ELSE doc || jsonb_build_object('wrapUpNote', p_note) END
        WHERE id = p_id;
    INSERT INTO {SCHEMA}.audit (id, contact_id, agent, at, doc)
        VALUES (v_audit, v_old.contact_id, session_user, v_at, jsonb_strip_nulls(
            jsonb_build_object(
                'id', v_audit, 'agent', session_user,
                'at', to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'action', '{AuditAction.WRAP_UP.value}', 'fields', jsonb_build_array('wrapUpNote'),
                'contactId', v_old.contact_id, 'interactionId', p_id)));
END $$;
"""


# Contact notes (issue 13): their own table, so a note never changes the contact's version.
# Agents read them with view (row-level security) and write them only through add_note,
# edit_note and delete_note, which check the permissions and the author with session_user,
# set the author and the times from the server, and write their own audit records.
_NOTE_DATE = "to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
MIGRATION_1_NOTES = f"""
CREATE FUNCTION {SCHEMA}.note_shape(doc jsonb, p_id text, p_contact text, p_version integer)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_typeof(doc) = 'object'
       AND doc -> 'id' = to_jsonb(p_id) AND doc -> 'entityId' = to_jsonb(p_contact)
       AND doc -> 'entityType' = '"Contact"'
       AND doc -> 'version' = to_jsonb(p_version) AND doc ->> 'version' = p_version::text
       AND jsonb_typeof(doc -> 'noteText') = 'string'
       AND length(doc ->> 'noteText') BETWEEN 1 AND {MAX_NOTE_LENGTH}
       AND jsonb_typeof(doc -> 'createDate') = 'string'
       AND {SCHEMA}.is_date(doc -> 'createDate') AND {SCHEMA}.is_date(doc -> 'modifyDate')
       AND jsonb_typeof(doc -> 'createdBy') = 'object'
       AND {SCHEMA}.is_text(doc -> 'createdBy' -> 'id') AND {SCHEMA}.is_text(doc -> 'modifiedBy'),
       false)
$$;

CREATE TABLE {SCHEMA}.notes (
    id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    contact_id text NOT NULL REFERENCES {SCHEMA}.contacts (id) ON DELETE CASCADE,
    author text NOT NULL,
    created text COLLATE "C" NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    doc jsonb NOT NULL CHECK ({SCHEMA}.clean(doc)),
    CONSTRAINT note_shape CHECK ({SCHEMA}.note_shape(doc, id, contact_id, version))
);
CREATE INDEX notes_contact ON {SCHEMA}.notes (contact_id, created DESC);
ALTER TABLE {SCHEMA}.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY viewers_read ON {SCHEMA}.notes FOR SELECT USING ({_holds(Permission.VIEW)});
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.notes
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.announce();

-- A note's text as the app checks it (domain.rules.validate_note): 1 to MAX_NOTE_LENGTH
-- characters, not only blanks; control and format characters the table's clean() refuses.
CREATE FUNCTION {SCHEMA}.check_note_text(p_text text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_text IS NULL OR length(p_text) > {MAX_NOTE_LENGTH} OR btrim(p_text, E' \n') = '' THEN
        RAISE EXCEPTION 'a note needs 1 to {MAX_NOTE_LENGTH} characters of text'
            USING ERRCODE = '22023';
    END IF;
    IF p_text ~ '{UNSAFE_CLASS}' THEN
        RAISE EXCEPTION 'a note may not hold control or format characters'
            USING ERRCODE = '22023';
    END IF;
END $$;

-- The audit record of a note's change, written by the function making it: who and when are
-- the server's.
CREATE FUNCTION {SCHEMA}.audit_note(p_action text, p_doc jsonb, p_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_id text := gen_random_uuid()::text;
BEGIN
    INSERT INTO {SCHEMA}.audit (id, contact_id, agent, at, doc)
        VALUES (v_id, p_doc ->> 'entityId', session_user, p_at, jsonb_build_object(
            'id', v_id, 'at', to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'agent', session_user::text, 'action', p_action,
            'fields', CASE WHEN p_action = 'note-delete' THEN '[]'::jsonb
                           ELSE '["noteText"]'::jsonb END,
            'contactId', p_doc ->> 'entityId', 'version', p_doc -> 'version',
            'noteId', p_doc ->> 'id'));
END $$;

-- Editing or deleting a note: edit, and for another agent's note edit-all too.
CREATE FUNCTION {SCHEMA}.note_for_change(p_id text, p_doing text)
RETURNS {SCHEMA}.notes LANGUAGE plpgsql AS $$
DECLARE
    v_old {SCHEMA}.notes;
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.EDIT)}, '{Permission.EDIT.value}',
                             p_doing || ' contact notes');
    SELECT * INTO v_old FROM {SCHEMA}.notes WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No note has the id %; it may have been deleted.', p_id
            USING ERRCODE = 'P0002';
    END IF;
    IF v_old.author <> session_user THEN
        PERFORM {SCHEMA}.require({_holds(Permission.NOTE_EDIT_ALL)},
                                 '{Permission.NOTE_EDIT_ALL.value}',
                                 p_doing || ' other agents'' contact notes');
    END IF;
    RETURN v_old;
END $$;

-- A note read inside a write (whose it is, before editing or deleting it): view, or edit,
-- which may change one's own notes without view.
CREATE FUNCTION {SCHEMA}.read_note(p_id text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.VIEW, Permission.EDIT)},
                             '{Permission.VIEW.value}', 'read contact notes');
    RETURN (SELECT doc FROM {SCHEMA}.notes WHERE id = p_id);
END $$;

CREATE FUNCTION {SCHEMA}.add_note(p_id text, p_contact text, p_text text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_at timestamptz := clock_timestamp();
    v_when text := {_NOTE_DATE};
    v_doc jsonb;
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.EDIT)}, '{Permission.EDIT.value}',
                             'add contact notes');
    PERFORM {SCHEMA}.check_note_text(p_text);
    PERFORM 1 FROM {SCHEMA}.contacts WHERE id = p_contact FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No contact has the id %; it may have been removed.', p_contact
            USING ERRCODE = 'P0002';
    END IF;
    v_doc := jsonb_build_object('id', p_id, 'entityId', p_contact, 'entityType', 'Contact',
        'noteText', p_text, 'createDate', v_when, 'modifyDate', v_when,
        'createdBy', jsonb_build_object('id', session_user::text), 'version', 1);
    INSERT INTO {SCHEMA}.notes (id, contact_id, author, created, version, doc)
        VALUES (p_id, p_contact, session_user, v_when, 1, v_doc);
    PERFORM {SCHEMA}.audit_note('{AuditAction.NOTE_ADD.value}', v_doc, v_at);
    RETURN v_doc;
END $$;

CREATE FUNCTION {SCHEMA}.edit_note(p_id text, p_text text, p_expected integer) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_at timestamptz := clock_timestamp();
    v_old {SCHEMA}.notes := {SCHEMA}.note_for_change(p_id, 'edit');
    v_doc jsonb;
BEGIN
    IF v_old.version <> p_expected THEN
        RAISE EXCEPTION 'note % changed since it was read', p_id
            USING ERRCODE = '40001',
                  DETAIL = jsonb_build_object(
                      'version', v_old.version,
                      'modifiedBy', coalesce(v_old.doc ->> 'modifiedBy', v_old.author),
                      'modifyDate', v_old.doc ->> 'modifyDate')::text;
    END IF;
    PERFORM {SCHEMA}.check_note_text(p_text);
    v_doc := v_old.doc || jsonb_build_object('noteText', p_text, 'modifyDate', {_NOTE_DATE},
        'modifiedBy', session_user::text, 'version', v_old.version + 1);
    UPDATE {SCHEMA}.notes SET doc = v_doc, version = v_old.version + 1 WHERE id = p_id;
    PERFORM {SCHEMA}.audit_note('{AuditAction.NOTE_EDIT.value}', v_doc, v_at);
    RETURN v_doc;
END $$;

-- Absorbing (add): the curated contact this transaction made from an interaction takes the
-- place of the ephemeral one holding its identity, notes included (authors and times kept).
-- Only then: moving notes between other contacts is not an agent's to do.
CREATE FUNCTION {SCHEMA}.move_notes(p_from text, p_to text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.ADD)}, '{Permission.ADD.value}', 'add contacts');
    IF NOT ({SCHEMA}.absorbed(p_from) AND p_to IN (SELECT * FROM {SCHEMA}.made_here())
            AND EXISTS (SELECT 1 FROM {SCHEMA}.contact_keys AS gone
                        JOIN {SCHEMA}.contact_keys AS made ON made.key = gone.key
                        WHERE gone.contact_id = p_from AND made.contact_id = p_to)) THEN
        RAISE EXCEPTION 'notes move only to the contact made in their contact''s place'
            USING ERRCODE = '42501', HINT = '{Permission.ADD.value}';
    END IF;
    UPDATE {SCHEMA}.notes SET contact_id = p_to,
            doc = doc || jsonb_build_object('entityId', p_to)
        WHERE contact_id = p_from;
END $$;

CREATE FUNCTION {SCHEMA}.delete_note(p_id text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_old {SCHEMA}.notes := {SCHEMA}.note_for_change(p_id, 'delete');
BEGIN
    DELETE FROM {SCHEMA}.notes WHERE id = p_id;
    PERFORM {SCHEMA}.audit_note('{AuditAction.NOTE_DELETE.value}', v_old.doc, clock_timestamp());
END $$;
"""


_RANK = "(CASE {} WHEN 'Curated' THEN 2 WHEN 'Identified' THEN 1 ELSE 0 END)"
_AUDIT_AT = "to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"


def _merge_requires() -> str:
    """The plpgsql statements refusing a merge or an unmerge to a caller without view, edit
    and merge, in that order (domain.permissions: both use cases need all three)."""
    return "\n".join(
        f"    PERFORM {SCHEMA}.require({_holds(p)}, '{p.value}', 'merge contacts');"
        for p in (Permission.VIEW, Permission.EDIT, Permission.MERGE)
    )


# Merge and unmerge (issue 13). The merges table remembers each merged-away id, what it was
# merged into and what the merge did, written and removed only by these functions: an
# unmerge reads the contact it brings back from here, never from an audit record a client
# wrote, so a forged "merge" record restores nothing. Both functions write their own audit
# records (agent and time the server's), relink other agents' interactions with definer
# rights, and lock the two contacts in id order so two merges of one pair cannot deadlock.
MIGRATION_1_MERGES = f"""
CREATE TABLE {SCHEMA}.merges (
    id text PRIMARY KEY,
    kept_id text NOT NULL,
    audit_id text NOT NULL UNIQUE,
    doc jsonb NOT NULL CHECK ({SCHEMA}.clean(doc))
);
CREATE INDEX merges_kept ON {SCHEMA}.merges (kept_id);
ALTER TABLE {SCHEMA}.merges ENABLE ROW LEVEL SECURITY;
CREATE POLICY viewers_read ON {SCHEMA}.merges FOR SELECT USING ({_holds(Permission.VIEW)});
-- A merge finds the interactions offering a contact as a candidate through
-- interactions_candidates (MIGRATION_1).

-- A list of text from a client (an audit record's fields), or an error: a record the app
-- cannot read back would break the history for everyone.
CREATE FUNCTION {SCHEMA}.merge_text_list(v jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        RETURN '[]';
    END IF;
    IF jsonb_typeof(v) <> 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(v) AS e WHERE jsonb_typeof(e) <> 'string')
    THEN
        RAISE EXCEPTION 'expected a list of text, found %', v USING ERRCODE = '22023';
    END IF;
    RETURN v;
END $$;

-- What a standing merge did, for an unmerge to work out the kept contact's fields (view).
CREATE FUNCTION {SCHEMA}.read_merge(p_merge text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.VIEW)}, '{Permission.VIEW.value}',
                             'read merges');
    RETURN (SELECT doc -> 'merge' FROM {SCHEMA}.merges WHERE audit_id = p_merge);
END $$;

-- A merge preview: every interaction linked to the contact or offering it, whoever's.
CREATE FUNCTION {SCHEMA}.merge_interactions(p_id text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
BEGIN
{_merge_requires()}
    RETURN QUERY SELECT u.id FROM (
        SELECT i.id FROM {SCHEMA}.interactions AS i WHERE i.contact_id = p_id
        UNION SELECT i.id FROM {SCHEMA}.interactions AS i WHERE i.doc -> 'candidateIds' ? p_id
    ) AS u ORDER BY u.id COLLATE "C";
END $$;

CREATE FUNCTION {SCHEMA}.merge_contacts(
    p_doc jsonb, p_expected integer, p_other text, p_other_version integer, p_audit jsonb
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_keep text := p_doc ->> 'id';
    v_at timestamptz := clock_timestamp();
    v_kept {SCHEMA}.contacts;
    v_other {SCHEMA}.contacts;
    v_saved jsonb;
    v_row record;
    v_after jsonb;
    v_contact text;
    v_new jsonb;
    v_relinked jsonb := '[]';
    v_notes jsonb;
    v_merge jsonb;
    v_audit jsonb;
BEGIN
{_merge_requires()}
    IF v_keep IS NULL OR p_other IS NULL OR v_keep = p_other OR p_audit ->> 'id' IS NULL THEN
        RAISE EXCEPTION 'a merge needs two different contacts and an audit record id'
            USING ERRCODE = '22023';
    END IF;
    PERFORM 1 FROM {SCHEMA}.contacts WHERE id IN (v_keep, p_other)
        ORDER BY id COLLATE "C" FOR UPDATE;
    SELECT * INTO v_kept FROM {SCHEMA}.contacts WHERE id = v_keep;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No contact has the id %; it may have been removed.', v_keep
            USING ERRCODE = 'P0002';
    END IF;
    SELECT * INTO v_other FROM {SCHEMA}.contacts WHERE id = p_other;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No contact has the id %; it may have been removed.', p_other
            USING ERRCODE = 'P0002';
    END IF;
    IF v_other.version <> p_other_version THEN
        RAISE EXCEPTION 'contact % changed since it was read', p_other
            USING ERRCODE = '40001',
                  DETAIL = jsonb_build_object('version', v_other.version,
                                              'modifiedBy', v_other.doc ->> 'modifiedBy',
                                              'modifyDate', v_other.doc ->> 'modifyDate')::text;
    END IF;
    -- The customer is kept: an ephemeral contact goes into a curated one, never the reverse.
    IF {_RANK.format("v_other.kind")} > {_RANK.format("v_kept.kind")}
       OR p_doc ->> 'type' IS DISTINCT FROM v_kept.kind THEN
        RAISE EXCEPTION 'contact % is %: it cannot be merged into the % contact %',
            p_other, v_other.kind, v_kept.kind, v_keep USING ERRCODE = '22023';
    END IF;
    -- The merge's own record stands for this version of the kept contact.
    v_saved := {SCHEMA}.store_contact(p_doc, p_expected, NULL, NULL, false);
    FOR v_row IN SELECT i.id, i.contact_id, i.doc FROM {SCHEMA}.interactions AS i
        WHERE i.contact_id = p_other OR i.doc -> 'candidateIds' ? p_other
        ORDER BY i.id COLLATE "C" FOR UPDATE
    LOOP
        -- The candidates with the merged-away id replaced, each once, in first-seen order.
        SELECT coalesce(jsonb_agg(to_jsonb(d.c) ORDER BY d.n), '[]') INTO v_after FROM (
            SELECT r.c, min(r.n) AS n FROM (
                SELECT CASE WHEN t.e = p_other THEN v_keep ELSE t.e END AS c, t.n
                FROM jsonb_array_elements_text(coalesce(v_row.doc -> 'candidateIds', '[]'))
                    WITH ORDINALITY AS t(e, n)) AS r
            GROUP BY r.c) AS d;
        v_contact := CASE WHEN v_row.contact_id = p_other THEN v_keep ELSE v_row.contact_id END;
        v_new := v_row.doc;
        IF v_contact IS NOT NULL THEN
            v_new := v_new || jsonb_build_object('contactId', v_contact);
        END IF;
        IF v_after <> '[]' THEN
            v_new := v_new || jsonb_build_object('candidateIds', v_after);
        END IF;
        UPDATE {SCHEMA}.interactions SET contact_id = v_contact, doc = v_new WHERE id = v_row.id;
        v_relinked := v_relinked || jsonb_build_array(jsonb_build_object(
            'id', v_row.id, 'contactBefore', v_row.contact_id, 'contactAfter', v_contact,
            'candidatesBefore', coalesce(v_row.doc -> 'candidateIds', '[]'),
            'candidatesAfter', v_after));
    END LOOP;
    -- The merged-away contact's notes go to the kept one as they are (moving a note is not
    -- editing it; move_notes is for absorbing only), before the delete would take them.
    SELECT coalesce(jsonb_agg(to_jsonb(n.id) ORDER BY n.id COLLATE "C"), '[]') INTO v_notes
        FROM {SCHEMA}.notes AS n WHERE n.contact_id = p_other;
    UPDATE {SCHEMA}.notes
        SET contact_id = v_keep, doc = doc || jsonb_build_object('entityId', v_keep)
        WHERE contact_id = p_other;
    DELETE FROM {SCHEMA}.contacts WHERE id = p_other;
    v_merge := jsonb_build_object('keptBefore', v_kept.doc, 'otherBefore', v_other.doc,
                                  'keptAfter', v_saved, 'relinked', v_relinked,
                                  'movedNotes', v_notes);
    INSERT INTO {SCHEMA}.merges (id, kept_id, audit_id, doc)
        VALUES (p_other, v_keep, p_audit ->> 'id',
                jsonb_build_object('id', p_other, 'keptId', v_keep, 'auditId', p_audit ->> 'id',
                                   'merge', v_merge));
    v_audit := jsonb_build_object(
        'id', p_audit ->> 'id', 'at', {_AUDIT_AT}, 'agent', session_user, 'action', 'merge',
        'fields', {SCHEMA}.merge_text_list(p_audit -> 'fields'), 'contactId', v_keep,
        'version', v_saved -> 'version', 'merge', v_merge);
    INSERT INTO {SCHEMA}.audit (id, contact_id, agent, at, doc)
        VALUES (v_audit ->> 'id', v_keep, session_user, v_at, v_audit);
    RETURN v_audit;
END $$;

CREATE FUNCTION {SCHEMA}.unmerge_contacts(
    p_merge text, p_doc jsonb, p_expected integer, p_audit jsonb
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_at timestamptz := clock_timestamp();
    v_m {SCHEMA}.merges;
    v_other jsonb;
    v_saved jsonb;
    v_e jsonb;
    v_row {SCHEMA}.interactions;
    v_new jsonb;
    v_moved boolean;
    v_left jsonb := '[]';
    v_audit jsonb;
    v_last text;
    v_later jsonb := '[]';
    v_latest text;
    v_after jsonb;
    v_old_notes jsonb;
    v_when text;
    v_kept_after jsonb := NULL;
    v_gave boolean := false;
BEGIN
{_merge_requires()}
    IF p_audit ->> 'id' IS NULL THEN
        RAISE EXCEPTION 'an unmerge needs an audit record id' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_m FROM {SCHEMA}.merges WHERE audit_id = p_merge FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No standing merge has the id %.', p_merge USING ERRCODE = 'P0002';
    END IF;
    IF p_doc ->> 'id' IS DISTINCT FROM v_m.kept_id THEN
        RAISE EXCEPTION 'merge % kept contact %, not %', p_merge, v_m.kept_id, p_doc ->> 'id'
            USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM {SCHEMA}.contacts WHERE id = v_m.id) THEN
        RAISE EXCEPTION 'the id % is in use again, so the merged-away contact cannot come back',
            v_m.id USING ERRCODE = '22023';
    END IF;
    SELECT doc ->> 'lastInteractionDate' INTO v_last FROM {SCHEMA}.contacts
        WHERE id = v_m.kept_id FOR UPDATE;
    -- The merge's own record stands for this version of the kept contact.
    v_saved := {SCHEMA}.store_contact(p_doc, p_expected, NULL, NULL, false);
    -- The other contact's last call, which the merge gave the kept one, goes back with it
    -- (save_contact keeps the later date, as for a call during a save); one since stays.
    IF v_last IS NOT DISTINCT FROM v_m.doc #>> '{{merge,keptAfter,lastInteractionDate}}' THEN
        v_saved := (v_saved - 'lastInteractionDate') || jsonb_strip_nulls(jsonb_build_object(
            'lastInteractionDate', v_m.doc #> '{{merge,keptBefore,lastInteractionDate}}'));
        UPDATE {SCHEMA}.contacts SET doc = v_saved WHERE id = v_m.kept_id;
    END IF;
    v_other := v_m.doc #> '{{merge,otherBefore}}';
    -- A merge an earlier build made may keep the contact's old single notes field, which no
    -- contact row may hold now: its text comes back as the contact's note, as
    -- store.upgrade.unmerged_note makes it (same id, author and time; the reasons there).
    v_old_notes := v_other -> 'notes';
    v_other := v_other - 'notes';
    INSERT INTO {SCHEMA}.contacts (id, doc, version, kind, created)
        VALUES (v_m.id, v_other, (v_other ->> 'version')::integer, v_other ->> 'type',
                coalesce(v_other ->> 'createDate', ''));
    INSERT INTO {SCHEMA}.contact_keys (key, contact_id)
        SELECT DISTINCT k, v_m.id FROM {SCHEMA}.doc_keys(v_other) AS k;
    IF jsonb_typeof(v_old_notes) = 'string'
       AND btrim(v_old_notes #>> '{{}}', E' \\n') <> '' THEN
        -- Where the merge gave the kept contact that text (it held other text or none), the
        -- note the upgrade made of it there goes back, if unedited (store.upgrade.merge_gift).
        v_kept_after := v_m.doc #> '{{merge,keptAfter}}';
        IF v_kept_after -> 'notes' = v_old_notes
           AND v_m.doc #> '{{merge,keptBefore,notes}}' IS DISTINCT FROM v_old_notes THEN
            UPDATE {SCHEMA}.notes
                SET contact_id = v_m.id, doc = doc || jsonb_build_object('entityId', v_m.id)
                WHERE id = (
                    SELECT n.id FROM {SCHEMA}.notes AS n
                    WHERE n.contact_id = v_m.kept_id AND n.version = 1
                      AND n.doc -> 'noteText' = v_old_notes
                      AND n.author = coalesce(nullif(v_kept_after ->> 'modifiedBy', ''),
                                              nullif(v_kept_after ->> 'createdBy', ''), '')
                      AND n.created = coalesce(nullif(v_kept_after ->> 'modifyDate', ''),
                                               nullif(v_kept_after ->> 'createDate', ''))
                    ORDER BY n.id COLLATE "C" LIMIT 1);
            v_gave := FOUND;
        END IF;
        IF NOT v_gave THEN
            v_when := coalesce(nullif(v_other ->> 'modifyDate', ''),
                               nullif(v_other ->> 'createDate', ''), {_AUDIT_AT});
            INSERT INTO {SCHEMA}.notes (id, contact_id, author, created, version, doc)
            SELECT n.id, v_m.id, n.author, v_when, 1, jsonb_build_object(
                    'id', n.id, 'entityId', v_m.id, 'entityType', 'Contact',
                    'noteText', v_old_notes, 'createDate', v_when, 'modifyDate', v_when,
                    'createdBy', jsonb_build_object('id', n.author), 'version', 1)
            FROM (SELECT md5('unmerge' || E'\\n' || p_merge)::uuid::text AS id,
                         coalesce(nullif(v_other ->> 'modifiedBy', ''),
                                  nullif(v_other ->> 'createdBy', ''), '') AS author) AS n
            ON CONFLICT (id) DO NOTHING;
        END IF;
    END IF;
    FOR v_e IN SELECT * FROM jsonb_array_elements(v_m.doc #> '{{merge,relinked}}') LOOP
        SELECT * INTO v_row FROM {SCHEMA}.interactions WHERE id = v_e ->> 'id' FOR UPDATE;
        CONTINUE WHEN NOT FOUND;
        v_new := v_row.doc;
        v_moved := false;
        -- Each part goes back only where it is still as the merge left it.
        IF v_row.contact_id IS NOT DISTINCT FROM v_e ->> 'contactAfter' THEN
            v_new := v_new - 'contactId';
            IF v_e ->> 'contactBefore' IS NOT NULL THEN
                v_new := v_new || jsonb_build_object('contactId', v_e ->> 'contactBefore');
            END IF;
        ELSE
            v_moved := true;
        END IF;
        IF coalesce(v_row.doc -> 'candidateIds', '[]') = v_e -> 'candidatesAfter' THEN
            v_new := v_new - 'candidateIds';
            IF v_e -> 'candidatesBefore' <> '[]' THEN
                v_new := v_new || jsonb_build_object('candidateIds', v_e -> 'candidatesBefore');
            END IF;
        ELSE
            v_moved := true;
        END IF;
        IF v_moved THEN
            v_left := v_left || to_jsonb(v_row.id);
        END IF;
        IF v_new <> v_row.doc THEN
            UPDATE {SCHEMA}.interactions SET contact_id = v_new ->> 'contactId', doc = v_new
                WHERE id = v_row.id;
        END IF;
    END LOOP;
    -- A call the match linked to the kept contact after the merge, by a key (matchKey) the
    -- restored contact holds and the kept one no longer does, goes back with it: its
    -- candidates name the restored contact, and so does its link where the match made it (its
    -- first candidate); a link an agent chose stays (StoreTransaction.unmerge_contacts). The
    -- keys are the server's, from the documents; the merge's own relinks are done above.
    FOR v_row IN SELECT * FROM {SCHEMA}.interactions AS i
        WHERE i.doc -> 'candidateIds' ? v_m.kept_id
          AND i.doc ->> 'matchKey' IN (
              SELECT k FROM {SCHEMA}.doc_keys(v_other) AS k
              EXCEPT SELECT c.key FROM {SCHEMA}.contact_keys AS c WHERE c.contact_id = v_m.kept_id)
          AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v_m.doc #> '{{merge,relinked}}') AS e
                          WHERE e ->> 'id' = i.id)
        ORDER BY i.id COLLATE "C" FOR UPDATE
    LOOP
        SELECT coalesce(jsonb_agg(to_jsonb(d.c) ORDER BY d.n), '[]') INTO v_after FROM (
            SELECT r.c, min(r.n) AS n FROM (
                SELECT CASE WHEN t.e = v_m.kept_id THEN v_m.id ELSE t.e END AS c, t.n
                FROM jsonb_array_elements_text(v_row.doc -> 'candidateIds')
                    WITH ORDINALITY AS t(e, n)) AS r
            GROUP BY r.c) AS d;
        v_new := v_row.doc || jsonb_build_object('candidateIds', v_after);
        IF v_row.contact_id = v_m.kept_id AND v_row.doc -> 'candidateIds' ->> 0 = v_m.kept_id THEN
            v_new := v_new || jsonb_build_object('contactId', v_m.id);
            v_latest := greatest(v_latest, v_row.doc ->> 'startedAt');
        END IF;
        UPDATE {SCHEMA}.interactions SET contact_id = v_new ->> 'contactId', doc = v_new
            WHERE id = v_row.id;
        v_later := v_later || to_jsonb(v_row.id);
    END LOOP;
    IF v_latest > coalesce(v_other ->> 'lastInteractionDate', '') THEN
        UPDATE {SCHEMA}.contacts
            SET doc = doc || jsonb_build_object('lastInteractionDate', v_latest) WHERE id = v_m.id;
    END IF;
    -- The notes the merge moved go back, unless deleted since; notes added since stay.
    UPDATE {SCHEMA}.notes
        SET contact_id = v_m.id, doc = doc || jsonb_build_object('entityId', v_m.id)
        WHERE contact_id = v_m.kept_id AND id IN (
            SELECT jsonb_array_elements_text(coalesce(v_m.doc #> '{{merge,movedNotes}}', '[]')));
    DELETE FROM {SCHEMA}.merges WHERE id = v_m.id;
    v_audit := jsonb_build_object(
        'id', p_audit ->> 'id', 'at', {_AUDIT_AT}, 'agent', session_user, 'action', 'unmerge',
        'fields', {SCHEMA}.merge_text_list(p_audit -> 'fields'), 'contactId', v_m.kept_id,
        'version', v_saved -> 'version',
        'unmerge', jsonb_build_object(
            'undoes', p_merge,
            'unrestored', {SCHEMA}.merge_text_list(p_audit #> '{{unmerge,unrestored}}'),
            'left', v_left, 'relinked', v_later));
    INSERT INTO {SCHEMA}.audit (id, contact_id, agent, at, doc)
        VALUES (v_audit ->> 'id', v_m.kept_id, session_user, v_at, v_audit);
    -- The contact that came back has its own record, so its history shows its return.
    v_audit := v_audit || jsonb_build_object(
        'id', (p_audit ->> 'id') || ':' || v_m.id, 'contactId', v_m.id, 'fields', '[]'::jsonb,
        'version', v_other -> 'version');
    INSERT INTO {SCHEMA}.audit (id, contact_id, agent, at, doc)
        VALUES (v_audit ->> 'id', v_m.id, session_user, v_at, v_audit);
    RETURN v_audit || jsonb_build_object('id', p_audit ->> 'id', 'contactId', v_m.kept_id,
                                         'fields', {SCHEMA}.merge_text_list(p_audit -> 'fields'),
                                         'version', v_saved -> 'version');
END $$;
"""


# Erasure (issue 13). The audit table is otherwise append-only (users may only read it, and
# every function appends): erase_contact alone rewrites records, and only those about the
# contact it erases, for a caller holding view and delete (session_user: the server's word).
MIGRATION_1_ERASE = f"""
CREATE FUNCTION {SCHEMA}.erase_contact(p_id text, p_audit text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {SCHEMA}, pg_temp AS $$
DECLARE
    v_at timestamptz := clock_timestamp();
    v_ids text[] := ARRAY[p_id];
    v_more text[];
    v_row record;
    v_new jsonb;
    v_candidates jsonb;
    v_audit jsonb;
BEGIN
    PERFORM {SCHEMA}.require({_holds(Permission.VIEW)}, '{Permission.VIEW.value}',
                             'erase contacts');
    PERFORM {SCHEMA}.require({_holds(Permission.DELETE)}, '{Permission.DELETE.value}',
                             'erase contacts');
    IF p_id IS NULL OR p_audit IS NULL THEN
        RAISE EXCEPTION 'an erasure needs a contact id and an audit record id'
            USING ERRCODE = '22023';
    END IF;
    PERFORM 1 FROM {SCHEMA}.contacts WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No contact has the id %; it may have been removed.', p_id
            USING ERRCODE = 'P0002';
    END IF;
    -- The contacts merged into it (and into those) are the same customer, and the merges
    -- rows keep their documents: they go too.
    LOOP
        SELECT coalesce(array_agg(m.id), '{{}}') INTO v_more FROM {SCHEMA}.merges AS m
            WHERE m.kept_id = ANY(v_ids) AND m.id <> ALL(v_ids);
        EXIT WHEN cardinality(v_more) = 0;
        v_ids := v_ids || v_more;
    END LOOP;
    DELETE FROM {SCHEMA}.merges WHERE id = ANY(v_ids) OR kept_id = ANY(v_ids);
    FOR v_row IN SELECT i.id, i.contact_id, i.doc FROM {SCHEMA}.interactions AS i
        WHERE i.contact_id = ANY(v_ids) OR i.doc -> 'candidateIds' ?| v_ids
        ORDER BY i.id COLLATE "C" FOR UPDATE
    LOOP
        SELECT coalesce(jsonb_agg(t.e ORDER BY t.n), '[]') INTO v_candidates
            FROM jsonb_array_elements(coalesce(v_row.doc -> 'candidateIds', '[]'))
                WITH ORDINALITY AS t(e, n)
            WHERE (t.e #>> '{{}}') <> ALL(v_ids);
        v_new := v_row.doc - 'candidateIds';
        IF v_candidates <> '[]' THEN
            v_new := v_new || jsonb_build_object('candidateIds', v_candidates);
        END IF;
        IF v_row.contact_id = ANY(v_ids) THEN
            v_new := v_new - 'contactId';
        END IF;
        UPDATE {SCHEMA}.interactions SET contact_id = v_new ->> 'contactId', doc = v_new
            WHERE id = v_row.id;
    END LOOP;
    DELETE FROM {SCHEMA}.notes WHERE contact_id = ANY(v_ids);
    DELETE FROM {SCHEMA}.contacts WHERE id = ANY(v_ids);  -- its identity keys cascade
    -- Every record about them, and every merge record holding an image of them, keeps who,
    -- when, what and the contact id only.
    UPDATE {SCHEMA}.audit AS a
        SET doc = jsonb_strip_nulls(jsonb_build_object(
            'id', a.doc -> 'id', 'at', a.doc -> 'at', 'agent', a.doc -> 'agent',
            'action', a.doc -> 'action', 'contactId', a.doc -> 'contactId'))
            || jsonb_build_object('fields', '[]'::jsonb)
        WHERE a.contact_id = ANY(v_ids)
           OR (a.doc ? 'merge' AND (a.doc #>> '{{merge,keptBefore,id}}' = ANY(v_ids)
                                   OR a.doc #>> '{{merge,otherBefore,id}}' = ANY(v_ids)
                                   OR a.doc #>> '{{merge,keptAfter,id}}' = ANY(v_ids)));
    v_audit := jsonb_build_object(
        'id', p_audit, 'at', {_AUDIT_AT}, 'agent', session_user::text, 'action', 'erase',
        'fields', '[]'::jsonb, 'contactId', p_id);
    INSERT INTO {SCHEMA}.audit (id, contact_id, agent, at, doc)
        VALUES (p_audit, p_id, session_user, v_at, v_audit);
    RETURN v_audit;
END $$;
"""


def _grants() -> Iterator[str]:
    """What every user of the store may do directly: read (row-level security decides what)
    and call the functions; no table is writable except through them."""
    yield f"GRANT USAGE ON SCHEMA {SCHEMA} TO {USER_ROLE}"
    tables = (
        *("meta", "contacts", "contact_keys", "interactions", "audit", "settings"),
        *("notes", "merges"),
    )
    for table in tables:
        yield f"GRANT SELECT ON {SCHEMA}.{table} TO {USER_ROLE}"
    yield f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {SCHEMA} FROM PUBLIC"
    yield f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {SCHEMA} TO {USER_ROLE}"
    # The save without its audit record is for the merge functions only.
    yield (
        f"REVOKE EXECUTE ON FUNCTION {SCHEMA}.store_contact"
        f"(jsonb, integer, text, text, boolean) FROM {USER_ROLE}"
    )


MIGRATIONS: tuple[str, ...] = (
    MIGRATION_1
    + MIGRATION_1_NOTES
    + MIGRATION_1_MERGES
    + MIGRATION_1_ERASE
    + ";\n".join(_grants())
    + ";\n",
)
SCHEMA_VERSION = len(MIGRATIONS)


def fingerprint(version: int = SCHEMA_VERSION) -> str:
    """A hash of the SQL of migrations 1 to ``version``, which ``db init`` stores beside the
    version (meta.schema_fingerprint). A migration is edited in place until it is released, so
    two builds may both say "version 1" with different functions: the fingerprint tells them
    apart, and a database another build made is refused by name (its saves would call
    functions this build's SQL does not have) instead of being called up to date."""
    return hashlib.sha256("".join(MIGRATIONS[:version]).encode()).hexdigest()[:32]


SCHEMA_FINGERPRINT = fingerprint()

__all__ = [
    "GROUP_ROLES",
    "MIGRATIONS",
    "NOTIFY_CHANNEL",
    "PERMISSION_ROLES",
    "SCHEMA",
    "SCHEMA_FINGERPRINT",
    "SCHEMA_VERSION",
    "UNSAFE_CLASS",
    "USER_ROLE",
    "fingerprint",
    "unsafe_class",
]
