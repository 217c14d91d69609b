"""Shared by the permission matrix tiers: the combinations of permissions each action is
tried under, a store with one thing for every action to act on, and a fingerprint proving
nothing was written.

Which combinations (``row_combos``): an action's outcome can only depend on the permissions
its rule names, that is the permissions its use cases need (``NEEDS``), the qualifiers for
another agent's interaction or note (``OTHERS_INTERACTION``, ``OTHERS_NOTE``) included. So a
row tries every subset of those, each crossed with two settings of all the other permissions:
none of them and all of them. Every combination that can matter is tried, and each irrelevant
permission is shown not to matter (granting all of them changes no outcome, withholding all
of them neither). Every subset of all ten permissions would be 2 ** 10 = 1,024 cases a row; an
action naming three takes 2 ** 3 * 2 = 16.

The same scene is built for the service, the command line and the screen, for whichever agent
the tier runs as (``alice`` for the service and the screen, the OS user for the CLI), so the
three tiers check the same actions on the same data. It is built once per agent and test
process (``SceneTemplates``) and copied for each test: building takes ~40 ms, copying <1 ms,
and the matrix has hundreds of cases.

Each test runs a whole row of the matrix (one action, all its combinations) rather than one case:
a test's own setup and reporting cost more than most cases, and there are hundreds. ``Row``
runs the cases one by one, each on a scene as built, and reports every failing case by name
at the end, so one failure hides none of the others.

The service tier runs over PostgreSQL too (``PgScenes``): the same scene built through the
service in a template database, as the scene's user holding every permission, and copied once
into a working database each test starts from. Copying a database per test would cost ~50 ms
(create and drop) times hundreds of cases, so a test that changed it has it put back from a
copy kept beside it (a few ms); most cases change nothing.
"""

from __future__ import annotations

import shutil
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import combinations
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import make_conninfo

from contact_tui.config import Agent
from contact_tui.domain.model import (
    Channel,
    Contact,
    ContactType,
    Interaction,
    Note,
    Participant,
    Permission,
    PhoneKind,
)
from contact_tui.domain.permissions import NEEDS, UseCase, in_check_order
from contact_tui.service import ContactService, NewInteraction
from contact_tui.store.base import ContactStore
from contact_tui.store.errors import StoreError
from contact_tui.store.postgres import admin
from contact_tui.store.postgres.schema import GROUP_ROLES, PERMISSION_ROLES, SCHEMA, USER_ROLE
from contact_tui.store.postgres.store import PostgresStore
from contact_tui.store.repository import Repository
from contact_tui.ui.gating import Selection
from tests.factories import (
    SAM_CELL,
    SHARED_NUMBER,
    UNKNOWN_CALLER,
    FixedClock,
    StoreBuilder,
    make_agent,
    make_config,
)
from tests.pg.server import Databases, PgServer

Combo = frozenset[Permission]
T = TypeVar("T")

VIEW, ADD, EDIT, PROMOTE, ADMIN, ROUTE, VIEW_ALL, NOTE_ALL, MERGE, DELETE = (
    Permission.VIEW,
    Permission.ADD,
    Permission.EDIT,
    Permission.PROMOTE,
    Permission.ADMIN,
    Permission.ROUTE,
    Permission.VIEW_ALL_INTERACTIONS,
    Permission.NOTE_EDIT_ALL,
    Permission.MERGE,
    Permission.DELETE,
)
SHORT = {
    VIEW: "view",
    ADD: "add",
    EDIT: "edit",
    PROMOTE: "promote",
    ADMIN: "admin",
    ROUTE: "route",
    VIEW_ALL: "viewAll",
    NOTE_ALL: "noteAll",
    MERGE: "merge",
    DELETE: "delete",
}

ALL: Combo = frozenset(Permission)


def row_combos(relevant: Iterable[Permission]) -> list[Combo]:
    """The combinations a row is tried under (see the module docstring): every subset of
    ``relevant`` (the permissions the row's rule names), from none to all, each with none and
    with all of the other permissions (once when there are no others)."""
    named = in_check_order(relevant)
    rest = ALL - set(named)
    settings = (frozenset(), rest) if rest else (frozenset(),)
    return [
        frozenset(chosen) | others
        for size in range(len(named) + 1)
        for chosen in combinations(named, size)
        for others in settings
    ]


def assert_row_combos(combos: list[Combo], relevant: Iterable[Permission]) -> None:
    """``combos`` holds every subset of ``relevant``, each once with none and once with all of
    the other permissions, and nothing else."""
    named = frozenset(relevant)
    rest = ALL - named
    wanted = {
        frozenset(chosen) | others
        for size in range(len(named) + 1)
        for chosen in combinations(sorted(named), size)
        for others in {frozenset(), rest}
    }
    assert len(combos) == len(set(combos)) == len(wanted) and set(combos) == wanted


def combo_id(combo: Combo) -> str:
    """A readable test id: 'view+edit', or 'none'."""
    return "+".join(SHORT[p] for p in Permission if p in combo) or "none"


def exactly(user: str, combo: Combo) -> Agent:
    """An agent holding exactly ``combo`` (make_agent gives every permission for none)."""
    return Agent(user=user, groups=frozenset(), roles=("matrix",), permissions=combo)


def first_missing(combo: Combo, needs: tuple[Permission, ...]) -> Permission | None:
    """The first permission of ``needs`` (in the order the code checks them) not in ``combo``."""
    return next((p for p in needs if p not in combo), None)


def needs_of(uses: tuple[UseCase, ...]) -> tuple[Permission, ...]:
    """What an action going through ``uses`` in turn needs, in the order it is refused for:
    each use case's permissions as the table has them, in check order. The matrices expect
    this rather than spelling the permissions again; tests/permissions/test_readme_roles.py
    holds the table to the README."""
    return tuple(dict.fromkeys(p for use in uses for p in in_check_order(NEEDS[use])))


# How many failing cases a row's report shows with their whole traceback (the others in one line).
SHOWN_IN_FULL = 3


class Row:
    """The cases of one test, run one after another: a failing case is recorded under its
    name and the next one runs; :meth:`check` then fails the test naming every failed case
    (with what failed), as separate tests would have."""

    def __init__(self) -> None:
        self.ran = 0
        self.failed: list[tuple[str, BaseException]] = []

    @contextmanager
    def case(self, name: str) -> Iterator[None]:
        """Run one case (the body of the ``with``), recording it as ``name`` if it fails."""
        self.ran += 1
        try:
            yield
        except (Exception, pytest.fail.Exception) as error:  # pytest.raises fails with the latter
            self.failed.append((name, error))

    def check(self) -> None:
        """Fail the test if any case failed: one line per failed case, then the first few in
        full (assertion details and traceback)."""
        assert self.ran, "the row ran no case"
        if not self.failed:
            return
        summary = [
            f"{name}: {type(error).__name__}: {_first_line(error)}" for name, error in self.failed
        ]
        shown = [
            f"--- {name} ---\n" + "".join(traceback.format_exception(error))
            for name, error in self.failed[:SHOWN_IN_FULL]
        ]
        pytest.fail(
            f"{len(self.failed)} of {self.ran} cases failed:\n"
            + "\n".join(summary)
            + "\n\n"
            + "\n".join(shown),
            pytrace=False,
        )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "(no message)"


# --- the scene every tier acts on -----------------------------------------------------------

OTHER_AGENT = "bob"
BOB_CALLER = "+1 212 555 0177"
OLD_CALLER = "+1 212 555 0199"
MERGED_CALLER = "+1 212 555 0133"
MIA_CELL = "+1 212 555 0144"


@dataclass(frozen=True)
class Scene:
    """A store holding something for every action, as ``user`` would find it.

    * ``sam``: a curated contact (edit, show, history, link target);
    * ``own_call``: the newest of ``user``'s interactions, from an unknown caller, linked to the
      ephemeral contact ``ephemeral`` made for it (promote, unlink, end);
    * ``shared_call``: ``user``'s call from a number two curated contacts share (candidates);
    * ``other_call``: an interaction routed to bob, linked to its own ephemeral contact;
    * ``old``: an ephemeral contact last seen 90 days ago, past the 60-day TTL (expire);
    * ``own_note``, ``other_note``: notes on ``pat_first`` by ``user`` and by bob.
    * ``mia``: a curated contact into which carol's caller's ephemeral contact ``merged_away``
      was merged by the standing merge ``merge_id`` (unmerge).

    ``path`` is the embedded store's file; with ``pg`` set the scene is in that PostgreSQL
    database instead (``path`` then only names a folder for the config).
    """

    path: Path
    clock: FixedClock
    user: str
    sam: Contact
    pat_first: Contact
    pat_second: Contact
    ephemeral: Contact
    own_call: Interaction
    shared_call: Interaction
    other_call: Interaction
    old: Contact
    own_note: Note
    other_note: Note
    mia: Contact
    merged_away: Contact
    merge_id: str
    pg: PgPlace | None = field(default=None, compare=False)

    def service(self, combo: Combo, claimed: Combo | None = None) -> ContactService:
        """A service for ``user`` holding exactly ``combo``; the caller hands it to
        :meth:`release`. Over PostgreSQL the server holds the grants and the agent's
        permissions are what it says, unless ``claimed`` (a client lying about them) is given."""
        if self.pg is None:
            return ContactService(
                Repository.open(self.path),
                make_config(self.path),
                exactly(self.user, combo),
                self.clock,
            )
        store, held = self.pg.connect(combo)
        assert store.user == self.user and held == combo
        agent = replace(
            exactly(store.user, combo), permissions=held if claimed is None else claimed
        )
        return ContactService(store, make_config(self.path), agent, self.clock)

    def release(self, service: ContactService) -> None:
        """Done with a service from :meth:`service`: the embedded repository is closed; the
        PostgreSQL connection is kept for the next test."""
        if self.pg is None:
            service.repo.close()

    def reader(self, service: ContactService) -> ContactStore:
        """A store that sees everything, to check what an action did: the service's own for
        the embedded store, the superuser's for PostgreSQL (where row-level security shows
        the user only what their grants allow)."""
        return service.repo if self.pg is None else self.pg.superuser_store()

    def snapshot(self) -> Fingerprint:
        """The store as it is now, to compare with :meth:`assert_unchanged`."""
        return fingerprint(self.path) if self.pg is None else self.pg.fingerprint()

    def assert_unchanged(self, before: Fingerprint) -> None:
        """Fail naming the file or table that changed if anything was written."""
        _compare(before, self.snapshot())


def _act_out(
    service: ContactService, other: ContactService, clock: FixedClock, user: str
) -> dict[str, Any]:
    """Make the scene's contents through ``service`` (acting for ``user`` with every
    permission) and ``other`` (bob, likewise), as routing and agents would; the fields of
    :class:`Scene` it fills."""
    repo = service.repo
    build = StoreBuilder(service, clock)

    def arrive(agent: str, number: str, name: str = "") -> Interaction:
        # What the customer said: what reading another agent's interaction would show.
        said = (f"{name or 'Caller'}: please call me back on {number}",)
        return build.arrive(
            NewInteraction(agent, Channel.VOICE, Participant(number, name), transcript=said)
        )

    start = clock.now
    clock.now = start - timedelta(days=90)
    old_call = arrive("carol", OLD_CALLER, "Old Caller")
    clock.now = start
    sam = build.curated("Sam", "Lee", PhoneKind.CELL, SAM_CELL)
    pat_first = build.curated("Pat", "Jones", PhoneKind.CELL, SHARED_NUMBER)
    pat_second = build.curated("Pat", "Smith", PhoneKind.WORK, SHARED_NUMBER)
    other_call = arrive(OTHER_AGENT, BOB_CALLER, "Bob's Caller")
    shared_call = arrive(user, SHARED_NUMBER)
    own_call = arrive(user, UNKNOWN_CALLER, "Una Known")
    merged_call = arrive("carol", MERGED_CALLER, "Mia Again")
    mia = build.curated("Mia", "Stone", PhoneKind.CELL, MIA_CELL)
    merged_away = repo.contact(merged_call.contact_id or "")
    assert merged_away is not None
    merge = service.merge(mia.id, merged_away.id)
    clock.now += timedelta(minutes=5)
    ephemeral = repo.contact(own_call.contact_id or "")
    old = repo.contact(old_call.contact_id or "")
    assert ephemeral is not None and ephemeral.type == ContactType.EPHEMERAL
    assert old is not None and old.type == ContactType.EPHEMERAL
    # On pat_first, so sam's history (which the matrices check) holds only its creation.
    own_note = service.add_note(pat_first.id, f"{user}'s note")
    other_note = other.add_note(pat_first.id, "bob's note")
    return {
        "own_note": own_note,
        "other_note": other_note,
        "clock": clock,
        "user": user,
        "sam": sam,
        "pat_first": pat_first,
        "pat_second": pat_second,
        "ephemeral": ephemeral,
        "own_call": own_call,
        "shared_call": shared_call,
        "other_call": other_call,
        "old": old,
        "mia": merge.contact,
        "merged_away": merged_away,
        "merge_id": merge.record.id,
    }


def build_scene(folder: Path, user: str) -> Scene:
    """Build the scene in ``folder`` through the service, as routing and agents would."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "store.json"
    clock = FixedClock()
    repo = Repository.open(path)
    try:
        config = make_config(path)
        cast = _act_out(
            ContactService(repo, config, make_agent(user), clock),
            ContactService(repo, config, make_agent(OTHER_AGENT), clock),
            clock,
            user,
        )
    finally:
        repo.close()
    return Scene(path=path, **cast)


def copy_scene(template: Scene, folder: Path) -> Scene:
    """The same scene in ``folder``: the store's files copied byte for byte (modes included),
    and a clock of its own at the template's time, so a test that moves it moves only its own."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in template.path.parent.iterdir():
        shutil.copy2(source, folder / source.name)
    return replace(template, path=folder / template.path.name, clock=FixedClock(template.clock.now))


class SceneTemplates:
    """One scene per agent, built on first use in ``folder`` and copied for each test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._built: dict[str, Scene] = {}

    def copy(self, user: str, folder: Path) -> Scene:
        """A fresh copy of ``user``'s scene in ``folder``."""
        if user not in self._built:
            self._built[user] = build_scene(self.folder / f"scene-{len(self._built)}", user)
        return copy_scene(self._built[user], folder)


# --- proving nothing was written -----------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    """Every file in the store's folder (or every table of the PostgreSQL store, as a digest
    of its rows), byte for byte, and the audit table's size."""

    files: dict[str, bytes]
    audit_records: int


def fingerprint(path: Path) -> Fingerprint:
    """The store at ``path`` as it is on disk now (read through a fresh repository)."""
    files = {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file()}
    repo = Repository.open(path, create=False)
    try:
        audit = len(repo.store.table_ids("audit"))
    finally:
        repo.close()
    return Fingerprint(files, audit)


def _compare(before: Fingerprint, after: Fingerprint) -> None:
    assert sorted(after.files) == sorted(before.files), "files were added or removed"
    for name, data in before.files.items():
        assert after.files[name] == data, f"{name} changed"
    assert after.audit_records == before.audit_records


def assert_unchanged(before: Fingerprint, path: Path) -> None:
    """Fail naming the file that changed (or the audit count) if anything was written."""
    _compare(before, fingerprint(path))


# --- the scene in PostgreSQL ------------------------------------------------------------------

# Every table of the store, as the superuser sees it (row-level security does not apply).
PG_TABLES = (
    *("meta", "contacts", "contact_keys", "interactions", "audit", "settings", "notes"),
    "merges",
)
# What the scene's writes change, kept as built in PRISTINE to put back after a test; the
# change log is emptied (the copy is made after the build's transactions are long over).
RESTORED = ("contacts", "contact_keys", "interactions", "audit", "settings", "notes", "merges")
PRISTINE = "matrix_pristine"


def _restore(table: str, columns: str) -> str:
    """Statements putting ``table`` back as kept in PRISTINE: only the rows a test added or
    changed go, and only the kept rows then missing come back, through ``columns`` (those
    the server does not generate) (writing every row again costs ~5 ms of server time a case:
    each goes through the tables' checks and indexes)."""
    live, kept = f"{SCHEMA}.{table}", f"{PRISTINE}.{table}"
    return (
        f"DELETE FROM {live} AS t WHERE NOT EXISTS "
        f"(SELECT FROM {kept} AS p WHERE p::text = t::text); "
        f"INSERT INTO {live} ({columns}) SELECT {columns} FROM {kept} AS p WHERE NOT EXISTS "
        f"(SELECT FROM {live} AS t WHERE t::text = p::text)"
    )


def restore_statements(conn: psycopg.Connection[Any]) -> str:
    """The query putting the scene back, for the store's tables as the server has them.

    As a replica would: no triggers (no change log, no notifications) while the rows are put
    back. DELETE rather than TRUNCATE: on tables this small it is several times faster
    (TRUNCATE makes new files). One round trip: statements sent in one query string run as one
    transaction. Replica mode checks no foreign key either; every table ends as kept."""
    rows = conn.execute(
        "SELECT table_name, string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)"
        " FROM information_schema.columns WHERE table_schema = %s AND is_generated = 'NEVER'"
        " GROUP BY table_name",
        (SCHEMA,),
    ).fetchall()
    columns = dict(rows)
    return "; ".join(
        [
            "SET LOCAL session_replication_role = replica",
            f"DELETE FROM {SCHEMA}.contact_changes",
            *(_restore(table, columns[table]) for table in RESTORED),
        ]
    )


class PgPlace:
    """Where a PostgreSQL scene lives: its working database, a superuser connection to it (to
    set grants, take fingerprints and put the scene back), and one store connected as the
    scene's user, kept across tests (a connection costs ~8 ms; the permissions it holds are
    read from the server afresh in each test, so keeping it open hides no grant change).

    A case costs a few round trips, so none is spent on what is known: the superuser connection
    is not tried before each use (a use that finds it lost makes it again and runs once more),
    and after :meth:`reset` found or put back the scene as built, the next fingerprint is the
    built one until a store is handed out that could change it."""

    def __init__(self, server: PgServer, database: str, user: str) -> None:
        self.url = server.url(database, user)
        self.user = user
        self._server = server
        self._database = database
        self._admin_conn = server.connect(database)
        self._store: PostgresStore | None = None
        self._superuser = PostgresStore.open(server.url(database))
        # The fingerprint the database has, when no store that could change it was handed out
        # since it was taken (None: take it).
        self._known: Fingerprint | None = None
        self._pristine = self._known = self.fingerprint()
        self._restore = restore_statements(self._admin_conn)

    def _as_superuser(self, run: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``run(conn)`` on the superuser connection; on a new one, once more, if the kept one
        was lost (other tests in this process restart the server). Everything run here may run
        twice: it reads, or sets what it sets in one transaction."""
        try:
            return run(self._admin_conn)
        except psycopg.OperationalError:
            if not self._admin_conn.broken:
                raise
        self._admin_conn.close()
        self._admin_conn = self._server.connect(self._database)
        return run(self._admin_conn)

    def connect(self, combo: Combo) -> tuple[PostgresStore, frozenset[Permission]]:
        """``user`` holds exactly ``combo``: the store as ``user`` (reconnected if the server
        dropped the kept connection) and the permissions the server says it holds."""
        self._as_superuser(lambda conn: grant_exactly(conn, self.user, combo))
        self._known = None
        if self._store is not None:
            try:
                return self._store, self._store.permissions()
            except StoreError:
                self._store.close()
        self._store = PostgresStore.open(self.url)
        return self._store, self._store.permissions()

    def superuser_store(self) -> PostgresStore:
        """The store as the superuser, whom row-level security does not limit."""
        self._known = None
        return self._superuser

    def fingerprint(self) -> Fingerprint:
        """The database as it is now (see :func:`pg_fingerprint`)."""
        if self._known is not None:
            return self._known
        return self._as_superuser(pg_fingerprint)

    def reset(self) -> None:
        """Put the scene back as it was built, if a test changed it."""
        self._known = None
        if self.fingerprint() == self._pristine:
            self._known = self._pristine
            return
        self._as_superuser(lambda conn: conn.execute(self._restore))

    def close(self) -> None:
        """Close the store and the superuser connection."""
        if self._store is not None:
            self._store.close()
        self._superuser.close()
        self._admin_conn.close()


def pg_fingerprint(conn: psycopg.Connection[Any]) -> Fingerprint:
    """A digest of every table's rows (and the change log's) and the audit table's size, read
    through ``conn``, a superuser's connection (row-level security does not hide rows)."""
    names = (*PG_TABLES, "contact_changes")
    digests = ", ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) "
        f"FROM {SCHEMA}.{table} AS t)"
        for table in names
    )
    row = conn.execute(f"SELECT {digests}, (SELECT count(*) FROM {SCHEMA}.audit)").fetchone()
    assert row is not None
    files = {name: str(digest).encode() for name, digest in zip(names, row, strict=False)}
    return Fingerprint(files, int(row[-1]))


def _names(roles: list[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(r) for r in roles)


def grant_exactly(conn: psycopg.Connection[Any], user: str, combo: Combo) -> None:
    """``user`` is a login role holding exactly the permission roles of ``combo`` (and may use
    the store): one round trip, one transaction (tests.contract.set_grants takes several), and
    one more to create the role the first time (or after a test dropped it)."""
    wanted = [USER_ROLE, *(PERMISSION_ROLES[p] for p in combo)]
    unwanted = [r for r in (*PERMISSION_ROLES.values(), *GROUP_ROLES.values()) if r not in wanted]
    ident = sql.Identifier(user)
    # Several statements in one query string run as one implicit transaction.
    statements = [
        sql.SQL("REVOKE {} FROM {}").format(_names(unwanted), ident),
        sql.SQL("GRANT {} TO {}").format(_names(wanted), ident),
    ]
    try:
        conn.execute(sql.SQL("; ").join(statements))
    except pg_errors.UndefinedObject:
        statements.insert(0, sql.SQL("CREATE ROLE {} LOGIN").format(ident))
        conn.execute(sql.SQL("; ").join(statements))


def _keep_pristine(url: str) -> None:
    """Copy the scene's tables aside (readable by the superuser only), to put them back."""
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(f"CREATE SCHEMA {PRISTINE}")
        conn.execute(f"REVOKE ALL ON SCHEMA {PRISTINE} FROM PUBLIC")
        for table in RESTORED:
            conn.execute(f"CREATE TABLE {PRISTINE}.{table} AS TABLE {SCHEMA}.{table}")
        conn.execute(f"TRUNCATE {SCHEMA}.contact_changes")


class PgScenes:
    """The scene in PostgreSQL, per agent: built once per test process in a template database
    (the store's schema, then the scene through the service as the agent holding every
    permission, the server's word for who acted), copied into a working database once, and
    handed to each test with a clock of its own. Roles are cluster-wide, so its users are only
    for tests in the "postgres" xdist group."""

    def __init__(self, server: PgServer, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self._scenes: dict[str, Scene] = {}
        self._databases: Databases | None = None

    def scene(self, user: str) -> Scene:
        """``user``'s scene, as built (the previous test's changes were put back)."""
        if user not in self._scenes:
            self._scenes[user] = self._build(user)
        built = self._scenes[user]
        return replace(built, clock=FixedClock(built.clock.now))

    def _build(self, user: str) -> Scene:
        cast: dict[str, Any] = {}
        path = self.folder / f"pg-{user}" / "store.json"

        def install(url: str) -> None:
            admin.init(url)
            with self.server.connect() as conn:
                grant_exactly(conn, user, frozenset(Permission))
                grant_exactly(conn, OTHER_AGENT, frozenset(Permission))
                # Routed to as well: an interaction is only taken for an agent who may view.
                grant_exactly(conn, "carol", frozenset({Permission.VIEW}))
            store = PostgresStore.open(make_conninfo(url, user=user))
            bob = PostgresStore.open(make_conninfo(url, user=OTHER_AGENT))
            try:
                clock = FixedClock()
                agent = exactly(store.user, store.permissions())
                service = ContactService(store, make_config(path), agent, clock)
                other = ContactService(
                    bob, make_config(path), exactly(bob.user, bob.permissions()), clock
                )
                cast.update(_act_out(service, other, clock, user))
            finally:
                store.close()
                bob.close()
            _keep_pristine(url)

        template = self.server.template(f"matrix_{user}", install)
        if self._databases is None:
            # Made after the template, so dropping it leaves the roles the template needs.
            self._databases = Databases(self.server)
        database = self._databases.create(template=template)
        place = PgPlace(self.server, database.name, user)
        return Scene(path=path, pg=place, **cast)

    def close(self) -> None:
        """Close the connections and drop the working databases."""
        for scene in self._scenes.values():
            assert scene.pg is not None
            scene.pg.close()
        if self._databases is not None:
            self._databases.drop_all()


# --- the screens' keys (tests/permissions/test_gating.py and test_screen_matrix.py) ----------

# The permissions the main screen gates actions on (admin, route, view-all and note edit-all
# gate none of its keys). Holding any one of ANY_ACTION allows some main-screen action; merge
# and delete need view (and merge edit) too.
ANY_ACTION = (PROMOTE, ADD, EDIT, VIEW)
SCREEN_PERMISSIONS = (*ANY_ACTION, MERGE)
OTHERS: Combo = frozenset({ADMIN, ROUTE, VIEW_ALL})


@dataclass(frozen=True)
class Key:
    """A screen's key, its action, and the permission that gates it (None: no permission)."""

    key: str
    action: str
    needs: Permission | None
    # Needed too, besides view (merge rewrites the kept contact: edit).
    also: Combo = frozenset()


# Actions on the contact the profile shows: they apply only while a contact is shown, which
# takes the view permission too.
ON_THE_CONTACT = ("add_to_contacts", "edit", "merge", "merges", "erase", "notes")
# Actions on the selected interaction or its contact: without view none is listed, so they do
# not apply (hidden) rather than being refused.
ON_AN_INTERACTION = (*ON_THE_CONTACT, "link", "unlink", "end_interaction")

MAIN_KEYS = (
    Key("a", "add_to_contacts", PROMOTE),
    Key("n", "new_contact", ADD),
    # The selected contact is ephemeral: Edit on it is Add to Contacts (issue 10), so promote.
    Key("e", "edit", PROMOTE),
    Key("l", "link", VIEW),
    Key("u", "unlink", VIEW),
    Key("d", "directory", VIEW),
    Key("x", "end_interaction", VIEW),
    # The selected contact is ephemeral: merge it into a customer, or list the merges into it.
    Key("m", "merge", MERGE, frozenset({EDIT})),
    Key("M", "merges", MERGE, frozenset({EDIT})),
    # Erase the shown contact (supervisors); the profile's notes never name it (gating.UNNOTED).
    Key("D", "erase", DELETE),
    # The shown contact's notes as a list (reading them needs only view).
    Key("T", "notes", VIEW),
)
DIRECTORY_KEYS = (Key("f3", "new", ADD), Key("f4", "edit", EDIT))


def screen_selection(scene: Scene, combo: Combo) -> Selection:
    """What the main screen has selected for an agent holding ``combo``: the newest of the
    agent's calls and its ephemeral contact, or, without view (nothing listed), nothing."""
    if VIEW not in combo:
        return Selection(None, None)
    return Selection(scene.own_call, scene.ephemeral)


def expected_gate(key: Key, combo: Combo) -> bool | None:
    """What the main screen's footer shows of ``key`` for an agent holding ``combo``, with the
    scene's own call selected (listed only with view): True enabled, None shown disabled (not
    permitted: the key says why), False hidden (does not apply: the key says nothing)."""
    if VIEW not in combo and key.action in ON_AN_INTERACTION:
        return False
    if key.needs is not None and key.needs not in combo:
        return None
    if not key.also <= combo:
        return None
    return True


def expect_notes(notes: str, combo: Combo) -> None:
    """The profile names every permission the agent lacks for a screen action, and no other."""
    # Erasure is a supervisor's: no agent is told on every profile that it lacks delete.
    assert DELETE.value not in notes, notes
    missing = [p for p in SCREEN_PERMISSIONS if p not in combo]
    if all(p in missing for p in ANY_ACTION):
        assert "allow no contact actions" in notes and "Ask your admin" in notes
        return
    for permission in SCREEN_PERMISSIONS:
        assert (permission.value in notes) == (permission in missing), (permission, notes)
