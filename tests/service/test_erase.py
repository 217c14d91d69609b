"""Erasing a contact for an erasure request (issue 13) on both stores: the contact, its keys,
its notes and the contacts merged into it are gone; its interactions stay, unlinked; every
audit record about it (merge records' images included) keeps who, when, what and the id only;
viewers and agents are refused; and the embedded store's files no longer hold its data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.identity import phone_identity
from contact_tui.domain.model import (
    AuditAction,
    AuditRecord,
    Channel,
    Contact,
    EmailKind,
    Participant,
    Permission,
    PhoneKind,
)
from contact_tui.service import ContactService, InvalidInput, NewInteraction, PermissionDenied
from contact_tui.store.errors import NotFound
from contact_tui.store.repository import Repository
from tests.contract import Factory
from tests.factories import FixedClock, make_agent, make_config

NAME = ("Zelda", "Quixotic")
NUMBER = "+1 317 555 0101"
NUMBER_E164 = "+13175550101"
EMAIL = "zelda.quixotic@example.com"
NOTE = "Prefers calls after six; account 99-QX-0417."
NEW_NUMBER = "+1 317 555 0177"
AGENT_ROLE = (
    Permission.VIEW,
    Permission.ADD,
    Permission.EDIT,
    Permission.PROMOTE,
    Permission.MERGE,
)


def _zelda(service: ContactService) -> Contact:
    return service.create_contact(
        ContactDraft(
            first_name=NAME[0],
            last_name=NAME[1],
            emails={EmailKind.WORK: EMAIL},
            phones={PhoneKind.CELL: PhoneDraft(NUMBER)},
        )
    )


def _call(service: ContactService, number: str, agent: str = "alice") -> Any:
    return service.handle_interaction(NewInteraction(agent, Channel.VOICE, Participant(number)))


def _bare(record: AuditRecord) -> bool:
    """True when a record keeps who, when, what and the contact id, and nothing else."""
    return (
        record.fields == ()
        and record.version is None
        and record.interaction_id is None
        and record.note_id is None
        and record.merge is None
        and record.unmerge is None
    )


def _history_of(
    service: ContactService, zelda: Contact, clock: FixedClock, her_calls: bool = True
) -> dict[str, Any]:
    """Zelda with a note, an edit, a caller's ephemeral contact merged into her (its call
    relinked) and, with ``her_calls``, a call from her number (bob's, linked to her) and one
    offering her as a candidate (her number on another contact too)."""
    note = service.add_note(zelda.id, NOTE)
    clock.now += timedelta(minutes=1)
    edited = service.edit(
        zelda.id,
        ContactDraft(
            first_name=NAME[0],
            last_name=NAME[1],
            title="Buyer",
            emails={EmailKind.WORK: EMAIL},
            phones={PhoneKind.CELL: PhoneDraft(NUMBER)},
        ),
        zelda.version,
    )
    made: dict[str, Any] = {"note": note, "edited": edited}
    if her_calls:
        clock.now += timedelta(minutes=1)
        made["linked"] = linked = _call(service, NUMBER, agent="bob")
        assert linked.contact_id == zelda.id
        made["twin"] = twin = service.create_contact(
            ContactDraft(
                first_name="Ann", last_name="Other", phones={PhoneKind.WORK: PhoneDraft(NUMBER)}
            )
        )
        clock.now += timedelta(minutes=1)
        made["offered"] = offered = _call(service, NUMBER)
        assert set(offered.candidate_ids) == {zelda.id, twin.id}
    clock.now += timedelta(minutes=1)
    made["stranger"] = stranger = _call(service, NEW_NUMBER)
    made["ephemeral_id"] = stranger.contact_id
    made["merge"] = service.merge(zelda.id, stranger.contact_id).record
    return made


def test_erasing_removes_the_contact_and_keeps_who_when_and_the_id_only(
    service_for: Factory, clock: FixedClock
) -> None:
    alice = service_for("alice")
    zelda = _zelda(alice)
    made = _history_of(alice, zelda, clock)
    clock.now += timedelta(minutes=1)
    dana = service_for("dana", Permission.VIEW, Permission.DELETE)
    record = dana.erase_contact(zelda.id)
    assert (record.action, record.agent, record.contact_id) == (AuditAction.ERASE, "dana", zelda.id)
    assert _bare(record)

    alice.refresh()  # dana's write, made through a store of her own
    repo = alice.repo
    assert repo.contact(zelda.id) is None
    assert [c.id for c in repo.contacts_by_key(phone_identity(NUMBER_E164))] == [made["twin"].id]
    assert alice.search(NAME[1]).contacts == []
    assert repo.notes_for(zelda.id) == [] and repo.note(made["note"].id) is None
    # The merged-away contact went with her: its id finds nothing now.
    assert repo.merged_into(made["ephemeral_id"]) is None
    with pytest.raises(NotFound):
        alice.contact(made["ephemeral_id"])
    # Her interactions stay, unlinked, and no longer offer her.
    for key in ("linked", "stranger"):
        kept = repo.interaction(made[key].id)
        assert kept is not None and kept.contact_id is None
    offered = repo.interaction(made["offered"].id)
    assert offered is not None and offered.candidate_ids == (made["twin"].id,)
    # The audit: every record about her bare, the erase record last; the merge can no longer
    # be undone (its images are gone).
    trail = alice.audit(zelda.id)
    assert trail[-1].id == record.id and trail[-1].action == AuditAction.ERASE
    assert {r.action for r in trail} >= {
        AuditAction.CREATE,
        AuditAction.EDIT,
        AuditAction.NOTE_ADD,
        AuditAction.MERGE,
    }
    assert all(_bare(r) and r.contact_id == zelda.id for r in trail)
    assert all(_bare(r) for r in alice.audit(made["ephemeral_id"]))
    with pytest.raises(InvalidInput):
        alice.unmerge(made["merge"].id)
    # Others are untouched.
    twin = repo.contact(made["twin"].id)
    assert twin is not None and twin.version == made["twin"].version


def test_a_merge_record_in_another_contacts_history_loses_its_images(
    service_for: Factory, clock: FixedClock
) -> None:
    """The erased contact was merged into another and the merge undone: the merge record is in
    the other contact's history, and its images of the erased one go (the other's own
    history otherwise stays)."""
    alice = service_for("alice")
    customer = alice.create_contact(ContactDraft(first_name="Sam", last_name="Lee"))
    clock.now += timedelta(minutes=1)
    call = _call(alice, NEW_NUMBER)
    ephemeral_id = call.contact_id
    merged = alice.merge(customer.id, ephemeral_id)
    clock.now += timedelta(minutes=1)
    alice.unmerge(merged.record.id)
    alice.erase_contact(ephemeral_id)
    kept_merge = alice.repo.audit_record(merged.record.id)
    assert kept_merge is not None and _bare(kept_merge)
    assert kept_merge.contact_id == customer.id
    create = alice.audit(customer.id)[0]
    assert create.action == AuditAction.CREATE and create.fields  # not about her: kept whole
    assert alice.repo.contact(customer.id) is not None


@pytest.mark.parametrize(
    "role",
    [pytest.param((Permission.VIEW,), id="viewer"), pytest.param(AGENT_ROLE, id="agent")],
)
def test_a_viewer_or_an_agent_is_refused_and_nothing_changes(
    service_for: Factory, clock: FixedClock, role: tuple[Permission, ...]
) -> None:
    alice = service_for("alice")
    zelda = _zelda(alice)
    before = alice.audit(zelda.id)
    sam = service_for("sam", *role)
    with pytest.raises(PermissionDenied) as refused:
        sam.erase_contact(zelda.id)
    assert refused.value.permission == Permission.DELETE
    assert alice.repo.contact(zelda.id) == zelda and alice.audit(zelda.id) == before


def test_a_missing_or_merged_away_id_is_refused(service_for: Factory) -> None:
    alice = service_for("alice")
    customer = alice.create_contact(ContactDraft(first_name="Sam", last_name="Lee"))
    ephemeral_id = _call(alice, NEW_NUMBER).contact_id
    alice.merge(customer.id, ephemeral_id)
    with pytest.raises(NotFound):
        alice.erase_contact("no-such-contact")
    with pytest.raises(InvalidInput, match=customer.id):
        alice.erase_contact(ephemeral_id)
    assert alice.repo.contact(customer.id) is not None


def test_the_embedded_stores_files_no_longer_hold_the_erased_data(
    store_path: Path, clock: FixedClock
) -> None:
    """Every file of the store's folder (snapshot, journal, their backups) is read as bytes:
    the name, number, email and note text are in none of them after the erasure, though they
    were before (the backups of the last compaction included). No call came from her number:
    an interaction keeps the address it came from (README, "Erasing a contact")."""
    opened: list[Repository] = []

    def service(user: str, *permissions: Permission) -> ContactService:
        repo = Repository.open(store_path)
        opened.append(repo)
        return ContactService(repo, make_config(store_path), make_agent(user, *permissions), clock)

    alice = service("alice")
    zelda = _zelda(alice)
    _history_of(alice, zelda, clock, her_calls=False)  # a call holds its own caller's number
    assert isinstance(alice.repo, Repository)
    alice.repo.store.compact()  # the data is in the snapshot and its backups too now
    _call(alice, NUMBER.replace("0101", "0999"))  # and in a journal behind them
    secrets = [NAME[1], NUMBER_E164, NUMBER, EMAIL, NOTE, "Quixotic".lower()]
    folder = store_path.parent

    def holding() -> set[str]:
        found = set()
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found |= {s for s in secrets if s.encode() in data}
        return found

    assert NAME[1] in holding() and NUMBER_E164 in holding()
    service("dana", Permission.VIEW, Permission.DELETE).erase_contact(zelda.id)
    assert holding() == set()
    # The store still opens and reads as it was left.
    reopened = service("alice")
    assert reopened.repo.contact(zelda.id) is None
    assert reopened.audit(zelda.id)[-1].action == AuditAction.ERASE
    for repo in opened:
        repo.close()
