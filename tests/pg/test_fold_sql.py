"""The server folds as the app does: schema's SQL fold() (the contacts table's sort_last,
sort_first and search columns) gives what domain.text.fold gives, on every character and on
any text, whatever the PostgreSQL version's own Unicode tables say (issue 12: both stores find
and order the same contacts; the server, not the client, works the columns out)."""

# Look-alike letters (fullwidth, black-letter, dotless i) are here on purpose: they fold.
# ruff: noqa: RUF001

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from contact_tui.domain import codec as docs
from contact_tui.domain.text import fold
from contact_tui.store.errors import StoreUnavailable
from contact_tui.store.postgres import admin
from contact_tui.store.postgres.foldmap import FOLD_MAP
from contact_tui.store.postgres.schema import SCHEMA, fold_map
from tests.contract import schema_template
from tests.pg.server import Databases, PgServer

pytestmark = pytest.mark.pg


@pytest.fixture(scope="module")
def owner(pg_server: PgServer) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection to a database holding the schema, one for the module: fold()
    changes nothing."""
    template = schema_template(pg_server)  # first: its roles outlive the module
    databases = Databases(pg_server)
    try:
        with databases.create(template=template).connect() as conn:
            yield conn
    finally:
        databases.drop_all()


def sql_fold(conn: psycopg.Connection[Any], text: str) -> str:
    row = conn.execute(f"SELECT {SCHEMA}.fold(%s)", (text,)).fetchone()
    assert row is not None
    return str(row[0])


def test_the_pinned_table_is_what_the_domain_folds() -> None:
    # Migration 1 holds the table literally (foldmap.py); a change to fold() must come with a
    # migration, not silently make new databases fold differently from old ones.
    assert fold_map() == FOLD_MAP


def test_every_character_folds_as_the_app_folds_it(owner: psycopg.Connection[Any]) -> None:
    # fold() maps each character on its own (schema.fold_map says why), so every character
    # once is every text. One call: each character followed by a line feed, which folds to
    # itself and which no character folds into, so the pieces cannot run into one another.
    every = "".join(
        chr(code) + "\n"
        for code in range(1, sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and code != 0x0A
    )
    expected = fold(every)
    assert expected.count("\n") == every.count("\n")
    got = sql_fold(owner, every)
    if got != expected:  # name the characters, not a megabyte of text
        wrong = [
            (f"U+{ord(c[0]):04X}", g, e)
            for c, g, e in zip(
                every.split("\n"), got.split("\n"), expected.split("\n"), strict=False
            )
            if g != e
        ]
        pytest.fail(f"{len(wrong)} characters fold differently, e.g. {wrong[:10]}")


# Names as people write them: accents as one character or as marks after the letter, the
# German sharp s, the Turkish dotted and dotless i, ligatures, fullwidth and Hangul, CJK,
# emoji with joiners and skin tones, and anything else Unicode holds.
_NAME_PARTS = st.sampled_from(
    [
        "Álvarez", "A\u0301lvarez", "Straße", "STRASSE", "ẞ", "İstanbul", "ıi", "I\u0307",
        "ﬁnch", "Œuvre", "ǅemal", "Ǆ", "Ｆｕｌｌ", "한국어", "\u1100\u1161\u11a8", "李小龍",
        "ﾊﾝｶｸ", "Ὀδυσσεύς", "ΣΊΣΥΦΟΣ", "👨\u200d👩\u200d👧", "👍🏽", "❤\ufe0f", "Nguyễn Thị",
        "Dvořák", "ŉ", "ǰ", "ΐ", "Å", "Ω", "K", "½", "™", "ℌ", "𝔄𝔅", "ﷺ", " ", "-", "'",
    ]
)  # fmt: skip
_TEXT = st.lists(
    st.one_of(_NAME_PARTS, st.text(st.characters(exclude_categories=["Cs"], min_codepoint=1))),
    max_size=6,
).map("".join)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_TEXT)
def test_any_text_folds_as_the_app_folds_it(owner: psycopg.Connection[Any], text: str) -> None:
    assert sql_fold(owner, text) == fold(text)


_VALUE = st.one_of(st.none(), st.just(""), _TEXT, st.integers(), st.lists(st.just("x"), max_size=1))
_NAMED = ("firstName", "middleName", "lastName", "workEmail", "personalEmail", "otherEmail")


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.sampled_from(_NAMED), _VALUE))
def test_the_columns_are_what_the_app_derives(
    owner: psycopg.Connection[Any], fields: dict[str, Any]
) -> None:
    # Whatever a document holds (text or not; the shape check refuses the rest afterwards).
    row = owner.execute(
        f"SELECT {SCHEMA}.sort_text(%s, 'lastName'), {SCHEMA}.sort_text(%s, 'firstName'), "
        f"{SCHEMA}.search_text(%s)",
        (Jsonb(fields),) * 3,
    ).fetchone()
    last, first, _ = docs.contact_doc_sort_key(fields)
    assert row == (last, first, docs.contact_doc_search_text(fields).replace("\x00", "\n"))


def test_db_init_refuses_a_database_that_is_not_utf8(pg_server: PgServer) -> None:
    # fold() and the unsafe-character class name characters by code point, which only a
    # UTF-8 database stores as such.
    name = "fold_sql_ascii"
    with pg_server.connect() as conn:
        conn.execute(
            f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' "
            "TEMPLATE template0"
        )
    try:
        with pytest.raises(StoreUnavailable, match=r"is not UTF8 .*create it with ENCODING 'UTF8'"):
            admin.init(pg_server.url(name))
    finally:
        with pg_server.connect() as conn:
            conn.execute(f"DROP DATABASE {name}")
