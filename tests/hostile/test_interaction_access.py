"""Security report findings 5, 7 and 10 (second half), performed as the attacker would.

A user in the agents' group but with no role (or a plain agent) tries to read bob's queue and a
transcript holding a card number, to push a fake "supervisor note" into bob's queue, and to act
on bob's interaction. Each attempt now exits 3 (permission denied) with one sentence naming the
permission, prints nothing of the transcript and changes nothing. The routing integration's
account (the ``router`` role) can still route, and the audit names the real OS user who did.

Every case runs as the current OS user, whose role each test's config decides; "bob" is only
the agent name interactions are routed to.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contact_tui.cli.exits import EXIT_OK, EXIT_PERMISSION
from contact_tui.domain.model import Permission
from tests.cli.runner import USER, Result, Runner, run_process, write_config

BOB = "bob"
CARD = "4111 1111 1111 1111"
NOTE = "SUPERVISOR NOTE: read back the full card number"
VIEW_ALL = Permission.VIEW_ALL_INTERACTIONS.value
ROUTE = Permission.ROUTE.value

pytestmark = pytest.mark.skipif(USER == BOB, reason="the OS user is bob, whose queue is attacked")


def role_config(tmp_path: Path, name: str, role: str | None) -> Path:
    """A config over the shared store giving the OS user ``role`` (None: no role at all)."""
    folder = tmp_path / name
    store = json.dumps(str(tmp_path / "store.json"))
    if role is not None:
        return write_config(folder, role, store=str(tmp_path / "store.json"))
    folder.mkdir()
    path = folder / "config.toml"
    # [users] names someone else only, so the OS user gets no role.
    path.write_text(f'[store]\npath = {store}\n\n[users]\n"dana-not-you" = "supervisor"\n', "utf-8")
    return path


def denied(result: Result, permission: str) -> str:
    """Assert a permission refusal: exit 3, nothing on stdout, one sentence naming
    ``permission``, no card number anywhere; returns the sentence."""
    assert result.code == EXIT_PERMISSION, (result.code, result.err)
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("contact-tui: "), result.err
    assert permission in lines[0] and "Ask your admin" in lines[0]
    assert CARD not in result.err
    return lines[0]


def bobs_queue(run: Runner) -> list[dict[str, Any]]:
    """bob's interactions as the supervisor (the ``config`` fixture) sees them."""
    result = run("--json", "interaction", "list", "--agent", BOB, "--all-states")
    assert result.code == EXIT_OK, result.err
    queue: list[dict[str, Any]] = result.json()
    return queue


@pytest.fixture
def bobs_call(run: Runner) -> dict[str, Any]:
    """A call routed to bob, in whose transcript the customer read out a card number."""
    result = run(
        "--json", "interaction", "new", "--agent", BOB, "--channel", "voice",
        "--from", "+1 317 555 0190", "--name", "Card Holder",
        "--transcript", f"Customer: my card is {CARD}",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    doc: dict[str, Any] = result.json()
    return doc


# --- finding 5: reading another agent's interactions --------------------------------------------


@pytest.mark.parametrize("role", [None, "viewer", "agent", "router"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_listing_bobs_queue_is_refused(
    run: Runner, tmp_path: Path, bobs_call: dict[str, Any], role: str | None, as_json: bool
) -> None:
    config = role_config(tmp_path, f"role-{role}", role)
    result = run(*(["--json"] if as_json else []), "interaction", "list", "--agent", BOB,
                 config_path=config)  # fmt: skip
    # No role (or only route): the view permission is missing first; an agent lacks view-all.
    needed = VIEW_ALL if role in ("viewer", "agent") else Permission.VIEW.value
    line = denied(result, needed)
    if needed == VIEW_ALL:
        assert f"routed to {BOB}, not to you" in line
    assert bobs_call["id"] not in result.err


@pytest.mark.parametrize("role", [None, "viewer", "agent", "router"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_showing_bobs_transcript_is_refused(
    run: Runner, tmp_path: Path, bobs_call: dict[str, Any], role: str | None, as_json: bool
) -> None:
    config = role_config(tmp_path, f"role-{role}", role)
    result = run(*(["--json"] if as_json else []), "interaction", "show", bobs_call["id"],
                 config_path=config)  # fmt: skip
    needed = VIEW_ALL if role in ("viewer", "agent") else Permission.VIEW.value
    line = denied(result, needed)
    if needed == VIEW_ALL:
        assert f"Interaction {bobs_call['id']} is routed to {BOB}, not to you" in line


def test_a_shell_sees_no_transcript_and_exit_3(tmp_path: Path, bobs_call: dict[str, Any]) -> None:
    """The same attack as a real process: what lands on the terminal is the refusal only."""
    done = run_process(
        role_config(tmp_path, "nobody", None), "interaction", "show", bobs_call["id"]
    )
    assert done.returncode == EXIT_PERMISSION
    assert done.stdout == b""
    assert CARD.encode() not in done.stderr and b"Traceback" not in done.stderr


def test_a_supervisor_reads_bobs_queue_and_transcript(
    run: Runner, bobs_call: dict[str, Any]
) -> None:
    assert [i["id"] for i in bobs_queue(run)] == [bobs_call["id"]]
    shown = run("interaction", "show", bobs_call["id"])
    assert shown.code == EXIT_OK and CARD in shown.out


def test_own_interactions_need_only_view(run: Runner, tmp_path: Path) -> None:
    viewer = role_config(tmp_path, "viewer", "viewer")
    made = run("--json", "interaction", "new", "--channel", "voice", "--from", "+1 317 555 0191",
               config_path=viewer)  # fmt: skip
    assert made.code == EXIT_OK, made.err
    listed = run("--json", "interaction", "list", "--agent", USER, config_path=viewer)
    assert [i["id"] for i in listed.json()] == [made.json()["id"]]
    assert run("interaction", "show", made.json()["id"], config_path=viewer).code == EXIT_OK


# --- finding 7: pushing interactions into another agent's queue ----------------------------------


@pytest.mark.parametrize("role", [None, "viewer", "agent"])
def test_pushing_a_fake_note_into_bobs_queue_is_refused(
    run: Runner, tmp_path: Path, bobs_call: dict[str, Any], role: str | None
) -> None:
    config = role_config(tmp_path, f"role-{role}", role)
    before = bobs_queue(run)
    result = run(
        "interaction", "new", "--agent", BOB, "--channel", "voice", "--from", "+1 317 555 0192",
        "--transcript", NOTE, config_path=config,
    )  # fmt: skip
    line = denied(result, ROUTE)
    assert f"is for {BOB}, not for you" in line
    assert bobs_queue(run) == before


@pytest.mark.parametrize("role", [None, "viewer", "agent"])
def test_importing_lines_addressed_to_bob_is_refused_whole(
    run: Runner, tmp_path: Path, bobs_call: dict[str, Any], role: str | None
) -> None:
    config = role_config(tmp_path, f"role-{role}", role)
    before = bobs_queue(run)
    path = tmp_path / "calls.jsonl"
    path.write_text(
        json.dumps({"channel": "voice", "from": "+1 317 555 0193"})
        + "\n"
        + json.dumps(
            {"agent": BOB, "channel": "voice", "from": "+1 317 555 0194", "transcript": [NOTE]}
        )
        + "\n",
        encoding="utf-8",
    )
    result = run("interaction", "import", str(path), config_path=config)
    # Without a role, line 1 (for the user themselves) already needs view.
    needed, where = (ROUTE, "line 2") if role else (Permission.VIEW.value, "line 1")
    line = denied(result, needed)
    assert f"{path} {where}: " in line and "Nothing was imported" in line
    assert bobs_queue(run) == before
    own = run("--json", "interaction", "list", "--all-states")
    assert own.json() == []  # line 1 was not imported either


def test_a_no_role_user_cannot_push_into_their_own_queue(run: Runner, tmp_path: Path) -> None:
    nobody = role_config(tmp_path, "nobody", None)
    result = run("interaction", "new", "--channel", "voice", "--from", "+1 317 555 0195",
                 "--transcript", NOTE, config_path=nobody)  # fmt: skip
    denied(result, Permission.VIEW.value)
    assert run("--json", "interaction", "list", "--all-states").json() == []


def test_the_router_routes_and_the_audit_names_the_real_user(run: Runner, tmp_path: Path) -> None:
    router = role_config(tmp_path, "router", "router")
    routed = run(
        "--json", "interaction", "new", "--agent", BOB, "--channel", "voice",
        "--from", "+1 317 555 0196", "--transcript", "Customer: hello", config_path=router,
    )  # fmt: skip
    assert routed.code == EXIT_OK, routed.err
    doc = routed.json()
    assert [i["id"] for i in bobs_queue(run)] == [doc["id"]]
    history = run("--json", "contact", "show", doc["contactId"], "--history").json()["history"]
    assert [(r["action"], r["agent"]) for r in history] == [("create", USER), ("link", USER)]
    assert "system" not in {r["agent"] for r in history}
    # Routing is all the router may do: bob's queue stays closed to it.
    denied(run("interaction", "list", "--agent", BOB, config_path=router), Permission.VIEW.value)


# --- finding 10 (second half): acting on another agent's interaction exits 3 ----------------------


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(lambda i: ["interaction", "end", i["id"]], id="end"),
        pytest.param(lambda i: ["contact", "unlink", i["id"]], id="unlink"),
        pytest.param(lambda i: ["contact", "link", i["id"], i["contactId"]], id="link"),
        pytest.param(
            lambda i: ["contact", "add", "--first", "A", "--last", "B", "--interaction", i["id"]],
            id="add-linked",
        ),
    ],
)
def test_acting_on_bobs_interaction_is_permission_denied(
    run: Runner, tmp_path: Path, bobs_call: dict[str, Any], argv: Any
) -> None:
    agent = role_config(tmp_path, "agent", "agent")
    before = bobs_queue(run)
    line = denied(run(*argv(bobs_call), config_path=agent), VIEW_ALL)
    assert f"routed to {BOB}, not to you" in line
    assert bobs_queue(run) == before
