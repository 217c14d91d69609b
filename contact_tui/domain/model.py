"""Plain data for contacts and interactions, shaped after Genesys Cloud's ExternalContact.

Nothing here does I/O or knows about TinyDB or Textual. The store converts documents to
and from these types in one module (``contact_tui.domain.codec``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any


class ContactType(StrEnum):
    """How a contact came to be: created by the system, identified, or curated by an agent."""

    EPHEMERAL = "Ephemeral"
    IDENTIFIED = "Identified"
    CURATED = "Curated"


class PhoneKind(StrEnum):
    """The four phone slots of a contact; the value is the Genesys JSON key."""

    WORK = "workPhone"
    HOME = "homePhone"
    CELL = "cellPhone"
    OTHER = "otherPhone"

    @property
    def label(self) -> str:
        """The word an agent sees next to the field."""
        return {"workPhone": "Work", "homePhone": "Home", "cellPhone": "Cell"}.get(
            self.value, "Other"
        )

    @property
    def attr(self) -> str:
        """The :class:`Contact` attribute holding this slot: 'work_phone'."""
        return f"{self.value.removesuffix('Phone')}_phone"


class EmailKind(StrEnum):
    """The three email slots of a contact; the value is the Genesys JSON key."""

    WORK = "workEmail"
    PERSONAL = "personalEmail"
    OTHER = "otherEmail"

    @property
    def label(self) -> str:
        """The word an agent sees next to the field."""
        return {"workEmail": "Work", "personalEmail": "Personal"}.get(self.value, "Other")

    @property
    def attr(self) -> str:
        """The :class:`Contact` attribute holding this slot: 'personal_email'."""
        return f"{self.value.removesuffix('Email')}_email"


class Channel(StrEnum):
    """The media type of an interaction."""

    VOICE = "voice"
    EMAIL = "email"
    MESSAGE = "message"


class Platform(StrEnum):
    """The messaging platform of a message interaction."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    FACEBOOK = "facebook"
    TWITTER = "twitter"
    LINE = "line"
    INSTAGRAM = "instagram"
    WEBCHAT = "webchat"

    @property
    def label(self) -> str:
        """The platform's name as agents know it."""
        return _PLATFORM_LABELS[self]


_PLATFORM_LABELS = {
    Platform.SMS: "SMS",
    Platform.WHATSAPP: "WhatsApp",
    Platform.FACEBOOK: "Facebook",
    Platform.TWITTER: "X",
    Platform.LINE: "LINE",
    Platform.INSTAGRAM: "Instagram",
    Platform.WEBCHAT: "Web chat",
}

# Platforms whose identity lives on the contact as a messaging id (SMS is matched by phone).
IDENTITY_PLATFORMS = (
    Platform.WHATSAPP,
    Platform.FACEBOOK,
    Platform.TWITTER,
    Platform.LINE,
    Platform.INSTAGRAM,
    Platform.WEBCHAT,
)


class InteractionState(StrEnum):
    """Where an interaction is in its life."""

    ALERTING = "alerting"
    CONNECTED = "connected"
    ENDED = "ended"


class MatchKind(StrEnum):
    """How many existing contacts an interaction's identity matched when it arrived."""

    NONE = "none"
    SINGLE = "single"
    MULTIPLE = "multiple"


class Permission(StrEnum):
    """What a role may do. The first four follow Genesys Cloud's permission names."""

    VIEW = "externalContacts:contact:view"
    ADD = "externalContacts:contact:add"
    EDIT = "externalContacts:contact:edit"
    PROMOTE = "externalContacts:identity:promote"
    ADMIN = "contactTui:settings:edit"
    # Creating an interaction in another agent's queue: the routing integration's account.
    ROUTE = "contactTui:interaction:route"
    # Reading, and acting on, interactions routed to other agents: supervisors.
    VIEW_ALL_INTERACTIONS = "contactTui:interaction:viewAll"
    # Editing or deleting contact notes other agents wrote: supervisors.
    NOTE_EDIT_ALL = "contactTui:note:editAll"
    # Merging two contacts into one and undoing a merge (Genesys Identity > Merge).
    MERGE = "externalContacts:identity:merge"
    # Erasing a contact for an erasure request: its data leaves the store, audit included.
    DELETE = "externalContacts:contact:delete"

    @property
    def label(self) -> str:
        """A short phrase for messages: 'add contacts'."""
        return _PERMISSION_LABELS[self]


_PERMISSION_LABELS = {
    Permission.VIEW: "view contacts",
    Permission.ADD: "add contacts",
    Permission.EDIT: "edit contacts",
    Permission.PROMOTE: "promote contacts (Add to Contacts)",
    Permission.ADMIN: "change admin settings",
    Permission.ROUTE: "hand interactions to other agents",
    Permission.VIEW_ALL_INTERACTIONS: "see or act on other agents' interactions",
    Permission.NOTE_EDIT_ALL: "edit or delete other agents' contact notes",
    Permission.MERGE: "merge contacts",
    Permission.DELETE: "delete contacts (erasure)",
}


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number as Genesys stores it.

    ``e164`` and ``country_code`` are set only when the number parsed as a possible number;
    such a number is searchable. Anything else is kept as typed in ``display``.
    """

    display: str
    user_input: str = ""
    e164: str | None = None
    country_code: int | None = None
    accepts_sms: bool = False
    extension: int | None = None

    @property
    def searchable(self) -> bool:
        """True when the number has an E.164 form and so can be found by search and matching."""
        return self.e164 is not None


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address; every part optional."""

    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country_code: str = ""

    def is_empty(self) -> bool:
        """True when no part is filled in."""
        return not any(
            (
                self.address1,
                self.address2,
                self.city,
                self.state,
                self.postal_code,
                self.country_code,
            )
        )

    def lines(self) -> list[str]:
        """The address as the lines of a label, skipping empty parts."""
        locality = " ".join(p for p in (self.city, self.state, self.postal_code) if p)
        return [p for p in (self.address1, self.address2, locality, self.country_code) if p]


@dataclass(frozen=True, slots=True)
class MessagingIdentity:
    """A customer's identity on one messaging platform.

    ``ids`` are the platform's own ids (a WhatsApp number in E.164, Facebook scoped ids, an X
    user id, LINE user ids, Instagram scoped ids, a web-chat cookie id); a contact matches a
    message when any of them equals the sender's id.
    """

    platform: Platform
    ids: tuple[str, ...]
    display_name: str = ""
    handle: str = ""

    def summary(self) -> str:
        """The ids, handle and display name: '+447700900123, display name Sam'."""
        text = ", ".join(self.ids)
        if self.handle:
            text += f" (@{self.handle})"
        if self.display_name:
            text += f", display name {self.display_name}"
        return text

    def describe(self) -> str:
        """One line for the read-only identity field: 'WhatsApp +447700900123, display name Sam'."""
        return f"{self.platform.label} {self.summary()}"


@dataclass(frozen=True, slots=True)
class Contact:
    """An external contact: a customer as the contact centre knows them."""

    id: str
    type: ContactType
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    salutation: str = ""
    title: str = ""
    work_phone: PhoneNumber | None = None
    cell_phone: PhoneNumber | None = None
    home_phone: PhoneNumber | None = None
    other_phone: PhoneNumber | None = None
    work_email: str = ""
    personal_email: str = ""
    other_email: str = ""
    address: Address = field(default_factory=Address)
    identities: tuple[MessagingIdentity, ...] = ()
    survey_opt_out: bool = False
    external_system_url: str = ""
    create_date: datetime | None = None
    modify_date: datetime | None = None
    version: int = 0
    created_by: str = ""
    modified_by: str = ""
    last_interaction_date: datetime | None = None

    def phone(self, kind: PhoneKind) -> PhoneNumber | None:
        """The number in one slot."""
        phone: PhoneNumber | None = getattr(self, kind.attr)
        return phone

    def phones(self) -> list[tuple[PhoneKind, PhoneNumber]]:
        """The filled phone slots in form order."""
        return [(k, p) for k in PhoneKind if (p := self.phone(k)) is not None]

    def email(self, kind: EmailKind) -> str:
        """The address in one slot, or ''."""
        email: str = getattr(self, kind.attr)
        return email

    def emails(self) -> list[tuple[EmailKind, str]]:
        """The filled email slots in form order."""
        return [(k, e) for k in EmailKind if (e := self.email(k))]

    def identity(self, platform: Platform) -> MessagingIdentity | None:
        """The contact's identity on one platform, if any."""
        return next((i for i in self.identities if i.platform == platform), None)

    @property
    def display_name(self) -> str:
        """The name to show; falls back to the first identifier for a nameless contact."""
        name = " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)
        if name:
            return name
        for _, phone in self.phones():
            return phone.display
        for _, email in self.emails():
            return email
        for identity in self.identities:
            return identity.display_name or ", ".join(identity.ids)
        return "(no name)"

    def with_phone(self, kind: PhoneKind, phone: PhoneNumber | None) -> Contact:
        """A copy with ``phone`` in slot ``kind``."""
        # Any: mypy checks ** against every field's type, not the one this key names.
        change: dict[str, Any] = {kind.attr: phone}
        return replace(self, **change)

    def with_identity(self, identity: MessagingIdentity) -> Contact:
        """A copy holding ``identity``, replacing any on the same platform."""
        others = tuple(i for i in self.identities if i.platform != identity.platform)
        return replace(self, identities=(*others, identity))


@dataclass(frozen=True, slots=True)
class Participant:
    """One side of an interaction: an address (number, email, messaging id) and a name."""

    address: str
    name: str = ""


@dataclass(frozen=True)
class NewInteraction:
    """What the routing side hands over when an interaction arrives (the service checks it,
    matches its sender and stores it as an :class:`Interaction`)."""

    agent: str
    channel: Channel
    sender: Participant
    platform: Platform | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    transcript: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Interaction:
    """A voice call, email or message routed to an agent, and the contact it is linked to."""

    id: str
    channel: Channel
    from_: Participant
    agent: str
    started_at: datetime
    platform: Platform | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    transcript: tuple[str, ...] = ()
    state: InteractionState = InteractionState.ALERTING
    ended_at: datetime | None = None
    contact_id: str | None = None
    match: MatchKind = MatchKind.NONE
    candidate_ids: tuple[str, ...] = ()
    # What the agent wrote during or after it (issue 13): kept on the interaction, so it goes
    # wherever the interaction is relinked or merged.
    wrap_up_note: str = ""
    # The identity key its sender was matched by on arrival ("tel:+13175550123"; "" when the
    # sender had none): what an unmerge reads to send a call that a merged-in number linked to
    # the kept contact back to the contact that number returns to.
    match_key: str = ""

    @property
    def channel_label(self) -> str:
        """Plain text any terminal renders: 'Voice', 'Email', 'WhatsApp'."""
        if self.channel == Channel.MESSAGE and self.platform is not None:
            return self.platform.label
        return self.channel.value.capitalize()


class AuditAction(StrEnum):
    """What a write did, as its audit record stores it (the values are the stored words)."""

    CREATE = "create"
    EDIT = "edit"
    PROMOTE = "promote"
    LINK = "link"
    UNLINK = "unlink"
    EXPIRE = "expire"
    IMPORT = "import"
    ABSORB = "absorb"  # an ephemeral contact's interactions moved to the contact made for it
    SETTING = "setting"
    WRAP_UP = "wrap-up"  # an interaction's wrap-up note written, changed or cleared
    NOTE_ADD = "note-add"
    NOTE_EDIT = "note-edit"
    NOTE_DELETE = "note-delete"
    MERGE = "merge"  # another contact merged into this one (see MergeDetail)
    UNMERGE = "unmerge"  # a merge undone (see UnmergeDetail)
    ERASE = "erase"  # a contact erased: its record keeps who, when and the id only

    @classmethod
    def read(cls, stored: str) -> AuditAction | str:
        """The action a stored record names; a word this version does not know (written by a
        newer one, or by hand) is kept as it is, so the history still says what happened and
        the record is never refused for it."""
        try:
            return cls(stored)
        except ValueError:
            return stored


@dataclass(frozen=True, slots=True)
class Relink:
    """One interaction a merge changed: its link and candidates before and after, so an
    unmerge can put back exactly what it moved and leave what someone changed since."""

    interaction_id: str
    contact_before: str | None
    contact_after: str | None
    candidates_before: tuple[str, ...] = ()
    candidates_after: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MergeDetail:
    """What a merge did, kept in its audit record: both contacts as they were, the kept one as
    the merge left it, every interaction it relinked, and the contact notes it moved from the
    merged-away contact to the kept one (an unmerge moves them back)."""

    kept_before: Contact
    other_before: Contact
    kept_after: Contact
    relinked: tuple[Relink, ...] = ()
    moved_notes: tuple[str, ...] = ()  # note ids, in id order


@dataclass(frozen=True, slots=True)
class UnmergeDetail:
    """What an unmerge did: the merge it undid (its audit record's id), the kept contact's
    fields left as someone edited them after the merge, the interactions left where someone
    moved them since, and the later calls it sent to the restored contact."""

    undoes: str
    unrestored: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    # Interactions linked to the kept contact after the merge by a number, address or id that
    # went back with the restored contact, which the unmerge linked to it (see
    # StoreTransaction.unmerge_contacts).
    relinked: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One write to the store: who did what to which contact, and which fields changed.

    ``action`` is an :class:`AuditAction` for every record this version writes, and the plain
    stored word for one it does not know (see :meth:`AuditAction.read`)."""

    id: str
    at: datetime
    agent: str
    action: AuditAction | str
    contact_id: str | None
    fields: tuple[str, ...] = ()
    version: int | None = None
    interaction_id: str | None = None
    note_id: str | None = None  # the contact note a NOTE_* record is about
    merge: MergeDetail | None = None
    unmerge: UnmergeDetail | None = None


@dataclass(frozen=True, slots=True)
class Note:
    """A note about a contact, kept apart from it (Genesys Cloud's Note: its own document, so
    adding one never changes the contact's version). ``created_by`` and the dates are set by
    the store (the database's session user and clock), never by the app."""

    id: str
    contact_id: str
    text: str
    created_by: str
    create_date: datetime
    modify_date: datetime
    version: int = 1
    modified_by: str = ""  # who changed it last (the author, or a supervisor); "" when unedited
