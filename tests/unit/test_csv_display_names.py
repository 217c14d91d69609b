"""A row of another program's CSV export whose names come from its display name (issue 14,
item 12: nothing invented silently): the split at the last space is a guess, so the report
says which rows it made, in one line, leaving out company rows (their name is the company's,
never split) and rows whose name columns are filled."""

from __future__ import annotations

from contact_tui.exchange.csv_format import read_csv

THUNDERBIRD = (
    "First Name,Last Name,Display Name,Primary Email,Organization\r\n"
    "Ann,Lee,Ann Lee,ann@example.com,\r\n"  # its own names: not from the display name
    ",,Mary Ann Smith,mary@example.com,\r\n"  # Mary Ann / Smith: a guess
    ",,Acer America,info@example.com,Acer America\r\n"  # a company: never split
    "Janet,,Janet Damita Jackson,janet@example.com,\r\n"  # the half it lacks
)


def test_names_taken_from_the_display_name_are_reported_in_one_line() -> None:
    parsed = read_csv(THUNDERBIRD.encode())

    names = [(r.draft.first_name, r.draft.last_name) for r in parsed.rows]
    assert names == [
        ("Ann", "Lee"),
        ("Mary Ann", "Smith"),
        ("Acer America", ""),
        ("Janet", "Damita Jackson"),
    ]
    assert [w for w in parsed.warnings if "display name" in w] == [
        "the first and last name of 2 rows (lines 3, 5) come from the display name, as the name "
        "columns lack them: split at its last space ('Janet Jackson' is Janet / Jackson), or the "
        "half a row lacks; check names of more than two words"
    ]


def test_a_long_list_of_such_rows_names_the_first_ten_lines() -> None:
    rows = "".join(f",,Person {n},p{n}@example.com,\r\n" for n in range(12))
    parsed = read_csv((THUNDERBIRD.splitlines(keepends=True)[0] + rows).encode())

    [warning] = [w for w in parsed.warnings if "display name" in w]
    assert warning.startswith(
        "the first and last name of 12 rows (lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 2 more) "
    )
