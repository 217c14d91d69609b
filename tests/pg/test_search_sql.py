"""The server's phone search text is the app's: schema.phone_digits/phone_text (and the
contacts table's columns of the same names) give what codec.contact_doc_phone_digits and
contact_doc_phone_text give, on numbers typed every odd way, so both stores find the same
contacts by part of a number or a quoted kept number (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from contact_tui.domain import codec as docs

pytestmark = pytest.mark.pg

SLOTS = ("workPhone", "homePhone", "cellPhone", "otherPhone")

TRICKY: list[dict[str, Any]] = [
    {"workPhone": {"e164": "+442079460958", "display": "020 7946 0958"}},
    {"otherPhone": {"display": "ext 4711 ASK for Bob", "userInput": "x"}},
    {"otherPhone": {"display": "", "userInput": "(555) 0123 Ext. 9"}},
    {"homePhone": {"e164": "", "display": "+44 (0)20 7946 0958"}},
    {"cellPhone": {"display": "\u0661\u0662\u0663\u0664 \uff10\uff11\uff12\uff13 42"}},
    {"cellPhone": {"display": "ÄÖ Straße ABC"}},
    {"cellPhone": {"display": "call reception"}},
    {"cellPhone": {"e164": 42, "display": "0800 123 456"}},
    {"cellPhone": "not an object", "workPhone": {"display": None, "userInput": "12-34"}},
    {"workPhone": {"e164": "+13175550123"}, "otherPhone": {"display": "555 0123 "}},
    {"homePhone": {"display": "1"}, "cellPhone": {"display": "2"}, "otherPhone": {}},
    {},
]


@pytest.fixture
def owner(schema_database: Any) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection to a database holding the schema."""
    with psycopg.connect(schema_database.url(), autocommit=True) as conn:
        yield conn


def server_text(conn: psycopg.Connection[Any], doc: dict[str, Any]) -> tuple[str, str]:
    row = conn.execute(
        "SELECT contact_tui.phone_digits(%s), contact_tui.phone_text(%s)", (Jsonb(doc), Jsonb(doc))
    ).fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.parametrize("doc", TRICKY)
def test_the_server_reads_tricky_numbers_as_the_codec_does(
    owner: psycopg.Connection[Any], doc: dict[str, Any]
) -> None:
    assert server_text(owner, doc) == (
        docs.contact_doc_phone_digits(doc),
        docs.contact_doc_phone_text(doc),
    )


def test_the_table_keeps_the_same_text_for_a_saved_contact(
    owner: psycopg.Connection[Any],
) -> None:
    doc = {
        "id": "p1",
        "type": "Curated",
        "lastName": "Ito",
        "version": 1,
        "otherPhone": {"display": "Ext 4711 (Bob)", "userInput": "Ext 4711 (Bob)"},
        "workPhone": {"e164": "+13175550123", "display": "+1 317-555-0123"},
    }
    owner.execute(
        "INSERT INTO contact_tui.contacts (id, doc, version, kind, created) "
        "VALUES ('p1', %s, 1, 'Curated', '')",
        (Jsonb(doc),),
    )
    row = owner.execute(
        "SELECT phone_digits, phone_text FROM contact_tui.contacts WHERE id = 'p1'"
    ).fetchone()
    assert row == ("13175550123 4711 ", "ext 4711 (bob)")
    assert row == (docs.contact_doc_phone_digits(doc), docs.contact_doc_phone_text(doc))


_NUMBER_TEXT = st.text(
    alphabet=st.sampled_from("0123456789 +-().xXeEtT#*/\u0663\uff15Äß"), max_size=14
)
_SLOT = st.fixed_dictionaries(
    {},
    optional={
        "e164": st.one_of(st.just(""), st.from_regex(r"\+[1-9][0-9]{6,12}", fullmatch=True)),
        "display": _NUMBER_TEXT,
        "userInput": _NUMBER_TEXT,
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.sampled_from(SLOTS), _SLOT, max_size=4))
def test_any_numbers_read_the_same_on_both_sides(
    owner: psycopg.Connection[Any], doc: dict[str, Any]
) -> None:
    assert server_text(owner, doc) == (
        docs.contact_doc_phone_digits(doc),
        docs.contact_doc_phone_text(doc),
    )
