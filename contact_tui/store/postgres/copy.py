"""``contact-tui store copy SOURCE DEST``: a whole store, moved between kinds of store.

Each end is an embedded store (a path to its ``store.json``) or a PostgreSQL database (a
``postgresql://`` URL), either way round. Everything is copied as stored: contacts with their
ids, versions, createdBy/modifiedBy and dates; interactions; the audit trail in its order with
its agents and times; the admin settings; contact notes with their authors and times (from
an embedded store an earlier version wrote, each contact's old notes field as its first
note, as opening it would make it: ``contact_tui.store.upgrade``). The destination must be
empty. After the copy, the destination is read back and its counts and checksum must equal
the source's; into PostgreSQL that check runs inside the copy's one transaction, so a copy
that does not check out leaves the database as it was.

Who runs it: the database's admin, as the role that ran ``contact-tui db init`` (the tables'
owner) or a superuser. The store's own functions take who and when from the server, so no
agent can forge them; a copy must keep the original who and when, which is exactly that
forgery, so it is done with plain ``COPY`` into the tables, which only their owner may do. That
grants nobody a new power (the owner could always write the tables) and adds no function an
agent could call. The reading end likewise runs with ``row_security = off``: a role that
row-level security would restrict (an agent, who sees only their own interactions) gets an
error instead of a silently partial copy.

Memory: an embedded store is held in memory whole by its nature, once; PostgreSQL is read
through server-side cursors and written through ``COPY`` as the rows stream, so a copy never
holds a second copy of the documents.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb, set_json_loads

from contact_tui.domain import codec as docs
from contact_tui.domain.clock import utcnow
from contact_tui.store.errors import StoreError, StoreRefused, StoreUnavailable
from contact_tui.store.format import TABLES, Doc
from contact_tui.store.jsonstore import JsonStore
from contact_tui.store.postgres.admin import schema_version
from contact_tui.store.postgres.schema import SCHEMA, SCHEMA_VERSION
from contact_tui.store.postgres.store import connect, describe, translate
from contact_tui.store.upgrade import holds_old_notes, notes_upgrade

URL_SCHEMES = ("postgresql", "postgres")
# Rows a server-side cursor fetches at a time: large enough that round trips cost little,
# small enough that a batch is a few megabytes.
BATCH = 2000
# A row of the copy: its table, its id (a setting's name) and its document (a setting's value).
Row = tuple[str, str, Any]
# What the owner's copy session may take: a copy of a million contacts is one long statement.
# Loading a large embedded source leaves the destination's transaction idle for a while.
_ADMIN_SESSION = (
    "SET LOCAL statement_timeout = 0",
    "SET LOCAL idle_in_transaction_session_timeout = 0",
    "SET LOCAL row_security = off",
)


class CopyRefused(StoreError):
    """The copy cannot start: the destination already holds data, or an end is not a store
    this command can use. Nothing was written."""


class CopyMismatch(StoreError):
    """The destination read back differs from the source; a PostgreSQL destination was left
    as it was, an embedded one must be removed."""


def is_url(text: str) -> bool:
    """Whether ``text`` names a PostgreSQL database (else it is an embedded store's path)."""
    return urlsplit(text).scheme in URL_SCHEMES


def url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as the URL of a PostgreSQL store, in words; None when
    nothing is. A password is refused: a command line is visible to every user (ps)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError as err:
        return f"it is not a valid URL ({err})"
    if parts.scheme not in URL_SCHEMES:
        return "it does not start with postgresql://"
    if password is not None or "password" in parse_qs(parts.query):
        return (
            "it holds a password, which other users of this host can read; keep the password "
            "in ~/.pgpass or use peer authentication"
        )
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as err:
        return f"it is not a valid PostgreSQL URL ({str(err).strip()})"
    return None


@dataclass
class Tally:
    """How many documents each table holds and a checksum over all of them.

    The checksum is the sum (mod 2**256) of a SHA-256 per document over its table, id and
    canonical JSON (keys sorted), so it can be taken in whatever order each store reads fastest;
    an audit record's position in the trail is part of its hash, so a reordered trail differs.
    """

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    _sum: int = 0

    def add(self, table: str, doc_id: str, doc: Any) -> None:
        """Count one document; ``doc`` is a setting's value for the settings table."""
        position = self.counts[table] if table == "audit" else 0
        self.counts[table] += 1
        canonical = orjson.dumps([table, doc_id, position, doc], option=orjson.OPT_SORT_KEYS)
        self._sum = (self._sum + int.from_bytes(hashlib.sha256(canonical).digest())) % (1 << 256)

    @property
    def checksum(self) -> str:
        """The checksum as 64 hex digits."""
        return f"{self._sum:064x}"


@dataclass(frozen=True)
class CopyReport:
    """A finished copy: both ends (for messages), how many of each were copied, the checksum."""

    source: str
    destination: str
    counts: dict[str, int]
    checksum: str


def copy_store(source: str, destination: str) -> CopyReport:
    """Copy the store ``source`` into the empty store ``destination`` and check it (see the
    module docstring). Each is a ``postgresql://`` URL or an embedded store's path.

    Raises CopyRefused (destination not empty), CopyMismatch, StoreRefused (not run as the
    database's admin), StoreUnavailable or StoreUnreadable.
    """
    for end in (source, destination):
        if is_url(end) and (problem := url_problem(end)):
            raise CopyRefused(f"{describe(end)}: {problem}.")
    where_from = describe(source) if is_url(source) else str(Path(source))
    where_to = describe(destination) if is_url(destination) else str(Path(destination))
    if is_url(destination):
        tally = _into_postgres(source, destination)
    else:
        tally = _into_embedded(source, Path(destination))
    return CopyReport(where_from, where_to, dict(tally.counts), tally.checksum)


# --- reading the source --------------------------------------------------------------------


@contextlib.contextmanager
def _rows_from(source: str) -> Iterator[Iterator[Row]]:
    """The source's rows, table by table (contacts, interactions, audit in its order,
    settings), from one consistent state of it; closed when the block ends."""
    if is_url(source):
        with _postgres_rows(source) as rows:
            yield rows
        return
    store = _open_embedded(Path(source))
    try:
        yield _embedded_rows(store)
    finally:
        store.close()


def _open_embedded(path: Path) -> JsonStore:
    """An existing embedded store, read as it is: nothing created, tidied or upgraded."""
    return JsonStore(path, create=False, tidy=False, upgrade=False)


def _embedded_rows(store: JsonStore) -> Iterator[Row]:
    """The store's rows; a store an earlier version wrote is read as the upgrade would make
    it (``contact_tui.store.upgrade``: each contact's old notes field as its first note), so
    the destination holds the notes whichever kind it is, and the source is not written."""
    upgraded: dict[tuple[str, str], Doc] = {}
    if store.is_older():
        old = {}
        for contact_id in store.table_ids("contacts"):
            doc = store.doc("contacts", contact_id)
            if doc is not None and holds_old_notes(doc):
                old[contact_id] = doc
        ops = notes_upgrade(old, (), docs.format_date(utcnow()))
        upgraded = {(op[1], op[2]): op[3] for op in ops}
    for table in TABLES:
        for doc_id in store.table_ids(table):
            doc = upgraded.pop((table, doc_id), None) or store.doc(table, doc_id)
            if doc is None:
                continue
            yield table, doc_id, doc.get("value") if table == "settings" else doc
        for (new_table, doc_id), doc in list(upgraded.items()):
            if new_table == table:
                del upgraded[(new_table, doc_id)]
                yield table, doc_id, doc


# The tables as PostgreSQL keeps them: (table, id column, document column, order).
_PG_READS = (
    ("contacts", "id", "doc", ""),
    ("interactions", "id", "doc", ""),
    ("audit", "id", "doc", " ORDER BY seq"),
    ("settings", "name", "value", ""),
    ("notes", "id", "doc", ""),
    ("merges", "id", "doc", ""),
)


@contextlib.contextmanager
def _postgres_rows(url: str) -> Iterator[Iterator[Row]]:
    where = describe(url)
    conn = _admin_connection(url)
    try:
        # One read-only snapshot for every table, opened by the first statement and ended by
        # closing: agents' saves meanwhile are not half in the copy.
        conn.autocommit = False
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with _translated(where, conn, "read"):
            _check_schema(conn, where)
        # Only the source's own errors are the source's: the destination's pass through.
        yield _pg_table_rows(conn, where, "read")
    finally:
        conn.close()


def _pg_table_rows(conn: psycopg.Connection[Any], where: str, doing: str) -> Iterator[Row]:
    with _translated(where, conn, doing):
        for table, id_column, doc_column, order in _PG_READS:
            with conn.cursor(name=f"copy_{table}") as cur:
                cur.itersize = BATCH
                cur.execute(f"SELECT {id_column}, {doc_column} FROM {SCHEMA}.{table}{order}")
                for doc_id, doc in cur:
                    yield table, str(doc_id), doc


def _admin_connection(url: str) -> psycopg.Connection[Any]:
    """A connection with the app's session settings, reading JSON with orjson (the embedded
    store's parser, so both ends read numbers alike)."""
    conn = connect(url)
    set_json_loads(orjson.loads, conn)
    return conn


def _check_schema(conn: psycopg.Connection[Any], where: str) -> None:
    """Take the admin's session settings and check the schema is this code's."""
    for statement in _ADMIN_SESSION:
        conn.execute(statement)
    found = schema_version(conn)
    if found == SCHEMA_VERSION:
        return
    if found == 0:
        raise StoreUnavailable(
            f"The database at {where} has no contact-tui schema; run 'contact-tui db init "
            "--url URL' on it first."
        )
    if found < SCHEMA_VERSION:
        raise StoreUnavailable(
            f"The database at {where} has schema version {found}, older than this contact-tui "
            f"({SCHEMA_VERSION}); run 'contact-tui db init --url URL' on it first."
        )
    raise StoreUnavailable(
        f"The database at {where} has schema version {found}, newer than this contact-tui "
        f"understands ({SCHEMA_VERSION}); upgrade contact-tui."
    )


@contextlib.contextmanager
def _translated(where: str, conn: psycopg.Connection[Any], doing: str) -> Iterator[None]:
    """psycopg errors as store errors; a refusal says who must run the copy."""
    try:
        yield
    except pg_errors.InsufficientPrivilege as err:
        user = conn.info.user if not conn.closed else "this role"
        raise StoreRefused(
            f"The database at {where} would not let {user} {doing} every row "
            f"({err.diag.message_primary or err}); run 'contact-tui store copy' as the "
            "database admin who ran 'contact-tui db init' (the tables' owner)."
        ) from None
    except pg_errors.CheckViolation as err:
        raise CopyRefused(
            f"The database at {where} refused a document of {err.diag.table_name or 'a table'} "
            "holding control or format characters; nothing was copied. Find it with "
            "'contact-tui doctor' on the source."
        ) from None
    except psycopg.Error as err:
        raise translate(err, where) from None


# --- into PostgreSQL -----------------------------------------------------------------------


def _contact_row(doc_id: str, doc: Doc) -> tuple[Any, ...]:
    version = doc.get("version")
    kind = doc.get("type")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CopyRefused(f"Contact {doc_id} in the source has no valid version; nothing copied.")
    if not isinstance(kind, str):
        raise CopyRefused(f"Contact {doc_id} in the source has no type; nothing was copied.")
    # The directory order and search columns the server works out from the document.
    created = doc.get("createDate")
    created_text = created if isinstance(created, str) else ""
    return (doc_id, Jsonb(doc), version, kind, created_text)


def _interaction_row(doc_id: str, doc: Doc) -> tuple[Any, ...]:
    agent = doc.get("agent")
    if not isinstance(agent, str):
        raise CopyRefused(f"Interaction {doc_id} in the source has no agent; nothing was copied.")
    started = doc.get("startedAt")
    contact = doc.get("contactId")
    return (
        doc_id,
        agent,
        started if isinstance(started, str) else "",
        contact if isinstance(contact, str) else None,
        Jsonb(doc),
    )


def _audit_row(doc_id: str, doc: Doc) -> tuple[Any, ...]:
    # The document's agent and time are what the app shows; the columns are derived from them.
    agent = doc.get("agent")
    at = docs.parse_date(doc.get("at"))
    if not isinstance(agent, str) or at is None:
        raise CopyRefused(
            f"Audit record {doc_id} in the source has no valid agent or time; nothing was copied."
        )
    contact = doc.get("contactId")
    return (doc_id, contact if isinstance(contact, str) else None, agent, at, Jsonb(doc))


def _note_row(doc_id: str, doc: Doc) -> tuple[Any, ...]:
    # The columns the store's functions fill, derived from the document as they derive them.
    contact = doc.get("entityId")
    author = doc.get("createdBy")
    created = doc.get("createDate")
    version = doc.get("version")
    if not isinstance(contact, str) or not isinstance(created, str):
        raise CopyRefused(
            f"Note {doc_id} in the source has no contact or creation date; nothing was copied."
        )
    who = author.get("id") if isinstance(author, dict) else None
    return (
        doc_id,
        contact,
        who if isinstance(who, str) else "",
        created,
        version if isinstance(version, int) and not isinstance(version, bool) else 1,
        Jsonb(doc),
    )


def _merge_row(doc_id: str, doc: Doc) -> tuple[Any, ...]:
    # What an unmerge needs to put the merged-away contact back.
    merge = doc.get("merge")
    other = merge.get("otherBefore") if isinstance(merge, dict) else None
    kept, audit = doc.get("keptId"), doc.get("auditId")
    if not isinstance(other, dict) or not isinstance(kept, str) or not isinstance(audit, str):
        raise CopyRefused(f"Merge record {doc_id} in the source is incomplete; nothing was copied.")
    return (doc_id, kept, audit, Jsonb(doc))


# COPY statement and row maker per table, in TABLES order.
_PG_WRITES: dict[str, tuple[str, Callable[[str, Any], tuple[Any, ...]]]] = {
    "contacts": (
        "contacts (id, doc, version, kind, created)",
        _contact_row,
    ),
    "interactions": ("interactions (id, agent, started, contact_id, doc)", _interaction_row),
    "audit": ("audit (id, contact_id, agent, at, doc)", _audit_row),
    "settings": ("settings (name, value)", lambda name, value: (name, Jsonb(value))),
    "notes": ("notes (id, contact_id, author, created, version, doc)", _note_row),
    "merges": (
        "merges (id, kept_id, audit_id, doc)",
        _merge_row,
    ),
}


def _into_postgres(source: str, url: str) -> Tally:
    """Copy into the database at ``url`` in one transaction, checked before it commits."""
    where = describe(url)
    conn = _admin_connection(url)
    try:
        with _translated(where, conn, "write"), conn.transaction():
            _check_schema(conn, where)
            # Agents' writes wait (and time out) while the copy runs; reads go on.
            tables = ", ".join(f"{SCHEMA}.{t}" for t in TABLES)
            conn.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
            _refuse_filled_postgres(conn, where)
            with _rows_from(source) as rows:
                expected = _copy_rows(conn, rows)
            gc.collect()  # the source's documents, before the destination is read back
            conn.execute(
                f"INSERT INTO {SCHEMA}.contact_keys (key, contact_id) "
                f"SELECT DISTINCT k, c.id FROM {SCHEMA}.contacts AS c, "
                f"{SCHEMA}.doc_keys(c.doc) AS k"
            )
            found = Tally()
            for row in _pg_table_rows(conn, where, "read back"):
                found.add(*row)
            _compare(expected, found, where, "nothing was written")
        return found
    finally:
        conn.close()


def _refuse_filled_postgres(conn: psycopg.Connection[Any], where: str) -> None:
    filled = [
        table
        for table in TABLES
        if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {SCHEMA}.{table})").fetchone() != (False,)
    ]
    if filled:
        raise CopyRefused(
            f"The database at {where} already holds {', '.join(filled)}; store copy only "
            "fills an empty store, so nothing was copied. Name a freshly initialised database."
        )


def _copy_rows(conn: psycopg.Connection[Any], rows: Iterable[Row]) -> Tally:
    """Stream ``rows`` (grouped by table, in TABLES order) into one COPY per table."""
    tally = Tally()
    iterator = iter(rows)
    pending = next(iterator, None)
    for table in TABLES:
        columns, make_row = _PG_WRITES[table]
        with conn.cursor().copy(f"COPY {SCHEMA}.{columns} FROM STDIN") as copy:
            while pending is not None and pending[0] == table:
                _, doc_id, doc = pending
                tally.add(table, doc_id, doc)
                copy.write_row(make_row(doc_id, doc))
                pending = next(iterator, None)
    return tally


# --- into an embedded store ----------------------------------------------------------------


def _into_embedded(source: str, path: Path) -> Tally:
    """Copy into the embedded store at ``path``: a new one is written whole (one snapshot,
    never a half-written store); an existing empty one takes everything in one transaction."""
    if not path.parent.is_dir():
        raise CopyRefused(
            f"The folder {path.parent} does not exist; create it first (for a shared store, "
            "owned by the agents' group with mode 2770), so nothing was copied."
        )
    existing = None
    if _exists(path):
        existing = _open_embedded(path)
        stats = existing.stats()
        if (
            stats.contacts
            or stats.interactions
            or stats.audit
            or stats.notes
            or existing.table_ids("settings")
        ):
            existing.close()
            raise CopyRefused(
                f"The store {path} already holds data; store copy only fills an empty store, "
                "so nothing was copied. Name a new file in an existing folder."
            )
    expected = Tally()
    with _rows_from(source) as rows:
        tables: dict[str, dict[str, Doc]] = {t: {} for t in TABLES}
        for table, doc_id, doc in rows:
            expected.add(table, doc_id, doc)
            tables[table][doc_id] = {"value": doc} if table == "settings" else doc
    if existing is None:
        # Handed over, not kept: the store writes its snapshot from them, then reads that
        # file back (which is the check) after they are gone, so they are never held twice.
        handed = [tables]
        del tables
        reread = JsonStore(path, seed=handed.pop, tidy=False)
    else:
        with existing.transaction("store copy") as tx:
            for table, rows_of in tables.items():
                for doc_id, doc in rows_of.items():
                    tx.put(table, doc_id, doc)
        existing.close()
        del tables, existing, tx
        gc.collect()
        reread = _open_embedded(path)
    found = Tally()
    try:
        for row in _embedded_rows(reread):
            found.add(*row)
    finally:
        reread.close()
    _compare(expected, found, str(path), "remove it before trying again")
    return found


def _exists(path: Path) -> bool:
    try:
        path.lstat()
    except FileNotFoundError:
        return False
    except OSError as err:
        raise StoreUnavailable(f"Cannot look at {path} ({err.strerror}).") from None
    return True


def _compare(expected: Tally, found: Tally, where: str, outcome: str) -> None:
    if expected.counts != found.counts:
        differ = ", ".join(
            f"{t} {expected.counts[t]} copied but {found.counts[t]} read back"
            for t in TABLES
            if expected.counts[t] != found.counts[t]
        )
        raise CopyMismatch(f"The copy at {where} does not match its source ({differ}); {outcome}.")
    if expected.checksum != found.checksum:
        raise CopyMismatch(
            f"The copy at {where} has the source's counts but not its checksum; {outcome}."
        )


__all__ = [
    "BATCH",
    "CopyMismatch",
    "CopyRefused",
    "CopyReport",
    "Tally",
    "copy_store",
    "is_url",
    "url_problem",
]
