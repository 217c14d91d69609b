"""Merge and unmerge at the database boundary (issue 13): what an agent could try with ``psql``
instead of the app. The merge functions check the merge permission themselves, write their own
audit records from the rows they lock (a client's "before-images" are ignored), and an unmerge
brings back only what a merge the server made remembered, never what an audit record a client
wrote claims.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb

from contact_tui.domain import codec as docs
from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Channel, Contact, Participant, Permission
from contact_tui.service import ContactService, NewInteraction
from contact_tui.store.postgres.schema import SCHEMA
from tests.contract import ContractDatabase, Stores
from tests.factories import FixedClock
from tests.permissions.matrix import pg_fingerprint

pytestmark = pytest.mark.pg

AGENT_WITHOUT_MERGE = (Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE)
MERGER = (Permission.VIEW, Permission.EDIT, Permission.MERGE)


@pytest.fixture
def pg(request: pytest.FixtureRequest, store_path: Path, clock: FixedClock) -> Iterator[Stores]:
    """The contract suite's PostgreSQL store, emptied, with its users made as asked."""
    stores = Stores("postgres", store_path, clock, request)
    yield stores
    stores.close()


def _pair(service: ContactService) -> tuple[Contact, Contact, str]:
    """A curated customer, the ephemeral contact of a call from a new number, and the call."""
    customer = service.create_contact(ContactDraft(first_name="Sam", last_name="Lee"))
    call = service.handle_interaction(
        NewInteraction("bob", Channel.VOICE, Participant("+1 317 555 0177"))
    )
    ephemeral = service.repo.contact(call.contact_id or "")
    assert ephemeral is not None
    return customer, ephemeral, call.id


def _merge_args(kept: Contact, other: Contact, audit: dict[str, Any]) -> tuple[Any, ...]:
    doc = docs.contact_to_doc(kept)
    return (Jsonb(doc), kept.version, other.id, other.version, Jsonb(audit))


MERGE_SQL = f"SELECT {SCHEMA}.merge_contacts(%s, %s, %s, %s, %s)"
UNMERGE_SQL = f"SELECT {SCHEMA}.unmerge_contacts(%s, %s, %s, %s)"


def _psql(pg: Stores, user: str) -> psycopg.Connection[Any]:
    database: ContractDatabase = pg._database
    return psycopg.connect(database.url(user), autocommit=True)


def test_an_agent_without_merge_cannot_call_the_merge_functions(pg: Stores) -> None:
    setup = pg.service("alice")
    customer, ephemeral, call_id = _pair(setup)
    pg.service("merge_nomerge", *AGENT_WITHOUT_MERGE)
    admin = pg._database.admin
    before = pg_fingerprint(admin)
    with _psql(pg, "merge_nomerge") as conn:
        with pytest.raises(pg_errors.InsufficientPrivilege) as refused:
            conn.execute(MERGE_SQL, _merge_args(customer, ephemeral, {"id": "m1"}))
        assert refused.value.diag.message_hint == Permission.MERGE.value
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute(f"SELECT * FROM {SCHEMA}.merge_interactions(%s)", (ephemeral.id,))
        # Nor write the merges table itself, to plant a merge an unmerge would act on.
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute(
                f"INSERT INTO {SCHEMA}.merges VALUES ('x', %s, 'm2', '{{}}')",
                (customer.id,),
            )
    assert pg_fingerprint(admin) == before
    # Positive control: with merge (and view and edit) the same call works.
    pg.service("merge_merger", *MERGER)
    with _psql(pg, "merge_merger") as conn:
        written = conn.execute(MERGE_SQL, _merge_args(customer, ephemeral, {"id": "m1"}))
        assert written.fetchone() is not None
    relinked = admin.execute(
        f"SELECT contact_id FROM {SCHEMA}.interactions WHERE id = %s", (call_id,)
    ).fetchone()
    assert relinked == (customer.id,)  # bob's interaction, relinked with definer rights


def test_the_merge_record_holds_the_servers_before_images_not_the_clients(pg: Stores) -> None:
    setup = pg.service("alice")
    customer, ephemeral, _ = _pair(setup)
    pg.service("merge_merger", *MERGER)
    forged_other = docs.contact_to_doc(ephemeral) | {"firstName": "Forged"}
    audit = {
        "id": "m1",
        "agent": "someone-else",
        "at": "2000-01-01T00:00:00.000Z",
        "merge": {"otherBefore": forged_other, "keptBefore": forged_other},
    }
    with _psql(pg, "merge_merger") as conn:
        conn.execute(MERGE_SQL, _merge_args(customer, ephemeral, audit))
    row = pg._database.admin.execute(
        f"SELECT agent, doc FROM {SCHEMA}.audit WHERE id = 'm1'"
    ).fetchone()
    assert row is not None
    agent, doc = row
    assert agent == "merge_merger" and doc["agent"] == "merge_merger" and doc["at"] != audit["at"]
    record = docs.audit_from_doc(doc)
    assert record.merge is not None
    assert record.merge.other_before == ephemeral
    assert record.merge.kept_before == customer


def test_a_forged_merge_record_brings_nothing_back(pg: Stores) -> None:
    """An agent with every permission writes an audit record that claims a merge (with a
    curated contact of their making as its "before-image") through add_audit, then asks to
    undo it: add_audit refuses a record of no change the transaction made, and there is no
    such merge to undo, so nothing is created."""
    setup = pg.service("alice")
    customer = setup.create_contact(ContactDraft(first_name="Sam", last_name="Lee"))
    planted = Contact(id="planted", type=customer.type, first_name="Eve", last_name="X", version=1)
    forged = {
        "id": "forged",
        "action": "merge",
        "contactId": customer.id,
        "fields": [],
        "merge": {
            "keptBefore": docs.contact_to_doc(customer),
            "otherBefore": docs.contact_to_doc(planted),
            "keptAfter": docs.contact_to_doc(customer),
            "relinked": [],
        },
    }
    admin = pg._database.admin
    before = pg_fingerprint(admin)
    with _psql(pg, "alice") as conn, pytest.raises(pg_errors.InsufficientPrivilege):
        conn.execute(f"SELECT {SCHEMA}.add_audit(%s)", (Jsonb(forged),))
    assert pg_fingerprint(admin) == before
    with _psql(pg, "alice") as conn:
        doc = docs.contact_to_doc(customer)
        with pytest.raises(pg_errors.NoDataFound):
            conn.execute(UNMERGE_SQL, ("forged", Jsonb(doc), customer.version, Jsonb({"id": "u1"})))
    assert pg_fingerprint(admin) == before
    assert admin.execute(f"SELECT 1 FROM {SCHEMA}.contacts WHERE id = 'planted'").fetchone() is None


def test_an_audit_record_the_app_cannot_read_is_refused(pg: Stores) -> None:
    setup = pg.service("alice")
    customer, ephemeral, _ = _pair(setup)
    before = pg_fingerprint(pg._database.admin)
    with _psql(pg, "alice") as conn, pytest.raises(pg_errors.InvalidParameterValue):
        conn.execute(MERGE_SQL, _merge_args(customer, ephemeral, {"id": "m1", "fields": [1]}))
    assert pg_fingerprint(pg._database.admin) == before


def test_a_curated_contact_cannot_be_merged_into_an_ephemeral_one_by_sql(pg: Stores) -> None:
    setup = pg.service("alice")
    customer, ephemeral, _ = _pair(setup)
    before = pg_fingerprint(pg._database.admin)
    with _psql(pg, "alice") as conn, pytest.raises(pg_errors.InvalidParameterValue):
        conn.execute(MERGE_SQL, _merge_args(ephemeral, customer, {"id": "m1"}))
    assert pg_fingerprint(pg._database.admin) == before


def test_the_save_without_an_audit_record_is_the_merge_functions_alone(pg: Stores) -> None:
    """store_contact saves without writing the version's audit record (a merge writes its
    own); an agent with every permission calling it directly is refused, and nothing moves."""
    setup = pg.service("alice")
    customer = setup.create_contact(ContactDraft(first_name="Sam", last_name="Lee"))
    doc = docs.contact_to_doc(customer)
    doc["title"] = "Unaudited"
    before = pg_fingerprint(pg._database.admin)
    with _psql(pg, "alice") as conn, pytest.raises(pg_errors.InsufficientPrivilege):
        conn.execute(
            f"SELECT {SCHEMA}.store_contact(%s, %s, NULL, NULL, false)",
            (Jsonb(doc), customer.version),
        )
    assert pg_fingerprint(pg._database.admin) == before


def test_a_match_key_planted_by_sql_does_not_steer_an_unmerge(pg: Stores) -> None:
    """An agent with psql saves a new call of theirs, linked to the customer, that claims the
    ephemeral contact's number as the key it matched by. Had the server kept it, the unmerge
    would move the call to the ephemeral contact (it moves the calls the merged-in number
    matched); save_interaction drops a key its link and candidates do not hold, so the call
    stays with the customer. Positive control: a key they hold is kept."""
    setup = pg.service("alice")
    customer, ephemeral, call_id = _pair(setup)
    stolen_key = "tel:+13175550177"
    assert setup.interaction(call_id).match_key == stolen_key
    pg.service("merge_agent", *AGENT_WITHOUT_MERGE)
    honest = setup.handle_interaction(
        NewInteraction("merge_agent", Channel.VOICE, Participant("+1 317 555 0177"))
    )
    planted = docs.interaction_to_doc(honest) | {
        "id": "planted-call",
        "contactId": customer.id,
        "candidateIds": [customer.id],
        "matchKey": stolen_key,
    }
    kept = docs.interaction_to_doc(honest) | {"id": "honest-copy"}
    with _psql(pg, "merge_agent") as conn:
        conn.execute(f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(planted),))
        conn.execute(f"SELECT {SCHEMA}.save_interaction(%s)", (Jsonb(kept),))
    admin = pg._database.admin
    stored = dict(
        admin.execute(
            f"SELECT id, doc ->> 'matchKey' FROM {SCHEMA}.interactions WHERE id = ANY(%s)",
            (["planted-call", "honest-copy"],),
        ).fetchall()
    )
    assert stored == {"planted-call": None, "honest-copy": stolen_key}

    done = setup.merge(customer.id, ephemeral.id)
    setup.unmerge(done.record.id)
    linked = admin.execute(
        f"SELECT contact_id FROM {SCHEMA}.interactions WHERE id = 'planted-call'"
    ).fetchone()
    assert linked == (customer.id,)
