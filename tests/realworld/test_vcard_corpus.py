"""Real vCard files from other projects (tests/fixtures/realworld/vcard, sources in SOURCES.md):
for each, the cards read, where it is warned, what an import with the default choices lets
in and refuses, and that our export of what went in, in vCard 3.0 and 4.0, imports back
unchanged into the same store and into an empty one.

EXPECTED was taken from the reader and the importer, after their output for every card (names,
phones, emails, address, notes, warnings) was read through by hand; the tests below pin,
checked against the files themselves, the details issue 14 names (charsets, quoted-printable,
streets of several lines, broken lines, sip: TELs, company, place and group cards, nested
cards, Thunderbird's exports).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from contact_tui.domain.draft import PhoneDraft
from contact_tui.domain.model import EmailKind, PhoneKind
from contact_tui.exchange.formats import parse
from contact_tui.exchange.importer import ImportOptions, SingleName
from contact_tui.exchange.rows import ImportRow, ParsedFile
from contact_tui.exchange.vcard import read_vcard
from contact_tui.service import ContactService
from tests.realworld.conftest import Services

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "realworld" / "vcard"


class Expected(NamedTuple):
    """What one file gives: the cards read, the lines of file problems, the line of each
    warning on its cards (in order), and what an import with the default choices
    (``--single-name=refuse``, ``--skip-invalid``) does with it: the contacts created and the
    lines of the rows refused."""

    cards: int
    problem_lines: list[int]
    warnings: list[int]
    created: int
    refused: list[int]


# Rows refused by default: a single name (Android's "name", "boogie", Korean and Japanese
# one-word names, company, place and group cards: --single-name decides) or no name at all.
# A TEL that is no number (Outlook's "BusinessPhone", "ask Jenny") or an EMAIL that is no
# address (Thunderbird's "@invalid") is a warning at its line and the card goes in.
EXPECTED: dict[str, Expected] = {
    "android--v21_adr_multiple_line.vcf": Expected(1, [], [1, 6], 0, [3]),
    "android--v21_android_custom_prop.vcf": Expected(1, [], [1], 0, [1]),
    "android--v21_backslash.vcf": Expected(1, [], [3], 0, [3]),
    "android--v21_base64_no_2_crlf.vcf": Expected(1, [], [1], 0, [3]),
    "android--v21_blackberry_photo.vcf": Expected(1, [], [1], 0, [4]),
    "android--v21_complicated.vcf": Expected(1, [], [1, 3, 13, 16], 1, []),
    "android--v21_im.vcf": Expected(1, [], [1], 0, [1]),
    "android--v21_invalid_comment_line.vcf": Expected(1, [], [6, 9], 0, [4]),
    "android--v21_invalid_multiple_line.vcf": Expected(1, [], [4], 0, [3]),
    "android--v21_japanese_1.vcf": Expected(1, [], [1], 0, [3]),
    "android--v21_japanese_2.vcf": Expected(1, [], [1], 1, []),
    "android--v21_japanese_3.vcf": Expected(1, [], [], 1, []),
    "android--v21_malformed_photo.vcf": Expected(1, [], [1], 0, [3]),
    "android--v21_multiple_entry.vcf": Expected(3, [], [1, 12, 23], 0, [3, 14, 25]),
    "android--v21_nest.vcf": Expected(3, [], [], 0, [3, 6, 10]),
    "android--v21_org_before_title.vcf": Expected(1, [], [1], 1, []),
    "android--v21_pref_handling.vcf": Expected(1, [], [1, 12, 14], 0, [3]),
    "android--v21_simple_1.vcf": Expected(1, [], [], 1, []),
    "android--v21_simple_2.vcf": Expected(1, [], [], 1, []),
    "android--v21_simple_3.vcf": Expected(1, [], [], 1, []),
    "android--v21_sip.vcf": Expected(1, [], [1], 0, [3]),
    "android--v21_title_before_org.vcf": Expected(1, [], [1], 1, []),
    "android--v21_winmo_65.vcf": Expected(1, [], [1], 0, [3]),
    "android--v21_x_android_custom_after_photo.vcf": Expected(1, [], [1], 1, []),
    "android--v21_x_param.vcf": Expected(1, [], [4], 1, []),
    "android--v30_comma_separated.vcf": Expected(1, [], [], 1, []),
    "android--v30_ios_613_multiline.vcf": Expected(1, [], [1], 1, []),
    "android--v30_japanese.vcf": Expected(1, [], [], 1, []),
    "android--v30_multibyte_param.vcf": Expected(1, [], [], 1, []),
    "android--v30_pager.vcf": Expected(1, [], [], 1, []),
    "android--v30_pause_wait.vcf": Expected(1, [], [], 1, []),
    "android--v30_simple.vcf": Expected(1, [], [1], 1, []),
    "android--v30_sip.vcf": Expected(1, [], [4], 0, [3]),
    "android--v40_sip.vcf": Expected(1, [], [6], 1, []),
    "android--v40_sort_as.vcf": Expected(1, [], [1], 1, []),
    "eds--custom-1.vcf": Expected(1, [], [1, 3], 1, []),
    "eds--file-as-1.vcf": Expected(1, [], [1], 1, []),
    "eds--libebook-vcard-11.vcf": Expected(1, [], [1], 1, []),
    "eds--libebook-vcard-12.vcf": Expected(1, [], [1], 1, []),
    "eds--libebook-vcard-13.vcf": Expected(1, [], [1, 13, 15], 1, []),
    "eds--libebook-vcard-3.vcf": Expected(1, [], [1, 6], 1, []),
    "eds--libebook-vcard-4.vcf": Expected(1, [], [1, 6], 1, []),
    "eds--libebook-vcard-5.vcf": Expected(1, [], [1, 18, 20, 22, 24], 0, [7]),
    "eds--libebook-vcard-8.vcf": Expected(0, [1], [], 0, [1]),
    "eds--migrate-1.vcf": Expected(1, [], [], 1, []),
    "eds--migrate-6.vcf": Expected(1, [], [4], 1, []),
    "eds--name-only.vcf": Expected(1, [], [], 1, []),
    "eds--photo-1.vcf": Expected(1, [], [1, 58], 0, [5]),
    "eds--simple-1.vcf": Expected(1, [], [1], 1, []),
    "eds--sorted-2.vcf": Expected(1, [], [], 1, []),
    "ezvcard--John_Doe_ANDROID.vcf": Expected(
        6, [], [1, 6, 11, 14, 18, 36, 44, 71, 82], 2, [1, 6, 20, 73]
    ),
    "ezvcard--John_Doe_BLACK_BERRY.vcf": Expected(1, [], [1], 1, []),
    "ezvcard--John_Doe_EVOLUTION.vcf": Expected(1, [], [1, 14, 37], 1, []),
    "ezvcard--John_Doe_GMAIL.vcf": Expected(1, [], [1, 4], 1, []),
    "ezvcard--John_Doe_IPHONE.vcf": Expected(1, [], [1, 7, 27, 29, 31, 39], 1, []),
    "ezvcard--John_Doe_LOTUS_NOTES.vcf": Expected(1, [], [1, 4], 1, []),
    "ezvcard--John_Doe_MAC_ADDRESS_BOOK.vcf": Expected(1, [], [1, 3, 15, 16, 17, 21], 1, []),
    "ezvcard--John_Doe_MS_OUTLOOK.vcf": Expected(1, [], [1, 3, 14], 1, []),
    "ezvcard--gmail-list.vcf": Expected(3, [], [], 3, []),
    "ezvcard--gmail-single.vcf": Expected(1, [], [1, 14], 1, []),
    "ezvcard--gmail-single2.vcf": Expected(
        1, [], [1, 11, 12, 25, 27, 28, 29, 30, 32, 33, 36, 37, 38, 39], 1, []
    ),
    "ezvcard--outlook-2003.vcf": Expected(1, [], [1, 3, 10, 11, 12, 13], 1, []),
    "ezvcard--outlook-2007.vcf": Expected(1, [], [1, 3], 1, []),
    "ezvcard--rfc2426-example.vcf": Expected(2, [], [1, 13], 2, []),
    "ezvcard--rfc6350-example.vcf": Expected(1, [], [1, 4], 1, []),
    "ezvcard--thunderbird-MoreFunctionsForAddressBook-extension.vcf": Expected(
        1, [], [1, 8, 13, 16, 17, 18], 1, []
    ),
    "kcontacts--testfullvcard.vcf": Expected(1, [], [1, 7, 17, 27], 1, []),
    "kcontacts--vcard10.vcf": Expected(5, [], [1, 9, 13, 19, 23], 4, [6]),
    "kcontacts--vcard12.vcf": Expected(1, [], [1], 1, []),
    "kcontacts--vcard15.vcf": Expected(1, [], [1], 1, []),
    "kcontacts--vcard4.vcf": Expected(1, [], [1, 1, 3], 0, [10]),
    "kcontacts--vcard5.vcf": Expected(1, [], [1, 4], 1, []),
    "kcontacts--vcard7.vcf": Expected(1, [], [1], 0, [2]),
    "kcontacts--vcard8.vcf": Expected(1, [], [], 0, [3]),
    "kcontacts--vcard9.vcf": Expected(1, [], [11], 0, [5]),
    "kcontacts--vcard_extension_case_normalization.vcf": Expected(1, [], [1], 1, []),
    "kcontacts--vcard_legacy_messaging_fields.vcf": Expected(1, [], [6, 7, 8], 1, []),
    "kcontacts--vcardwithitemasapplesupport.vcf": Expected(1, [], [1, 3], 1, []),
    "khard--contact1.vcf": Expected(1, [], [1], 1, []),
    "khard--korean-c.vcf": Expected(1, [], [], 0, [3]),
    "khard--labels.vcf": Expected(1, [], [1], 1, []),
    "khard--org.vcf": Expected(1, [], [5], 0, [6]),
    "khard--post.vcf": Expected(1, [], [4], 1, []),
    "khard--tel-value-uri.vcf": Expected(1, [], [], 1, []),
    "roundcube--apple.vcf": Expected(1, [], [1, 4], 0, [5]),
    "roundcube--csv2vcard-gmail.vcf": Expected(
        1, [], [1, 4, 12, 13, 14, 15, 16, 17, 18, 19, 26], 1, []
    ),
    "roundcube--johndoe.vcf": Expected(1, [], [1], 1, []),
    "roundcube--thebat.vcf": Expected(1, [], [1, 3, 4], 1, []),
    "roundcube--utf-16_sample.vcf": Expected(1, [], [1], 1, []),
    "sabre--issue153.vcf": Expected(1, [], [1], 1, []),
    "sabre--issue64.vcf": Expected(1, [], [1], 0, [1]),
    "thunderbird--basic_vcard_addressbook.vcf": Expected(2, [], [5, 11], 2, []),
    "thunderbird--dos_vcard_addressbook.vcf": Expected(1, [], [], 1, []),
    "thunderbird--emptylines_vcard_addressbook.vcf": Expected(2, [], [7, 15], 2, []),
    "thunderbird--export-v21.vcf": Expected(2, [], [4, 11], 2, []),
    "thunderbird--export.vcf": Expected(2, [], [3, 8, 10, 18], 2, []),
    "thunderbird--v3-binary-png.vcf": Expected(1, [], [1], 1, []),
    "vcard4android--allfields-vcard3.vcf": Expected(1, [], [1, 3, 5, 19, 21, 25], 1, []),
    "vcard4android--vcard4.vcf": Expected(1, [], [1], 1, []),
    "vobject--radicale-1587.vcf": Expected(1, [], [1, 4], 1, []),
    "vobject--vcard40_full.vcf": Expected(1, [], [1, 6, 12, 18, 19], 1, []),
    "vobject--vcard40_group.vcf": Expected(1, [], [1, 4], 0, [4]),
    "vobject--vcard40_location.vcf": Expected(1, [], [1, 4], 0, [4]),
    "vobject--vcard40_multilang.vcf": Expected(1, [], [6], 1, []),
    "vobject--vcard40_org.vcf": Expected(1, [], [1, 4], 0, [5]),
    "vobject--vcard40_simple.vcf": Expected(1, [], [], 1, []),
}


def read(name: str) -> ParsedFile:
    return parse(name, (CORPUS / name).read_bytes(), "vcard")[1]


def test_every_file_in_the_corpus_has_its_expectation_and_a_source() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.vcf"))
    assert files == sorted(EXPECTED)
    assert len(files) >= 40
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in sources for name in files)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_reads_and_imports_as_expected(store: Services, name: str) -> None:
    expected = EXPECTED[name]
    parsed = read(name)
    assert len(parsed.rows) == expected.cards
    assert [p.line for p in parsed.problems] == expected.problem_lines
    warned = [int(w.split(":")[0].removeprefix("line ")) for r in parsed.rows for w in r.warnings]
    assert warned == expected.warnings
    report = store("main").import_contacts(read(name), skip_invalid=True)
    assert len(report.created) == expected.created
    assert [p.line for p in report.problems] == expected.refused


def only(name: str) -> ImportRow:
    (row,) = read(name).rows
    return row


def test_roundcube_windows_1252_name_is_decoded_in_its_charset() -> None:
    row = only("roundcube--johndoe.vcf")
    assert (row.draft.first_name, row.draft.last_name) == ("John", "Doë")
    assert row.draft.emails == {
        EmailKind.WORK: "inbox@roundcube.net",
        EmailKind.PERSONAL: "roundcube@gmail.com",
    }
    assert {k: p.text for k, p in row.draft.phones.items()} == {
        PhoneKind.WORK: "+123456789",
        PhoneKind.CELL: "+987654321",
    }
    assert row.draft.address["countryCode"] == "Cayman Islands"


def test_android_shift_jis_and_owncloud_split_character_are_decoded() -> None:
    japanese = only("android--v21_japanese_1.vcf")
    # N:安藤ロイド;;;; in Shift_JIS: the family name, and N says so.
    assert (japanese.draft.last_name, japanese.names_placed) == ("安藤ロイド", True)
    owncloud = only("kcontacts--vcard9.vcf")
    [note] = owncloud.contact_notes
    assert note.startswith("Длинный комментарий на русском языке")
    assert owncloud.draft.last_name.startswith("123ㄓㄕㄖbcde\u03b1\u03b2\u03b3\u03b4")  # N:...;;;;


def test_a_utf16_file_without_trouble() -> None:
    row = only("roundcube--utf-16_sample.vcf")
    assert (row.draft.first_name, row.draft.last_name) == ("Ǽgean", "ĽdaMonté")
    assert row.draft.address["state"] == "Conceptión"


def test_broken_lines_in_properties_we_do_not_read_are_warnings() -> None:
    comments = only("android--v21_invalid_comment_line.vcf")
    assert comments.contact_notes == [
        "This is an (sharp ->#<- sharp) example. This message must NOT be ignored."
    ]
    assert [w[:7] for w in comments.warnings] == ["line 6:", "line 9:"]
    legacy = only("kcontacts--vcard_legacy_messaging_fields.vcf")
    assert (legacy.draft.first_name, legacy.draft.last_name) == ("My", "Name")
    assert [w[:7] for w in legacy.warnings] == ["line 6:", "line 7:", "line 8:"]
    evolution = only("eds--libebook-vcard-11.vcf")
    assert evolution.warnings == [
        "line 1: X-EVOLUTION-FILE-AS, NOPARAM, TAIL, MIDDLE not imported "
        "(contact-tui has no such field)"
    ]


def test_streets_of_several_lines_and_sip_addresses() -> None:
    gmail = only("ezvcard--John_Doe_GMAIL.vcf")
    assert gmail.draft.address["address1"] == "Crescent moon drive"
    assert gmail.draft.address["address2"] == (
        "555-asd, Nice Area, Albaney, New York 12345, United States of America"
    )
    android = only("android--v21_adr_multiple_line.vcf")
    assert android.draft.address["address1"] == "Grindelberg 999"
    sip = only("android--v40_sip.vcf")
    assert {k: p.text for k, p in sip.draft.phones.items()} == {PhoneKind.HOME: "1"}
    assert "the SIP address 'sip:example@example.com' was not imported" in sip.warnings[0]


def test_company_cards_carry_the_organisation_as_their_name() -> None:
    for name, company in (
        ("khard--org.vcf", "ACME Inc."),
        ("roundcube--apple.vcf", "Apple Computer AG"),
    ):
        row = only(name)
        assert row.company
        assert (row.draft.first_name, row.draft.last_name) == (company, "")
    assert only("khard--org.vcf").contact_id == "429A43AB-52F2-4714-AA62-077528A12464"


@pytest.mark.parametrize("version", ["4.0", "3.0"])
def test_the_corpus_imported_then_exported_imports_back_unchanged(
    service: ContactService, version: str
) -> None:
    options = ImportOptions(single_name=SingleName.FIRST)
    first = 0
    for name in sorted(EXPECTED):
        report = service.import_contacts(read(name), skip_invalid=True, options=options)
        first += len(report.created)
    # 109 of the 125 cards: 6 have no name at all and 10 match an earlier card. (A TEL that
    # is no number or an EMAIL that is no address is a warning, not a refused card.)
    assert first == 109
    export = service.export_text("vcard", version)
    assert export.count == first
    again = service.import_contacts(read_vcard(export.text.encode()), options=options)
    assert again.problems == []
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, first)
    # The cards' notes became contact notes, written back as NOTEs, and none was added twice.
    assert "\r\nNOTE:" in export.text and again.notes_added == []
    assert service.export_text("vcard", version).text == export.text


@pytest.mark.parametrize("version", ["4.0", "3.0"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_exported_then_imported_changes_nothing(
    store: Services, name: str, version: str
) -> None:
    # Single names go in as first names, so that as much of each file as can goes in.
    main = store("main")
    first = main.import_contacts(
        read(name), skip_invalid=True, options=ImportOptions(single_name=SingleName.FIRST)
    )
    export = main.export_text("vcard", version)
    assert export.count == len(first.created)
    # Into the same store, with the default choices: every contact is found unchanged (a
    # contact stored with one name included: our own card says which name it is).
    again = main.import_contacts(read_vcard(export.text.encode()))
    assert again.problems == []
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, export.count)
    assert again.notes_added == [] and again.single_name_lines == []
    assert main.export_text("vcard", version).text == export.text
    # Into an empty store: the same contacts, ids, dates and notes, in the same order.
    other = store("other")
    back = other.import_contacts(read_vcard(export.text.encode()))
    assert back.problems == [] and len(back.created) == export.count
    assert other.export_text("vcard", version).text == export.text


def test_thunderbirds_lower_case_quoted_printable_note_is_decoded() -> None:
    _, two = read("thunderbird--export-v21.vcf").rows
    assert two.contact_notes == ["here's some unicode text\u2026"]
    assert two.draft.title == '"worker"'
    # Its 4.0 export today: a raw carriage return inside an X-CUSTOM3 value is a warning.
    _, four = read("thunderbird--export.vcf").rows
    assert four.contact_notes == two.contact_notes
    assert four.warnings[-1].startswith("line 18: this line was not imported")
    # Line ends of \r\r\n (a DOS file saved again on Windows) and blank lines around cards.
    (dos,) = read("thunderbird--dos_vcard_addressbook.vcf").rows
    assert (dos.draft.first_name, dos.draft.last_name) == ("Name", "Surname")
    assert dos.draft.emails == {EmailKind.PERSONAL: "example@gmail.com"}


def test_a_card_nested_in_another_is_a_card_of_its_own() -> None:
    parsed = read("android--v21_nest.vcf")
    assert parsed.problems == []
    assert [(r.line, r.draft.first_name) for r in parsed.rows] == [
        (1, "parent"),
        (4, "nest1"),
        (8, "nest2"),
    ]
    # The parent card goes on after the nested ones: its TEL is after them.
    assert parsed.rows[0].draft.phones == {PhoneKind.OTHER: PhoneDraft("1")}


def test_place_and_group_cards_are_one_name_never_split_into_a_person() -> None:
    place = only("vobject--vcard40_location.vcf")
    assert (place.draft.first_name, place.draft.last_name) == ("Empire State Building", "")
    assert place.company
    assert "line 4: a place's card: 'Empire State Building' is one name" in place.warnings[1]
    group = only("vobject--vcard40_group.vcf")
    assert (group.draft.first_name, group.draft.last_name) == ("The Doe Family", "")
    assert not group.company
    # A company card without N takes its organisation, not its FN.
    org = only("vobject--vcard40_org.vcf")
    assert (org.draft.first_name, org.company) == ("ABC, Inc.", True)
    # A person's card without N still takes both names from FN.
    person = only("vobject--vcard40_simple.vcf")
    assert (person.draft.first_name, person.draft.last_name) == ("John", "Doe")


def test_a_card_whose_only_name_is_its_organisation_is_a_companys() -> None:
    # KDE's 2.1 card with ORG and no N or FN; Evolution's with an empty FN and N: their
    # organisation is the one name, for --single-name=company, not a nameless card.
    bike_shop = read("kcontacts--vcard10.vcf").rows[0]
    assert (bike_shop.draft.first_name, bike_shop.company) == ("Bike Shop", True)
    assert bike_shop.line_of("firstName") == 6
    ximian = only("kcontacts--vcard4.vcf")
    assert (ximian.draft.first_name, ximian.company) == ("Ximian, Inc.", True)
    assert (
        ximian.warnings[0]
        == "line 1: a company's card: its organisation 'Ximian, Inc.' is the name"
    )
    # A person's card that also names an organisation stays a person's.
    person = only("android--v21_org_before_title.vcf")
    assert (person.draft.first_name, person.draft.last_name, person.company) == (
        "Normal",
        "Guy",
        False,
    )


def test_a_german_card_s_numbers_are_german_and_a_short_one_is_not_american(
    store: Services,
) -> None:
    # Issue 14, item 4, on the very files: KDE's card for Heiko Mustermann of Dresden, whose
    # address says Germany, and Evolution's 7654321.
    main = store("main")
    german = main.import_contacts(read("kcontacts--vcard5.vcf"))
    assert german.problems == []
    [heiko] = main.export_contacts()
    assert {k.value: (p.display, p.e164) for k, p in heiko.phones()} == {
        "workPhone": ("+49 351 443322", "+49351443322"),
        "homePhone": ("+49 351 223344", "+49351223344"),
        "cellPhone": ("0173 223344", None),  # too short for a German mobile: kept as typed
    }
    assert any("not a valid number in Germany (+49)" in w for w in german.warnings)
    short = main.import_contacts(read("eds--sorted-2.vcf"))
    assert any(
        "Home phone '7654321': Kept as typed" in w and "United States (+1)" in w
        for w in short.warnings
    )
    stored = next(c for c in main.export_contacts() if c.id == "sorted-2")
    assert stored.home_phone is not None and stored.home_phone.e164 is None


def test_a_card_cut_off_before_its_end_is_refused_at_its_begin() -> None:
    parsed = read("eds--libebook-vcard-8.vcf")
    assert parsed.rows == []
    assert [str(p) for p in parsed.problems] == [
        "line 1: this card has no END:VCARD; add one after its last line, then try again"
    ]


def test_tels_that_are_no_numbers_are_warnings_and_the_cards_go_in(store: Services) -> None:
    # Issue 14, item 11: Evolution's "ask Jenny", Outlook 2003's placeholders, Japanese text
    # in Evolution's TELs and Roundcube's Gmail card each refused the whole contact.
    migrate = only("eds--migrate-6.vcf")
    assert (migrate.draft.first_name, migrate.draft.last_name, migrate.draft.phones) == (
        "First Name",
        "Bäd",
        {},
    )
    assert migrate.warnings == [
        'line 4: TEL "ask Jenny for Lisa\'s number" is not a phone number (it has no digits) '
        "and was not imported"
    ]
    outlook = only("ezvcard--outlook-2003.vcf")
    assert outlook.draft.phones == {}
    assert outlook.warnings[2:] == [
        f"line {line}: TEL {text!r} is not a phone number (it has no digits) and was not imported"
        for line, text in (
            (10, "BusinessPhone"),
            (11, "HomePhone"),
            (12, "MobilePhone"),
            (13, "BusinessFaxPhone"),
        )
    ]
    japanese = only("eds--libebook-vcard-5.vcf")
    assert japanese.draft.phones == {}
    assert [w[:13] for w in japanese.warnings[1:]] == [
        "line 18: TEL ",
        "line 20: TEL ",
        "line 22: TEL ",
        "line 24: TEL ",
    ]
    gmail = only("roundcube--csv2vcard-gmail.vcf")
    assert gmail.draft.phones == {}
    assert gmail.warnings[3:10] == [
        f"line {line}: TEL {text!r} is not a phone number (it has no digits) and was not imported"
        for line, text in (
            (13, "pager"),
            (14, "mainphone"),
            (15, "homephone"),
            (16, "homefax"),
            (17, "mobile"),
            (18, "workphone"),
            (19, "workfax"),
        )
    ]
    main = store("main")
    for name in (
        "eds--migrate-6.vcf",
        "ezvcard--outlook-2003.vcf",
        "roundcube--csv2vcard-gmail.vcf",
    ):
        report = main.import_contacts(read(name))
        assert (len(report.created), report.problems) == (1, []), name


def test_emails_that_are_no_addresses_are_warnings_and_the_cards_go_in() -> None:
    first, _ = read("thunderbird--export.vcf").rows
    assert first.draft.emails == {}
    assert first.warnings == [
        "line 3: EMAIL 'contact1@invalid' was not imported: not an email address: the part "
        "after the @ is not valid; it should have a period."
    ]
    evolution = only("eds--libebook-vcard-13.vcf")
    assert evolution.draft.emails == {EmailKind.OTHER: "Frank_Dawson@Lotus.com"}
    assert evolution.warnings[1].startswith("line 13: EMAIL 'semicolon;@points.net' was not")
    # Android's address with a name: the address in angle brackets goes in.
    omega = only("android--v21_invalid_multiple_line.vcf")
    assert omega.draft.emails == {EmailKind.OTHER: "omega@example.com"}


def test_the_bat_s_21_card_in_its_windows_code_page_goes_in_with_a_warning(
    store: Services,
) -> None:
    # Issue 14, item 10: The Bat! wrote N and FN in the system's code page and named none.
    # Read as windows-1252, 0xF1 is "ñ"; the man is Polish ("Iksiński", windows-1250), which
    # is why the warning asks to check the name.
    row = only("roundcube--thebat.vcf")
    assert (row.draft.first_name, row.draft.last_name) == ("Piotr", "Iksiñski")
    why = "because it is not UTF-8 and the line names no CHARSET; check the name"
    assert row.warnings[1:] == [
        f"line 3: N 'Iksiñski;Piotr' was read as Windows-1252 (Western European) {why}",
        f"line 4: FN 'Piotr Iksiñski' was read as Windows-1252 (Western European) {why}",
    ]
    report = store("main").import_contacts(read("roundcube--thebat.vcf"))
    assert (len(report.created), report.problems) == (1, [])
