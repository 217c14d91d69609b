"""``contact-tui admin show|set``, ``expire`` and ``doctor``: settings and store upkeep."""

from __future__ import annotations

from contact_tui.cli.context import Context
from contact_tui.cli.exits import EXIT_CONFIG, EXIT_OK, EXIT_UNREADABLE, CliError
from contact_tui.cli.render import fields, table
from contact_tui.config import SETTINGS
from contact_tui.domain.present import counted


def cmd_admin_show(ctx: Context) -> int:
    """Effective settings and where each came from, the config, the store and who you are.

    Anyone may look: it shows nothing the config file does not, and an agent told
    'permission denied' needs to see their own roles.
    """
    service = ctx.service()
    config = service.config
    agent = service.agent
    # A value set with 'admin set' lives in the store and overrides the config's.
    default_source = "config" if config.source is not None else "built-in default"
    settings = {}
    for name in SETTINGS:
        source = default_source if service.stored_setting(name) is None else "store"
        settings[name] = {"value": service.setting(name), "source": source}
    permissions = sorted(p.value for p in agent.permissions)
    data = {
        "settings": settings,
        "config": config.describe_source(),
        "store": service.store_location,
        "agent": {"user": agent.user, "roles": list(agent.roles), "permissions": permissions},
    }
    lines = fields(
        [
            ("Agent", agent.user),
            ("Roles", agent.role_label),
            ("Permissions", permissions[0] if permissions else "none"),
            *(("", p) for p in permissions[1:]),
            ("Config", config.describe_source()),
            ("Store", service.store_location),
        ]
    )
    lines += ["", "Settings"]
    lines += table(
        ("NAME", "VALUE", "FROM"),
        ((name, str(s["value"]), str(s["source"])) for name, s in settings.items()),
    )
    ctx.out.result(data, lines)
    return EXIT_OK


def cmd_admin_set(ctx: Context) -> int:
    """Change a setting for everyone using this store (admin permission)."""
    service = ctx.service()
    value = service.set_setting(ctx.args.name, ctx.args.value)
    ctx.out.result(
        {"name": ctx.args.name, "value": value},
        [f"{ctx.args.name} = {value} (saved in {service.store_location}; applies to everyone)."],
    )
    return EXIT_OK


def cmd_expire(ctx: Context) -> int:
    """Remove ephemeral contacts past their time to live (admin permission)."""
    removed = ctx.service().expire_ephemeral()
    ctx.out.result(
        {"removed": removed, "count": len(removed)},
        [f"Removed {counted(len(removed), 'expired ephemeral contact')}."],
    )
    return EXIT_OK


def cmd_doctor(ctx: Context) -> int:
    """Check the store and say what is wrong; exit 6 when anything is an error.

    It reads the store path from the config and never opens the service, so it works on
    exactly the stores the other commands cannot open.
    """
    # Here, not at the top: no other command needs the embedded store's file checks.
    from contact_tui.store.doctor import Level, diagnose, repair_refusal

    path = ctx.config().store_path
    if ctx.args.repair and (refusal := repair_refusal(path)):
        raise CliError(EXIT_CONFIG, refusal)  # root's writes in a group-writable folder
    findings = diagnose(path, repair=ctx.args.repair)
    ctx.out.result(
        [{"level": f.level, "message": f.message} for f in findings],
        [f"{f.level}: {f.message}" for f in findings],
    )
    return EXIT_UNREADABLE if any(f.level == Level.ERROR for f in findings) else EXIT_OK
