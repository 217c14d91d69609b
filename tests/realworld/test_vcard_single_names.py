"""Single names from real vCards (issue 14, item 12): the refusal names the importer's
choice, and the summary counts the rows each choice let in or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_tui.exchange.formats import parse
from contact_tui.exchange.importer import ImportOptions, SingleName
from contact_tui.exchange.rows import ParsedFile
from tests.realworld.conftest import Services

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "realworld" / "vcard"
# One-word names from phones (Android's Japanese and BlackBerry cards, khard's Korean card)
# and company, place and group cards.
PEOPLE = ("android--v21_japanese_1.vcf", "android--v21_blackberry_photo.vcf", "khard--korean-c.vcf")
COMPANIES = ("khard--org.vcf", "roundcube--apple.vcf", "vobject--vcard40_location.vcf")
GROUP = "vobject--vcard40_group.vcf"


def read(name: str) -> ParsedFile:
    return parse(name, (CORPUS / name).read_bytes(), "vcard")[1]


def test_a_refused_single_name_names_the_choices_that_let_it_in(store: Services) -> None:
    main = store("main")
    person = main.import_contacts(read("android--v21_japanese_1.vcf"))
    [problem] = person.problems
    # Its N (安藤ロイド;;;;) says the one name is the family name: it is kept there, and
    # --single-name=as-given may keep it so.
    assert str(problem) == (
        "line 3: First name is required. '安藤ロイド' is a single name (the file has it as "
        "the last name): import it with --single-name=as-given, --single-name=first or "
        "--single-name=last to keep it as that name and leave the other empty."
    )
    assert person.summary().endswith(
        "1 row has a single name and was refused (--single-name=refuse)."
    )
    company = main.import_contacts(read("khard--org.vcf"))
    [problem] = company.problems
    assert "'ACME Inc.' is a company's name: import it with --single-name=company, " in str(problem)
    place = main.import_contacts(read("vobject--vcard40_location.vcf"))
    [problem] = place.problems
    assert "'Empire State Building' is a place's name: import it with " in str(problem)
    group = main.import_contacts(read(GROUP))
    [problem] = group.problems
    assert "is a group's name: import it with --single-name=first or " in str(problem)


def test_as_given_keeps_the_name_an_n_places_and_refuses_the_ones_it_does_not(
    store: Services,
) -> None:
    main = store("main")
    options = ImportOptions(single_name=SingleName.AS_GIVEN)
    # N:安藤ロイド;;;; names the family name: it goes in as the last name.
    placed = main.import_contacts(read("android--v21_japanese_1.vcf"), options=options)
    [created] = placed.created
    assert (created.contact.first_name, created.contact.last_name) == ("", "安藤ロイド")
    assert placed.single_name_lines == [1]
    # N:boogie (no components) and FN:최유림 alone say no slot: as-given does not guess.
    for name in ("android--v21_blackberry_photo.vcf", "khard--korean-c.vcf"):
        report = main.import_contacts(read(name), options=options)
        [problem] = report.problems
        assert problem.single_name
        assert "is a single name: import it with --single-name=first or " in str(problem)


@pytest.mark.parametrize(
    ("choice", "created", "refused"),
    [
        (SingleName.REFUSE, 0, 7),
        (SingleName.FIRST, 7, 0),
        (SingleName.LAST, 7, 0),
        (SingleName.COMPANY, 3, 4),
    ],
)
def test_each_choice_says_how_many_rows_it_let_in_or_refused(
    store: Services, choice: SingleName, created: int, refused: int
) -> None:
    main = store("main")
    options = ImportOptions(single_name=choice)
    let_in = 0
    refused_here = 0
    for name in (*PEOPLE, *COMPANIES, GROUP, "android--v21_simple_1.vcf"):
        report = main.import_contacts(read(name), skip_invalid=True, options=options)
        let_in += len(report.single_name_lines)
        refused_here += sum(1 for p in report.problems if p.single_name)
        if report.single_name_lines:
            where = "first" if choice == SingleName.FIRST else "last"
            assert report.summary().endswith(
                f"1 row with a single name has it as the {where} name "
                f"(--single-name={choice.value})."
            )
    # android--v21_simple_1 has a first and a last name: no choice touches it.
    assert (let_in, refused_here) == (created, refused)
