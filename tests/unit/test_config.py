"""Admin config: roles from users and groups, the system config's precedence, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contact_tui import config as config_module
from contact_tui.config import ConfigError, current_agent, load_config
from contact_tui.domain.model import Permission


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_system_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "etc-config.toml"
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG", target)
    return target


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
    write(no_system_config, '[store]\npath = "/srv/contacts/store.json"\n')
    os.chmod(no_system_config, 0o644)
    cfg = load_config(mine, env={"CONTACT_TUI_CONFIG": str(mine)})
    assert cfg.system and cfg.store_path == Path("/srv/contacts/store.json")


def test_an_agent_not_named_in_the_system_config_has_no_permission(
    no_system_config: Path,
) -> None:
    write(no_system_config, '[users]\nsomeone_else = ["supervisor"]\n')
    os.chmod(no_system_config, 0o644)
    agent = current_agent(load_config("/any/other.toml"))
    assert agent.permissions == frozenset()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give the file away")
def test_a_system_config_others_can_write_is_refused(no_system_config: Path) -> None:
    write(no_system_config, "")
    os.chmod(no_system_config, 0o666)
    with pytest.raises(ConfigError, match="writable by root only"):
        load_config()
    os.chmod(no_system_config, 0o644)
    os.chown(no_system_config, 65534, -1)
    with pytest.raises(ConfigError, match="owned by root"):
        load_config()


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
