"""The schema's server-side rules agree with the domain's: the characters it refuses and the
identity keys it derives are the ones the app's own code gives, so the database can be the
boundary without the two drifting apart."""

from __future__ import annotations

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
            "INSERT INTO contact_tui.contacts (id, doc, version, kind, created, sort_last, "
            "sort_first, search) VALUES ('big', %s, 1, 'Curated', '', '', '', '')",
            (Jsonb({**doc, "version": 1}),),
        )
