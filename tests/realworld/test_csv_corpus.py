"""Real CSV exports that other projects keep as test fixtures (tests/fixtures/realworld/csv,
sources in its SOURCES.md), read and imported as an admin moving a contact centre in would.

For each file: the dialect its header is read as, how many rows go in and which are refused
and why, what is warned (nothing may be dropped silently), that a second import of the same
file creates nobody again, and that our own CSV export of what went in imports back unchanged.
Then a generated Google export of the shape of a real 2,279-contact phone book.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from contact_tui.exchange.csv_format import (
    GOOGLE,
    GOOGLE_LEGACY,
    OUTLOOK,
    THUNDERBIRD,
    detect_dialect,
    read_csv,
)
from contact_tui.exchange.importer import ImportOptions, ImportReport, SingleName
from contact_tui.service import ContactService

CORPUS = Path(__file__).parent.parent / "fixtures" / "realworld" / "csv"

Services = Callable[[str], ContactService]  # the `store` fixture (conftest.py)


@dataclass(frozen=True)
class Expected:
    """What one corpus file gives: its dialect, the rows read and created, the refused rows
    (line -> part of the reason), and parts of warnings that must be there."""

    dialect: str
    rows: int
    created: int
    refused: dict[int, str] = field(default_factory=dict)
    warned: tuple[str, ...] = ()
    country: str | None = None  # --default-country, for files from one country
    # Lines with nothing to match on (no valid number or email): warned, and created again
    # by a second import.
    unmatched: tuple[int, ...] = ()


_NOT_SEARCHABLE = "Kept as typed, but not searchable"
_RESERVED = "special-use or reserved name"  # Thunderbird's fixtures use example.invalid
_NO_NAME = "a new contact needs a first name and last name, which the file does not have"

EXPECTED: dict[str, Expected] = {
    # Google's "Outlook CSV" export of a Norwegian phone book: Categories are Google's labels.
    "people_google_outlook_csv.csv": Expected(
        OUTLOOK,
        rows=5,
        created=4,
        refused={4: "First name is required. Last name is required."},
        warned=(
            "'Categories' (column 67, on 4 rows); 11 more such columns are empty on every row",
            "line 5: Cell phone '+47 111111': " + _NOT_SEARCHABLE,  # too short for Norway
        ),
        country="NO",
        unmatched=(8,),  # its only number, +47 4800000, is too short too
    ),
    # An Outlook export with one single-name contact.
    "people_outlook.csv": Expected(
        OUTLOOK,
        rows=2,
        created=1,
        refused={2: "'Larsen' is a single name"},
        warned=("19 columns are not contact-tui fields and are empty on every row",),
        country="NO",
    ),
    "rolomind_google.csv": Expected(
        GOOGLE,
        rows=4,
        created=4,
        warned=("'Organization Name' (column 4, on 4 rows)",),
    ),
    # Roundcube's everything-filled test row: numbers are 100, 200...; three addresses.
    "roundcube_all.csv": Expected(
        OUTLOOK,
        rows=1,
        created=1,
        warned=(
            "values in 34 columns were not imported",
            "line 2: the phone number '400' ('Business Phone 2') was not imported",
            "line 2: the phone number '333' ('Assistant's Phone') was not imported",
            "line 2: the 'Business' address 'Work Street' was not imported",
            "line 2: the 'Other' address 'Other Street, Other City, Other State, Other Zip, "
            "Other Country' was not imported",
            "line 2: Work phone '300': " + _NOT_SEARCHABLE,
        ),
        unmatched=(2,),
    ),
    "roundcube_email.csv": Expected(
        THUNDERBIRD, rows=4, created=0, refused={n: _NO_NAME for n in range(2, 6)}
    ),
    # Roundcube's Google row has words where the numbers go ("mobile", "workphone").
    "roundcube_gmail.csv": Expected(
        GOOGLE_LEGACY,
        rows=1,
        created=0,
        refused={2: "Work phone: A phone number needs digits"},
        warned=(
            "line 2: the phone number 'workfax' ('Work Fax') was not imported",
            "line 2: the email 'unknown@email.com' ('E-mail 3 - Value') was not imported",
            # The record starts on line 2; the work address is on line 5, below the home
            # address's formatted lines.
            "line 5: the 'Work' address 'work_street, work_city, work_zip, work_country' was "
            "not imported",
            "'Organization 1 - Name' (column 69, on 1 row)",
        ),
    ),
    "roundcube_outlook.csv": Expected(
        OUTLOOK,
        rows=1,
        created=0,
        refused={2: _NO_NAME},
        warned=("line 2: the email 'test3@domain.tld' ('E-mail 3 Address') was not imported",),
    ),
    "roundcube_tb_plain.csv": Expected(
        THUNDERBIRD,
        rows=1,
        created=0,
        refused={2: "Work phone: A phone number needs digits"},
        warned=(
            "line 2: the phone number 'pager' ('Pager Number') was not imported",
            "line 2: the 'Work' address 'Addr work, Wcity, Wstate, 33-333, Poland' was not "
            "imported",
            "'Organization' (column 27, on 1 row)",
        ),
    ),
    "thunderbird_basic_addressbook.csv": Expected(
        THUNDERBIRD, rows=1, created=0, refused={2: _RESERVED}
    ),
    "thunderbird_basic_csv_addressbook.csv": Expected(
        THUNDERBIRD, rows=2, created=0, refused={2: _RESERVED, 3: _RESERVED}
    ),
    "thunderbird_csv_semicolon.csv": Expected(
        THUNDERBIRD, rows=2, created=0, refused={2: _RESERVED, 3: _RESERVED}
    ),
    # A company's record: "Acer America" is never split into a person's first and last name.
    "thunderbird_quote.csv": Expected(
        THUNDERBIRD,
        rows=1,
        created=0,
        refused={2: "'Acer America' is a company's name"},
        warned=("'Organization' (column 27, on 1 row)",),
    ),
}


READ_AS = {
    OUTLOOK: "an Outlook CSV export",
    GOOGLE_LEGACY: "a Google Contacts CSV export (legacy header)",
    GOOGLE: "a Google Contacts CSV export",
    THUNDERBIRD: "a Thunderbird CSV export",
}


def test_every_corpus_file_is_expected_and_has_its_source() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.csv"))
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")

    assert files == sorted(EXPECTED)
    assert [f for f in files if f"`{f}`" not in sources] == []


def _import(service: ContactService, data: bytes, expected: Expected) -> ImportReport:
    options = ImportOptions(default_country=expected.country)
    return service.import_contacts(read_csv(data), skip_invalid=True, options=options)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_export_goes_in_as_expected_and_twice_changes_nothing(
    store: Services, name: str
) -> None:
    expected = EXPECTED[name]
    data = (CORPUS / name).read_bytes()
    text = data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text), delimiter=";" if ";" in text[:200] else ","))
    assert detect_dialect(header) == expected.dialect

    report = _import(store("main"), data, expected)

    # The report says which program's export the file was read as.
    assert f"the header is that of {READ_AS[expected.dialect]}, so" in " ".join(report.warnings)
    assert report.rows == expected.rows
    assert len(report.created) == expected.created
    assert {p.line for p in report.problems} == set(expected.refused), report.problems
    for problem in report.problems:
        assert expected.refused[problem.line] in problem.message
    for part in expected.warned:
        assert any(part in warning for warning in report.warnings), (part, report.warnings)
    for line in expected.unmatched:
        assert f"line {line}: has no id, searchable phone or email to match on" in " ".join(
            report.warnings
        )
    # A second import of the same file creates nobody again (but the rows it was warned it
    # cannot match), and changes nobody.
    again = _import(store("main"), data, expected)
    matched = expected.created - len(expected.unmatched)
    assert (len(again.created), len(again.updated), again.unchanged) == (
        len(expected.unmatched),
        0,
        matched,
    )


@pytest.mark.parametrize("name", sorted(name for name, e in EXPECTED.items() if e.created))
def test_our_csv_export_of_a_real_import_reads_back_unchanged(store: Services, name: str) -> None:
    expected = EXPECTED[name]
    main = store("main")
    _import(main, (CORPUS / name).read_bytes(), expected)
    exported = main.export_text("csv").text

    back = main.import_contacts(read_csv(exported.encode()))
    fresh = store("fresh")
    fresh.import_contacts(read_csv(exported.encode()))

    assert (len(back.created), len(back.updated), back.unchanged) == (0, 0, expected.created)
    assert back.problems == []
    assert read_csv(exported.encode()).warnings == []  # read as ours, every column known
    assert fresh.export_text("csv").text == exported


# --- the shape of a real phone book -----------------------------------------------------------

GOOGLE_HEADER = next(
    csv.reader(
        [
            "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,"
            "Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,Organization Name,"
            "Organization Title,Organization Department,Birthday,Notes,Photo,Labels,"
            "E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,"
            "Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,"
            "Phone 3 - Label,Phone 3 - Value,Phone 4 - Label,Phone 4 - Value,"
            "Address 1 - Label,Address 1 - Formatted,"
            "Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,"
            "Address 1 - Postal Code,Address 1 - Country,Address 1 - Extended Address"
        ]
    )
)
PHONE_BOOK_ROWS = 2279
SINGLE_NAMES = ("Ambulance", "Mama", "최유림", "Hausarzt", "Pizzeria Roma", "Kita", "Oma")
FIRST = ("Anna", "Jürgen", "Leyla", "Tomasz", "Mei", "Olusegun", "Søren", "Zoë")
LAST = ("Müller", "Schmidt", "Y\u0131lmaz", "Nowak", "Wang", "Adeyemi", "Ørsted", "Weiß")
LABELS = ("Mobile", "mobile", "MOBILE", "* Mobile", "Work", "Home", "home", "Other", "Main")


def phone_book() -> tuple[bytes, int, int]:
    """A Google export of 2,279 contacts from a German phone: about a third with one name
    (and some of those companies), numbers in national form, labels in several cases, and
    ' ::: ' lists; every contact has at least one valid German mobile number.

    Returns the file, how many rows have a single name, and how many numbers do not fit.
    """
    rng = random.Random(2279)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GOOGLE_HEADER)
    single = overflow = 0
    for n in range(PHONE_BOOK_ROWS):
        cells = dict.fromkeys(GOOGLE_HEADER, "")
        cells["Labels"] = "* myContacts"
        if rng.random() < 0.33:
            single += 1
            name = f"{rng.choice(SINGLE_NAMES)} {n}" if rng.random() < 0.2 else ""
            if name:  # a company: only its organisation name
                cells["Organization Name"] = name
            else:
                cells["First Name"] = f"{rng.choice(SINGLE_NAMES)}{n}"
        else:
            cells["First Name"], cells["Last Name"] = rng.choice(FIRST), f"{rng.choice(LAST)}{n}"
        # A unique mobile number per contact, in national form (0151 ...), sometimes with +49.
        mobile = f"0151 {20000000 + n:08d}"
        numbers = [mobile if rng.random() < 0.8 else "+49 151 " + mobile[5:]]
        if rng.random() < 0.3:  # Google's ' ::: ' list: a landline in the same cell
            numbers.append(f"030 {3000000 + n:07d}")
        cells["Phone 1 - Label"] = rng.choice(LABELS[:4])
        cells["Phone 1 - Value"] = " ::: ".join(numbers)
        extra = rng.choice((0, 0, 0, 0, 1, 2, 3))
        for k in range(extra):
            cells[f"Phone {k + 2} - Label"] = rng.choice(LABELS[4:])
            cells[f"Phone {k + 2} - Value"] = f"0{40 + k} {4000000 + n:07d}"
        overflow += max(0, len(numbers) + extra - 4)
        if rng.random() < 0.25:
            cells["E-mail 1 - Label"] = rng.choice(("* Home", "Work", "Other", ""))
            cells["E-mail 1 - Value"] = f"kontakt{n}@example.de"
        if rng.random() < 0.1:
            cells["Address 1 - Label"] = "Home"
            cells["Address 1 - Street"] = f"Hauptstraße {n % 200 + 1}"
            cells["Address 1 - City"] = "Berlin"
            cells["Address 1 - Postal Code"] = "10115"
            cells["Address 1 - Country"] = "DE"
        writer.writerow(cells.values())
    return out.getvalue().encode(), single, overflow


def test_a_phone_book_of_2279_contacts_goes_in_with_a_german_default(store: Services) -> None:
    data, single, overflow = phone_book()
    parsed = read_csv(data)
    assert parsed.problems == [] and len(parsed.rows) == PHONE_BOOK_ROWS
    assert overflow > 0  # some rows have more numbers than a contact has slots

    refused = store("main").import_contacts(
        parsed, skip_invalid=True, options=ImportOptions(default_country="DE")
    )
    # The single-name rows are refused by default, each naming the choice that takes them.
    assert len(refused.created) == PHONE_BOOK_ROWS - single
    assert refused.skipped == single
    assert all("--single-name" in p.message for p in refused.problems)
    # Every number was read as German: none is left unsearchable. A number that does not fit
    # is warned about, never dropped silently.
    assert not [w for w in refused.warnings if "not searchable" in w]
    assert sum("phone slots are all taken" in w for w in refused.warnings) == overflow

    options = ImportOptions(default_country="DE", single_name=SingleName.FIRST)
    taken = store("main").import_contacts(read_csv(data), skip_invalid=True, options=options)
    # --single-name=first takes them all, companies too, each with its one name.
    assert (len(taken.created), len(taken.updated), taken.skipped) == (single, 0, 0)
    # And the whole file again changes nothing: nobody is created twice.
    again = store("main").import_contacts(read_csv(data), skip_invalid=True, options=options)
    assert (len(again.created), len(again.updated)) == (0, 0)
    assert again.unchanged == PHONE_BOOK_ROWS - again.skipped
