"""`contact-tui interaction ...`: new, import, list, show, end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OK
from contact_tui.cli.interaction import MAX_TRANSCRIPT_BYTES
from tests.cli.runner import USER, Runner

AddContact = Callable[..., dict[str, Any]]
NewInteraction = Callable[..., dict[str, Any]]


def test_voice_with_no_match_creates_an_ephemeral_contact(run: Runner) -> None:
    result = run("interaction", "new", "--channel", "voice", "--from", "+1 317 555 0101")
    assert result.code == EXIT_OK, result.err
    assert "Match    none: no contact had this identity" in result.out
    assert "Ephemeral" in result.out
    assert f"Agent    {USER}" in result.out


def test_voice_with_one_match_links_it(run: Runner, add_contact: AddContact) -> None:
    contact = add_contact("--first", "Sam", "--last", "Vries", "--work-phone", "+13175550101")
    result = run("--json", "interaction", "new", "--channel", "voice", "--from", "317-555-0101")
    assert result.code == EXIT_OK, result.err
    doc = result.json()
    assert doc["match"] == "single"
    assert doc["contactId"] == contact["id"]
    assert doc["channel"] == "voice"
    human = run("interaction", "show", doc["id"])
    assert "single: one contact has this identity" in human.out
    assert f"{contact['id']} (Sam Vries, Curated)" in human.out


def test_email_with_several_matches_lists_candidates(run: Runner, add_contact: AddContact) -> None:
    first = add_contact("--first", "Ana", "--last", "One", "--work-email", "shared@example.com")
    second = add_contact(
        "--first", "Ana", "--last", "Two", "--personal-email", "Shared@EXAMPLE.com",
        "--allow-duplicate",  # two contacts sharing the address, on purpose
    )  # fmt: skip
    result = run(
        "interaction", "new", "--channel", "email", "--from", "shared@example.com",
        "--name", "Ana", "--to", "support@example.org", "--cc", "boss@example.org",
        "--subject", "Refund", "--transcript", "Hello", "--transcript", "Where is it?",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert "multiple: 2 contacts share this identity" in result.out
    assert "Candidates" in result.out
    assert second["id"] in result.out
    assert "Refund" in result.out
    assert "Where is it?" in result.out
    doc = run("--json", "interaction", "list").json()[0]
    assert doc["match"] == "multiple"
    assert doc["contactId"] == first["id"]
    assert doc["candidateIds"] == [first["id"], second["id"]]
    assert doc["to"] == ["support@example.org"]
    assert doc["transcript"] == ["Hello", "Where is it?"]


def test_whatsapp_message_matches_the_second_time(run: Runner) -> None:
    args = ("--channel", "message", "--platform", "whatsapp", "--from", "+44 7700 900123")
    first = run("--json", "interaction", "new", *args, "--name", "Wu Li")
    assert first.code == EXIT_OK, first.err
    assert first.json()["match"] == "none"
    contact = run("--json", "contact", "show", first.json()["contactId"]).json()
    assert contact["whatsAppId"]["phoneNumber"]["e164"] == "+447700900123"
    assert contact["firstName"] == "Wu"
    second = run("--json", "interaction", "new", *args).json()
    assert second["match"] == "single"
    assert second["contactId"] == contact["id"]
    human = run("interaction", "show", second["id"])
    assert "Channel  WhatsApp" in human.out


def test_message_without_platform_is_invalid(run: Runner) -> None:
    result = run("interaction", "new", "--channel", "message", "--from", "+447700900123")
    assert result.code == EXIT_INVALID
    assert "needs a platform" in result.err
    voice = run("interaction", "new", "--channel", "voice", "--platform", "sms", "--from", "1")
    assert voice.code == EXIT_INVALID


def test_unknown_channel_is_a_usage_error(run: Runner) -> None:
    result = run("interaction", "new", "--channel", "fax", "--from", "1")
    assert result.code == EXIT_INVALID
    assert "invalid choice" in result.err


def test_agent_routes_to_someone_else(run: Runner) -> None:
    result = run(
        "--json",
        "interaction",
        "new",
        "--agent",
        "alice",
        "--channel",
        "voice",
        "--from",
        "+1 317 555 0102",
    )
    assert result.code == EXIT_OK
    assert result.json()["agent"] == "alice"
    assert run("--json", "interaction", "list").json() == []
    assert len(run("--json", "interaction", "list", "--agent", "alice").json()) == 1


def test_list_show_and_end(run: Runner, new_interaction: NewInteraction) -> None:
    one = new_interaction("--channel", "voice", "--from", "+1 317 555 0103")
    two = new_interaction("--channel", "email", "--from", "x@example.com")
    listed = run("interaction", "list")
    assert "2 open interactions" in listed.out
    assert one["id"] in listed.out
    ended = run("--json", "interaction", "end", one["id"])
    assert ended.code == EXIT_OK
    assert ended.json()["state"] == "ended"
    assert "endedAt" in ended.json()
    assert [i["id"] for i in run("--json", "interaction", "list").json()] == [two["id"]]
    everything = run("--json", "interaction", "list", "--all-states").json()
    assert {i["id"] for i in everything} == {one["id"], two["id"]}
    human = run("interaction", "end", two["id"])
    assert "ended at" in human.out
    assert run("interaction", "show", "nope").code == EXIT_NOT_FOUND
    assert run("interaction", "end", "nope").code == EXIT_NOT_FOUND


def test_transcript_file(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("\ufeffHi there\nI need help\n", encoding="utf-8")
    result = run(
        "--json", "interaction", "new", "--channel", "message", "--platform", "sms",
        "--from", "+1 317 555 0104", "--transcript", "first", "--transcript-file", str(path),
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert result.json()["transcript"] == ["first", "Hi there", "I need help"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "looks binary"),
        (b"caf\xe9\n", "not UTF-8 text"),
        (b"x" * (MAX_TRANSCRIPT_BYTES + 1), "larger than 1,000,000 bytes"),
    ],
)
def test_bad_transcript_files_are_refused(
    run: Runner, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "chat.bin"
    path.write_bytes(content)
    result = run(
        "interaction", "new", "--channel", "voice", "--from", "+1 317 555 0105",
        "--transcript-file", str(path),
    )  # fmt: skip
    assert result.code == EXIT_INVALID
    assert message in result.err
    assert run("--json", "interaction", "list").json() == []


def test_missing_transcript_file(run: Runner, tmp_path: Path) -> None:
    result = run(
        "interaction", "new", "--channel", "voice", "--from", "+1 317 555 0105",
        "--transcript-file", str(tmp_path / "nope.txt"),
    )  # fmt: skip
    assert result.code == EXIT_INVALID
    assert "does not exist" in result.err


def _jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def test_import_jsonl(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        _jsonl(
            {"channel": "voice", "from": "+1 317 555 0106", "name": "Jo Park"},
            {"agent": "alice", "channel": "email", "from": "a@example.com", "subject": "Hi",
             "to": ["support@example.org"], "transcript": ["line one"]},
            {"channel": "message", "platform": "whatsapp", "from": "+447700900124"},
        )
        + "\n",
        encoding="utf-8",
    )  # fmt: skip
    result = run("--json", "interaction", "import", str(path))
    assert result.code == EXIT_OK, result.err
    docs = result.json()
    assert [d["channel"] for d in docs] == ["voice", "email", "message"]
    assert [d["agent"] for d in docs] == [USER, "alice", USER]
    assert docs[1]["subject"] == "Hi"
    assert len(run("--json", "interaction", "list").json()) == 2
    human = run("interaction", "import", str(path))
    assert "Imported 3 interactions" in human.out


def test_import_refuses_the_whole_file_for_one_bad_line(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        _jsonl(
            {"channel": "voice", "from": "+1 317 555 0107"},
            {"channel": "message", "from": "+447700900125"},
        )
        + "{not json\n"
        + _jsonl({"channel": "voice", "from": "+1 317 555 0108", "colour": "red"}),
        encoding="utf-8",
    )
    result = run("interaction", "import", str(path))
    assert result.code == EXIT_INVALID
    assert f"{path} line 2: a message needs a platform" in result.err
    assert f"{path} line 3: not valid JSON" in result.err
    assert f"{path} line 4: unknown key 'colour'" in result.err
    assert "Nothing was imported" in result.err
    assert run("--json", "interaction", "list", "--all-states").json() == []


def test_import_refuses_a_binary_file(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\x00\x01\x02")
    result = run("interaction", "import", str(path))
    assert result.code == EXIT_INVALID
    assert "looks binary" in result.err


def test_subject_with_escape_sequences_is_shown_escaped(
    run: Runner, new_interaction: NewInteraction
) -> None:
    doc = new_interaction(
        "--channel", "email", "--from", "x@example.com", "--subject", "Hi\x1b[2J\u202e",
        "--transcript", "line\x1b]0;title\x07",
    )  # fmt: skip
    result = run("interaction", "show", doc["id"])
    assert "\x1b" not in result.out
    assert "\u202e" not in result.out
    assert "Hi\\x1b[2J\\u202e" in result.out
