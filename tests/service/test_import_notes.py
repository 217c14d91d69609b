"""Contact notes in imports and exports (issue 13), on both stores: a row's notes become the
contact's notes (by the importing user, dated when written), importing a file again or an
export of the same store adds none, every format's export carries the notes and reads them
back, and adding one needs edit, as on the profile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import orjson
import pytest

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import AuditAction, Contact, Permission, PhoneKind
from contact_tui.exchange import formats
from contact_tui.exchange.importer import ImportReport, ProblemKind
from contact_tui.exchange.rows import ImportRow, ParsedFile
from contact_tui.service import ContactService

Factory = Callable[..., ContactService]
FORMATS = ("genesys", "csv", "vcard")

CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Sam;;;\r\nTEL;TYPE=cell:+1 317 555 0123\r\n"
    "NOTE:Prefers email.\\nNever before 10am.\r\nNOTE:Account 4471\\, gold tier.\r\n"
    "NOTE:Prefers email.\\nNever before 10am.\r\nEND:VCARD\r\n"
)
CARD_NOTES = ["Prefers email.\nNever before 10am.", "Account 4471, gold tier."]


def texts(service: ContactService, contact_id: str) -> list[str]:
    """A contact's note texts, oldest first."""
    return [n.text for n in reversed(service.contact_notes(contact_id))]


def state(service: ContactService) -> object:
    """Everything an import could change: the contacts, their notes and their audit trails."""
    contacts = service.export_contacts()
    return (
        contacts,
        [service.contact_notes(c.id) for c in contacts],
        [service.audit(c.id) for c in contacts],
    )


def only_contact(service: ContactService) -> Contact:
    [contact_id] = service.repo.contact_ids()
    return service.contact(contact_id)


def import_text(service: ContactService, fmt: str, text: str) -> ImportReport:
    _, parsed = formats.parse(f"file.{fmt}", text.encode(), fmt)
    return service.import_contacts(parsed)


def test_each_note_of_a_card_becomes_a_note_by_the_importer_once(service: ContactService) -> None:
    report = service.import_contacts(formats.parse("a.vcf", CARD.encode())[1])

    assert report.problems == [] and report.written
    contact = only_contact(service)
    notes = service.contact_notes(contact.id)
    # The repeated NOTE is one note. (Notes one import adds share their time to the
    # millisecond, so their order among themselves is not kept: compared as sets.)
    assert sorted(texts(service, contact.id)) == sorted(CARD_NOTES)
    assert {n.created_by for n in notes} == {"alice"}  # the importing user (PG: session_user)
    assert [n.line for n in report.notes_added] == [5, 5]
    assert report.summary().endswith("1 created, 0 updated, 0 unchanged, 2 notes added.")
    # Audited as any added note, and the contact's version is the import's, not bumped.
    added = [r for r in service.audit(contact.id) if r.action == AuditAction.NOTE_ADD]
    assert {r.note_id for r in added} == {n.id for n in notes}
    assert contact.version == 1


def test_importing_the_same_file_again_adds_no_note_and_writes_nothing(
    service: ContactService,
) -> None:
    service.import_contacts(formats.parse("a.vcf", CARD.encode())[1])
    before = state(service)

    again = service.import_contacts(formats.parse("a.vcf", CARD.encode())[1])

    assert (again.notes_added, again.unchanged, again.written) == ([], 1, False)
    assert state(service) == before


def test_a_new_note_for_a_known_contact_is_added_and_the_contact_left_as_it_is(
    service: ContactService,
) -> None:
    service.import_contacts(formats.parse("a.vcf", CARD.encode())[1])
    contact = only_contact(service)
    card = CARD.replace("NOTE:Account", "NOTE:Moved to Leeds.\r\nNOTE:Account")

    report = service.import_contacts(formats.parse("a.vcf", card.encode())[1])

    assert report.unchanged == 1 and report.written
    assert report.summary().endswith("0 created, 0 updated, 1 unchanged, 1 note added.")
    assert sorted(texts(service, contact.id)) == sorted([*CARD_NOTES, "Moved to Leeds."])
    assert service.contact(contact.id).version == contact.version


def test_a_note_is_compared_after_the_note_rule_cleans_it(service: ContactService) -> None:
    contact = service.create_contact(ContactDraft(first_name="Sam", last_name="Lee"))
    service.add_note(contact.id, "Two lines\nhere")
    rows = [
        ImportRow(
            2,
            ContactDraft(first_name="Sam", last_name="Lee"),
            frozenset({"firstName", "lastName"}),
            contact_id=contact.id,
            contact_notes=["\n\nTwo lines   \r\nhere  \n", "two lines\nhere"],
        )
    ]

    report = service.import_contacts(ParsedFile(rows=rows))

    # Trailing spaces, CRLF and blank lines around are the rule's to drop: the same note.
    # Another case is another note (exact text).
    assert [n.text for n in report.notes_added] == ["two lines\nhere"]
    # Both notes may carry the same millisecond: their order is not the point here.
    assert sorted(texts(service, contact.id)) == ["Two lines\nhere", "two lines\nhere"]


def test_a_note_the_rule_refuses_refuses_its_row(service: ContactService) -> None:
    rows = [
        ImportRow(
            3,
            ContactDraft(first_name="Sam", last_name="Lee"),
            contact_notes=["fine", "bell \x07 here"],
        )
    ]

    report = service.import_contacts(ParsedFile(rows=rows))

    [problem] = report.problems
    assert problem.line == 3 and problem.message.startswith("Notes: note 2 of 2:")
    assert service.repo.contact_ids() == [] and not report.written


def test_a_dry_run_counts_the_notes_and_writes_nothing(service: ContactService) -> None:
    report = service.import_contacts(formats.parse("a.vcf", CARD.encode())[1], dry_run=True)

    assert len(report.notes_added) == 2 and not report.written
    assert report.summary() == (
        "Dry run: nothing was written. Importing would give: 1 created, 0 updated, "
        "0 unchanged, 2 notes added."
    )
    assert service.repo.contact_ids() == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_imported_into_the_same_store_changes_nothing(
    service: ContactService, fmt: str
) -> None:
    service.import_contacts(formats.parse("a.vcf", CARD.encode())[1])
    contact = only_contact(service)
    service.add_note(contact.id, "---\nA line like the CSV separator.\n\\---")
    exported = service.export_text(fmt).text
    before = state(service)

    report = import_text(service, fmt, exported)

    assert report.notes_added == [] and not report.written
    assert state(service) == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_imported_into_an_empty_store_gives_the_same_notes(
    service: ContactService, fmt: str
) -> None:
    service.import_contacts(formats.parse("a.vcf", CARD.encode())[1])
    contact = only_contact(service)
    service.add_note(contact.id, "---\nA line like the CSV separator.\n\\---")
    before = texts(service, contact.id)
    exported = service.export_text(fmt).text
    service.erase_contact(contact.id)  # the store is empty again: no contact, no note
    assert service.repo.contact_ids() == []

    report = import_text(service, fmt, exported)

    assert report.problems == []
    assert sorted(texts(service, only_contact(service).id)) == sorted(before)


def test_a_genesys_export_carries_notes_as_note_objects_oldest_first(
    service: ContactService,
) -> None:
    service.import_contacts(formats.parse("a.vcf", CARD.encode())[1])
    contact = only_contact(service)
    notes = service.contact_notes(contact.id)

    [obj] = orjson.loads(service.export_text("genesys").text)

    assert [n["noteText"] for n in obj["notes"]] == [n.text for n in reversed(notes)]
    assert sorted(n["noteText"] for n in obj["notes"]) == sorted(CARD_NOTES)
    first = obj["notes"][0]
    assert set(first) == {
        *("id", "entityId", "entityType", "noteText"),
        *("createDate", "modifyDate", "createdBy"),
    }
    assert (first["entityId"], first["entityType"]) == (contact.id, "Contact")
    assert first["createdBy"] == {"id": "alice"} and first["id"] in {n.id for n in notes}


def test_an_earlier_genesys_export_with_notes_as_one_string_gives_one_note(
    service: ContactService,
) -> None:
    data = orjson.dumps(
        [{"firstName": "Sam", "lastName": "Lee", "notes": "Old export.\nTwo lines."}]
    )

    service.import_contacts(formats.parse("a.json", data)[1])

    assert texts(service, only_contact(service).id) == ["Old export.\nTwo lines."]


def test_notes_that_are_not_note_objects_refuse_the_row(service: ContactService) -> None:
    data = orjson.dumps([{"firstName": "Sam", "lastName": "Lee", "notes": [{"text": "x"}]}])

    report = service.import_contacts(formats.parse("a.json", data)[1])

    [problem] = report.problems
    assert "note 1 has no noteText" in problem.message
    assert service.repo.contact_ids() == []


def test_a_row_adding_a_note_without_edit_is_refused_even_when_it_creates(
    service_for: Factory,
) -> None:
    adder = service_for("adder", Permission.VIEW, Permission.ADD)
    other = CARD.replace("Lee;Sam", "Park;Jo").replace("+1 317 555 0123", "+1 317 555 0199")
    noteless = other.replace("NOTE:Prefers email.\\nNever before 10am.\r\n", "").replace(
        "NOTE:Account 4471\\, gold tier.\r\n", ""
    )
    parsed = formats.parse("a.vcf", (CARD + noteless).encode())[1]

    refused = adder.import_contacts(parsed)

    [problem] = refused.problems
    assert problem.kind == ProblemKind.PERMISSION and problem.line == 1
    assert "would add 2 notes to Sam Lee" in problem.message
    assert Permission.EDIT.value in problem.message
    assert not refused.written and adder.repo.contact_ids() == []
    # --skip-invalid: the row with notes is left out whole, the other one goes in.
    skipped = adder.import_contacts(parsed, skip_invalid=True)
    assert [w.contact.last_name for w in skipped.created] == ["Park"]
    assert skipped.notes_added == [] and skipped.written
    assert [adder.contact(i).last_name for i in adder.repo.contact_ids()] == ["Park"]


def test_a_file_whose_notes_the_contact_has_needs_no_edit(
    service: ContactService, service_for: Factory
) -> None:
    service.import_contacts(formats.parse("a.vcf", CARD.encode())[1])
    viewer_adder = service_for("adder", Permission.VIEW, Permission.ADD)

    report = viewer_adder.import_contacts(formats.parse("a.vcf", CARD.encode())[1])

    assert report.problems == [] and report.unchanged == 1


def test_a_note_added_meanwhile_with_the_same_text_is_not_added_twice(
    service: ContactService, service_for: Factory
) -> None:
    row = ImportRow(
        2,
        ContactDraft(
            first_name="Sam", last_name="Lee", phones={PhoneKind.CELL: PhoneDraft("+13175550123")}
        ),
        frozenset({"firstName", "lastName", "cellPhone"}),
        contact_notes=["Called twice."],
    )
    contact = service.create_contact(row.draft)
    bob = service_for("bob")

    def bob_adds_it_meanwhile(phase: str, done: int, total: int) -> None:
        if phase == "Matching" and done == total and not bob.contact_notes(contact.id):
            bob.add_note(contact.id, "Called twice.")

    report = service.import_contacts(ParsedFile(rows=[row]), progress=bob_adds_it_meanwhile)

    assert report.notes_added == []
    assert [(n.text, n.created_by) for n in service.contact_notes(contact.id)] == [
        ("Called twice.", "bob")
    ]


def test_an_import_planned_again_under_the_lock_still_adds_its_notes_once(
    service: ContactService, service_for: Factory
) -> None:
    draft = ContactDraft(
        first_name="Sam", last_name="Lee", phones={PhoneKind.CELL: PhoneDraft("+13175550123")}
    )
    contact = service.create_contact(draft)
    service.add_note(contact.id, "Prefers SMS.")
    row = ImportRow(
        2,
        replace(draft, title="Buyer"),
        frozenset({"firstName", "lastName", "cellPhone", "title"}),
        contact_notes=["Called twice.", "Prefers SMS."],
    )
    bob = service_for("bob")
    phases: list[str] = []

    def bob_edits_meanwhile(phase: str, done: int, total: int) -> None:
        # The import writes this contact, so a change to it makes the import plan again
        # under the lock (its notes too, from what the transaction sees).
        phases.append(phase)
        current = bob.contact(contact.id)
        if phase == "Matching" and done == total and current.version == 1:
            bob.edit(current.id, replace(ContactDraft.from_contact(current), salutation="Dr"), 1)

    report = service.import_contacts(ParsedFile(rows=[row]), progress=bob_edits_meanwhile)

    assert phases.count("Matching") == 2
    assert [n.text for n in report.notes_added] == ["Called twice."] and report.written
    assert sorted(texts(service, contact.id)) == ["Called twice.", "Prefers SMS."]
    stored = service.contact(contact.id)
    assert (stored.title, stored.salutation) == ("Buyer", "Dr")


def test_an_import_whose_noted_contact_is_erased_meanwhile_plans_again(
    service: ContactService, service_for: Factory
) -> None:
    """The row only adds a note to a stored contact; a supervisor erases that contact between
    the import's plan and its write: the import plans again (the contact is gone, so the row
    makes a new one) rather than fail on a note for no contact."""
    draft = ContactDraft(
        first_name="Sam", last_name="Lee", phones={PhoneKind.CELL: PhoneDraft("+13175550123")}
    )
    contact = service.create_contact(draft)
    row = ImportRow(
        2,
        draft,
        frozenset({"firstName", "lastName", "cellPhone"}),
        contact_notes=["Called twice."],
    )
    supervisor = service_for("carol", *Permission)

    def erased_meanwhile(phase: str, done: int, total: int) -> None:
        if phase == "Matching" and done == total and supervisor.repo.contact(contact.id):
            supervisor.erase_contact(contact.id)

    report = service.import_contacts(ParsedFile(rows=[row]), progress=erased_meanwhile)

    assert service.repo.contact(contact.id) is None
    (made,) = [w.contact for w in report.created]
    assert texts(service, made.id) == ["Called twice."]
