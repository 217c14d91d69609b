"""Reading an import's bytes as text (formats.parse, rows.decode): where a bad byte is, and
a codec that fails without saying where."""

from __future__ import annotations

import pytest

from contact_tui.exchange import formats
from contact_tui.exchange.importer import ImportReport, RowProblem
from contact_tui.exchange.rows import FileFormatError, decode


def test_a_bad_byte_after_a_byte_order_mark_is_named_at_its_line() -> None:
    with pytest.raises(FileFormatError) as caught:
        decode(b"\xef\xbb\xbfFirst Name,Last Name\nA\xfcb,Lee\n")

    assert caught.value.line == 2
    assert caught.value.message.startswith("byte 0xFC is not UTF-8")


def test_a_codec_failing_without_a_position_is_a_sentence_not_an_internal_error() -> None:
    # encoding_name refuses punycode; the app's dialog or a future codec may still hand one
    # in, and its plain UnicodeError (no start, no byte) escaped as "internal error".
    with pytest.raises(formats.ExchangeError) as caught:
        formats.parse("ok.csv", b"First Name,Last Name\r\nAna,Lee\r\n", encoding="punycode")

    assert str(caught.value).startswith("ok.csv cannot be read as punycode (")
    assert str(caught.value).endswith("); give the encoding the file was saved in.")


@pytest.mark.parametrize("given", ["punycode", "IDNA", "utf_7", "unicode-escape"])
def test_encoding_name_refuses_codecs_no_file_is_saved_in(given: str) -> None:
    with pytest.raises(ValueError, match="is not an encoding files are saved in"):
        formats.encoding_name(given)


@pytest.mark.parametrize("given", ["windows-1252", "latin-1", "utf-16", "utf-8", "cp850"])
def test_encoding_name_still_takes_file_encodings(given: str) -> None:
    assert formats.encoding_name(given)


@pytest.mark.parametrize(("skipped", "them"), [(1, "it"), (2, "them")])
def test_the_refusal_says_it_for_one_row_and_them_for_several(skipped: int, them: str) -> None:
    problems = [RowProblem(line, "Work phone: needs digits.") for line in range(2, 2 + skipped)]
    report = ImportReport(rows=3, problems=problems)

    assert f"Fix {them}, or use --skip-invalid to import the other rows." in report.summary()
