"""Issue 14, item 10, for CSV: Outlook on Windows saves "CSV" in the ANSI code page,
Windows-1252 in Western Europe and the Americas, not UTF-8. Such a file is read as
Windows-1252 with one warning naming the first line with a letter outside ASCII, so the admin
can check the names; ``--encoding`` says the encoding outright. Binary files stay refused."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from tests.cli.runner import Runner

# The header classic Outlook for Windows writes (File > Open & Export > Export to a file >
# Comma Separated Values), every cell quoted, as it writes them.
OUTLOOK_COLUMNS = (
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,"
    "Business Street,Business Street 2,Business Street 3,Business City,Business State,"
    "Business Postal Code,Business Country/Region,Home Street,Home Street 2,Home Street 3,"
    "Home City,Home State,Home Postal Code,Home Country/Region,Other Street,Other Street 2,"
    "Other Street 3,Other City,Other State,Other Postal Code,Other Country/Region,"
    "Assistant's Phone,Business Fax,Business Phone,Business Phone 2,Callback,Car Phone,"
    "Company Main Phone,Home Fax,Home Phone,Home Phone 2,ISDN,Mobile Phone,Other Fax,"
    "Other Phone,Pager,Primary Phone,Radio Phone,TTY/TDD Phone,Telex,Account,Anniversary,"
    "Assistant's Name,Billing Information,Birthday,Business Address PO Box,Categories,"
    "Children,Directory Server,E-mail Address,E-mail Type,E-mail Display Name,"
    "E-mail 2 Address,E-mail 2 Type,E-mail 2 Display Name,E-mail 3 Address,E-mail 3 Type,"
    "E-mail 3 Display Name,Gender,Government ID Number,Hobby,Home Address PO Box,Initials,"
    "Internet Free Busy,Keywords,Language,Location,Manager's Name,Mileage,Notes,"
    "Office Location,Organizational ID Number,Other Address PO Box,Priority,Private,"
    "Profession,Referred By,Sensitivity,Spouse,User 1,User 2,User 3,User 4,Web Page"
)
OUTLOOK_HEADER = OUTLOOK_COLUMNS.split(",")
PEOPLE = [
    {
        "Title": "Herr",
        "First Name": "Jürgen",
        "Last Name": "Müller",
        "Business City": "München",
        "Business Country/Region": "Deutschland",
        "Business Phone": "089 1234567",
        "E-mail Address": "juergen.mueller@example.de",
    },
    {"First Name": "Zoë", "Last Name": "Dupré", "Mobile Phone": "+33 6 12 34 56 78"},
    {"First Name": "María", "Last Name": "Ñandú", "Home Phone": "+34 912 345 678"},
]


def outlook_ansi(tmp_path: Path) -> Path:
    """The three people as Outlook writes them on a Western Windows: Windows-1252, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(OUTLOOK_HEADER)
    placeholders = {"Birthday": "0/0/00", "Anniversary": "0/0/00", "Gender": "Unspecified"}
    placeholders |= {"Priority": "Normal", "Sensitivity": "Normal", "Private": "False"}
    for person in PEOPLE:
        writer.writerow([person.get(c, placeholders.get(c, "")) for c in OUTLOOK_HEADER])
    path = tmp_path / "contacts.CSV"
    path.write_bytes(out.getvalue().encode("cp1252"))
    return path


def names(run: Runner) -> list[tuple[str, str, str]]:
    stored = run("--json", "export", "--format", "genesys").json()
    return sorted(
        (c["firstName"], c["lastName"], c.get("address", {}).get("city", "")) for c in stored
    )


def test_an_outlook_csv_in_windows_1252_goes_in_with_one_warning(
    run: Runner, tmp_path: Path
) -> None:
    path = outlook_ansi(tmp_path)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the file really is not UTF-8

    result = run("--json", "import", str(path), "--default-country", "DE")

    assert result.code == EXIT_OK, result.err
    report = result.json()
    assert len(report["created"]) == 3
    about = [w for w in report["warnings"] if "Windows-1252" in w]
    assert about == [
        "line 2: the file is not UTF-8, so it was read as Windows-1252 (what Outlook and Excel "
        "on Windows save CSV in); 'Jürgen' on this line is the first word with a letter outside "
        "ASCII: check that names read right, and if they do not, save the file as CSV UTF-8 "
        "and import it again"
    ]
    assert names(run) == [
        ("Jürgen", "Müller", "München"),
        ("María", "Ñandú", ""),
        ("Zoë", "Dupré", ""),
    ]


def test_encoding_names_the_encoding_outright_and_is_checked(run: Runner, tmp_path: Path) -> None:
    path = outlook_ansi(tmp_path)

    given = run("--json", "import", str(path), "--encoding", "windows-1252", "--dry-run")
    unknown = run("import", str(path), "--encoding", "klingon")
    not_text = run("import", str(path), "--encoding", "base64")
    wrong = run("import", str(path), "--encoding", "utf-8")

    assert given.code == EXIT_OK, given.err
    assert len(given.json()["created"]) == 3
    assert not [w for w in given.json()["warnings"] if "Windows-1252" in w]
    assert unknown.code == EXIT_INVALID
    assert (
        "--encoding 'klingon' is not a text encoding; give the one the file was saved in, such "
        "as windows-1252, iso-8859-15, utf-16 or utf-8."
    ) in unknown.err
    assert not_text.code == EXIT_INVALID
    assert "--encoding 'base64' is not a text encoding" in not_text.err
    assert wrong.code == EXIT_INVALID
    assert (
        f"{path} line 2: byte 0xFC is not utf-8; give the encoding the file was saved in."
    ) in wrong.err
    assert names(run) == []  # nothing was written


def test_a_vcard_is_not_given_an_encoding(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "card.vcf"
    path.write_bytes(b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:M\xfcller;J\xfcrgen\r\nEND:VCARD\r\n")

    result = run("import", str(path), "--encoding", "windows-1252")

    assert result.code == EXIT_INVALID
    assert "is a vCard, which gives the character set of each property" in result.err


NOT_UTF8 = "line 2: byte 0x{} is not UTF-8; save the file as UTF-8"


@pytest.mark.parametrize(
    ("data", "refusal"),
    [
        # A picture saved as .csv: NUL bytes.
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\xff",
            "looks binary (it holds NUL bytes)",
        ),
        # Not UTF-8, and control bytes no text has: not read as Windows-1252 either.
        (b"First Name,Last Name\r\nJ\xfcrgen\x03\x1b,M\xfcller\r\n", NOT_UTF8.format("FC")),
        # Bytes Windows-1252 leaves undefined (0x81, 0x8D).
        (b"First Name,Last Name\r\nJ\x81rgen,M\x8dller\r\n", NOT_UTF8.format("81")),
    ],
    ids=["nul", "controls", "undefined"],
)
def test_a_file_that_is_no_text_is_still_refused(
    run: Runner, tmp_path: Path, data: bytes, refusal: str
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(data)

    result = run("import", str(path))

    assert result.code == EXIT_INVALID
    assert refusal in result.err
    assert "Windows-1252" not in result.err
    assert names(run) == []


@pytest.mark.parametrize(
    ("given", "what"),
    [
        ("punycode", "spells domain names"),
        ("idna", "spells domain names"),
        ("utf-7", "is for mail"),
        ("unicode_escape", "reads Python escape sequences"),
        ("raw_unicode_escape", "reads Python escape sequences"),
        ("undefined", "refuses every byte"),
    ],
)
def test_an_encoding_no_file_is_saved_in_is_refused_by_name(
    run: Runner, tmp_path: Path, given: str, what: str
) -> None:
    # punycode failed with "internal error: UnicodeError" (exit 1); unicode_escape read a
    # backslash in a note as an escape.
    path = tmp_path / "ok.csv"
    path.write_text("First Name,Last Name\r\nAna,Lee\r\n", encoding="utf-8")

    result = run("import", str(path), "--encoding", given)

    assert result.code == EXIT_INVALID, result.err
    assert (
        f"--encoding {given!r} is not an encoding files are saved in (it {what}); give the one "
        "the file was saved in, such as windows-1252, iso-8859-15, utf-16 or utf-8."
    ) in result.err
    assert "internal error" not in result.err
    assert names(run) == []


@pytest.mark.parametrize("encoding", [None, "utf-8"])
def test_a_bad_byte_after_a_byte_order_mark_is_found_on_its_line(
    run: Runner, tmp_path: Path, encoding: str | None
) -> None:
    # The byte after the mark was counted three bytes early: "line 1: byte 0x65" (the "e" of
    # "Name") for the 0xFC on line 2.
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfFirst Name,Last Name\nA\xfcb,Lee\n")

    result = run("import", str(path), *(["--encoding", encoding] if encoding else []))

    assert result.code == EXIT_INVALID
    assert f"{path} line 2: byte 0xFC is not {encoding or 'UTF-8'}" in result.err


@pytest.mark.parametrize("fmt", [None, "vcard"])
def test_a_vcard_that_does_not_decode_still_gets_the_vcard_advice(
    run: Runner, tmp_path: Path, fmt: str | None
) -> None:
    # The card was decoded first, so a byte its CHARSET explains gave a byte error instead.
    path = tmp_path / ("card.vcf" if fmt is None else "card.txt")
    path.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1:M\xfcller;J\xfcrgen\r\nEND:VCARD\r\n"
    )

    result = run("import", str(path), "--encoding", "utf-8", *(["--format", fmt] if fmt else []))

    assert result.code == EXIT_INVALID
    assert "is a vCard, which gives the character set of each property" in result.err
    assert "byte 0xFC" not in result.err
