"""Opening the contact form for create, promote and edit, shared by the main screen and the
directory so both behave the same way.

Each opener returns what ``push_screen`` returns: an action bound to a key can return it, and
Textual then waits until the form is mounted and its first field has the focus before it
hands on the next key, so letters typed right after the key land in the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.app import App
from textual.widget import AwaitMount

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.identity import identity_for_sender
from contact_tui.domain.model import (
    Channel,
    Contact,
    ContactType,
    Interaction,
    PhoneKind,
    Platform,
)
from contact_tui.domain.permissions import UseCase
from contact_tui.domain.rules import phone_key
from contact_tui.domain.suggest import caller_phone, email_suggestions, phone_suggestions
from contact_tui.service import ContactService
from contact_tui.ui.screens.contact_form import (
    ContactForm,
    DuplicatesFunction,
    FormMode,
    FormRequest,
    LinkFunction,
    MergeFunction,
)

Done = Callable[[Contact | None], None]


def identity_line(interaction: Interaction | None, contact: Contact | None, region: str) -> str:
    """The read-only channel identity the form shows on a message interaction."""
    if interaction is None or interaction.channel != Channel.MESSAGE:
        return ""
    platform = interaction.platform
    if platform is None or platform == Platform.SMS:
        return ""
    if contact is not None and (existing := contact.identity(platform)) is not None:
        return existing.describe()
    return identity_for_sender(platform, interaction.from_, region).describe()


def own_interaction(interaction: Interaction | None, contact: Contact | None) -> Interaction | None:
    """``interaction`` when the form is about its own contact (a new contact made from it, or
    the contact linked to it), else None: another contact's form (opened from the directory
    during a call) must not show this conversation's identity or offer its numbers."""
    if interaction is None:
        return None
    if contact is None or interaction.contact_id == contact.id:
        return interaction
    return None


def with_caller_in_place(
    draft: ContactDraft, interaction: Interaction | None, region: str
) -> ContactDraft:
    """``draft`` with a voice caller's number in the slot its kind of line belongs in (Cell
    for a mobile, Work for a landline), so the agent need not Tab to it.

    A new contact gets the number in that slot; an ephemeral contact, which the system made
    with the number in Other because it could not know better, has it moved there. A slot the
    agent or the contact already filled is left alone.
    """
    found = caller_phone(interaction, region)
    if found is None:
        return draft
    kind, display = found
    phones = dict(draft.phones)
    if phones.get(kind, PhoneDraft()).text:
        return draft
    caller = phone_key(display, region)
    holding = [k for k, p in phones.items() if p.text and phone_key(p.text, region) == caller]
    if holding == [PhoneKind.OTHER]:
        phones[kind] = phones.pop(PhoneKind.OTHER)
    elif holding:
        return draft  # the number is already where the agent or the contact put it
    else:
        phones[kind] = PhoneDraft(display)
    return replace(draft, phones=phones)


class FormOpener:
    """Builds the form's request and save function for each kind of change."""

    def __init__(self, app: App[object], service: ContactService) -> None:
        self.app = app
        self.service = service

    def _request(
        self,
        mode: FormMode,
        draft: ContactDraft,
        contact: Contact | None,
        interaction: Interaction | None,
    ) -> FormRequest:
        region = self.service.region
        own = own_interaction(interaction, contact)
        if mode != FormMode.EDIT:
            draft = with_caller_in_place(draft, own, region)
        return FormRequest(
            mode=mode,
            draft=draft,
            contact=contact,
            identity=identity_line(own, contact, region),
            phone_offers=tuple(phone_suggestions(own, region)),
            email_offers=tuple(email_suggestions(own)),
        )

    def _duplicates(self, contact: Contact | None) -> DuplicatesFunction | None:
        """The stored contacts the entries likely duplicate (``contact`` itself left out),
        for the form's notes and its stop before saving; None without view."""
        service = self.service
        if not service.allowed(UseCase.VIEW_CONTACTS):
            return None
        exclude = contact.id if contact is not None else None
        return lambda draft: service.likely_duplicates(draft, exclude)

    def _link(
        self, interaction: Interaction | None, contact: Contact | None
    ) -> LinkFunction | None:
        """Links the form's interaction to a likely duplicate instead of saving: only for a
        form about the interaction's own contact (a new one made from it, or the one linked
        to it), and only when the agent may link."""
        service = self.service
        own = own_interaction(interaction, contact)
        if own is None or not service.allowed(UseCase.LINK):
            return None
        interaction_id = own.id
        return lambda duplicate: service.link(interaction_id, duplicate.id)

    def _merge(self, mode: FormMode, contact: Contact) -> MergeFunction | None:
        """Add to Contacts only, when the agent may merge: merges the ephemeral contact being
        promoted into a likely duplicate instead of saving (the typed entries are not applied;
        the merge relinks its interactions) and returns the kept contact."""
        service = self.service
        if (
            mode != FormMode.PROMOTE
            or contact.type != ContactType.EPHEMERAL
            or not service.allowed(UseCase.MERGE_CONTACTS)
        ):
            return None
        other_id = contact.id
        return lambda duplicate: service.merge(keep_id=duplicate.id, other_id=other_id).contact

    def create(
        self, interaction: Interaction | None, done: Done, start: ContactDraft | None = None
    ) -> AwaitMount:
        """Create New Contact, linked to ``interaction`` when there is one, starting from
        ``start`` (what the directory's search box held) when given."""
        service = self.service
        interaction_id = interaction.id if interaction is not None else None

        def save(draft: ContactDraft, _version: int) -> Contact:
            return service.create_contact(draft, interaction_id=interaction_id)

        request = self._request(FormMode.CREATE, start or ContactDraft(), None, interaction)
        form = ContactForm(
            request,
            service.region,
            save,
            duplicates=self._duplicates(None),
            link=self._link(interaction, None),
        )
        return self.app.push_screen(form, done)

    def promote(self, contact: Contact, interaction: Interaction | None, done: Done) -> AwaitMount:
        """Add to Contacts: the form opens with what the ephemeral contact already holds."""
        return self._change(FormMode.PROMOTE, contact, interaction, done)

    def edit(self, contact: Contact, interaction: Interaction | None, done: Done) -> AwaitMount:
        """Edit a contact."""
        return self._change(FormMode.EDIT, contact, interaction, done)

    def _change(
        self, mode: FormMode, contact: Contact, interaction: Interaction | None, done: Done
    ) -> AwaitMount:
        service = self.service
        contact_id = contact.id

        def save(draft: ContactDraft, version: int) -> Contact:
            if mode == FormMode.PROMOTE:
                return service.promote(contact_id, draft, version)
            return service.edit(contact_id, draft, version)

        def reload() -> Contact:
            service.refresh()
            return service.contact(contact_id)

        def edit(draft: ContactDraft, version: int) -> Contact:
            return service.edit(contact_id, draft, version)

        # Someone else may add it to Contacts first: the entries can then go on as an edit.
        fallback = (
            edit if mode == FormMode.PROMOTE and service.allowed(UseCase.EDIT_CONTACT) else None
        )
        request = self._request(mode, ContactDraft.from_contact(contact), contact, interaction)
        form = ContactForm(
            request,
            service.region,
            save,
            reload,
            duplicates=self._duplicates(contact),
            edit=fallback,
            link=self._link(interaction, contact),
            merge=self._merge(mode, contact),
        )
        return self.app.push_screen(form, done)
