"""Every ``contact-tui`` command under every combination of the permissions its rule names,
each with none and with all of the others (tests/permissions/matrix.py: ``row_combos``).

Each case writes a config whose ``[roles]`` gives the current OS user exactly the combination,
and runs ``main()`` in-process. Refused: exit 3 and one stderr line starting ``contact-tui:``
that names the missing permission (and, for another agent's interactions, whose they are),
with nothing on stdout and the store's files untouched.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import contact_tui.cli.entry
from contact_tui.cli import main
from contact_tui.cli.exits import EXIT_OK, EXIT_PERMISSION
from contact_tui.cli.parser import build_parser
from contact_tui.config import CONFIG_ENV, SYSTEM_CONFIG
from contact_tui.domain.model import Permission
from contact_tui.domain.permissions import UseCase
from tests.cli.runner import Result, Runner
from tests.factories import TEST_AGENTS
from tests.permissions.matrix import (
    ADD,
    EDIT,
    OTHER_AGENT,
    ROUTE,
    VIEW,
    VIEW_ALL,
    Combo,
    Row,
    Scene,
    SceneTemplates,
    assert_row_combos,
    assert_unchanged,
    combo_id,
    fingerprint,
    first_missing,
    needs_of,
    row_combos,
)

USER = pwd.getpwuid(os.getuid()).pw_name
ROLE = "matrix"


@pytest.fixture(autouse=True)
def _no_system_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A system config would win over --config and decide the roles itself.
    if SYSTEM_CONFIG.exists():
        pytest.skip(f"{SYSTEM_CONFIG} exists; it would decide the roles, not these tests")
    if USER in (OTHER_AGENT, "carol"):
        pytest.skip(f"the OS user is {USER}, whom the scene routes other interactions to")
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv("CONTACT_TUI_DEBUG", raising=False)
    yield


def write_matrix_config(folder: Path, combo: Combo) -> Path:
    """A config giving the current OS user one role holding exactly ``combo``."""
    permissions = [p.value for p in Permission if p in combo]
    path = folder / "config.toml"
    path.write_text(
        '[store]\npath = "store.json"\n\n'
        f"[roles]\n{ROLE} = {json.dumps(permissions)}\n\n"
        f"[users]\n{json.dumps(USER)} = {json.dumps(ROLE)}\n"
        # Whom the scene routes interactions to: agents the config knows.
        + "".join(f'{json.dumps(name)} = "agent"\n' for name in TEST_AGENTS),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def scene(tmp_path: Path, scene_templates: SceneTemplates) -> Scene:
    return scene_templates.copy(USER, tmp_path / "store")


# Building the argparse tree takes ~9 ms, more than most commands here take to run, and the
# matrix runs hundreds: they share one parser (parsing leaves it as it was built).
_one_parser = functools.cache(build_parser)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run ``contact-tui --config <config> ARGS...`` in-process."""
    monkeypatch.setattr(contact_tui.cli.entry, "build_parser", _one_parser)

    def runner(config: Path, *args: str) -> Result:
        code = main(["--config", str(config), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return runner


# --- the commands ---------------------------------------------------------------------------

Argv = Callable[[Scene], list[str]]
Check = Callable[[Result, Scene, Combo], None]


def _created(result: Result, scene: Scene, combo: Combo) -> None:
    doc = result.json()
    assert doc["type"] == "Curated" and doc["firstName"] == "New"


def _edited(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["title"] == "Head of Matrices"


def _promoted(result: Result, scene: Scene, combo: Combo) -> None:
    doc = result.json()
    assert doc["id"] == scene.ephemeral.id and doc["type"] == "Curated"


def _merged(result: Result, scene: Scene, combo: Combo) -> None:
    doc = result.json()
    assert doc["contact"]["id"] == scene.sam.id
    assert doc["merge"]["merge"]["otherBefore"]["id"] == scene.ephemeral.id


def _previewed(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["relinked"] == [scene.own_call.id]


def _unmerged(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["restored"]["id"] == scene.merged_away.id


def _erased(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["action"] == "erase" and result.json()["contactId"] == scene.sam.id


def _shown(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["id"] == scene.sam.id


def _history(result: Result, scene: Scene, combo: Combo) -> None:
    assert [r["action"] for r in result.json()["history"]] == ["create"]


def _found_sam(result: Result, scene: Scene, combo: Combo) -> None:
    assert [c["id"] for c in result.json()] == [scene.sam.id]


def _listed(result: Result, scene: Scene, combo: Combo) -> None:
    # The old ephemeral, Pat Jones, Pat Smith, Sam, and the callers' ephemerals.
    assert scene.sam.id in {c["id"] for c in result.json()}


def _linked_to_sam(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["contactId"] == scene.sam.id


def _unlinked(result: Result, scene: Scene, combo: Combo) -> None:
    assert "contactId" not in result.json() or result.json()["contactId"] is None


def _ended(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["state"] == "ended"


def _handed_over(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["agent"] == USER


def _routed(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["agent"] == OTHER_AGENT


def _import_argv(scene: Scene) -> list[str]:
    # Beside the store's folder, not in it: the fingerprint covers every file in there.
    path = scene.path.parent.parent / "calls.jsonl"
    path.write_text(
        '{"channel": "voice", "from": "+1 212 555 0143"}\n'
        '{"channel": "email", "from": "kim@example.com", "subject": "Hello"}\n',
        encoding="utf-8",
    )
    return ["interaction", "import", str(path)]


def _imported(result: Result, scene: Scene, combo: Combo) -> None:
    assert [i["agent"] for i in result.json()] == [USER, USER]


def _route_import_argv(scene: Scene) -> list[str]:
    path = scene.path.parent.parent / "routed.jsonl"
    path.write_text(
        f'{{"agent": "{OTHER_AGENT}", "channel": "voice", "from": "+1 212 555 0143"}}\n',
        encoding="utf-8",
    )
    return ["interaction", "import", str(path)]


def _route_imported(result: Result, scene: Scene, combo: Combo) -> None:
    assert [i["agent"] for i in result.json()] == [OTHER_AGENT]


def _contacts_import_argv(scene: Scene) -> list[str]:
    path = scene.path.parent.parent / "crm.csv"
    path.write_text("First Name,Last Name,Cell Phone\r\nNew,Person,+44 7700 900999\r\n", "utf-8")
    return ["import", str(path)]


def _contacts_imported(result: Result, scene: Scene, combo: Combo) -> None:
    doc = result.json()
    assert [c["line"] for c in doc["created"]] == [2] and doc["written"] is True


def _exported(result: Result, scene: Scene, combo: Combo) -> None:
    assert scene.sam.id in {c["id"] for c in result.json()}


def _doctor(result: Result, scene: Scene, combo: Combo) -> None:
    assert all(finding["level"] != "error" for finding in result.json())


def _interactions(result: Result, scene: Scene, combo: Combo) -> None:
    assert [i["id"] for i in result.json()] == [scene.own_call.id, scene.shared_call.id]


def _interaction_shown(result: Result, scene: Scene, combo: Combo) -> None:
    line = next(x for x in result.out.splitlines() if x.startswith("Contact"))
    assert scene.ephemeral.id in line and "Ephemeral" in line


def _others_listed(result: Result, scene: Scene, combo: Combo) -> None:
    assert [i["id"] for i in result.json()] == [scene.other_call.id]


def _other_shown(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["id"] == scene.other_call.id


def _interaction_history(result: Result, scene: Scene, combo: Combo) -> None:
    assert [(i["kind"], i["id"]) for i in result.json()] == [("interaction", scene.own_call.id)]


def _noted(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["wrapUpNote"] == "Matrix note"


def _admin_shown(result: Result, scene: Scene, combo: Combo) -> None:
    doc = result.json()
    assert doc["agent"]["roles"] == [ROLE]
    assert doc["agent"]["permissions"] == sorted(p.value for p in combo)


def _set(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json() == {"name": "ephemeral-ttl-days", "value": 30}


def _expired(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json() == {"removed": [scene.old.id], "count": 1}


def _notes_listed(result: Result, scene: Scene, combo: Combo) -> None:
    assert {n["id"] for n in result.json()} == {scene.own_note.id, scene.other_note.id}


def _note_added(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["createdBy"] == {"id": USER}


def _note_edited(result: Result, scene: Scene, combo: Combo) -> None:
    doc = result.json()
    assert doc["noteText"] == "Changed" and doc["modifiedBy"] == USER


def _note_deleted(result: Result, scene: Scene, combo: Combo) -> None:
    assert result.json()["deleted"] is True


@dataclass(frozen=True)
class Command:
    """One command line: the use cases it goes through, in order (the table says what they
    need), and what success shows."""

    name: str
    argv: Argv
    uses: tuple[UseCase, ...]
    check: Check
    writes: bool
    others_interaction: bool = False
    json: bool = True

    @property
    def needs(self) -> tuple[Permission, ...]:
        """The permissions it needs, in the order it is refused for them."""
        return needs_of(self.uses)


CREATE, SHOW, SEARCH = UseCase.CREATE_CONTACT, UseCase.VIEW_CONTACTS, UseCase.SEARCH
LINK, UNLINK, END = UseCase.LINK, UseCase.UNLINK, UseCase.END_INTERACTION
READ, OTHERS = UseCase.READ_INTERACTIONS, UseCase.OTHERS_INTERACTION
TAKE_IN, ROUTE_IT = UseCase.TAKE_IN_INTERACTION, UseCase.ROUTE_INTERACTION


NEW = ["--first", "New", "--last", "Person"]
NEW_CALL = ["--channel", "voice", "--from", "+1 212 555 0142"]

COMMANDS = [
    Command("contact-add", lambda s: ["contact", "add", *NEW], (CREATE,), _created, True),
    Command(
        "contact-add-own",
        lambda s: ["contact", "add", *NEW, "--interaction", s.own_call.id],
        (CREATE,),
        _created,
        True,
    ),
    Command(
        "contact-add-other",
        lambda s: ["contact", "add", *NEW, "--interaction", s.other_call.id],
        (CREATE, OTHERS),
        _created,
        True,
        others_interaction=True,
    ),
    # edit and promote read the contact first, so the CLI needs view before edit/promote.
    Command(
        "contact-edit",
        lambda s: ["contact", "edit", s.sam.id, "--title", "Head of Matrices"],
        (SHOW, UseCase.EDIT_CONTACT),
        _edited,
        True,
    ),
    Command(
        "contact-promote",
        lambda s: ["contact", "promote", s.ephemeral.id],
        (SHOW, UseCase.PROMOTE_CONTACT),
        _promoted,
        True,
    ),
    Command("contact-show", lambda s: ["contact", "show", s.sam.id], (SHOW,), _shown, False),
    Command(
        "contact-history",
        lambda s: ["contact", "show", s.sam.id, "--history"],
        (SHOW,),
        _history,
        False,
    ),
    Command("contact-search", lambda s: ["contact", "search", "Sam"], (SEARCH,), _found_sam, False),
    Command("contact-list", lambda s: ["contact", "list"], (SEARCH,), _listed, False),
    Command(
        "contact-link-own",
        lambda s: ["contact", "link", s.own_call.id, s.sam.id],
        (LINK,),
        _linked_to_sam,
        True,
    ),
    Command(
        "contact-link-other",
        lambda s: ["contact", "link", s.other_call.id, s.sam.id],
        (LINK, OTHERS),
        _linked_to_sam,
        True,
        others_interaction=True,
    ),
    Command(
        "contact-unlink-own",
        lambda s: ["contact", "unlink", s.own_call.id],
        (UNLINK,),
        _unlinked,
        True,
    ),
    Command(
        "contact-unlink-other",
        lambda s: ["contact", "unlink", s.other_call.id],
        (UNLINK, OTHERS),
        _unlinked,
        True,
        others_interaction=True,
    ),
    Command(
        "interaction-new",
        lambda s: ["interaction", "new", *NEW_CALL],
        (TAKE_IN,),
        _handed_over,
        True,
    ),
    Command(
        "interaction-new-other",
        lambda s: ["interaction", "new", "--agent", OTHER_AGENT, *NEW_CALL],
        (ROUTE_IT,),
        _routed,
        True,
        others_interaction=True,
    ),
    Command("interaction-import", _import_argv, (TAKE_IN,), _imported, True),
    Command(
        "interaction-import-other",
        _route_import_argv,
        (ROUTE_IT,),
        _route_imported,
        True,
        others_interaction=True,
    ),
    Command("interaction-list", lambda s: ["interaction", "list"], (READ,), _interactions, False),
    Command(
        "interaction-list-other",
        lambda s: ["interaction", "list", "--agent", OTHER_AGENT],
        (READ, OTHERS),
        _others_listed,
        False,
        others_interaction=True,
    ),
    Command(
        "interaction-show",
        lambda s: ["interaction", "show", s.own_call.id],
        (READ,),
        _interaction_shown,
        False,
        json=False,
    ),
    Command(
        "interaction-show-other",
        lambda s: ["interaction", "show", s.other_call.id],
        (READ, OTHERS),
        _other_shown,
        False,
        others_interaction=True,
    ),
    Command(
        "interaction-end-own",
        lambda s: ["interaction", "end", s.own_call.id],
        (END,),
        _ended,
        True,
    ),
    Command(
        "interaction-end-other",
        lambda s: ["interaction", "end", s.other_call.id],
        (END, OTHERS),
        _ended,
        True,
        others_interaction=True,
    ),
    Command(
        "contact-interaction-history",
        lambda s: ["contact", "history", s.ephemeral.id],
        (UseCase.CONTACT_HISTORY,),
        _interaction_history,
        False,
    ),
    Command(
        "interaction-note-own",
        lambda s: ["interaction", "note", s.own_call.id, "Matrix note"],
        (UseCase.WRAP_UP,),
        _noted,
        True,
    ),
    Command(
        "interaction-note-other",
        lambda s: ["interaction", "note", s.other_call.id, "Matrix note"],
        (UseCase.WRAP_UP, OTHERS),
        _noted,
        True,
        others_interaction=True,
    ),
    Command(
        "contact-merge",
        lambda s: ["contact", "merge", s.sam.id, s.ephemeral.id],
        (UseCase.MERGE_CONTACTS,),
        _merged,
        True,
    ),
    Command(
        "contact-merge-dry-run",
        lambda s: ["contact", "merge", s.sam.id, s.ephemeral.id, "--dry-run"],
        (UseCase.MERGE_CONTACTS,),
        _previewed,
        False,
    ),
    Command(
        "contact-unmerge",
        lambda s: ["contact", "unmerge", s.merge_id],
        (UseCase.UNMERGE_CONTACTS,),
        _unmerged,
        True,
    ),
    Command(
        "contact-delete",
        lambda s: ["contact", "delete", s.sam.id],
        (UseCase.ERASE_CONTACT,),
        _erased,
        True,
    ),
    Command("admin-show", lambda s: ["admin", "show"], (), _admin_shown, False),
    Command(
        "admin-set",
        lambda s: ["admin", "set", "ephemeral-ttl-days", "30"],
        (UseCase.CHANGE_SETTINGS,),
        _set,
        True,
    ),
    Command("expire", lambda s: ["expire"], (UseCase.EXPIRE_EPHEMERAL,), _expired, True),
    Command("doctor", lambda s: ["doctor"], (), _doctor, False),
    # Import needs view and add; rows that update or promote need edit or promote (tests/service).
    Command("import", _contacts_import_argv, (UseCase.IMPORT_CONTACTS,), _contacts_imported, True),
    Command(
        "export",
        lambda s: ["export", "--format", "genesys"],
        (UseCase.EXPORT_CONTACTS,),
        _exported,
        False,
    ),
    # Contact notes (issue 13), on pat_first: the scene's own note and bob's.
    Command(
        "contact-note-list",
        lambda s: ["contact", "note", "list", s.pat_first.id],
        (UseCase.VIEW_NOTES,),
        _notes_listed,
        False,
    ),
    Command(
        "contact-note-add",
        lambda s: ["contact", "note", "add", s.pat_first.id, "Matrix note"],
        (UseCase.ADD_NOTE,),
        _note_added,
        True,
    ),
    # With --expect-version the note is not read first, so view is not needed.
    Command(
        "contact-note-edit-own",
        lambda s: ["contact", "note", "edit", s.own_note.id, "Changed", "--expect-version", "1"],
        (UseCase.EDIT_NOTE,),
        _note_edited,
        True,
    ),
    Command(
        "contact-note-edit-other",
        lambda s: ["contact", "note", "edit", s.other_note.id, "Changed", "--expect-version", "1"],
        (UseCase.EDIT_NOTE, UseCase.OTHERS_NOTE),
        _note_edited,
        True,
    ),
    Command(
        "contact-note-delete-own",
        lambda s: ["contact", "note", "delete", s.own_note.id],
        (UseCase.EDIT_NOTE,),
        _note_deleted,
        True,
    ),
    Command(
        "contact-note-delete-other",
        lambda s: ["contact", "note", "delete", s.other_note.id],
        (UseCase.EDIT_NOTE, UseCase.OTHERS_NOTE),
        _note_deleted,
        True,
    ),
]

# One test per command runs it under its combinations (``row_combos``, ``Row``).
ROWS = [pytest.param(command, id=command.name) for command in COMMANDS]


def _one_error_line(result: Result) -> str:
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("contact-tui: "), result.err
    assert "Traceback" not in result.err
    return lines[0]


@pytest.mark.parametrize("command", ROWS)
def test_command_under_every_combination(
    command: Command, tmp_path: Path, scene_templates: SceneTemplates, run: Runner
) -> None:
    row = Row()
    for combo in row_combos(command.needs):
        with row.case(combo_id(combo)):
            # A copy of the scene as built for each case, in a folder of its own.
            scene = scene_templates.copy(USER, tmp_path / combo_id(combo) / "store")
            _command_under_combination(command, combo, scene, run)
    row.check()


def _command_under_combination(command: Command, combo: Combo, scene: Scene, run: Runner) -> None:
    config = write_matrix_config(scene.path.parent, combo)
    before = fingerprint(scene.path)
    argv = command.argv(scene)
    result = run(config, *(["--json"] if command.json else []), *argv)
    missing = first_missing(combo, command.needs)
    if missing is not None:
        assert result.code == EXIT_PERMISSION, result.err
        line = _one_error_line(result)
        assert missing.value in line
        assert f"may not {missing.label}" in line
        assert ROLE in line  # the agent's roles, so they know what to ask for
        if command.others_interaction and missing in (VIEW_ALL, ROUTE):
            assert f"{OTHER_AGENT}, not " in line  # whose interaction it is
        assert result.out == ""
        assert_unchanged(before, scene.path)
    else:
        assert result.code == EXIT_OK, result.err
        assert result.err == ""
        command.check(result, scene, combo)
        if command.writes:
            assert fingerprint(scene.path).files != before.files, "nothing was saved"
        else:
            assert_unchanged(before, scene.path)


def test_the_matrix_covers_every_permission() -> None:
    assert {p for command in COMMANDS for p in command.needs} == set(Permission)
    for command in COMMANDS:
        assert_row_combos(row_combos(command.needs), command.needs)
    assert {u for command in COMMANDS for u in command.uses} == set(UseCase)
    # Another agent's interactions: reading or acting takes view-all, creating takes route.
    for command in COMMANDS:
        assert command.others_interaction == bool({VIEW_ALL, ROUTE} & set(command.needs))


# --- bugs found while building the matrix (fixed) ----------------------------------------

# A few combinations each: the bug does not depend on the others' permissions.
WITHOUT_ADD = [
    pytest.param(c, id=combo_id(c))
    for c in (frozenset(), frozenset({VIEW}), frozenset(Permission) - {ADD})
]
VIEW_WITHOUT_EDIT = [
    pytest.param(c, id=combo_id(c)) for c in (frozenset({VIEW}), frozenset(Permission) - {EDIT})
]


@pytest.mark.parametrize("combo", WITHOUT_ADD)
def test_contact_add_checks_the_permission_before_the_sms_flags(
    combo: Combo, scene: Scene, run: Runner
) -> None:
    config = write_matrix_config(scene.path.parent, combo)
    before = fingerprint(scene.path)
    result = run(config, "contact", "add", *NEW, "--cell-sms")
    assert_unchanged(before, scene.path)
    assert result.code == EXIT_PERMISSION, result.err
    assert ADD.value in _one_error_line(result)


@pytest.mark.parametrize("combo", VIEW_WITHOUT_EDIT)
def test_contact_edit_checks_the_permission_before_the_sms_flags(
    combo: Combo, scene: Scene, run: Runner
) -> None:
    config = write_matrix_config(scene.path.parent, combo)
    before = fingerprint(scene.path)
    result = run(config, "contact", "edit", scene.sam.id, "--home-sms")
    assert_unchanged(before, scene.path)
    assert result.code == EXIT_PERMISSION, result.err
    assert EDIT.value in _one_error_line(result)
