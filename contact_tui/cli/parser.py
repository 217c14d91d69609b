"""The ``contact-tui`` argument parser: every command, its options, and ``--values FILE``.

Building the tree lives here, apart from what the commands do, so ``--help`` and the usage
errors (exit 2) come out before any config or store is opened.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, cast

from contact_tui.cli.exits import EXIT_CODES
from contact_tui.cli.flags import add_contact_field_flags
from contact_tui.cli.output import PROG
from contact_tui.config import SETTINGS
from contact_tui.domain.model import Channel, Platform
from contact_tui.domain.permissions import BUILTIN_ROLES, NEEDS, UseCase, in_check_order
from contact_tui.domain.text import printable, printable_lines
from contact_tui.exchange import formats
from contact_tui.exchange.importer import SingleName
from contact_tui.exchange.interactions import IMPORT_KEYS, not_surrogate

# Contacts a search or list prints unless --limit says otherwise.
DEFAULT_LIMIT = 50


def _seconds(text: str) -> float:
    """A number of seconds, at least 0.1 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.1 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text} is not between 0.1 and 86400 seconds")
    return value


def _needs(use_case: UseCase) -> str:
    """The permissions ``use_case`` needs, as its help text names them (from the table)."""
    return " and ".join(p.value for p in in_check_order(NEEDS[use_case]))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def _version() -> str:
    # Imported here: reading the package's metadata is a cost only --version should pay.
    from importlib import metadata

    try:
        return metadata.version("contact-tui")
    except metadata.PackageNotFoundError:
        return "(version unknown: not installed as a package)"


class _VersionAction(argparse.Action):
    """``--version``: argparse's version action, with the version looked up when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show program's version number and exit")
        super().__init__(
            option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        sys.stdout.write(f"{parser.prog} {_version()}\n")  # on stdout, as argparse's own
        parser.exit()


def _epilog() -> str:
    codes = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return (
        "Run with no command to start the app. The acting user is the operating-system user;\n"
        "their roles come from the admin config. A flag given twice takes its last value,\n"
        "except --to, --cc and --transcript, which collect every value. Options that take\n"
        "customer data can come from --values FILE (- = standard input) instead, out of\n"
        "sight of other users' ps: contact add/edit/promote and interaction new.\n\n"
        f"exit codes:\n{codes}"
    )


# A values file holds one command's options; a 1 MB transcript fits even as escaped JSON.
MAX_VALUES_BYTES = 2_000_000
VALUES_HELP = (
    "read options from FILE (- = standard input) instead of the command line: a JSON object "
    'keyed by option name without the dashes, e.g. {"first": "Sam", "cell-phone": "+1 317 555 '
    '0123", "work-sms": true, "transcript": ["line 1"]}; other users can see a command line '
    "(ps), not a file or standard input"
)
# Options a values file may not set: they are not data, and a file cannot name another file.
_NOT_IN_VALUES = frozenset({"help", "json", "values"})


def _json_kind(value: object) -> str:
    """What a JSON value is, in the words a message uses."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else "an object"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads would keep the last of two equal keys; which one the author meant is unknown.
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice")
        seen.add(key)
    return dict(pairs)


class SafeParser(argparse.ArgumentParser):
    """An argument parser whose error messages cannot drive the terminal.

    argparse quotes what it could not parse (an unknown option, a bad value, a file name) back
    to the user; a script that passes customer text or a planted file name could otherwise
    put an escape sequence (a window title, an OSC 52 clipboard write) on the reader's
    terminal. Subcommand parsers inherit the class.
    """

    def error(self, message: str) -> NoReturn:
        """Print the usage and ``message`` with unsafe characters escaped; exit 2."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {printable_lines(message)}\n")


class ValuesParser(SafeParser):
    """A command's parser whose options can also come from a JSON object: ``--values FILE``.

    Customer data on a command line is visible to every user of the host (``ps``,
    /proc/PID/cmdline); in a file or on standard input it is not. Every option of a command
    that accepts values is a key, under its long name without the dashes, so an option added
    to the command later takes part with no second declaration. An option given both on the
    command line and in the file is refused: neither silently wins. Problems with the file are
    usage errors, reported as argparse reports a bad flag (exit 2), before anything is opened.
    """

    takes_values = False

    def accept_values(self) -> None:
        """Add ``--values FILE`` to this command; call after all its other options."""
        for action in self._value_options().values():
            if not isinstance(
                action,
                argparse._AppendAction | argparse._StoreAction | argparse.BooleanOptionalAction,
            ):  # a new kind of option needs a rule for its JSON type below
                raise TypeError(f"{action.option_strings[0]} cannot be given in --values")
        self.add_argument("--values", metavar="FILE", help=VALUES_HELP)
        self.takes_values = True

    def _value_options(self) -> dict[str, argparse.Action]:
        """Each option a values file may set, by its key: the long name without dashes."""
        options: dict[str, argparse.Action] = {}
        for action in self._actions:
            longs = [o for o in action.option_strings if o.startswith("--")]
            if longs and action.dest not in _NOT_IN_VALUES:
                options[longs[0].removeprefix("--")] = action
        return options

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse the command line, then merge the values file and check required options.

        Required options are checked after the merge, since the file may carry them.
        """
        if not self.takes_values:
            return super().parse_known_args(args, namespace)
        required = [a for a in self._actions if a.required and a.option_strings]
        for action in required:
            action.required = False
        try:
            parsed, extras = super().parse_known_args(args, namespace)
        finally:
            for action in required:
                action.required = True
        if parsed.values is not None:
            self._merge_values(parsed)
        missing = [a.option_strings[0] for a in required if getattr(parsed, a.dest) is None]
        if missing:
            self.error(
                f"the following arguments are required: {', '.join(missing)} (on the command "
                "line or in --values)"
            )
        return parsed, extras

    def _merge_values(self, parsed: argparse.Namespace) -> None:
        where = f"--values {printable(parsed.values)}"
        given = self._read_values(parsed.values, where)
        options = self._value_options()
        unknown = [key for key in given if key not in options]
        if unknown:
            self.error(
                f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(k) for k in unknown)}; the keys are this command's options "
                f"without the dashes: {', '.join(options)}"
            )
        twice = [key for key in given if getattr(parsed, options[key].dest) != options[key].default]
        if twice:
            self.error(
                f"{', '.join('--' + k for k in twice)} given both on the command line and in "
                f"{where}; give each in one place"
            )
        problems: list[str] = []
        for key, value in given.items():
            try:
                setattr(parsed, options[key].dest, self._convert(key, options[key], value))
            except ValueError as err:
                problems.append(str(err))
        if problems:
            self.error(f"{where}: {'; '.join(problems)}")

    def _read_values(self, path: str, where: str) -> dict[str, Any]:
        try:
            raw = formats.read_bytes(path, MAX_VALUES_BYTES)
        except formats.ExchangeError as err:
            self.error(f"{where}: {str(err).rstrip('.')}")
        try:
            doc = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_unique_keys)
        except UnicodeDecodeError as err:
            self.error(f"{where}: not UTF-8 text (byte {err.start} cannot be decoded)")
        except RecursionError:
            self.error(f"{where}: its JSON is nested too deeply")
        except json.JSONDecodeError as err:
            self.error(f"{where}: not valid JSON ({err.msg} at line {err.lineno})")
        except ValueError as err:  # _unique_keys
            self.error(f"{where}: {err}")
        if not isinstance(doc, dict):
            self.error(f"{where}: give a JSON object ({{...}}), not {_json_kind(doc)}")
        return doc

    @staticmethod
    def _convert(key: str, action: argparse.Action, value: object) -> Any:
        """``value`` as the option would hold it had it come from the command line."""
        if isinstance(action, argparse.BooleanOptionalAction):
            if not isinstance(value, bool):
                raise ValueError(f"{key!r} must be true or false, not {_json_kind(value)}")
            return value
        if isinstance(action, argparse._AppendAction):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f'{key!r} must be a list of texts, e.g. ["one", "two"]')
            return [not_surrogate(key, v) for v in value]
        # A whole number may be written as a JSON number ("expect-version": 3).
        if isinstance(value, int) and not isinstance(value, bool) and action.type is not None:
            value = str(value)
        if not isinstance(value, str):
            raise ValueError(f"{key!r} must be text, not {_json_kind(value)}")
        converted: Any = not_surrogate(key, value)
        if callable(action.type):
            try:
                converted = action.type(converted)
            except (ValueError, argparse.ArgumentTypeError) as err:
                raise ValueError(f"{key!r}: {err}") from None
        if action.choices is not None and converted not in action.choices:
            known = ", ".join(str(c) for c in action.choices)
            raise ValueError(f"{key!r} is {value!r}; known: {known}")
        return converted


def _command(
    sub: Any, name: str, command: str, help_text: str, parents: Sequence[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=help_text, parents=list(parents)
    )
    parser.set_defaults(command=command)
    return parser


def _allow_duplicate(parser: argparse.ArgumentParser) -> None:
    """``--allow-duplicate``: save though another contact has one of the numbers or emails."""
    parser.add_argument(
        "--allow-duplicate",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="save even when another contact already has one of these numbers or emails "
        "(without it that is refused, exit 4, naming the contact)",
    )


def _add_contact_parsers(sub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    contact = sub.add_parser(
        "contact", help="add, show, edit, promote, search, link, merge contacts; their notes"
    )
    csub = contact.add_subparsers(
        dest="contact_command", required=True, metavar="COMMAND", parser_class=ValuesParser
    )
    add = _command(csub, "add", "contact add", "create a curated contact", common)
    add_contact_field_flags(add)
    add.add_argument("--interaction", metavar="ID", help="link the new contact to this interaction")
    _allow_duplicate(add)
    cast(ValuesParser, add).accept_values()  # csub's parser_class
    show = _command(csub, "show", "contact show", "show a contact and its notes", common)
    show.add_argument("id", metavar="ID")
    show.add_argument("--history", action="store_true", help="add the contact's audit trail")
    for name, verb in (("edit", "change a contact's fields"), ("promote", "add to Contacts")):
        parser = _command(csub, name, f"contact {name}", verb, common)
        parser.add_argument("id", metavar="ID")
        parser.add_argument(
            "--expect-version",
            type=_positive_int,
            metavar="N",
            help="refuse (exit 4) unless the contact is still at version N; without it, the "
            "version just read is used, so a change made meanwhile is still refused",
        )
        add_contact_field_flags(parser)
        _allow_duplicate(parser)
        cast(ValuesParser, parser).accept_values()
    search = _command(csub, "search", "contact search", "find contacts", common)
    search.add_argument(
        "query",
        metavar="QUERY",
        help='name, phone or email; "quoted" = literal; - reads it from standard input',
    )
    listing = _command(csub, "list", "contact list", "list contacts in directory order", common)
    for parser in (search, listing):
        parser.add_argument("--limit", type=_positive_int, default=DEFAULT_LIMIT, metavar="N")
    link = _command(csub, "link", "contact link", "link an interaction to a contact", common)
    link.add_argument("interaction_id", metavar="INTERACTION_ID")
    link.add_argument("contact_id", metavar="CONTACT_ID")
    unlink = _command(csub, "unlink", "contact unlink", "unlink an interaction", common)
    unlink.add_argument("interaction_id", metavar="INTERACTION_ID")
    history = _command(
        csub,
        "history",
        "contact history",
        "the contact's interactions, newest first (others' need "
        f"{_needs(UseCase.OTHERS_INTERACTION)})",
        common,
    )
    history.add_argument("id", metavar="ID")
    merge = _command(
        csub,
        "merge",
        "contact merge",
        "merge contact OTHER into KEEP in one transaction (undo with 'contact unmerge')",
        common,
    )
    merge.add_argument("keep", metavar="KEEP", help="the contact kept (the curated customer)")
    merge.add_argument(
        "other",
        metavar="OTHER",
        help="the contact merged into KEEP and removed; its id finds KEEP from then on",
    )
    merge.add_argument(
        "--prefer",
        action="append",
        metavar="FIELD=SIDE",
        help="take FIELD from 'keep' or 'other' (repeatable): firstName=other, address=other; "
        "for a phone or email slot, workPhone=other gives that slot to OTHER's number (or frees "
        "it for one with no room) and cellPhone=keep leaves OTHER's cell phone behind",
    )
    merge.add_argument(
        "--dry-run",
        action="store_true",
        help="print what the merge would do (every field of both, what moves where), change "
        "nothing; exit 2 if it would be refused",
    )
    unmerge = _command(csub, "unmerge", "contact unmerge", "undo a merge", common)
    unmerge.add_argument(
        "merge_id",
        metavar="MERGE_ID",
        help="the merge record's id, from 'contact merge' or 'contact show KEEP --history'",
    )
    delete = _command(
        csub,
        "delete",
        "contact delete",
        "erase a contact for an erasure request: it, its notes and its data in the audit are "
        f"gone for good; no confirmation is asked ({_needs(UseCase.ERASE_CONTACT)})",
        common,
    )
    delete.add_argument("id", metavar="ID", help="the contact to erase")
    _add_note_parsers(csub, common)


def _add_note_parsers(csub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    note = csub.add_parser("note", help="list, add, edit and delete a contact's notes")
    nsub = note.add_subparsers(
        dest="note_command", required=True, metavar="COMMAND", parser_class=ValuesParser
    )
    listing = _command(nsub, "list", "contact note list", "a contact's notes, newest first", common)
    listing.add_argument("id", metavar="ID", help="the contact")
    add = _command(
        nsub, "add", "contact note add", f"add a note ({_needs(UseCase.ADD_NOTE)})", common
    )
    add.add_argument("id", metavar="ID", help="the contact")
    edit = _command(
        nsub,
        "edit",
        "contact note edit",
        f"replace a note's text (your own; another's needs {_needs(UseCase.OTHERS_NOTE)})",
        common,
    )
    edit.add_argument("note_id", metavar="NOTE_ID")
    edit.add_argument(
        "--expect-version",
        type=_positive_int,
        metavar="N",
        help="refuse (exit 4) unless the note is still at version N",
    )
    for parser in (add, edit):
        parser.add_argument("text", metavar="TEXT", nargs="?", help="the note (lines allowed)")
        parser.add_argument(
            "--file", metavar="PATH", help="read the note from a UTF-8 file; - = standard input"
        )
    delete = _command(
        nsub,
        "delete",
        "contact note delete",
        f"delete a note (your own; another's needs {_needs(UseCase.OTHERS_NOTE)})",
        common,
    )
    delete.add_argument("note_id", metavar="NOTE_ID")


def _add_interaction_parsers(sub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    interaction = sub.add_parser("interaction", help="hand over, list, show and end interactions")
    isub = interaction.add_subparsers(
        dest="interaction_command", required=True, metavar="COMMAND", parser_class=ValuesParser
    )
    new = _command(isub, "new", "interaction new", "hand an interaction to an agent", common)
    new.add_argument(
        "--agent",
        metavar="USER",
        help="who it is routed to (default: you; another agent needs "
        f"{_needs(UseCase.ROUTE_INTERACTION)})",
    )
    new.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    new.add_argument("--platform", choices=[p.value for p in Platform], help="for messages")
    new.add_argument(
        "--from", dest="sender", required=True, metavar="VALUE", help="number, address or id"
    )
    new.add_argument("--name", metavar="TEXT", help="the sender's display name")
    new.add_argument("--to", action="append", metavar="VALUE", help="repeatable")
    new.add_argument("--cc", action="append", metavar="VALUE", help="repeatable")
    new.add_argument("--subject", metavar="TEXT")
    new.add_argument("--transcript", action="append", metavar="LINE", help="repeatable")
    new.add_argument(
        "--transcript-file", metavar="PATH", help="UTF-8 text up to 1 MB, one line each; - = stdin"
    )
    cast(ValuesParser, new).accept_values()  # isub's parser_class
    imp = _command(isub, "import", "interaction import", "import a JSON-lines file", common)
    imp.add_argument(
        "file",
        metavar="FILE",
        help=f"one object per line with keys {', '.join(IMPORT_KEYS)}; - = stdin",
    )
    listing = _command(isub, "list", "interaction list", "list an agent's interactions", common)
    listing.add_argument(
        "--agent",
        metavar="USER",
        help=f"whose (default: yours; another's needs {_needs(UseCase.OTHERS_INTERACTION)})",
    )
    listing.add_argument("--all-states", action="store_true", help="include ended interactions")
    for name, verb in (("show", "show an interaction"), ("end", "end one of your interactions")):
        parser = _command(isub, name, f"interaction {name}", verb, common)
        parser.add_argument("id", metavar="ID")
    note = _command(
        isub,
        "note",
        "interaction note",
        "write the wrap-up note of one of your interactions (empty text clears it)",
        common,
    )
    note.add_argument("id", metavar="ID")
    given = note.add_mutually_exclusive_group(required=True)
    given.add_argument(
        "text", metavar="TEXT", nargs="?", help="up to 10,000 characters; line feeds allowed"
    )
    given.add_argument("--file", metavar="PATH", help="read the note from a UTF-8 file; - = stdin")


def _add_admin_parsers(sub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser("admin", help="show or change admin settings")
    asub = admin.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")
    _command(asub, "show", "admin show", "settings, config, store and your roles", common)
    set_ = _command(asub, "set", "admin set", "change a setting (admin permission)", common)
    set_.add_argument(
        "name",
        choices=list(SETTINGS),
        metavar="NAME",
        help="; ".join(f"{name}: {setting.help}" for name, setting in SETTINGS.items()),
    )
    set_.add_argument("value", metavar="VALUE")


def _add_exchange_parsers(sub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    names = list(formats.FORMATS)
    imp = _command(
        sub,
        "import",
        "import",
        "import contacts from a Genesys JSON, CSV or vCard file (one transaction)",
        common,
    )
    imp.add_argument("file", metavar="FILE", help="the file to read; - = standard input")
    imp.add_argument(
        "--format",
        choices=names,
        help="the file's format (default: from its suffix .json/.csv/.vcf, else its content)",
    )
    imp.add_argument(
        "--dry-run", action="store_true", help="check and match every row, write nothing"
    )
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the good rows even if some are bad (default: a bad row stops everything)",
    )
    imp.add_argument(
        "--default-country",
        metavar="COUNTRY",
        help="the country numbers without + are in when the row and the contact's address do "
        "not say: an ISO code (DE), a name (Germany) or a calling code (+49) (default: the "
        "admin's default country)",
    )
    imp.add_argument(
        "--encoding",
        metavar="CODEC",
        help="the encoding the whole file was saved in, e.g. windows-1252, iso-8859-15 or "
        "utf-16 (default: UTF-8, or UTF-16 by its look; a CSV that is neither is read as "
        "windows-1252, with a warning); not for vCard files, which say it per property",
    )
    imp.add_argument(
        "--single-name",
        choices=[c.value for c in SingleName],
        default=SingleName.REFUSE.value,
        help="a row with one name (Ambulance, a company card): refuse it (default), keep it as "
        "the first or the last name with the other left empty, 'company': as the last "
        "name for records the file marks as a company, others refused, or 'as-given': in the "
        "name field the file has it in (CSV, Genesys, a vCard N that says which; restores our "
        "own exports)",
    )
    exp = _command(sub, "export", "export", "export the contacts you may view", common)
    exp.add_argument("--format", choices=names, required=True)
    exp.add_argument(
        "--vcard-version",
        choices=list(formats.VCARD_VERSIONS),
        default="4.0",
        metavar="V",
        help="vCard version to write: 4.0 (default) or 3.0",
    )
    exp.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write here, replacing the file all at once (default: standard output)",
    )


def _add_database_parsers(sub: Any, common: Sequence[argparse.ArgumentParser]) -> None:
    url = argparse.ArgumentParser(add_help=False)
    url.add_argument(
        "--url",
        metavar="URL",
        help="the PostgreSQL store, postgresql:///DBNAME?host=/var/run/postgresql (default: the "
        "config's [store] url); no password: keep it in ~/.pgpass",
    )
    parents = [*common, url]
    db = sub.add_parser("db", help="set up the PostgreSQL store and its users (database admin)")
    dsub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    _command(dsub, "init", "db init", "create or upgrade the schema and the roles", parents)
    roles = list(BUILTIN_ROLES)
    for name, verb in (("grant", "give a user roles"), ("revoke", "take roles from a user")):
        parser = _command(dsub, name, f"db {name}", verb, parents)
        parser.add_argument("user", metavar="USER", help="the agent's login (database) name")
        parser.add_argument(
            "roles", nargs="+", choices=roles, metavar="ROLE", help=", ".join(roles)
        )
    reap = _command(
        dsub,
        "reap",
        "db reap",
        "end sessions that sit idle inside a transaction, holding rows others need",
        parents,
    )
    reap.add_argument(
        "--idle",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="how long a session may sit idle in a transaction (default 10)",
    )
    reap.add_argument(
        "--every",
        type=_seconds,
        metavar="SECONDS",
        help="look again every SECONDS until stopped (run it as a service); default: once",
    )
    store = sub.add_parser("store", help="copy a whole store (moving up to PostgreSQL, backups)")
    ssub = store.add_subparsers(dest="store_command", required=True, metavar="COMMAND")
    copy = _command(
        ssub,
        "copy",
        "store copy",
        "copy everything into an empty store and check it (run as the database admin)",
        common,
    )
    ends = (("source", "SOURCE", "copy from"), ("destination", "DEST", "copy into (empty)"))
    for name, metavar, what in ends:
        copy.add_argument(
            name,
            metavar=metavar,
            help=f"the store to {what}: an embedded store's path (data/store.json) or a "
            "postgresql:// URL",
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for the whole command tree."""
    parser = SafeParser(
        prog=PROG,
        description="A terminal app for contact-centre agents, and its scriptable commands.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="admin config to use when there is no system config (/etc/contact-tui wins)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--version", action=_VersionAction)
    parser.set_defaults(command="app")
    # --json is also accepted after the subcommand; SUPPRESS keeps the global value otherwise.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    sub = parser.add_subparsers(dest="group", metavar="COMMAND")
    _add_contact_parsers(sub, [common])
    _add_interaction_parsers(sub, [common])
    _add_admin_parsers(sub, [common])
    _command(sub, "expire", "expire", "remove expired ephemeral contacts (admin)", [common])
    _add_exchange_parsers(sub, [common])
    _add_database_parsers(sub, [common])
    doctor = _command(sub, "doctor", "doctor", "check the store and say what is wrong", [common])
    doctor.add_argument(
        "--repair", action="store_true", help="fix what can be fixed without losing anything"
    )
    return parser
