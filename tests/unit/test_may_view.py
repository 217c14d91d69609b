"""Who is an agent for the embedded store, which keeps no users (``Config.may_view``): someone
the admin config gives the view permission, by name, or, for an account on this host, through
a Unix group or as every user's default. An interaction routed to anyone else is refused."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

import pytest

from contact_tui.config import BUILTIN_ROLES, Config, default_settings, host_groups
from contact_tui.domain.model import Permission

# The OS user running the tests: a real account on this host, with a real primary group.
HOST_USER = pwd.getpwuid(os.getuid()).pw_name
HOST_GROUP = grp.getgrgid(pwd.getpwuid(os.getuid()).pw_gid).gr_name
NO_ACCOUNT = "nosuchuser-contact-tui"


def config(
    users: dict[str, tuple[str, ...]] | None = None,
    groups: dict[str, tuple[str, ...]] | None = None,
    default: tuple[str, ...] = (),
) -> Config:
    """A config with the built-in roles plus ``routing`` (route only)."""
    return Config(
        source=None,
        store_path=Path("store.json"),
        defaults=default_settings(),
        roles={**BUILTIN_ROLES, "routing": frozenset({Permission.ROUTE})},
        user_roles=users or {},
        group_roles=groups or {},
        default_user_roles=default,
    )


def test_the_host_has_no_account_for_the_made_up_name() -> None:
    assert host_groups(NO_ACCOUNT) is None
    assert host_groups("bad\x00name") is None
    groups = host_groups(HOST_USER)
    assert groups is not None and HOST_GROUP in groups


@pytest.mark.parametrize(
    ("roles", "agent"),
    [
        (("viewer",), True),
        (("agent",), True),
        (("routing",), False),  # may hand calls over, never reads a queue
        ((), False),
    ],
)
def test_a_user_named_in_the_config_is_an_agent_when_a_role_gives_view(
    roles: tuple[str, ...], agent: bool
) -> None:
    # The admin's word: no host account is needed (a directory service may add it later).
    assert config(users={NO_ACCOUNT: roles}).may_view(NO_ACCOUNT) is agent


def test_a_host_account_is_an_agent_through_its_group() -> None:
    assert config(groups={HOST_GROUP: ("agent",)}).may_view(HOST_USER)
    assert not config(groups={HOST_GROUP: ("routing",)}).may_view(HOST_USER)
    # A made-up name belongs to no group.
    assert not config(groups={HOST_GROUP: ("agent",)}).may_view(NO_ACCOUNT)


def test_the_built_in_default_makes_every_host_account_an_agent_and_no_one_else() -> None:
    everyone = config(default=("supervisor",))  # as load_config's built-in default
    assert everyone.may_view(HOST_USER)
    assert not everyone.may_view(NO_ACCOUNT)


def test_a_name_the_config_does_not_know_is_no_agent() -> None:
    assert not config(users={"dana": ("agent",)}).may_view(NO_ACCOUNT)
