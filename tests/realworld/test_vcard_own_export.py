"""Our own vCard export imported again (issue 14, "export then import changes nothing"): a
contact stored with one name, and a contact's several notes, come back exactly as they were."""

from __future__ import annotations

import pytest

from contact_tui.exchange.importer import ImportOptions, SingleName
from contact_tui.exchange.vcard import read_vcard
from tests.realworld.conftest import Services

# khard's company card (its one name goes in as the last name with --single-name=company) and
# a phone's one-word name (as the first name with --single-name=first).
ACME = "BEGIN:VCARD\nVERSION:4.0\nUID:429A43AB-52F2-4714-AA62-077528A12464\nKIND:org\n"
ACME += "FN:ACME Inc.\nORG:ACME Inc.;\nEND:VCARD\n"
AMBULANCE = "BEGIN:VCARD\nVERSION:2.1\nN:;Ambulance;;;\nTEL;CELL:+44 7700 900999\nEND:VCARD\n"


def vcf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def single_names(main: Services) -> None:
    service = main("main")
    company = service.import_contacts(
        read_vcard(vcf(ACME)), options=ImportOptions(single_name=SingleName.COMPANY)
    )
    first = service.import_contacts(
        read_vcard(vcf(AMBULANCE)), options=ImportOptions(single_name=SingleName.FIRST)
    )
    assert (len(company.created), len(first.created)) == (1, 1)


@pytest.mark.parametrize("version", ["4.0", "3.0"])
def test_a_contact_stored_with_one_name_comes_back_from_our_export_as_it_was(
    store: Services, version: str
) -> None:
    single_names(store)
    main = store("main")
    export = main.export_text("vcard", version).text
    assert "\r\nN:ACME Inc.;;;;\r\n" in export and "\r\nN:;Ambulance;;;\r\n" in export

    # The default choice refuses single names from other files, not from our own export,
    # which says which name the contact has: nothing to choose, nothing counted as chosen.
    again = main.import_contacts(read_vcard(export.encode()))
    assert again.problems == []
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 2)
    assert again.single_name_lines == []
    assert again.summary() == "Imported 2 of 2 rows: 0 created, 0 updated, 2 unchanged."

    # Into an empty store: the same two contacts, each name in its own slot.
    other = store("other")
    back = other.import_contacts(read_vcard(export.encode()))
    assert (len(back.created), back.problems) == (2, [])
    assert other.export_text("vcard", version).text == export


@pytest.mark.parametrize("choice", [SingleName.FIRST, SingleName.LAST])
def test_a_choice_given_again_never_moves_a_name_of_our_export(
    store: Services, choice: SingleName
) -> None:
    # Before, --single-name=first on our export of the company put "ACME Inc." in the first
    # name too while the stored last name stayed: "ACME Inc. ACME Inc.".
    single_names(store)
    main = store("main")
    export = main.export_text("vcard", "4.0").text
    again = main.import_contacts(read_vcard(export.encode()), options=ImportOptions(choice))
    assert (len(again.updated), again.unchanged, again.problems) == (0, 2, [])
    names = sorted((c.first_name, c.last_name) for c in main.export_contacts())
    assert names == [("", "ACME Inc."), ("Ambulance", "")]


def test_a_cards_notes_keep_their_order_in_an_empty_store(store: Services) -> None:
    notes = [f"NOTE:note {n} of six" for n in range(1, 7)]
    card = "\n".join(["BEGIN:VCARD", "VERSION:3.0", "N:Doe;Jane", *notes, "END:VCARD", ""])
    main = store("main")
    first = main.import_contacts(read_vcard(vcf(card)))
    assert len(first.notes_added) == 6
    export = main.export_text("vcard", "4.0").text
    # The six notes were added by one import at one time: they still come back in the
    # card's order (there are 720 orders; before, the store's random ids chose one).
    written = [line for line in export.split("\r\n") if line.startswith("NOTE:")]
    assert written == notes
    other = store("other")
    other.import_contacts(read_vcard(export.encode()))
    assert other.export_text("vcard", "4.0").text == export
