"""Admin configuration (TOML) and who the current agent is.

Where a system config is expected (the folder ``/etc/contact-tui`` exists, or the installation
carries :data:`SYSTEM_CONFIG_MARKER`) its root-owned ``config.toml`` alone decides roles and the
store location: no flag or environment variable can point elsewhere, so an agent cannot grant
themselves a permission, and a config that is missing or not safely root-owned stops the app
rather than letting it fall back. Only where none is expected do ``--config`` and
``CONTACT_TUI_CONFIG`` choose a file (single-user installs, tests); with neither, a built-in
default gives the local user every permission so the demo works.

The agent is the operating-system user, so the app refuses to run where that user is cheap to
forge: inside a user namespace (``unshare -U``, rootless containers), where anyone can map their
own uid to any other. This raises the bar; it is not a boundary (see the README's threat model).
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import stat
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from contact_tui.domain.model import Permission
from contact_tui.domain.permissions import BUILTIN_ROLES as BUILTIN_ROLES
from contact_tui.domain.text import printable

# Module attributes, not literals in the functions, so tests can point them at their own files.
SYSTEM_CONFIG = Path("/etc/contact-tui/config.toml")
# Created by the admin at install (any kind of entry will do) to say "this installation always
# runs under the system config": then a missing /etc/contact-tui stops the app too, so hiding
# that folder (a tmpfs mounted over /etc) cannot bring --config back.
SYSTEM_CONFIG_MARKER = Path(sys.prefix) / "contact-tui-requires-system-config"
# Who must own the system config and its folder (tests running as a normal user put their uid).
SYSTEM_CONFIG_OWNER = 0
MAX_CONFIG_BYTES = 1 << 20
CONFIG_ENV = "CONTACT_TUI_CONFIG"
DEFAULT_STORE = Path("data/store.json")

# The user namespace check reads these; tests point them at files of their own.
PROC_UID_MAP = Path("/proc/self/uid_map")
PROC_GID_MAP = Path("/proc/self/gid_map")
PROC_USER_NS = Path("/proc/self/ns/user")
# The inode of the kernel's initial user namespace (PROC_USER_INIT_INO in linux/proc_ns.h).
PROC_USER_INIT_INO = 0xEFFFFFFD
# What uid_map and gid_map hold in the initial namespace once whitespace is normalised.
IDENTITY_MAP = "0 0 4294967295"


class Setting(NamedTuple):
    """One setting an admin may change with `contact-tui admin set`: the type its value has,
    the value in force when neither the config nor the store sets it, and a line of help."""

    kind: type
    default: Any
    help: str


SETTINGS: dict[str, Setting] = {
    "default-country-code": Setting(
        int, 1, "country calling code applied to numbers typed without a leading +"
    ),
    "ephemeral-ttl-days": Setting(
        int, 60, "days after its last interaction that an ephemeral contact is removed"
    ),
}


def default_settings() -> dict[str, Any]:
    """Every setting at its built-in default: where a config without [settings] starts."""
    return {name: setting.default for name, setting in SETTINGS.items()}


class ConfigError(Exception):
    """The admin config is missing, unreadable or wrong; the message names the file and key."""


class UnsafeEnvironment(ConfigError):
    """The process runs where its operating-system user can be forged, so it will not run."""


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
    # A PostgreSQL store (a libpq URI) instead of the embedded one at store_path.
    store_url: str | None = None

    def roles_for(self, user: str, groups: frozenset[str]) -> tuple[str, ...]:
        """Every role a user has, directly or through a Unix group, in a stable order."""
        found = list(self.user_roles.get(user, self.default_user_roles))
        for group in sorted(groups):
            found.extend(self.group_roles.get(group, ()))
        return tuple(dict.fromkeys(found))

    def may_view(self, user: str) -> bool:
        """True when ``user`` could read their own interaction queue under this config, which
        is who an agent is for the embedded store (it keeps no users of its own): the config
        gives them the view permission by name (``[users]``, the admin's word), or, for an
        account on this host, through one of its Unix groups (``[groups]``) or as every user's
        default (the built-in config). A name that is neither is no one who will ever open
        the app."""
        groups = host_groups(user)
        roles = self.user_roles.get(user, ()) if groups is None else self.roles_for(user, groups)
        return any(Permission.VIEW in self.roles.get(role, ()) for role in roles)

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
    """The config in force: the system config where one is expected, else --config, else the env.

    Every entry point (each command, the app, doctor) comes through here first, so the user
    namespace check runs before anything else.
    """
    check_user_namespace()
    env = os.environ if env is None else env
    if system_config_expected():
        return _parse(SYSTEM_CONFIG, _read_system_config(SYSTEM_CONFIG), system=True)
    chosen = cli_path or env.get(CONFIG_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        return _parse(path, _read_config(path), system=False)
    return Config(
        source=None,
        store_path=(Path.cwd() / DEFAULT_STORE),
        defaults=default_settings(),
        roles=dict(BUILTIN_ROLES),
        user_roles={},
        group_roles={},
        default_user_roles=("supervisor",),
    )


def check_user_namespace() -> None:
    """Refuse (UnsafeEnvironment) unless this process is in the kernel's initial user namespace.

    In any other user namespace the uid the process sees is whatever its creator mapped, so
    ``unshare --user --map-user=<supervisor's uid>`` would make anyone the supervisor. Two
    signals: the uid and gid maps must be the identity map, and ``/proc/self/ns/user`` must be
    the initial namespace (in a mount namespace anyone can bind a fake file over a map; faking
    that link's inode takes a FUSE filesystem). Where /proc cannot be read the check cannot be
    made, and hiding /proc is itself something a namespace can do, so that refuses too.
    """
    for path in (PROC_UID_MAP, PROC_GID_MAP):
        found = " ".join(_read_proc(path).split())
        if found != IDENTITY_MAP:
            raise UnsafeEnvironment(
                f"Refusing to run inside a user namespace ({path} maps {found[:60]!r}, not "
                f"{IDENTITY_MAP!r}), where any user can pose as another; run contact-tui "
                "directly on the host, not under unshare or in a rootless container."
            )
    try:
        inode = os.stat(PROC_USER_NS).st_ino
    except OSError as err:
        raise UnsafeEnvironment(_no_proc(PROC_USER_NS, err)) from None
    if inode != PROC_USER_INIT_INO:
        raise UnsafeEnvironment(
            f"Refusing to run inside a user namespace ({PROC_USER_NS} is namespace {inode}, not "
            "the host's), where any user can pose as another; run contact-tui directly on the "
            "host, not under unshare or in a rootless container."
        )


def _read_proc(path: Path) -> str:
    """The text of a small /proc file; O_NONBLOCK so a FIFO bound over it cannot hang us."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            return os.read(fd, 4096).decode("ascii", errors="replace")
        finally:
            os.close(fd)
    except OSError as err:
        raise UnsafeEnvironment(_no_proc(path, err)) from None


def _no_proc(path: Path, err: OSError) -> str:
    return (
        f"Refusing to run: cannot read {path} ({err.strerror or err}) to check that the "
        "operating-system user is genuine; contact-tui needs /proc mounted."
    )


def system_config_expected() -> bool:
    """Whether this host must run under the system config: its folder exists (as anything, a
    symbolic link included) or the installation carries the marker."""
    for path in (SYSTEM_CONFIG.parent, SYSTEM_CONFIG_MARKER):
        try:
            os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError:
            return True  # cannot tell (no access, a file in the way): the strict answer
        return True
    return False


def _read_system_config(path: Path) -> str:
    """The system config's text, read only if it and its folder are root's alone.

    Both are opened without following symbolic links and checked through their descriptors, so
    nothing can be swapped between the check and the read.
    """
    folder = path.parent
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(
            f"This installation requires the system config {path} ({SYSTEM_CONFIG_MARKER} "
            f"exists) but the folder {folder} does not exist; ask your admin to restore it."
        ) from None
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise ConfigError(
                f"{folder} is a symbolic link or not a folder; ask your admin to make it a "
                "real folder owned by root (install -d -o root -g root -m 755)."
            ) from None
        raise ConfigError(
            f"Cannot open the system config folder {folder} ({err.strerror}); ask your admin "
            "to make it readable: chmod 755."
        ) from None
    try:
        _check_root_only(os.fstat(dir_fd), folder, "chmod 755")
        try:
            fd = os.open(
                path.name,
                os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                dir_fd=dir_fd,
            )
        except FileNotFoundError:
            raise ConfigError(
                f"The folder {folder} exists but holds no {path.name}, so contact-tui cannot "
                f"tell who may do what; ask your admin to write {path} or remove the folder."
            ) from None
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise ConfigError(
                    f"{path} is a symbolic link; ask your admin to make it a regular file "
                    "owned by root (chown root: and chmod 644)."
                ) from None
            raise ConfigError(
                f"Cannot read the system config {path} ({err.strerror}); ask your admin for "
                "read access to it."
            ) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise ConfigError(
                    f"{path} is not a regular file ({stat.filemode(st.st_mode)}); ask your "
                    "admin to make it one, owned by root with mode 644."
                )
            _check_root_only(st, path, "chmod 644")
            raw = _read_bounded(fd, MAX_CONFIG_BYTES + 1)
        finally:
            os.close(fd)
    finally:
        os.close(dir_fd)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES} bytes; it cannot be a config.")
    return _decode(path, raw)


def _read_bounded(fd: int, limit: int) -> bytes:
    """Up to ``limit`` bytes from ``fd``, reading until the end of the file or the limit."""
    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := os.read(fd, limit - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _check_root_only(st: os.stat_result, path: Path, mode_fix: str) -> None:
    """The system config and its folder decide who may do what: only root may change them."""
    if st.st_uid != SYSTEM_CONFIG_OWNER or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"{path} must be owned by root and writable by root only "
            f"(it is owned by uid {st.st_uid}, mode {stat.filemode(st.st_mode)}); "
            f"ask your admin to fix it: chown root: and {mode_fix}."
        )


def _read_config(path: Path) -> str:
    """The text of a config named by --config or the environment."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"The config file {path} does not exist.") from None
    except OSError as err:
        raise ConfigError(f"Cannot read the config file {path}: {err}.") from None
    return _decode(path, raw)


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"Cannot read the config file {path}: {err}.") from None


def _parse(path: Path, text: str, *, system: bool) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"The config file {path} is not valid TOML: {err}.") from None
    where = str(path)
    _only_keys(data, {"store", "settings", "roles", "users", "groups"}, where)

    store = _table(data, "store", where)
    _only_keys(store, {"path", "url"}, f"{where} [store]")
    store_url = _store_url(store, where)
    raw_path = store.get("path", str(DEFAULT_STORE))
    if not isinstance(raw_path, str) or not raw_path.strip():
        raise ConfigError(f"{where} [store] path must be a file path in quotes.")
    store_path = Path(raw_path).expanduser()
    if not store_path.is_absolute():
        store_path = path.parent / store_path

    settings = _table(data, "settings", where)
    defaults = default_settings()
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
        store_url=store_url,
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

    if SETTINGS[name].kind is int:
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


URL_SCHEMES = ("postgresql", "postgres")


def _store_url(store: Mapping[str, Any], where: str) -> str | None:
    """``[store] url``: a PostgreSQL libpq URI, checked for what a config must never hold."""
    raw = store.get("url")
    if raw is None:
        return None
    if "path" in store:
        raise ConfigError(
            f"{where} [store] has both path (the embedded store) and url (PostgreSQL); keep one."
        )
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{where} [store] url must be a PostgreSQL URL in quotes.")
    try:
        parts = urlsplit(raw.strip())
        password = parts.password
    except ValueError as err:
        raise ConfigError(f"{where} [store] url is not a valid URL ({err}).") from None
    if parts.scheme not in URL_SCHEMES:
        raise ConfigError(
            f"{where} [store] url must start with postgresql:// (it starts with "
            f"{printable(parts.scheme or raw[:20])!r})."
        )
    query = parse_qs(parts.query)
    if password is not None or "password" in query:
        raise ConfigError(
            f"{where} [store] url holds a password, which everyone who can read the config "
            "could use; connect with peer authentication over the socket, or keep the "
            "password in each user's ~/.pgpass."
        )
    return raw.strip()


def host_groups(user: str) -> frozenset[str] | None:
    """The Unix groups of the host account ``user`` (a gid with no name as its number, as
    :func:`current_agent` names them); None when the host has no such account."""
    try:
        entry = pwd.getpwnam(user)
    except (KeyError, ValueError):  # ValueError: a name holding NUL
        return None
    groups = set()
    for gid in os.getgrouplist(user, entry.pw_gid):
        try:
            groups.add(grp.getgrgid(gid).gr_name)
        except KeyError:
            groups.add(str(gid))
    return frozenset(groups)


def current_agent(config: Config) -> Agent:
    """The agent is the operating-system user of this process, never a flag or $USER."""
    check_user_namespace()  # an agent is only ever made from a uid the host vouches for
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
