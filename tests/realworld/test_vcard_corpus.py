"""Real vCard files from other projects (tests/fixtures/realworld/vcard, sources in SOURCES.md):
what each gives, what is warned, and that our export of what went in imports back unchanged.

EXPECTED was taken from the reader and then checked by hand against the files for the ones in
the detailed tests below (roundcube johndoe, Android v21_japanese_1, v21_adr_multiple_line,
v21_invalid_comment_line and v40_sip, kcontacts vcard9 and the legacy messaging file, Evolution
vcard 11, ez-vcard's Gmail export, khard's org card, Roundcube's apple and UTF-16 cards).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_tui.domain.model import EmailKind, PhoneKind
from contact_tui.exchange.formats import parse
from contact_tui.exchange.importer import ImportOptions, SingleName
from contact_tui.exchange.rows import ImportRow, ParsedFile
from contact_tui.exchange.vcard import read_vcard
from contact_tui.service import ContactService

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "realworld" / "vcard"

# File: (cards read, lines of file problems, warnings on its cards).
EXPECTED: dict[str, tuple[int, list[int], int]] = {
    "android--v21_adr_multiple_line.vcf": (1, [], 2),
    "android--v21_backslash.vcf": (1, [], 1),
    "android--v21_complicated.vcf": (1, [], 4),
    "android--v21_im.vcf": (1, [], 1),
    "android--v21_invalid_comment_line.vcf": (1, [], 2),
    "android--v21_japanese_1.vcf": (1, [], 1),
    "android--v21_japanese_2.vcf": (1, [], 1),
    "android--v21_multiple_entry.vcf": (3, [], 3),
    "android--v21_pref_handling.vcf": (1, [], 3),
    "android--v21_sip.vcf": (1, [], 1),
    "android--v21_winmo_65.vcf": (1, [], 1),
    "android--v30_ios_613_multiline.vcf": (1, [], 1),
    "android--v30_japanese.vcf": (1, [], 0),
    "android--v30_simple.vcf": (1, [], 1),
    "android--v30_sip.vcf": (1, [], 1),
    "android--v40_sip.vcf": (1, [], 1),
    "eds--libebook-vcard-11.vcf": (1, [], 1),
    "eds--libebook-vcard-5.vcf": (1, [], 1),
    "eds--migrate-1.vcf": (1, [], 0),
    "eds--migrate-6.vcf": (1, [], 0),
    "eds--name-only.vcf": (1, [], 0),
    "eds--simple-1.vcf": (1, [], 1),
    "ezvcard--John_Doe_ANDROID.vcf": (6, [], 8),
    "ezvcard--John_Doe_BLACK_BERRY.vcf": (1, [], 1),
    "ezvcard--John_Doe_EVOLUTION.vcf": (1, [], 3),
    "ezvcard--John_Doe_GMAIL.vcf": (1, [], 2),
    "ezvcard--John_Doe_IPHONE.vcf": (1, [], 6),
    "ezvcard--John_Doe_LOTUS_NOTES.vcf": (1, [], 2),
    "ezvcard--John_Doe_MAC_ADDRESS_BOOK.vcf": (1, [], 6),
    "ezvcard--John_Doe_MS_OUTLOOK.vcf": (1, [], 3),
    "ezvcard--gmail-list.vcf": (3, [], 0),
    "ezvcard--gmail-single.vcf": (1, [], 2),
    "ezvcard--gmail-single2.vcf": (1, [], 14),
    "ezvcard--outlook-2003.vcf": (1, [], 2),
    "ezvcard--outlook-2007.vcf": (1, [], 2),
    "ezvcard--rfc2426-example.vcf": (2, [], 2),
    "ezvcard--rfc6350-example.vcf": (1, [], 2),
    "ezvcard--thunderbird-MoreFunctionsForAddressBook-extension.vcf": (1, [], 6),
    "kcontacts--testfullvcard.vcf": (1, [], 4),
    "kcontacts--vcard10.vcf": (5, [], 5),
    "kcontacts--vcard4.vcf": (1, [], 2),
    "kcontacts--vcard9.vcf": (1, [], 1),
    "kcontacts--vcard_legacy_messaging_fields.vcf": (1, [], 3),
    "kcontacts--vcardwithitemasapplesupport.vcf": (1, [], 2),
    "khard--contact1.vcf": (1, [], 1),
    "khard--korean-c.vcf": (1, [], 0),
    "khard--labels.vcf": (1, [], 1),
    "khard--org.vcf": (1, [], 1),
    "khard--post.vcf": (1, [], 1),
    "khard--tel-value-uri.vcf": (1, [], 0),
    "roundcube--apple.vcf": (1, [], 2),
    "roundcube--csv2vcard-gmail.vcf": (1, [], 7),
    "roundcube--johndoe.vcf": (1, [], 1),
    "roundcube--thebat.vcf": (0, [3], 0),
    "roundcube--utf-16_sample.vcf": (1, [], 1),
    "sabre--issue153.vcf": (1, [], 1),
    "sabre--issue64.vcf": (1, [], 1),
    "vcard4android--allfields-vcard3.vcf": (1, [], 6),
    "vcard4android--vcard4.vcf": (1, [], 1),
    "vobject--radicale-1587.vcf": (1, [], 2),
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
def test_each_file_reads_as_expected(name: str) -> None:
    parsed = read(name)
    cards, problem_lines, warnings = EXPECTED[name]
    assert len(parsed.rows) == cards
    assert [p.line for p in parsed.problems] == problem_lines
    assert sum(len(r.warnings) for r in parsed.rows) == warnings


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
    assert only("android--v21_japanese_1.vcf").draft.first_name == "安藤ロイド"
    owncloud = only("kcontacts--vcard9.vcf")
    [note] = owncloud.contact_notes
    assert note.startswith("Длинный комментарий на русском языке")
    assert owncloud.draft.first_name.startswith("123ㄓㄕㄖbcde\u03b1\u03b2\u03b3\u03b4")


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
    # 57 of 73 cards: the others lack any name, hold a phone without digits, or match an
    # earlier card.
    assert first == 57
    export = service.export_text("vcard", version)
    assert export.count == first
    again = service.import_contacts(read_vcard(export.text.encode()), options=options)
    assert again.problems == []
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, first)
    # The cards' notes became contact notes, written back as NOTEs, and none was added twice.
    assert "\r\nNOTE:" in export.text and again.notes_added == []
    assert service.export_text("vcard", version).text == export.text
