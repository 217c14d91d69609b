"""Import and export from the directory: a file, a format, and what happened, row by row.

Import is two steps, so nothing lands by surprise: the first Ctrl+S checks every row (a dry
run through the service's ``import_file``, as the command line's) and shows what would be
created, updated and left alone, and each problem with its line; the second Ctrl+S imports, in
one store transaction, the bytes that were checked: if the file no longer holds them (anyone
who can write it may have changed it since), nothing is imported and it is checked again. Only
a regular file is read: a pipe, a device or standard input ('-', which the command line reads)
could keep the dialog waiting for ever. Export writes the file all at once and asks before
replacing one.

The import has the command line's choices as fields: Single names (``--single-name``) and
Country (``--default-country``, read by the same parser), and its messages name those fields
rather than the flags (:data:`DIALOG_WORDING`).

The work runs in a thread worker with a progress bar; the dialog stays responsive and Escape
closes it once the worker has finished.
"""

from __future__ import annotations

import os
from datetime import date
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, ProgressBar, Select, Static
from textual.worker import Worker

from contact_tui.domain.present import counted
from contact_tui.domain.rules import RuleError, country_label
from contact_tui.exchange import formats
from contact_tui.exchange.importer import (
    ChoiceWording,
    ImportOptions,
    ImportReport,
    SingleName,
    either,
    parse_default_country,
)
from contact_tui.service import ConflictError, ContactService, PermissionDenied, StoreError
from contact_tui.ui.protocols import ForwardsWorkerErrors, WorkerResult
from contact_tui.ui.render import editable, safe
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.validators import RuleValidator
from contact_tui.ui.widgets.app_input import AppInput
from contact_tui.ui.widgets.keys_footer import KeysFooter
from contact_tui.ui.widgets.tick import Tick

# Problems listed in the dialog; the command line's --dry-run lists every one.
MAX_SHOWN = 200
AUTO = "auto"


class Direction(Enum):
    """Which way the contacts go."""

    IMPORT = "Import contacts"
    EXPORT = "Export contacts"


FORMAT_CHOICES: dict[Direction, list[tuple[str, str]]] = {
    Direction.IMPORT: [
        ("From the file name or content", AUTO),
        ("Genesys Cloud JSON", "genesys"),
        ("CSV", "csv"),
        # Import reads every vCard version in use; export writes the two below.
        ("vCard (2.1, 3.0 or 4.0)", "vcard"),
    ],
    Direction.EXPORT: [
        ("CSV", "csv"),
        ("Genesys Cloud JSON", "genesys"),
        ("vCard 4.0", "vcard:4.0"),
        ("vCard 3.0", "vcard:3.0"),
    ],
}
SUFFIXES = {"csv": ".csv", "genesys": ".json", "vcard:4.0": ".vcf", "vcard:3.0": ".vcf"}
# The Single names field: what a row with one name ("Ambulance", a company card) becomes.
SINGLE_NAME_LABELS: dict[SingleName, str] = {
    SingleName.REFUSE: "Refuse the row",
    SingleName.FIRST: "First name",
    SingleName.LAST: "Last name",
    SingleName.COMPANY: "Companies: last name",
    SingleName.AS_GIVEN: "As the file has it",
}
SKIP_LABEL = "Import the good rows even if some are bad"
# How the import's messages name the dialog's fields (the command line names its flags).
DIALOG_WORDING = ChoiceWording(
    single_name=lambda choice: f"Single names: {SINGLE_NAME_LABELS[choice]}",
    single_name_advice=lambda choices: (
        "set Single names to " + either([f"'{SINGLE_NAME_LABELS[c]}'" for c in choices])
    ),
    default_country="the Country field",
    skip_invalid=f"tick '{SKIP_LABEL}'",
)
# The import worker's names: the app's report of a failure says which step it was.
CHECKING = "Checking the file to import"
IMPORTING = "Importing the contacts"


class ExchangeDialog(ForwardsWorkerErrors, ModalScreen[bool]):
    """Import or export contacts; dismissed with True when an import wrote something.

    A worker that raises what it does not expect is reported by the app, which then calls
    :meth:`worker_failed`: the dialog is never left busy (Escape refused, Ctrl+S ignored)."""

    class Progressed(WorkerResult):
        """How far an import, its check or an export has got."""

        def __init__(self, phase: str, done: int, total: int) -> None:
            super().__init__()
            self.phase = phase
            self.done = done
            self.total = total

    class Imported(WorkerResult):
        """An import (or its check) finished, with its report."""

        def __init__(
            self,
            path: str,
            fmt: str,
            name: str,
            report: ImportReport,
            skip: bool,
            options: ImportOptions,
        ) -> None:
            super().__init__()
            self.path = path
            self.fmt = fmt
            self.name = name
            self.report = report
            self.skip = skip
            self.options = options

    class Exported(WorkerResult):
        """An export finished: what it wrote."""

        def __init__(self, text: Text) -> None:
            super().__init__()
            self.text = text

    class Failed(WorkerResult):
        """An import, its check or an export stopped, for the reason given."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    BINDINGS = [
        Binding("ctrl+s,f2", "run", "Run", id="exchange.run"),
        Binding("escape", "close", "Close", id="exchange.close"),
    ]

    def __init__(self, service: ContactService, direction: Direction) -> None:
        super().__init__()
        self.service = service
        self.direction = direction
        # (path, format, options) the last dry run passed, and the digest of the bytes it
        # read: the next Ctrl+S imports those bytes, or nothing if the file no longer holds
        # them (anyone who can write the file could change it after the check).
        self.checked: tuple[str, str, ImportOptions] | None = None
        self.checked_digest = ""
        self.busy = False
        self.imported = False

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Title, file, format, options, the result area with a progress bar, buttons."""
        importing = self.direction == Direction.IMPORT
        with Vertical(id="exchange-dialog"):
            yield Static(Text(self.direction.value, style="bold"), id="exchange-title")
            with Horizontal(classes="field-row"):
                yield Static("File", classes="field-label")
                yield AppInput(
                    value="" if importing else self._default_path("csv"),
                    placeholder="path to a .json, .csv or .vcf file" if importing else "",
                    id="exchange-path",
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Static("Format", classes="field-label")
                yield Select(
                    FORMAT_CHOICES[self.direction],
                    allow_blank=False,
                    compact=True,
                    id="exchange-format",
                )
            if importing:
                with Horizontal(classes="field-row option-row"):
                    yield Static("Single names", classes="field-label")
                    yield Select(
                        [(label, choice.value) for choice, label in SINGLE_NAME_LABELS.items()],
                        allow_blank=False,
                        compact=True,
                        id="exchange-single-name",
                    )
                with Horizontal(classes="field-row option-row"):
                    yield Static("Country", classes="field-label")
                    yield AppInput(
                        placeholder="of numbers without +; empty: "
                        f"{country_label(self.service.region)}, the default",
                        id="exchange-country",
                        compact=True,
                        validators=[RuleValidator(parse_default_country)],
                        valid_empty=True,
                    )
                with Horizontal(classes="field-row"):
                    yield Static("", classes="field-label")
                    # Unticked, as the command line (which refuses a file with a bad row
                    # unless --skip-invalid); its box is blank when off, not told by colour.
                    yield Tick(SKIP_LABEL, False, id="exchange-skip", compact=True)
            yield ProgressBar(id="exchange-progress", show_eta=False, classes="hidden")
            with VerticalScroll(id="exchange-result"):
                yield Static(self._hint(), id="exchange-report")
            with Horizontal(id="exchange-buttons"):
                yield Button(Text(self._run_label()), id="exchange-run", variant="primary",
                             compact=True, action="screen.run")  # fmt: skip
                yield Button(
                    Text("Close [esc]"), id="exchange-close", compact=True, action="screen.close"
                )
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Focus the file name."""
        self.query_one("#exchange-path", Input).focus()

    def _default_path(self, fmt: str) -> str:
        name = f"contacts-{date.today():%Y%m%d}{SUFFIXES[fmt]}"
        full = str(Path.cwd() / name)
        # An Input draws what it holds raw: a folder name with control characters stays out.
        return full if editable(full) else name

    def _hint(self) -> Text:
        if self.direction == Direction.EXPORT:
            return Text(
                "Every contact you may view is written. If the file exists, you are asked "
                "before it is replaced."
            )
        return Text(
            "Ctrl+S checks every row first and shows what would change; "
            "Ctrl+S again imports it, all at once. Single names: what a row with only one "
            "name (Ambulance) becomes. Country: where numbers without + are, when the row "
            "and its address do not say (DE, Germany or +49)."
        )

    def _run_label(self) -> str:
        if self.direction == Direction.EXPORT:
            return "Export [ctrl+s]"
        return "Import now [ctrl+s]" if self.checked else "Check [ctrl+s]"

    def _set_report(self, text: Text) -> None:
        self.query_one("#exchange-report", Static).update(text)
        self.query_one("#exchange-result", VerticalScroll).scroll_home(animate=False)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        bar = self.query_one("#exchange-progress", ProgressBar)
        bar.set_class(not busy, "hidden")
        if busy:
            bar.update(total=None, progress=0)
        self.query_one("#exchange-run", Button).disabled = busy
        self.query_one("#exchange-run", Button).label = Text(self._run_label())

    # --- reading the fields ----------------------------------------------------------------

    def _path(self) -> str:
        return os.path.expanduser(self.query_one("#exchange-path", Input).value.strip())

    def _format(self) -> str:
        value = self.query_one("#exchange-format", Select).value
        return str(value)

    def _options(self) -> ImportOptions:
        """The import's choices as the fields say; RuleError when Country names none."""
        country = self.query_one("#exchange-country", Input).value.strip()
        single = self.query_one("#exchange-single-name", Select).value
        return ImportOptions(
            default_country=parse_default_country(country) if country else None,
            single_name=SingleName(str(single)),
            wording=DIALOG_WORDING,
        )

    @on(Input.Changed, "#exchange-path")
    @on(Select.Changed, "#exchange-format")
    @on(Checkbox.Changed, "#exchange-skip")
    @on(Select.Changed, "#exchange-single-name")
    @on(Input.Changed, "#exchange-country")
    def _changed(self) -> None:
        """Any change means the next run checks again."""
        if self.checked is not None:
            self.checked = None
            self.query_one("#exchange-run", Button).label = Text(self._run_label())

    @on(Select.Changed, "#exchange-format")
    def _format_changed(self, event: Select.Changed) -> None:
        if self.direction != Direction.EXPORT:
            return
        path_input = self.query_one("#exchange-path", Input)
        current = Path(path_input.value)
        if current.suffix.lower() in (".csv", ".json", ".vcf"):
            path_input.value = str(current.with_suffix(SUFFIXES[str(event.value)]))

    @on(Input.Submitted, "#exchange-path")
    @on(Input.Submitted, "#exchange-country")
    def _path_submitted(self) -> None:
        self.action_run()

    # --- actions -------------------------------------------------------------------------

    def action_close(self) -> None:
        """Close, unless an import or export is still running."""
        if self.busy:
            self.notify("Still working; the dialog closes when it is done.", markup=False)
            return
        self.dismiss(self.imported)

    def action_run(self) -> None:
        """Check, import, or export, depending on the dialog and the step."""
        if self.busy:
            return
        path = self._path()
        if not path:
            self._set_report(Text("Give a file name.", style="bold"))
            self.query_one("#exchange-path", Input).focus()
            return
        if self.direction == Direction.EXPORT:
            self._confirm_export(path)
            return
        fmt = self._format()
        try:
            options = self._options()
        except RuleError as err:
            self._set_report(Text(f"Country: {err}", style="bold"))
            self.query_one("#exchange-country", Input).focus()
            return
        really = self.checked == (path, fmt, options)
        digest = self.checked_digest if really else None
        skip = self.query_one("#exchange-skip", Checkbox).value
        self._set_busy(True)
        self._set_report(Text("Importing…" if really else "Checking every row…"))
        self.run_worker(
            partial(
                self._import,
                path,
                None if fmt == AUTO else fmt,
                options,
                dry_run=not really,
                skip=skip,
                digest=digest,
            ),
            name=IMPORTING if really else CHECKING,
            group="exchange",
            description="the directory's import (or its check first) from a file",
            exclusive=True,
            exit_on_error=False,
            thread=True,
        )

    def _confirm_export(self, path: str) -> None:
        if Path(path).exists():
            question = Text(f"{safe(path, 200)} exists. Replace it with the export?")

            def answered(yes: bool | None) -> None:
                if yes:
                    self._start_export(path)

            self.app.push_screen(ConfirmDialog(question, "Replace [y]", "Keep it [n]"), answered)
        else:
            self._start_export(path)

    def _start_export(self, path: str) -> None:
        self._set_busy(True)
        self._set_report(Text("Exporting…"))
        fmt, _, version = self._format().partition(":")
        self._export(path, fmt, version or "4.0")

    # --- workers ---------------------------------------------------------------------------

    def _progress(self, phase: str, done: int, total: int) -> None:
        """Called in the worker's thread by the import or export as it goes."""
        self.post_message(self.Progressed(phase, done, total))

    @on(Progressed)
    def _show_progress(self, event: Progressed) -> None:
        done, total = event.done, event.total
        self.query_one("#exchange-progress", ProgressBar).update(total=total, progress=done)
        self.query_one("#exchange-report", Static).update(
            Text(f"{event.phase}… {done:,} of {total:,}")
        )

    def _import(
        self,
        path: str,
        fmt: str | None,
        options: ImportOptions,
        *,
        dry_run: bool,
        skip: bool,
        digest: str | None,
    ) -> None:
        """Check or import the file (run in a thread worker, see :meth:`action_run`); an
        import passes the digest of the bytes its check read, and imports only those.

        Only a regular file is read: a pipe or standard input could keep the worker waiting
        for ever, and nothing in the app can stop it (the command line reads them)."""
        try:
            name, report = self.service.import_file(
                path,
                fmt,
                dry_run=dry_run,
                skip_invalid=skip,
                progress=self._progress,
                options=options,
                regular_only=True,
                checked_digest=digest,
            )
        except formats.FileChanged:
            self.post_message(
                self.Failed(
                    f"{path} changed since it was checked, so nothing was imported; press "
                    "Ctrl+S to check it again."
                )
            )
            return
        except (formats.ExchangeError, PermissionDenied, ConflictError, StoreError) as err:
            self.post_message(self.Failed(str(err)))
            return
        self.post_message(self.Imported(path, fmt or AUTO, name, report, skip, options))

    @work(
        thread=True,
        exclusive=True,
        group="exchange",
        exit_on_error=False,
        name="Exporting the contacts",
        description="the directory's export to a file",
    )
    def _export(self, path: str, fmt: str, version: str) -> None:
        try:
            export = self.service.export_file(path, fmt, version, progress=self._progress)
        except (formats.ExchangeError, PermissionDenied, StoreError) as err:
            self.post_message(self.Failed(str(err)))
            return
        plural = "s" if export.count != 1 else ""
        self.post_message(
            self.Exported(Text(f"Exported {export.count:,} contact{plural} to {safe(path, 200)}."))
        )

    # --- results ---------------------------------------------------------------------------

    @on(Failed)
    def _stopped(self, event: Failed) -> None:
        # The report now shows why, not the check: the next Ctrl+S checks the file again.
        self.checked = None
        self._failed(event.message)

    def _failed(self, message: str) -> None:
        self._set_busy(False)
        # Messages quote the file (a header, a path): shown, never obeyed.
        self._set_report(Text(safe(message, 2000), style="bold"))

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """The import, its check or the export raised what it did not expect (the app has
        said so): the dialog is no longer busy, says what stopped, and runs or closes again."""
        if worker.group != "exchange":
            return
        what = worker.name or "The work"
        detail = type(error).__name__ if error is not None else "no detail"
        self.checked = None  # the next Ctrl+S checks the file again
        if worker.name == IMPORTING:
            # It may have failed after its write: the directory searches again on close.
            self.imported = True
        self._failed(f"{what} stopped with an unexpected error ({detail}); Ctrl+S tries again.")

    @on(Exported)
    def _done(self, event: Exported) -> None:
        self._set_busy(False)
        self._set_report(event.text)
        self.notify(event.text.plain, markup=False)

    @on(Imported)
    def _imported(self, event: Imported) -> None:
        path, fmt, name, report, skip = event.path, event.fmt, event.name, event.report, event.skip
        # A file with no contacts has nothing to import: no second step.
        # A file whose every row has a problem has none to import, even with the box ticked.
        others = report.rows - report.skipped
        can_import = report.rows > 0 and (not report.problems or (skip and others > 0))
        self.checked = (path, fmt, event.options) if report.dry_run and can_import else None
        self.checked_digest = report.file_digest if self.checked else ""
        if report.written:
            self.imported = True
        self._set_busy(False)
        text = Text()
        title = formats.FORMATS[name].title if name in formats.FORMATS else name
        if not report.rows:
            # An empty store's export, an empty file: nothing is wrong, and nothing to do.
            summary = "The file holds no contacts, so there is nothing to import."
        elif report.dry_run:
            summary = (
                f"Checked {counted(report.rows, 'row')}: importing would create "
                f"{len(report.created):,}, "
                f"update {len(report.updated):,} and leave {report.unchanged:,} unchanged"
            )
            if report.notes_added:
                added = len(report.notes_added)
                summary += f", and add {added:,} {'note' if added == 1 else 'notes'}"
            summary += "."
            if report.problems:
                have = "row has a problem" if report.skipped == 1 else "rows have problems"
                summary += f" {report.skipped:,} {have}."
                them = "it" if report.skipped == 1 else "them"
                if not others:
                    summary += (
                        f" There is no other row to import: fix {them}, and press Ctrl+S to "
                        "check the file again."
                    )
                elif not skip:
                    # Unticked (the default, as the command line): the whole file is refused.
                    summary += (
                        f" Nothing is imported while any row has one: fix {them}, or "
                        f"{DIALOG_WORDING.skip_invalid} and press Ctrl+S to import the others."
                    )
            summary += report.single_names(DIALOG_WORDING)
        else:
            summary = report.summary(DIALOG_WORDING)
        text.append(f"{summary}\n", style="bold")
        text.append(f"Read {safe(path, 120)} as {title}, {counted(report.rows, 'row')}.\n")
        if report.dry_run and self.checked:
            text.append("Press Ctrl+S again to import.\n", style="bold")
        for problem in report.problems[:MAX_SHOWN]:
            text.append(f"line {problem.line}: ", style="bold")
            text.append(f"{safe(problem.message, 400)}\n")
        for warning in report.warnings[: max(0, MAX_SHOWN - len(report.problems))]:
            text.append(f"{safe(warning, 400)}\n", style="dim")
        hidden = len(report.problems) + len(report.warnings) - MAX_SHOWN
        if hidden > 0:
            text.append(
                f"… and {hidden:,} more; 'contact-tui import FILE --dry-run' lists every one.",
                style="dim",
            )
        text.rstrip()
        self._set_report(text)
        if report.written:
            self.notify(report.summary(DIALOG_WORDING), markup=False)
