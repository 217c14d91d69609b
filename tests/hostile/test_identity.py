"""Forging the agent's identity (security report, finding 2), performed and shown to fail.

The attack: a user with no role runs ``unshare -Urm``, mounts a tmpfs over /etc/contact-tui so
the system config vanishes and ``CONTACT_TUI_CONFIG`` is honoured again, then
``unshare --user --map-user=<supervisor's uid>`` and acts as the supervisor. Every step is
refused now: any user namespace (exit 8, one sentence), and a system config folder that is
empty, or an install marker without the folder. The namespace cases run the real ``unshare``;
the system config cases use a folder in tmp_path in place of /etc/contact-tui, which tests
cannot write.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contact_tui import config as config_module
from contact_tui.cli import main
from contact_tui.cli.exits import EXIT_CONFIG
from contact_tui.config import CONFIG_ENV, IDENTITY_MAP
from tests.cli.runner import REPO, USER, Result, Runner, write_config

REFUSAL = "Refusing to run inside a user namespace"


def refused_once(result: Result | subprocess.CompletedProcess[bytes]) -> str:
    """Exit 8, nothing on stdout, one 'contact-tui:' sentence on stderr; returns it."""
    if isinstance(result, Result):
        code, out, err = result.code, result.out, result.err
    else:
        code, out, err = result.returncode, result.stdout.decode(), result.stderr.decode()
    assert code == EXIT_CONFIG, (code, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("contact-tui: ")
    return lines[0].removeprefix("contact-tui: ")


# --- the real thing: unshare ------------------------------------------------------------------


def _userns_or_skip() -> None:
    """Skip (outside CI only) where unshare is missing or user namespaces are turned off."""
    reason = ""
    if shutil.which("unshare") is None:
        reason = "unshare (util-linux) is not installed"
    else:
        probe = subprocess.run(
            ["unshare", "-Ur", "true"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode != 0:
            reason = f"user namespaces do not work here: {probe.stderr.decode().strip()}"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must be able to run the namespace attack: {reason}")
        pytest.skip(reason)


def _in_namespace(config: Path, *wrapper: str) -> subprocess.CompletedProcess[bytes]:
    """``python -m contact_tui admin show`` run under ``wrapper`` (an unshare command)."""
    env = {k: v for k, v in os.environ.items() if k != "CONTACT_TUI_DEBUG"}
    env[CONFIG_ENV] = str(config)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(
        [*wrapper, sys.executable, "-m", "contact_tui", "admin", "show"],
        env=env,
        cwd=config.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "wrapper",
    [
        ("unshare", "-Ur"),
        # Posing as another user: the attacker maps a chosen uid (here 4242) to their own.
        ("unshare", "--user", "--map-user=4242", "--map-group=4242"),
    ],
    ids=["root-in-namespace", "another-user"],
)
def test_a_user_namespace_is_refused(config: Path, wrapper: tuple[str, ...]) -> None:
    _userns_or_skip()
    done = _in_namespace(config, *wrapper)
    sentence = refused_once(done)
    assert sentence.startswith(REFUSAL)
    assert "/proc/self/uid_map" in sentence and IDENTITY_MAP in sentence
    assert not (config.parent / "store.json").exists()  # it stopped before opening the store


def test_a_fake_identity_map_bound_over_proc_is_still_refused(config: Path, tmp_path: Path) -> None:
    # In a mount namespace the attacker can bind the host's map over their own uid_map and
    # gid_map before exec'ing the app; the namespace inode (ns/user) still gives it away.
    _userns_or_skip()
    fake = tmp_path / "map"
    fake.write_text(f"{IDENTITY_MAP}\n", encoding="utf-8")
    fake.chmod(0o644)
    script = (
        f'mount --bind "{fake}" /proc/$$/uid_map && mount --bind "{fake}" /proc/$$/gid_map '
        '&& exec "$@"'
    )
    probe = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", script, "sh", "cat", "/proc/self/uid_map"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0 or probe.stdout.decode().split() != IDENTITY_MAP.split():
        reason = f"cannot bind over /proc here: {probe.stderr.decode().strip()}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    done = _in_namespace(config, "unshare", "-Urm", "sh", "-c", script, "sh")
    sentence = refused_once(done)
    assert sentence.startswith(REFUSAL) and "/proc/self/ns/user" in sentence


# --- every entry point refuses -----------------------------------------------------------------


@pytest.fixture
def in_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the namespace check see what ``unshare --map-user=0`` gives: files in tmp_path."""
    for name, attr in (("uid_map", "PROC_UID_MAP"), ("gid_map", "PROC_GID_MAP")):
        path = tmp_path / name
        path.write_text("         0       1000          1\n", encoding="utf-8")
        monkeypatch.setattr(config_module, attr, path)


@pytest.mark.parametrize(
    "argv",
    [
        [],  # the app
        ["admin", "show"],
        ["admin", "set", "default-country-code", "44"],
        ["contact", "list"],
        ["contact", "add", "--first", "Sam", "--last", "Vries"],
        ["interaction", "list"],
        ["expire"],
        ["doctor"],
        ["export", "--format", "csv"],
    ],
)
def test_every_command_and_the_app_refuse_in_a_user_namespace(
    run: Runner, config: Path, in_namespace: None, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []
    monkeypatch.setattr("contact_tui.ui.app.run_app", started.append)
    sentence = refused_once(run(*argv))
    assert sentence.startswith(REFUSAL)
    assert started == [] and not (config.parent / "store.json").exists()


def test_help_and_version_still_work_in_a_namespace(
    in_namespace: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # They touch no config, store or identity, and tell the user what the command is.
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("contact-tui ")


# --- the system config cannot be made to vanish ------------------------------------------------


@pytest.fixture
def system_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where /etc/contact-tui/config.toml is, for this test: nothing there yet."""
    target = tmp_path / "etc" / "contact-tui" / "config.toml"
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG", target)
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG_MARKER", tmp_path / "prefix" / "marker")
    # A normal user cannot make root-owned files; as root (CI) this is 0 anyway.
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG_OWNER", os.getuid())
    return target


def test_a_tmpfs_over_the_system_config_folder_does_not_bring_the_env_back(
    run: Runner, tmp_path: Path, system_config: Path
) -> None:
    # What the attacker sees after mounting an empty tmpfs over /etc/contact-tui, with their
    # own config (making them supervisor) in CONTACT_TUI_CONFIG and --config.
    system_config.parent.mkdir(parents=True, mode=0o755)
    mine = write_config(tmp_path / "mine", role="supervisor")
    for argv in (["admin", "set", "default-country-code", "44"], ["admin", "show"]):
        sentence = refused_once(run(*argv, config_path=mine))
        assert str(system_config.parent) in sentence and "holds no config.toml" in sentence
    assert not (mine.parent / "store.json").exists()


def test_hiding_the_whole_folder_is_caught_by_the_install_marker(
    run: Runner, tmp_path: Path, system_config: Path
) -> None:
    # A tmpfs over /etc removes /etc/contact-tui altogether; the marker in the installation
    # (sys.prefix) still says a system config is required.
    marker = config_module.SYSTEM_CONFIG_MARKER
    marker.parent.mkdir()
    marker.touch()
    mine = write_config(tmp_path / "mine", role="supervisor")
    sentence = refused_once(run("contact", "list", config_path=mine))
    assert str(marker) in sentence and "does not exist" in sentence


def test_the_real_system_config_still_decides(
    run: Runner, tmp_path: Path, system_config: Path
) -> None:
    # The refusals above are not a blanket one: a proper system config is used, and the
    # agent's own config is ignored.
    store = tmp_path / "shared" / "store.json"
    store.parent.mkdir()
    system_config.parent.mkdir(parents=True, mode=0o755)
    system_config.write_text(
        f'[store]\npath = "{store}"\n[users]\n"{USER}" = "viewer"\n', encoding="utf-8"
    )
    system_config.chmod(0o644)
    mine = write_config(tmp_path / "mine", role="supervisor")
    result = run("--json", "admin", "show", config_path=mine)
    assert result.code == 0, result.err
    shown = result.json()
    assert shown["store"] == str(store) and shown["agent"]["roles"] == ["viewer"]
