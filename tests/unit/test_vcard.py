"""vCard import and export: what an agent's address-book file becomes, and back again."""

from __future__ import annotations

import binascii
import dataclasses
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import vobject  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    IDENTITY_PLATFORMS,
    Address,
    Contact,
    ContactType,
    EmailKind,
    MessagingIdentity,
    Note,
    PhoneKind,
    PhoneNumber,
    Platform,
)
from contact_tui.domain.rules import parse_phone
from contact_tui.domain.text import is_unsafe_char, printable, printable_lines
from contact_tui.exchange.formats import ExchangeError, parse
from contact_tui.exchange.importer import CheckedRow, RowProblem, check_row
from contact_tui.exchange.rows import (
    ALL_FIELDS,
    IDENTITY_FIELDS,
    FileFormatError,
    ImportRow,
    ParsedFile,
)
from contact_tui.exchange.vcard import read_vcard, write_vcard
from tests.hostile.corpus import CORPUS, FORBIDDEN_ON_SCREEN

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "exchange"
VERSIONS = ("4.0", "3.0")
LONG_TITLE = "Senior Vice-President, Customer Experience; Europe, Middle East & Africa " * 3
ZOE_ID = "7d1c5a2e-3b4f-4c6d-8e9f-0a1b2c3d4e5f"


def fixture(name: str) -> ParsedFile:
    return read_vcard((FIXTURES / name).read_bytes())


def only_row(text: str) -> ImportRow:
    parsed = read_vcard(text.replace("\n", "\r\n").encode())
    assert parsed.problems == []
    assert len(parsed.rows) == 1
    return parsed.rows[0]


def card(*lines: str, version: str = "3.0") -> str:
    return "\n".join(("BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""))


def escape(text: str) -> str:
    """vCard text escaping, written out by hand so the reader is not checked against itself."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def full_contact() -> Contact:
    """A contact with every kind of field filled, in several scripts, long enough to fold."""
    return Contact(
        id=ZOE_ID,
        type=ContactType.IDENTIFIED,
        first_name="Zoë",
        middle_name="Łukasz",
        last_name="Nguyễn Văn 山田 O'Brien-Smith",
        salutation="Dr.",
        title=LONG_TITLE,
        work_phone=parse_phone("+44 20 7946 0958 ext. 42", "US", accepts_sms=False),
        home_phone=parse_phone("+881 6 3211 2345", "US", accepts_sms=False),
        cell_phone=parse_phone("(212) 555-0199", "US", accepts_sms=True),
        other_phone=parse_phone("ext 5 desk", "US", accepts_sms=True),
        work_email="zoe.nguyen@example.com",
        personal_email="zoë@例え.jp",
        other_email="z+other@example.org",
        address=Address(
            address1="Flat 2, 10 Rue de l'Église; Bâtiment B",
            address2="c/o 山田太郎",
            city="Saint-Étienne",
            state="Auvergne-Rhône-Alpes",
            postal_code="42000",
            country_code="FR",
        ),
        identities=(
            MessagingIdentity(Platform.WHATSAPP, ("+447700900123",), "Zoë N.", "zoe"),
            MessagingIdentity(
                Platform.FACEBOOK, ("10215566778899", "20315566778800"), "Zoë Nguyễn", ""
            ),
            MessagingIdentity(Platform.TWITTER, ("1234567890",), "", "zoe_nv"),
            MessagingIdentity(Platform.LINE, ("U4af4980629e9a1b2c3d4e5f6a7b8c9d0",), "ゾエ", ""),
            MessagingIdentity(Platform.INSTAGRAM, ("17841400000000001",), "", "zoe.nv"),
            MessagingIdentity(Platform.WEBCHAT, ("cookie-6f1e2d3c",), "Visitor 42", ""),
        ),
        survey_opt_out=True,
        external_system_url="https://crm.example.com/contacts/42?tab=notes,history;view=full",
        create_date=datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        modify_date=datetime(2026, 11, 28, 10, 15, 0, 123000, tzinfo=UTC),
        version=7,
    )


# Zoë's notes, oldest first: the first long enough to fold, with escapes vCard has to write.
FULL_NOTES = (
    "Prefers email, not calls; never before 10am.\n"
    "Second line: ratio 3;4, path C:\\temp\\new\n\n"
    "After a blank line. " + "Lorem ipsum dolor sit amet, ünïcödé 山田 " * 8,
    "Second note, written later.",
)


def notes_of(contact: Contact, *texts: str) -> dict[str, list[Note]]:
    """Notes for ``write_vcard``: one per text, oldest first."""
    when = datetime(2026, 1, 2, tzinfo=UTC)
    return {
        contact.id: [Note(f"n{n}", contact.id, t, "ana", when, when) for n, t in enumerate(texts)]
    }


def nameless_contact() -> Contact:
    """What an inbound WhatsApp message creates: no name, one number, one identity."""
    return Contact(
        id="c0ffee00-0000-4000-8000-000000000001",
        type=ContactType.EPHEMERAL,
        cell_phone=parse_phone("+447700900123", "US", accepts_sms=True),
        identities=(MessagingIdentity(Platform.WHATSAPP, ("+447700900123",)),),
        version=1,
    )


def as_exported(contact: Contact) -> Contact:
    """``contact`` as an export carries it: every text value with its control, format and bidi
    characters written as visible escapes (notes keep their line feeds); messaging identities
    exactly, as they travel percent-escaped."""

    def phone(number: PhoneNumber | None) -> PhoneNumber | None:
        if number is None:
            return None
        return dataclasses.replace(
            number, display=printable(number.display), user_input=printable(number.user_input)
        )

    a = contact.address
    return dataclasses.replace(
        contact,
        first_name=printable(contact.first_name),
        middle_name=printable(contact.middle_name),
        last_name=printable(contact.last_name),
        salutation=printable(contact.salutation),
        title=printable(contact.title),
        work_phone=phone(contact.work_phone),
        cell_phone=phone(contact.cell_phone),
        home_phone=phone(contact.home_phone),
        other_phone=phone(contact.other_phone),
        work_email=printable(contact.work_email),
        personal_email=printable(contact.personal_email),
        other_email=printable(contact.other_email),
        address=Address(*(printable(part) for part in dataclasses.astuple(a))),
        external_system_url=printable(contact.external_system_url),
    )


def assert_round_trip(contact: Contact, row: ImportRow, notes: Sequence[str] = ()) -> None:
    """``row`` is what an export of ``contact`` (with ``notes``) reads back as: the same
    contact, with any control characters it held escaped (see :func:`as_exported`), and each
    note not blank as its own NOTE (line feeds kept)."""
    assert row.draft == ContactDraft.from_contact(as_exported(contact))
    assert row.contact_notes == [p for n in notes if (p := printable_lines(n)).strip()]
    assert row.identities == {i.platform: i for i in contact.identities}
    assert row.type == contact.type
    assert row.contact_id == contact.id
    assert row.version == contact.version
    assert row.create_date == contact.create_date
    assert row.modify_date == contact.modify_date
    assert row.present == ALL_FIELDS
    assert row.warnings == []
    assert row.errors == {}


# --- export, then import -----------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_exported_contacts_import_back_unchanged(version: str) -> None:
    contacts = [full_contact(), nameless_contact()]
    written = write_vcard(contacts, version, notes_of(contacts[0], *FULL_NOTES))
    parsed = read_vcard(written.encode())
    assert parsed.problems == []
    assert parsed.warnings == []
    assert len(parsed.rows) == 2
    assert_round_trip(contacts[0], parsed.rows[0], FULL_NOTES)
    assert_round_trip(contacts[1], parsed.rows[1])
    # One NOTE a note, oldest first.
    unfolded = written.replace("\r\n ", "")
    assert unfolded.count("\r\nNOTE:") == 2
    assert unfolded.index("NOTE:Prefers") < unfolded.index("NOTE:Second note")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_nameless_contact_does_not_get_its_number_as_a_name(version: str) -> None:
    text = write_vcard([nameless_contact()], version)
    assert "FN:+44 7700 900123\r\n" in text  # FN is required, so it shows the number
    row = read_vcard(text.encode()).rows[0]
    assert (row.draft.first_name, row.draft.last_name) == ("", "")


@pytest.mark.parametrize("version", VERSIONS)
def test_an_identity_removed_since_the_export_is_removed_on_reimport(version: str) -> None:
    contact = dataclasses.replace(full_contact(), identities=())
    row = read_vcard(write_vcard([contact], version).encode()).rows[0]
    assert row.identities == {}
    assert set(IDENTITY_FIELDS) <= row.present
    assert {"surveyOptOut", "externalSystemUrl"} <= row.present


@pytest.mark.parametrize("version", VERSIONS)
def test_export_lines_are_crlf_and_at_most_75_octets_without_split_characters(
    version: str,
) -> None:
    text = write_vcard([full_contact()], version, notes_of(full_contact(), *FULL_NOTES))
    assert text.endswith("END:VCARD\r\n")
    physical = text.split("\r\n")[:-1]
    assert "\n" not in text.replace("\r\n", "") and "\r" not in text.replace("\r\n", "")
    assert max(len(line.encode()) for line in physical) <= 75
    assert any(line.startswith(" ") for line in physical)  # long values were folded
    # Folding between characters: every physical line is valid UTF-8 on its own.
    for line in physical:
        line.encode().decode("utf-8")


def test_a_short_line_of_wide_characters_is_still_folded_at_75_octets() -> None:
    # 40 characters of 3 octets each: vobject alone leaves this line unfolded (it counts
    # characters first), so it would be 125 octets long.
    contact = dataclasses.replace(nameless_contact(), first_name="山" * 40)
    text = write_vcard([contact])
    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75
    assert read_vcard(text.encode()).rows[0].draft.first_name == "山" * 40


@pytest.mark.parametrize("version", VERSIONS)
def test_vobject_itself_reads_the_export(version: str) -> None:
    contact = full_contact()
    parsed = vobject.readOne(write_vcard([contact], version))
    assert parsed.version.value == version
    assert parsed.n.value.family == contact.last_name
    assert parsed.n.value.given == contact.first_name
    assert parsed.fn.value == "Zoë Łukasz Nguyễn Văn 山田 O'Brien-Smith"
    assert parsed.adr.value.city == "Saint-Étienne"
    assert [t.value for t in parsed.tel_list] == [
        "+44 20 7946 0958 x42",
        "+881 6 321 12345",
        "+1 212-555-0199",
        "ext 5 desk",
    ]


def test_export_begins_with_version_prodid_and_uid() -> None:
    v4 = write_vcard([full_contact()], "4.0").split("\r\n")
    assert v4[:4] == [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "PRODID:-//contact-tui//EN",
        f"UID:urn:uuid:{ZOE_ID}",
    ]
    v3 = write_vcard([full_contact()], "3.0").split("\r\n")
    assert v3[:4] == ["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//contact-tui//EN", f"UID:{ZOE_ID}"]


def test_an_id_that_is_not_a_uuid_is_written_as_text_and_read_back() -> None:
    contact = dataclasses.replace(nameless_contact(), id="legacy-42")
    text = write_vcard([contact], "4.0")
    assert "UID;VALUE=text:legacy-42\r\n" in text
    assert read_vcard(text.encode()).rows[0].contact_id == "legacy-42"


def test_export_writes_phones_as_text_with_their_slot_and_sms_types() -> None:
    v4 = write_vcard([full_contact()], "4.0")
    assert "TEL;TYPE=work;VALUE=text:+44 20 7946 0958 x42\r\n" in v4
    assert "TEL;TYPE=home;VALUE=text:+881 6 321 12345\r\n" in v4
    assert "TEL;TYPE=cell,text;VALUE=text:+1 212-555-0199\r\n" in v4
    assert "TEL;TYPE=voice,text;VALUE=text:ext 5 desk\r\n" in v4
    v3 = write_vcard([full_contact()], "3.0")
    assert "TEL;TYPE=cell,text:+1 212-555-0199\r\n" in v3
    assert "EMAIL;TYPE=work:zoe.nguyen@example.com\r\n" in v3
    assert "EMAIL;TYPE=home:zoë@例え.jp\r\n" in v3
    assert "EMAIL:z+other@example.org\r\n" in v3


def test_rev_is_rounded_up_to_the_second_and_our_own_date_keeps_milliseconds() -> None:
    v4 = write_vcard([full_contact()], "4.0")
    assert "REV:20261128T101501Z\r\n" in v4
    assert "X-CONTACT-TUI-MODIFIED:2026-11-28T10:15:00.123Z\r\n" in v4
    assert "REV:2026-11-28T10:15:01Z\r\n" in write_vcard([full_contact()], "3.0")


def test_write_vcard_refuses_versions_other_than_3_and_4() -> None:
    with pytest.raises(ValueError, match=r"3\.0 or 4\.0"):
        write_vcard([full_contact()], "2.1")


def test_writing_no_contacts_gives_an_empty_file() -> None:
    assert write_vcard([]) == ""


# --- files from other address books ------------------------------------------------------


def test_khard_cards_land_in_the_right_slots() -> None:
    parsed = fixture("khard.vcf")
    assert parsed.problems == []
    assert len(parsed.rows) == 2
    sam = parsed.rows[0]
    assert sam.line == 1
    assert sam.contact_id == "6f0a3c2e-8d1b-4e55-9c3a-2b7d1e4f5a60"
    assert (sam.draft.first_name, sam.draft.last_name) == ("Sam", "de Vries")
    assert sam.draft.phones == {
        PhoneKind.CELL: PhoneDraft("+31 6 12345678"),
        PhoneKind.WORK: PhoneDraft("+31 20 123 4567"),
    }
    assert sam.draft.emails == {
        EmailKind.PERSONAL: "sam@devries.example",
        EmailKind.WORK: "sam@vriesco.example",
    }
    assert sam.draft.address == {
        "address1": "Keizersgracht 1",
        "address2": "",
        "city": "Amsterdam",
        "state": "",
        "postalCode": "1015 CJ",
        "countryCode": "Netherlands",
    }
    assert sam.contact_notes == ["Prefers email, not calls.\nSpeaks Dutch; some English."]
    assert sam.warnings == ["line 1: ORG not imported (contact-tui has no such field)"]
    assert sam.type is None and sam.version is None


def test_a_card_without_n_takes_the_name_from_fn_split_at_the_last_space() -> None:
    ana = fixture("khard.vcf").rows[1]
    assert ana.line == 15
    assert (ana.draft.first_name, ana.draft.last_name) == ("Ana María", "López")
    single = only_row(card("FN:Prince"))
    assert (single.draft.first_name, single.draft.last_name) == ("Prince", "")
    empty_n = only_row(card("N:;;;;", "FN:Sam de Vries"))
    assert (empty_n.draft.first_name, empty_n.draft.last_name) == ("Sam de", "Vries")


def test_iphone_cards_land_in_the_right_slots_and_list_what_was_left_out() -> None:
    parsed = fixture("iphone.vcf")
    assert parsed.problems == []
    (row,) = parsed.rows
    assert (row.draft.salutation, row.draft.first_name, row.draft.last_name) == (
        "Ms.",
        "Siobhán",
        "O'Brien-Smith",
    )
    assert row.draft.title == "Account Manager"
    # The preferred cell number takes Cell; the second cell goes to Other, and the "main"
    # number, finding Other taken, to the first free slot.
    assert row.draft.phones == {
        PhoneKind.CELL: PhoneDraft("+353 87 123 4567"),
        PhoneKind.OTHER: PhoneDraft("+353 86 765 4321"),
        PhoneKind.WORK: PhoneDraft("+353 1 234 5678"),
        PhoneKind.HOME: PhoneDraft("+353 1 999 0000"),
    }
    # type=INTERNET and type=pref are not kinds: an address with only those is Other.
    assert row.draft.emails == {
        EmailKind.OTHER: "siobhan@example.ie",
        EmailKind.WORK: "s.obrien@acme.example",
    }
    assert row.draft.address["address1"] == "12 Harbour Road"
    assert row.draft.address["state"] == "Co. Dublin"
    assert row.warnings == [
        "line 1: ORG, X-ABLABEL, X-ABADR, BDAY, PHOTO not imported (contact-tui has no such field)"
    ]


def test_android_21_quoted_printable_names_and_notes_are_decoded() -> None:
    parsed = fixture("android.vcf")
    assert parsed.problems == []
    taro, lukasz = parsed.rows
    assert (taro.draft.first_name, taro.draft.last_name) == ("太郎", "山田")
    # The note spans three QUOTED-PRINTABLE soft line breaks and holds an encoded CRLF.
    assert taro.contact_notes == ["朝は電話しないでください。\r\n夜は大丈夫です。"]
    assert taro.draft.phones == {
        PhoneKind.CELL: PhoneDraft("090-1234-5678"),
        PhoneKind.HOME: PhoneDraft("03-3123-4567"),
        PhoneKind.OTHER: PhoneDraft("03-3123-9999"),  # WORK;FAX: a fax is not the work phone
    }
    assert taro.draft.emails == {EmailKind.PERSONAL: "taro.yamada@example.jp"}
    assert taro.warnings == [
        "line 1: X-ANDROID-CUSTOM, BDAY not imported (contact-tui has no such field)"
    ]
    assert lukasz.line == 16
    assert (lukasz.draft.first_name, lukasz.draft.last_name) == ("Łukasz", "Kowalski")
    assert lukasz.draft.phones == {
        PhoneKind.CELL: PhoneDraft("+48 601 234 567"),
        PhoneKind.WORK: PhoneDraft("+48 22 123 45 67"),
    }
    assert lukasz.draft.address["address1"] == "ul. Marszałkowska 10/4"


def test_vcard4_tel_uris_preferences_and_overflow() -> None:
    parsed = fixture("v4.vcf")
    assert parsed.problems == []
    (row,) = parsed.rows
    assert row.contact_id == "4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert (row.draft.salutation, row.draft.first_name, row.draft.middle_name) == (
        "Dr.",
        "Jane",
        "Quinn",
    )
    assert row.draft.phones == {
        PhoneKind.WORK: PhoneDraft("+1-555-555-0100 ext. 12"),
        PhoneKind.CELL: PhoneDraft("+1-555-555-0199", accepts_sms=True),
        PhoneKind.OTHER: PhoneDraft("+1-555-555-0111"),
    }
    assert row.draft.emails == {
        EmailKind.WORK: "jane.public@example.com",
        EmailKind.PERSONAL: "jane@home.example",
        EmailKind.OTHER: "jq@other.example",
    }
    assert row.draft.address["address1"] == "100 Main Street"
    assert row.draft.address["address2"] == "Suite 400"
    assert row.contact_notes == ["Call after 10am, please.", "Assistant: Bob"]
    assert row.modify_date == datetime(2026, 11, 28, 10, 15, tzinfo=UTC)
    assert row.identities == {
        Platform.WHATSAPP: MessagingIdentity(Platform.WHATSAPP, ("+15555550199",))
    }
    assert row.warnings == [
        "line 1: URL, BDAY not imported (contact-tui has no such field)",
        "line 7: the name suffix 'PhD' was not imported (contact-tui has no such field)",
        "line 14: the email address 'fourth@other.example' was not imported "
        "(all three email slots are taken)",
        "line 16: a second address was not imported (contact-tui keeps one address per contact)",
        "line 17: IMPP 'xmpp:jane@jabber.example' was not imported "
        "(contact-tui has no such messaging platform)",
    ]


def test_a_phones_vcard_leaves_identities_survey_flag_and_url_alone() -> None:
    for name in ("khard.vcf", "iphone.vcf", "android.vcf"):
        for row in fixture(name).rows:
            assert not set(IDENTITY_FIELDS) & row.present
            assert "surveyOptOut" not in row.present
            assert "externalSystemUrl" not in row.present
            assert {"firstName", "lastName", "salutation"} <= row.present
            # Only the slots the card fills: a phone's card adds, it does not wipe.
            filled = {k.value for k in row.draft.phones} | {k.value for k in row.draft.emails}
            slots = {f for f in row.present if f.endswith(("Phone", "Email"))}
            assert slots == filled


def test_a_foreign_card_carries_only_what_it_has() -> None:
    row = only_row(card("N:Smith;Ann;;;", "FN:Ann Smith", "EMAIL;TYPE=INTERNET:ann@example.com"))
    assert row.present == {
        "firstName", "middleName", "lastName", "salutation", "otherEmail"
    }  # fmt: skip
    assert row.draft.emails == {EmailKind.OTHER: "ann@example.com"}


def test_another_apps_uid_is_not_used_as_an_id() -> None:
    row = only_row(card("N:Smith;Ann;;;", "UID:1234-abcd@host.example.com"))
    assert row.contact_id == ""
    assert any("is not used as an id" in w for w in row.warnings)


def test_an_impp_from_another_app_sets_only_that_platform() -> None:
    (row,) = fixture("v4.vcf").rows
    assert set(IDENTITY_FIELDS) & row.present == {"identity.whatsapp"}


def test_a_fifth_phone_number_is_a_warning_naming_it() -> None:
    row = only_row(
        card(
            "N:Lee;Sam;;;",
            "TEL;TYPE=cell:+1 212 555 0101",
            "TEL;TYPE=work:+1 212 555 0102",
            "TEL;TYPE=home:+1 212 555 0103",
            "TEL:+1 212 555 0104",
            "TEL;TYPE=cell:+1 212 555 0105",
        )
    )
    assert len(row.draft.phones) == 4
    assert row.warnings == [
        "line 8: the phone number '+1 212 555 0105' was not imported "
        "(all four phone slots are taken)"
    ]


def test_phone_types_are_read_however_they_are_spelled() -> None:
    row = only_row(
        card(
            "N:Lee;Sam;;;",
            "TEL;CELL;PREF:+1 212 555 0101",  # vCard 2.1 bare parameters
            "TEL;type=WORK;type=MSG:+1 212 555 0102",  # repeated TYPE=, msg means SMS
            'TEL;TYPE="home,sms":+1 212 555 0103',  # quoted list
            "TEL;TYPE=pager:+1 212 555 0104",
        )
    )
    assert row.draft.phones == {
        PhoneKind.CELL: PhoneDraft("+1 212 555 0101"),
        PhoneKind.WORK: PhoneDraft("+1 212 555 0102", accepts_sms=True),
        PhoneKind.HOME: PhoneDraft("+1 212 555 0103", accepts_sms=True),
        PhoneKind.OTHER: PhoneDraft("+1 212 555 0104"),
    }


def test_a_preferred_number_wins_its_slot_even_when_listed_last() -> None:
    row = only_row(
        card(
            "N:Lee;Sam;;;",
            "TEL;TYPE=cell:+1 212 555 0101",
            "TEL;TYPE=cell;PREF=1:+1 212 555 0102",
            version="4.0",
        )
    )
    assert row.draft.phones == {
        PhoneKind.CELL: PhoneDraft("+1 212 555 0102"),
        PhoneKind.OTHER: PhoneDraft("+1 212 555 0101"),
    }


def test_several_notes_are_notes_each_and_extra_addresses_titles_and_po_boxes_warned() -> None:
    row = only_row(
        card(
            "N:Lee;Sam;;;",
            "NOTE:one",
            "TITLE:Chief",
            "TITLE:Deputy",
            "NOTE:two\\nlines",
            "ADR:PO Box 9;;1 Main St;Leeds;;LS1 1AA;UK",
            "ADR;TYPE=pref:;;2 High St;York;;YO1 1AA;UK",
        )
    )
    assert row.contact_notes == ["one", "two\nlines"]
    assert row.draft.title == "Chief"
    assert row.draft.address["address1"] == "2 High St"
    assert row.warnings == [
        "line 6: a second title 'Deputy' was not imported",
        "line 8: a second address was not imported (contact-tui keeps one address per contact)",
    ]
    po_box = only_row(card("N:Lee;Sam;;;", "ADR:PO Box 9;;;Leeds;;LS1 1AA;UK"))
    assert po_box.warnings == [
        "line 4: the PO box 'PO Box 9' of the address was not imported "
        "(contact-tui has no such field)"
    ]


def test_impp_schemes_we_know_become_identities_and_others_warnings() -> None:
    row = only_row(
        card(
            "N:Lee;Sam;;;",
            "IMPP:x:1234567890",
            "IMPP;X-CONTACT-TUI-HANDLE=sam:twitter:555",
            "IMPP:sip:sam@voip.example",
            "IMPP:skype:sam.lee",
        )
    )
    assert row.identities == {
        Platform.TWITTER: MessagingIdentity(Platform.TWITTER, ("1234567890", "555"), "", "sam")
    }
    assert [w.split(" was")[0] for w in row.warnings] == [
        "line 6: IMPP 'sip:sam@voip.example'",
        "line 7: IMPP 'skype:sam.lee'",
    ]


def test_a_bad_rev_is_a_warning_and_other_dates_are_read() -> None:
    row = only_row(card("N:Lee;Sam;;;", "REV:last tuesday"))
    assert row.modify_date is None
    assert row.warnings == ["line 4: REV 'last tuesday' is not a date and was ignored"]
    iso = only_row(card("N:Lee;Sam;;;", "REV:2026-11-28T10:15:00+01:00"))
    assert iso.modify_date == datetime(2026, 11, 28, 9, 15, tzinfo=UTC)


def test_bad_values_in_our_own_properties_are_row_errors_or_warnings() -> None:
    row = only_row(
        card(
            "N:Lee;Sam;;;",
            "X-CONTACT-TUI-TYPE:VIP",
            "X-CONTACT-TUI-SURVEY-OPT-OUT:maybe",
            "X-CONTACT-TUI-VERSION:seven",
        )
    )
    assert row.type is None
    assert set(row.errors) == {"type", "surveyOptOut"}
    assert "Ephemeral, Identified or Curated" in row.errors["type"]
    assert row.version is None
    assert row.warnings == [
        "line 6: X-CONTACT-TUI-VERSION 'seven' is not a whole number and was ignored"
    ]
    assert row.present == ALL_FIELDS  # it says it is our export, so every field is in it


def test_careless_exporters_text_is_kept_as_written() -> None:
    # vobject's own decoding would cut this note at the first comma and turn the trailing
    # backslash into "\\eof".
    row = only_row(
        card(
            "N:Lee;Sam;;;",
            "NOTE:Hello, world; unescaped \\q C:\\",
            "TITLE:Tail\\",
            "ADR:;;1 Main St, Flat 2;Leeds;;;",
            "X-CONTACT-TUI-EXTERNAL-URL:https://x.example/a,b",
        )
    )
    assert row.contact_notes == ["Hello, world; unescaped \\q C:\\"]
    assert row.draft.title == "Tail\\"
    assert row.draft.address["address1"] == "1 Main St, Flat 2"
    assert row.draft.external_system_url == "https://x.example/a,b"


def test_a_folded_line_of_spaces_is_part_of_the_value() -> None:
    row = only_row(card("N:Lee;Sam;;;", "NOTE:abc", "     ", " def"))
    assert row.contact_notes == ["abc    def"]


def test_identity_names_with_quotes_and_line_breaks_are_written_safely() -> None:
    name = 'Sam "The Man"\nLee; 50% ^_^'
    contact = dataclasses.replace(
        nameless_contact(),
        identities=(MessagingIdentity(Platform.LINE, ("U 1,2;3",), name, "sam:lee"),),
    )
    text = write_vcard([contact])
    unfolded = text.replace("\r\n ", "")
    assert (
        'IMPP;X-CONTACT-TUI-DISPLAY-NAME="Sam %22The Man%22%0ALee; 50%25 %5E_%5E";'
        'X-CONTACT-TUI-HANDLE="sam:lee":line:U%201%2C2%3B3\r\n'
    ) in unfolded
    row = read_vcard(text.encode()).rows[0]
    assert row.identities == {
        Platform.LINE: MessagingIdentity(Platform.LINE, ("U 1,2;3",), name, "sam:lee")
    }


def test_an_address_book_with_big_photos_is_read_quickly() -> None:
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + "\n ".join(["QUJD" * 18] * 4000)  # ~290 kB
    text = "".join(card(f"N:Lee;Sam{i};;;", photo) for i in range(20))
    started = time.perf_counter()
    parsed = read_text(text)
    assert time.perf_counter() - started < 5
    assert len(parsed.rows) == 20
    assert parsed.rows[0].warnings == ["line 1: PHOTO not imported (contact-tui has no such field)"]


# --- broken files ------------------------------------------------------------------------

SAM = card("N:Lee;Sam;;;", "TEL:+1 212 555 0101")
ANA = card("N:López;Ana;;;", "TEL:+34 612 345 678")


def read_text(text: str) -> ParsedFile:
    return read_vcard(text.replace("\n", "\r\n").encode())


def test_a_card_without_end_is_reported_at_its_begin_and_the_others_are_read() -> None:
    broken = "BEGIN:VCARD\nVERSION:3.0\nN:Broken;Bo;;;\n"
    parsed = read_text(SAM + broken + ANA)
    assert [str(p) for p in parsed.problems] == [
        "line 6: this card has no END:VCARD; add one after its last line, then try again"
    ]
    assert [r.draft.first_name for r in parsed.rows] == ["Sam", "Ana"]
    assert [r.line for r in parsed.rows] == [1, 9]


def test_a_last_card_without_end_is_reported() -> None:
    parsed = read_text(SAM + "BEGIN:VCARD\nVERSION:3.0\nN:Broken;Bo;;;\n")
    assert [p.line for p in parsed.problems] == [6]
    assert [r.draft.first_name for r in parsed.rows] == ["Sam"]


def test_text_between_cards_is_reported_at_its_line() -> None:
    parsed = read_text(SAM + "\nthis line does not belong here\nnor this one\n\n" + ANA)
    assert [p.line for p in parsed.problems] == [7]
    assert "outside any card" in parsed.problems[0].message
    assert [r.draft.first_name for r in parsed.rows] == ["Sam", "Ana"]


def test_a_broken_name_line_or_any_in_our_own_card_refuses_the_card_at_that_line() -> None:
    # The name is the contact; our own card describes all of it. (A broken TEL in another
    # program's card is a warning: tests/unit/test_vcard_details.py.)
    bad = card('N;TYPE="x:Bad;Bo;;;', "TEL:+1 212 555 0101")  # the quote never closes
    ours = card("N:Bad;Bo;;;", 'TEL;TYPE="cell:+1 212 555 0101', "X-CONTACT-TUI-TYPE:Curated")
    parsed = read_text(SAM + bad + ours + ANA)
    assert [str(p) for p in parsed.problems] == [
        "line 8: N: it is not a vCard property (NAME:value or NAME;PARAM:value)",
        "line 14: TEL: it is not a vCard property (NAME:value or NAME;PARAM:value)",
    ]
    assert [r.draft.first_name for r in parsed.rows] == ["Sam", "Ana"]


def test_a_broken_line_in_a_property_we_do_not_read_is_a_warning() -> None:
    # A comment (Android's test data), kcontacts' legacy X-messaging/twitter-All, Evolution's
    # NOPARAM;: and a line of text: none is a property contact-tui reads, so the card goes in.
    row = only_row(
        card(
            "N:Lee;Sam;;;",
            "# a comment",
            "X-messaging/twitter-All:kdecommunity",
            "NOPARAM;:pas-id-4094434A00000001",
            "this is not a property",
            "TEL;TYPE=cell:+1 212 555 0101",
        )
    )
    assert row.draft.phones == {PhoneKind.CELL: PhoneDraft("+1 212 555 0101")}
    assert row.warnings == [
        "line 1: NOPARAM not imported (contact-tui has no such field)",
        "line 4: this line was not imported: it is not a vCard property "
        "(NAME:value or NAME;PARAM:value)",
        "line 5: this line was not imported: it is not a vCard property "
        "(NAME:value or NAME;PARAM:value)",
        "line 7: this line was not imported: it is not a vCard property "
        "(NAME:value or NAME;PARAM:value)",
    ]


def test_an_unknown_charset_is_a_clear_problem_not_garbage() -> None:
    bad = card("N;CHARSET=NO-SUCH-CHARSET;ENCODING=QUOTED-PRINTABLE:=E5=B1;;;;", version="2.1")
    parsed = read_text(SAM + bad)
    assert [str(p) for p in parsed.problems] == [
        "line 8: N: its CHARSET 'NO-SUCH-CHARSET' is not a character set contact-tui knows"
    ]
    assert len(parsed.rows) == 1


def test_a_file_without_cards_cannot_be_read() -> None:
    with pytest.raises(FileFormatError) as raised:
        read_vcard(b"firstName,lastName\r\nSam,Lee\r\n")
    assert raised.value.line == 1
    assert raised.value.message == "no BEGIN:VCARD found; is this a vCard file?"


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_holds_no_contacts_and_says_so(data: bytes) -> None:
    # What exporting an empty address book gives: imported, it changes nothing and says why.
    parsed = read_vcard(data)
    assert (parsed.rows, parsed.problems) == ([], [])
    assert parsed.warnings == ["holds no contacts: the file is empty"]
    assert read_vcard(write_vcard([]).encode()).warnings == parsed.warnings


def test_text_that_is_not_utf8_and_names_no_charset_names_the_line_and_byte() -> None:
    data = (SAM + card("N:M\xfcller;J\xfcrgen;;;")).replace("\n", "\r\n").encode("latin-1")
    parsed = read_vcard(data)
    assert [str(p) for p in parsed.problems] == [
        "line 8: N: its text (byte 0xFC) is not UTF-8, which vCard 3.0 and 4.0 are, and the "
        "line names no CHARSET; save the file as UTF-8 and import it again"
    ]
    assert "spreadsheet" not in parsed.problems[0].message
    assert [r.draft.first_name for r in parsed.rows] == ["Sam"]


def test_byte_order_mark_lf_line_ends_and_blank_lines_are_fine() -> None:
    data = b"\xef\xbb\xbf" + ("\n" + SAM + "\n\n" + ANA + "\n").encode()
    parsed = read_vcard(data)
    assert parsed.problems == []
    assert [r.line for r in parsed.rows] == [2, 9]


def test_a_folded_line_reading_end_vcard_does_not_end_the_card() -> None:
    text = card("N:Lee;Sam;;;", "NOTE:the card ends at", " END:VCARD", " BEGIN:VCARD and goes on")
    row = only_row(text)
    assert row.contact_notes == ["the card ends atEND:VCARDBEGIN:VCARD and goes on"]


# --- hostile text ------------------------------------------------------------------------

# A raw CR or LF cannot be in a vCard value (it ends the line); \n is written escaped, and vCard
# has no escape for CR. Everything else must come through exactly.
ONE_LINE = [(name, text) for name, _, text in CORPUS if "\r" not in text and "\n" not in text]


@pytest.mark.parametrize(("name", "text"), ONE_LINE, ids=[n for n, _ in ONE_LINE])
def test_hostile_text_in_a_file_is_carried_as_data(name: str, text: str) -> None:
    e = escape(text)
    row = only_row(
        card(
            f"N:{e};{e};{e};{e};",
            f"TITLE:{e}",
            f"NOTE:{e}",
            f"TEL;TYPE=cell:{e}",
            f"EMAIL:{e}",
            f"ADR:;{e};{e};{e};{e};{e};{e}",
            f"X-CONTACT-TUI-EXTERNAL-URL:{e}",
        )
    )
    d = row.draft
    assert [d.first_name, d.middle_name, d.last_name, d.salutation, d.title] == [text] * 5
    assert row.contact_notes == ([text] if text.strip() else [])
    # A TEL that is no number in any country (no digits, too long) or an EMAIL that is no
    # address is left out with a warning at its line that shows the text safely.
    for slots, expected, start in (
        (d.phones, {PhoneKind.CELL: PhoneDraft(text)}, "line 6: TEL "),
        (d.emails, {EmailKind.OTHER: text}, "line 7: EMAIL "),
    ):
        if slots:
            assert slots == expected
        else:
            [warned] = [w for w in row.warnings if w.startswith(start)]
            assert warned.endswith("was not imported") or "was not imported: " in warned
            assert not set(warned) & FORBIDDEN_ON_SCREEN
    assert set(d.address.values()) == {text}
    assert d.external_system_url == text


HOSTILE_ROUND_TRIP = [(name, text) for name, _, text in CORPUS if "\r" not in text]


@pytest.mark.parametrize(
    ("name", "text"), HOSTILE_ROUND_TRIP, ids=[n for n, _ in HOSTILE_ROUND_TRIP]
)
@pytest.mark.parametrize("version", VERSIONS)
def test_hostile_text_survives_export_and_import(version: str, name: str, text: str) -> None:
    contact = hostile_contact(text)
    row = read_vcard(write_vcard([contact], version, notes_of(contact, text)).encode()).rows[0]
    assert_round_trip(contact, row, [text])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_export_holds_no_control_characters_whatever_the_store_holds(version: str) -> None:
    # A store written by an older version can hold any text; `export | cat` must not hand a
    # terminal an escape sequence, nor a viewer a right-to-left override.
    every = "".join(text for _, _, text in CORPUS)
    contact = hostile_contact(every)
    written = write_vcard([contact], version, notes_of(contact, every))
    lines = written.split("\r\n")
    assert lines[-1] == ""
    for line in lines:
        assert not FORBIDDEN_ON_SCREEN.intersection(line), repr(line)
        assert not any(is_unsafe_char(ch) for ch in line), repr(line)
    assert "\\x1b]52" in written.replace("\r\n ", ""), "escaped visibly, not dropped"
    parsed = read_vcard(written.encode())
    assert parsed.problems == []
    assert_round_trip(hostile_contact(every), parsed.rows[0], [every])


def hostile_contact(text: str) -> Contact:
    return Contact(
        id="hostile",
        type=ContactType.CURATED,
        first_name=text,
        middle_name=text,
        last_name=text,
        salutation=text,
        title=text,
        other_phone=dataclasses.replace(
            parse_phone("desk 4471", "US"), display=text, user_input=text
        ),
        other_email=text,
        address=Address(text, text, text, text, text, text),
        identities=tuple(
            MessagingIdentity(p, (text, f"{text}-2"), text, text) for p in IDENTITY_PLATFORMS
        ),
        external_system_url=text,
        version=3,
    )


# Any text but CR (vCard has no escape for it) and lone surrogates (not UTF-8).
ANY_TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r"))


@given(text=ANY_TEXT, other=ANY_TEXT)
def test_any_text_survives_export_and_import(text: str, other: str) -> None:
    contact = dataclasses.replace(hostile_contact(text), title=other + text)
    if not text.strip():  # a number, address or id needs more than blanks (no store holds one)
        contact = dataclasses.replace(contact, other_phone=None, other_email="", identities=())
    for version in VERSIONS:
        written = write_vcard([contact], version, notes_of(contact, other, text))
        assert max(len(line.encode()) for line in written.split("\r\n")) <= 75
        parsed = read_vcard(written.encode())
        assert parsed.problems == []
        assert_round_trip(contact, parsed.rows[0], [other, text])


# --- issue 14: files as people have them -------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "contact_id",
    [
        "429A43AB-52F2-4714-AA62-077528A12464",  # khard: upper-case UUID
        "477343c8e6bf375a9bac1f96a5000837",  # Evolution: UUID without dashes
        "pas-id-3E136F9B00000000",
        ZOE_ID,
    ],
)
def test_the_id_is_exported_exactly_as_stored_and_read_back(version: str, contact_id: str) -> None:
    contact = dataclasses.replace(nameless_contact(), id=contact_id)
    text = write_vcard([contact], version)
    assert contact_id in text  # case and form kept: never re-written as another UUID
    assert read_vcard(text.encode()).rows[0].contact_id == contact_id


def test_urn_uuid_is_read_back_to_the_id_as_written() -> None:
    row = only_row(card("N:Lee;Sam;;;", "UID:URN:UUID:429A43AB-52F2-4714-AA62-077528A12464"))
    assert row.contact_id == "429A43AB-52F2-4714-AA62-077528A12464"


def test_quoted_printable_is_decoded_however_its_parameter_is_spelled() -> None:
    # Thunderbird writes "note;quoted-printable:"; others ENCODING=quoted-printable.
    row = only_row(
        card(
            "n;charset=utf-8;encoding=quoted-printable:Mont=C3=B3n;M=C3=A0rius",
            "note;quoted-printable:here=E2=80=A6",
            "TITLE;Encoding=Quoted-Printable;Charset=UTF-8:Caf=C3=A9 owner",
            version="2.1",
        )
    )
    assert (row.draft.first_name, row.draft.last_name) == ("Màrius", "Montón")
    assert row.contact_notes == ["here…"]
    assert row.draft.title == "Café owner"


def test_each_property_is_decoded_in_its_own_charset() -> None:
    data = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        + "N;CHARSET=SHIFT_JIS:山田;太郎;;;\r\n".encode("shift_jis")
        + "NOTE;CHARSET=windows-1252:Dok \u2013 über\r\n".encode("cp1252")
        + b"TITLE;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:"
        + binascii.b2a_qp("部長".encode("shift_jis"))
        + b"\r\nEMAIL:taro@example.jp\r\nEND:VCARD\r\n"
    )
    row = read_vcard(data).rows[0]
    assert (row.draft.last_name, row.draft.first_name) == ("山田", "太郎")
    assert row.contact_notes == ["Dok \u2013 über"]
    assert row.draft.title == "部長"


def test_a_character_split_across_a_folded_line_is_whole_again() -> None:
    # ownCloud folded inside a UTF-8 character; kcontacts keeps the file as a regression test.
    name = "Дмитрий".encode()
    data = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;"
        + name[:3]
        + b"\r\n "
        + name[3:]
        + (b";;;\r\nEND:VCARD\r\n")
    )
    row = read_vcard(data).rows[0]
    assert row.draft.first_name == "Дмитрий"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_files_are_read_with_or_without_a_byte_order_mark(codec: str) -> None:
    text = card("N:Müller;Jürgen;;;", "TEL;TYPE=cell:+49 30 1234567").replace("\n", "\r\n")
    name, parsed = parse("contacts.vcf", text.encode(codec))
    assert name == "vcard"
    assert parsed.problems == []
    assert parsed.rows[0].draft.last_name == "Müller"


def test_a_binary_file_is_still_refused() -> None:
    with pytest.raises(ExchangeError, match="looks binary"):
        parse("photo.vcf", bytes(range(256)) * 20)


def test_a_street_of_several_lines_keeps_every_line() -> None:
    # Gmail and Lotus Notes write an escaped line break; Android QUOTED-PRINTABLE =0A.
    gmail = only_row(card("N:Lee;Sam;;;", "ADR;TYPE=HOME:;;1 Main St\\nFlat 2\\nBlock B;Leeds;;;"))
    assert (gmail.draft.address["address1"], gmail.draft.address["address2"]) == (
        "1 Main St",
        "Flat 2, Block B",
    )
    android = only_row(
        card(
            "N:Lee;Sam;;;",
            "ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;Unit 4;1 Main St=0AFlat 2;Leeds;;;",
            version="2.1",
        )
    )
    assert (android.draft.address["address1"], android.draft.address["address2"]) == (
        "1 Main St",
        "Flat 2, Unit 4",
    )


def test_androids_backslash_continued_street_is_one_address() -> None:
    row = only_row(
        card(
            "N:bogus;;;;",
            "ADR;HOME:;;Hermann v. Brevern\\",
            "9999999\\",
            "Packstation 999;Hamburg;;99999;Deutschland",
            version="2.1",
        )
    )
    assert row.draft.address["address1"] == "Hermann v. Brevern"
    assert row.draft.address["address2"] == "9999999, Packstation 999"
    assert row.draft.address["city"] == "Hamburg"
    assert row.warnings == []


def test_a_sip_address_in_tel_is_a_warning_not_a_number() -> None:
    row = only_row(
        card(
            "N:Lee;Sam;;;", "TEL;TYPE=HOME:tel:+1-212-555-0101", "TEL;TYPE=WORK:sip:sam@pbx.example"
        )
    )
    assert row.draft.phones == {PhoneKind.HOME: PhoneDraft("+1-212-555-0101")}
    assert row.warnings == [
        "line 5: the SIP address 'sip:sam@pbx.example' was not imported "
        "(contact-tui keeps phone numbers only)"
    ]


def test_a_kept_number_that_reads_like_a_uri_comes_back_as_a_number() -> None:
    # Hypothesis found it: a number kept as typed ("A:1") was written as a plain TEL and read
    # back as a URI of scheme "a", so the round trip lost it. It is written as text now, and a
    # TEL said to be text is never taken for a URI.
    for version in ("3.0", "4.0"):
        kept = parse_phone("A:1", "US")
        contact = Contact(
            id="c1", type=ContactType.CURATED, first_name="Sam", last_name="Lee", other_phone=kept
        )
        text = write_vcard([contact], version)
        assert "VALUE=text:A:1" in text.replace("\r\n", "\n"), text
        row = only_row(text)
        assert row.draft.phones == {PhoneKind.OTHER: PhoneDraft("A:1")}
        assert row.warnings == []


def test_a_partial_n_takes_the_names_from_fn() -> None:
    row = only_row(card("N:Janet", "FN:Janet Jackson"))
    assert (row.draft.first_name, row.draft.last_name) == ("Janet", "Jackson")
    assert row.warnings == [
        "line 4: the name (N) holds only 'Janet'; the first and last name were taken from FN "
        "'Janet Jackson'"
    ]
    # FN that says no more than N leaves the single name alone, for the importer to decide.
    single = only_row(card("N:;Ambulance;;;", "FN:Ambulance"))
    assert (single.draft.first_name, single.draft.last_name) == ("Ambulance", "")
    assert not single.company


@pytest.mark.parametrize(
    "marker", ["KIND:org", "X-ABShowAs:COMPANY"], ids=["vcard4-kind", "apple-showas"]
)
def test_a_companys_card_has_its_organisation_as_its_one_name(marker: str) -> None:
    row = only_row(card("N:;;;;", "FN:Acme Widgets Inc.", "ORG:Acme Widgets Inc.;Sales", marker))
    assert (row.draft.first_name, row.draft.last_name) == ("Acme Widgets Inc.", "")
    assert row.company
    assert row.warnings == [
        "line 4: a company's card: its organisation 'Acme Widgets Inc.' is the name"
    ]
    # A company card that names a person keeps the person, and ORG is listed as not imported.
    person = only_row(card("N:Doe;Jo;;;", "ORG:Acme", marker))
    assert (person.draft.first_name, person.draft.last_name) == ("Jo", "Doe")
    assert not person.company


def test_typed_numbers_win_their_slot_over_untyped_ones() -> None:
    row = only_row(
        card(
            "N:Lee;Sam;;;",
            "TEL:+1 212 555 0101",
            "TEL:+1 212 555 0102",
            "TEL;TYPE=work:+1 212 555 0103",
            "TEL;TYPE=home:+1 212 555 0104",
            "TEL;TYPE=cell:+1 212 555 0105",
        )
    )
    assert row.draft.phones == {
        PhoneKind.CELL: PhoneDraft("+1 212 555 0105"),
        PhoneKind.WORK: PhoneDraft("+1 212 555 0103"),
        PhoneKind.HOME: PhoneDraft("+1 212 555 0104"),
        PhoneKind.OTHER: PhoneDraft("+1 212 555 0101"),
    }
    assert row.warnings == [
        "line 5: the phone number '+1 212 555 0102' was not imported "
        "(all four phone slots are taken)"
    ]


def test_untyped_and_mobile_emails_never_become_work() -> None:
    row = only_row(
        card("N:Lee;Sam;;;", "EMAIL:a@example.com", "EMAIL:b@example.com", "EMAIL:c@example.com")
    )
    assert row.draft.emails == {
        EmailKind.OTHER: "a@example.com",
        EmailKind.PERSONAL: "b@example.com",
    }
    assert row.warnings == [
        "line 6: the email address 'c@example.com' was not imported (Other and Personal are "
        "taken, and only a work address goes to Work)"
    ]
    cell = only_row(card("N:Lee;Sam;;;", "EMAIL;CELL:m@example.com", version="2.1"))
    assert cell.draft.emails == {EmailKind.PERSONAL: "m@example.com"}


# --- where a card's problems are reported ---------------------------------------------------

# A card starting on line 3 (two blank lines before it, as a hand-edited file has), with its
# properties on the lines the comments say. It is our own export's (X-CONTACT-TUI-TYPE), so
# a bad email or number is refused rather than left out with a warning, as another
# program's would be (tests/unit/test_vcard_details.py).
LINED = (
    "\r\n\r\n"
    "BEGIN:VCARD\r\n"  # 3
    "VERSION:3.0\r\n"  # 4
    "N:Silva;Ana;;;\r\n"  # 5
    "FN:Ana Silva\r\n"  # 6
    "EMAIL;TYPE=WORK:ana at example.com\r\n"  # 7
    "TEL;TYPE=CELL:0351 223344\r\n"  # 8
    "ADR:;;1 Main St;Dresden;;01067;\r\n"  # 9
    " Germany\r\n"  # 10: a fold, still the ADR of line 9
    "TITLE:Buyer\r\n"  # 11
    "X-CONTACT-TUI-TYPE:Curated\r\n"  # 12
    "END:VCARD\r\n"
)


def test_the_reader_says_which_line_each_field_came_from() -> None:
    [row] = read_vcard(LINED.encode()).rows

    assert row.line == 3
    assert row.line_of("firstName") == row.line_of("lastName") == 5
    assert row.line_of("workEmail") == 7
    assert row.line_of("cellPhone") == row.line_of("cellPhone.acceptsSMS") == 8
    assert row.line_of("address.city") == row.line_of("address.countryCode") == 9
    assert row.line_of("title") == 11
    # A field the card does not have is at the card's first line.
    assert row.line_of("homePhone") == row.line_of("notes") == 3


def test_a_bad_email_is_reported_at_its_own_line_not_the_cards_first() -> None:
    [row] = read_vcard(LINED.encode()).rows

    problem = check_row(row, "US")

    assert isinstance(problem, RowProblem)
    assert problem.line == 7, problem
    assert problem.message.startswith("Work email: Not an email address")


def test_bad_fields_on_several_lines_are_one_problem_naming_each_line() -> None:
    text = (
        LINED.replace("TITLE:Buyer", "TEL;TYPE=WORK:x12")
        .replace("N:Silva;Ana;;;", "N:;;;;")
        .replace("FN:Ana Silva", "NOTE:no name at all")
    )
    [row] = read_vcard(text.encode()).rows

    problem = check_row(row, "US")

    # At the first bad line (the empty N, line 5); the others say where they are.
    assert isinstance(problem, RowProblem)
    assert problem.line == 5, problem
    # No name at all: what the card holds tells the admin which contact it was.
    assert problem.message.startswith(
        "Name: the card has no name (N, FN or ORG); it holds an email 'ana at example.com', "
        "2 phones (the first '0351 223344'), an address and a note."
    )
    assert "Work phone (line 11): " in problem.message
    assert "Work email (line 7): Not an email address" in problem.message
    # One problem for the one card: it counts as one skipped row.
    assert str(problem).startswith("line 5: ")


def test_a_note_about_a_number_names_the_tel_line() -> None:
    # The German number is valid in Germany (the address's country), so it is searchable;
    # in the United States it is kept as typed, and the note points at the TEL line.
    text = LINED.replace("ana at example.com", "ana@example.com").replace(" Germany", " ")
    [row] = read_vcard(text.encode()).rows

    result = check_row(row, "US")

    assert isinstance(result, CheckedRow), result
    # Read in the default country: the note waits for the planner, which reads the number
    # again in the country of a stored contact's address, if the card updates one.
    [note] = [n for n in result.phone_notes.values() if "Cell phone" in n]
    assert note.startswith("line 8: Cell phone '0351 223344': "), note


@pytest.mark.parametrize(
    ("line", "field_id"),
    [
        ("X-CONTACT-TUI-TYPE:Customer", "type"),
        ("X-CONTACT-TUI-SURVEY-OPT-OUT:maybe", "surveyOptOut"),
    ],
)
def test_a_bad_value_in_our_own_property_is_reported_at_its_line(line: str, field_id: str) -> None:
    text = card("N:Silva;Ana;;;", "FN:Ana Silva", "NOTE:x", line)
    [row] = read_vcard(text.replace("\n", "\r\n").encode()).rows

    problem = check_row(row, "US")

    assert row.line_of(field_id) == 6
    assert isinstance(problem, RowProblem) and problem.line == 6, problem
