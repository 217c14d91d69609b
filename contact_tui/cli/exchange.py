"""``contact-tui import`` and ``contact-tui export``: contacts in and out of Genesys JSON, CSV
and vCard files. The service reads, checks, imports and writes; this prints what happened."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from contact_tui.bootstrap import scratch_service
from contact_tui.cli.context import Context
from contact_tui.cli.exits import (
    EXIT_CONFLICT,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_PERMISSION,
    CliError,
)
from contact_tui.domain.rules import RuleError
from contact_tui.exchange import formats, importer
from contact_tui.exchange.importer import (
    ImportOptions,
    ImportReport,
    ProblemKind,
    Progress,
    SingleName,
    no_progress,
)
from contact_tui.service import ContactService

# Progress is drawn (on a terminal only) for files with more rows than this.
PROGRESS_ROWS = 300
# Problems and warnings printed before "... and N more" (--json lists them all).
MAX_PRINTED = 200


@contextlib.contextmanager
def _progress(ctx: Context) -> Iterator[Progress]:
    """A progress callback drawing a rich bar per phase on stderr, for imports and exports of
    more than a few hundred contacts run at a terminal; otherwise one that says nothing.

    Whether to draw is decided at the first report, whose total is the number of rows read
    (or contacts written): the service reads the file before it reports any progress.
    """
    stderr = ctx.out.stderr
    if ctx.out.json_mode or not stderr.isatty():
        yield no_progress
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    bar: Bar | None = None
    drawing: bool | None = None  # undecided until the first report
    tasks: dict[str, Any] = {}

    def progress(phase: str, done: int, total: int) -> None:
        nonlocal bar, drawing
        if drawing is None:
            drawing = total > PROGRESS_ROWS
            if drawing:
                bar = Bar(
                    TextColumn("{task.description:<9}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    console=Console(file=stderr),
                    transient=True,
                )
                bar.start()
        if bar is None:
            return
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.stop()


def _report_lines(report: ImportReport) -> list[str]:
    lines = [report.summary()]
    for label, writes in (("created", report.created), ("updated", report.updated)):
        if writes and len(writes) <= 20:
            # After a dry run or a refused file these were only planned, not saved.
            lines.append(f"{label.capitalize()}:" if report.written else f"Would be {label}:")
            lines.extend(
                f"  line {w.line}: {w.contact.display_name} ({w.contact.id})" for w in writes
            )
    return lines


def _import_exit_code(report: ImportReport, skip_invalid: bool) -> int:
    # --skip-invalid succeeds once the good rows are in; with no good row nothing went in.
    if not report.problems or (skip_invalid and not report.dry_run and not report.nothing_good):
        return EXIT_OK
    kinds = {p.kind for p in report.problems}
    if ProblemKind.INVALID in kinds:
        return EXIT_INVALID
    return EXIT_PERMISSION if ProblemKind.PERMISSION in kinds else EXIT_CONFLICT


def default_country(text: str | None) -> str | None:
    """The region ``--default-country`` names ("DE", "Germany", "+49"; read as the app's
    import dialog reads it: :func:`importer.parse_default_country`); CliError if none."""
    if text is None:
        return None
    try:
        return importer.parse_default_country(text)
    except RuleError as err:
        raise CliError(EXIT_INVALID, f"--default-country {err}", "Nothing was imported.") from None


def encoding(text: str | None) -> str | None:
    """The codec ``--encoding`` names (:func:`formats.encoding_name`); CliError if none."""
    if text is None:
        return None
    try:
        return formats.encoding_name(text)
    except ValueError as err:
        raise CliError(EXIT_INVALID, f"--encoding {err}", "Nothing was imported.") from None


@contextlib.contextmanager
def _import_service(ctx: Context) -> Iterator[tuple[ContactService, str]]:
    """The service an import runs in, and a note to print (or "").

    A dry run against an embedded store that does not exist yet must not create it (opening
    a store creates a missing one): it checks the file against an empty store in a scratch
    folder, removed afterwards, and says so.
    """
    config = ctx.config()
    if not ctx.args.dry_run or config.store_url is not None or os.path.lexists(config.store_path):
        yield ctx.service(), ""
        return
    with scratch_service(config) as service:
        yield (
            service,
            (
                f"The store {config.store_path} does not exist yet: the file was checked "
                "against an empty store, and nothing was created."
            ),
        )


def cmd_import(ctx: Context) -> int:
    """Import contacts from a Genesys JSON, CSV or vCard file, in one store transaction."""
    args = ctx.args
    path = args.file
    options = ImportOptions(
        default_country=default_country(args.default_country),
        single_name=SingleName(args.single_name),
        encoding=encoding(args.encoding),
    )
    try:
        with _progress(ctx) as progress, _import_service(ctx) as (service, note):
            name, report = service.import_file(
                path,
                args.format,
                dry_run=args.dry_run,
                skip_invalid=args.skip_invalid,
                progress=progress,
                options=options,
            )
    except formats.ExchangeError as err:
        raise CliError(EXIT_INVALID, str(err), "Nothing was imported.") from None
    if note:
        ctx.out.warn_info(note)
    for problem in report.problems[:MAX_PRINTED]:
        ctx.out.error(f"{path} {problem}")
    if len(report.problems) > MAX_PRINTED:
        ctx.out.error(f"... and {len(report.problems) - MAX_PRINTED} more (--json lists all).")
    for warning in report.warnings[:MAX_PRINTED]:
        ctx.out.warn(f"{path} {warning}")
    if len(report.warnings) > MAX_PRINTED:
        ctx.out.warn(f"... and {len(report.warnings) - MAX_PRINTED} more (--json lists all).")
    ctx.out.result(
        {
            "file": path,
            "format": name,
            "dryRun": report.dry_run,
            "written": report.written,
            "rows": report.rows,
            "created": [{"line": w.line, "id": w.contact.id} for w in report.created],
            "updated": [{"line": w.line, "id": w.contact.id} for w in report.updated],
            "unchanged": report.unchanged,
            "notesAdded": [{"line": n.line, "contactId": n.contact_id} for n in report.notes_added],
            "problems": [
                {"line": p.line, "kind": p.kind, "message": p.message} for p in report.problems
            ],
            "warnings": report.warnings,
            # What the --single-name choice did: the rows it let in, and those it refused.
            "singleName": {
                "choice": report.single_name.value,
                "lines": report.single_name_lines,
                "refused": [p.line for p in report.problems if p.single_name],
            },
        },
        _report_lines(report),
    )
    return _import_exit_code(report, args.skip_invalid)


def cmd_export(ctx: Context) -> int:
    """Write every contact the user may view, to a file (atomically) or standard output."""
    args = ctx.args
    service = ctx.service()
    to_file = bool(args.output) and args.output != "-"
    try:
        with _progress(ctx) as progress:
            if to_file:
                export = service.export_file(
                    args.output, args.format, args.vcard_version, progress=progress
                )
            else:
                export = service.export_text(args.format, args.vcard_version, progress=progress)
    except formats.ExchangeError as err:
        raise CliError(EXIT_INVALID, str(err), "Nothing was exported.") from None
    if to_file:
        what = f"{export.count:,} contact{'s' if export.count != 1 else ''}"
        ctx.out.warn_info(
            f"Exported {what} to {args.output} ({formats.FORMATS[args.format].title})."
        )
        if export.mode is not None and export.mode & 0o004:
            # The replaced file was readable by everyone and kept its mode; say so, since the
            # export holds customer data, rather than change a share someone set up.
            ctx.out.warn(
                f"{args.output} is readable by every user of this host (mode "
                f"{export.mode:04o}); run 'chmod o-rwx {args.output}' unless that is meant."
            )
        return EXIT_OK
    stdout = ctx.out.stdout
    if stdout.isatty():
        # On a terminal the export is for reading: customer text is shown, not obeyed.
        for line in export.text.splitlines():
            ctx.out.text(line)
    else:
        stdout.write(export.text)
        stdout.flush()
    return EXIT_OK
