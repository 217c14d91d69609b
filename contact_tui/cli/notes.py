"""``contact-tui contact note ...``: list, add, edit and delete a contact's notes.

The note's text is a positional argument or, with ``--file``, a file or standard input (a
long note, or one a script keeps out of other users' ``ps``). Who wrote it and when are the
store's to record; the commands never take them.
"""

from __future__ import annotations

from contact_tui.cli.context import Context
from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK, CliError
from contact_tui.domain.codec import note_to_doc
from contact_tui.domain.model import Note
from contact_tui.domain.present import timestamp
from contact_tui.domain.rules import MAX_NOTE_LENGTH
from contact_tui.domain.text import printable_lines
from contact_tui.exchange import formats
from contact_tui.service import InvalidInput

# A note is at most 32,000 characters: four bytes each at the very most.
MAX_NOTE_BYTES = 4 * MAX_NOTE_LENGTH


def _text(ctx: Context) -> str:
    """The note's text: TEXT or --file (exactly one of them)."""
    given, path = ctx.args.text, ctx.args.file
    if (given is None) == (path is None):
        raise CliError(EXIT_INVALID, "Give the note's text, or --file PATH (- for standard input).")
    if path is None:
        text: str = given
        return text
    try:
        raw = formats.read_bytes(path, MAX_NOTE_BYTES)
    except formats.ExchangeError as err:
        raise CliError(EXIT_INVALID, str(err)) from None
    if b"\x00" in raw:
        raise CliError(EXIT_INVALID, f"The file {path} looks binary (it holds NUL bytes).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CliError(
            EXIT_INVALID, f"The file {path} is not UTF-8 text (byte {err.start} cannot be decoded)."
        ) from None


def note_lines(note: Note) -> list[str]:
    """One note as the terminal shows it: a header line (id, author, time), then its text
    with every control character escaped but its line feeds kept."""
    edited = ""
    if note.version > 1:
        edited = f", edited {timestamp(note.modify_date)} by {note.modified_by or 'unknown'}"
    head = f"Note {note.id} by {note.created_by or 'unknown'}, {timestamp(note.create_date)}"
    body = printable_lines(note.text).split("\n")
    return [f"{head}{edited} (version {note.version})", *(f"  {line}" for line in body)]


def _invalid(err: InvalidInput) -> CliError:
    return CliError(EXIT_INVALID, str(err))


def cmd_note_list(ctx: Context) -> int:
    """A contact's notes, newest first."""
    notes = ctx.service().contact_notes(ctx.args.id)
    lines: list[str] = []
    for note in notes:
        lines += [*note_lines(note), ""]
    ctx.out.result([note_to_doc(n) for n in notes], lines[:-1] or ["No notes."])
    return EXIT_OK


def cmd_note_add(ctx: Context) -> int:
    """Add a note to a contact."""
    text = _text(ctx)
    try:
        note = ctx.service().add_note(ctx.args.id, text)
    except InvalidInput as err:
        raise _invalid(err) from None
    ctx.out.result(note_to_doc(note), [f"Added note {note.id}.", *note_lines(note)])
    return EXIT_OK


def cmd_note_edit(ctx: Context) -> int:
    """Replace the text of a note (your own, or anyone's with the note edit-all permission).
    Without --expect-version the version just read is sent, so a change made meanwhile is
    still a conflict."""
    text = _text(ctx)
    service = ctx.service()
    expected = ctx.args.expect_version
    if expected is None:
        expected = service.note(ctx.args.note_id).version
    try:
        note = service.edit_note(ctx.args.note_id, text, expected)
    except InvalidInput as err:
        raise _invalid(err) from None
    ctx.out.result(note_to_doc(note), [f"Saved note {note.id}.", *note_lines(note)])
    return EXIT_OK


def cmd_note_delete(ctx: Context) -> int:
    """Delete a note (your own, or anyone's with the note edit-all permission)."""
    ctx.service().delete_note(ctx.args.note_id)
    ctx.out.result({"id": ctx.args.note_id, "deleted": True}, [f"Deleted note {ctx.args.note_id}."])
    return EXIT_OK
