"""Admin configuration (TOML) and who the current agent is.

Where a root-owned system config exists (``/etc/contact-tui/config.toml``) it alone decides
roles and the store location: no flag or environment variable can point elsewhere, so an agent
cannot grant themselves a permission. Only where there is none do ``--config`` and
``CONTACT_TUI_CONFIG`` choose a file (single-user installs, tests); with neither, a built-in
default gives the local user every permission so the demo works.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contact_tui.domain.model import Permission

SYSTEM_CONFIG = Path("/etc/contact-tui/config.toml")
CONFIG_ENV = "CONTACT_TUI_CONFIG"
DEFAULT_STORE = Path("data/store.json")

AGENT_PERMISSIONS = frozenset(
    {Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE}
)
BUILTIN_ROLES: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({Permission.VIEW}),
    "agent": AGENT_PERMISSIONS,
    "supervisor": AGENT_PERMISSIONS | {Permission.ADMIN},
}

# Settings an admin may change with `contact-tui admin set`; name -> (type, default, help).
SETTINGS: dict[str, tuple[type, Any, str]] = {
    "default-country-code": (
        int,
        1,
        "country calling code applied to numbers typed without a leading +",
    ),
    "ephemeral-ttl-days": (
        int,
        60,
        "days after its last interaction that an ephemeral contact is removed",
    ),
}


class ConfigError(Exception):
    """The admin config is missing, unreadable or wrong; the message names the file and key."""


@dataclass(frozen=True)
class Config:
    """The admin config in force."""

    source: Path | None
    store_path: Path
    defaults: dict[str, Any]
    roles: dict[str, frozenset[Permission]]
    user_roles: dict[str, tuple[str, ...]]
    group_roles: dict[str, tuple[str, ...]]
    system: bool = False
    default_user_roles: tuple[str, ...] = field(default=())

    def roles_for(self, user: str, groups: frozenset[str]) -> tuple[str, ...]:
        """Every role a user has, directly or through a Unix group, in a stable order."""
        found = list(self.user_roles.get(user, self.default_user_roles))
        for group in sorted(groups):
            found.extend(self.group_roles.get(group, ()))
        return tuple(dict.fromkeys(found))

    def describe_source(self) -> str:
        """Where this config came from, for `admin show` and doctor."""
        if self.source is None:
            return "built-in default (no config file)"
        return f"{self.source}{' (system config)' if self.system else ''}"


@dataclass(frozen=True)
class Agent:
    """The person running this process: the operating-system user, and what they may do."""

    user: str
    groups: frozenset[str]
    roles: tuple[str, ...]
    permissions: frozenset[Permission]

    def can(self, permission: Permission) -> bool:
        """True when the agent holds ``permission``."""
        return permission in self.permissions

    @property
    def role_label(self) -> str:
        """Roles for the header: 'agent, supervisor' or 'no role'."""
        return ", ".join(self.roles) or "no role"


def load_config(cli_path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """The config in force: the system config if there is one, else --config, else the env."""
    env = os.environ if env is None else env
    if SYSTEM_CONFIG.exists():
        _check_system_file(SYSTEM_CONFIG)
        return _parse(SYSTEM_CONFIG, system=True)
    chosen = cli_path or env.get(CONFIG_ENV)
    if chosen:
        return _parse(Path(chosen).expanduser(), system=False)
    return Config(
        source=None,
        store_path=(Path.cwd() / DEFAULT_STORE),
        defaults={name: spec[1] for name, spec in SETTINGS.items()},
        roles=dict(BUILTIN_ROLES),
        user_roles={},
        group_roles={},
        default_user_roles=("supervisor",),
    )


def _check_system_file(path: Path) -> None:
    """A system config decides who may do what, so only root may be able to change it."""
    st = path.stat()
    if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"{path} must be owned by root and writable by root only "
            f"(it is owned by uid {st.st_uid}, mode {stat.filemode(st.st_mode)}); "
            "ask your admin to fix it: chown root: and chmod 644."
        )


def _parse(path: Path, *, system: bool) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"The config file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"Cannot read the config file {path}: {err}.") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"The config file {path} is not valid TOML: {err}.") from None
    where = str(path)
    _only_keys(data, {"store", "settings", "roles", "users", "groups"}, where)

    store = _table(data, "store", where)
    _only_keys(store, {"path"}, f"{where} [store]")
    raw_path = store.get("path", str(DEFAULT_STORE))
    if not isinstance(raw_path, str) or not raw_path.strip():
        raise ConfigError(f"{where} [store] path must be a file path in quotes.")
    store_path = Path(raw_path).expanduser()
    if not store_path.is_absolute():
        store_path = path.parent / store_path

    settings = _table(data, "settings", where)
    defaults = {name: spec[1] for name, spec in SETTINGS.items()}
    for key, value in settings.items():
        name = key.replace("_", "-")
        if name not in SETTINGS:
            raise ConfigError(
                f"{where} [settings] has an unknown key {key!r}; known: "
                + ", ".join(n.replace("-", "_") for n in SETTINGS)
                + "."
            )
        defaults[name] = check_setting(name, value, f"{where} [settings] {key}")

    roles = dict(BUILTIN_ROLES)
    for role, perms in _table(data, "roles", where).items():
        if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
            raise ConfigError(f"{where} [roles] {role} must be a list of permission names.")
        known = {p.value: p for p in Permission}
        unknown = [p for p in perms if p not in known]
        if unknown:
            raise ConfigError(
                f"{where} [roles] {role} names unknown permission {unknown[0]!r}; known: "
                + ", ".join(known)
                + "."
            )
        roles[role] = frozenset(known[p] for p in perms)

    def role_map(section: str) -> dict[str, tuple[str, ...]]:
        result: dict[str, tuple[str, ...]] = {}
        for who, names in _table(data, section, where).items():
            if isinstance(names, str):
                names = [names]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ConfigError(
                    f"{where} [{section}] {who} must be a role name or a list of them."
                )
            for name in names:
                if name not in roles:
                    raise ConfigError(
                        f"{where} [{section}] {who} has unknown role {name!r}; known: "
                        + ", ".join(sorted(roles))
                        + "."
                    )
            result[who] = tuple(names)
        return result

    return Config(
        source=path,
        store_path=store_path,
        defaults=defaults,
        roles=roles,
        user_roles=role_map("users"),
        group_roles=role_map("groups"),
        system=system,
    )


def _table(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table.")
    return value


def _only_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise ConfigError(
                f"{where} has an unknown key {key!r}; known: {', '.join(sorted(allowed))}."
            )


def check_setting(name: str, value: Any, where: str) -> Any:
    """A setting's value checked against its rule; ConfigError says what is wrong."""
    from contact_tui.domain.rules import RuleError, region_for_country_code

    kind, _, _ = SETTINGS[name]
    if kind is int:
        if isinstance(value, str) and value.strip().lstrip("+").isdigit():
            value = int(value.strip().lstrip("+"))
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, not {value!r}.")
    if name == "default-country-code":
        try:
            region_for_country_code(value)
        except RuleError as err:
            raise ConfigError(f"{where}: {err}") from None
    if name == "ephemeral-ttl-days" and not 1 <= value <= 3650:
        raise ConfigError(f"{where} must be between 1 and 3650 days, not {value}.")
    return value


def current_agent(config: Config) -> Agent:
    """The agent is the operating-system user of this process, never a flag or $USER."""
    uid = os.getuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    groups = set()
    for gid in {*os.getgroups(), os.getgid()}:
        try:
            groups.add(grp.getgrgid(gid).gr_name)
        except KeyError:
            groups.add(str(gid))
    frozen = frozenset(groups)
    roles = config.roles_for(user, frozen)
    permissions = frozenset(p for r in roles for p in config.roles.get(r, ()))
    return Agent(user=user, groups=frozen, roles=roles, permissions=permissions)
