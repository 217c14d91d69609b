"""The schema's server-side rules agree with the domain's: the characters it refuses and the
identity keys it derives are the ones the app's own code gives, so the database can be the
boundary without the two drifting apart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from contact_tui.domain import codec as docs
from contact_tui.domain.model import (
    Contact,
    ContactType,
    MessagingIdentity,
    PhoneKind,
    PhoneNumber,
    Platform,
)
from contact_tui.domain.text import is_unsafe_char
from contact_tui.store.postgres.schema import (
    MAX_CONTACT_BYTES,
    MAX_DEPTH,
    UNSAFE_CLASS,
    unsafe_class,
)
from tests.hostile.corpus import CATEGORIES, entries

pytestmark = pytest.mark.pg


def test_the_pinned_character_class_is_what_the_domain_refuses() -> None:
    # Migration 1 holds the class literally; a change to is_unsafe_char must come with a
    # migration, not silently make new databases differ from old ones.
    assert unsafe_class() == UNSAFE_CLASS


@pytest.fixture
def owner(schema_database: Any) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection to a database holding the schema."""
    with psycopg.connect(schema_database.url(), autocommit=True) as conn:
        yield conn


def clean(conn: psycopg.Connection[Any], doc: Any) -> bool:
    row = conn.execute("SELECT contact_tui.clean(%s)", (Jsonb(doc),)).fetchone()
    assert row is not None
    return bool(row[0])


@pytest.mark.parametrize(
    "text",
    ["\x1b]52;c;ZWNobyBoaQ==\x07", "evil\u202etxt.exe", "a\rb", "tab\there", "\u2066x", "\x85"],
)
def test_clean_refuses_unsafe_text_anywhere_in_a_document(
    owner: psycopg.Connection[Any], text: str
) -> None:
    assert not clean(owner, {"firstName": text})
    assert not clean(owner, {"workPhone": {"display": text}})
    assert not clean(owner, {"transcript": ["fine", text]})
    assert not clean(owner, {text: "a key"})
    assert not clean(owner, {"nested": {"deeper": [{text: 1}]}})


@pytest.mark.parametrize(
    "text", ["Zoë Ñúñez", "line one\nline two", "زهرا\u200cی", "👨\u200d👩\u200d👧", "東京"]
)
def test_clean_keeps_what_people_write(owner: psycopg.Connection[Any], text: str) -> None:
    assert clean(owner, {"firstName": text, "notes": text, "ids": [{"x": text}]})


@given(st.characters(codec="utf-8").filter(lambda c: c not in "\x00\n"))
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_clean_agrees_with_the_domain_character_by_character(
    owner: psycopg.Connection[Any], char: str
) -> None:
    assert clean(owner, {"v": f"a{char}b"}) is not is_unsafe_char(char)


identity_ids = st.from_regex(r"[A-Za-z0-9_.@+-]{1,20}", fullmatch=True)
emails = st.from_regex(r"[a-zA-Z0-9._]{1,10}@[a-z]{1,8}\.(com|org|de)", fullmatch=True)
e164s = st.from_regex(r"\+[1-9][0-9]{7,13}", fullmatch=True)


@st.composite
def contacts(draw: st.DrawFn) -> Contact:
    """Contacts with any mix of phones (searchable or not), emails and messaging ids."""
    phones: dict[str, PhoneNumber | None] = {}
    for kind in PhoneKind:
        e164 = draw(st.none() | e164s)
        kept = draw(st.booleans())
        phones[kind.name] = (
            PhoneNumber(display=e164, e164=e164) if e164 is not None
            else PhoneNumber(display="0800 FLOWERS") if kept else None
        )  # fmt: skip
    identities = []
    for platform in (Platform.WHATSAPP, Platform.FACEBOOK, Platform.TWITTER, Platform.LINE,
                     Platform.INSTAGRAM, Platform.WEBCHAT):  # fmt: skip
        if draw(st.booleans()):
            many = platform not in (Platform.WHATSAPP, Platform.TWITTER)
            ids = draw(st.lists(identity_ids, min_size=1, max_size=3 if many else 1, unique=True))
            identities.append(MessagingIdentity(platform=platform, ids=tuple(ids)))
    return Contact(
        id="c-1",
        type=ContactType.CURATED,
        first_name="A",
        last_name="B",
        work_phone=phones["WORK"],
        home_phone=phones["HOME"],
        cell_phone=phones["CELL"],
        other_phone=phones["OTHER"],
        work_email=draw(st.just("") | emails),
        personal_email=draw(st.just("") | emails),
        other_email=draw(st.just("") | emails),
        identities=tuple(identities),
    )


@given(contacts())
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_server_derives_the_same_identity_keys_as_the_app(
    owner: psycopg.Connection[Any], contact: Contact
) -> None:
    doc = docs.contact_to_doc(contact)
    rows = owner.execute("SELECT contact_tui.doc_keys(%s)", (Jsonb(doc),)).fetchall()
    assert {r[0] for r in rows} == docs.contact_doc_keys(doc)


def nested(depth: int) -> str:
    """A JSON document whose "v" is ``depth`` levels of objects and lists deep, as text (Python's
    own encoder would recurse too deep to write 5,000 levels)."""
    opening = "".join('{"k": ' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    return '{"v": ' + opening + '"leaf"' + closing + "}"


def clean_text(conn: psycopg.Connection[Any], text: str) -> bool:
    row = conn.execute("SELECT contact_tui.clean(%s::jsonb)", (text,)).fetchone()
    assert row is not None
    return bool(row[0])


def test_no_document_nests_deeper_than_the_app_ever_writes(owner: psycopg.Connection[Any]) -> None:
    # Thousands deep, a document is stored by the server but breaks every reader that decodes
    # it (Python's json recurses): one such contact stopped directory search for everyone.
    assert clean_text(owner, nested(MAX_DEPTH - 1))
    assert not clean_text(owner, nested(MAX_DEPTH))
    assert not clean_text(owner, nested(5000))


def test_a_contact_larger_than_any_the_app_makes_is_refused(
    owner: psycopg.Connection[Any],
) -> None:
    doc = docs.contact_to_doc(
        Contact(
            id="big", type=ContactType.CURATED, first_name="x" * MAX_CONTACT_BYTES, last_name="B"
        )
    )
    with pytest.raises(psycopg.errors.CheckViolation):
        owner.execute(
            "INSERT INTO contact_tui.contacts (id, doc, version, kind, created) "
            "VALUES ('big', %s, 1, 'Curated', '')",
            (Jsonb({**doc, "version": 1}),),
        )


# clean() as it was before it read the document's text: three JSON path walks, the characters
# checked in every string and every key. The text form must refuse exactly what they did.
_PATH_CLASS = UNSAFE_CLASS.replace("\\", "\\\\")
CLEAN_BY_PATHS = f"""
CREATE FUNCTION pg_temp.clean_by_paths(doc jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN NOT jsonb_path_exists(doc, 'strict $.**{{{MAX_DEPTH + 1} to last}}')
        AND NOT jsonb_path_exists(
            doc, 'strict $.** ? (@.type() == "string" && @ like_regex "{_PATH_CLASS}")')
        AND NOT jsonb_path_exists(doc, 'strict $.** ? (@.type() == "object").keyvalue() '
                                       '? (@.key like_regex "{_PATH_CLASS}")');
END $$
"""


@pytest.fixture
def by_paths(owner: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """The owner's connection, holding the walking clean() as pg_temp.clean_by_paths."""
    owner.execute(CLEAN_BY_PATHS)
    return owner


def differing(conn: psycopg.Connection[Any], docs: list[Any]) -> list[Any]:
    """The documents on which clean() and the walking clean_by_paths() disagree."""
    rows = conn.execute(
        "SELECT d FROM unnest(%s::jsonb[]) AS d "
        "WHERE contact_tui.clean(d) IS DISTINCT FROM pg_temp.clean_by_paths(d)",
        ([Jsonb(d) for d in docs],),
    ).fetchall()
    return [r[0] for r in rows]


def placed(text: str) -> list[Any]:
    """``text`` in every place a document holds text: a value, a key, in a list, deeper."""
    return [
        {"v": text},
        {text: "key"},
        {"list": ["fine", text]},
        {"nested": {"deeper": [{text: {"k": text}}]}},
        text,
    ]


def test_clean_reading_the_text_refuses_what_walking_the_document_refused(
    by_paths: psycopg.Connection[Any],
) -> None:
    # Escapes are what the text form makes hard: a control character is written \uXXXX or
    # \b \f \n \r \t there, a backslash as two. Every code point up to U+3000 after no
    # backslash and after one; each end of each range of the class, every corpus entry and
    # the escapes' letters after up to three, in every place a document holds text.
    everyone = [chr(c) for c in range(1, 0x3000)]
    docs: list[Any] = [{"v": f"a{s}{c}b"} for c in everyone for s in ("", "\\")]
    tails = [chr(low + d) for low, high in _class_ranges() for d in (-1, 0, 1) if low + d > 0]
    tails += [chr(high + d) for low, high in _class_ranges() for d in (-1, 0, 1)]
    # NUL cannot be stored in jsonb at all.
    tails += [text for _, text in entries(*CATEGORIES) if "\x00" not in text]
    tails += ["u0001", "u001f", "u000a", "b", "f", "n", "r", "t", '"', "\\u0001", "\\n", "\x01"]
    for tail in tails:
        for slashes in ("", "\\", "\\\\", "\\\\\\"):
            docs.extend(placed(f"a{slashes}{tail}b"))
    assert differing(by_paths, docs) == []
    assert differing(by_paths, _nestings()) == []


def _class_ranges() -> list[tuple[int, int]]:
    """The first and last code point of each range of the pinned class."""
    found = re.findall(r"\\[uU]([0-9a-f]{4,8})(?:-\\[uU]([0-9a-f]{4,8}))?", UNSAFE_CLASS)
    return [(int(low, 16), int(high or low, 16)) for low, high in found]


def _nestings() -> list[Any]:
    """Documents at and past the depth limit, lists and objects, with unsafe text inside."""
    docs: list[Any] = []
    for depth in (MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1):
        for leaf in ("ok", "bad\x07", "\\\x07", "\u202e"):
            doc: Any = leaf
            for level in range(depth):
                doc = {"k": doc} if level % 2 else [doc]
            docs.append({"v": doc})
    return docs


# Text made mostly of what the escapes are made of, with the characters on either side of the
# rule: controls, the line feed, DEL, C1, bidi and format characters, and plain letters.
tricky = st.text(
    alphabet=st.sampled_from(
        [
            "\\",
            '"',
            "u",
            "0",
            "1",
            "a",
            "b",
            "f",
            "n",
            "r",
            "t",
            "\n",
            "\x01",
            "\x08",
            "\t",
            "\x0c",
            "\r",
            "\x1f",
            "\x7f",
            "\x85",
            "\xad",
            "\u200b",
            "\u200d",
            "\u202e",
            "\u2066",
            "\ufeff",
            "é",
            "東",
            "\U000e0001",
            "\U0001f600",
            "/",
            "}",
            "]",
        ]
    ),
    max_size=12,
)
documents = st.recursive(
    tricky | st.integers() | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky, inner, max_size=3),
    max_leaves=12,
)


@given(st.lists(documents, min_size=1, max_size=20))
@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_clean_reading_the_text_agrees_on_any_document(
    by_paths: psycopg.Connection[Any], docs: list[Any]
) -> None:
    assert differing(by_paths, docs) == []
