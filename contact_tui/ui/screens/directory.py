"""The directory: search contacts by name, phone (any format) or email; open, edit, create,
or pick one to link to the current interaction."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.widgets.input import Selection
from textual.worker import Worker

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.identity import email_identity, stored_email_identity
from contact_tui.domain.merge import established
from contact_tui.domain.model import Contact, EmailKind, Interaction
from contact_tui.domain.permissions import UseCase
from contact_tui.domain.present import first_phone
from contact_tui.domain.rules import looks_like_email, phone_key
from contact_tui.domain.search import partial_number
from contact_tui.domain.suggest import phone_kind_for
from contact_tui.domain.text import fold
from contact_tui.service import (
    ContactService,
    InvalidInput,
    MergeOutcome,
    PermissionDenied,
    SearchResult,
    StoreError,
    UnmergeOutcome,
)
from contact_tui.ui.actions import FormOpener
from contact_tui.ui.gating import directory_disabled_reason, directory_gate
from contact_tui.ui.protocols import ForwardsWorkerErrors, WorkerResult
from contact_tui.ui.render import cell, plain, safe
from contact_tui.ui.screens.exchange import Direction, ExchangeDialog
from contact_tui.ui.screens.merge import MergeScreen, MergesScreen, merged_notice, unmerge_lines
from contact_tui.ui.widgets.app_input import AppInput
from contact_tui.ui.widgets.keys_footer import KeysFooter
from contact_tui.ui.widgets.profile_pane import ProfilePane, ProfileView

# A table of 10,000 rows took 3.2 s to build here: show a window of results, not the store.
RESULT_LIMIT = 200
DEBOUNCE_SECONDS = 0.15
# Keys typed after an Enter wait for the search (and the pick) it acts on, however long it
# takes; this long at most, for a store that does not answer at all (a search on a working
# store takes well under a second; the file lock gives up after as long): the app then
# takes keys again, ctrl+q too.
SETTLE_SECONDS = 10.0

# Columns of the Type and Phone cells; Name and Email share the rest of the width.
TYPE_WIDTH = 10  # "Identified"
PHONE_WIDTH = 17  # "+1 317-555-0123" and a little room
# Left and right padding of the four cells, and the vertical scrollbar, which appears only
# once the rows overflow; kept free always, so a cell's edge is never cut off by it.
CELL_PADDING = 2 * 4
SCROLLBAR = 1
MIN_NAME, MIN_EMAIL = 12, 14

KIND_WORDS = {
    "all": "all contacts",
    "name": "by name",
    "phone": "by phone number, matched in E.164",
    "email": "by email",
    "literal": "exact text",
    "number": "digits in a phone number, ending in them first",
}


class SearchBox(AppInput):
    """The directory's search box. Enter is handled in the key's own path (ui.keyorder hands
    on the next key only once it returns), and waits for the search of the box's text to
    answer: keys typed after it in a burst reach the results, not this box."""

    async def action_submit(self) -> None:
        """Search what the box holds, or go to its results."""
        screen = self.screen
        if isinstance(screen, DirectoryScreen):
            await screen.submit(self.value)
        else:
            await super().action_submit()


class ResultsTable(DataTable[Text | str]):
    """The directory's results. Enter opens (or picks) the highlighted contact in the key's
    own path, so the keys typed after it reach what it opened (the merge preview, a card)."""

    BINDINGS = [Binding("enter", "pick", "Pick", show=False)]

    async def action_pick(self) -> None:
        """Open or pick the highlighted contact."""
        screen = self.screen
        if isinstance(screen, DirectoryScreen):
            await screen.open_highlighted()


class DirectoryScreen(ForwardsWorkerErrors, Screen[str | None]):
    """Search and act on contacts. When ``picking``, Enter returns the chosen contact's id.

    Its workers' unexpected failures reach the app's one handler, then :meth:`worker_failed`;
    a key not permitted says why (:meth:`disabled_reason`)."""

    class Searched(WorkerResult):
        """A search's answer, for the query it ran."""

        def __init__(self, query: str, result: SearchResult) -> None:
            super().__init__()
            self.query = query
            self.result = result

    class SearchFailed(WorkerResult):
        """The store could not be searched, for the reason given."""

        def __init__(self, message: str, query: str = "") -> None:
            super().__init__()
            self.message = message
            self.query = query

    class Linked(WorkerResult):
        """The highlighted contact is linked to the interaction: the directory closes."""

    class LinkFailed(WorkerResult):
        """The link was refused or could not be written, for the reason given."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    BINDINGS = [
        Binding("escape", "close", "Back", id="directory.back"),
        Binding("f3,ctrl+n", "new", "New", id="directory.new", tooltip="Create New Contact"),
        Binding("f4,ctrl+e", "edit", "Edit", id="directory.edit"),
        Binding(
            "f5,ctrl+l",
            "link",
            "Link",
            id="directory.link",
            tooltip="Link the highlighted contact to the current interaction",
        ),
        Binding(
            "f6,ctrl+o",
            "import",
            "Import",
            id="directory.import",
            tooltip="Import contacts from a Genesys JSON, CSV or vCard file",
        ),
        Binding(
            "f7,ctrl+t",
            "export",
            "Export",
            id="directory.export",
            tooltip="Export the contacts as Genesys JSON, CSV or vCard",
        ),
        Binding(
            "f8,ctrl+g",
            "merge",
            "Merge",
            id="directory.merge",
            tooltip="Merge the highlighted contact into another one (a duplicate)",
        ),
        Binding("down", "to_results", "Results", show=False, id="directory.results"),
        # Not in the footer (it would push Quit off an 80-column line): the search box is in
        # plain sight, and the key is in the help panel and the command palette.
        Binding(
            "ctrl+f",
            "to_search",
            "Search",
            show=False,
            id="directory.search",
            tooltip="Back to the search box",
        ),
    ]

    def __init__(
        self,
        service: ContactService,
        interaction: Interaction | None,
        picking: bool,
        *,
        query: str = "",
        merging: Contact | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.interaction = interaction
        self.picking = picking or merging is not None
        # The search to start with (selected, so typing replaces it).
        self.start_query = query
        # Picking the contact to merge this one into (issue 13): it is left out of the
        # results, and only picking applies. The pick opens the preview over this screen, so
        # Escape there comes back to the search as typed; a merge done closes it, and
        # ``merge_outcome`` then holds the merge.
        self.merging = merging
        self.merge_outcome: MergeOutcome | None = None
        self.results: list[Contact] = []
        self._timer: Timer | None = None
        # The query the results are for, as the search read it ("phone", "email", ...).
        self._shown: tuple[str, str] = ("", "all")
        self._widths: tuple[int, int] = (0, 0)
        # Enters pressed in the search box before the search for its text had answered.
        self._enters = 0
        # The query last answered (or failed), and whether a pick on its answer is opening;
        # ``_news`` is set at each change of either (or of the screen on top), for an Enter
        # waiting on them (:meth:`_settled`).
        self._answered: str | None = None
        self._opening = False
        self._news = asyncio.Event()
        # The contact whose card is open (its actions act on it).
        self._card: Contact | None = None

    def compose(self) -> ComposeResult:
        """Title, search box, summary, results, footer."""
        title = "Pick a contact to link" if self.picking else "Directory"
        if self.merging is not None:
            title = (
                f"Pick the customer to merge {safe(self.merging.display_name, 40)} "
                f"({self.merging.type.value}) into"
            )
        elif self.interaction is not None and self.picking:
            title += (
                f" to {safe(self.interaction.from_.name or self.interaction.from_.address, 40)}"
            )
        yield Static(Text(title, style="bold"), id="directory-title")
        yield SearchBox(
            self.start_query,
            placeholder='Name, phone (any format) or email; "quotes" for exact text',
            id="directory-search",
            compact=True,
        )
        yield Static("", id="directory-summary")
        yield ResultsTable(id="directory-results", cursor_type="row")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Show the first page of the directory at once."""
        self._fit_columns()
        search = self.query_one("#directory-search", Input)
        search.focus()
        # Prefilled, the text is selected: typing a name replaces it, Enter searches it.
        search.selection = Selection(0, len(self.start_query))
        self._search(self.start_query)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Edit needs a highlighted contact; link needs an interaction. New, edit, import
        and export show dimmed without their permissions (their key then says why). The
        rules are in ui/gating.py. Picking the contact to merge into, only picking applies;
        a Merge from the directory is its own, not a pick's."""
        if self.merging is not None and action in ("new", "edit", "link", "import", "export"):
            return False
        if action == "merge" and self.picking:
            return False
        return directory_gate(action, self.highlighted, self.interaction, self.service.agent)

    def disabled_reason(self, action: str) -> str | None:
        """Why the key for ``action`` does nothing: the permission it needs and whom to ask."""
        return directory_disabled_reason(action, self.service.agent)

    @property
    def highlighted(self) -> Contact | None:
        """The contact under the table's cursor."""
        if not self.results:
            # Also before the table is there: Textual asks a screen just pushed, not composed
            # yet, what its keys allow (another screen's footer looks at the screen on top).
            return None
        table = self.query_one(DataTable)
        if table.cursor_row < 0 or table.cursor_row >= len(self.results):
            return None
        return self.results[table.cursor_row]

    # --- searching -----------------------------------------------------------------------

    @on(Input.Changed, "#directory-search")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        query = event.value
        self._timer = self.set_timer(DEBOUNCE_SECONDS, lambda: self._search(query))

    async def submit(self, value: str) -> None:
        """Enter in the search box: go to the results of ``value``."""
        if self._shown[0] != value:
            # Typed faster than the search ran (a burst, or keys arriving together over SSH):
            # search now, and let the Enter act on its answer rather than on older rows. The
            # keys after it wait for that; a second Enter before then (the wait given up on
            # a store that does not answer) picks the first row, as it would have.
            self._enters += 1
            if self._enters == 1:
                if self._timer is not None:
                    self._timer.stop()
                self._answered = None  # an earlier answer (or failure) is not this one
                self._search(value)
            await self._settled(value)
            return
        if self.results:
            self.query_one(DataTable).focus()

    async def _settled(self, value: str) -> None:
        """Return once the search for ``value`` has answered (or failed) and what it opens is
        mounted (or this screen is no longer on top): the keys typed next wait till then, so
        they reach the results, or the screen the pick opened. Not a time: on a slow machine
        the answer comes later, and the keys still wait for it (SETTLE_SECONDS at most)."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while self._opening or not (self._answered == value or self.app.screen is not self):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._news.clear()
            try:
                await asyncio.wait_for(self._news.wait(), left)
            except TimeoutError:
                return

    def _tell(self) -> None:
        """Wake an Enter waiting in :meth:`_settled`: what it waits on may have changed."""
        self._news.set()

    @work(
        thread=True,
        exclusive=True,
        group="directory-search",
        exit_on_error=False,
        name="Searching the directory",
        description="the directory's search as the agent types",
    )
    def _search(self, query: str) -> None:
        try:
            self.service.refresh()
            result = self.service.search(query, limit=RESULT_LIMIT)
        except StoreError as err:
            self.post_message(self.SearchFailed(str(err), query))
            return
        except Exception as err:
            # Said on this screen's queue at once: an Enter waiting for the answer (on the
            # app's queue) stops waiting; the app then reports the error as any other.
            self.post_message(
                self.SearchFailed(
                    f"The search failed with an unexpected error ({type(err).__name__}); "
                    "change the search to try again.",
                    query,
                )
            )
            raise
        self.post_message(self.Searched(query, result))

    @on(SearchFailed)
    def _failed(self, event: SearchFailed) -> None:
        self._answered = event.query
        self._enters = 0  # an Enter that waited for this answer is done: it never picks later
        self._tell()
        # Store errors can quote the store (a path, a damaged line): shown, never obeyed.
        self.query_one("#directory-summary", Static).update(plain(event.message, 1000))

    def on_resize(self) -> None:
        """Give Name and Email the width there is (more of each at 120 columns than 80),
        once the table has its new size."""
        self.call_after_refresh(self._fit_columns)

    def _fit_columns(self) -> None:
        table: DataTable[Text | str] = self.query_one(DataTable)
        width = table.size.width or self.app.size.width
        rest = max(width - CELL_PADDING - SCROLLBAR - TYPE_WIDTH - PHONE_WIDTH, 0)
        name = max(MIN_NAME, rest // 2 - 1)
        widths = (name, max(MIN_EMAIL, rest - name))
        if widths == self._widths:
            return
        self._widths = widths
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_column("Name", key="name", width=widths[0])
        table.add_column("Type", key="type", width=TYPE_WIDTH)
        table.add_column("Phone", key="phone", width=PHONE_WIDTH)
        table.add_column("Email", key="email", width=widths[1])
        self._fill_rows()
        if self.results:
            table.move_cursor(row=min(cursor, len(self.results) - 1))

    def _fill_rows(self) -> None:
        """One row per result. Each cell is clipped with an ellipsis to its column, so a cut
        address never passes for another one; the phone and email shown are the ones the
        search matched, so the agent sees why a row is there."""
        table: DataTable[Text | str] = self.query_one(DataTable)
        table.clear()
        name_width, email_width = self._widths
        query, kind = self._shown
        for contact in self.results:
            table.add_row(
                cell(contact.display_name, name_width),
                contact.type.value,
                cell(matched_phone(contact, query, kind, self.service.region), PHONE_WIDTH),
                cell(matched_email(contact, query, kind), email_width),
                key=contact.id,
            )

    @on(Searched)
    async def _show(self, event: Searched) -> None:
        query, result = event.query, event.result
        if query != self.query_one("#directory-search", Input).value:
            return  # the agent has typed on; a newer search is coming
        self.results = result.contacts
        total = result.total
        if self.merging is not None:
            # The contact being merged away cannot be the one it is merged into; the
            # customers most likely meant come first (curated, then identified; in the
            # search's order within each), as a merge keeps the more established contact.
            merging_id = self.merging.id
            self.results = sorted(
                (c for c in result.contacts if c.id != merging_id), key=lambda c: -established(c)
            )
            total -= len(result.contacts) - len(self.results)
        self._shown = (query, result.kind)
        self._fill_rows()
        shown = len(result.contacts)
        create_hint = (
            " F3 creates one."
            if self.merging is None and self.service.allowed(UseCase.CREATE_CONTACT)
            else ""
        )
        if total == 0:
            summary = f"No contact matches.{create_hint}"
        elif shown < total or result.capped:
            # Past the cap the stores stop counting: say "more than", never a guess.
            of = f"more than {total:,}" if result.capped else f"{total:,}"
            summary = (
                f"Showing {shown:,} of {of} matches ({KIND_WORDS[result.kind]}); "
                "type more to narrow."
            )
        else:
            plural = "es" if total != 1 else ""
            summary = f"{total:,} match{plural} ({KIND_WORDS[result.kind]})."
        if result.kind == "phone" and total == 0:
            summary = f"No contact has this number (numbers are matched in E.164).{create_hint}"
        if self.merging is not None:
            # Short: the title says what the pick is for, and a long summary is cut at 80.
            summary = (
                "Enter picks. " + summary
                if total
                else "No other contact matches: type the customer's name, number or email."
            )
        self.query_one("#directory-summary", Static).update(Text(summary))
        self.refresh_bindings()
        enters, self._enters = self._enters, 0
        if enters and self.results:
            self.query_one(DataTable).focus()
            if enters > 1 and self.picking:
                self._opening = True
                try:
                    await self.open_highlighted()
                finally:
                    self._opening = False
        self._answered = query
        self._tell()

    def on_screen_suspend(self) -> None:
        """Another screen is on top: an Enter waiting here has nothing more to wait for."""
        self._tell()

    @on(DataTable.RowHighlighted)
    def _moved(self) -> None:
        self.refresh_bindings()

    # --- acting ----------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    async def _selected(self) -> None:
        await self.open_highlighted()

    async def open_highlighted(self) -> None:
        """Pick the highlighted contact (for a merge: its preview opens over this screen),
        or open its card; what opens is mounted when this returns, so the keys typed next
        reach it."""
        contact = self.highlighted
        if contact is None:
            return
        if self.merging is not None:
            await self.app.push_screen(
                MergeScreen(self.service, contact.id, self.merging.id), self._preview_closed
            )
        elif self.picking:
            self.dismiss(contact.id)
        else:
            self._card = contact
            await self.app.push_screen(
                ContactCard(
                    contact,
                    can_link=self.interaction is not None,
                    can_edit=self.service.allowed(UseCase.EDIT_CONTACT),
                    can_merge=self.service.allowed(UseCase.MERGE_CONTACTS),
                ),
                self._card_closed,
            )

    def _preview_closed(self, outcome: MergeOutcome | None) -> None:
        """Back from the merge preview: merged, this pick is done; not, the search stays as
        typed, the pick highlighted, for another pick."""
        if outcome is None:
            if self.results:
                self.query_one(DataTable).focus()
            return
        self.merge_outcome = outcome
        self.dismiss(outcome.contact.id)

    async def _card_closed(self, action: str | None) -> None:
        if action == "edit" and self.check_action("edit", ()) is True:
            await self.action_edit()
        elif action == "link":
            self.action_link()
        elif action == "merge" and self._card is not None:
            await self._merge_away(self._card)
        elif action == "merges" and self._card is not None:
            self.app.push_screen(MergesScreen(self.service, self._card), self._unmerged)

    def _unmerged(self, outcome: UnmergeOutcome | None) -> None:
        if outcome is not None:
            self.notify(unmerge_lines(outcome), markup=False, timeout=12)
            self._search(self.query_one("#directory-search", Input).value)

    def action_to_results(self) -> None:
        """Move from the search box to the results."""
        if self.results:
            self.query_one(DataTable).focus()

    def action_to_search(self) -> None:
        """Back to the search box."""
        self.query_one("#directory-search").focus()

    def action_close(self) -> None:
        """Back to where the agent came from, picking nothing."""
        self.dismiss(None)

    async def action_new(self) -> None:
        """Create a contact from what is in the search box (a name, a number or an address
        goes in its field); when picking for an interaction, it is linked to it. Awaiting the
        form's mount means letters typed right after F3 land in its first field."""
        query = self.query_one("#directory-search", Input).value
        await FormOpener(self.app, self.service).create(
            self.interaction if self.picking else None,
            self._saved,
            draft_from_search(query, self.service.region),
        )

    def action_import(self) -> None:
        """Import contacts from a file; the results show what arrived."""
        self.app.push_screen(ExchangeDialog(self.service, Direction.IMPORT), self._exchanged)

    def action_export(self) -> None:
        """Export the contacts to a file."""
        self.app.push_screen(ExchangeDialog(self.service, Direction.EXPORT), self._exchanged)

    def _exchanged(self, imported: bool | None) -> None:
        if imported:
            self._search(self.query_one("#directory-search", Input).value)

    async def action_edit(self) -> None:
        """Edit the highlighted contact (the form's mount is awaited, as for F3)."""
        contact = self.highlighted
        if contact is not None:
            await FormOpener(self.app, self.service).edit(contact, self.interaction, self._saved)

    async def action_merge(self) -> None:
        """Merge the highlighted contact (a duplicate) into another: pick that one next (the
        search starts from this one's name), then the preview shows what the merge would do,
        with a choice per field."""
        contact = self.highlighted
        if contact is not None:
            await self._merge_away(contact)

    async def _merge_away(self, contact: Contact) -> None:
        """Pick the contact to merge ``contact`` into, then preview the merge (the picker's
        mount is awaited, so a name typed right after the key lands in its search box)."""
        picker = DirectoryScreen(
            self.service, None, picking=True, query=contact.display_name, merging=contact
        )

        def merged(_: str | None) -> None:
            outcome = picker.merge_outcome
            if outcome is None:
                return
            self.notify(
                merged_notice(outcome, "To undo, open that contact (Enter) and press M."),
                markup=False,
                timeout=12,
            )
            self._search(self.query_one("#directory-search", Input).value)

        await self.app.push_screen(picker, merged)

    def action_link(self) -> None:
        """Link the highlighted contact to the current interaction and go back."""
        contact = self.highlighted
        if contact is None or self.interaction is None:
            return
        if self.picking:
            self.dismiss(contact.id)
            return
        interaction_id = self.interaction.id
        self._link(interaction_id, contact.id)

    @work(
        thread=True,
        group="directory-write",
        exit_on_error=False,
        name="Linking the contact",
        description="the directory's link of a contact to the current interaction",
    )
    def _link(self, interaction_id: str, contact_id: str) -> None:
        try:
            self.service.link(interaction_id, contact_id)
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.LinkFailed(str(err)))
            return
        self.post_message(self.Linked())

    @on(Linked)
    def _linked(self) -> None:
        self.dismiss(None)

    @on(LinkFailed)
    def _link_failed(self, event: LinkFailed) -> None:
        self.notify(event.message, severity="error", markup=False)

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """A worker raised what it did not expect (the app has said so). A failed search
        says so where the results are counted, so rows left from an earlier search are not
        taken for its answer; typing searches again. A failed link leaves the directory open
        for another try."""
        if worker.group == "directory-search":
            self.query_one("#directory-summary", Static).update(
                Text(
                    "The search failed with an unexpected error, so the rows below may not "
                    "match it; change the search to try again.",
                    style="bold",
                )
            )
            # No answer is coming: an Enter waiting for it stops waiting, and is done.
            self._answered = self.query_one("#directory-search", Input).value
            self._enters = 0
            self._tell()

    def _saved(self, contact: Contact | None) -> None:
        if contact is None:
            return
        if self.picking and self.interaction is not None:
            self.dismiss(None)  # a contact created while picking is already linked
            return
        self.notify(f"Saved {safe(contact.display_name, 40)}.", markup=False)
        self._search(self.query_one("#directory-search", Input).value)


def merge_key(app: App[object]) -> str:
    """The directory key that merges the highlighted contact, as the agent's keymap has it
    (for a screen that names it before the directory is open)."""
    binding = next(
        b for b in DirectoryScreen.BINDINGS if isinstance(b, Binding) and b.id == "directory.merge"
    )
    keys = app._keymap.get("directory.merge", binding.key)
    return app.get_key_display(replace(binding, key=keys.split(",")[0].strip()))


def matched_phone(contact: Contact, query: str, kind: str, region: str) -> str:
    """The number to show for a contact: the one a phone search matched, else the first
    searchable one, else the first."""
    if kind == "phone":
        e164 = phone_key(query, region)
        hit = next((p for _, p in contact.phones() if e164 is not None and p.e164 == e164), None)
        if hit is not None:
            return hit.display
    if kind == "number" and (digits := partial_number(query.strip())) is not None:
        held = [p for _, p in contact.phones() if digits in _digits(p.e164 or p.display)]
        ending = [p for p in held if _digits(p.e164 or p.display).endswith(digits)]
        if ending or held:
            return (ending or held)[0].display
    return first_phone(contact)


def _digits(number: str) -> str:
    return "".join(ch for ch in number if "0" <= ch <= "9")


def matched_email(contact: Contact, query: str, kind: str) -> str:
    """The address to show for a contact: the one an email search matched, or the first that
    holds a searched word, else the first."""
    emails = [email for _, email in contact.emails()]
    if not emails:
        return ""
    if kind == "email":
        key = email_identity(query)
        hit = next((e for e in emails if stored_email_identity(e) == key), None)
        if hit is not None:
            return hit
    text = query.strip()
    words = [fold(text[1:-1])] if kind == "literal" else [fold(w) for w in text.split()]
    return next((e for e in emails if any(w and w in fold(e) for w in words)), emails[0])


def draft_from_search(query: str, region: str) -> ContactDraft:
    """A new contact holding what the agent searched for: an address in Work email, a number
    in the slot its kind of line belongs in (as for a caller), words as first and last names.
    The form checks every field as usual."""
    text = query.strip()
    literal = len(text) >= 2 and text[0] == text[-1] == '"'
    if literal:
        text = text[1:-1].strip()
    if not text:
        return ContactDraft()
    if "@" in text and (looks_like_email(text) or literal) and " " not in text:
        return ContactDraft(emails={EmailKind.WORK: text})
    e164 = None if literal or any(ch.isalpha() for ch in text) else phone_key(text, region)
    if e164 is not None:
        return ContactDraft(phones={phone_kind_for(e164): PhoneDraft(text)})
    first, _, last = text.rpartition(" ")
    if first:
        return ContactDraft(first_name=first.strip(), last_name=last)
    return ContactDraft(first_name=text)


class ContactCard(ModalScreen[str | None]):
    """One contact, read-only, with the actions on it."""

    BINDINGS = [
        Binding("escape", "dismiss_card", "Back", id="card.back"),
        Binding("e", "choose('edit')", "Edit", id="card.edit"),
        Binding("l", "choose('link')", "Link", id="card.link"),
        Binding(
            "m",
            "choose('merge')",
            "Merge",
            id="card.merge",
            tooltip="Merge this contact into another one (pick it next)",
        ),
        Binding(
            "M",
            "choose('merges')",
            "Merges",
            id="card.merges",
            tooltip="The merges into this contact: undo one",
        ),
    ]

    def __init__(
        self, contact: Contact, can_link: bool, can_edit: bool = True, can_merge: bool = True
    ) -> None:
        super().__init__()
        self.contact = contact
        self.can_link = can_link
        self.can_edit = can_edit
        self.can_merge = can_merge  # merging and undoing one need the same

    def compose(self) -> ComposeResult:
        """The profile pane, reused."""
        with Vertical(classes="dialog card"):
            yield ProfilePane(id="card-profile")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Show the contact."""
        self.query_one(ProfilePane).view = ProfileView(None, self.contact)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Link only applies when there is an interaction to link to; Edit, Merge and the
        merges show dimmed without their permissions."""
        if action == "choose" and parameters and parameters[0] == "edit":
            return True if self.can_edit else None
        if action == "choose" and parameters and parameters[0] == "link":
            return self.can_link
        if action == "choose" and parameters and parameters[0] in ("merge", "merges"):
            return True if self.can_merge else None
        return True

    def action_choose(self, what: str) -> None:
        """Close and tell the directory what to do."""
        self.dismiss(what)

    def action_dismiss_card(self) -> None:
        """Close."""
        self.dismiss(None)
