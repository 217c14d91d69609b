"""The database is the security boundary: what an agent could try with ``psql`` instead of the
app, as each built-in role (viewer, agent, supervisor, router) and as a login with no
contact-tui role, does no more than the app allows (issue 12, "Identity and permissions as a
real boundary"). Each test performs the attack on plain connections, as psql would (none of the
app's session settings), and shows it is refused or harmless, with a positive control where a
role may do it. The security issue's attacks are replayed too: forged identity and planted
files.
"""

from __future__ import annotations

import getpass
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.types.json import Jsonb

from contact_tui import bootstrap
from contact_tui.config import Agent
from contact_tui.domain import codec as docs
from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import (
    Channel,
    Contact,
    ContactType,
    Interaction,
    NewInteraction,
    Participant,
    Permission,
    PhoneKind,
    PhoneNumber,
)
from contact_tui.domain.permissions import BUILTIN_ROLES
from contact_tui.service import ContactService, PermissionDenied
from contact_tui.store.errors import StoreRefused, StoreUnavailable
from contact_tui.store.postgres import admin
from contact_tui.store.postgres import store as pg_store
from contact_tui.store.postgres.schema import GROUP_ROLES, SCHEMA
from contact_tui.store.postgres.store import PostgresStore, connection_options
from contact_tui.store.repository import Repository
from tests.contract import set_grants
from tests.factories import SAM_CELL, UNKNOWN_CALLER, FixedClock, StoreBuilder, make_config
from tests.permissions.matrix import Fingerprint, pg_fingerprint
from tests.pg.server import PEER_DATABASE, Database, Databases, PgServer

pytestmark = pytest.mark.pg

# The logins, by the built-in role they are granted ("none": a login with no contact-tui role).
# Names of their own: roles are cluster-wide and other tests reset alice's and bob's grants.
LOGINS = {
    "viewer": "sql_viewer",
    "agent": "sql_agent",
    "supervisor": "sql_supervisor",
    "router": "sql_router",
    "none": "sql_nobody",
}
OTHER = "sql_other"  # another agent, whose interactions the others try to read
ROLES = list(LOGINS)
TABLES = ("meta", "contacts", "contact_keys", "interactions", "audit", "settings")
SECRET = "Caller: my card number is 4111 1111 1111 1111"
OSC_52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # sets the clipboard of a terminal that shows it
RLO = "invoice\u202etxt.exe"  # right-to-left override: shows as invoiceexe.txt


def holds(role: str, permission: Permission) -> bool:
    """Whether the built-in ``role`` grants ``permission`` ("none" grants nothing)."""
    return permission in BUILTIN_ROLES.get(role, frozenset())


@dataclass(frozen=True)
class Cast:
    """What the template database holds, made through the service by the supervisor."""

    sam: Contact  # curated
    ephemeral: Contact  # made for agent_call's unknown caller
    agent_call: Interaction  # routed to sql_agent
    other_call: Interaction  # routed to sql_other, with what the customer said


@dataclass(frozen=True)
class Boundary:
    """A fresh copy of the template for one test."""

    db: Database
    cast: Cast

    def psql(self, role: str) -> psycopg.Connection[Any]:
        """A plain autocommit connection as ``role``'s login, with none of the app's session
        settings: what psql would open."""
        return self.db.connect(LOGINS[role])

    def superuser(self) -> psycopg.Connection[Any]:
        """The superuser, who sees every row."""
        return self.db.connect()

    def snapshot(self) -> Fingerprint:
        """Every table as it is now."""
        with self.superuser() as conn:
            return pg_fingerprint(conn)


def _install(server: PgServer, cast: list[Cast]) -> Callable[[str], None]:
    def install(url: str) -> None:
        admin.init(url)
        for role, login in LOGINS.items():
            if role in GROUP_ROLES:
                admin.grant(url, login, [role])
        admin.grant(url, OTHER, ["agent"])
        with server.connect() as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'sql_nobody'").fetchone():
                conn.execute("DROP ROLE sql_nobody")
            conn.execute("CREATE ROLE sql_nobody LOGIN")
        store = PostgresStore.open(psycopg.conninfo.make_conninfo(url, user=LOGINS["supervisor"]))
        try:
            clock = FixedClock()
            agent = Agent(store.user, frozenset(), store.roles(), store.permissions())
            service = ContactService(store, make_config(Path("unused")), agent, clock)
            build = StoreBuilder(service, clock)
            sam = build.curated("Sam", "Lee", PhoneKind.CELL, SAM_CELL)
            agent_call = build.arrive(
                NewInteraction(
                    LOGINS["agent"],
                    Channel.VOICE,
                    Participant(UNKNOWN_CALLER, "Una Known"),
                    transcript=("Caller: hello",),
                )
            )
            other_call = build.arrive(
                NewInteraction(
                    OTHER,
                    Channel.VOICE,
                    Participant("+1 212 555 0177", "Bob's Caller"),
                    transcript=(SECRET,),
                )
            )
            ephemeral = store.contact(agent_call.contact_id or "")
            assert ephemeral is not None and ephemeral.type == ContactType.EPHEMERAL
        finally:
            store.close()
        cast.append(Cast(sam, ephemeral, agent_call, other_call))

    return install


@pytest.fixture(scope="session")
def boundary_template(pg_server: PgServer) -> tuple[str, Cast]:
    """The template, once per test process: the schema, the logins and their roles, and the
    cast (so the logins exist before any test's pg_databases notes which roles to drop)."""
    cast: list[Cast] = []
    name = pg_server.template("sql_boundary", _install(pg_server, cast))
    assert cast, "the template was made before this fixture: its cast is unknown"
    return name, cast[0]


@pytest.fixture
def boundary(boundary_template: tuple[str, Cast], pg_databases: Databases) -> Boundary:
    """A fresh copy of the template."""
    template, cast = boundary_template
    return Boundary(pg_databases.create(template=template), cast)


def _refused(conn: psycopg.Connection[Any], statement: str, *args: Any) -> None:
    with pytest.raises(pg_errors.InsufficientPrivilege):
        conn.execute(statement, args or None)


def _save_contact(conn: psycopg.Connection[Any], doc: dict[str, Any], expected: int) -> Any:
    """save_contact by hand, in a transaction of its own (it writes the version's audit
    record itself)."""
    with conn.transaction():
        row = conn.execute(
            f"SELECT {SCHEMA}.save_contact(%s, %s, NULL)", (Jsonb(doc), expected)
        ).fetchone()
    return None if row is None else row[0]


# --- no table is written but through the functions ------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_no_role_writes_locks_or_row_locks_a_table(boundary: Boundary, role: str) -> None:
    """INSERT, UPDATE, DELETE and TRUNCATE on every table (the audit included), row locks by
    SELECT ... FOR UPDATE/SHARE, and LOCK TABLE in a mode that blocks others: all refused for
    lack of privilege, whatever the role."""
    before = boundary.snapshot()
    columns = {"meta": "key", "contact_keys": "key", "settings": "name"}
    with boundary.psql(role) as conn:
        for table in (*TABLES, "contact_changes"):
            name = f"{SCHEMA}.{table}"
            column = columns.get(table, "contact_id" if table == "contact_changes" else "id")
            _refused(conn, f"INSERT INTO {name} DEFAULT VALUES")
            _refused(conn, f"UPDATE {name} SET {column} = {column}")
            _refused(conn, f"DELETE FROM {name}")
            _refused(conn, f"TRUNCATE {name}")
            _refused(conn, f"SELECT 1 FROM {name} FOR UPDATE")
            _refused(conn, f"SELECT 1 FROM {name} FOR SHARE")
            for mode in ("ACCESS EXCLUSIVE", "EXCLUSIVE", "SHARE"):
                with conn.transaction():
                    _refused(conn, f"LOCK TABLE {name} IN {mode} MODE")
                    # A failed statement ends the transaction: leave it rolled back.
                    raise psycopg.Rollback()
    assert boundary.snapshot() == before


# --- contacts: add, edit, promote each need their permission --------------------------------


def _add(cast: Cast) -> tuple[dict[str, Any], int]:
    doc = docs.contact_to_doc(replace(cast.sam, id="added-by-sql", first_name="Eve"))
    return doc, 0


def _edit(cast: Cast) -> tuple[dict[str, Any], int]:
    return docs.contact_to_doc(replace(cast.sam, title="Edited by SQL")), cast.sam.version


def _promote(cast: Cast) -> tuple[dict[str, Any], int]:
    promoted = replace(cast.ephemeral, type=ContactType.CURATED)
    return docs.contact_to_doc(promoted), cast.ephemeral.version


CONTACT_WRITES = {
    "add": (_add, Permission.ADD),
    "edit": (_edit, Permission.EDIT),
    "promote": (_promote, Permission.PROMOTE),
}


@pytest.mark.parametrize("write", list(CONTACT_WRITES))
@pytest.mark.parametrize("role", ROLES)
def test_save_contact_needs_the_permission(boundary: Boundary, role: str, write: str) -> None:
    make, permission = CONTACT_WRITES[write]
    doc, expected = make(boundary.cast)
    before = boundary.snapshot()
    with boundary.psql(role) as conn:
        if holds(role, permission):
            saved = _save_contact(conn, doc, expected)
            # Who saved it is the server's word.
            assert saved["id"] == doc["id"] and saved["modifiedBy"] == LOGINS[role]
            assert boundary.snapshot().files["contacts"] != before.files["contacts"]
            return
        with pytest.raises(pg_errors.InsufficientPrivilege) as refused:
            _save_contact(conn, doc, expected)
    if role != "none":  # a login with no role is refused the schema itself
        assert refused.value.diag.message_hint == permission.value
    assert boundary.snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_a_viewer_cannot_rewrite_the_identity_an_ephemeral_contact_catches_calls_by(
    boundary: Boundary, role: str
) -> None:
    """Taking in an interaction makes new ephemeral contacts; changing one is an edit (or an
    import's update). Before, a viewer could give an ephemeral contact their own number, so
    the next call from it linked to them, with no audit record."""
    ephemeral = boundary.cast.ephemeral
    number = PhoneNumber(display="+1 317-555-4444", e164="+13175554444", country_code=1)
    hijacked = replace(ephemeral, first_name="Not", last_name="Them").with_phone(
        PhoneKind.CELL, number
    )
    doc = docs.contact_to_doc(hijacked)
    before = boundary.snapshot()
    with boundary.psql(role) as conn:
        if holds(role, Permission.EDIT) or holds(role, Permission.ADD):
            _save_contact(conn, doc, ephemeral.version)
            return
        with pytest.raises(pg_errors.InsufficientPrivilege):
            _save_contact(conn, doc, ephemeral.version)
    assert boundary.snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_another_agents_interaction_does_not_say_whom_they_are_talking_to(
    boundary: Boundary, role: str
) -> None:
    """read_interaction on another agent's interaction, without view-all: whose it is, for the
    app's refusal to say so, but not the customer: no sender, no linked contact, no
    candidates (a viewer could otherwise look the contact up and learn who calls whom)."""
    other = boundary.cast.other_call
    assert other.contact_id is not None
    with boundary.psql(role) as conn:
        if role == "none":
            _refused(conn, f"SELECT {SCHEMA}.read_interaction(%s)", other.id)
            return
        row = conn.execute(f"SELECT {SCHEMA}.read_interaction(%s)", (other.id,)).fetchone()
    assert row is not None and row[0] is not None
    doc = row[0]
    if holds(role, Permission.VIEW_ALL_INTERACTIONS):
        assert doc["contactId"] == other.contact_id
        assert doc["matchKey"] == "tel:+12125550177"
        return
    assert doc["agent"] == OTHER
    assert "contactId" not in doc and "candidateIds" not in doc
    assert doc["from"] == {"address": "", "name": ""}
    assert "matchKey" not in doc  # the caller's number, as matched (issue 13's unmerge)
    assert "transcript" not in doc


# --- interactions: others' stay hidden, routing needs route, content stays --------------------


@pytest.mark.parametrize("role", ROLES)
def test_other_agents_interactions_and_transcripts_stay_hidden(
    boundary: Boundary, role: str
) -> None:
    other = boundary.cast.other_call
    with boundary.psql(role) as conn:
        if role == "none":
            _refused(conn, f"SELECT count(*) FROM {SCHEMA}.interactions")
            _refused(conn, f"SELECT {SCHEMA}.read_interaction(%s)", other.id)
            return
        rows = conn.execute(
            f"SELECT doc FROM {SCHEMA}.interactions WHERE agent = %s", (OTHER,)
        ).fetchall()
        found = conn.execute(f"SELECT {SCHEMA}.read_interaction(%s)", (other.id,)).fetchone()
    assert found is not None
    doc = found[0]
    if holds(role, Permission.VIEW_ALL_INTERACTIONS):
        assert [r[0]["id"] for r in rows] == [other.id] and doc["transcript"] == [SECRET]
        return
    assert rows == []
    # Whose it is shows (the app's refusal says it too); not what the customer said, nor who.
    assert doc["agent"] == OTHER and "transcript" not in doc
    assert doc["from"] == {"address": "", "name": ""}
    assert SECRET not in str(doc) and "Bob's Caller" not in str(doc)


@pytest.mark.parametrize("role", ROLES)
def test_putting_an_interaction_in_another_agents_queue_needs_route(
    boundary: Boundary, role: str
) -> None:
    pushed = replace(
        boundary.cast.other_call,
        id="pushed-by-sql",
        transcript=("Caller: please wire the money to account 666",),
        contact_id=None,
    )
    before = boundary.snapshot()
    with boundary.psql(role) as conn:
        call = f"SELECT {SCHEMA}.save_interaction(%s)"
        doc = Jsonb(docs.interaction_to_doc(pushed))
        if holds(role, Permission.ROUTE):
            conn.execute(call, (doc,))
            assert boundary.snapshot().files["interactions"] != before.files["interactions"]
            return
        _refused(conn, call, doc)
    assert boundary.snapshot() == before


def test_an_agent_cannot_rewrite_what_the_customer_said(boundary: Boundary) -> None:
    """Saving one's own interaction changes the link and state, never its content or owner."""
    call = boundary.cast.agent_call
    forged = replace(
        call,
        transcript=("Caller: I agree to everything",),
        from_=Participant("+1 900 555 0100", "Forged"),
        agent=OTHER,
        contact_id=boundary.cast.sam.id,
    )
    with boundary.psql("agent") as conn:
        conn.execute(
            f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(docs.interaction_to_doc(forged)),)
        )
    with boundary.superuser() as conn:
        row = conn.execute(
            f"SELECT agent, doc FROM {SCHEMA}.interactions WHERE id = %s", (call.id,)
        ).fetchone()
    assert row is not None
    agent, doc = row
    assert agent == LOGINS["agent"] and doc["agent"] == LOGINS["agent"]
    assert doc["transcript"] == list(call.transcript)
    assert doc["from"] == {"address": call.from_.address, "name": call.from_.name}
    assert doc["contactId"] == boundary.cast.sam.id  # the link is the agent's to change


# --- the audit: who and when are the server's, records are never changed ---------------------


def test_the_audit_names_the_session_user_and_the_server_time(boundary: Boundary) -> None:
    """A save by hand with a document claiming another author and date: its audit record is
    the server's, naming the session user, the server's time and the fields that changed."""
    sam = boundary.cast.sam
    forged = replace(sam, title="Forged", modified_by=LOGINS["supervisor"])
    with boundary.psql("agent") as conn:
        _save_contact(conn, docs.contact_to_doc(forged), sam.version)
        _refused(conn, f"UPDATE {SCHEMA}.audit SET agent = %s", LOGINS["supervisor"])
        _refused(conn, f"DELETE FROM {SCHEMA}.audit WHERE contact_id = %s", sam.id)
    with boundary.superuser() as conn:
        row = conn.execute(
            f"SELECT agent, at, doc, now() FROM {SCHEMA}.audit WHERE contact_id = %s "
            "ORDER BY seq DESC LIMIT 1",
            (sam.id,),
        ).fetchone()
    assert row is not None
    agent, at, doc, now = row
    assert agent == doc["agent"] == LOGINS["agent"]
    assert (doc["action"], doc["version"], doc["fields"]) == ("edit", sam.version + 1, ["title"])
    assert abs(at - now) < timedelta(minutes=1)
    written = docs.parse_date(doc["at"])
    assert written is not None and abs(written - now) < timedelta(minutes=1)


@pytest.mark.parametrize("role", ROLES)
def test_a_forged_audit_record_is_refused(boundary: Boundary, role: str) -> None:
    """add_audit by hand, as each role, of records that describe no change the transaction
    made: an edit of Sam that never happened, a version of Sam with no save, a link of another
    agent's call, a setting no one changed, and, after a real save of Sam, a second record of
    that version claiming another action. Every one is refused and nothing is written."""
    cast = boundary.cast
    sam = cast.sam
    forgeries: list[dict[str, Any]] = [
        {"action": "edit", "fields": ["notes"], "contactId": sam.id},
        {"action": "edit", "fields": ["notes"], "contactId": sam.id, "version": sam.version + 1},
        {"action": "link", "fields": [], "contactId": sam.id, "interactionId": cast.other_call.id},
        {"action": "setting", "fields": ["region"]},
    ]
    before = boundary.snapshot()
    call = f"SELECT {SCHEMA}.add_audit(%s)"
    with boundary.psql(role) as conn:
        for forged in forgeries:
            _refused(conn, call, Jsonb({"id": str(uuid.uuid4()), **forged}))
    assert boundary.snapshot() == before
    if not holds(role, Permission.EDIT):
        return
    real = docs.contact_to_doc(replace(sam, title="Real"))
    save = f"SELECT {SCHEMA}.save_contact(%s, %s, NULL)"
    promoted = {"id": "x", "action": "promote", "contactId": sam.id, "version": sam.version + 1}
    with (
        boundary.psql(role) as conn,
        pytest.raises(pg_errors.InsufficientPrivilege),
        conn.transaction(),
    ):
        conn.execute(save, (Jsonb(real), sam.version))
        conn.execute(call, (Jsonb({**promoted, "fields": ["type"]}),))
    assert boundary.snapshot() == before
    # The record of that save as the server wrote it is accepted, in the same transaction.
    with boundary.psql(role) as conn, conn.transaction():
        conn.execute(save, (Jsonb(real), sam.version))
        conn.execute(call, (Jsonb({**promoted, "action": "edit", "fields": []}),))
    assert boundary.snapshot() != before


@pytest.mark.parametrize("role", ROLES)
def test_settings_need_the_admin_permission(boundary: Boundary, role: str) -> None:
    before = boundary.snapshot()
    call = f"SELECT {SCHEMA}.set_setting('ephemeral-ttl-days', %s)"
    with boundary.psql(role) as conn:
        if holds(role, Permission.ADMIN):
            conn.execute(call, (Jsonb(1),))
            assert boundary.snapshot().files["settings"] != before.files["settings"]
            return
        _refused(conn, call, Jsonb(1))
    assert boundary.snapshot() == before


# --- identity: the session user is the login, and stays it -----------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_no_one_becomes_another_user(boundary: Boundary, role: str) -> None:
    login = LOGINS[role]
    target = LOGINS["agent"] if role == "supervisor" else LOGINS["supervisor"]
    with boundary.psql(role) as conn:
        _refused(conn, sql.SQL("SET ROLE {}").format(sql.Identifier(target)).as_string(conn))
        _refused(
            conn,
            sql.SQL("SET SESSION AUTHORIZATION {}").format(sql.Identifier(target)).as_string(conn),
        )
        assert conn.execute("SELECT session_user, current_user").fetchone() == (login, login)
        if role in GROUP_ROLES:
            # A member may SET ROLE to its own group; the checks ask the session user, so it
            # gains nothing: still no settings change without admin.
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(GROUP_ROLES[role])))
            assert conn.execute("SELECT session_user").fetchone() == (login,)
            if not holds(role, Permission.ADMIN):
                _refused(conn, f"SELECT {SCHEMA}.set_setting('ephemeral-ttl-days', '1')")
        else:
            _refused(conn, "SET ROLE contact_tui_supervisor")


# --- stored text: no control or bidi character, whoever writes it ----------------------------


@pytest.mark.parametrize("text", [OSC_52, RLO], ids=["osc52", "rlo"])
def test_no_control_or_bidi_character_is_stored_anywhere(boundary: Boundary, text: str) -> None:
    cast = boundary.cast
    before = boundary.snapshot()
    contact = docs.contact_to_doc(replace(cast.sam, title=text))
    interaction = docs.interaction_to_doc(replace(cast.other_call, id="x", transcript=(text,)))
    audit = {"id": "a", "action": "link", "contactId": text, "interactionId": cast.agent_call.id}
    with boundary.psql("supervisor") as conn:
        # Through the functions, which run as their owner, a superuser: the CHECK still holds.
        attempts: list[tuple[str, tuple[Any, ...]]] = [
            (f"SELECT {SCHEMA}.save_contact(%s, %s, NULL)", (Jsonb(contact), 1)),
            (f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(interaction),)),
            (f"SELECT {SCHEMA}.set_setting('region', %s)", (Jsonb(text),)),
            (
                f"SELECT {SCHEMA}.save_contact(%s, %s, NULL)",
                (Jsonb({**docs.contact_to_doc(cast.sam), text: "a key"}), 1),
            ),
        ]
        for statement, args in attempts:
            with pytest.raises(pg_errors.CheckViolation):
                conn.execute(statement, args)
        # An audit record carries no text of its caller's but ids of what the transaction
        # changed, which the CHECKs above keep clean.
        _refused(conn, f"SELECT {SCHEMA}.add_audit(%s)", Jsonb(audit))
    with boundary.superuser() as conn, pytest.raises(pg_errors.CheckViolation):
        conn.execute(
            f"UPDATE {SCHEMA}.contacts SET doc = doc || %s WHERE id = %s",
            (Jsonb({"firstName": text}), cast.sam.id),
        )
    assert boundary.snapshot() == before


# --- locks: a hostile session costs others a clear error, and is ended -----------------------


def test_a_held_row_costs_others_a_clear_error_and_the_idle_holder_is_ended(
    boundary: Boundary, pg_server: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's sessions wait a few seconds at most and end an idle transaction; a test waits
    # a fifth of a second (the mechanism, not the length).
    assert pg_store.SESSION_OPTIONS["lock_timeout"] == "3s"
    assert pg_store.SESSION_OPTIONS["idle_in_transaction_session_timeout"] == "10s"
    with psycopg.connect(**connection_options(boundary.db.url(LOGINS["agent"]))) as app:
        shown = [
            app.execute(f"SHOW {n}").fetchone()
            for n in ("lock_timeout", "idle_in_transaction_session_timeout")
        ]
    assert shown == [("3s",), ("10s",)]
    monkeypatch.setitem(pg_store.SESSION_OPTIONS, "lock_timeout", "200ms")
    sam = boundary.cast.sam
    # The hostile login holds the setting an admin gives every login (ALTER ROLE ... SET).
    admin.grant(boundary.db.url(), "sql_hostile", ["agent"])
    with pg_server.connect() as su:
        su.execute("ALTER ROLE sql_hostile SET idle_in_transaction_session_timeout = '500ms'")
    hostile = psycopg.connect(boundary.db.url("sql_hostile"))  # not autocommit: BEGIN
    store = PostgresStore.open(boundary.db.url(LOGINS["supervisor"]))
    try:
        # Left open (no COMMIT): the row stays locked while the session sits idle.
        hostile.execute(
            f"SELECT {SCHEMA}.save_contact(%s, %s, NULL)",
            (Jsonb(docs.contact_to_doc(replace(sam, title="Mine"))), sam.version),
        )
        service = ContactService(
            store,
            make_config(Path("unused")),
            Agent(store.user, frozenset(), store.roles(), store.permissions()),
            FixedClock(),
        )
        draft = _retitled(sam)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as busy:
            service.edit(sam.id, draft, sam.version)
        assert time.monotonic() - started < 2
        assert "Another session" in str(busy.value) and "nothing was saved" in str(busy.value)
        # The holder, idle in its transaction, is ended by the server; its change is undone.
        deadline = time.monotonic() + 3
        with pg_server.connect() as su:
            while su.execute(
                "SELECT 1 FROM pg_stat_activity WHERE usename = 'sql_hostile'"
            ).fetchone():
                assert time.monotonic() < deadline, "the idle holder was not ended"
                time.sleep(0.05)
        with pytest.raises(pg_errors.IdleInTransactionSessionTimeout):
            hostile.execute("SELECT 1")
        saved = service.edit(sam.id, draft, sam.version)
        assert saved.title == draft.title and saved.version == sam.version + 1
    finally:
        hostile.close()
        store.close()


def _retitled(contact: Contact) -> ContactDraft:
    """An edit of ``contact``'s title, as the form would send it."""
    draft = ContactDraft.from_contact(contact)
    draft.title = "Saved by the app"
    return draft


# --- the security issue's attacks, replayed ----------------------------------------------------


def _config(tmp_path: Path, url: str) -> Any:
    return replace(make_config(tmp_path / "store.json"), store_url=url)


def test_forged_identity_the_user_is_the_servers_session_user(
    boundary: Boundary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the OS, the environment or a user namespace says (here all claim the
    supervisor, and the namespace check is fooled), the app's user is the login the server
    accepted, with the server's permissions; a client that claims more is refused by it."""
    supervisor = LOGINS["supervisor"]
    for name in ("USER", "LOGNAME", "PGUSER"):
        monkeypatch.setenv(name, supervisor)
    monkeypatch.setattr(getpass, "getuser", lambda: supervisor)
    monkeypatch.setattr(bootstrap, "check_user_namespace", lambda: None)
    service = bootstrap.open_service(_config(tmp_path, boundary.db.url(LOGINS["agent"])))
    try:
        assert service.agent.user == LOGINS["agent"]
        assert service.agent.permissions == BUILTIN_ROLES["agent"]
        with pytest.raises(PermissionDenied):
            service.set_setting("ephemeral-ttl-days", 1)
        # The same connection behind a client that claims to be the supervisor.
        forged = ContactService(
            service.repo,
            service.config,
            Agent(supervisor, frozenset(), ("supervisor",), frozenset(Permission)),
            FixedClock(),
        )
        before = boundary.snapshot()
        with pytest.raises(StoreRefused) as refused:
            forged.set_setting("ephemeral-ttl-days", 1)
        assert refused.value.permission == Permission.ADMIN
        with pytest.raises(StoreRefused):
            forged.handle_interaction(
                NewInteraction(OTHER, Channel.VOICE, Participant("+1 212 555 0142", "X"))
            )
        assert boundary.snapshot() == before
        made = forged.create_contact(_retitled(boundary.cast.sam))  # agents may add
        assert made.created_by == LOGINS["agent"]
        assert {r.agent for r in forged.audit(made.id)} == {LOGINS["agent"]}
    finally:
        service.close()


def test_forged_identity_peer_authentication_asks_the_kernel(
    boundary_template: tuple[str, Cast], pg_databases: Databases, tmp_path: Path
) -> None:
    """Where the server checks peer credentials (production's pg_hba line), naming another
    login gets nothing: the kernel says who connects, not the client."""
    peer = pg_databases.create(template=boundary_template[0], name=PEER_DATABASE)
    me = getpass.getuser()
    # Roles are the cluster's: an earlier test in this worker may have granted this login more.
    with pg_databases.server.connect() as conn:
        set_grants(conn, me, frozenset())
    admin.grant(pg_databases.server.url(), me, ["viewer"])
    with pytest.raises(StoreUnavailable, match="must be your own login name"):
        bootstrap.open_service(_config(tmp_path, peer.url(LOGINS["supervisor"])))
    service = bootstrap.open_service(_config(tmp_path, peer.url(me)))
    try:
        assert service.agent.user == me
        assert service.agent.permissions == BUILTIN_ROLES["viewer"]
    finally:
        service.close()


def test_planted_files_the_postgres_store_opens_none(
    boundary: Boundary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded store's attacks planted files in its folder (a store, a seed, a symlink to
    someone's secrets); with a [store] url the app opens no store file at all: only the config
    it was given, and the database."""
    secret = tmp_path / "secret"
    secret.write_text("not for you")
    (tmp_path / "store.json").symlink_to(secret)
    (tmp_path / "seed.json").write_text('{"contacts": {"x": {"firstName": "' + OSC_52 + '"}}}')

    def no_file(*args: object, **kwargs: object) -> None:
        raise AssertionError("the PostgreSQL store opened an embedded store's file")

    monkeypatch.setattr(Repository, "open", no_file)
    monkeypatch.setattr(bootstrap, "seed_loader", no_file)
    service = bootstrap.open_service(_config(tmp_path, boundary.db.url(LOGINS["agent"])))
    try:
        assert [c.id for c in service.search("Sam").contacts] == [boundary.cast.sam.id]
        assert service.store_location.startswith("PostgreSQL")
    finally:
        service.close()
    assert secret.read_text() == "not for you"


# --- the read functions: each open to the use cases that need it, no wider -------------------


def _sam_key(cast: Cast) -> str:
    assert cast.sam.cell_phone is not None and cast.sam.cell_phone.e164 is not None
    return "tel:" + cast.sam.cell_phone.e164


# Each read function a login could call to list or read what the app would not show it, and
# the permissions whose use cases make that read inside a write (any one of them opens it).
DIRECT_READS: dict[str, tuple[str, Callable[[Cast], tuple[Any, ...]], frozenset[Permission]]] = {
    "list contacts": (
        f"SELECT * FROM {SCHEMA}.read_ids('contacts')",
        lambda cast: (),
        frozenset({Permission.ADMIN}),
    ),
    "list interactions": (
        f"SELECT * FROM {SCHEMA}.read_ids('interactions')",
        lambda cast: (),
        frozenset({Permission.ADD, Permission.ADMIN}),
    ),
    "read a contact": (
        f"SELECT {SCHEMA}.read_contact(%s)",
        lambda cast: (cast.sam.id,),
        frozenset(
            {Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE, Permission.ADMIN}
        ),
    ),
    "read a contact's keys": (
        f"SELECT * FROM {SCHEMA}.read_contact_keys(%s)",
        lambda cast: (cast.sam.id,),
        frozenset({Permission.VIEW, Permission.ADD}),
    ),
    "see what changed": (
        f"SELECT * FROM {SCHEMA}.changed_since(%s)",
        lambda cast: ("1:1:",),
        frozenset({Permission.VIEW}),
    ),
    "see what was committed": (
        f"SELECT payloads FROM {SCHEMA}.committed_since(%s, 10)",
        lambda cast: ("1:1:",),
        frozenset({Permission.VIEW}),
    ),
}


@pytest.mark.parametrize("read", list(DIRECT_READS))
@pytest.mark.parametrize("role", ROLES)
def test_the_read_functions_serve_only_the_use_cases_that_need_them(
    boundary: Boundary, role: str, read: str
) -> None:
    """The router (route alone) and a login with no role cannot list the contacts or the
    interactions, nor read a contact, through the functions the app's writes read with; the
    roles whose use cases read so still can (P2's finding)."""
    statement, args, opened_by = DIRECT_READS[read]
    with boundary.psql(role) as conn:
        if any(holds(role, p) for p in opened_by):
            rows = conn.execute(statement, args(boundary.cast)).fetchall()
            if read != "see what changed":  # nothing changed since the start of time
                assert rows and rows[0][0] is not None
            return
        with pytest.raises(pg_errors.InsufficientPrivilege) as refused:
            conn.execute(statement, args(boundary.cast))
    if role != "none":  # a login with no role is refused the schema itself
        assert refused.value.diag.message_hint in {p.value for p in opened_by}


@pytest.mark.parametrize("role", ROLES)
def test_matching_a_key_shows_a_router_which_contacts_hold_it_and_nothing_more(
    boundary: Boundary, role: str
) -> None:
    """Routing matches the sender's key (route alone may); what comes back to a login without
    view is each holder's id and type (all the matching needs), not the contact."""
    sam = boundary.cast.sam
    statement = f"SELECT * FROM {SCHEMA}.read_contacts_by_key(%s)"
    with boundary.psql(role) as conn:
        if role == "none":
            _refused(conn, statement, _sam_key(boundary.cast))
            return
        found = [row[0] for row in conn.execute(statement, (_sam_key(boundary.cast),))]
        # A key no one holds, or a pattern, finds nothing: it lists no one.
        assert conn.execute(statement, ("%",)).fetchall() == []
    if holds(role, Permission.VIEW):
        assert found == [docs.contact_to_doc(sam)]
        return
    assert found == [{"id": sam.id, "type": "Curated", "version": sam.version}]
    assert "Sam" not in str(found) and "Lee" not in str(found)


def test_the_router_still_routes_a_known_caller_to_their_contact(boundary: Boundary) -> None:
    """The narrowed match is enough for the router's one use case: a call from Sam's number,
    put in an agent's queue, is linked to Sam."""
    store = PostgresStore.open(boundary.db.url(LOGINS["router"]))
    try:
        service = ContactService(
            store,
            make_config(Path("unused")),
            Agent(store.user, frozenset(), store.roles(), store.permissions()),
            FixedClock(),
        )
        routed = service.handle_interaction(
            NewInteraction(LOGINS["agent"], Channel.VOICE, Participant(SAM_CELL, "Sam"))
        )
    finally:
        store.close()
    assert routed.contact_id == boundary.cast.sam.id


# --- contact documents: always in the shape the app reads -----------------------------------

# Each a change to Sam's document that would leave the contact unreadable (codec.contact_from_doc
# refuses it), so that no one could open it, list it or search for it.
UNREADABLE: dict[str, dict[str, Any]] = {
    "a number for a name": {"firstName": 42},
    "a text flag": {"surveyOptOut": "yes"},
    "a text phone": {"workPhone": "+1 317 555 0100"},
    "a phone with nothing to show": {"workPhone": {"acceptsSMS": True}},
    "a phone with a number display": {"workPhone": {"display": 5}},
    "a phone not in E.164": {"workPhone": {"display": "x", "e164": "317-555-0100"}},
    "a negative extension": {"workPhone": {"display": "x", "extension": -1}},
    "a fractional extension": {"workPhone": {"display": "x", "extension": 1.5}},
    "a text address": {"address": "1 Main St"},
    "a number city": {"address": {"city": 12}},
    "a date that is not one": {"createDate": "yesterday"},
    "a day no month has": {"modifyDate": "2024-02-30T10:00:00.000Z"},
    "a number date": {"lastInteractionDate": 1700000000},
    "an id entry without its id": {"facebookId": {"ids": [{"name": "x"}]}},
    "a number twitter id": {"twitterId": {"id": 7}},
    "a text whatsapp number": {"whatsAppId": {"phoneNumber": "+13175550100"}},
    "no such type": {"type": "Bogus"},
    "no id": {"id": None},
}


@pytest.mark.parametrize("change", list(UNREADABLE))
def test_no_save_stores_a_contact_the_app_cannot_read(boundary: Boundary, change: str) -> None:
    """A user with edit, through save_contact as psql would call it, cannot store a document
    the app's reader refuses (which would make the contact unreadable for everyone); the
    superuser cannot either (the CHECK is on the table: store copy writes there)."""
    sam = boundary.cast.sam
    doc = {**docs.contact_to_doc(sam), **UNREADABLE[change]}
    with pytest.raises(docs.DocumentError):
        docs.contact_from_doc(doc)  # the harm: this document could not be read back
    before = boundary.snapshot()
    # (Making a curated contact anything else is refused before the CHECK, as its own rule.)
    refusals = (pg_errors.CheckViolation, pg_errors.InvalidParameterValue)
    with boundary.psql("agent") as conn, pytest.raises(refusals):
        _save_contact(conn, doc, sam.version)
    with boundary.superuser() as conn, pytest.raises(pg_errors.CheckViolation):
        conn.execute(
            f"UPDATE {SCHEMA}.contacts SET doc = doc || %s WHERE id = %s",
            (Jsonb(UNREADABLE[change]), sam.id),
        )
    assert boundary.snapshot() == before


def test_no_save_stores_the_old_single_notes_field(boundary: Boundary) -> None:
    """A contact's notes are documents of their own: the reader no longer reads the old
    ``notes`` field, so a document holding it would lose it at the next save, silently.
    save_contact (as psql would call it) and the table refuse it; ``db init`` moves a field an
    earlier build stored into a note (tests/pg/test_notes_sql.py)."""
    sam = boundary.cast.sam
    doc = {**docs.contact_to_doc(sam), "notes": "Prefers email."}
    # The harm: the document reads back without it.
    assert docs.contact_to_doc(docs.contact_from_doc(doc)) == docs.contact_to_doc(sam)
    before = boundary.snapshot()
    with boundary.psql("agent") as conn, pytest.raises(pg_errors.CheckViolation):
        _save_contact(conn, doc, sam.version)
    with boundary.superuser() as conn, pytest.raises(pg_errors.CheckViolation):
        conn.execute(
            f"UPDATE {SCHEMA}.contacts SET doc = doc || %s WHERE id = %s",
            (Jsonb({"notes": "Prefers email."}), sam.id),
        )
    assert boundary.snapshot() == before


def test_the_shape_check_keeps_out_a_version_the_reader_takes_for_a_fraction(
    boundary: Boundary,
) -> None:
    """The version in the document is the row's, written as a whole number (jsonb keeps 2.0,
    which reads back as a float), and the id is the row's."""
    sam = boundary.cast.sam
    # JSON text, not Python values: 1.0 must reach the server as written.
    for change in ('{"version": 1.0}', '{"version": "1"}', '{"version": 7}', '{"id": "x"}'):
        with boundary.superuser() as conn, pytest.raises(pg_errors.CheckViolation):
            conn.execute(
                f"UPDATE {SCHEMA}.contacts SET doc = doc || %s::jsonb WHERE id = %s",
                (change, sam.id),
            )


# What the reader takes and the app may meet (older stores, other writers): the check lets it in.
READABLE: dict[str, dict[str, Any]] = {
    "nulls for what is not set": {"title": None, "workPhone": None, "address": None},
    "a date with an offset": {"createDate": "2024-02-29T23:30:00+02:00"},
    "a date without milliseconds": {"modifyDate": "2024-01-01T10:00:00Z"},
    "a calling code as a number": {"homePhone": {"display": "020 7946 0000", "countryCode": 44}},
    "a region for a calling code": {"homePhone": {"display": "020 7946 0000", "countryCode": "GB"}},
    "an e164 without a display": {"otherPhone": {"e164": "+442079460000"}},
    "an identity without ids": {"lineId": {"displayName": "Sam"}},
    "keys the app does not know": {"customFields": {"tier": 3}},
}


@pytest.mark.parametrize("change", list(READABLE))
def test_the_shape_check_lets_in_what_the_reader_takes(boundary: Boundary, change: str) -> None:
    sam = boundary.cast.sam
    doc = {**docs.contact_to_doc(sam), **READABLE[change]}
    with boundary.psql("agent") as conn:
        saved = _save_contact(conn, doc, sam.version)
    assert docs.contact_from_doc(saved).id == sam.id
    store = PostgresStore.open(boundary.db.url(LOGINS["viewer"]))
    try:
        read = store.contact(sam.id)
    finally:
        store.close()
    assert read is not None and read.version == sam.version + 1


# --- contact_changes: pruned through an index, without waiting on others --------------------


def test_pruning_the_change_log_waits_for_no_one(boundary: Boundary) -> None:
    """The save that prunes old entries (one in a thousand) finds them through an index and
    passes over entries another transaction is pruning: it neither reads the whole log nor
    waits for the other transaction (an import that pruned and has not committed)."""
    sam = boundary.cast.sam
    old = "now() - interval '2 days'"
    with boundary.superuser() as su:
        su.execute(
            f"INSERT INTO {SCHEMA}.contact_changes (contact_id, at) "
            f"SELECT 'recent-' || n, now() FROM generate_series(1, 20000) AS n"
        )
        su.execute(
            f"INSERT INTO {SCHEMA}.contact_changes (contact_id, at) "
            f"SELECT 'old-' || n, {old} FROM generate_series(1, 3) AS n"
        )
        su.execute(f"ANALYZE {SCHEMA}.contact_changes")
        plan = str(
            su.execute(
                f"EXPLAIN SELECT ctid FROM {SCHEMA}.contact_changes "
                "WHERE at < now() - interval '1 day'"
            ).fetchall()
        )
        assert "contact_changes_at" in plan and "Seq Scan" not in plan
    other = psycopg.connect(boundary.db.url())  # BEGIN: holds what it deletes
    try:
        other.execute(f"DELETE FROM {SCHEMA}.contact_changes WHERE contact_id = 'old-1'")
        with boundary.psql("agent") as conn:
            conn.execute("SET lock_timeout = '200ms'")
            seed = _seed_for_a_prune(conn)
            conn.execute("SELECT setseed(%s)", (seed,))  # this save's trigger prunes
            _save_contact(conn, docs.contact_to_doc(sam), sam.version)
        with boundary.superuser() as su:
            left = su.execute(
                f"SELECT contact_id FROM {SCHEMA}.contact_changes WHERE contact_id LIKE 'old-%'"
            ).fetchall()
        assert left == [("old-1",)]  # pruned, but for the entry the other one holds
    finally:
        other.close()


def _seed_for_a_prune(conn: psycopg.Connection[Any]) -> float:
    """A setseed() value after which the session's next random() is below 0.001."""
    for n in range(200_000):
        seed = n / 200_000
        conn.execute("SELECT setseed(%s)", (seed,))
        row = conn.execute("SELECT random() < 0.001").fetchone()
        if row is not None and row[0]:
            return seed
    raise AssertionError("no seed makes random() small")


def test_a_save_by_hand_is_audited_by_the_server(boundary: Boundary) -> None:
    """save_contact called by hand, with no audit record of the caller's, still leaves its
    version's record in the contact's history: the server writes it with the save."""
    sam = boundary.cast.sam
    with boundary.psql("agent") as conn:
        saved = _save_contact(conn, docs.contact_to_doc(replace(sam, title="Traced")), sam.version)
    assert saved["title"] == "Traced"
    with boundary.superuser() as conn:
        rows = conn.execute(
            f"SELECT doc ->> 'action', (doc ->> 'version')::int, agent FROM {SCHEMA}.audit "
            "WHERE contact_id = %s ORDER BY seq",
            (sam.id,),
        ).fetchall()
    assert rows[-1] == ("edit", sam.version + 1, LOGINS["agent"])
    assert [v for _, v, _ in rows] == list(range(1, sam.version + 2))


# --- wrap-up notes (issue 13): the interaction's own agent, or view-all; always audited -------


def _note_of(boundary: Boundary, interaction_id: str) -> Any:
    with boundary.superuser() as conn:
        row = conn.execute(
            f"SELECT doc -> 'wrapUpNote' FROM {SCHEMA}.interactions WHERE id = %s",
            (interaction_id,),
        ).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "other"])
def test_a_wrap_up_note_needs_the_interaction_or_view_all(
    boundary: Boundary, role: str, whose: str
) -> None:
    """save_wrap_up on sql_agent's interaction and on sql_other's: written (with an audit
    record naming the session user, at the server's time) only for the interaction's own agent
    or a holder of view-all; refused for everyone else, leaving every table as it was."""
    call = boundary.cast.agent_call if whose == "own" else boundary.cast.other_call
    before = boundary.snapshot()
    may = holds(role, Permission.VIEW) and (
        (whose == "own" and role == "agent") or holds(role, Permission.VIEW_ALL_INTERACTIONS)
    )
    with boundary.psql(role) as conn:
        statement = f"SELECT {SCHEMA}.save_wrap_up(%s, %s)"
        if not may:
            _refused(conn, statement, call.id, "Forged note")
            assert boundary.snapshot() == before
            return
        conn.execute(statement, (call.id, "Line one\nLine two"))
    assert _note_of(boundary, call.id) == "Line one\nLine two"
    with boundary.superuser() as conn:
        rows = conn.execute(
            f"SELECT agent, contact_id, doc, now() FROM {SCHEMA}.audit "
            "WHERE doc ->> 'interactionId' = %s AND doc ->> 'action' = 'wrap-up'",
            (call.id,),
        ).fetchall()
    assert len(rows) == 1
    agent, contact_id, doc, now = rows[0]
    record = docs.audit_from_doc(doc)
    assert agent == record.agent == LOGINS[role] and contact_id == call.contact_id
    assert record.fields == ("wrapUpNote",) and abs(record.at - now) < timedelta(minutes=1)


def test_save_interaction_neither_sets_nor_changes_a_wrap_up_note(boundary: Boundary) -> None:
    """The only way to a note is save_wrap_up, which checks and audits: an agent's own save
    of the interaction keeps the note the server has, and a router's new interaction arrives
    without the note it was sent with."""
    own = boundary.cast.agent_call
    with boundary.psql("supervisor") as conn:
        conn.execute(f"SELECT {SCHEMA}.save_wrap_up(%s, %s)", (own.id, "Supervisor's note"))
    forged = replace(own, wrap_up_note="Rewritten by the agent, unaudited")
    with boundary.psql("agent") as conn:
        conn.execute(
            f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(docs.interaction_to_doc(forged)),)
        )
    assert _note_of(boundary, own.id) == "Supervisor's note"
    pushed = replace(
        boundary.cast.other_call, id="pushed-with-note", wrap_up_note="Planted", contact_id=None
    )
    with boundary.psql("router") as conn:
        conn.execute(
            f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(docs.interaction_to_doc(pushed)),)
        )
    assert _note_of(boundary, pushed.id) is None


@pytest.mark.parametrize("role", ["viewer", "agent", "router"])
def test_another_agents_wrap_up_note_stays_hidden(boundary: Boundary, role: str) -> None:
    other = boundary.cast.other_call
    with boundary.psql("supervisor") as conn:
        conn.execute(f"SELECT {SCHEMA}.save_wrap_up(%s, %s)", (other.id, "Customer is VIP"))
    with boundary.psql(role) as conn:
        table = conn.execute(f"SELECT doc FROM {SCHEMA}.interactions").fetchall()
        row = conn.execute(f"SELECT {SCHEMA}.read_interaction(%s)", (other.id,)).fetchone()
    assert "Customer is VIP" not in str(table)
    assert row is not None and "wrapUpNote" not in (row[0] or {})


@pytest.mark.parametrize("text", [OSC_52, RLO, "x" * 10_001], ids=["osc-52", "rlo", "over-10000"])
def test_a_wrap_up_note_holding_control_characters_or_too_long_is_refused(
    boundary: Boundary, text: str
) -> None:
    before = boundary.snapshot()
    refused = (pg_errors.StringDataRightTruncation, pg_errors.CheckViolation)
    with boundary.psql("agent") as conn, pytest.raises(refused):
        conn.execute(f"SELECT {SCHEMA}.save_wrap_up(%s, %s)", (boundary.cast.agent_call.id, text))
    assert boundary.snapshot() == before


def test_a_match_key_that_is_not_text_is_refused(boundary: Boundary) -> None:
    """A router pushing an interaction whose matchKey is a number or an object would make it
    unreadable for everyone who lists it (the codec reads the key as text): refused."""
    pushed = replace(boundary.cast.other_call, id="pushed-bad-key", contact_id=None)
    doc = docs.interaction_to_doc(pushed)
    with boundary.psql("router") as conn:
        for bad in (42, {"tel": "+13175550123"}):
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                conn.execute(
                    f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(doc | {"matchKey": bad}),)
                )
        conn.execute(
            f"SELECT {SCHEMA}.save_interaction(%s)",
            (Jsonb(doc | {"matchKey": "tel:+13175550123"}),),
        )
