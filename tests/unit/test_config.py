"""Admin config: roles from users and groups, the system config's precedence, clear errors,
and the refusals that keep a forged identity from being easy (user namespaces, a system
config that vanished or is not root's alone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contact_tui import config as config_module
from contact_tui.config import (
    IDENTITY_MAP,
    ConfigError,
    UnsafeEnvironment,
    check_user_namespace,
    current_agent,
    load_config,
)
from contact_tui.domain.model import Permission


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_system_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the system config would be (nothing there yet), and no install marker.

    The owner the system config must have is this test's user: a normal user cannot make a
    root-owned file, and as root (CI) it is root anyway.
    """
    target = tmp_path / "etc" / "contact-tui" / "config.toml"
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG", target)
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG_MARKER", tmp_path / "prefix" / "marker")
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG_OWNER", os.getuid())
    return target


def install(path: Path, text: str) -> Path:
    """Write a system config as the admin would: folder 755, file 644."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)
    write(path, text)
    path.chmod(0o644)
    return path


def test_a_config_maps_users_and_groups_to_roles(tmp_path: Path, no_system_config: Path) -> None:
    cfg = load_config(
        write(
            tmp_path / "c.toml",
            '[store]\npath = "shared/store.json"\n'
            "[settings]\ndefault_country_code = 44\n"
            '[roles]\ntrainee = ["externalContacts:contact:view", "externalContacts:contact:add"]\n'
            '[users]\nalice = ["agent"]\nbob = "trainee"\n'
            '[groups]\nsupervisors = ["supervisor"]\n',
        )
    )
    assert cfg.store_path == tmp_path / "shared" / "store.json"
    assert cfg.defaults["default-country-code"] == 44
    assert cfg.roles_for("bob", frozenset()) == ("trainee",)
    assert cfg.roles_for("alice", frozenset({"supervisors"})) == ("agent", "supervisor")
    assert cfg.roles_for("mallory", frozenset()) == ()


def test_without_any_config_the_local_user_gets_every_permission(
    no_system_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config(None, env={})
    agent = current_agent(cfg)
    assert agent.permissions == frozenset(Permission)
    assert cfg.store_path == tmp_path / "data" / "store.json"


def test_the_env_variable_picks_a_config_only_without_a_system_config(
    tmp_path: Path, no_system_config: Path
) -> None:
    mine = write(tmp_path / "mine.toml", '[store]\npath = "/tmp/mine.json"\n')
    assert load_config(None, env={"CONTACT_TUI_CONFIG": str(mine)}).store_path == Path(
        "/tmp/mine.json"
    )
    install(no_system_config, '[store]\npath = "/srv/contacts/store.json"\n')
    cfg = load_config(mine, env={"CONTACT_TUI_CONFIG": str(mine)})
    assert cfg.system and cfg.store_path == Path("/srv/contacts/store.json")


def test_an_agent_not_named_in_the_system_config_has_no_permission(
    no_system_config: Path,
) -> None:
    install(no_system_config, '[users]\nsomeone_else = ["supervisor"]\n')
    agent = current_agent(load_config("/any/other.toml"))
    assert agent.permissions == frozenset()


def _give_away(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``path`` belong to someone other than the required owner: really as root, by
    requiring another owner as a normal user (who cannot chown)."""
    if os.geteuid() == 0:
        os.chown(path, 65534, -1)
        monkeypatch.setattr(config_module, "SYSTEM_CONFIG_OWNER", 0)
    else:
        monkeypatch.setattr(config_module, "SYSTEM_CONFIG_OWNER", os.getuid() + 1)


def test_a_system_config_others_can_write_is_refused(
    no_system_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(no_system_config, "")
    os.chmod(no_system_config, 0o666)
    with pytest.raises(ConfigError, match="writable by root only"):
        load_config()
    os.chmod(no_system_config, 0o644)
    _give_away(no_system_config, monkeypatch)
    with pytest.raises(ConfigError, match="owned by root"):
        load_config()


# An agent who hid or replaced the system config must not get --config or the env back.
MINE = '[users]\nmallory = ["supervisor"]\n'


def _refused(tmp_path: Path, *fragments: str) -> None:
    mine = write(tmp_path / "mine.toml", MINE)
    with pytest.raises(ConfigError) as caught:
        load_config(mine, env={"CONTACT_TUI_CONFIG": str(mine)})
    for fragment in fragments:
        assert fragment in str(caught.value)
    assert str(mine) not in str(caught.value)


def test_an_empty_system_config_folder_is_refused_not_skipped(
    tmp_path: Path, no_system_config: Path
) -> None:
    # What a tmpfs mounted over /etc/contact-tui looks like from inside.
    no_system_config.parent.mkdir(parents=True, mode=0o755)
    _refused(tmp_path, str(no_system_config.parent), "holds no config.toml", "ask your admin")


def test_the_install_marker_expects_a_system_config_even_without_its_folder(
    tmp_path: Path, no_system_config: Path
) -> None:
    # What a tmpfs mounted over /etc looks like: the folder is gone, the marker is not.
    marker = config_module.SYSTEM_CONFIG_MARKER
    marker.parent.mkdir()
    marker.touch()
    _refused(tmp_path, str(no_system_config.parent), "does not exist", str(marker))


def test_without_folder_or_marker_nothing_is_expected(
    tmp_path: Path, no_system_config: Path
) -> None:
    mine = write(tmp_path / "mine.toml", MINE)
    assert load_config(None, env={"CONTACT_TUI_CONFIG": str(mine)}).source == mine


def test_a_system_config_that_is_a_symlink_is_refused(
    tmp_path: Path, no_system_config: Path
) -> None:
    good = install(tmp_path / "elsewhere" / "config.toml", MINE)
    no_system_config.parent.mkdir(parents=True, mode=0o755)
    no_system_config.symlink_to(good)
    _refused(tmp_path, str(no_system_config), "symbolic link")


def test_a_system_config_folder_that_is_a_symlink_is_refused(
    tmp_path: Path, no_system_config: Path
) -> None:
    good = install(tmp_path / "elsewhere" / "config.toml", MINE)
    no_system_config.parent.parent.mkdir(parents=True)
    no_system_config.parent.symlink_to(good.parent)
    _refused(tmp_path, str(no_system_config.parent), "symbolic link")


def test_a_dangling_symlink_for_the_folder_still_expects_a_config(
    tmp_path: Path, no_system_config: Path
) -> None:
    no_system_config.parent.parent.mkdir(parents=True)
    no_system_config.parent.symlink_to(tmp_path / "nowhere")
    _refused(tmp_path, str(no_system_config.parent), "symbolic link")


def test_a_system_config_that_is_not_a_regular_file_is_refused(
    tmp_path: Path, no_system_config: Path
) -> None:
    no_system_config.parent.mkdir(parents=True, mode=0o755)
    os.mkfifo(no_system_config, 0o644)  # also proves the read cannot hang on a FIFO
    _refused(tmp_path, str(no_system_config), "not a regular file")
    no_system_config.unlink()
    no_system_config.mkdir()
    _refused(tmp_path, str(no_system_config), "not a regular file")


def test_a_system_config_folder_others_can_write_is_refused(
    tmp_path: Path, no_system_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(no_system_config, '[users]\nsomeone = ["viewer"]\n')
    no_system_config.parent.chmod(0o775)
    _refused(tmp_path, str(no_system_config.parent), "writable by root only")
    no_system_config.parent.chmod(0o757)
    _refused(tmp_path, str(no_system_config.parent), "writable by root only")
    no_system_config.parent.chmod(0o755)
    assert load_config().system
    _give_away(no_system_config.parent, monkeypatch)
    _refused(tmp_path, str(no_system_config.parent), "owned by root")


def test_a_system_config_group_can_write_is_refused(tmp_path: Path, no_system_config: Path) -> None:
    install(no_system_config, "")
    no_system_config.chmod(0o664)
    _refused(tmp_path, str(no_system_config), "writable by root only")


def test_a_huge_system_config_is_refused(
    tmp_path: Path, no_system_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_module, "MAX_CONFIG_BYTES", 64)
    install(no_system_config, "# " + "x" * 100 + "\n")
    _refused(tmp_path, str(no_system_config), "larger than 64 bytes")


# --- user namespaces -------------------------------------------------------------------------


@pytest.fixture
def fake_proc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the namespace check at files in tmp_path holding the initial namespace's view."""
    proc = tmp_path / "proc"
    (proc / "ns").mkdir(parents=True)
    for name in ("uid_map", "gid_map"):
        write(proc / name, "         0          0 4294967295\n")
    user_ns = write(proc / "ns" / "user", "")
    monkeypatch.setattr(config_module, "PROC_UID_MAP", proc / "uid_map")
    monkeypatch.setattr(config_module, "PROC_GID_MAP", proc / "gid_map")
    monkeypatch.setattr(config_module, "PROC_USER_NS", user_ns)
    monkeypatch.setattr(config_module, "PROC_USER_INIT_INO", user_ns.stat().st_ino)
    return proc


def test_this_host_is_in_the_initial_user_namespace() -> None:
    # The real files and the kernel's constant: the tests (and CI) run on the host.
    check_user_namespace()


def test_the_identity_map_passes_whatever_its_spacing(fake_proc: Path) -> None:
    write(fake_proc / "uid_map", "0 0 4294967295")
    write(fake_proc / "gid_map", "\t0\t0\t4294967295\n\n")
    check_user_namespace()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("uid_map", "         0       1000          1\n"),  # unshare -Ur
        ("uid_map", "      1002       1000          1\n"),  # unshare --map-user=1002
        ("gid_map", "         0       1000          1\n"),
        ("uid_map", "0 0 4294967295\n1 1 1\n"),
        ("uid_map", ""),  # a namespace whose map was never written
    ],
)
def test_a_user_namespace_is_refused(fake_proc: Path, name: str, text: str) -> None:
    write(fake_proc / name, text)
    with pytest.raises(UnsafeEnvironment) as caught:
        check_user_namespace()
    message = str(caught.value)
    assert "user namespace" in message and str(fake_proc / name) in message
    assert IDENTITY_MAP in message and message.count(". ") == 0


def test_a_faked_map_is_caught_by_the_namespace_inode(
    fake_proc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Inside `unshare -Urm` a fake map can be bound over uid_map, not over ns/user.
    monkeypatch.setattr(config_module, "PROC_USER_INIT_INO", 0xEFFFFFFD)
    with pytest.raises(UnsafeEnvironment, match=r"user namespace .*ns/user is namespace"):
        check_user_namespace()


@pytest.mark.parametrize("name", ["uid_map", "gid_map", "ns/user"])
def test_without_proc_the_check_cannot_be_made_so_it_refuses(fake_proc: Path, name: str) -> None:
    (fake_proc / name).unlink()
    with pytest.raises(UnsafeEnvironment, match="needs /proc mounted"):
        check_user_namespace()


def test_config_and_agent_both_refuse_in_a_user_namespace(
    fake_proc: Path, no_system_config: Path, tmp_path: Path
) -> None:
    write(fake_proc / "uid_map", "1002 1000 1\n")
    mine = write(tmp_path / "mine.toml", MINE)
    with pytest.raises(UnsafeEnvironment):
        load_config(mine)
    with pytest.raises(UnsafeEnvironment):
        load_config(None, env={})
    write(fake_proc / "uid_map", IDENTITY_MAP)
    cfg = load_config(mine)
    write(fake_proc / "gid_map", "0 1000 1")
    with pytest.raises(UnsafeEnvironment):
        current_agent(cfg)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[store\n", "not valid TOML"),
        ("colour = 1\n", "unknown key 'colour'"),
        ("[settings]\ndefault_country_code = 999\n", "no country calling code"),
        ("[settings]\nephemeral_ttl_days = 0\n", "between 1 and 3650"),
        ("[settings]\nttl = 3\n", "unknown key 'ttl'"),
        ('[roles]\nx = ["contacts:delete"]\n', "unknown permission 'contacts:delete'"),
        ('[users]\nalice = ["wizard"]\n', "unknown role 'wizard'"),
        ("[store]\npath = 5\n", "path must be a file path"),
    ],
)
def test_a_bad_config_names_the_file_and_the_problem(
    tmp_path: Path, no_system_config: Path, text: str, message: str
) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_a_missing_config_file_is_named(tmp_path: Path, no_system_config: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
