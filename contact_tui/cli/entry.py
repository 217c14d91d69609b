"""``contact-tui``'s entry point: parse, run the chosen command, and turn every error a user
can cause into one sentence on stderr and its exit code (:mod:`contact_tui.cli.exits`)."""

from __future__ import annotations

import io
import os
import sys
import traceback
from collections.abc import Callable

from contact_tui.bootstrap import StoreRefused, no_access_message
from contact_tui.cli.admin import cmd_admin_set, cmd_admin_show, cmd_doctor, cmd_expire
from contact_tui.cli.app import cmd_app
from contact_tui.cli.contact import (
    cmd_contact_add,
    cmd_contact_delete,
    cmd_contact_edit,
    cmd_contact_history,
    cmd_contact_link,
    cmd_contact_list,
    cmd_contact_merge,
    cmd_contact_promote,
    cmd_contact_search,
    cmd_contact_show,
    cmd_contact_unlink,
    cmd_contact_unmerge,
)
from contact_tui.cli.context import Context
from contact_tui.cli.db import (
    cmd_db_grant,
    cmd_db_init,
    cmd_db_reap,
    cmd_db_revoke,
    cmd_store_copy,
)
from contact_tui.cli.exchange import cmd_export, cmd_import
from contact_tui.cli.exits import (
    DEBUG_ENV,
    EXIT_BROKEN_PIPE,
    EXIT_CONFIG,
    EXIT_CONFLICT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PERMISSION,
    EXIT_UNAVAILABLE,
    EXIT_UNREADABLE,
    CliError,
)
from contact_tui.cli.flags import flag_for
from contact_tui.cli.interaction import (
    cmd_interaction_end,
    cmd_interaction_import,
    cmd_interaction_list,
    cmd_interaction_new,
    cmd_interaction_note,
    cmd_interaction_show,
)
from contact_tui.cli.notes import cmd_note_add, cmd_note_delete, cmd_note_edit, cmd_note_list
from contact_tui.cli.output import Output
from contact_tui.cli.parser import build_parser
from contact_tui.config import ConfigError
from contact_tui.service import (
    ConflictError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
    StoreUnreadable,
)

HANDLERS: dict[str, Callable[[Context], int]] = {
    "app": cmd_app,
    "contact add": cmd_contact_add,
    "contact show": cmd_contact_show,
    "contact edit": cmd_contact_edit,
    "contact promote": cmd_contact_promote,
    "contact search": cmd_contact_search,
    "contact list": cmd_contact_list,
    "contact link": cmd_contact_link,
    "contact unlink": cmd_contact_unlink,
    "contact history": cmd_contact_history,
    "contact note list": cmd_note_list,
    "contact note add": cmd_note_add,
    "contact note edit": cmd_note_edit,
    "contact note delete": cmd_note_delete,
    "contact merge": cmd_contact_merge,
    "contact unmerge": cmd_contact_unmerge,
    "contact delete": cmd_contact_delete,
    "interaction new": cmd_interaction_new,
    "interaction import": cmd_interaction_import,
    "interaction list": cmd_interaction_list,
    "interaction show": cmd_interaction_show,
    "interaction end": cmd_interaction_end,
    "interaction note": cmd_interaction_note,
    "admin show": cmd_admin_show,
    "admin set": cmd_admin_set,
    "expire": cmd_expire,
    "doctor": cmd_doctor,
    "db init": cmd_db_init,
    "db grant": cmd_db_grant,
    "db reap": cmd_db_reap,
    "db revoke": cmd_db_revoke,
    "store copy": cmd_store_copy,
    "import": cmd_import,
    "export": cmd_export,
}


# The arguments that name a contact or an interaction by id, per command: each may be given
# as a unique start of the id (the screen shows ids' first 8 characters), resolved here, once,
# for every command (ContactService.resolve_id).
ID_ARGUMENTS: dict[str, dict[str, str]] = {
    "contact add": {"interaction": "interactions"},
    "contact show": {"id": "contacts"},
    "contact edit": {"id": "contacts"},
    "contact promote": {"id": "contacts"},
    "contact link": {"interaction_id": "interactions", "contact_id": "contacts"},
    "contact unlink": {"interaction_id": "interactions"},
    "contact history": {"id": "contacts"},
    "contact note list": {"id": "contacts"},
    "contact note add": {"id": "contacts"},
    "contact merge": {"keep": "contacts", "other": "contacts"},
    "contact delete": {"id": "contacts"},
    "interaction show": {"id": "interactions"},
    "interaction end": {"id": "interactions"},
    "interaction note": {"id": "interactions"},
}


def _resolve_ids(ctx: Context) -> None:
    """Replace each id argument of the command that is a unique start of an id by that id."""
    for name, table in ID_ARGUMENTS.get(ctx.args.command, {}).items():
        given = getattr(ctx.args, name)
        if given is not None:  # an option left out
            setattr(ctx.args, name, ctx.service().resolve_id(table, given))


def _report_invalid(out: Output, err: InvalidInput) -> None:
    if not err.errors:
        out.error(str(err))
        return
    for field_id, message in err.errors.items():
        out.error(f"{flag_for(field_id)}: {message}")


def _report_conflict(out: Output, err: ConflictError) -> None:
    if err.thing == "note":
        out.error(
            f"{err} Nothing was saved; read it again with 'contact-tui contact note list' and "
            "make your change again."
        )
        return
    out.error(
        f"{err} Nothing was saved; see the contact with 'contact-tui contact show "
        f"{err.contact_id}' and make your change again."
    )


def _run(ctx: Context) -> int:
    """Run the chosen handler and turn every error a user can cause into its exit code."""
    out = ctx.out
    try:
        _resolve_ids(ctx)
        return HANDLERS[ctx.args.command](ctx)
    except CliError as err:
        for line in err.lines:
            out.error(line)
        return err.code
    except InvalidInput as err:
        _report_invalid(out, err)
        return EXIT_INVALID
    except (PermissionDenied, StoreRefused) as err:
        # StoreRefused: the database's own check, below the service's, said no.
        out.error(str(err))
        return EXIT_PERMISSION
    except ConflictError as err:
        _report_conflict(out, err)
        return EXIT_CONFLICT
    except NotFound as err:
        out.error(str(err))
        return EXIT_NOT_FOUND
    except StoreUnreadable as err:
        out.error(str(err))
        return EXIT_UNREADABLE
    except StoreUnavailable as err:
        out.error(str(err))
        return EXIT_UNAVAILABLE
    except ConfigError as err:
        out.error(str(err))
        return EXIT_CONFIG
    except PermissionError as err:
        # The OS refused a file (a user outside the store's group): say which and whom to ask.
        config = ctx.loaded_config()
        store_path = config.store_path if config is not None else None
        out.error(no_access_message(err, store_path))
        return EXIT_UNAVAILABLE


def _exit_code(code: object) -> int:
    """argparse's SystemExit code as an int (None means success)."""
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_INVALID


def main(argv: list[str] | None = None) -> int:
    """Run ``contact-tui`` with ``argv`` (default: the process's); returns the exit code.

    The console script passes the result to ``sys.exit``; tests call this in-process.
    """
    stdout, stderr = sys.stdout, sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # usage errors (2), --help and --version (0)
        return _exit_code(exit_.code)
    ctx = Context(args, Output(args.json, stdout, stderr))
    try:
        return _run(ctx)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as err:
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc(file=stderr)
        ctx.out.error(
            f"internal error: {type(err).__name__}: {err}; rerun with {DEBUG_ENV}=1 for a traceback"
        )
        return EXIT_INTERNAL
    finally:
        ctx.close()


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
