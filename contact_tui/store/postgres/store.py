"""The PostgreSQL store: :class:`contact_tui.store.base.ContactStore` over psycopg 3.

No contact is cached in the process: every read asks the server, so an agent's app stays
small whatever the store's size, and the server's indexes do the finding. The admin settings
alone are kept, and only while a watch listens (every change of one is announced to it), so a
save does not ask for the default country each time. Reads run in autocommit
(no transaction is ever left open between calls); a write is one transaction. Other agents'
changes arrive as notifications on :data:`schema.NOTIFY_CHANNEL` (``table:id``), written by the
server's triggers and, for this store's own sessions, sent right after the commit
(:meth:`PgTransaction.commit`): :meth:`PostgresStore.refresh` turns those received since the
last call into :class:`Change` records, and :class:`NotifyWatch` wakes the app when one arrives.
A session need not send the notices it kept for after its commit, so the watch also has the
app look at what the server recorded as committed since, so none goes unseen for longer than
:data:`SWEEP_SECONDS`.

The connection is shared by the app's worker threads under a lock (psycopg connections are not
for concurrent use); each call holds it only for its statements.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import select
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson
import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb, set_json_dumps

from contact_tui.domain import codec as docs
from contact_tui.domain.model import (
    AuditAction,
    AuditRecord,
    Contact,
    ContactType,
    Interaction,
    MergeDetail,
    Note,
    Permission,
)
from contact_tui.domain.search import count_cap
from contact_tui.domain.text import fold
from contact_tui.store.base import Change, Position, PreparedSave, StoreWatch
from contact_tui.store.errors import (
    ConflictError,
    NotFound,
    RecordUnreadable,
    StoreError,
    StoreRefused,
    StoreUnavailable,
)
from contact_tui.store.postgres.schema import (
    GROUP_ROLES,
    NOTIFY_CHANNEL,
    PERMISSION_ROLES,
    SCHEMA,
    SCHEMA_FINGERPRINT,
    SCHEMA_VERSION,
)

# Every session the app opens: a lock held by another session costs a clear error after this
# long, not a hang; a transaction left open cannot hold rows for long; nothing runs forever.
SESSION_OPTIONS = {
    "lock_timeout": "3s",
    "idle_in_transaction_session_timeout": "10s",
    "statement_timeout": "60s",
}
CONNECT_TIMEOUT = 5  # seconds: a server that does not answer is reported, not waited on

# The longest a change another session committed can go unseen by an app watching the store,
# whatever that session does with its notices (psql can keep them and never send them, a
# client can die between its commit and sending them): the watch also has the app ask the
# server what was committed since its last look (schema.committed_since, which reads what the
# server itself wrote), every half of this while idle. A look that finds nothing is one small
# query, and the screen paints nothing.
SWEEP_SECONDS = 20.0
# A look that finds more changes than this reloads everything instead, as after a
# reconnection (an import committed meanwhile): one bounded answer, whatever was committed.
SWEEP_LIMIT = 1000

# Positions: (_SNAPSHOT, n) names a server snapshot this process kept; (_IN_TRANSACTION, n)
# is inside a write and equals no other position.
_SNAPSHOT = 1
_IN_TRANSACTION = 2
_counter = itertools.count(1)
MAX_SNAPSHOTS = 64  # a few imports planning at once, at most
PARSED_KEPT = 64  # contacts kept by their documents (PostgresStore.parsed): a form's worth


def connection_options(url: str) -> dict[str, Any]:
    """psycopg's connect arguments for ``url`` with the app's session settings."""
    options = " ".join(f"-c {name}={value}" for name, value in SESSION_OPTIONS.items())
    return {
        "conninfo": url,
        "options": options,
        "application_name": "contact-tui",
        "connect_timeout": CONNECT_TIMEOUT,
        "autocommit": True,
    }


def describe(url: str) -> str:
    """``url`` for messages and the agent bar: never a password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "a PostgreSQL database (the configured URL is not valid)"
    parts.pop("password", None)
    database = parts.get("dbname") or "the default database"
    where = parts.get("host") or "the local socket"
    return f"PostgreSQL {database} on {where}"


def connect(url: str) -> psycopg.Connection[Any]:
    """A connection, or StoreUnavailable saying in one sentence why there is none."""
    try:
        conn = psycopg.connect(**connection_options(url))
    except psycopg.OperationalError as err:
        raise StoreUnavailable(_connect_failure(url, err)) from None
    set_json_dumps(_dumps, conn)
    return conn


def _dumps(value: Any) -> bytes | str:
    """JSON for a jsonb parameter: orjson (a contact in 0.4 us, where json takes 11 us);
    what orjson refuses (a key that is not text, an integer past 64 bits, a lone surrogate)
    goes to json as before, so the server answers it as it always did."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value)


def _why(text: str) -> str:
    """libpq's reason without its preamble ("connection to server on socket ... failed: ")."""
    reason = text.rsplit("failed: ", 1)[-1].strip()
    if reason in ("No such file or directory", "Connection refused"):
        return "the server is not running there"
    return reason


def _connect_failure(url: str, err: psycopg.OperationalError) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    where = describe(url)
    reason = _why(text)
    lowered = text.lower()
    if "peer authentication failed" in lowered:
        return (
            f"The database at {where} would not let you in ({reason}): with peer "
            "authentication the user in [store] url must be your own login name, or left out."
        )
    # Over TCP with SCRAM (other hosts): the password comes from libpq's own places, never the
    # config, so that is where the agent is sent.
    if "password authentication failed" in lowered:
        return (
            f"The database at {where} refused your password ({reason}); correct it in your "
            "~/.pgpass (or the file PGPASSFILE names), or ask your admin to set a new one."
        )
    if "no password supplied" in lowered:
        return (
            f"The database at {where} asks for a password and none was found; put it in your "
            "~/.pgpass with mode 0600 (libpq ignores a file others can read), or in the file "
            "PGPASSFILE names."
        )
    if "authentication failed" in lowered or ("role" in lowered and "does not exist" in lowered):
        return (
            f"The database refused you at {where} ({reason}); ask your admin to run "
            "'contact-tui db grant' for your user."
        )
    if "database" in lowered and "does not exist" in lowered:
        return (
            f"There is no such database at {where} ({reason}); check [store] url in the "
            "config, or ask your admin to create it and run 'contact-tui db init'."
        )
    if "too many connections" in lowered or "connection slots" in lowered:
        return (
            f"The database at {where} has no free connection for you ({reason}); close "
            "another contact-tui session, or ask your admin (each user may hold a few)."
        )
    return (
        f"Cannot reach the database at {where} ({reason}); the server may be down or the "
        "[store] url in the config may be wrong."
    )


def _reconnect_failure(where: str, err: StoreUnavailable) -> StoreUnavailable:
    """A connection the app had is gone and a new one cannot be made now: for the agent, not
    the admin (who gets the full reason from a command)."""
    return StoreUnavailable(
        f"Lost the connection to the database at {where} and cannot reconnect now; nothing "
        "was saved and your entries are kept. Try again once the server is back."
    )


def translate(err: psycopg.Error, where: str) -> StoreError:
    """A psycopg error as the store error the service and the app understand."""
    diag = err.diag
    if isinstance(err, pg_errors.InsufficientPrivilege):
        hint = diag.message_hint or ""
        permission = next((p for p in Permission if p.value == hint), None)
        return StoreRefused(
            f"The database refused: {diag.message_primary or err}.", permission=permission
        )
    if isinstance(err, pg_errors.SerializationFailure) and diag.message_detail:
        detail = json.loads(diag.message_detail)
        contact_id = (diag.message_primary or "").split(" ")[1]
        current = int(detail.get("version") or 0)
        return ConflictError(
            contact_id,
            -1,
            current,
            str(detail.get("modifiedBy") or ""),
            docs.parse_date(detail.get("modifyDate")),
        )
    if isinstance(err, pg_errors.NoDataFound):
        return NotFound(diag.message_primary or str(err))
    if isinstance(err, pg_errors.LockNotAvailable):
        return StoreUnavailable(
            f"Another session at {where} is holding what this change needs; nothing was "
            "saved. Try again in a moment."
        )
    if isinstance(err, pg_errors.QueryCanceled):
        return StoreUnavailable(
            f"The database at {where} did not answer in time; nothing was saved. Try again."
        )
    if isinstance(err, pg_errors.CheckViolation):
        return StoreError(
            f"The database at {where} refused text holding control or format characters; "
            "nothing was saved."
        )
    if isinstance(err, pg_errors.UndefinedTable | pg_errors.InvalidSchemaName):
        return StoreUnavailable(
            f"The database at {where} has no contact-tui tables; ask your admin to run "
            "'contact-tui db init'."
        )
    if isinstance(err, psycopg.OperationalError):
        return StoreUnavailable(
            f"Lost the connection to the database at {where}; nothing was saved. It "
            "reconnects on the next try."
        )
    return StoreError(f"The database at {where} failed: {diag.message_primary or err}.")


class PgTransaction:
    """One write transaction (:class:`contact_tui.store.base.StoreTransaction`).

    Round trips, not the statements' work, are most of a save's cost on a shared host, so a
    transaction makes as few as it can: BEGIN goes out with its first statement, and the
    audit records go out with COMMIT (each pair one round trip, in pipeline mode). The server
    writes the audit record of each contact version itself (schema.audit_change); the
    service's record of it is sent only when it says more (the interaction it came from) or
    when this transaction cannot tell it is the same, and the server refuses one that differs.
    An edit through the service is then three round trips and five statements: BEGIN and the
    read, the save, COMMIT and the change notices the server kept for after it.
    """

    def __init__(self, store: PostgresStore, where: str) -> None:
        self._store = store
        self._where = where
        self._conn: psycopg.Connection[Any] | None = None  # once BEGIN went out
        self._audits: list[AuditRecord] = []
        self._finished = False  # committed with its last save (save_contact, last=True)
        # Contacts read in this transaction: id -> (version, curated), to tell an edit from a
        # promotion as the server does.
        self._read: dict[str, tuple[int, bool]] = {}
        # Contacts contact_at gave from the store's memory, not read here: id -> (version, the
        # createDate its document held), which their save sends for the server to compare.
        self._remembered: dict[str, tuple[int, Any]] = {}
        # (contact id, version) -> the action the server's audit record of it names.
        self._audited: dict[tuple[str, int], str] = {}
        self.changed_settings = False  # the store forgets the settings it kept, once done

    def _execute(self, sql: str, args: Sequence[Any]) -> psycopg.Cursor[Any]:
        if self._finished:
            raise RuntimeError("this transaction was committed with its last save")
        if self._conn is not None:
            return self._conn.execute(sql, args)
        # The first statement: BEGIN goes with it. On a connection the server dropped since
        # the last call (a restart), neither reached it: both go again on a new connection.
        for attempt in (1, 2):
            conn = self._conn = self._store.connection()
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    cursor = conn.execute(sql, args)
            except psycopg.OperationalError:
                if attempt == 1 and conn.broken:
                    continue
                raise
            return cursor
        raise AssertionError("unreachable")

    def _one(self, sql: str, *args: Any) -> Any:
        row = self._execute(sql, args).fetchone()
        return None if row is None else row[0]

    def _all(self, sql: str, *args: Any) -> list[Any]:
        return [row[0] for row in self._execute(sql, args)]

    def contact(self, contact_id: str) -> Contact | None:
        """A contact as of this transaction."""
        doc = self._one(f"SELECT {SCHEMA}.read_contact(%s)", contact_id)
        if doc is None:
            return None
        contact = self._store.parsed(doc)
        self._read[contact.id] = (contact.version, contact.type == ContactType.CURATED)
        self._remembered.pop(contact.id, None)
        return contact

    def contact_at(self, contact_id: str, version: int) -> Contact | None:
        """The contact at ``version`` as the store last read or saved it, when it did (an
        edit of what the agent's form showed): no read, and the save then goes out with BEGIN
        (one round trip and one statement less). The save checks the version and, since a
        contact removed and made again under its id starts again at version 1, its
        createDate too. Otherwise read here (:meth:`contact`)."""
        known = self._store.known(contact_id, version)
        if known is None:
            return self.contact(contact_id)
        contact, created = known
        self._read[contact.id] = (contact.version, contact.type == ContactType.CURATED)
        self._remembered[contact.id] = (version, created)
        return contact

    def contacts_by_key(self, key: str) -> list[Contact]:
        """Contacts under an identity key, first-created first."""
        found = self._all(f"SELECT * FROM {SCHEMA}.read_contacts_by_key(%s)", key)
        return [_contact(doc, self._where) for doc in found]

    def contact_ids_by_key(self, key: str) -> list[str]:
        """The ids of the contacts under a key, first-created first."""
        found = self._all(f"SELECT d ->> 'id' FROM {SCHEMA}.read_contacts_by_key(%s) AS d", key)
        return [str(i) for i in found]

    def contact_ids(self) -> list[str]:
        """Every contact id."""
        return [str(i) for i in self._all(f"SELECT * FROM {SCHEMA}.read_ids('contacts')")]

    def contact_keys(self, contact_id: str) -> set[str]:
        """The identity keys a contact is indexed under now."""
        return set(self._all(f"SELECT * FROM {SCHEMA}.read_contact_keys(%s)", contact_id))

    def save_contact(
        self, contact: Contact, expected_version: int, *, last: bool = False
    ) -> Contact:
        """Write a contact at ``expected_version`` (0: new); returns it as saved. ``last``:
        the save goes out with COMMIT (and BEGIN, when it is the first statement), one round
        trip, its result read from the same answer."""
        # created None: the version alone decides (a contact re-created under its id starts
        # again at version 1, which a save from an older read cannot expect).
        sent = docs.contact_to_doc(contact)
        # From the store's memory (contact_at): the server also checks it is the same contact.
        remembered = self._remembered.get(contact.id)
        created = None
        if remembered is not None and remembered[0] == expected_version:
            created = remembered[1] if isinstance(remembered[1], str) else None
        # The server's word for it (save_contact), known before it answers (the version it
        # writes is one up, the type the one sent): a new contact is created; a save of one
        # read here at the version saved from is an edit, or a promotion into Contacts.
        curated = contact.type == ContactType.CURATED
        was = self._read.get(contact.id)
        action: str | None = None
        if expected_version == 0:
            action = str(AuditAction.CREATE)
        elif not curated or (was is not None and was[0] == expected_version):
            promoted = curated and was is not None and not was[1]
            action = str(AuditAction.PROMOTE if promoted else AuditAction.EDIT)
        if action is not None:
            self._audited[(contact.id, expected_version + 1)] = action
        stored = self._save(sent, expected_version, created, last=last)
        return self._store.saved(contact, sent, stored)

    def apply_prepared(self, prepared: PreparedSave) -> None:
        """Write a prepared save; ConflictError if the contact moved on since."""
        created = prepared.created if isinstance(prepared.created, str) else None
        saved = self._save(prepared.doc, prepared.expected_version, created, AuditAction.IMPORT)
        self._audited[(str(saved["id"]), int(saved["version"]))] = str(AuditAction.IMPORT)

    def _save(
        self,
        doc: dict[str, Any],
        expected: int,
        created: str | None,
        action: str | None = None,
        *,
        last: bool = False,
    ) -> Any:
        args = (Jsonb(doc), expected, created, None if action is None else str(action))
        try:
            if last:
                return self._save_and_commit(args)
            return self._one(f"SELECT {SCHEMA}.save_contact(%s, %s, %s, %s)", *args)
        except pg_errors.SerializationFailure as failure:
            # The server knows who changed it and to which version; the version this save
            # started from is ours to say.
            err = translate(failure, self._where)
            if not isinstance(err, ConflictError):
                raise err from None
            raise ConflictError(
                err.contact_id, expected, err.current, err.modified_by, err.modified_at
            ) from None

    def _save_and_commit(self, args: tuple[Any, ...]) -> Any:
        """A last save (save_contact, ``last``): the save, the audit records, COMMIT and the
        notices' send (as in :meth:`commit`), BEGIN too when nothing was sent before, in one
        round trip; the saved document, read from that answer. A connection the server
        closed since the last call (a restart) is replaced BEFORE anything is sent: once the
        batch with its COMMIT has gone, a lost answer may hide a commit, so it is never sent
        again (that would report the agent's own committed edit as a conflict); the store
        error then says the connection was lost."""
        audits = self._pending_audits()
        begin = self._conn is None
        if begin:
            conn = self._store.connection()
            if not _still_open(conn):
                conn.close()  # the store makes a new one
        conn = self._conn = self._conn or self._store.connection()
        done: psycopg.Cursor[Any] | None = None
        try:
            with conn.pipeline():
                if begin:
                    conn.execute("BEGIN")
                saved = conn.execute(f"SELECT {SCHEMA}.save_contact(%s, %s, %s, %s)", args)
                # Not prepared: a save that fails makes the server pass over these, and
                # psycopg would take one it asked to prepare for prepared.
                for audit in audits:
                    conn.execute(f"SELECT {SCHEMA}.add_audit(%s)", audit, prepare=False)
                done = conn.execute("COMMIT", prepare=False)
                conn.execute(f"SELECT {SCHEMA}.announce_committed()", prepare=False)
        except psycopg.Error as err:
            if done is not None and done.statusmessage == "COMMIT":
                pass  # committed; only the notices failed (see commit)
            elif isinstance(err, psycopg.OperationalError) and (conn.broken or conn.closed):
                # The batch went out with its COMMIT and no answer came back: the server may
                # have committed it. Saying "nothing was saved", or sending it again (then a
                # conflict with the agent's own edit), could both be false.
                self._conn = None
                raise StoreUnavailable(
                    f"Lost the connection to the database at {self._where} while the change "
                    "was being saved, so whether it was saved is not known; look at the "
                    "contact before saving it again."
                ) from None
            else:
                raise
        self._finished = True
        self._conn = None  # nothing left to undo
        row = saved.fetchone()
        return None if row is None else row[0]

    def touch_contact(self, contact_id: str, when: datetime) -> None:
        """Renew a contact's last-interaction date without a new version."""
        self._execute(
            f"SELECT {SCHEMA}.touch_contact(%s, %s)", (contact_id, docs.format_date(when))
        )

    def changed_fields(self, before: Contact | None, after: Contact) -> tuple[str, ...]:
        """The Genesys keys that differ between two versions of a contact."""
        old = docs.contact_to_doc(before) if before is not None else None
        return docs.changed_fields(old, docs.contact_to_doc(after))

    def delete_contact(self, contact_id: str) -> None:
        """Remove a contact that is not in Contacts (ephemeral expiry, absorbing)."""
        self._execute(f"SELECT {SCHEMA}.delete_contact(%s)", (contact_id,))

    def interaction(self, interaction_id: str) -> Interaction | None:
        """An interaction as of this transaction (another agent's without its content)."""
        doc = self._one(f"SELECT {SCHEMA}.read_interaction(%s)", interaction_id)
        return None if doc is None else _interaction(doc, self._where)

    def save_interaction(self, interaction: Interaction) -> None:
        """Write an interaction."""
        self._execute(
            f"SELECT {SCHEMA}.save_interaction(%s)",
            (Jsonb(docs.interaction_to_doc(interaction)),),
        )

    def interaction_ids(self) -> list[str]:
        """Every interaction id."""
        return [str(i) for i in self._all(f"SELECT * FROM {SCHEMA}.read_ids('interactions')")]

    def interaction_ids_naming(self, contact_ids: Iterable[str]) -> list[str]:
        """The interactions linked to, or offering as a candidate, any of ``contact_ids``
        (the server's indexes find them; the caller needs add or admin, as for every id)."""
        wanted = list(contact_ids)
        if not wanted:
            return []
        return [str(i) for i in self._all(f"SELECT * FROM {SCHEMA}.read_ids_naming(%s)", wanted)]

    def save_wrap_up(self, interaction: Interaction, record: AuditRecord) -> None:
        """Write the interaction's wrap-up note through the server's function, which checks
        whose it is and writes the audit record itself (who, when and its id from the server;
        ``record`` is the embedded store's)."""
        self._execute(
            f"SELECT {SCHEMA}.save_wrap_up(%s, %s)", (interaction.id, interaction.wrap_up_note)
        )

    def add_audit(self, record: AuditRecord) -> None:
        """Append an audit record; the server sets who, when and the id, and writes the record
        of a contact version with the save (schema.add_audit says what it accepts). Sent with
        COMMIT (:meth:`commit`): nothing in a transaction reads the audit trail back, and a
        record the server refuses there still undoes the whole change. The record of a save
        may come before it (a last save, which goes with COMMIT)."""
        if self._finished and not self._written(record):
            raise RuntimeError("an audit record came after the transaction's last save")
        self._audits.append(record)

    def _written(self, record: AuditRecord) -> bool:
        """Whether the server writes ``record`` itself, with the save of its version."""
        if record.contact_id is None or record.version is None or record.interaction_id:
            return False
        return self._audited.get((record.contact_id, record.version)) == str(record.action)

    def _pending_audits(self) -> list[tuple[Jsonb]]:
        """The audit records to send with COMMIT: those the server does not write itself."""
        audits = [(Jsonb(docs.audit_to_doc(r)),) for r in self._audits if not self._written(r)]
        self._audits.clear()
        return audits

    def set_setting(self, name: str, value: Any) -> None:
        """Store an admin setting."""
        self.changed_settings = True
        self._execute(f"SELECT {SCHEMA}.set_setting(%s, %s)", (name, Jsonb(value)))

    def note(self, note_id: str) -> Note | None:
        """A contact note as of this transaction (schema.read_note: view or edit)."""
        doc = self._one(f"SELECT {SCHEMA}.read_note(%s)", note_id)
        return None if doc is None else _note(doc, self._where)

    def notes_of(self, contact_ids: Iterable[str]) -> dict[str, list[Note]]:
        """See :meth:`StoreTransaction.notes_of` (row-level security: needs view)."""
        return _notes_by_contact(
            self._all(_NOTES_OF, list(dict.fromkeys(contact_ids))), self._where
        )

    def add_note(self, note_id: str, contact_id: str, text: str) -> Note:
        """Add a note; the server checks the permission and sets the author, the time and the
        audit record (schema.add_note)."""
        doc = self._one(f"SELECT {SCHEMA}.add_note(%s, %s, %s)", note_id, contact_id, text)
        return _note(doc, self._where)

    def edit_note(self, note_id: str, text: str, expected_version: int) -> Note:
        """Replace a note's text (schema.edit_note: the author, or a holder of edit-all)."""
        try:
            doc = self._one(
                f"SELECT {SCHEMA}.edit_note(%s, %s, %s)", note_id, text, expected_version
            )
        except pg_errors.SerializationFailure as failure:
            detail = json.loads(failure.diag.message_detail or "{}")
            raise ConflictError(
                note_id,
                expected_version,
                int(detail.get("version") or 0),
                str(detail.get("modifiedBy") or ""),
                docs.parse_date(detail.get("modifyDate")),
                thing="note",
            ) from None
        return _note(doc, self._where)

    def delete_note(self, note_id: str) -> None:
        """Remove a note (schema.delete_note)."""
        self._execute(f"SELECT {SCHEMA}.delete_note(%s)", (note_id,))

    def move_notes(self, from_id: str, to_id: str) -> None:
        """Give every note of ``from_id`` to ``to_id`` (schema.move_notes: absorbing only)."""
        self._execute(f"SELECT {SCHEMA}.move_notes(%s, %s)", (from_id, to_id))

    def position(self) -> Position:
        """Never equal to a position read before the transaction, so the service always asks
        :meth:`contact_ids_changed_since` (one indexed query)."""
        return (_IN_TRANSACTION, next(_counter))

    def contact_ids_changed_since(self, position: Position) -> set[str] | None:
        """Contacts other sessions committed after ``position`` was read (None: unknown)."""
        snapshot = self._store.snapshot_at(position)
        if snapshot is None:
            return None
        return {str(i) for i in self._all(f"SELECT * FROM {SCHEMA}.changed_since(%s)", snapshot)}

    # --- merging (issue 13): the server's functions do the whole of each -------------------

    def merged_into(self, contact_id: str) -> str | None:
        """The contact a merged-away id was merged into (one step), or None."""
        found = self._one(f"SELECT kept_id FROM {SCHEMA}.merges WHERE id = %s", contact_id)
        return None if found is None else str(found)

    def standing_merge(self, merge_id: str) -> MergeDetail | None:
        """What the merge ``merge_id`` did, while it stands."""
        doc = self._one(f"SELECT {SCHEMA}.read_merge(%s)", merge_id)
        if doc is None:
            return None
        try:
            return docs.merge_from_doc(doc, merge_id)
        except docs.DocumentError as err:
            raise RecordUnreadable(self._where, str(err)) from None

    def merge_contacts(
        self,
        kept: Contact,
        expected_version: int,
        other_id: str,
        other_version: int,
        record: AuditRecord,
    ) -> AuditRecord:
        """See :meth:`contact_tui.store.base.StoreTransaction.merge_contacts`: one call of the
        server's ``merge_contacts``, which writes the audit record itself."""
        doc = docs.contact_to_doc(kept)
        expected = {kept.id: expected_version, other_id: other_version}
        written = self._call_merging(
            f"SELECT {SCHEMA}.merge_contacts(%s, %s, %s, %s, %s)",
            expected,
            Jsonb(doc),
            expected_version,
            other_id,
            other_version,
            Jsonb({"id": record.id, "fields": list(record.fields)}),
        )
        return _audit(written, self._where)

    def unmerge_contacts(
        self, merge_id: str, kept: Contact, expected_version: int, record: AuditRecord
    ) -> AuditRecord:
        """See :meth:`contact_tui.store.base.StoreTransaction.unmerge_contacts`: one call of
        the server's ``unmerge_contacts``, which brings the other contact back from what it
        kept of the merge and writes the audit records itself."""
        doc = docs.contact_to_doc(kept)
        unrestored = list(record.unmerge.unrestored) if record.unmerge is not None else []
        written = self._call_merging(
            f"SELECT {SCHEMA}.unmerge_contacts(%s, %s, %s, %s)",
            {kept.id: expected_version},
            merge_id,
            Jsonb(doc),
            expected_version,
            Jsonb(
                {
                    "id": record.id,
                    "fields": list(record.fields),
                    "unmerge": {"unrestored": unrestored},
                }
            ),
        )
        return _audit(written, self._where)

    def erase_contact(self, contact_id: str, record: AuditRecord) -> AuditRecord:
        """See :meth:`contact_tui.store.base.StoreTransaction.erase_contact`: one call of the
        server's ``erase_contact``, which checks the delete permission, scrubs the audit and
        writes the ERASE record itself (who and when the server's)."""
        written = self._one(f"SELECT {SCHEMA}.erase_contact(%s, %s)", contact_id, record.id)
        return _audit(written, self._where)

    def _call_merging(self, sql: str, expected: dict[str, int], *args: Any) -> Any:
        try:
            return self._one(sql, *args)
        except pg_errors.SerializationFailure as failure:
            err = translate(failure, self._where)
            if not isinstance(err, ConflictError):
                raise err from None
            raise ConflictError(
                err.contact_id,
                expected.get(err.contact_id, -1),
                err.current,
                err.modified_by,
                err.modified_at,
            ) from None

    def commit(self) -> None:
        """Send the audit records, COMMIT and the change notices the server kept for after
        it (schema.announce_committed) in one round trip (BEGIN too, when nothing else was
        sent: a transaction that only audits)."""
        if self._finished:
            return  # committed with its last save
        audits = self._pending_audits()
        if self._conn is None:
            if not audits:
                return  # nothing was written: no transaction to end
            self._execute(f"SELECT {SCHEMA}.add_audit(%s)", audits.pop(0))
        conn = self._conn
        assert conn is not None
        done: psycopg.Cursor[Any] | None = None
        try:
            with conn.pipeline():
                for args in audits:
                    conn.execute(f"SELECT {SCHEMA}.add_audit(%s)", args)
                done = conn.execute("COMMIT")
                conn.execute(f"SELECT {SCHEMA}.announce_committed()")
        except psycopg.Error:
            # Committed, and only the notices failed (their queue full): the change is saved,
            # the server keeps them for the next commit, and the apps' next look at what was
            # committed (SWEEP_SECONDS) finds it meanwhile.
            if done is None or done.statusmessage != "COMMIT":
                raise

    def rollback(self) -> None:
        """Undo whatever was sent (a lost connection has undone it already)."""
        conn, self._conn = self._conn, None
        self._audits.clear()
        if conn is not None and not conn.broken and not conn.closed:
            with contextlib.suppress(psycopg.Error):
                conn.execute("ROLLBACK")


def _still_open(conn: psycopg.Connection[Any]) -> bool:
    """False when the server has closed ``conn`` since it was last used (a restart, an idle
    timeout), looked at without a round trip: between transactions nothing is owed to this
    connection (it LISTENs to nothing), so anything waiting on its socket is the server's
    goodbye (its FATAL message, then the end of the stream)."""
    if conn.closed or conn.broken:
        return False
    try:
        waiting, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):
        return False
    return not waiting


class NotifyWatch:
    """A second connection LISTENing on the store's channel: its socket becomes readable when
    another session commits a change (:class:`contact_tui.store.base.StoreWatch`)."""

    def __init__(self, store: PostgresStore, conn: psycopg.Connection[Any]) -> None:
        self._store = store
        self._conn = conn
        self._alive = True
        self._swept_at = time.monotonic()
        store.listening(self, True)

    @property
    def recheck_seconds(self) -> float:
        """The app calls :meth:`changed` this often besides when the socket is readable, for
        the store's look at what was committed: every half of :data:`SWEEP_SECONDS`, so the
        next look comes before SWEEP_SECONDS have passed whenever the last one came (an
        earlier call, for a notice, may have made it)."""
        return SWEEP_SECONDS / 2

    def fileno(self) -> int | None:
        """The listening connection's socket."""
        return self._conn.pgconn.socket if self._alive else None

    @property
    def alive(self) -> bool:
        """False once the connection is lost; the app then asks for a new watch."""
        return self._alive

    @property
    def trouble(self) -> str:
        """Nothing while listening."""
        return ""

    def changed(self) -> bool:
        """Take in the notifications that arrived; True when there were any, when the store
        is due to look at what was committed (the app's refresh does, off the event loop), or
        when the connection was lost (the app then reloads and watches anew)."""
        pgconn = self._conn.pgconn
        try:
            pgconn.consume_input()
        except psycopg.OperationalError:
            self._lost()
            return True
        arrived = []
        while (notice := pgconn.notifies()) is not None:
            arrived.append(notice.extra.decode("utf-8", "replace"))
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            self._lost()
            return True
        self._store.heard(arrived)
        # Due a little before half the period has passed: a tick of the app's timer that comes
        # a moment early must not put the look off by a whole tick. The next tick then comes
        # less than SWEEP_SECONDS after the last look, which it makes.
        now = time.monotonic()
        sweep = now - self._swept_at >= SWEEP_SECONDS * 0.45
        if sweep:
            self._swept_at = now
            self._store.sweep_due()
        return bool(arrived) or sweep

    def _lost(self) -> None:
        self._alive = False
        self._store.listening(self, False)

    def close(self) -> None:
        """Stop listening."""
        self._lost()
        with contextlib.suppress(psycopg.Error):
            self._conn.close()


RETRY_SECONDS = 2.0
RECONNECTING = "Reconnecting to the database..."


class ReconnectWatch:
    """After the listening connection was lost (a server restart, a network cut): try to
    listen again each time the app asks. Once the server answers, it says something changed
    (the app reloads what it missed) and stops being alive, so the app takes the
    :class:`NotifyWatch` that comes after it, on the connection it made."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self._ready: psycopg.Connection[Any] | None = None
        # Each try runs in a thread of its own: connecting to a host that does not answer
        # takes up to the connect timeout, which the app's screen must not wait for.
        self._trying: threading.Thread | None = None
        self._made: list[psycopg.Connection[Any]] = []
        self._next_try = 0.0

    def fileno(self) -> None:
        """No descriptor: the app calls :meth:`changed` on a timer."""
        return None

    @property
    def recheck_seconds(self) -> None:
        """No other timer: the app reloads everything once a listen works again."""
        return None

    @property
    def alive(self) -> bool:
        """True until a listen works again."""
        return self._ready is None

    @property
    def trouble(self) -> str:
        """Why the app does not see changes now."""
        return RECONNECTING if self._ready is None else ""

    def changed(self) -> bool:
        """True (reload everything) once a try to listen again has worked; starts the next
        try, no more often than every :data:`RETRY_SECONDS`, when none is running."""
        if self._ready is not None:
            return False
        if self._made:
            self._ready = self._made.pop()
            self._store.heard(["*:*"])
            return True
        now = time.monotonic()
        if (self._trying is None or not self._trying.is_alive()) and now >= self._next_try:
            self._next_try = now + RETRY_SECONDS
            self._trying = threading.Thread(target=self._try, daemon=True, name="pg-reconnect")
            self._trying.start()
        return False

    def _try(self) -> None:
        conn = self._store.listen()
        if conn is not None:
            self._made.append(conn)

    def take(self) -> psycopg.Connection[Any] | None:
        """The listening connection made, for the watch that comes after this one."""
        conn, self._ready = self._ready, None
        return conn

    def close(self) -> None:
        """Close a listening connection no one took."""
        for conn in (self.take(), *self._made):
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
        self._made.clear()


class PostgresStore:
    """A contact store in a PostgreSQL database (:class:`contact_tui.store.base.ContactStore`).

    ``user`` is the database's ``session_user``: the acting user, as the server knows it.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._where = describe(url)
        self._mutex = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None
        self._heard: list[str] = []
        self._heard_mutex = threading.Lock()
        self._snapshots: dict[int, str] = {}
        # The server's snapshot at the last look at what was committed (refresh, when a watch
        # says it is due; None before the first), and whether one is due. Under _heard_mutex.
        # A user without the view permission is refused the look and shown nothing it could
        # change: no more looks (_sweep_refused).
        self._swept: str | None = None
        self._sweep_due = False
        self._sweep_refused = False
        # The admin settings, read whole and kept while a watch of this store listens: every
        # change of one is announced (settings:name) and dropping them when one is heard keeps
        # them as current as the rest of what the app shows. Without a watch, nothing would
        # say they changed, so each read asks the server. Under _heard_mutex; _settings_turn
        # counts the drops, so a read that crossed one is not kept.
        self._settings: dict[str, Any] | None = None
        self._settings_turn = 0
        self._listeners: weakref.WeakSet[NotifyWatch] = weakref.WeakSet()
        # The contacts last made from documents, by the document's exact JSON: an edit reads
        # again in its transaction the contact the form was filled from, and the same
        # document makes the same (immutable) contact. Under _parsed_mutex.
        self._parsed: OrderedDict[bytes, Contact] = OrderedDict()
        self._parsed_mutex = threading.Lock()
        # The contact last made from a document of each id (parsed, saved) and the createDate
        # that document held, as many as _parsed: an edit of the version the form showed
        # starts from it without reading it again (PgTransaction.contact_at). Under
        # _parsed_mutex.
        self._latest: OrderedDict[str, tuple[Contact, Any]] = OrderedDict()
        conn = self._connection()
        self.user = str(conn.execute("SELECT session_user").fetchone()[0])  # type: ignore[index]
        self._check_schema(conn)

    @classmethod
    def open(cls, url: str) -> PostgresStore:
        """Connect to the store at ``url`` (a libpq URI); StoreUnavailable says why not."""
        return cls(url)

    @property
    def location(self) -> str:
        """The database, for the agent bar and messages (never a password)."""
        return self._where

    # --- the connection ------------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            try:
                conn = self._conn = connect(self._url)
            except StoreUnavailable as err:
                if conn is None:
                    raise  # the first connection: the full reason, for whoever set it up
                raise _reconnect_failure(self._where, err) from None
            # This session sends its change notices itself, right after each commit
            # (PgTransaction.commit): schema.announce says why.
            try:
                conn.execute(f"SET {SCHEMA}.notify_after_commit = on")
            except psycopg.Error as err:
                raise translate(err, self._where) from None
        return conn

    def _check_schema(self, conn: psycopg.Connection[Any]) -> None:
        try:
            meta = dict(
                conn.execute(
                    f"SELECT key, value FROM {SCHEMA}.meta "
                    "WHERE key IN ('schema_version', 'schema_fingerprint')"
                ).fetchall()
            )
        except (pg_errors.UndefinedTable, pg_errors.InvalidSchemaName):
            meta = {}
        except pg_errors.InsufficientPrivilege:
            raise StoreUnavailable(
                f"You ({self.user}) have no role in the contact-tui store at {self._where}; "
                "ask your admin to run 'contact-tui db grant' for your user."
            ) from None
        found = int(meta.get("schema_version", 0))
        if found == SCHEMA_VERSION and meta.get("schema_fingerprint") != SCHEMA_FINGERPRINT:
            raise other_build(self._where, found, admin=False)
        if found < SCHEMA_VERSION:
            state = "has no contact-tui schema" if found == 0 else f"has schema version {found}"
            raise StoreUnavailable(
                f"The database at {self._where} {state}; this contact-tui needs version "
                f"{SCHEMA_VERSION}: ask your admin to run 'contact-tui db init'."
            )
        if found > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"The database at {self._where} has schema version {found}, newer than this "
                f"contact-tui understands ({SCHEMA_VERSION}); upgrade contact-tui."
            )

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read's rows. A read on a connection the server dropped (a restart) is made once
        more on a new one: reading twice changes nothing, and the app carries on."""
        with self._mutex:
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    return conn.execute(sql, args).fetchall()
                except psycopg.OperationalError as err:
                    if attempt == 1 and conn.broken:
                        continue
                    raise translate(err, self._where) from None
                except psycopg.Error as err:
                    raise translate(err, self._where) from None
        raise AssertionError("unreachable")

    def _one(self, sql: str, *args: Any) -> Any:
        rows = self._rows(sql, args)
        return rows[0][0] if rows else None

    def _all(self, sql: str, *args: Any) -> list[Any]:
        return [row[0] for row in self._rows(sql, args)]

    # --- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self, actor: str) -> Iterator[PgTransaction]:
        """One transaction; ``actor`` is only for the embedded store (here the server knows).
        A connection the server dropped since the last call (a restart) is replaced when the
        first statement finds it so, before anything of the change reached the server."""
        with self._mutex:
            transaction = PgTransaction(self, self._where)
            try:
                yield transaction
                transaction.commit()
            except BaseException as err:
                transaction.rollback()
                if isinstance(err, psycopg.Error):
                    raise translate(err, self._where) from None
                raise
            finally:
                if transaction.changed_settings:
                    # This session's own change shows at once, not when its notice comes back.
                    self._forget_settings()

    def connection(self) -> psycopg.Connection[Any]:
        """The store's connection, made again when the server dropped it (for
        :class:`PgTransaction`; the caller holds the store's lock)."""
        return self._connection()

    # --- keeping up --------------------------------------------------------------------------

    def heard(self, payloads: Iterable[str]) -> None:
        """Notifications a watch received (``table:id``), for the next :meth:`refresh`. A
        setting's (or "everything", after a reconnection) drops the settings kept."""
        payloads = list(payloads)
        with self._heard_mutex:
            self._heard.extend(payloads)
            if any(p.startswith("settings:") or p == "*:*" for p in payloads):
                self._settings = None
                self._settings_turn += 1

    def listening(self, watch: NotifyWatch, alive: bool) -> None:
        """A watch of this store started or stopped listening (lost or closed). The settings
        are kept only while one listens."""
        with self._heard_mutex:
            if alive:
                self._listeners.add(watch)
                return
            self._listeners.discard(watch)
            if not self._listeners:
                self._settings = None
                self._settings_turn += 1

    def parsed(self, doc: dict[str, Any]) -> Contact:
        """The contact a document read from the server holds: made once for the same JSON
        (types and all: orjson's bytes), not each time it is read (0.09 ms a contact)."""
        try:
            key = orjson.dumps(doc)
        except TypeError:
            return _contact(doc, self._where)
        with self._parsed_mutex:
            contact = self._parsed.get(key)
            if contact is not None:
                self._parsed.move_to_end(key)
                self._remember(contact, doc)
                return contact
        contact = _contact(doc, self._where)
        with self._parsed_mutex:
            self._parsed[key] = contact
            while len(self._parsed) > PARSED_KEPT:
                self._parsed.popitem(last=False)
            self._remember(contact, doc)
        return contact

    def _remember(self, contact: Contact, doc: dict[str, Any]) -> None:
        """Note ``contact`` (made from ``doc``) as the latest of its id; under _parsed_mutex."""
        self._latest[contact.id] = (contact, doc.get("createDate"))
        self._latest.move_to_end(contact.id)
        while len(self._latest) > PARSED_KEPT:
            self._latest.popitem(last=False)

    def known(self, contact_id: str, version: int) -> tuple[Contact, Any] | None:
        """The contact ``contact_id`` as this store last made it from a document (read or
        saved) and the createDate that document held, when that was at ``version``."""
        with self._parsed_mutex:
            found = self._latest.get(contact_id)
        if found is None or found[0].version != version:
            return None
        return found

    def _forget_settings(self) -> None:
        with self._heard_mutex:
            self._settings = None
            self._settings_turn += 1

    def sweep_due(self) -> None:
        """A watch's time to look at what was committed came: the next :meth:`refresh`
        looks (in the app's worker, not on the event loop that runs the watch)."""
        with self._heard_mutex:
            self._sweep_due = True

    def _sweep(self) -> None:
        """Take in, as if heard, what was committed since the last look: every change, told
        by the server's own records, whatever its session did with its notices. The first
        look (while a watch listens) only notes the server's snapshot, before the app's first
        read of the store."""
        with self._heard_mutex:
            due, self._sweep_due = self._sweep_due, False
            since = self._swept
            if self._sweep_refused or (not due and (since is not None or not self._listeners)):
                return
        try:
            seen, payloads = self._rows(
                f"SELECT seen, payloads FROM {SCHEMA}.committed_since(%s, %s)",
                (since, SWEEP_LIMIT + 1),
            )[0]
        except StoreRefused:
            with self._heard_mutex:
                self._sweep_refused = True
            return
        except BaseException:
            with self._heard_mutex:
                self._sweep_due = self._sweep_due or due
            raise
        with self._heard_mutex:
            self._swept = str(seen)
        if payloads:
            self.heard(["*:*"] if len(payloads) > SWEEP_LIMIT else payloads)

    def refresh(self) -> list[Change]:
        """What other sessions changed since the last call, as their notifications said and,
        when a watch says it is time (:data:`SWEEP_SECONDS`), as the server's records say."""
        self._sweep()
        with self._heard_mutex:
            heard, self._heard = self._heard, []
        changes = []
        for payload in dict.fromkeys(heard):
            table, _, rest = payload.partition(":")
            doc_id, _, agent = rest.partition("\n")
            changes.append(Change(table, doc_id, agent))
        return changes

    def watch(self, after: StoreWatch | None = None) -> NotifyWatch | ReconnectWatch:
        """LISTEN on a connection of its own; after a listen was lost (or when none can be
        had now), a watch that tries again until the server answers."""
        if isinstance(after, ReconnectWatch):
            conn = after.take()
            if conn is not None:
                return NotifyWatch(self, conn)
        elif after is None:
            conn = self.listen()
            if conn is not None:
                return NotifyWatch(self, conn)
        return ReconnectWatch(self)

    def listen(self) -> psycopg.Connection[Any] | None:
        """A new connection listening on the store's channel, or None when the server does
        not answer."""
        try:
            conn = connect(self._url)
        except StoreError:
            return None
        try:
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except psycopg.Error:
            conn.close()
            return None
        return conn

    def position(self) -> Position:
        """The server's snapshot now (what is committed), kept under a number: a transaction
        asked what changed since returns the contacts committed after it."""
        snapshot = str(self._one("SELECT pg_current_snapshot()::text"))
        with self._heard_mutex:
            number = next(_counter)
            self._snapshots[number] = snapshot
            while len(self._snapshots) > MAX_SNAPSHOTS:
                del self._snapshots[next(iter(self._snapshots))]
        return (_SNAPSHOT, number)

    def saved(self, contact: Contact, sent: dict[str, Any], stored: dict[str, Any]) -> Contact:
        """The contact as a save stored it: ``stored``, the document save_contact returned for
        ``sent`` (``contact``'s). The server adds to what was sent only what a save sets (the
        version, who modified and created it; a later last call): when that is all it changed,
        ``contact`` with those is the contact, as the codec's lossless round trip makes it,
        without reading the document again (0.1 ms a save). Kept as :meth:`parsed` keeps it,
        for the reads that follow."""
        changed = {k for k, v in stored.items() if k not in sent or sent[k] != v}
        version, created_by, modified_by = (stored.get(k) for k in _SAVE_SETS)
        if (
            not changed <= set(_SAVE_SETS)
            or len(sent) + len(changed - sent.keys()) != len(stored)
            or not isinstance(version, int)
            or isinstance(version, bool)
            or not isinstance(created_by, str)
            or not isinstance(modified_by, str)
        ):
            return self.parsed(stored)
        contact = replace(contact, version=version, created_by=created_by, modified_by=modified_by)
        key = orjson.dumps(stored)  # JSON the server sent: it cannot fail
        with self._parsed_mutex:
            self._parsed[key] = contact
            while len(self._parsed) > PARSED_KEPT:
                self._parsed.popitem(last=False)
            self._remember(contact, stored)
        return contact

    def snapshot_at(self, position: Position) -> str | None:
        """The snapshot :meth:`position` kept under ``position``, if it is one of ours."""
        if position[0] != _SNAPSHOT:
            return None
        with self._heard_mutex:
            return self._snapshots.get(position[1])

    # --- reading -----------------------------------------------------------------------------

    def contact(self, contact_id: str) -> Contact | None:
        """A contact by id."""
        doc = self._one(f"SELECT doc FROM {SCHEMA}.contacts WHERE id = %s", contact_id)
        return None if doc is None else self.parsed(doc)

    def contacts(self, ids: Iterable[str]) -> list[Contact]:
        """Contacts by id in the order asked, skipping ids that no longer exist."""
        wanted = list(ids)
        if not wanted:
            return []
        rows = self._all(f"SELECT doc FROM {SCHEMA}.contacts WHERE id = ANY(%s)", wanted)
        by_id = {doc["id"]: doc for doc in rows}
        return [_contact(by_id[i], self._where) for i in wanted if i in by_id]

    def contacts_by_key(self, key: str) -> list[Contact]:
        """Contacts under an identity key, first-created first."""
        rows = self._all(
            f"SELECT c.doc FROM {SCHEMA}.contact_keys AS k "
            f"JOIN {SCHEMA}.contacts AS c ON c.id = k.contact_id "
            'WHERE k.key = %s ORDER BY c.created, c.id COLLATE "C"',
            key,
        )
        return [_contact(doc, self._where) for doc in rows]

    def search_text(self, needles: list[str], limit: int) -> tuple[list[Contact], int]:
        """Contacts whose names or emails contain every needle (folded), a last name starting
        with one first, then directory order (schema.search_page): the first ``limit`` and how
        many there are, counted up to ``count_cap(limit) + 1``."""
        return self._search(needles, None, limit)

    def search_literal(self, text: str, limit: int) -> tuple[list[Contact], int]:
        """A quoted search: names or emails containing ``text`` (folded), or kept phone text
        containing it (ASCII letters lowered); first ``limit`` and a capped count."""
        return self._search([text], "%" + _like_escape(docs.literal_phone_text(text)) + "%", limit)

    def search_number(self, digits: str, limit: int) -> tuple[list[Contact], int]:
        """Contacts with a number holding the digit run, those ending in it first; the first
        ``limit`` and a capped count (schema.search_contacts_by_number)."""
        rows = self._rows(
            f"SELECT * FROM {SCHEMA}.search_contacts_by_number(%s, %s, %s)",
            [digits, limit, count_cap(limit)],
        )
        total = int(rows[0][1]) if rows else 0
        return [_contact(doc, self._where) for doc, _ in rows], total

    def _search(
        self, needles: list[str], phone: str | None, limit: int
    ) -> tuple[list[Contact], int]:
        folded = [fold(n) for n in needles if n]
        patterns = ["%" + _like_escape(n) + "%" for n in folded]
        # Through the server's function: on the table, row-level security keeps the trigram
        # index out of a LIKE (see schema.search_contacts).
        rows = self._rows(
            f"SELECT * FROM {SCHEMA}.search_contacts(%s, %s, %s, %s)",
            [patterns, phone, limit, count_cap(limit)],
        )
        total = int(rows[0][1]) if rows else 0
        return [_contact(doc, self._where) for doc, _ in rows], total

    def contact_ids(self) -> list[str]:
        """Every contact id."""
        return [str(i) for i in self._all(f"SELECT id FROM {SCHEMA}.contacts")]

    def ids_starting(self, table: str, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` ids of ``table`` starting with ``prefix``, in id order, among the
        rows the user may read (row-level security filters them). ``starts_with`` takes the
        prefix literally: no LIKE pattern, so a ``%`` or ``_`` in it matches only itself."""
        if table not in ("contacts", "interactions"):
            raise ValueError(f"no ids of {table!r} are looked up by prefix")
        return [
            str(i)
            for i in self._all(
                f"SELECT id FROM {SCHEMA}.{table} WHERE starts_with(id, %s) "
                'ORDER BY id COLLATE "C" LIMIT %s',
                prefix,
                limit,
            )
        ]

    def interaction(self, interaction_id: str) -> Interaction | None:
        """An interaction by id; another agent's comes without what the customer said unless
        the user may read it (the server decides), so the service can say whose it is."""
        doc = self._one(f"SELECT {SCHEMA}.read_interaction(%s)", interaction_id)
        return None if doc is None else _interaction(doc, self._where)

    def interactions_for(self, agent: str) -> list[Interaction]:
        """An agent's interactions, newest first."""
        rows = self._all(
            f"SELECT doc FROM {SCHEMA}.interactions WHERE agent = %s "
            'ORDER BY started DESC, id COLLATE "C"',
            agent,
        )
        return [_interaction(doc, self._where) for doc in rows]

    def interactions_for_contact(self, contact_id: str) -> list[Interaction]:
        """The interactions linked to a contact that the user may read (row-level security:
        their own, or all with view-all), newest first."""
        rows = self._all(
            f"SELECT doc FROM {SCHEMA}.interactions WHERE contact_id = %s "
            'ORDER BY started DESC, id COLLATE "C"',
            contact_id,
        )
        return [_interaction(doc, self._where) for doc in rows]

    def interaction_ids(self) -> list[str]:
        """Every interaction id the user may read."""
        return [str(i) for i in self._all(f"SELECT id FROM {SCHEMA}.interactions")]

    def audit_for(self, contact_id: str) -> list[AuditRecord]:
        """A contact's audit trail, oldest first."""
        rows = self._all(
            f"SELECT doc FROM {SCHEMA}.audit WHERE contact_id = %s ORDER BY seq", contact_id
        )
        try:
            return [docs.audit_from_doc(doc, str(doc.get("id", ""))) for doc in rows]
        except docs.DocumentError as err:
            raise RecordUnreadable(self._where, str(err)) from None

    def notes_for(self, contact_id: str) -> list[Note]:
        """A contact's notes, newest first (row-level security: needs view)."""
        rows = self._all(
            f"SELECT doc FROM {SCHEMA}.notes WHERE contact_id = %s "
            'ORDER BY created DESC, id COLLATE "C" DESC',
            contact_id,
        )
        return [_note(doc, self._where) for doc in rows]

    def note(self, note_id: str) -> Note | None:
        """A contact note by id."""
        doc = self._one(f"SELECT doc FROM {SCHEMA}.notes WHERE id = %s", note_id)
        return None if doc is None else _note(doc, self._where)

    def notes_of(self, contact_ids: Iterable[str]) -> dict[str, list[Note]]:
        """See :meth:`ContactStore.notes_of` (row-level security: needs view)."""
        return _notes_by_contact(
            self._all(_NOTES_OF, list(dict.fromkeys(contact_ids))), self._where
        )

    def setting(self, name: str) -> Any:
        """An admin setting, or None when never set: kept from an earlier read while a watch
        listens (see ``_settings``), else asked for."""
        with self._heard_mutex:
            kept, turn, listening = self._settings, self._settings_turn, bool(self._listeners)
        if kept is not None:
            return kept.get(name)
        if not listening:
            return self._one(f"SELECT value FROM {SCHEMA}.settings WHERE name = %s", name)
        loaded = {str(n): v for n, v in self._rows(f"SELECT name, value FROM {SCHEMA}.settings")}
        with self._heard_mutex:
            if self._settings_turn == turn and self._listeners:
                self._settings = loaded
        return loaded.get(name)

    def audit_record(self, audit_id: str) -> AuditRecord | None:
        """One audit record by its id (row-level security: view)."""
        doc = self._one(f"SELECT doc FROM {SCHEMA}.audit WHERE id = %s", audit_id)
        return None if doc is None else _audit(doc, self._where)

    def merged_into(self, contact_id: str) -> str | None:
        """The contact a merged-away id was merged into (one step), or None."""
        found = self._one(f"SELECT kept_id FROM {SCHEMA}.merges WHERE id = %s", contact_id)
        return None if found is None else str(found)

    def interaction_ids_to_relink(self, contact_id: str) -> list[str]:
        """Interactions linked to a contact or offering it, whoever's (the server's function
        for a merge preview: view, edit and merge)."""
        return [
            str(i) for i in self._all(f"SELECT * FROM {SCHEMA}.merge_interactions(%s)", contact_id)
        ]

    def permissions(self) -> frozenset[Permission]:
        """The permissions the server says this user holds (to grey out what it refuses)."""
        roles = PERMISSION_ROLES.values()
        checks = ", ".join(f"pg_has_role(session_user, '{r}', 'MEMBER')" for r in roles)
        rows = self._rows(f"SELECT {checks}")
        held = rows[0] if rows else ()
        return frozenset(p for p, has in zip(PERMISSION_ROLES, held, strict=True) if has)

    def roles(self) -> tuple[str, ...]:
        """The built-in roles the server grants this user (for the agent bar)."""
        names = list(GROUP_ROLES.items())
        checks = ", ".join(f"pg_has_role(session_user, '{r}', 'MEMBER')" for _, r in names)
        rows = self._rows(f"SELECT {checks}")
        held = rows[0] if rows else ()
        return tuple(name for (name, _), has in zip(names, held, strict=True) if has)

    def user_may_view(self, user: str) -> bool:
        """True when ``user`` is a login role the server lets read their own queue: the
        server's own rule (may_take), which save_interaction checks for an interaction routed
        to them."""
        return bool(self._one(f"SELECT {SCHEMA}.may_take(%s)", user))

    def close(self) -> None:
        """Close the connection."""
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def other_build(where: str, found: int, *, admin: bool) -> StoreUnavailable:
    """The refusal of a database whose schema says this build's version (``found``) but was
    made by another build's SQL (schema.fingerprint differs): told to the admin running ``db
    init`` (``admin``) or to a user opening the store; exit 7, as a schema too old or new."""
    what = (
        "nothing was changed: recreate it (keep its data with 'contact-tui store copy URL "
        f"PATH', drop the schema {SCHEMA}, run 'contact-tui db init' again)"
        if admin
        else "ask your admin to recreate it with this build's 'contact-tui db init'"
    )
    return StoreUnavailable(
        f"The database at {where} was set up by a different build of contact-tui (schema "
        f"version {found}, but other SQL than this build's), so its functions do not match "
        f"this build's; {what}."
    )


# What save_contact sets in a contact's document itself (the rest is the client's).
_SAVE_SETS = ("version", "createdBy", "modifiedBy")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contact(doc: dict[str, Any], where: str) -> Contact:
    try:
        return docs.contact_from_doc(doc, str(doc.get("id", "")))
    except docs.DocumentError as err:
        raise RecordUnreadable(where, str(err)) from None


def _audit(doc: dict[str, Any], where: str) -> AuditRecord:
    try:
        return docs.audit_from_doc(doc, str(doc.get("id", "")))
    except docs.DocumentError as err:
        raise RecordUnreadable(where, str(err)) from None


def _interaction(doc: dict[str, Any], where: str) -> Interaction:
    try:
        return docs.interaction_from_doc(doc, str(doc.get("id", "")))
    except docs.DocumentError as err:
        raise RecordUnreadable(where, str(err)) from None


# Notes of many contacts in one statement, each contact's oldest first (as notes_for, reversed).
_NOTES_OF = (
    f"SELECT doc FROM {SCHEMA}.notes WHERE contact_id = ANY(%s) "
    'ORDER BY contact_id, created, id COLLATE "C"'
)


def _notes_by_contact(rows: Iterable[dict[str, Any]], where: str) -> dict[str, list[Note]]:
    found: dict[str, list[Note]] = {}
    for doc in rows:
        note = _note(doc, where)
        found.setdefault(note.contact_id, []).append(note)
    return found


def _note(doc: dict[str, Any], where: str) -> Note:
    try:
        return docs.note_from_doc(doc, str(doc.get("id", "")))
    except docs.DocumentError as err:
        raise RecordUnreadable(where, str(err)) from None


__all__ = [
    "NotifyWatch",
    "PgTransaction",
    "PostgresStore",
    "ReconnectWatch",
    "connect",
    "describe",
]
