"""Opening the contact form for create, promote and edit, shared by the main screen and the
directory so both behave the same way."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.identity import identity_for_sender
from contact_tui.domain.model import Channel, Contact, Interaction, Platform
from contact_tui.domain.suggest import email_suggestions, phone_suggestions
from contact_tui.service import ContactService
from contact_tui.ui.screens.contact_form import ContactForm, FormMode, FormRequest

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
        return FormRequest(
            mode=mode,
            draft=draft,
            contact=contact,
            identity=identity_line(interaction, contact, region),
            phone_offers=tuple(phone_suggestions(interaction, region)),
            email_offers=tuple(email_suggestions(interaction)),
        )

    def create(self, interaction: Interaction | None, done: Done) -> None:
        """Create New Contact, linked to ``interaction`` when there is one."""
        service = self.service
        interaction_id = interaction.id if interaction is not None else None

        def save(draft: ContactDraft, _version: int) -> Contact:
            return service.create_contact(draft, interaction_id=interaction_id)

        request = self._request(FormMode.CREATE, ContactDraft(), None, interaction)
        self.app.push_screen(ContactForm(request, service.region, save), done)

    def promote(self, contact: Contact, interaction: Interaction | None, done: Done) -> None:
        """Add to Contacts: the form opens with what the ephemeral contact already holds."""
        self._change(FormMode.PROMOTE, contact, interaction, done)

    def edit(self, contact: Contact, interaction: Interaction | None, done: Done) -> None:
        """Edit a contact."""
        self._change(FormMode.EDIT, contact, interaction, done)

    def _change(
        self, mode: FormMode, contact: Contact, interaction: Interaction | None, done: Done
    ) -> None:
        service = self.service
        contact_id = contact.id

        def save(draft: ContactDraft, version: int) -> Contact:
            if mode == FormMode.PROMOTE:
                return service.promote(contact_id, draft, version)
            return service.edit(contact_id, draft, version)

        def reload() -> Contact:
            service.repo.refresh()
            return service.contact(contact_id)

        request = self._request(mode, ContactDraft.from_contact(contact), contact, interaction)
        self.app.push_screen(ContactForm(request, service.region, save, reload), done)
