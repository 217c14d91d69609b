"""The contact form: one modal for Create New Contact, Add to Contacts and Edit.

The form never loses what the agent typed: saving runs in a worker while the form stays open,
and it closes only when the store has the contact. A rule broken, a conflict with another
agent's save, or a store that cannot be written are shown in the form, with every value kept.

A stored value that breaks its field's rule or holds control, format or bidi characters (a
store written by an older version, or edited by hand, can hold anything) is never put in an
editable field, where it would be drawn raw: the field starts empty and a read-only line below
it shows the value escaped. The stored value is kept untouched unless the agent types a
replacement or ticks "Remove the stored value"; as the rules still apply on save, a kept value
that breaks them stops the save with a message there (nothing is written, nothing is lost).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.validation import Validator
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Static
from textual.worker import Worker

from contact_tui.domain.draft import (
    ADDRESS_SOURCE,
    ContactDraft,
    CountryFrom,
    PhoneDraft,
    check_draft,
    check_phone,
    default_country_note,
    phone_countries,
    reread_numbers,
    with_source,
)
from contact_tui.domain.duplicates import DuplicateMatch, Duplicates
from contact_tui.domain.fields import FIELDS, TEXT_FIELDS, FieldKind, fields_of
from contact_tui.domain.model import Contact, ContactType, EmailKind, PhoneKind
from contact_tui.domain.rules import RuleError
from contact_tui.service import ConflictError, InvalidInput, PermissionDenied, StoreError
from contact_tui.ui.protocols import ForwardsWorkerErrors, WorkerResult
from contact_tui.ui.render import editable, plain, safe, when
from contact_tui.ui.screens.conflict import Conflict, ConflictAnswer, ConflictDialog, Resolution
from contact_tui.ui.screens.dialogs import ConfirmDialog
from contact_tui.ui.screens.duplicate_offer import Answer, Choice, DuplicateOffer
from contact_tui.ui.screens.sizing import take_size_classes
from contact_tui.ui.validators import email_rule, name_rule, phone_rule, text_rule
from contact_tui.ui.widgets.app_input import AppInput
from contact_tui.ui.widgets.keys_footer import KeysFooter
from contact_tui.ui.widgets.suggest_input import OfferingInput
from contact_tui.ui.widgets.tick import Tick


class FormMode(StrEnum):
    """What the form is for; decides its title and which service call saves it."""

    CREATE = "New contact"
    PROMOTE = "Add to Contacts"
    EDIT = "Edit contact"


@dataclass(frozen=True)
class FormRequest:
    """Everything the form needs to open."""

    mode: FormMode
    draft: ContactDraft
    contact: Contact | None = None
    identity: str = ""
    phone_offers: tuple[str, ...] = ()
    email_offers: tuple[str, ...] = ()


# (draft, expected version) -> saved contact. Runs in a worker thread.
SaveFunction = Callable[[ContactDraft, int], Contact]
# The latest stored version of the contact being edited. Runs in a worker thread.
ReloadFunction = Callable[[], Contact]
# The stored contacts the entries likely duplicate (service.likely_duplicates). Runs in a
# worker thread.
DuplicatesFunction = Callable[[ContactDraft], Duplicates]
# Link the form's interaction to a stored contact instead of saving. Runs in a worker thread.
LinkFunction = Callable[[Contact], object]
# Add to Contacts only: merge the contact being promoted into a stored contact (what the agent
# typed is not applied) and return the kept contact. Runs in a worker thread.
MergeFunction = Callable[[Contact], Contact]

# The form's rows, in the field table's order, section by section.
FORM_FIELDS = tuple(f for f in FIELDS if f.on_form)
NAME_ROWS = fields_of(FieldKind.NAME, fields=FORM_FIELDS)
TEXT_ROWS = fields_of(FieldKind.TEXT, fields=FORM_FIELDS)
PHONE_ROWS = fields_of(FieldKind.PHONE, fields=FORM_FIELDS)
EMAIL_ROWS = fields_of(FieldKind.EMAIL, fields=FORM_FIELDS)
ADDRESS_ROWS = fields_of(FieldKind.ADDRESS, fields=FORM_FIELDS)
# Every field typed into an input (SMS and survey are ticks), top to bottom.
INPUT_IDS = tuple(f.id for f in (*NAME_ROWS, *TEXT_ROWS, *PHONE_ROWS, *EMAIL_ROWS, *ADDRESS_ROWS))
# The fields a likely duplicate is found by: names, numbers, addresses, postal code.
DUPLICATE_BASIS = ("firstName", "lastName", *(f.id for f in (*PHONE_ROWS, *EMAIL_ROWS)))
POSTAL_CODE = "address.postalCode"
# The address's country: numbers without + are read in it when it names one.
COUNTRY = "address.countryCode"
# The fields whose change means looking for likely duplicates again.
LOOKUP_FIELDS = (*DUPLICATE_BASIS, POSTAL_CODE, COUNTRY)
# Seconds of quiet typing before the form looks for likely duplicates (one look per pause,
# not one per key: the name search reads the store).
DUPLICATE_PAUSE = 0.3
# Columns of a kept stored value shown escaped under its field.
STORED_WIDTH = 50
KEPT_NOTE = "Stored value has characters that cannot be edited; type a new one to replace it."
INVALID_NOTE = "Stored value breaks this field's rule; type a new one to replace it."
KEPT_ERROR = (
    "The stored value cannot be saved as it is: type a new one, or tick 'Remove the stored value'."
)


# The sections the jump keys move to: (action, binding id, label in the help line).
JUMPS = (
    ("jump('phones')", "form.phones", "phones"),
    ("jump('emails')", "form.emails", "emails"),
    ("jump('address')", "form.address", "address"),
    ("jump('survey')", "form.survey", "survey"),
)
FIX_BANNER = "{count} field{s} need{verb} fixing; nothing was saved yet."


def widget_id(field_id: str) -> str:
    """A CSS-safe widget id for a field id ('address.city' -> 'f-address-city')."""
    return "f-" + field_id.replace(".", "-")


def message_id(field_id: str) -> str:
    """The id of the message line under a field."""
    return "m-" + field_id.replace(".", "-")


def stored_id(field_id: str) -> str:
    """The id of the read-only line showing a stored value kept out of a field."""
    return "k-" + field_id.replace(".", "-")


def remove_id(field_id: str) -> str:
    """The id of the checkbox that drops a stored value kept out of a field."""
    return "r-" + field_id.replace(".", "-")


class ContactForm(ForwardsWorkerErrors, ModalScreen[Contact | None]):
    """Create, promote or edit a contact; dismisses with the saved contact, or None.

    A worker that raises what it does not expect is reported by the app, which then calls
    :meth:`worker_failed`: the form is never left on "Saving…" with Ctrl+S ignored.
    """

    class Saved(WorkerResult):
        """The store has the contact: the form closes with it."""

        def __init__(self, contact: Contact) -> None:
            super().__init__()
            self.contact = contact

    class Conflicted(WorkerResult):
        """Another agent saved the contact first: their version is read next."""

        def __init__(self, error: ConflictError) -> None:
            super().__init__()
            self.error = error

    class Refused(WorkerResult):
        """The service refused the entries (a rule broken, or a promote refused)."""

        def __init__(self, error: InvalidInput) -> None:
            super().__init__()
            self.error = error

    class Failed(WorkerResult):
        """Nothing was saved, for the reason given (permission, store, or a refused promote
        that was no race)."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    class ConflictLoaded(WorkerResult):
        """The version saved meanwhile, read after a refused save: put to the agent."""

        def __init__(self, conflict: Conflict) -> None:
            super().__init__()
            self.conflict = conflict

    class DuplicatesFound(WorkerResult):
        """The stored contacts the entries likely duplicate, looked up for ``basis`` (what
        the duplicate fields held then)."""

        def __init__(self, basis: tuple[str, ...], duplicates: Duplicates) -> None:
            super().__init__()
            self.basis = basis
            self.duplicates = duplicates

    class DuplicatesStop(WorkerResult):
        """The save stopped before writing: the entries duplicate stored contacts."""

        def __init__(self, basis: tuple[str, ...], duplicates: Duplicates) -> None:
            super().__init__()
            self.basis = basis
            self.duplicates = duplicates

    class Linked(WorkerResult):
        """The interaction is linked to the stored contact instead: the form closes."""

        def __init__(self, contact: Contact) -> None:
            super().__init__()
            self.contact = contact

    class Merged(WorkerResult):
        """The contact being promoted was merged into a stored one: the form closes."""

        def __init__(self, kept: Contact, other: str) -> None:
            super().__init__()
            self.kept = kept
            self.other = other

    class NotMerged(WorkerResult):
        """The merge was refused or failed; nothing was merged, the entries stay."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    # First name takes the focus as the fields are made: left to the default ("*"), the
    # focus would go to the scrolling body first and move on in on_mount, and each move styles
    # the body's hundred-odd widgets again (a third of the CPU of opening the form).
    AUTO_FOCUS = "#" + widget_id("firstName")

    # The jump keys set the focus at once (set_focus); the app hands on the next key only
    # when this one is done (ui.keyorder), so what is typed after a jump lands where it went.
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save the contact"),
        Binding("f2", "save", "Save", show=False, id="form.save_f2"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding(
            "f5,alt+p",
            "jump('phones')",
            "Phones",
            id="form.phones",
            tooltip="Jump to the phone numbers",
        ),
        Binding(
            "f6,alt+m",
            "jump('emails')",
            "Emails",
            id="form.emails",
            tooltip="Jump to the email addresses",
        ),
        Binding(
            "f7,alt+a",
            "jump('address')",
            "Address",
            id="form.address",
            tooltip="Jump to the address",
        ),
        Binding(
            "f8,alt+s",
            "jump('survey')",
            "Survey",
            id="form.survey",
            tooltip="Jump to the survey opt-out",
        ),
        Binding(
            "f9,alt+o",
            "open_holder",
            "Who has it",
            id="form.open_holder",
            tooltip="Show the contact that already has the number or address in this field",
        ),
    ]

    def __init__(
        self,
        request: FormRequest,
        region: str,
        save: SaveFunction,
        reload: ReloadFunction | None = None,
        duplicates: DuplicatesFunction | None = None,
        edit: SaveFunction | None = None,
        link: LinkFunction | None = None,
        merge: MergeFunction | None = None,
    ) -> None:
        super().__init__()
        take_size_classes(self)
        self.request = request
        self.phone_region = region
        self._save = save
        self._reload = reload
        # Add to Contacts only: saves the entries as an edit once someone else has added the
        # contact first (None when the agent may not edit).
        self._edit = edit
        self._find_duplicates = duplicates
        # Links the form's interaction to a stored contact (None: no interaction, or the agent
        # may not link it): offered when the entries duplicate that contact.
        self._link = link
        # Merges the contact being promoted into a stored contact (None: not Add to Contacts,
        # or the agent may not merge): offered when the entries duplicate that contact.
        self._merge = merge
        # The likely duplicates last found, and what the duplicate fields held then: shown
        # only while the fields still hold that (see _basis).
        self.duplicates = Duplicates()
        self._duplicates_basis: tuple[str, ...] = ()
        self._duplicates_due: Any = None  # the pending look's timer
        # Stored contacts the agent chose to save beside ("save anyway"): not asked again.
        self._accepted: frozenset[str] = frozenset()
        # Field id -> the message shown under it now ('' or absent: none).
        self._messages: dict[str, str] = {}
        # Fields showing an error now, and whether the banner is counting them.
        self._errors: set[str] = set()
        self._counting = False
        self.base = request.draft
        self.version = request.contact.version if request.contact else 0
        self.saving = False
        self._touched: set[str] = set()
        # Stored values kept out of their (editable) fields, by field id; see the module doc.
        self.kept: dict[str, str] = {}
        self._validators: dict[str, Validator] = {}

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Title, banner, the scrolling fields, buttons and a footer with the keys."""
        draft = self.request.draft
        with Vertical(id="form-dialog"):
            yield Static(self._title(), id="form-title")
            yield Static("", id="form-help")
            yield Static("", id="form-duplicates", classes="hidden")
            yield Static("", id="form-banner", classes="hidden")
            with VerticalScroll(id="form-body"):
                if self.request.identity:
                    yield Static(
                        Text.assemble(
                            ("Channel  ", "bold"),
                            safe(self.request.identity),
                            ("  (from this conversation; cannot be edited)", "italic"),
                        ),
                        id="identity",
                    )
                for spec in NAME_ROWS:
                    validator: Validator = name_rule(spec.label, spec.required)
                    yield from self._row(
                        spec.id,
                        f"{spec.label} *" if spec.required else spec.label,
                        AppInput(
                            self._prefill(spec.id, draft.text_of(spec.id), validator),
                            id=widget_id(spec.id),
                            validators=[validator],
                            validate_on=["changed", "blur"],
                            valid_empty=not spec.required,
                            compact=True,
                        ),
                    )
                for spec in TEXT_ROWS:
                    validator = text_rule(spec.label, spec.max_length)
                    yield from self._row(
                        spec.id,
                        spec.label,
                        AppInput(
                            self._prefill(spec.id, draft.text_of(spec.id), validator),
                            id=widget_id(spec.id),
                            validators=[validator],
                            valid_empty=True,
                            compact=True,
                        ),
                    )
                yield Static(self._phones_heading(draft), id="section-phones", classes="section")
                for spec in PHONE_ROWS:
                    kind = spec.phone_kind
                    entry = draft.phones.get(kind, PhoneDraft())
                    validator = phone_rule(self.phone_region)
                    with Horizontal(classes="field-row"):
                        yield Label(kind.label, classes="field-label")
                        yield OfferingInput(
                            self.request.phone_offers,
                            value=self._prefill(kind.value, entry.text, validator),
                            id=widget_id(kind.value),
                            validators=[validator],
                            validate_on=["changed", "blur"],
                            valid_empty=True,
                            compact=True,
                        )
                        yield Tick("SMS", entry.accepts_sms, id=f"sms-{kind.value}", compact=True)
                    yield from self._under(kind.value)
                yield Static("Emails", id="section-emails", classes="section")
                for spec in EMAIL_ROWS:
                    email_kind = spec.email_kind
                    validator = email_rule()
                    stored = draft.emails.get(email_kind, "")
                    yield from self._row(
                        email_kind.value,
                        email_kind.label,
                        OfferingInput(
                            self.request.email_offers,
                            value=self._prefill(email_kind.value, stored, validator),
                            id=widget_id(email_kind.value),
                            validators=[validator],
                            validate_on=["changed", "blur"],
                            valid_empty=True,
                            compact=True,
                        ),
                    )
                yield Static("Address", id="section-address", classes="section")
                for spec in ADDRESS_ROWS:
                    validator = text_rule(spec.label, spec.max_length)
                    yield from self._row(
                        spec.id,
                        spec.label,
                        AppInput(
                            self._prefill(spec.id, draft.address.get(spec.part, ""), validator),
                            id=widget_id(spec.id),
                            validators=[validator],
                            valid_empty=True,
                            compact=True,
                        ),
                    )
                yield Static("Surveys", id="section-survey", classes="section")
                yield Tick(
                    "Customer opted out of surveys",
                    draft.survey_opt_out,
                    id="survey",
                    compact=True,
                )
            with Horizontal(id="form-buttons"):
                # Text, not str: a str label is markup, and "[esc]" would vanish as a tag.
                yield Button(
                    Text("Save [ctrl+s]"),
                    id="save",
                    variant="primary",
                    compact=True,
                    action="screen.save",
                )
                yield Button(
                    Text("Cancel [esc]"), id="cancel", compact=True, action="screen.cancel"
                )
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        """Focus First name at once, say the jump keys."""
        # Set here too, before the mount completes: AUTO_FOCUS is passed over while the
        # terminal window is not focused, and the key that opened the form waits for the
        # mount, so the letters typed after it must find First name focused.
        self.set_focus(self.query_one(f"#{widget_id('firstName')}", Input))
        self.query_one("#form-help", Static).update(self._help_line())
        # A number kept as typed that saving would now store converted is said at once: the
        # agent may save without visiting the field.
        for field_id, notice in self._rereads().items():
            self.show_message(field_id, notice, "warning")

    def _rereads(self) -> dict[str, str]:
        """The notices, by field id, of the stored numbers kept as typed that the fields
        still hold as they were and that saving converts (read in the address's country
        now: :func:`~contact_tui.domain.draft.reread_numbers`); none for a new contact."""
        if self.request.contact is None:
            return {}
        found = reread_numbers(self.request.contact, self.draft(), self.phone_region)
        return {r.kind.value: r.describe() for r in found}

    def _help_line(self) -> Text:
        """The jump keys, as the agent's keymap has them."""
        keys: dict[str, list[str]] = {}
        for active in self.active_bindings.values():
            binding = active.binding
            shown = self.app.get_key_display(binding)
            if active.node is self and binding.id and shown not in keys.get(binding.id, []):
                keys.setdefault(binding.id, []).append(shown)
        line = Text("Jump: ", style="dim")
        for _action, binding_id, label in JUMPS:
            if binding_id in keys:
                line.append("/".join(keys[binding_id]), style="bold")
                line.append(f" {label}  ")
        return line  # Save and Cancel are on the buttons and in the footer

    def _countries(self, draft: ContactDraft) -> dict[PhoneKind, tuple[str, CountryFrom]]:
        """Where each number without + is read, as a save reads it (the address's country,
        else the default country)."""
        return phone_countries(draft, self.phone_region)

    def _phones_heading(self, draft: ContactDraft) -> Text:
        """The Phones heading, saying what numbers without + are taken as (the form gives no
        number a country of its own, so every slot's is the same)."""
        where, source = self._countries(draft)[PhoneKind.WORK]
        return Text.assemble("Phones   ", (default_country_note(where, source), "not bold"))

    def _country_changed(self) -> None:
        """The address's country changed: numbers without + are read in another country, so
        the heading and the notes under the numbers typed are said again."""
        draft = self.draft()
        self.query_one("#section-phones", Static).update(self._phones_heading(draft))
        for spec in PHONE_ROWS:
            typed = self.query_one(f"#{widget_id(spec.id)}", Input).value
            if typed.strip():
                self._phone_note(spec.id, typed)

    def _row(self, field_id: str, label: str, widget: Widget) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(label, classes="field-label")
            yield widget
        yield from self._under(field_id)

    def _under(self, field_id: str) -> ComposeResult:
        """What goes under a field: its message line, and the read-only stored value with
        its Remove box (hidden unless the stored value was kept out of the field)."""
        yield Static("", id=message_id(field_id), classes="message hidden")
        kept = field_id in self.kept
        yield Static(
            self._stored_note(field_id) if kept else "",
            id=stored_id(field_id),
            classes="message stored" + ("" if kept else " hidden"),
        )
        yield Tick(
            "Remove the stored value",
            id=remove_id(field_id),
            classes="remove-stored" + ("" if kept else " hidden"),
            compact=True,
        )

    def _prefill(self, field_id: str, value: str, validator: Validator) -> str:
        """What an editable field may start with: ``value``, or '' when it may not be edited
        as is (it is then kept, and shown read-only under the field)."""
        self._validators[field_id] = validator
        self.kept.pop(field_id, None)
        if not value or (editable(value) and validator.validate(value).is_valid):
            return value
        self.kept[field_id] = value
        return ""

    def _stored_note(self, field_id: str) -> Text:
        value = self.kept[field_id]
        note = KEPT_NOTE if not editable(value) else INVALID_NOTE
        return Text.assemble(
            ("Stored: ", "bold"), safe(value, STORED_WIDTH), "\n", (note, "italic")
        )

    def _show_kept(self, field_id: str) -> None:
        """Show or hide the read-only stored value under a field, after a (re)fill."""
        kept = field_id in self.kept
        note = self.query_one(f"#{stored_id(field_id)}", Static)
        note.update(self._stored_note(field_id) if kept else "")
        note.set_class(not kept, "hidden")
        remove = self.query_one(f"#{remove_id(field_id)}", Checkbox)
        remove.value = False
        remove.set_class(not kept, "hidden")

    def _title(self) -> Text:
        title = Text(self.request.mode.value, style="bold")
        contact = self.request.contact
        if contact is not None:
            title.append(f"  {safe(contact.display_name, 40)}")
            title.append(f"  version {self.version}", style="dim")
        title.append("   * required", style="dim")
        return title

    # --- reading the fields ------------------------------------------------------------

    def draft(self) -> ContactDraft:
        """What is in the form now: what is typed, and each kept stored value the agent has
        neither replaced nor removed (see the module doc)."""

        def value(field_id: str) -> str:
            typed = self.query_one(f"#{widget_id(field_id)}", Input).value
            if typed or field_id not in self.kept:
                return typed
            if self.query_one(f"#{remove_id(field_id)}", Checkbox).value:
                return ""
            return self.kept[field_id]

        # Fields the form has no row for keep what the form opened with.
        texts: dict[str, Any] = {
            f.attr: value(f.id) if f.on_form else getattr(self.base, f.attr) for f in TEXT_FIELDS
        }
        return ContactDraft(
            **texts,
            phones={
                f.phone_kind: PhoneDraft(
                    value(f.id), self.query_one(f"#sms-{f.id}", Checkbox).value
                )
                for f in PHONE_ROWS
            },
            emails={f.email_kind: value(f.id) for f in EMAIL_ROWS},
            address={f.part: value(f.id) for f in ADDRESS_ROWS},
            survey_opt_out=self.query_one("#survey", Checkbox).value,
        )

    def fill(self, draft: ContactDraft) -> None:
        """Put a draft's values into the fields (after a reload onto a newer version), each
        one kept out of its field as when the form opened if it may not be edited as is."""
        for field_id in INPUT_IDS:
            value = self._prefill(field_id, draft.text_of(field_id), self._validators[field_id])
            self.query_one(f"#{widget_id(field_id)}", Input).value = value
            self._show_kept(field_id)
        for spec in PHONE_ROWS:
            entry = draft.phones.get(spec.phone_kind, PhoneDraft())
            self.query_one(f"#sms-{spec.id}", Checkbox).value = entry.accepts_sms
        self.query_one("#survey", Checkbox).value = draft.survey_opt_out

    @property
    def dirty(self) -> bool:
        """True when the agent has changed anything since the form opened."""
        return self.draft() != self.base.complete()

    # --- messages under fields ---------------------------------------------------------

    def show_message(self, field_id: str, message: str, level: str = "error") -> None:
        """Show (or with '' clear) the line under a field; the banner's count of fields to
        fix follows, so it never outlives the errors it counts."""
        label = self.query_one(f"#{message_id(field_id)}", Static)
        self._messages[field_id] = message
        # Rule messages can quote what was typed or stored: shown through the safe helper.
        label.update(plain(message, 400))
        label.set_class(not message, "hidden")
        label.set_class(level == "error", "-error")
        label.set_class(level == "warning", "-warning")
        label.set_class(level == "hint", "-hint")
        if message and level == "error":
            self._errors.add(field_id)
        else:
            self._errors.discard(field_id)
        if self._counting:
            self._count_errors()

    def _count_errors(self) -> None:
        """Say how many fields still need fixing, or take the banner down when none do."""
        count = len(self._errors)
        if not count:
            self._counting = False
            self.query_one("#form-banner", Static).add_class("hidden")
            return
        many = count > 1
        self._banner(
            FIX_BANNER.format(count=count, s="s" if many else "", verb="" if many else "s"),
            "error",
        )
        self._counting = True

    def _field_of(self, widget: Widget) -> str | None:
        wid = widget.id or ""
        return wid[2:].replace("-", ".", 1) if wid.startswith("f-") else None

    @on(Input.Changed)
    @on(Input.Blurred)
    def _validate_field(self, event: Input.Changed | Input.Blurred) -> None:
        field_id = self._field_of(event.input)
        if field_id == COUNTRY and isinstance(event, Input.Changed):
            self._country_changed()
        if field_id is None or event.validation_result is None:
            return
        if isinstance(event, Input.Changed) and event.input.has_focus:
            self._touched.add(field_id)
        if field_id not in self._touched and not event.value:
            # Tabbing past an empty required field is not a mistake yet; Save will say so.
            return
        if isinstance(event, Input.Changed) and field_id in LOOKUP_FIELDS:
            self._look_for_duplicates_soon()
        if not event.validation_result.is_valid:
            self.show_message(field_id, event.validation_result.failure_descriptions[0])
            return
        if field_id in PhoneKind._value2member_map_ and event.value.strip():
            self._phone_note(field_id, event.value)
            return
        self.show_message(field_id, self._holder_note(field_id), "warning")

    def _phone_note(self, field_id: str, value: str) -> None:
        """The warning under a phone field that passed its rule: not searchable, or already
        on other contacts (looked up with the other duplicates; shown when it comes)."""
        reread = self._rereads().get(field_id)
        if reread:
            self.show_message(field_id, reread, "warning")
            return
        where, source = self._countries(self.draft())[PhoneKind(field_id)]
        try:
            _, warning = check_phone(value, where)
        except RuleError as err:  # the validator passed, so this cannot happen
            self.show_message(field_id, str(err))
            return
        warning = _sourced(warning, value, where, source)
        self.show_message(field_id, warning or self._holder_note(field_id), "warning")

    # --- likely duplicates ---------------------------------------------------------------

    def _basis(self) -> tuple[str, ...]:
        """What the fields a duplicate is found by hold now (the address's country too: it
        is where a number without + is read)."""
        return tuple(self.query_one(f"#{widget_id(f)}", Input).value for f in LOOKUP_FIELDS)

    def _current_duplicates(self) -> Duplicates:
        """The duplicates last found, if the fields still hold what they were found for."""
        if self._duplicates_basis and self._duplicates_basis == self._basis():
            return self.duplicates
        return Duplicates()

    def _holder_note(self, field_id: str, found: Duplicates | None = None) -> str:
        """The warning under a phone or email field whose value other contacts hold (as
        ``found`` says; by default the duplicates found for what the fields hold now), or ''."""
        found = self._current_duplicates() if found is None else found
        holders = found.holding(field_id)
        if not holders:
            return ""
        stops = any(field_id in m.field_ids for m in found.stopping())
        then = "Saving asks what to do." if stops else "It was already shared."
        what = "address" if field_id in EmailKind._value2member_map_ else "number"
        more = f" and {len(holders) - 1} more" if len(holders) > 1 else ""
        key = self._key_for("form.open_holder")
        opens = f"; {key} shows them" if key else ""
        return f"This {what} is already on {safe(holders[0].display_name, 40)}{more}{opens}. {then}"

    def _look_for_duplicates_soon(self) -> None:
        """Look for likely duplicates once the agent pauses typing."""
        if self._find_duplicates is None:
            return
        if self._duplicates_due is not None:
            self._duplicates_due.stop()
        self._duplicates_due = self.set_timer(DUPLICATE_PAUSE, self._look_for_duplicates)

    def _look_for_duplicates(self) -> None:
        self._duplicates_due = None
        basis = self._basis()
        if basis != self._duplicates_basis:
            self._duplicates_worker(self.draft(), basis)

    @work(
        thread=True,
        exclusive=True,
        group="form-duplicates",
        exit_on_error=False,
        name="Looking for likely duplicates",
        description="the contact form's look for stored contacts the entries duplicate",
    )
    def _duplicates_worker(self, draft: ContactDraft, basis: tuple[str, ...]) -> None:
        assert self._find_duplicates is not None
        try:
            found = self._find_duplicates(draft)
        except (PermissionDenied, StoreError):
            return  # the notes are a courtesy: Save looks again before writing
        self.post_message(self.DuplicatesFound(basis, found))

    @on(DuplicatesFound)
    def _got_duplicates(self, event: DuplicatesFound) -> None:
        if event.basis != self._basis():
            return  # typed on meanwhile; the look for the new text gives its own answer
        self._show_duplicates(event.basis, event.duplicates)

    def _show_duplicates(self, basis: tuple[str, ...], duplicates: Duplicates) -> None:
        """Show what was found: a note under each field another contact holds the value of,
        and the soft matches in the note under the help line."""
        fields = DUPLICATE_BASIS[2:]  # the phones and emails
        before = {f: self._holder_note(f, self.duplicates) for f in fields}
        self.duplicates, self._duplicates_basis = duplicates, basis
        for field_id in fields:
            if field_id in self._errors:
                continue
            note = self._holder_note(field_id)
            if note:
                self.show_message(field_id, note, "warning")
            elif before[field_id] and self._messages.get(field_id) == before[field_id]:
                self.show_message(field_id, "")  # no longer true
        soft = self.query_one("#form-duplicates", Static)
        soft.update(self._soft_note(duplicates.soft))
        soft.set_class(not duplicates.soft, "hidden")
        self.refresh_bindings()

    @staticmethod
    def _soft_note(soft: tuple[DuplicateMatch, ...]) -> Text:
        """'Maybe already in Contacts: Sam Lee (same name and postal code 46204) and 1 more.'"""
        if not soft:
            return Text()
        first = soft[0]
        more = f" and {len(soft) - 1} more" if len(soft) > 1 else ""
        return Text.assemble(
            ("Maybe already in Contacts: ", "bold"),
            safe(first.contact.display_name, 40),
            f" ({safe(', '.join(first.reasons), 80)}){more}. You can still save.",
        )

    def _key_for(self, binding_id: str) -> str:
        """The first key that runs a binding of this form now (after the agent's keymap)."""
        for active in self.active_bindings.values():
            if active.node is self and active.binding.id == binding_id:
                return self.app.get_key_display(active.binding)
        return ""

    def on_descendant_focus(self, event: object) -> None:
        """An empty field with an offer says what → would put in."""
        focused = self.focused
        if isinstance(focused, OfferingInput) and focused.offer:
            field_id = self._field_of(focused)
            if field_id:
                self.show_message(
                    field_id, f"Suggested: {focused.offer}  (press → to accept)", "hint"
                )

    def on_descendant_blur(self, event: object) -> None:
        """Drop a suggestion hint when the agent moves on without taking it."""
        for widget in self.query(OfferingInput):
            field_id = self._field_of(widget)
            label = self.query_one(f"#{message_id(field_id or '')}", Static)
            if label.has_class("-hint") and widget is not self.focused:
                self.show_message(field_id or "", "")

    # --- keys ----------------------------------------------------------------------------

    def action_jump(self, section: str) -> None:
        """Move to a section: its first field holding something, else its first field."""
        if section == "survey":
            self.set_focus(self.query_one("#survey", Checkbox))
            return
        rows = {"phones": PHONE_ROWS, "emails": EMAIL_ROWS, "address": ADDRESS_ROWS}[section]
        ids = [f.id for f in rows]
        inputs = [self.query_one(f"#{widget_id(f)}", Input) for f in ids]
        if section != "address":  # the address is filled top down; phones and emails are not
            inputs = [i for i in inputs if i.value] + inputs
        # set_focus, not focus(): focus() waits a message, and the next key must find it moved.
        self.set_focus(inputs[0])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The holder key applies only while a phone or email field's value is on other
        contacts."""
        if action == "open_holder":
            return self._holder_to_show() is not None
        return True

    def _holder_to_show(self) -> Contact | None:
        """The contact holding the focused field's number or address, else the first
        field's holder."""
        focused = self.focused
        field_id = self._field_of(focused) if focused is not None else None
        order = list(DUPLICATE_BASIS[2:])
        if field_id in order:
            order.remove(field_id)
            order.insert(0, field_id)
        found = self._current_duplicates()
        for candidate in order:
            holders = found.holding(candidate)
            if holders:
                return holders[0]
        return None

    def action_open_holder(self) -> None:
        """Show, read-only, the contact that already has this number or address."""
        contact = self._holder_to_show()
        if contact is not None:
            self._show_card(contact)

    def _show_card(self, contact: Contact) -> None:
        """A stored contact, read-only, over the form (Escape comes back to it)."""
        # Imported here: the directory imports this module (through the form opener).
        from contact_tui.ui.screens.directory import ContactCard

        self.app.push_screen(ContactCard(contact, can_link=False, can_edit=False))

    @on(Checkbox.Changed, ".remove-stored")
    def _remove_toggled(self, event: Checkbox.Changed) -> None:
        """Ticking Remove answers a kept value's error, so the error goes (Save checks again)."""
        field_id = (event.checkbox.id or "")[2:].replace("-", ".", 1)
        if event.value and field_id in self._errors:
            self.show_message(field_id, "")

    # --- saving --------------------------------------------------------------------------

    def action_save(self) -> None:
        """Check every field again, move to the first problem, or save in a worker."""
        if self.saving:
            return
        draft = self.draft()
        result = check_draft(draft, self.phone_region)
        countries = {k.value: c for k, c in self._countries(draft).items()}
        self._touched.update(INPUT_IDS)
        for field_id in INPUT_IDS:
            if field_id in result.errors and self._is_kept(field_id):
                self.show_message(field_id, KEPT_ERROR)
            elif field_id in result.errors:
                self.show_message(field_id, result.errors[field_id])
            elif field_id in result.warnings:
                warning = result.warnings[field_id]
                if field_id in countries:
                    text = draft.phones[PhoneKind(field_id)].text
                    warning = _sourced(warning, text, *countries[field_id])
                self.show_message(field_id, warning, "warning")
            else:
                self.show_message(field_id, self._holder_note(field_id), "warning")
        if result.errors:
            first = next(f for f in INPUT_IDS if f in result.errors)
            self.set_focus(self.query_one(f"#{widget_id(first)}"))
            self._count_errors()
            return
        self.saving = True
        self._banner("Saving…", "info")
        self._save_in_worker(draft, self.version, self._basis(), self._accepted)

    def _is_kept(self, field_id: str) -> bool:
        """True when the field holds a kept stored value the agent has not replaced."""
        return field_id in self.kept and not self.query_one(f"#{widget_id(field_id)}", Input).value

    @work(
        thread=True,
        exclusive=True,
        group="form-save",
        exit_on_error=False,
        name="Saving the contact",
        description="the contact form's save",
    )
    def _save_in_worker(
        self,
        draft: ContactDraft,
        version: int,
        basis: tuple[str, ...],
        accepted: frozenset[str],
    ) -> None:
        """Look for likely duplicates once more (the store now, not as the notes found it):
        a stored contact holding a number or address of the entries that the agent has not
        chosen to save beside stops the save, and the form offers what to do. Then save."""
        if self._find_duplicates is not None:
            try:
                found = self._find_duplicates(draft)
            except (PermissionDenied, StoreError):
                found = Duplicates()  # the save says what is wrong, or goes ahead
            if found.stopping(accepted):
                self.post_message(self.DuplicatesStop(basis, found))
                return
        try:
            saved = self._save(draft, version)
        except ConflictError as err:
            self.post_message(self.Conflicted(err))
        except InvalidInput as err:
            self.post_message(self.Refused(err))
        except (PermissionDenied, StoreError) as err:
            self.post_message(self.Failed(str(err)))
        else:
            self.post_message(self.Saved(saved))

    @on(Saved)
    def _on_saved(self, event: Saved) -> None:
        self.dismiss(event.contact)

    @on(DuplicatesStop)
    def _on_duplicates(self, event: DuplicatesStop) -> None:
        self.saving = False
        self._show_duplicates(event.basis, event.duplicates)
        matches = event.duplicates.stopping(self._accepted)
        self._banner(self._not_saved(matches), "warning")
        self.app.push_screen(
            DuplicateOffer(
                matches, can_link=self._link is not None, can_merge=self._merge_offered()
            ),
            self._offer_answered,
        )

    def _merge_offered(self) -> bool:
        """Merge is offered while the form still promotes the ephemeral contact (after a
        conflict it may save onto a curated one as an edit, which no merge replaces)."""
        contact = self.request.contact
        return (
            self._merge is not None
            and self.request.mode == FormMode.PROMOTE
            and contact is not None
            and contact.type == ContactType.EPHEMERAL
        )

    @staticmethod
    def _not_saved(matches: tuple[DuplicateMatch, ...]) -> str:
        more = f" (and {len(matches) - 1} more)" if len(matches) > 1 else ""
        return (
            f"Not saved yet: {matches[0].contact.display_name}{more} "
            f"{', '.join(matches[0].reasons)}. Your entries are still here; Save asks again."
        )

    def _offer_answered(self, answer: Answer | None) -> None:
        """Do what the agent chose about the duplicate; going back leaves the form as it was."""
        if answer is None:
            return
        contact = answer.match.contact
        if answer.choice == Choice.OPEN:
            self._show_card(contact)
        elif answer.choice == Choice.LINK and self._link is not None:
            self.saving = True
            self._banner("Linking…", "info")
            self._link_in_worker(contact)
        elif answer.choice == Choice.MERGE and self._merge_offered():
            self.saving = True
            self._banner("Merging…", "info")
            self._merge_in_worker(contact)
        elif answer.choice == Choice.SAVE:
            self._accepted |= {m.contact.id for m in self.duplicates.hard}
            self.action_save()

    @work(
        thread=True,
        exclusive=True,
        group="form-save",
        exit_on_error=False,
        name="Linking the interaction",
        description="the contact form's link of its interaction to a likely duplicate",
    )
    def _link_in_worker(self, contact: Contact) -> None:
        assert self._link is not None
        try:
            self._link(contact)
        except (InvalidInput, PermissionDenied, StoreError) as err:
            self.post_message(self.Failed(str(err)))
        else:
            self.post_message(self.Linked(contact))

    @on(Linked)
    def _on_linked(self, event: Linked) -> None:
        said = (
            f"Linked the interaction to {safe(event.contact.display_name, 40)}; "
            "no contact was saved."
        )
        app = self.app
        self.dismiss(None)
        # Said once the form is gone: the main screen's notice line, not a toast over it.
        app.call_after_refresh(app.notify, said)

    @work(
        thread=True,
        exclusive=True,
        group="form-save",
        exit_on_error=False,
        name="Merging the contacts",
        description="the contact form's merge of the caller's contact into a likely duplicate",
    )
    def _merge_in_worker(self, contact: Contact) -> None:
        assert self._merge is not None and self.request.contact is not None
        other = self.request.contact.display_name
        try:
            kept = self._merge(contact)
        except (InvalidInput, PermissionDenied, StoreError) as err:
            # A collision (a number with no room on the kept contact), a contact changed
            # since (ConflictError), a store that cannot be written: said, nothing merged.
            self.post_message(self.NotMerged(str(err)))
        else:
            self.post_message(self.Merged(kept, other))

    @on(Merged)
    def _on_merged(self, event: Merged) -> None:
        said = (
            f"Merged {safe(event.other, 40)} into {safe(event.kept.display_name, 40)}; the "
            "interaction is linked to it and your typed changes were not saved."
        )
        app = self.app
        self.dismiss(None)
        # Said once the form is gone: the main screen's notice line, not a toast over it.
        app.call_after_refresh(app.notify, said, markup=False, timeout=12)

    @on(NotMerged)
    def _on_not_merged(self, event: NotMerged) -> None:
        self.saving = False
        self._banner(
            f"Not merged: {event.message} Your entries are still here; save to choose again.",
            "error",
        )

    @on(Refused)
    def _on_invalid(self, event: Refused) -> None:
        err = event.error
        self.saving = False
        if self.request.mode == FormMode.PROMOTE and not err.errors and self._reload:
            # No field at fault: someone else may have added it to Contacts first; find who.
            self._banner(f"Not saved: {err}", "warning")
            self._reload_in_worker(self._stored_base(), self.draft(), refused=str(err))
            return
        for field_id, message in err.errors.items():
            if field_id in self._validators:
                self.show_message(field_id, KEPT_ERROR if self._is_kept(field_id) else message)
        if err.errors and all(f in self._validators for f in err.errors):
            self._count_errors()  # every one is shown under its field, and counted down
        else:
            self._banner(str(err), "error")

    @on(Failed)
    def _on_failed(self, event: Failed) -> None:
        self.saving = False
        self._banner(f"Not saved: {event.message} Your entries are still here.", "error")

    @on(Conflicted)
    def _on_conflict(self, event: Conflicted) -> None:
        self.saving = False
        self._banner(f"Not saved: {event.error} Loading their version…", "warning")
        self._reload_in_worker(self._stored_base(), self.draft())

    def _stored_base(self) -> ContactDraft:
        """The stored version the entries started from, as it was stored: what each agent's
        changes are measured against (the form's own base may hold a number moved to its
        slot, which is this agent's change, not theirs)."""
        contact = self.request.contact
        if contact is not None and contact.version == self.version:
            return ContactDraft.from_contact(contact)
        return self.base

    @work(
        thread=True,
        exclusive=True,
        group="form-save",
        exit_on_error=False,
        name="Loading the version saved meanwhile",
        description="the contact form's read of the newer version after a refused save",
    )
    def _reload_in_worker(self, base: ContactDraft, mine: ContactDraft, refused: str = "") -> None:
        """Read the version saved meanwhile and put the conflict to the agent. ``refused`` is
        a promote's refusal: a race only if the contact is now in Contacts."""
        if self._reload is None:
            return
        try:
            latest = self._reload()
        except StoreError as err:
            self.post_message(self.Failed(str(err)))
            return
        if refused and latest.type != ContactType.CURATED:
            self.post_message(self.Failed(refused))
            return
        self.post_message(self.ConflictLoaded(Conflict(base, mine, latest, promoted=bool(refused))))

    @on(ConflictLoaded)
    def _show_conflict(self, event: ConflictLoaded) -> None:
        conflict = event.conflict
        latest = conflict.latest
        if conflict.promoted and self._edit is None:
            self._banner(
                f"Not saved: {safe(conflict.who, 40)} added this contact to Contacts first "
                f"({when(latest.modify_date)}), and your role may not edit it, so your entries "
                "cannot go onto it. Cancel closes the form.",
                "error",
            )
            return
        # Named as the form shows it: their save may have changed the name.
        shown = self.request.contact or latest
        self.app.push_screen(
            ConflictDialog(conflict, shown.display_name),
            lambda answer: self._resolved(conflict, answer),
        )

    def _resolved(self, conflict: Conflict, answer: ConflictAnswer | None) -> None:
        latest = conflict.latest
        saved = f"{safe(conflict.who, 40)}, {when(latest.modify_date)}"
        if answer is None:
            self._banner(
                f"Not saved: version {latest.version} ({saved}) is newer. Your entries are "
                "still here; save to choose again, or Cancel discards them.",
                "warning",
            )
            return
        if conflict.promoted and self._edit is not None:
            # It is in Contacts now: from here on the form saves onto it as an edit.
            self._save = self._edit
            self.request = replace(self.request, mode=FormMode.EDIT, contact=latest)
        self.base = conflict.theirs
        self.version = latest.version
        self.query_one("#form-title", Static).update(self._title())
        if answer.resolution == Resolution.OVERWRITE:
            self.action_save()  # the form as it is, over their version: this agent's edit
        elif answer.resolution == Resolution.THEIRS:
            self.fill(conflict.theirs)
            self._banner(
                f"Showing version {latest.version} as {saved} saved it; your entries were "
                "dropped. Edit and save, or Cancel.",
                "warning",
            )
        else:
            self.fill(conflict.merged(answer.theirs_for))
            self._banner(
                f"Merged onto version {latest.version} ({saved}). Review, then save.", "warning"
            )

    def worker_failed(self, worker: Worker[Any], error: BaseException | None) -> None:
        """A save (or the read after a refused one) raised what it did not expect, and the app
        has said so: the form takes Ctrl+S again, every entry still in its field. A failed
        number lookup held nothing busy; its warning is a courtesy."""
        if worker.group != "form-save":
            return
        self.saving = False
        what = type(error).__name__ if error is not None else "no detail"
        # The key as the agent's keymap has it (the button keeps Textual's default label).
        key = self._key_for("form.save") or "Save"
        self._banner(
            f"The save stopped with an unexpected error ({what}), so it may not have been "
            f"made; your entries are still here: press {key} to try again, or Cancel.",
            "error",
        )

    def _banner(self, message: str, level: str) -> None:
        self._counting = False
        banner = self.query_one("#form-banner", Static)
        # Store and rule messages can quote stored text: shown through the safe helper.
        banner.update(plain(message, 1000))
        banner.remove_class("hidden", "-error", "-warning", "-info")
        banner.add_class(f"-{level}")

    def action_cancel(self) -> None:
        """Close without saving; asks first when something was typed."""
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(
                Text("Discard what you typed in this form?"),
                yes="Discard [y]",
                no="Keep editing [n]",
            ),
            answered,
        )


def _sourced(warning: str, text: str, where: str, source: CountryFrom) -> str:
    """A warning about a number without + read in the address's country, saying so as an
    import says it ("(Germany (+49) was taken from the contact's address.)"); others as they
    are."""
    if source == CountryFrom.ADDRESS:
        return with_source(warning, text, where, ADDRESS_SOURCE)
    return warning
