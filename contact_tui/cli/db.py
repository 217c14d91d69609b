"""``contact-tui db init|grant|revoke`` and ``store copy``: the database admin's commands.

They run as the database's admin (the role that owns the store's schema), not as an agent:
the database decides whether this user may, and says so (exit 3) when not. The PostgreSQL
store comes from ``--url`` or, without it, from the config's ``[store] url``.
"""

from __future__ import annotations

import time

from contact_tui.bootstrap import copy_store, db_grant, db_init, db_reap, db_revoke
from contact_tui.cli.context import Context
from contact_tui.cli.exits import EXIT_CONFIG, EXIT_OK, CliError
from contact_tui.domain.present import counted

# How each table's count is named in the summary, one and many.
_NOUNS = {
    "contacts": ("contact", "contacts"),
    "interactions": ("interaction", "interactions"),
    "audit": ("audit record", "audit records"),
    "settings": ("setting", "settings"),
    "notes": ("contact note", "contact notes"),
    "merges": ("standing merge", "standing merges"),
}


def _url(ctx: Context) -> str:
    """The store to work on: --url, else the config's [store] url (exit 8 when neither)."""
    if ctx.args.url is not None:
        return str(ctx.args.url)
    config = ctx.config()
    if config.store_url is None:
        raise CliError(
            EXIT_CONFIG,
            f"The config ({config.describe_source()}) names no PostgreSQL store; add [store] "
            'url = "postgresql:///DBNAME?host=/var/run/postgresql" to it, or give '
            "--url postgresql:///DBNAME.",
        )
    return config.store_url


def _done(ctx: Context, lines: list[str]) -> int:
    ctx.out.result({"done": lines}, lines)
    return EXIT_OK


def cmd_db_init(ctx: Context) -> int:
    """Create or upgrade the schema and the group roles (idempotent)."""
    return _done(ctx, db_init(_url(ctx)))


def cmd_db_grant(ctx: Context) -> int:
    """Give a database user built-in roles, creating the login role when missing."""
    return _done(ctx, db_grant(_url(ctx), ctx.args.user, ctx.args.roles))


def cmd_db_revoke(ctx: Context) -> int:
    """Take built-in roles from a database user."""
    return _done(ctx, db_revoke(_url(ctx), ctx.args.user, ctx.args.roles))


def cmd_db_reap(ctx: Context) -> int:
    """End contact-tui users' sessions idle in a transaction for longer than --idle; with
    --every, keep looking until stopped (Ctrl+C, or the service manager)."""
    url = _url(ctx)
    every = ctx.args.every
    while True:
        lines = db_reap(url, ctx.args.idle)
        if every is None:
            return _done(ctx, lines or ["No session was idle in a transaction that long."])
        for line in lines:
            ctx.out.result({"done": [line]}, [line])
        time.sleep(every)


def _counted(table: str, count: int) -> str:
    return counted(count, *_NOUNS[table])


def cmd_store_copy(ctx: Context) -> int:
    """Copy a whole store into an empty one and check counts and checksum."""
    report = copy_store(ctx.args.source, ctx.args.destination)
    parts = [_counted(table, count) for table, count in report.counts.items()]
    copied = ", ".join(parts[:-1]) + f" and {parts[-1]}"
    ctx.out.result(
        {
            "source": report.source,
            "destination": report.destination,
            "counts": report.counts,
            "checksum": report.checksum,
        },
        [
            f"Copied {copied} from {report.source} to {report.destination}.",
            f"Read back, the copy has the source's counts and checksum ({report.checksum[:16]}).",
        ],
    )
    return EXIT_OK
