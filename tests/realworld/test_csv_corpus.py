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
import json
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
            # Too short for Norway; it has its +47, so it is told so, with no "taken from".
            "line 5: Cell phone '+47 111111': " + _NOT_SEARCHABLE + ": it has the wrong number "
            "of digits for a number in Norway (+47); check the digits.",
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
        warned=(
            "'Organization Name' (column 4, on 4 rows)",
            # Seven digits after +1 are a number only when dialled locally: no key +15550123.
            "line 2: Work phone '+1-555-0123': " + _NOT_SEARCHABLE + ": it is only the local "
            "part of a number in the United States (+1); add the area code.",
            "line 5: Cell phone '+1-555-0125': " + _NOT_SEARCHABLE,
        ),
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
        created=1,
        # Its phone cells hold their labels ("workphone"): each is left out, quoted at its
        # column, and the contact goes in with its emails and address.
        warned=(
            "line 2: Phone 6 - Value (column 47) 'workphone' is not a phone number (it has no "
            "digits) and was not imported",
            "line 2: Phone 7 - Value (column 49) 'workfax' is not a phone number",
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
        created=1,
        warned=(
            "line 2: Work Phone (column 8) 'phone work' is not a phone number (it has no "
            "digits) and was not imported",
            "line 2: Pager Number (column 11) 'pager' is not a phone number",
            "line 2: the 'Work' address 'Addr work, Wcity, Wstate, 33-333, Poland' was not "
            "imported",
            "'Organization' (column 27, on 1 row)",
        ),
    ),
    # Thunderbird's fixtures' addresses are at example.invalid: each is left out, quoted at
    # its column, and the person goes in (with nothing left to match a second import on).
    "thunderbird_basic_addressbook.csv": Expected(
        THUNDERBIRD,
        rows=1,
        created=1,
        warned=(
            "line 2: Primary Email (column 5) 'johndoe@host.invalid' was not imported: not an "
            "email address: the part after the @ is a " + _RESERVED,
        ),
        unmatched=(2,),
    ),
    "thunderbird_basic_csv_addressbook.csv": Expected(
        THUNDERBIRD,
        rows=2,
        created=2,
        warned=(
            "line 2: Primary Email (column 5) 'john@doe.invalid' was not imported",
            "line 3: Primary Email (column 5) 'jane@doe.invalid' was not imported",
        ),
        unmatched=(2, 3),
    ),
    "thunderbird_csv_semicolon.csv": Expected(
        THUNDERBIRD,
        rows=2,
        created=2,
        warned=(
            "line 2: Primary Email (column 4) 'john@doe.invalid' was not imported",
            "line 3: Primary Email (column 4) 'jane@doe.invalid' was not imported",
        ),
        unmatched=(2, 3),
    ),
    # A company's record: "Acer America" is never split into a person's first and last name.
    "thunderbird_quote.csv": Expected(
        THUNDERBIRD,
        rows=1,
        created=0,
        refused={2: "'Acer America' is a company's name"},
        # Its Organization cell is its name, which the refusal names: not an unread column.
        warned=("12 columns are not contact-tui fields and are empty on every row",),
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
    # A number written with + carries its country: nothing was taken for it from anywhere.
    assert not [w for w in report.warnings if "phone '+" in w and " was taken from " in w]
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
SINGLE_NAMES = (
    "Mama",
    "Papa",
    "Oma",
    "Hausarzt",
    "Zahnarzt",
    "Kita",
    "Taxi",
    "최유림",
    "Ambulance",
)
EMERGENCY = (("Notruf", "112"), ("Polizei", "110"), ("Giftnotruf", "19240"))
COMPANIES = ("Pizzeria Roma", "Stadtwerke Berlin", "Apotheke am Markt", "Autohaus Krause", "DB")
FIRST = ("Anna", "Jürgen", "Leyla", "Tomasz", "Mei", "Olusegun", "Søren", "Zoë", "Lukas", "Emma")
LAST = ("Müller", "Schmidt", "Y\u0131lmaz", "Nowak", "Wang", "Adeyemi", "Ørsted", "Weiß", "Kaya")
MOBILE_LABELS = ("Mobile", "mobile", "MOBILE", "* Mobile", "iPhone")
OTHER_LABELS = ("Work", "Home", "home", "Other", "Main", "Büro", "Work Fax")
EMAIL_LABELS = ("* Home", "Work", "Other", "Home", "")
COUNTRIES = ("DE", "Germany", "Deutschland")
US_AREAS = ("212", "317", "415", "646")


@dataclass
class PhoneBook:
    """A generated Google Contacts export and what went into it, by kind of row."""

    data: bytes = b""
    rows: int = 0  # contacts (records); the blank lines are not rows
    blank: int = 0  # lines of empty cells between them, as a hand-edited export has
    people: int = 0  # rows with a first and a last name
    single: int = 0  # rows with one name ("Mama", "최유림"), in First Name or in Last Name
    companies: int = 0  # rows whose only name is the Organization Name
    repeated: int = 0  # a person's row given again (the same name and mobile number)
    shared: int = 0  # people who share a landline with another person of the file
    us: int = 0  # people whose mobile is a +1 number
    multi: int = 0  # cells holding a Google ' ::: ' list
    overflow: int = 0  # numbers beyond a contact's four phone slots
    invalid: int = 0  # people's numbers that are no German number (kept as typed)
    unmatched: int = 0  # single-name rows whose only number is a short emergency one


def phone_book() -> PhoneBook:
    """A Google Contacts export of 2,279 contacts from a German phone, as a real one looks: a
    third of the names are single ("Mama", "최유림", "Notruf"), some are only a company; the
    numbers are national (0151 ..., 030 ...), some +49, some 0049, some +1 (American friends);
    the labels are in every case and include custom ones ("Büro"); Google's ' ::: ' lists
    put two numbers or two emails in a cell; families share a landline; a few people are in
    twice; some rows have more numbers than a contact has slots, a number too short to be
    German, an address, a note over two lines; blank lines sit between some rows.
    """
    rng = random.Random(2279)
    book = PhoneBook()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GOOGLE_HEADER)
    people: list[dict[str, str]] = []  # each person's cells
    landlines: list[tuple[str, str, str]] = []  # (landline, first name, last name)
    us_numbers = iter(f"+1 {a} 555 01{k:02d}" for k in range(100) for a in US_AREAS)
    for n in range(PHONE_BOOK_ROWS):
        if rng.random() < 0.01:
            writer.writerow([""] * len(GOOGLE_HEADER))
            book.blank += 1
        book.rows += 1
        if people and rng.random() < 0.006:
            cells = rng.choice(people)
            writer.writerow(cells.values())
            book.repeated += 1
            continue
        cells = dict.fromkeys(GOOGLE_HEADER, "")
        cells["Labels"] = rng.choice(("* myContacts", "* myContacts", "* myContacts ::: Familie"))
        kind = rng.random()
        sharing = False
        if kind < 0.27:
            book.single += 1
            if rng.random() < 0.1:  # an emergency number alone: no number to match on
                name, short = rng.choice(EMERGENCY)
                cells["First Name"] = name
                cells["Phone 1 - Label"], cells["Phone 1 - Value"] = "Main", short
                book.unmatched += 1
                writer.writerow(cells.values())
                continue
            name = f"{rng.choice(SINGLE_NAMES)} {n}"
            cells["First Name" if rng.random() < 0.8 else "Last Name"] = name
        elif kind < 0.35:
            book.companies += 1
            cells["Organization Name"] = f"{rng.choice(COMPANIES)} {n}"
        else:
            book.people += 1
            first, last = rng.choice(FIRST), f"{rng.choice(LAST)}{n}"
            if landlines and rng.random() < 0.02:  # the family's landline
                shared, other_first, last = rng.choice(landlines)
                first = rng.choice([f for f in FIRST if f != other_first])
                cells["Phone 4 - Label"], cells["Phone 4 - Value"] = "Home", shared
                book.shared += 1
                sharing = True
            cells["First Name"], cells["Last Name"] = first, last
        # A mobile number of its own, in national form mostly.
        mobile = f"0151 {20000000 + n:08d}"
        shape = rng.random()
        if kind >= 0.35 and shape < 0.04:
            mobile = next(us_numbers)
            book.us += 1
        elif shape < 0.2:
            mobile = "+49 151 " + mobile[5:]
        elif shape < 0.25:
            mobile = "0049 151 " + mobile[5:]
        numbers = [mobile]
        if rng.random() < 0.3:  # Google's ' ::: ' list: a landline in the same cell
            numbers.append(f"030 {3000000 + n:07d}")
            book.multi += 1
        cells["Phone 1 - Label"] = rng.choice(MOBILE_LABELS)
        cells["Phone 1 - Value"] = " ::: ".join(numbers)
        # (A row sharing the landline keeps a slot free for it.)
        extra = 0 if sharing else rng.choice((0, 0, 0, 0, 1, 2, 3))
        for k in range(extra):
            cells[f"Phone {k + 2} - Label"] = rng.choice(OTHER_LABELS)
            cells[f"Phone {k + 2} - Value"] = f"0{40 + k} {4000000 + n:07d}"
        if kind >= 0.35 and not cells["Phone 3 - Value"] and rng.random() < 0.02:
            cells["Phone 3 - Label"], cells["Phone 3 - Value"] = "Other", "0151 123"
            book.invalid += 1
        filled = sum(1 for k in range(1, 5) if cells[f"Phone {k} - Value"])
        book.overflow += max(0, filled + len(numbers) - 1 - 4)
        if kind >= 0.35 and len(numbers) == 2 and filled + 1 <= 4:  # a landline it keeps
            landlines.append((numbers[1], cells["First Name"], cells["Last Name"]))
        if kind >= 0.35 and rng.random() < 0.25:
            cells["E-mail 1 - Label"] = rng.choice(EMAIL_LABELS)
            cells["E-mail 1 - Value"] = f"kontakt{n}@example.de"
            if rng.random() < 0.2:
                cells["E-mail 1 - Value"] += f" ::: {first.lower()}{n}@example.org"
                book.multi += 1
        if kind >= 0.35 and rng.random() < 0.1:
            cells["Address 1 - Label"] = "Home"
            cells["Address 1 - Formatted"] = f"Hauptstraße {n % 200 + 1}\n10115 Berlin"
            cells["Address 1 - Street"] = f"Hauptstraße {n % 200 + 1}"
            cells["Address 1 - City"] = "Berlin"
            cells["Address 1 - Postal Code"] = "10115"
            cells["Address 1 - Country"] = rng.choice(COUNTRIES)
        if rng.random() < 0.04:
            cells["Notes"] = f"Geburtstag am {n % 28 + 1}. Mai\nmag Kaffee"
        writer.writerow(cells.values())
        if kind >= 0.35:
            people.append(cells)
    book.data = out.getvalue().encode()
    return book


def test_a_phone_book_of_2279_contacts_goes_in_with_a_german_default(store: Services) -> None:
    book = phone_book()
    # The generator's own counts, pinned: a change to it shows here first.
    assert (book.rows, book.blank, book.people, book.single, book.companies) == (
        PHONE_BOOK_ROWS,
        25,
        1454,
        629,
        183,
    )
    assert (book.repeated, book.shared, book.us, book.multi) == (13, 28, 63, 714)
    assert (book.overflow, book.invalid, book.unmatched) == (91, 21, 72)
    parsed = read_csv(book.data)
    assert parsed.problems == [] and len(parsed.rows) == PHONE_BOOK_ROWS

    refused = store("main").import_contacts(
        parsed, skip_invalid=True, options=ImportOptions(default_country="DE")
    )
    warnings = " | ".join(refused.warnings)
    single_names = book.single + book.companies
    # Everyone with a first and a last name goes in; each single-name row is refused naming
    # the choice that takes it; a row repeating an earlier one is harmless: counted once, as
    # unchanged, warned about naming the earlier line.
    assert len(refused.created) == book.people
    assert refused.skipped == single_names
    assert sum("--single-name" in p.message for p in refused.problems) == single_names
    assert not [p for p in refused.problems if "describes the same contact" in p.message]
    assert refused.unchanged == book.repeated
    assert warnings.count(" exactly, so it is imported once") == book.repeated
    # Every national number was read as German: only the too-short ones and the emergency
    # numbers are left unsearchable, each warned naming the country assumed and where it came
    # from (also on the rows refused for their single name: each says all that is wrong).
    kept_as_typed = book.invalid + book.unmatched
    assert warnings.count("Kept as typed, but not searchable") == kept_as_typed
    assert (
        warnings.count(
            "it is not a valid number in Germany (+49), the country taken for numbers without +"
        )
        == kept_as_typed
    )
    assert warnings.count("phone slots are all taken") == book.overflow
    # Families sharing a landline: both go in, warned about.
    assert warnings.count("shares a number with") == book.shared
    stored = json.loads(store("main").export_text("genesys").text)
    assert sum(c["cellPhone"]["e164"].startswith("+1") for c in stored) == book.us
    assert not [c for c in stored if "e164" not in c["cellPhone"]]

    options = ImportOptions(default_country="DE", single_name=SingleName.FIRST)
    taken = store("main").import_contacts(read_csv(book.data), skip_invalid=True, options=options)
    # The emergency rows ("Notruf", 112) are the same few rows again and again: each kind goes
    # in once, its repeats are counted as unchanged like the people's.
    emergency = len(EMERGENCY)
    # --single-name=first takes the single names, companies too, each with its one name;
    # the people already in, and the repeated rows, are unchanged.
    assert (len(taken.created), len(taken.updated)) == (
        single_names - book.unmatched + emergency,
        0,
    )
    assert taken.skipped == 0
    assert taken.unchanged == book.people + book.repeated + book.unmatched - emergency
    assert len(taken.single_name_lines) == single_names
    # The emergency numbers alone are kept as typed, and the rows say they cannot be matched.
    assert sum("Kept as typed, but not searchable" in w for w in taken.warnings) == (
        book.invalid + book.unmatched
    )
    assert sum("has no id, searchable phone or email" in w for w in taken.warnings) == emergency
    # And the whole file again changes nothing: nobody is created twice, but the rows with
    # nothing to match on, as their warning said (each kind once).
    again = store("main").import_contacts(read_csv(book.data), skip_invalid=True, options=options)
    assert (len(again.created), len(again.updated)) == (emergency, 0)
    assert again.unchanged == PHONE_BOOK_ROWS - emergency

    print(
        f"\n2,279-contact Google export, default country DE: {book.rows} rows read "
        f"({book.blank} blank lines skipped); default --single-name=refuse: "
        f"{len(refused.created)} in, {refused.skipped} refused ({book.single} single names, "
        f"{book.companies} companies), {refused.unchanged} unchanged (the {book.repeated} rows "
        f"repeating an earlier row, each warned); then --single-name=first: "
        f"{len(taken.created)} more in ({emergency} of them with only an emergency number, "
        f"kept as typed), {taken.skipped} refused, {taken.unchanged} unchanged (the people "
        f"already in, and {book.repeated + book.unmatched - emergency} repeated rows); "
        f"{book.invalid} numbers too short for Germany kept as typed, {book.overflow} numbers "
        f"over the four slots warned, {book.shared} people sharing a landline added and warned, "
        f"{book.us} +1 mobiles searchable; importing it a third time: {len(again.created)} "
        f"created (those {emergency}, as warned), {again.unchanged} unchanged"
    )
