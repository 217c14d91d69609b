"""Importing and exporting contacts through the service: matching, one transaction, conflicts,
permissions and the audit trail, against a real temporary store."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    Address,
    AuditAction,
    AuditRecord,
    Channel,
    Contact,
    ContactType,
    EmailKind,
    MessagingIdentity,
    Participant,
    Permission,
    PhoneKind,
    Platform,
)
from contact_tui.domain.rules import parse_phone
from contact_tui.exchange.genesys import read_genesys, write_genesys
from contact_tui.exchange.rows import ALL_FIELDS, ImportRow, ParsedFile
from contact_tui.exchange.vcard import read_vcard, write_vcard
from contact_tui.service import ContactService, NewInteraction, PermissionDenied
from contact_tui.store.repository import Repository
from tests.factories import FixedClock

Factory = Callable[..., ContactService]
EVERYTHING = (Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE)


def full_contact(contact_id: str = "7f1c2a9e-0000-4000-8000-000000000001") -> Contact:
    """A contact with every kind of field filled, non-ASCII and unusual numbers included."""
    when = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    return Contact(
        id=contact_id,
        type=ContactType.CURATED,
        first_name="Zoë",
        middle_name="Łucja",
        last_name="Nguyễn-O'Brien",
        salutation="Dr",
        title="Head of Ops, EMEA",
        work_phone=parse_phone("(212) 555-0100 ext. 42", "US"),
        home_phone=parse_phone("+44 20 7946 0958", "US"),
        cell_phone=parse_phone("+1 317 555 0123", "US", accepts_sms=True),
        other_phone=parse_phone("+881 6 3211 2345", "US"),
        work_email="zoe@example.com",
        personal_email="zoë@exämple.org",
        other_email="z.nguyen@example.net",
        address=Address("1 Rue de l'Église", "Bât. B", "Montréal", "QC", "H2X 1Y4", "CA"),
        identities=(
            MessagingIdentity(Platform.WHATSAPP, ("+13175550123",), "Zoë"),
            MessagingIdentity(Platform.FACEBOOK, ("fb-1", "fb-2"), "Zoë N"),
            MessagingIdentity(Platform.TWITTER, ("12345",), "Zoë", "zoe_n"),
        ),
        survey_opt_out=True,
        external_system_url="https://crm.example.com/c/1",
        create_date=when,
        modify_date=when,
    )


def kept_as_typed() -> Contact:
    """A contact whose only number is not searchable (kept as typed)."""
    return Contact(
        id="7f1c2a9e-0000-4000-8000-000000000002",
        type=ContactType.EPHEMERAL,
        first_name="山田",
        last_name="太郎",
        other_phone=parse_phone("12", "US"),
        create_date=datetime(2025, 1, 1, tzinfo=UTC),
        modify_date=datetime(2025, 1, 1, tzinfo=UTC),
    )


def store_contacts(service: ContactService, *contacts: Contact) -> None:
    """Contacts as a store holds them, each with the audit record its version needs (the
    PostgreSQL store refuses a version without one)."""
    with service.repo.write("seed") as uow:
        for contact in contacts:
            saved = uow.save_contact(contact, 0)
            uow.add_audit(
                AuditRecord(
                    id=str(uuid.uuid4()),
                    at=saved.create_date or datetime(2026, 1, 1, tzinfo=UTC),
                    agent="seed",
                    action=AuditAction.CREATE,
                    contact_id=saved.id,
                    fields=(),
                    version=saved.version,
                )
            )


def customer_fields(contact: Contact) -> Contact:
    """A contact without the bookkeeping a store adds (version, who, last interaction)."""
    return replace(contact, version=0, created_by="", modified_by="", last_interaction_date=None)


def journal_bytes(store_path: Path) -> bytes:
    journal = store_path.with_name(store_path.name + ".journal")
    return journal.read_bytes() if journal.exists() else b""


def row(line: int, draft: ContactDraft, *present: str, **kwargs: object) -> ImportRow:
    return ImportRow(line=line, draft=draft, present=frozenset(present) or ALL_FIELDS, **kwargs)  # type: ignore[arg-type]


def names(first: str, last: str, **kwargs: object) -> ContactDraft:
    return ContactDraft(first_name=first, last_name=last, **kwargs)  # type: ignore[arg-type]


# --- the Genesys round trip -------------------------------------------------------------------


def test_a_genesys_export_imported_into_an_empty_store_gives_the_same_contacts(
    service: ContactService, service_for: Factory, tmp_path: Path, clock: FixedClock
) -> None:
    originals = [full_contact(), kept_as_typed()]
    store_contacts(service, *originals)
    exported = write_genesys(service.export_contacts())

    other = ContactService(
        Repository.open(tmp_path / "other.json"), service.config, service.agent, clock
    )
    report = other.import_contacts(read_genesys(exported.encode()))

    assert report.problems == []
    assert len(report.created) == 2 and report.written
    again = other.export_contacts()
    expected = sorted(originals, key=lambda c: str(c.create_date))
    assert [customer_fields(c) for c in again] == [customer_fields(c) for c in expected]
    assert write_genesys(again) == exported  # the same bytes out again
    other.repo.close()


def test_reimporting_the_same_file_creates_nothing_and_changes_nothing(
    service: ContactService, store_path: Path
) -> None:
    store_contacts(service, full_contact(), kept_as_typed())
    data = write_genesys(service.export_contacts()).encode()
    before = journal_bytes(store_path)

    report = service.import_contacts(read_genesys(data))

    assert (len(report.created), len(report.updated), report.unchanged) == (0, 0, 2)
    assert not report.written
    assert journal_bytes(store_path) == before
    assert len(service.repo.contact_ids()) == 2


# --- one transaction, all or nothing ------------------------------------------------------------


def test_one_bad_row_writes_nothing_and_names_its_line(
    service: ContactService, store_path: Path
) -> None:
    store_contacts(service, full_contact())
    before = journal_bytes(store_path)
    parsed = ParsedFile(
        rows=[
            row(2, names("Ana", "Silva")),
            row(3, names("", "Nobody")),
            row(4, names("Kim", "Park", phones={PhoneKind.WORK: PhoneDraft("x123")})),
        ]
    )

    report = service.import_contacts(parsed)

    assert not report.written
    assert [(p.line, p.kind) for p in report.problems] == [(3, "invalid"), (4, "invalid")]
    assert "First name" in report.problems[0].message
    assert "extension" in report.problems[1].message.lower()
    assert journal_bytes(store_path) == before
    assert "Nothing was imported" in report.summary()


def test_skip_invalid_writes_the_good_rows_only(service: ContactService) -> None:
    parsed = ParsedFile(rows=[row(2, names("Ana", "Silva")), row(3, names("", "Nobody"))])

    report = service.import_contacts(parsed, skip_invalid=True)

    assert report.written and [w.line for w in report.created] == [2]
    assert [c.display_name for c in service.export_contacts()] == ["Ana Silva"]
    assert "1 row with a problem was skipped" in report.summary()


@pytest.mark.parametrize("stores", ["embedded"], indirect=True)  # about the journal file
def test_an_import_is_one_journal_record_so_no_one_sees_half_of_it(
    service: ContactService, store_path: Path
) -> None:
    service.import_contacts(ParsedFile(rows=[row(2, names("Seed", "Row"))]))
    lines_before = journal_bytes(store_path).count(b"\n")
    parsed = ParsedFile(rows=[row(n, names("Person", f"Number{chr(65 + n)}")) for n in range(20)])

    service.import_contacts(parsed)

    assert journal_bytes(store_path).count(b"\n") == lines_before + 1
    assert len(service.repo.contact_ids()) == 21


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(
    service: ContactService, store_path: Path
) -> None:
    store_contacts(service, full_contact())
    before = journal_bytes(store_path)
    parsed = ParsedFile(
        rows=[
            row(2, names("Ana", "Silva")),
            row(
                3,
                names("Zoë", "Renamed", emails={EmailKind.WORK: "ZOE@example.com"}),
                "firstName",
                "lastName",
                "workEmail",
            ),
        ]
    )

    report = service.import_contacts(parsed, dry_run=True)

    assert (len(report.created), len(report.updated), report.problems) == (1, 1, [])
    assert not report.written
    assert journal_bytes(store_path) == before
    assert report.summary().startswith("Dry run: nothing was written.")


# --- matching ---------------------------------------------------------------------------------


def test_a_row_without_an_id_updates_the_contact_with_its_phone_typed_another_way(
    service: ContactService,
) -> None:
    store_contacts(service, full_contact())
    parsed = ParsedFile(
        rows=[
            row(
                2,
                names(
                    "Zoë",
                    "Nguyễn-O'Brien",
                    title="Buyer",
                    phones={PhoneKind.CELL: PhoneDraft("317.555.0123", True)},
                ),
                "firstName",
                "lastName",
                "title",
                "cellPhone",
                "cellPhone.acceptsSMS",
            )
        ]
    )

    report = service.import_contacts(parsed)

    assert len(report.updated) == 1 and not report.created
    contact = service.contact(full_contact().id)
    assert contact.title == "Buyer"
    # Fields the file has no column for are kept, not wiped.
    assert contact.address == full_contact().address
    assert contact.work_email == "zoe@example.com"
    assert contact.identities == full_contact().identities
    assert contact.version == 2 and contact.modified_by == "alice"


def test_a_row_matching_by_email_ignores_case(service: ContactService) -> None:
    store_contacts(service, full_contact())
    parsed = ParsedFile(
        rows=[
            row(
                2,
                names("Zoë", "N", emails={EmailKind.OTHER: "Z.Nguyen@EXAMPLE.net"}),
                "firstName",
                "lastName",
                "otherEmail",
            )
        ]
    )

    report = service.import_contacts(parsed)

    assert [w.contact.id for w in report.updated] == [full_contact().id]


def test_a_row_matching_two_contacts_is_refused_and_names_both(service: ContactService) -> None:
    first = replace(full_contact(), id="a-1", other_phone=None)
    second = Contact(
        id="b-2",
        type=ContactType.CURATED,
        first_name="Kim",
        last_name="Park",
        work_email="kim@example.com",
    )
    store_contacts(service, first, second)
    parsed = ParsedFile(
        rows=[
            row(
                7,
                names(
                    "X",
                    "Y",
                    phones={PhoneKind.CELL: PhoneDraft("+13175550123")},
                    emails={EmailKind.WORK: "kim@example.com"},
                ),
            )
        ]
    )

    report = service.import_contacts(parsed)

    assert len(report.problems) == 1
    message = str(report.problems[0])
    assert message.startswith("line 7: matches 2 contacts")
    assert "a-1" in message and "b-2" in message


def test_two_rows_for_one_customer_are_refused_rather_than_made_twice(
    service: ContactService,
) -> None:
    phone = {PhoneKind.CELL: PhoneDraft("+44 7700 900123")}
    parsed = ParsedFile(
        rows=[
            row(2, names("Ana", "Silva", phones=phone)),
            row(5, names("ANA", "Silva", phones=dict(phone))),
        ]
    )

    report = service.import_contacts(parsed)

    assert [str(p) for p in report.problems] == [
        "line 5: describes the same contact as line 2 (both have phone +447700900123); "
        "merge the two rows"
    ]
    assert service.repo.contact_ids() == []


def test_an_id_from_the_file_is_kept_when_creating(service: ContactService) -> None:
    parsed = ParsedFile(rows=[row(2, names("Ana", "Silva"), contact_id="crm-000123")])

    service.import_contacts(parsed)

    assert service.contact("crm-000123").display_name == "Ana Silva"


def test_a_hostile_id_is_refused(service: ContactService) -> None:
    parsed = ParsedFile(rows=[row(2, names("Ana", "Silva"), contact_id="../../etc/passwd\x1b[2J")])

    report = service.import_contacts(parsed)

    assert report.problems and "is not an id" in report.problems[0].message
    assert service.repo.contact_ids() == []


# --- types, conflicts, permissions, audit -----------------------------------------------------


def test_a_row_matching_an_ephemeral_caller_adds_them_to_contacts_keeping_the_id_and_link(
    service: ContactService,
) -> None:
    interaction = service.handle_interaction(
        NewInteraction("alice", Channel.VOICE, Participant("+1 317 555 0199"))
    )
    parsed = ParsedFile(
        rows=[row(2, names("Robin", "Okafor", phones={PhoneKind.WORK: PhoneDraft("3175550199")}))]
    )

    report = service.import_contacts(parsed)

    assert [w.action for w in report.updated] == ["promote"]
    assert report.warnings == []  # naming a nameless caller is not a "rename"
    contact = service.contact(interaction.contact_id or "")
    assert contact.type == ContactType.CURATED and contact.display_name == "Robin Okafor"
    assert service.interaction(interaction.id).contact_id == contact.id


def test_an_imported_genesys_type_is_kept(service: ContactService) -> None:
    parsed = ParsedFile(rows=[row(2, names("Ana", "Silva"), type=ContactType.IDENTIFIED)])

    service.import_contacts(parsed)

    assert service.export_contacts()[0].type == ContactType.IDENTIFIED


def test_a_contact_changed_after_the_export_is_a_conflict_not_an_overwrite(
    service: ContactService, service_for: Factory, clock: FixedClock
) -> None:
    store_contacts(service, full_contact())
    exported = write_genesys(service.export_contacts())
    # Another agent changes the contact after the export was taken.
    bob = service_for("bob")
    clock.now = clock.now.replace(hour=10)
    current = bob.contact(full_contact().id)
    bob.edit(current.id, replace(ContactDraft.from_contact(current), title="CEO"), current.version)
    # The file is edited and imported: its row is older than Bob's change.
    changed = exported.replace('"Head of Ops, EMEA"', '"COO"')

    report = service.import_contacts(read_genesys(changed.encode()))

    assert [p.kind for p in report.problems] == ["conflict"]
    assert "changed by bob" in report.problems[0].message
    assert service.contact(full_contact().id).title == "CEO"


def test_a_version_in_the_file_must_match_the_stored_one(service: ContactService) -> None:
    store_contacts(service, full_contact())  # version 1
    parsed = ParsedFile(
        rows=[
            row(
                2,
                names("Zoë", "Changed"),
                "firstName",
                "lastName",
                contact_id=full_contact().id,
                version=3,
            )
        ]
    )

    report = service.import_contacts(parsed)

    assert [p.kind for p in report.problems] == ["conflict"]
    assert "is at version 1" in report.problems[0].message
    assert service.contact(full_contact().id).last_name == "Nguyễn-O'Brien"


def test_importing_needs_the_add_permission(service_for: Factory) -> None:
    viewer = service_for("vic", Permission.VIEW, Permission.EDIT)
    with pytest.raises(PermissionDenied, match="add contacts"):
        viewer.import_contacts(ParsedFile(rows=[row(2, names("Ana", "Silva"))]))
    assert viewer.repo.contact_ids() == []


def test_updates_in_an_import_need_the_edit_permission(
    service: ContactService, service_for: Factory
) -> None:
    store_contacts(service, full_contact())
    adder = service_for("ada", Permission.VIEW, Permission.ADD)
    parsed = ParsedFile(
        rows=[
            row(2, names("Ana", "Silva")),
            row(3, names("Zoë", "X"), "firstName", "lastName", contact_id=full_contact().id),
        ]
    )

    report = adder.import_contacts(parsed)

    assert [(p.line, p.kind) for p in report.problems] == [(3, "permission")]
    assert "externalContacts:contact:edit" in report.problems[0].message
    assert not report.written
    assert adder.import_contacts(parsed, skip_invalid=True).written


def test_adding_an_ephemeral_contact_to_contacts_by_import_needs_promote(
    service: ContactService, service_for: Factory
) -> None:
    store_contacts(service, kept_as_typed())
    editor = service_for("eve", Permission.VIEW, Permission.ADD, Permission.EDIT)
    parsed = ParsedFile(rows=[row(2, names("山田", "太郎"), contact_id=kept_as_typed().id)])

    report = editor.import_contacts(parsed)

    assert [p.kind for p in report.problems] == ["permission"]
    assert "externalContacts:identity:promote" in report.problems[0].message


def test_imported_contacts_are_attributed_to_the_importer_in_the_audit_log(
    service_for: Factory,
) -> None:
    ivy = service_for("ivy", *EVERYTHING)
    report = ivy.import_contacts(ParsedFile(rows=[row(2, names("Ana", "Silva"))]))
    contact_id = report.created[0].contact.id

    trail = ivy.audit(contact_id)

    assert [(r.action, r.agent, r.version) for r in trail] == [("import", "ivy", 1)]
    assert "firstName" in trail[0].fields
    assert ivy.contact(contact_id).created_by == "ivy"


def test_export_needs_the_view_permission(service: ContactService, service_for: Factory) -> None:
    store_contacts(service, full_contact())
    blind = service_for("bo", Permission.ADD)
    with pytest.raises(PermissionDenied, match="view contacts"):
        blind.export_contacts()


def test_a_file_level_problem_is_reported_with_its_line_and_stops_the_import(
    service: ContactService,
) -> None:
    parsed = read_genesys(b'[\n {"firstName": "Ana", "lastName": "Silva"},\n 42\n]\n')

    report = service.import_contacts(parsed)

    assert [str(p) for p in report.problems] == [
        "line 3: expected a contact object, found a number"
    ]
    assert not report.written


# --- found in review: each of these once lost data, leaked or crashed ---------------------------


def test_a_date_before_1900_is_refused_so_the_store_stays_readable(
    service: ContactService,
) -> None:
    data = b'[{"firstName": "Old", "lastName": "Date", "createDate": "0999-01-01T00:00:00Z"}]'

    report = service.import_contacts(read_genesys(data))

    assert [str(p) for p in report.problems] == [
        "line 1: Created (createDate): 0999-01-01 is not a plausible date (1900 to 2199)."
    ]
    assert service.export_contacts() == []


def test_a_phones_vcard_adds_to_a_contact_without_wiping_what_it_lacks(
    service: ContactService,
) -> None:
    store_contacts(service, full_contact())
    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nguyễn-O'Brien;Zoë;Łucja;Dr;\r\nFN:Zoë Nguyen\r\n"
        "EMAIL;TYPE=INTERNET:zoe@example.com\r\nTEL;TYPE=CELL:+1 317 555 0123\r\n"
        "TEL;TYPE=HOME:+44 7700 900555\r\nEND:VCARD\r\n"
    )

    report = service.import_contacts(read_vcard(card.encode()))

    assert report.problems == [] and len(report.updated) == 1
    contact = service.contact(full_contact().id)
    before = full_contact()
    # The new home number lands; the work number, the address and the email the card filed
    # under another type stay where they were, and nothing is stored twice.
    assert contact.home_phone is not None and contact.home_phone.e164 == "+447700900555"
    assert contact.work_phone == before.work_phone and contact.cell_phone == before.cell_phone
    assert contact.address == before.address
    assert contact.work_email == "zoe@example.com" and contact.other_email == before.other_email
    assert contact.identities == before.identities


def test_two_rows_reaching_one_contact_by_id_and_by_phone_are_refused(
    service: ContactService,
) -> None:
    store_contacts(service, full_contact())
    parsed = ParsedFile(
        rows=[
            row(2, names("Zoë", "N"), "firstName", "lastName", contact_id=full_contact().id),
            # The same person (her name, accents aside) by her number: not a second contact.
            row(3, names("Zoe", "N", phones={PhoneKind.CELL: PhoneDraft("+13175550123")}),
                "firstName", "lastName", "cellPhone"),
        ]
    )  # fmt: skip

    dry = service.import_contacts(parsed, dry_run=True)
    real = service.import_contacts(parsed)

    for report in (dry, real):
        assert [str(p) for p in report.problems] == [
            "line 3: describes the same contact as line 2 (both have phone +13175550123); "
            "merge the two rows"
        ]
    assert service.contact(full_contact().id).first_name == "Zoë"


def test_importing_needs_the_view_permission_too(service_for: Factory) -> None:
    adder = service_for("ada", Permission.ADD, Permission.EDIT)
    with pytest.raises(PermissionDenied, match="view contacts"):
        adder.import_contacts(ParsedFile(rows=[row(2, names("Ana", "Silva"))]), dry_run=True)


def test_a_version_from_another_record_is_not_a_conflict_but_the_id_is_mentioned(
    service: ContactService,
) -> None:
    store_contacts(service, full_contact())  # version 1
    parsed = ParsedFile(
        rows=[row(2, names("Zoë", "Nguyễn-O'Brien", title="Buyer",
                           phones={PhoneKind.CELL: PhoneDraft("+13175550123")}),
                  "firstName", "lastName", "title", "cellPhone", contact_id="crm-77", version=7)]
    )  # fmt: skip

    report = service.import_contacts(parsed)

    assert report.problems == [] and len(report.updated) == 1
    assert any("no contact has the id crm-77" in w for w in report.warnings)


def test_a_row_with_nothing_to_match_on_is_imported_with_a_warning(
    service: ContactService,
) -> None:
    report = service.import_contacts(ParsedFile(rows=[row(4, names("Zed", "Nophone"))]))

    assert len(report.created) == 1
    assert report.warnings == [
        "line 4: has no id, searchable phone or email to match on, so importing the file "
        "again adds it again"
    ]


def test_a_row_giving_one_contact_anothers_number_says_so(service: ContactService) -> None:
    other = Contact(
        id="b-2", type=ContactType.CURATED, first_name="Kim", last_name="Park",
        work_phone=parse_phone("+1 212 555 0142", "US"),
    )  # fmt: skip
    store_contacts(service, full_contact(), other)
    parsed = ParsedFile(
        rows=[row(2, names("Zoë", "N", phones={PhoneKind.HOME: PhoneDraft("+12125550142")}),
                  "firstName", "lastName", "homePhone", contact_id=full_contact().id)]
    )  # fmt: skip

    report = service.import_contacts(parsed)

    assert len(report.updated) == 1
    assert any("phone +12125550142 also belongs to Kim Park (id b-2)" in w for w in report.warnings)


@pytest.mark.parametrize("fmt", ["csv", "genesys", "vcard"])
def test_reimporting_an_unchanged_export_says_nothing_of_a_number_shared_before(
    service: ContactService, tmp_path: Path, fmt: str
) -> None:
    """The tryout: the seed's two Lees share a landline; exporting the store and importing it
    again warned that both contacts "now" have it. They had it before, and still do."""
    shared = parse_phone("+1 317 555 0188", "US")
    chris = Contact(id="c-1", type=ContactType.CURATED, first_name="Chris", last_name="Lee",
                    home_phone=shared)  # fmt: skip
    christine = Contact(id="c-2", type=ContactType.CURATED, first_name="Christine",
                        last_name="Lee", home_phone=shared)  # fmt: skip
    store_contacts(service, chris, christine)
    path = str(tmp_path / f"all.{fmt}")
    service.export_file(path, fmt)

    _, report = service.import_file(path, fmt)

    assert not any("belongs to" in w for w in report.warnings), report.warnings
    assert (len(report.created), len(report.updated), report.unchanged) == (0, 0, 2)


def test_one_badly_typed_genesys_key_is_the_whole_message(service: ContactService) -> None:
    data = b'[{"firstName": "A", "lastName": "B", "workPhone": {"e164": "+1"}}]'

    report = service.import_contacts(read_genesys(data))

    assert [str(p) for p in report.problems] == [
        "line 1: Work phone e164: '+1' is not in E.164 form."
    ]


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exchange"


@pytest.mark.parametrize("name", ["khard.vcf", "iphone.vcf", "android.vcf", "v4.vcf"])
@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_cards_from_khard_and_phones_survive_our_export_and_a_second_import(
    service: ContactService, tmp_path: Path, clock: FixedClock, name: str, version: str
) -> None:
    data = (FIXTURES / name).read_bytes()
    first = service.import_contacts(read_vcard(data))
    assert first.problems == [] and first.created, first.problems
    imported = service.export_contacts()

    # The same file again changes nothing ...
    again = service.import_contacts(read_vcard(data))
    assert (len(again.created), len(again.updated)) == (0, 0)
    # ... and our export of those contacts, read into an empty store, gives them back.
    exported = write_vcard(imported, version)
    other = ContactService(
        Repository.open(tmp_path / "other.json"), service.config, service.agent, clock
    )
    second = other.import_contacts(read_vcard(exported.encode()))
    # Only the numbers kept as typed (a Japanese "03-..." is no +1 number) are noted again.
    assert second.problems == []
    assert all("Kept as typed, but not searchable" in w for w in second.warnings)
    # A vCard carries each number, not how it was first typed (Genesys userInput).
    assert [untyped(c) for c in other.export_contacts()] == [untyped(c) for c in imported]
    other.repo.close()


def untyped(contact: Contact) -> Contact:
    """Customer fields, with each phone's userInput set aside."""
    phones = {
        attr: replace(phone, user_input="") if phone is not None else None
        for attr, phone in (
            ("work_phone", contact.work_phone),
            ("home_phone", contact.home_phone),
            ("cell_phone", contact.cell_phone),
            ("other_phone", contact.other_phone),
        )
    }
    return replace(customer_fields(contact), **phones)  # type: ignore[arg-type]


# --- planning happens before the store lock; a change made meanwhile is not overwritten --------


def test_an_edit_made_while_an_import_was_being_planned_is_kept(
    service: ContactService, service_for: Factory
) -> None:
    store_contacts(service, full_contact())
    bob = service_for("bob")
    done_once: list[bool] = []

    def bob_edits_meanwhile(phase: str, done: int, total: int) -> None:
        # Planning runs twice (the second time under the lock, which Bob cannot then take).
        if phase == "Matching" and done == total and not done_once:
            done_once.append(True)
            current = bob.contact(full_contact().id)
            draft = replace(ContactDraft.from_contact(current), title="Bob was here")
            bob.edit(current.id, draft, current.version)

    parsed = ParsedFile(
        rows=[row(2, names("Zoë", "Nguyễn-O'Brien", salutation="Prof",
                           phones={PhoneKind.CELL: PhoneDraft("+13175550123")}),
                  "firstName", "lastName", "salutation", "cellPhone")]
    )  # fmt: skip

    report = service.import_contacts(parsed, progress=bob_edits_meanwhile)

    assert report.written and report.problems == []
    contact = service.contact(full_contact().id)
    assert (contact.salutation, contact.title, contact.version) == ("Prof", "Bob was here", 3)


def test_a_contact_created_while_an_import_was_being_planned_is_matched_not_duplicated(
    service: ContactService, service_for: Factory
) -> None:
    bob = service_for("bob")
    done_once: list[bool] = []

    def bob_adds_meanwhile(phase: str, done: int, total: int) -> None:
        if phase == "Matching" and done == total and not done_once:
            done_once.append(True)
            bob.create_contact(
                names("Ana", "Silva", phones={PhoneKind.CELL: PhoneDraft("+44 7700 900111")})
            )

    parsed = ParsedFile(
        rows=[row(2, names("Ana", "Silva", phones={PhoneKind.CELL: PhoneDraft("+447700900111")}),
                  "firstName", "lastName", "cellPhone")]
    )  # fmt: skip

    report = service.import_contacts(parsed, progress=bob_adds_meanwhile)

    assert report.problems == [] and not report.created
    assert len(service.repo.contact_ids()) == 1


def test_a_call_during_an_import_keeps_its_last_interaction_date(
    service: ContactService, service_for: Factory, clock: FixedClock
) -> None:
    store_contacts(service, full_contact())
    calls = service_for("system")
    done_once: list[bool] = []

    def customer_calls_meanwhile(phase: str, done: int, total: int) -> None:
        if phase == "Matching" and done == total and not done_once:
            done_once.append(True)
            clock.now = clock.now.replace(hour=11)
            calls.handle_interaction(
                NewInteraction("alice", Channel.VOICE, Participant("+1 317 555 0123"))
            )

    parsed = ParsedFile(
        rows=[row(2, names("Zoë", "Nguyen"), "firstName", "lastName",
                  contact_id=full_contact().id)]
    )  # fmt: skip

    service.import_contacts(parsed, progress=customer_calls_meanwhile)

    contact = service.contact(full_contact().id)
    assert contact.last_name == "Nguyen"
    assert contact.last_interaction_date == clock.now


def meanwhile(action: Callable[[], object], log: list[str]) -> Callable[[str, int, int], None]:
    """A progress callback that runs ``action`` once, when matching first finishes (outside the
    lock), and logs each finished phase (planning under the lock shows as a second one)."""

    def progress(phase: str, done: int, total: int) -> None:
        if done == total:
            log.append(phase)
            if phase == "Matching" and log.count("Matching") == 1:
                action()

    return progress


def test_an_email_that_arrives_during_planning_makes_the_row_ambiguous_not_shared(
    service: ContactService, service_for: Factory
) -> None:
    store_contacts(service, full_contact())
    router = service_for("system")
    log: list[str] = []
    email = NewInteraction("alice", Channel.EMAIL, Participant("zoe.new@example.com"))
    parsed = ParsedFile(
        rows=[row(2, names("Zoë", "Nguyễn-O'Brien",
                           phones={PhoneKind.CELL: PhoneDraft("+13175550123")},
                           emails={EmailKind.OTHER: "zoe.new@example.com"}),
                  "firstName", "lastName", "cellPhone", "otherEmail")]
    )  # fmt: skip

    report = service.import_contacts(
        parsed, progress=meanwhile(lambda: router.handle_interaction(email), log)
    )

    assert [p.message.split(":")[0] for p in report.problems] == ["matches 2 contacts"]
    assert not report.written
    assert log.count("Matching") == 2  # planned again, under the lock


def test_a_contact_removed_and_made_again_under_its_id_is_not_overwritten_blindly(
    service: ContactService,
) -> None:
    old = replace(full_contact(), type=ContactType.CURATED)
    store_contacts(service, old)
    log: list[str] = []
    made_again = replace(old, first_name="Dana", last_name="New", title="", version=0)

    def remove_and_make_again() -> None:
        with service.repo.write("admin") as uow:
            uow.delete_contact(old.id)
        store_contacts(service, made_again)  # version 1 again

    parsed = ParsedFile(
        rows=[row(2, names("", "", title="VIP"), "title", contact_id=old.id)]
    )  # fmt: skip

    report = service.import_contacts(parsed, progress=meanwhile(remove_and_make_again, log))

    assert report.written and log.count("Matching") == 2
    contact = service.contact(old.id)
    assert (contact.first_name, contact.title, contact.version) == ("Dana", "VIP", 2)


def test_saves_to_other_contacts_during_planning_do_not_make_the_import_plan_again(
    service: ContactService, service_for: Factory
) -> None:
    other = Contact(id="b-2", type=ContactType.CURATED, first_name="Kim", last_name="Park")
    store_contacts(service, full_contact(), other)
    bob = service_for("bob")
    log: list[str] = []

    def bob_edits_kim() -> None:
        kim = bob.contact("b-2")
        bob.edit(kim.id, replace(ContactDraft.from_contact(kim), title="Chef"), kim.version)

    parsed = ParsedFile(
        rows=[row(2, names("Zoë", "Nguyen"), "firstName", "lastName", contact_id=full_contact().id)]
    )  # fmt: skip

    report = service.import_contacts(parsed, progress=meanwhile(bob_edits_kim, log))

    assert report.written and log.count("Matching") == 1
    assert service.contact("b-2").title == "Chef"
