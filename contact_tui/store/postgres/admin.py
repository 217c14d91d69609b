"""Setting up and granting the PostgreSQL store: ``contact-tui db init|grant|revoke``.

Run by the database's admin (a role that may create roles and owns, or may create, the schema):
never by agents, who hold no privilege these need.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.types.json import Jsonb

from contact_tui.domain.clock import utcnow
from contact_tui.domain.codec import format_date
from contact_tui.domain.permissions import BUILTIN_ROLES
from contact_tui.store.errors import NotFound, StoreError, StoreRefused, StoreUnavailable
from contact_tui.store.postgres.schema import (
    GROUP_ROLES,
    MIGRATIONS,
    PERMISSION_ROLES,
    SCHEMA,
    SCHEMA_VERSION,
    USER_ROLE,
    fingerprint,
)
from contact_tui.store.postgres.store import connect, describe, other_build, translate
from contact_tui.store.upgrade import notes_upgrade

# Taken for the whole of an init, so two admins running it at once do not interleave.
INIT_LOCK = 0x636F6E74  # "cont"

# Sessions one login may hold at once: an agent's app holds two (its queries and its LISTEN)
# and each command one more for a moment. A cap keeps one user from taking every slot the
# server has (max_connections) and locking everyone else out.
CONNECTION_LIMIT = 8

# An idle transaction of a contact-tui user older than this is ended by `db reap`: the app's
# own sessions end theirs after 10 s themselves, but a session anyone opens with psql can
# turn its timeout off and hold rows for as long as it likes.
REAP_AFTER_SECONDS = 10


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The store's schema version in this database (0: none yet)."""
    exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.meta",)).fetchone()
    if exists is None or exists[0] is None:
        return 0
    row = conn.execute(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'schema_version'").fetchone()
    return 0 if row is None else int(row[0])


def stored_fingerprint(conn: psycopg.Connection[Any]) -> str | None:
    """The fingerprint ``db init`` stored with the schema (schema.fingerprint), or None (a
    database an earlier build made stores none)."""
    row = conn.execute(
        f"SELECT value FROM {SCHEMA}.meta WHERE key = 'schema_fingerprint'"
    ).fetchone()
    return None if row is None else str(row[0])


def _create_role(conn: psycopg.Connection[Any], name: str, login: bool = False) -> bool:
    """Create a role unless it exists; True when it was created."""
    found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    if found is not None:
        return False
    conn.execute(
        sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(sql.Identifier(name))
    )
    return True


def init(url: str) -> list[str]:
    """Create or upgrade the schema and the roles; idempotent. Returns what it did, a line
    each. Refuses a database whose schema is newer than this code, changing nothing."""
    done: list[str] = []
    where = describe(url)
    conn = connect(url)
    try:
        encoding = conn.execute("SHOW server_encoding").fetchone()
        if encoding is None or encoding[0] != "UTF8":
            raise StoreUnavailable(
                f"The database at {where} is not UTF8 (it is {encoding and encoding[0]}); "
                "create it with ENCODING 'UTF8'."
            )
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK,))
            found = schema_version(conn)
            if found > SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"The database at {where} has schema version {found}, newer than this "
                    f"contact-tui ({SCHEMA_VERSION}); nothing was changed. Upgrade contact-tui."
                )
            if found and stored_fingerprint(conn) != fingerprint(found):
                raise other_build(where, found, admin=True)
            for role in (USER_ROLE, *PERMISSION_ROLES.values(), *GROUP_ROLES.values()):
                if _create_role(conn, role):
                    done.append(f"Created the role {role}.")
            for name, group in GROUP_ROLES.items():
                held = [USER_ROLE, *(PERMISSION_ROLES[p] for p in BUILTIN_ROLES[name])]
                for role in held:
                    conn.execute(
                        sql.SQL("GRANT {} TO {}").format(
                            sql.Identifier(role), sql.Identifier(group)
                        )
                    )
            for version in range(found + 1, SCHEMA_VERSION + 1):
                with conn.transaction():
                    conn.execute(MIGRATIONS[version - 1])
                    conn.execute(
                        f"INSERT INTO {SCHEMA}.meta (key, value) VALUES ('schema_version', %s), "
                        "('schema_fingerprint', %s) "
                        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (str(version), fingerprint(version)),
                    )
                done.append(f"Upgraded the schema to version {version}.")
            moved = _move_old_notes(conn)
            if moved:
                done.append(
                    "Moved the old notes field of 1 contact into its first note."
                    if moved == 1
                    else f"Moved the old notes field of {moved} contacts into their first notes."
                )
        if not done:
            done.append(f"The schema is up to date (version {SCHEMA_VERSION}); nothing to do.")
        return done
    except psycopg.Error as err:
        raise _admin_error(err, where) from None
    finally:
        conn.close()


def _move_old_notes(conn: psycopg.Connection[Any]) -> int:
    """Move each contact row's old single ``notes`` field (a row an earlier build wrote)
    into a note, as the embedded store's upgrade does (``store.upgrade``: same note ids,
    author and time; the contact's version unchanged); returns how many contacts it moved
    (a field that is not text stays, for the admin to see).
    Every ``db init`` looks, so upgrading the app and running it again is enough."""
    rows = conn.execute(
        f"SELECT id, doc FROM {SCHEMA}.contacts WHERE doc ? 'notes' ORDER BY id FOR UPDATE"
    ).fetchall()
    if not rows:
        return 0
    ids = [contact_id for contact_id, _ in rows]
    taken = conn.execute(f"SELECT id FROM {SCHEMA}.notes WHERE contact_id = ANY(%s)", (ids,))
    ops = notes_upgrade(dict(rows), {note_id for (note_id,) in taken}, format_date(utcnow()))
    for _, table, doc_id, doc in ops:
        if table == "notes":
            conn.execute(
                f"INSERT INTO {SCHEMA}.notes (id, contact_id, author, created, version, doc) "
                "VALUES (%s, %s, %s, %s, 1, %s)",
                (doc_id, doc["entityId"], doc["createdBy"]["id"], doc["createDate"], Jsonb(doc)),
            )
        else:
            conn.execute(
                f"UPDATE {SCHEMA}.contacts SET doc = %s WHERE id = %s", (Jsonb(doc), doc_id)
            )
    return sum(1 for op in ops if op[1] == "contacts")


def _admin_error(err: psycopg.Error, where: str) -> StoreError:
    """A database error from an admin command; a refusal says who may run it."""
    if isinstance(err, pg_errors.InsufficientPrivilege):
        return StoreRefused(
            f"The database at {where} refused ({err.diag.message_primary or err}): the db "
            "commands are for the store's owner (the role that ran 'contact-tui db init') or "
            "a superuser; run them as that user, e.g. sudo -u contact_tui_owner."
        )
    return translate(err, where)


def _check_roles(roles: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(roles))
    unknown = [r for r in chosen if r not in GROUP_ROLES]
    if unknown or not chosen:
        raise StoreError(
            f"Unknown role {unknown[0]!r}; the roles are {', '.join(GROUP_ROLES)}."
            if unknown
            else f"Name at least one role: {', '.join(GROUP_ROLES)}."
        )
    return chosen


def grant(url: str, user: str, roles: Iterable[str]) -> list[str]:
    """Give ``user`` (a database login role, created when missing) the built-in ``roles``."""
    return _change_membership(url, user, roles, give=True)


def revoke(url: str, user: str, roles: Iterable[str]) -> list[str]:
    """Take the built-in ``roles`` from ``user`` (the login role itself stays)."""
    return _change_membership(url, user, roles, give=False)


def _change_membership(url: str, user: str, roles: Iterable[str], *, give: bool) -> list[str]:
    """Grant or revoke the group roles for ``roles``, in one transaction; a line per change."""
    chosen = _check_roles(roles)
    where = describe(url)
    conn = connect(url)
    done = []
    statement = "GRANT {} TO {}" if give else "REVOKE {} FROM {}"
    try:
        with conn.transaction():
            if give and _create_role(conn, user, login=True):
                done.append(f"Created the login role {user}.")
            if give:
                conn.execute(
                    sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(
                        sql.Identifier(user), sql.Literal(CONNECTION_LIMIT)
                    )
                )
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
            if exists is None:
                raise NotFound(f"There is no database user {user!r} at {where}.")
            for role in chosen:
                conn.execute(
                    sql.SQL(statement).format(
                        sql.Identifier(GROUP_ROLES[role]), sql.Identifier(user)
                    )
                )
                done.append(
                    f"{'Granted' if give else 'Revoked'} {role} {'to' if give else 'from'} {user}."
                )
        return done
    except psycopg.Error as err:
        raise _admin_error(err, where) from None
    finally:
        conn.close()


def reap(url: str, idle_seconds: float = REAP_AFTER_SECONDS) -> list[str]:
    """End the sessions of the store's users that have sat idle inside a transaction for
    longer than ``idle_seconds`` (their uncommitted work is rolled back and their locks go);
    a line for each. Run by an admin who may signal backends (pg_signal_backend)."""
    where = describe(url)
    conn = connect(url)
    try:
        rows = conn.execute(
            "SELECT pid, usename, round(extract(epoch FROM now() - state_change))::int, "
            "pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state IN ('idle in transaction', 'idle in transaction (aborted)') "
            "AND now() - state_change > make_interval(secs => %s) "
            "AND pg_has_role(usesysid, %s, 'MEMBER')",
            (idle_seconds, USER_ROLE),
        ).fetchall()
    except psycopg.Error as err:
        raise _admin_error(err, where) from None
    finally:
        conn.close()
    return [
        f"Ended {user}'s session {pid}, idle in a transaction for {idle} s"
        + ("." if ended else " (it could not be signalled: grant pg_signal_backend).")
        for pid, user, idle, ended in rows
    ]


__all__ = [
    "CONNECTION_LIMIT",
    "grant",
    "init",
    "reap",
    "revoke",
    "schema_version",
    "stored_fingerprint",
]
