"""Choosing a format, reporting export progress, and writing a file all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_tui.domain.model import Contact, ContactType
from contact_tui.exchange import formats


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("contacts.JSON", b"x", "genesys"),
        ("book.vcf", b"x", "vcard"),
        ("crm.csv", b"[", "csv"),  # the suffix wins over the content
        ("-", b"\xef\xbb\xbf  [\n{}", "genesys"),
        ("-", b"\r\nbegin:vcard\r\n", "vcard"),
        ("export.txt", b"First Name,Last Name", "csv"),
    ],
)
def test_the_format_comes_from_the_suffix_else_the_first_bytes(
    name: str, data: bytes, expected: str
) -> None:
    assert formats.guess_format(name, data) == expected


def test_export_progress_counts_every_contact_as_the_writer_takes_it() -> None:
    contacts = [Contact(id=f"c{n}", type=ContactType.CURATED) for n in range(450)]
    seen: list[tuple[str, int, int]] = []

    out = list(formats.tracked(contacts, lambda *report: seen.append(report)))

    assert out == contacts
    assert seen == [("Writing", 200, 450), ("Writing", 400, 450), ("Writing", 450, 450)]


def test_a_binary_file_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(formats.ExchangeError, match="looks binary"):
        formats.parse("x.csv", b"First Name\x00,Last\r\n")


def test_writing_into_a_folder_path_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(formats.ExchangeError, match="is a folder"):
        formats.write_atomically(str(tmp_path), "text")
    assert list(tmp_path.iterdir()) == []
