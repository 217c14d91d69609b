"""Use cases shared by the screen and the command line. Every permission check lives here.

The UI and CLI call these methods and nothing below them, so no path (screen, key, CLI)
can get around a permission or a validation rule.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from contact_tui.bulk import paused_gc
from contact_tui.config import SETTINGS, Agent, Config, ConfigError, check_setting
from contact_tui.domain.clock import utcnow
from contact_tui.domain.draft import (
    CheckedFields,
    ContactDraft,
    check_draft,
    check_email,
    check_phone,
    field_label,
    reread_numbers,
)
from contact_tui.domain.duplicates import (
    SOFT_CANDIDATES,
    DuplicateMatch,
    Duplicates,
    folded_name,
    hard_reason,
    name_words,
    soft_reasons,
)
from contact_tui.domain.duplicates import match_keys as duplicate_keys
from contact_tui.domain.identity import (
    email_identity,
    identity_for_sender,
    phone_identity,
    sender_key,
)
from contact_tui.domain.merge import (
    Collision,
    Dropped,
    FieldOutcome,
    MergeRefused,
    MergeResult,
    Move,
    plan_merge,
    plan_unmerge,
)
from contact_tui.domain.model import (
    AuditAction,
    AuditRecord,
    Channel,
    Contact,
    ContactType,
    Interaction,
    InteractionState,
    MatchKind,
    Note,
    Participant,
    Permission,
    PhoneKind,
    Platform,
    UnmergeDetail,
)

# Re-exported: callers of handle_interaction build one.
from contact_tui.domain.model import NewInteraction as NewInteraction
from contact_tui.domain.permissions import UseCase, in_check_order
from contact_tui.domain.permissions import missing as missing_for
from contact_tui.domain.present import timestamp
from contact_tui.domain.rules import (
    MAX_AGENT_NAME_LENGTH,
    MAX_CHANNEL_ADDRESS_LENGTH,
    MAX_DISPLAY_NAME_LENGTH,
    MAX_RECIPIENTS,
    MAX_SUBJECT_LENGTH,
    MAX_TRANSCRIPT_LINE_LENGTH,
    MAX_TRANSCRIPT_LINES,
    MAX_WRAP_UP_LENGTH,
    InteractionIntake,
    RuleError,
    check_count,
    looks_like_email,
    phone_key,
    region_for_country_code,
    validate_name,
    validate_note,
    validate_notes,
)
from contact_tui.domain.search import count_cap, partial_number
from contact_tui.exchange import formats
from contact_tui.exchange.importer import (
    DEFAULT_OPTIONS,
    CheckedRow,
    ImportOptions,
    ImportReport,
    PlannedNote,
    PlannedWrite,
    Planner,
    Progress,
    RowProblem,
    check_row,
    match_keys,
    no_progress,
    plan_notes,
)
from contact_tui.exchange.rows import ParsedFile
from contact_tui.store.base import Change as Change
from contact_tui.store.base import ContactStore, StoreTransaction, prepare_save
from contact_tui.store.base import StoreWatch as StoreWatch
from contact_tui.store.errors import ConflictError as ConflictError
from contact_tui.store.errors import NotFound as NotFound
from contact_tui.store.errors import StoreError as StoreError
from contact_tui.store.errors import StoreUnavailable as StoreUnavailable
from contact_tui.store.errors import StoreUnreadable as StoreUnreadable
from contact_tui.store.errors import no_agent_to_take

# An ephemeral contact's createdBy: made by the matching rule, not by an agent's edit. The audit
# records name the real user whose intake triggered it.
SYSTEM_ACTOR = "system"


# The shortest id prefix taken for a whole id (the screen shows ids' first 8 characters), and
# how many ids a prefix lookup reads at most (enough to say how many match, up to there).
MIN_ID_PREFIX = 8
PREFIX_MATCHES = 20

# Rows an import creates that are each checked for a same-name stored contact with a search;
# above this many, the stored names are read once instead.
IMPORT_NAME_SEARCHES = 500


class PermissionDenied(Exception):
    """The agent lacks the permission an action needs; ``whose`` says, where it matters, whose
    thing it was ("Interaction 42 is routed to bob, not to you")."""

    def __init__(self, agent: Agent, permission: Permission, whose: str = "") -> None:
        self.permission = permission
        lead = f"{whose}, and " if whose else ""
        super().__init__(
            f"{lead}{agent.user} may not {permission.label}: that needs the {permission.value} "
            f"permission (your roles: {agent.role_label}). Ask your admin."
        )


class InvalidInput(Exception):
    """Input broke a rule. ``errors`` maps field ids to messages; str() is one sentence."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        self.errors = errors or {}
        super().__init__(message)


class SearchKind(StrEnum):
    """How a search query was read (see :meth:`ContactService.search`)."""

    ALL = "all"  # empty query: every contact
    PHONE = "phone"  # a number, matched in E.164
    EMAIL = "email"  # an address, matched exactly (else searched as text)
    NAME = "name"  # words, each found in a name or an email
    LITERAL = "literal"  # "quoted" text, found as it is
    NUMBER = "number"  # 4+ digits, found inside phone numbers (ending in them first)


@dataclass(frozen=True)
class SearchResult:
    """A page of search hits, how many matched in all, and how the query was read."""

    contacts: list[Contact]
    total: int
    kind: SearchKind
    # True when more than ``total`` matched: the stores stop counting there (domain.search).
    capped: bool = False


def _result(found: tuple[list[Contact], int], limit: int, kind: SearchKind) -> SearchResult:
    """A store's search answer as a result: a count past the cap is said as "more than"."""
    contacts, total = found
    cap = count_cap(limit)
    return SearchResult(contacts, min(total, cap), kind, capped=total > cap)


@dataclass(frozen=True)
class Export:
    """Contacts written in an exchange format: how many, the text, and the mode of the file it
    went to (None when it went to no file)."""

    count: int
    text: str
    mode: int | None = None


@dataclass(frozen=True)
class MergePlan:
    """A merge preview: both contacts as they are, what the kept one will hold (``result``, as
    it would be saved), every field group of both, which phones, emails and messaging ids move
    and where they land, what a ``prefer`` choice gives up, the collisions still to choose,
    the interactions that would be relinked (whoever's they are), and the other contact's
    notes, which move to the kept one (ids, in id order)."""

    keep: Contact
    other: Contact
    result: Contact
    fields: tuple[FieldOutcome, ...]
    moves: tuple[Move, ...]
    dropped: tuple[Dropped, ...]
    collisions: tuple[Collision, ...]
    relinked: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergeOutcome:
    """A merge done: the kept contact as saved and the MERGE audit record (its id undoes it)."""

    contact: Contact
    record: AuditRecord


@dataclass(frozen=True)
class UnmergeOutcome:
    """A merge undone: the kept contact as saved, the contact that came back, the kept
    contact's field groups left as someone edited them since the merge, the interactions left
    where someone moved them since, the UNMERGE audit record, and the calls that reached the
    kept contact after the merge by a number (address, id) that went back with the restored
    contact and so went back to it too."""

    kept: Contact
    restored: Contact
    unrestored: tuple[str, ...]
    left: tuple[str, ...]
    record: AuditRecord
    relinked: tuple[str, ...] = ()


def _new_id() -> str:
    return str(uuid.uuid4())


def _read_following(
    read: Callable[[str], Contact | None],
    merged_into: Callable[[str], str | None],
    contact_id: str,
) -> Contact | None:
    """The contact ``contact_id`` names: itself, or, once it was merged away, the contact it
    was merged into, through every later merge (a loop, which no store should hold, ends the
    walk). An id that exists costs one read, as before merges."""
    found = read(contact_id)
    seen = {contact_id}
    current = contact_id
    while found is None and (kept := merged_into(current)) is not None and kept not in seen:
        seen.add(kept)
        current = kept
        found = read(current)
    return found


class ContactService:
    """The agent's use cases over one store."""

    def __init__(
        self,
        repo: ContactStore,
        config: Config,
        agent: Agent,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repo = repo
        self.config = config
        self.agent = agent
        self.clock = clock

    # --- the store, as the screens and the command line need it -------------------------

    @property
    def store_location(self) -> str:
        """Where the store is (a path or a database), for the agent bar and messages."""
        return self.repo.location

    def refresh(self) -> list[Change]:
        """Take in other processes' changes; what changed (empty when nothing did)."""
        return self.repo.refresh()

    def watch(self, after: StoreWatch | None = None) -> StoreWatch:
        """A watch that says when another process may have changed the store, or the one
        that takes over from ``after`` (see :meth:`ContactStore.watch`)."""
        return self.repo.watch(after)

    def stored_setting(self, name: str) -> Any:
        """An admin setting as stored (None: never set, the config's default applies)."""
        return self.repo.setting(name)

    def close(self) -> None:
        """Release the store's connections and file handles."""
        self.repo.close()

    # --- settings and permissions ------------------------------------------------------

    def setting(self, name: str) -> Any:
        """An admin setting: the store's value if an admin set one, else the config's."""
        stored = self.stored_setting(name)
        return self.config.defaults[name] if stored is None else stored

    @property
    def region(self) -> str:
        """The region numbers without a leading + are read in (from the default country code)."""
        try:
            return region_for_country_code(self.setting("default-country-code"))
        except RuleError:
            return "US"

    def can(self, permission: Permission) -> bool:
        """True when the agent holds ``permission`` (for showing or hiding actions)."""
        return self.agent.can(permission)

    def allowed(self, use_case: UseCase) -> bool:
        """True when the agent holds every permission ``use_case`` needs (the table in
        :mod:`contact_tui.domain.permissions`): what screens and the CLI show or offer."""
        return not self.missing(use_case)

    def missing(self, use_case: UseCase) -> frozenset[Permission]:
        """The permissions ``use_case`` needs that the agent lacks, for "needs X" messages."""
        return missing_for(self.agent.permissions, use_case)

    def require_use_case(self, use_case: UseCase, whose: str = "") -> None:
        """Raise PermissionDenied for the first permission ``use_case`` needs that the agent
        lacks, in :func:`~contact_tui.domain.permissions.in_check_order`; ``whose`` as in
        :class:`PermissionDenied`."""
        lacking = in_check_order(self.missing(use_case))
        if lacking:
            raise PermissionDenied(self.agent, lacking[0], whose)

    def set_setting(self, name: str, value: Any) -> Any:
        """Change an admin setting for everyone using this store (needs the admin permission)."""
        self.require_use_case(UseCase.CHANGE_SETTINGS)
        if name not in SETTINGS:
            raise InvalidInput(f"There is no setting {name!r}; known: {', '.join(SETTINGS)}.")
        try:
            checked = check_setting(name, value, name)
        except ConfigError as err:
            raise InvalidInput(str(err)) from None
        with self.repo.write(self.agent.user) as uow:
            uow.set_setting(name, checked)
            uow.add_audit(self._audit(AuditAction.SETTING, None, (name,)))
        return checked

    # --- reading -------------------------------------------------------------------------

    def contact(self, contact_id: str) -> Contact:
        """A contact by id, or, for the id of a contact merged into another, the contact it
        was merged into (its ``id`` then differs from the one asked); NotFound when there is
        none."""
        self.require_use_case(UseCase.VIEW_CONTACTS)
        found = _read_following(self.repo.contact, self.repo.merged_into, contact_id)
        if found is None:
            raise NotFound(f"No contact has the id {contact_id}.")
        return found

    def contacts(self, ids: Iterable[str]) -> list[Contact]:
        """Several contacts by id, skipping ids that no longer exist (needs view)."""
        self.require_use_case(UseCase.VIEW_CONTACTS)
        return self.repo.contacts(ids)

    def interaction(self, interaction_id: str) -> Interaction:
        """An interaction by id (needs view; another agent's needs view-all, see
        :meth:`_require_access`); NotFound when there is none."""
        self.require_use_case(UseCase.READ_INTERACTIONS)
        found = self.repo.interaction(interaction_id)
        if found is None:
            raise NotFound(f"No interaction has the id {interaction_id}.")
        self._require_access(found)
        return found

    def interactions(self, agent: str | None = None) -> list[Interaction]:
        """An agent's interactions (the current agent's by default), newest first (needs view;
        another agent's need view-all too: transcripts hold what customers said)."""
        self.require_use_case(UseCase.READ_INTERACTIONS)
        whose = self.agent.user if agent is None else agent
        if whose != self.agent.user:
            self.require_use_case(
                UseCase.OTHERS_INTERACTION, f"Those interactions are routed to {whose}, not to you"
            )
        return self.repo.interactions_for(whose)

    def search(self, query: str, limit: int = 50) -> SearchResult:
        """Find contacts by name, phone (typed any way, matched by E.164), part of a number,
        or email.

        Words are each found in a name or an email (folded: case and accents ignored);
        contacts whose folded last name starts with one of the words come first, then the
        other matches, each group in directory order (``lee`` shows the Lees before Ashlee:
        a common last name's first page is then read from the directory's order, not sorted
        out of every match). Text in double quotes is searched literally in names, emails and
        the text of kept (not E.164) numbers, without reading it as a phone number, ranked the
        same way as one word. A query of only digits and phone formatting with at least four
        digits ("555-0123", "0123") that is not a stored E.164 number finds the numbers
        holding those digits, those ending in them first; fewer digits are searched as text
        in names and emails. A count past ``count_cap(limit)`` is not made: the result says
        "more than" (``capped``).
        """
        self.require_use_case(UseCase.SEARCH)
        text = query.strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            literal = text[1:-1]
            found = self.repo.search_literal(literal, limit) if literal else None
            return _result(found or self.repo.search_text([], limit), limit, SearchKind.LITERAL)
        if not text:
            return _result(self.repo.search_text([], limit), limit, SearchKind.ALL)
        if looks_like_email(text) and " " not in text:
            exact = self.repo.contacts_by_key(email_identity(text))
            if exact:
                return SearchResult(exact[:limit], len(exact), SearchKind.EMAIL)
            return _result(self.repo.search_text([text], limit), limit, SearchKind.EMAIL)
        number = re.sub(r"^tel:", "", text, flags=re.IGNORECASE)  # RFC 3966
        digits = partial_number(text)
        if sum(ch.isdigit() for ch in text) >= 3 and not re.search(r"[^\W\d_]{2,}", number):
            e164 = phone_key(text, self.region)
            if e164 is not None:
                exact = self.repo.contacts_by_key(phone_identity(e164))
                if exact or digits is None:
                    return SearchResult(exact[:limit], len(exact), SearchKind.PHONE)
        if digits is not None:
            return _result(self.repo.search_number(digits, limit), limit, SearchKind.NUMBER)
        return _result(self.repo.search_text(text.split(), limit), limit, SearchKind.NAME)

    def audit(self, contact_id: str) -> list[AuditRecord]:
        """A contact's change history, oldest first."""
        self.require_use_case(UseCase.VIEW_CONTACTS)
        return self.repo.audit_for(contact_id)

    # --- interactions --------------------------------------------------------------------

    def handle_interaction(self, new: NewInteraction) -> Interaction:
        """Record an arriving interaction and link it to its contact.

        Who may hand it over is :meth:`require_intake`'s rule, and whom to is
        :meth:`require_agent`'s (NotFound for no agent who could read it). No match: an
        Ephemeral contact holding the sender's identifier is created and linked (the system's
        act, so no contact permission is needed; the audit names the user whose intake made
        it). One match: linked. Several: the first-created is linked and the others are kept as
        candidates for the agent.
        """
        self.require_intake(new.agent)
        sent, new = new, self.check_interaction(new)
        self.require_agent(new.agent)
        now = self.clock()
        key = sender_key(new.channel, new.platform, new.sender, self.region)
        with self.repo.write(self.agent.user) as uow:
            matches = _preferred_first(uow.contacts_by_key(key) if key else [])
            interaction = Interaction(
                id=_new_id(),
                channel=new.channel,
                platform=new.platform,
                from_=new.sender,
                to=new.to,
                cc=new.cc,
                subject=new.subject,
                transcript=new.transcript,
                agent=new.agent,
                started_at=now,
                match_key=key or "",
            )
            if not matches:
                contact = self._ephemeral_for(interaction, now, sent.sender.name)
                contact = uow.save_contact(contact, 0)
                uow.add_audit(
                    self._audit(
                        AuditAction.CREATE,
                        contact.id,
                        uow.changed_fields(None, contact),
                        contact.version,
                        interaction.id,
                    )
                )
                interaction = replace(interaction, contact_id=contact.id, match=MatchKind.NONE)
            else:
                first = matches[0]
                uow.touch_contact(first.id, now)
                interaction = replace(
                    interaction,
                    contact_id=first.id,
                    match=MatchKind.SINGLE if len(matches) == 1 else MatchKind.MULTIPLE,
                    candidate_ids=tuple(c.id for c in matches),
                )
            uow.save_interaction(interaction)
            uow.add_audit(
                self._audit(AuditAction.LINK, interaction.contact_id, (), None, interaction.id)
            )
        return interaction

    def require_intake(self, agent: str) -> None:
        """Raise PermissionDenied unless the current user may put an interaction in ``agent``'s
        queue: their own needs view (what their queue is read with, so a user with no role
        pushes nothing), another agent's needs route (the routing integration, supervisors),
        since it puts words in front of that agent as if a customer said them."""
        if agent == self.agent.user:
            self.require_use_case(UseCase.TAKE_IN_INTERACTION)
        else:
            self.require_use_case(
                UseCase.ROUTE_INTERACTION, f"The interaction is for {agent}, not for you"
            )

    def require_agent(self, agent: str) -> None:
        """Raise NotFound unless ``agent`` (an identifier :meth:`check_interaction` passed) is
        someone who can read the interaction routed to them: a store user holding view, or,
        for the embedded store, which keeps no users, whom the admin config gives view (see
        :meth:`Config.may_view`). An interaction for no such agent would be lost work: no one's
        queue shows it. The current user is checked by :meth:`require_intake` already."""
        if agent == self.agent.user:
            return
        known = self.repo.user_may_view(agent)
        if known is None:
            known = self.config.may_view(agent)
        if not known:
            raise NotFound(no_agent_to_take(agent))

    def check_interaction(self, new: NewInteraction) -> NewInteraction:
        """The interaction as it will be stored; InvalidInput naming the field and the rule.

        Identifiers (the sender's address or messaging id, the agent) that hold control, format
        or bidi characters are refused; display text (the sender's name, recipients, subject,
        transcript lines) is kept with such characters escaped; every value, the number of
        lines and recipients, and the whole are bounded (see
        :class:`~contact_tui.domain.rules.InteractionIntake` and the limits beside it).
        """
        if new.channel == Channel.MESSAGE and new.platform is None:
            raise InvalidInput("A message interaction needs a platform (sms, whatsapp, ...).")
        if new.channel != Channel.MESSAGE and new.platform is not None:
            raise InvalidInput(f"A {new.channel.value} interaction has no platform.")
        if not new.sender.address.strip():
            raise InvalidInput("The interaction needs a sender (--from).")
        if not new.agent.strip():
            raise InvalidInput("The interaction needs the agent it is routed to (--agent).")
        intake = InteractionIntake()
        try:
            check_count(new.transcript, "The transcript", "lines", MAX_TRANSCRIPT_LINES)
            check_count(new.to, "The To list", "addresses", MAX_RECIPIENTS)
            check_count(new.cc, "The Cc list", "addresses", MAX_RECIPIENTS)
            return replace(
                new,
                agent=intake.identifier(new.agent, "The agent", MAX_AGENT_NAME_LENGTH),
                sender=Participant(
                    intake.identifier(
                        new.sender.address, "The sender address", MAX_CHANNEL_ADDRESS_LENGTH
                    ),
                    intake.display_text(
                        new.sender.name, "The sender name", MAX_DISPLAY_NAME_LENGTH
                    ),
                ),
                to=tuple(
                    intake.display_text(a, f"To address {n}", MAX_CHANNEL_ADDRESS_LENGTH)
                    for n, a in enumerate(new.to, 1)
                ),
                cc=tuple(
                    intake.display_text(a, f"Cc address {n}", MAX_CHANNEL_ADDRESS_LENGTH)
                    for n, a in enumerate(new.cc, 1)
                ),
                subject=intake.display_text(new.subject, "The subject", MAX_SUBJECT_LENGTH),
                transcript=tuple(
                    intake.display_text(line, f"Transcript line {n}", MAX_TRANSCRIPT_LINE_LENGTH)
                    for n, line in enumerate(new.transcript, 1)
                ),
            )
        except RuleError as err:
            raise InvalidInput(str(err)) from None

    def _ephemeral_for(self, interaction: Interaction, now: datetime, sent_name: str) -> Contact:
        """A system-made contact holding the sender's identifier and, when the name they sent
        (``sent_name``, before any escaping) passes the name rule, a guess at their name."""
        first, last = _split_name(sent_name)
        contact = Contact(
            id=_new_id(),
            type=ContactType.EPHEMERAL,
            first_name=first,
            last_name=last,
            create_date=now,
            modify_date=now,
            created_by=SYSTEM_ACTOR,
            modified_by=SYSTEM_ACTOR,
            last_interaction_date=now,
        )
        address = interaction.from_.address.strip()
        if interaction.channel == Channel.EMAIL or (
            interaction.platform == Platform.WEBCHAT and looks_like_email(address)
        ):
            try:
                return replace(contact, other_email=check_email(address))
            except RuleError:
                # Not an address (the attack of issue 9 sent a From full of escape sequences):
                # only a valid one goes into an email slot, so the agent types a good one.
                if interaction.channel == Channel.EMAIL:
                    return contact
        sms = interaction.platform == Platform.SMS
        if (
            interaction.channel == Channel.VOICE
            or sms
            or (interaction.platform == Platform.WEBCHAT and phone_key(address, self.region))
        ):
            try:
                phone, _ = check_phone(address, self.region, accepts_sms=sms)
            except RuleError:
                phone = None
            slot = PhoneKind.CELL if sms else PhoneKind.OTHER
            return contact.with_phone(slot, phone) if phone else contact
        assert interaction.platform is not None
        return contact.with_identity(
            identity_for_sender(interaction.platform, interaction.from_, self.region)
        )

    def link(self, interaction_id: str, contact_id: str) -> Interaction:
        """Link an interaction to a contact the agent picked (needs view; own interactions)."""
        self.require_use_case(UseCase.LINK)
        now = self.clock()
        with self.repo.write(self.agent.user) as uow:
            interaction = self._own_interaction(uow, interaction_id)
            # A merged-away id links the contact it was merged into.
            contact = _read_following(uow.contact, uow.merged_into, contact_id)
            if contact is None:
                raise NotFound(f"No contact has the id {contact_id}.")
            uow.touch_contact(contact.id, now)
            interaction = replace(interaction, contact_id=contact.id)
            uow.save_interaction(interaction)
            uow.add_audit(self._audit(AuditAction.LINK, contact.id, (), None, interaction_id))
        return interaction

    def unlink(self, interaction_id: str) -> Interaction:
        """Detach an interaction from its contact (needs view; own interactions)."""
        self.require_use_case(UseCase.UNLINK)
        with self.repo.write(self.agent.user) as uow:
            interaction = self._own_interaction(uow, interaction_id)
            if interaction.contact_id is None:
                raise InvalidInput("This interaction is not linked to a contact.")
            previous = interaction.contact_id
            interaction = replace(interaction, contact_id=None)
            uow.save_interaction(interaction)
            uow.add_audit(self._audit(AuditAction.UNLINK, previous, (), None, interaction_id))
        return interaction

    def end_interaction(self, interaction_id: str) -> Interaction:
        """Mark an interaction ended (needs view; own interactions)."""
        self.require_use_case(UseCase.END_INTERACTION)
        with self.repo.write(self.agent.user) as uow:
            interaction = self._own_interaction(uow, interaction_id)
            if interaction.state == InteractionState.ENDED:
                return interaction
            interaction = replace(interaction, state=InteractionState.ENDED, ended_at=self.clock())
            uow.save_interaction(interaction)
        return interaction

    def set_wrap_up(self, interaction_id: str, text: str) -> Interaction:
        """Write (or, with blank ``text``, clear) the wrap-up note of an interaction, during or
        after it: up to 10,000 characters, line feeds allowed, no control or format characters
        (the notes rule). Kept on the interaction, so it goes where the interaction is
        relinked; audited. Needs view; another agent's interaction needs view-all."""
        self.require_use_case(UseCase.WRAP_UP)
        try:
            note = validate_notes(text, "The wrap-up note", max_length=MAX_WRAP_UP_LENGTH)
        except RuleError as err:
            raise InvalidInput(str(err)) from None
        with self.repo.write(self.agent.user) as uow:
            interaction = self._own_interaction(uow, interaction_id)
            if interaction.wrap_up_note == note:
                return interaction
            interaction = replace(interaction, wrap_up_note=note)
            uow.save_wrap_up(
                interaction,
                self._audit(
                    AuditAction.WRAP_UP,
                    interaction.contact_id,
                    ("wrapUpNote",),
                    None,
                    interaction.id,
                ),
            )
        return interaction

    def contact_history(self, contact_id: str) -> list[Interaction]:
        """The contact's interactions, newest first: every one with view-all, else only the
        agent's own (the rule for reading an interaction; others' are left out entirely, not
        shown without their content). NotFound when there is no such contact."""
        self.require_use_case(UseCase.CONTACT_HISTORY)
        if self.repo.contact(contact_id) is None:
            raise NotFound(f"No contact has the id {contact_id}.")
        found = self.repo.interactions_for_contact(contact_id)
        if self.allowed(UseCase.OTHERS_INTERACTION):
            return found
        return [i for i in found if i.agent == self.agent.user]

    def resolve_id(self, table: str, given: str) -> str:
        """The whole id that ``given`` stands for in ``table`` ("contacts" or "interactions"):
        ``given`` itself when it is a whole id, or when nothing (or nothing this agent may
        read) starts with it, so the command's own look-up says what is wrong as before; else
        the one id starting with it, when ``given`` has at least :data:`MIN_ID_PREFIX`
        characters. Several: InvalidInput naming how many.

        Only ids the agent may read are looked among: contacts with view, interactions their
        own (everyone's with view-all), so a prefix never tells anyone of an id they could not
        see by its whole id. The database filters them by row security as well."""
        noun = {"contacts": "contact", "interactions": "interaction"}[table]
        if len(given) < MIN_ID_PREFIX:
            return given
        use = UseCase.VIEW_CONTACTS if table == "contacts" else UseCase.READ_INTERACTIONS
        if not self.allowed(use):
            return given
        found = self.repo.ids_starting(table, given, PREFIX_MATCHES)
        if given in found:
            return given
        if table == "interactions" and not self.allowed(UseCase.OTHERS_INTERACTION):
            mine = (self.repo.interaction(i) for i in found)
            found = [i.id for i in mine if i is not None and i.agent == self.agent.user]
        if len(found) == 1:
            return found[0]
        if not found:
            return given
        many = f"{len(found)}" if len(found) < PREFIX_MATCHES else f"at least {PREFIX_MATCHES}"
        raise InvalidInput(
            f"The id {given} is the start of {many} {noun} ids; give more of the id (the "
            "whole id always works)."
        )

    def merges_into(self, contact_id: str) -> list[AuditRecord]:
        """The merges into a contact that no unmerge has undone (MERGE audit records), newest
        first: what the contact's history shows among its interactions, on the screen and the
        command line alike (needs view, as the audit trail does). A merge says who merged,
        whom and how many interactions moved; it shows no interaction's content."""
        records = self.audit(contact_id)
        undone = {r.unmerge.undoes for r in records if r.unmerge is not None}
        return [r for r in reversed(records) if r.merge is not None and r.id not in undone]

    def _own_interaction(self, uow: StoreTransaction, interaction_id: str) -> Interaction:
        """The interaction to act on, read inside the write; see :meth:`_require_access`."""
        interaction = uow.interaction(interaction_id)
        if interaction is None:
            raise NotFound(f"No interaction has the id {interaction_id}.")
        self._require_access(interaction)
        return interaction

    def _require_access(self, interaction: Interaction) -> None:
        """The one rule for another agent's interaction: reading it, its transcript, or acting
        on it (link, unlink, end, a contact made from it) needs the view-all permission."""
        if interaction.agent != self.agent.user:
            self.require_use_case(
                UseCase.OTHERS_INTERACTION,
                f"Interaction {interaction.id} is routed to {interaction.agent}, not to you",
            )

    # --- contacts ------------------------------------------------------------------------

    def check(self, draft: ContactDraft, current: Contact | None = None) -> dict[str, str]:
        """Warnings a draft would be saved with (numbers not searchable), by field id; raises
        InvalidInput. With ``current``, the contact the draft edits, also the notices of its
        numbers kept as typed that the draft leaves alone and a save converts
        (:func:`~contact_tui.domain.draft.reread_numbers`): an untouched field never changes
        without a word."""
        result = check_draft(draft, self.region)
        if not result.ok:
            raise InvalidInput(_errors_sentence(result.errors), result.errors)
        warnings = dict(result.warnings)
        if current is not None:
            for reread in reread_numbers(current, draft, self.region):
                warnings[reread.kind.value] = reread.describe()
        return warnings

    def create_contact(self, draft: ContactDraft, interaction_id: str | None = None) -> Contact:
        """Create a curated contact; when made from an interaction, link it and, for a message,
        keep the sender's channel identity on it (needs add)."""
        self.require_use_case(UseCase.CREATE_CONTACT)
        fields = self._checked(draft)
        now = self.clock()
        with self.repo.write(self.agent.user) as uow:
            contact = fields.apply_to(
                Contact(
                    id=_new_id(),
                    type=ContactType.CURATED,
                    create_date=now,
                    modify_date=now,
                    created_by=self.agent.user,
                    modified_by=self.agent.user,
                )
            )
            interaction = None
            if interaction_id is not None:
                interaction = self._own_interaction(uow, interaction_id)
                contact = replace(contact, last_interaction_date=now)
                if interaction.channel == Channel.MESSAGE and interaction.platform not in (
                    None,
                    Platform.SMS,
                ):
                    assert interaction.platform is not None
                    contact = contact.with_identity(
                        identity_for_sender(interaction.platform, interaction.from_, self.region)
                    )
            contact = uow.save_contact(contact, 0)
            uow.add_audit(
                self._audit(
                    AuditAction.CREATE,
                    contact.id,
                    uow.changed_fields(None, contact),
                    contact.version,
                )
            )
            if interaction is not None:
                uow.save_interaction(replace(interaction, contact_id=contact.id))
                uow.add_audit(self._audit(AuditAction.LINK, contact.id, (), None, interaction.id))
                self._absorb_ephemeral(uow, interaction, contact)
        return contact

    def _absorb_ephemeral(
        self, uow: StoreTransaction, interaction: Interaction, made: Contact
    ) -> None:
        """A contact created from an interaction whose linked contact is ephemeral, holding
        that contact's identity (the caller's number, the sender's address), takes its place as
        Add to Contacts would: the ephemeral contact is removed and everything linked to it, or
        offering it as a candidate, points at the new contact. Otherwise it would stay behind
        and, being first-created, win the next match from that identity."""
        old_id = interaction.contact_id
        old = uow.contact(old_id) if old_id else None
        if old is None or old.type != ContactType.EPHEMERAL:
            return
        if not uow.contact_keys(old.id) & uow.contact_keys(made.id):
            return  # a different person: the ephemeral contact is left for its own caller
        uow.move_notes(old.id, made.id)  # before the removal, which takes its notes with it
        uow.delete_contact(old.id)
        uow.add_audit(self._audit(AuditAction.ABSORB, old.id, (), old.version + 1, interaction.id))
        for other_id in uow.interaction_ids_naming([old.id]):
            other = uow.interaction(other_id)
            if other is None or other.id == interaction.id:
                continue
            if other.contact_id != old.id and old.id not in other.candidate_ids:
                continue
            candidates = tuple(
                dict.fromkeys(made.id if c == old.id else c for c in other.candidate_ids)
            )
            linked = made.id if other.contact_id == old.id else other.contact_id
            uow.save_interaction(replace(other, contact_id=linked, candidate_ids=candidates))
            if linked != other.contact_id:
                uow.add_audit(self._audit(AuditAction.LINK, made.id, (), None, other.id))

    def edit(self, contact_id: str, draft: ContactDraft, expected_version: int) -> Contact:
        """Save an agent's edits; a stale ``expected_version`` raises ConflictError (needs edit)."""
        self.require_use_case(UseCase.EDIT_CONTACT)
        fields = self._checked(draft)
        with self.repo.write(self.agent.user) as uow:
            # The version the agent's form showed, which the store may still hold: the save
            # checks the version, so it need not be read again (StoreTransaction.contact_at).
            current = uow.contact_at(contact_id, expected_version)
            for attempt in (1, 2):
                if current is None:
                    raise NotFound(f"No contact has the id {contact_id}.")
                updated = fields.apply_to(current)
                changed = uow.changed_fields(current, updated)
                if changed:
                    break
                if attempt == 1:
                    # Nothing to save, and no save to check the version: the contact as
                    # stored decides, read in this transaction.
                    current = uow.contact(contact_id)
                elif current.version == expected_version:
                    return current
            updated = replace(updated, modify_date=self.clock(), modified_by=self.agent.user)
            # The record first (a save makes the version one up), so that the save can go
            # out with the commit.
            uow.add_audit(self._audit(AuditAction.EDIT, contact_id, changed, expected_version + 1))
            saved = uow.save_contact(updated, expected_version, last=True)
        return saved

    def promote(
        self, contact_id: str, draft: ContactDraft | None, expected_version: int
    ) -> Contact:
        """Add to Contacts: make an ephemeral (or identified) contact curated, same id and
        links, with the agent's edits from ``draft`` (needs promote)."""
        self.require_use_case(UseCase.PROMOTE_CONTACT)
        with self.repo.write(self.agent.user) as uow:
            current = uow.contact(contact_id)
            if current is None:
                raise NotFound(f"No contact has the id {contact_id}.")
            if current.type == ContactType.CURATED:
                raise InvalidInput("This contact is already in Contacts (curated).")
            fields = self._checked(draft or ContactDraft.from_contact(current))
            updated = replace(
                fields.apply_to(current),
                type=ContactType.CURATED,
                modify_date=self.clock(),
                modified_by=self.agent.user,
            )
            changed = uow.changed_fields(current, updated)
            saved = uow.save_contact(updated, expected_version)
            uow.add_audit(self._audit(AuditAction.PROMOTE, contact_id, changed, saved.version))
        return saved

    # --- merging (issue 13) ----------------------------------------------------------------

    def merge_preview(
        self, keep_id: str, other_id: str, prefer: dict[str, str] | None = None
    ) -> MergePlan:
        """What merging contact ``other_id`` into ``keep_id`` would do, written nowhere (needs
        view, edit and merge); ``prefer`` maps field groups to "keep" or "other" (see
        :mod:`contact_tui.domain.merge`). InvalidInput for a pair that cannot be merged."""
        self.require_use_case(UseCase.MERGE_CONTACTS)
        keep, other = self._merge_pair(self.repo.contact, self.repo.merged_into, keep_id, other_id)
        planned = self._planned(keep, other, prefer)
        return MergePlan(
            keep=keep,
            other=other,
            result=replace(
                planned.contact,
                version=keep.version + 1,
                modify_date=self.clock(),
                modified_by=self.agent.user,
            ),
            fields=planned.fields,
            moves=planned.moves,
            dropped=planned.dropped,
            collisions=planned.collisions,
            relinked=tuple(self.repo.interaction_ids_to_relink(other.id)),
            notes=tuple(sorted(n.id for n in self.repo.notes_for(other.id))),
        )

    def merge(
        self,
        keep_id: str,
        other_id: str,
        prefer: dict[str, str] | None = None,
        expected_versions: tuple[int, int] | None = None,
    ) -> MergeOutcome:
        """Merge contact ``other_id`` into ``keep_id`` in one store transaction (needs view,
        edit and merge): the kept contact takes the other's identities and fields as
        :meth:`merge_preview` shows, every interaction linked to the other (or offering it)
        is relinked, whoever's it is, the other is removed and its id finds the kept contact
        from then on, and one MERGE audit record keeps both contacts as they were.

        ``expected_versions`` (kept, other): the versions the agent saw; a contact changed
        since raises ConflictError naming who changed it. A phone, email or messaging id with
        no room on the kept contact raises InvalidInput until ``prefer`` chooses.
        """
        self.require_use_case(UseCase.MERGE_CONTACTS)
        with self.repo.write(self.agent.user) as uow:
            keep, other = self._merge_pair(uow.contact, uow.merged_into, keep_id, other_id)
            planned = self._planned(keep, other, prefer)
            if planned.collisions:
                raise InvalidInput(
                    " ".join(c.message for c in planned.collisions) + " Nothing was merged."
                )
            keep_version, other_version = expected_versions or (keep.version, other.version)
            result = replace(planned.contact, modify_date=self.clock(), modified_by=self.agent.user)
            record = self._audit(AuditAction.MERGE, keep.id, uow.changed_fields(keep, result))
            written = uow.merge_contacts(result, keep_version, other.id, other_version, record)
        assert written.merge is not None
        return MergeOutcome(written.merge.kept_after, written)

    def unmerge(self, merge_id: str) -> UnmergeOutcome:
        """Undo the merge whose audit record is ``merge_id`` (needs view, edit and merge): the
        merged-away contact comes back with its id and fields, the kept contact gives back
        what the merge gave it except where it was edited since (those edits stay and are
        named), and the interactions the merge relinked go back unless someone moved them
        since. A call matched to the kept contact after the merge by a number, address or id
        that goes back with the restored contact goes to it as well, unless an agent linked it
        by hand (see StoreTransaction.unmerge_contacts). A merge undone already, or not a
        merge, raises InvalidInput saying so."""
        self.require_use_case(UseCase.UNMERGE_CONTACTS)
        with self.repo.write(self.agent.user) as uow:
            merge = uow.standing_merge(merge_id)
            if merge is None:
                raise self._no_standing_merge(merge_id)
            kept_id, other_id = merge.kept_after.id, merge.other_before.id
            current = uow.contact(kept_id)
            if current is None:
                later = uow.merged_into(kept_id)
                if later is None:
                    raise NotFound(
                        f"Contact {kept_id}, which merge {merge_id} kept, no longer exists; "
                        "the merge cannot be undone."
                    )
                raise InvalidInput(
                    f"Contact {kept_id} was itself merged into {later} after merge {merge_id}; "
                    f"undo that later merge first (see 'contact show {later} --history')."
                )
            if uow.contact(other_id) is not None:
                raise InvalidInput(
                    f"The id {other_id} is in use again, so the merged-away contact cannot come "
                    "back under it; nothing was changed."
                )
            restored, unrestored = plan_unmerge(current, merge)
            restored = replace(restored, modify_date=self.clock(), modified_by=self.agent.user)
            record = replace(
                self._audit(AuditAction.UNMERGE, kept_id, uow.changed_fields(current, restored)),
                unmerge=UnmergeDetail(merge_id, unrestored),
            )
            written = uow.unmerge_contacts(merge_id, restored, current.version, record)
            # As it came back: a later call from its number renews its last-interaction date.
            back = uow.contact(other_id) or merge.other_before
        detail = written.unmerge or UnmergeDetail(merge_id)
        saved = replace(restored, version=written.version or current.version + 1)
        return UnmergeOutcome(saved, back, unrestored, detail.left, written, detail.relinked)

    def _merge_pair(
        self,
        read: Callable[[str], Contact | None],
        merged_into: Callable[[str], str | None],
        keep_id: str,
        other_id: str,
    ) -> tuple[Contact, Contact]:
        """The two contacts of a merge, each found through any merge of its id."""
        pair = []
        for given in (keep_id, other_id):
            contact = _read_following(read, merged_into, given)
            if contact is None:
                raise NotFound(f"No contact has the id {given}.")
            pair.append(contact)
        keep, other = pair
        if keep.id == other.id and keep_id != other_id:
            raise InvalidInput(
                f"Contacts {keep_id} and {other_id} are one contact already ({keep.id}): one was "
                "merged into the other."
            )
        return keep, other

    def _planned(self, keep: Contact, other: Contact, prefer: dict[str, str] | None) -> MergeResult:
        try:
            return plan_merge(keep, other, prefer)
        except MergeRefused as err:
            raise InvalidInput(str(err)) from None

    def _no_standing_merge(self, merge_id: str) -> Exception:
        """Why ``merge_id`` names no merge that can be undone, as the error to raise."""
        record = self.repo.audit_record(merge_id)
        if record is None:
            return NotFound(
                f"No merge has the id {merge_id}; give the id of a merge record from "
                "'contact show ID --history'."
            )
        if record.action != AuditAction.MERGE:
            return InvalidInput(
                f"Record {merge_id} is a {record.action} record, not a merge; give the id of a "
                "merge record from 'contact show ID --history'."
            )
        undone = next(
            (
                r
                for r in self.repo.audit_for(record.contact_id or "")
                if r.unmerge is not None and r.unmerge.undoes == merge_id
            ),
            None,
        )
        if undone is not None:
            return InvalidInput(
                f"Merge {merge_id} was already undone by {undone.agent} at "
                f"{timestamp(undone.at)}; there is nothing left to undo."
            )
        return InvalidInput(f"Merge {merge_id} no longer stands; nothing was changed.")

    def expire_ephemeral(self, now: datetime | None = None) -> list[str]:
        """Remove ephemeral contacts older than the TTL since their last interaction, and
        unlink their interactions; curated contacts never expire (needs admin)."""
        self.require_use_case(UseCase.EXPIRE_EPHEMERAL)
        now = now or self.clock()
        cutoff = now - timedelta(days=int(self.setting("ephemeral-ttl-days")))
        expired: list[str] = []
        with self.repo.write(self.agent.user) as uow:
            for contact_id in uow.contact_ids():
                contact = uow.contact(contact_id)
                if contact is None or contact.type != ContactType.EPHEMERAL:
                    continue
                seen = contact.last_interaction_date or contact.create_date
                if seen is not None and seen < cutoff:
                    uow.delete_contact(contact_id)
                    uow.add_audit(
                        self._audit(AuditAction.EXPIRE, contact_id, (), contact.version + 1)
                    )
                    expired.append(contact_id)
            if expired:
                gone = set(expired)
                for interaction_id in uow.interaction_ids_naming(gone):
                    interaction = uow.interaction(interaction_id)
                    if interaction is None:
                        continue
                    candidates = tuple(c for c in interaction.candidate_ids if c not in gone)
                    if interaction.contact_id in gone or candidates != interaction.candidate_ids:
                        linked = None if interaction.contact_id in gone else interaction.contact_id
                        uow.save_interaction(
                            replace(interaction, contact_id=linked, candidate_ids=candidates)
                        )
        return expired

    def erase_contact(self, contact_id: str) -> AuditRecord:
        """Erase a contact for an erasure request (needs delete: supervisors), in one store
        transaction: the contact, its identity keys and notes, and any contact merged into
        it, are removed; its interactions are unlinked and stop offering it; every audit
        record about it keeps only who, when, what and the contact id (merge records' images
        of it go); one ERASE record says who erased it and when. It cannot be undone.
        Returns the ERASE record. A merged-away id is refused, naming the contact it went
        into (the one to erase)."""
        self.require_use_case(UseCase.ERASE_CONTACT)
        with self.repo.write(self.agent.user) as uow:
            if uow.contact(contact_id) is None:
                kept = uow.merged_into(contact_id)
                if kept is not None:
                    raise InvalidInput(
                        f"Contact {contact_id} was merged into {kept}; erase {kept} to erase "
                        "that customer (its merged-away contacts go with it)."
                    )
                raise NotFound(f"No contact has the id {contact_id}.")
            record = AuditRecord(_new_id(), self.clock(), self.agent.user, AuditAction.ERASE, None)
            return uow.erase_contact(contact_id, record)

    def likely_duplicates(self, draft: ContactDraft, contact_id: str | None = None) -> Duplicates:
        """The stored contacts that ``draft`` (about to be created, or saved as contact
        ``contact_id``) likely duplicates, each with why (needs view; a pure read, not
        audited).

        Hard: another contact holding one of its numbers (in E.164) or email addresses, found
        through the identity keys. Soft: another contact with the same folded first and last
        name and the same postal code or email domain, found with one bounded name search
        (:data:`~contact_tui.domain.duplicates.SOFT_CANDIDATES`). Ephemeral contacts are left
        out: they are the system's record of a caller, which Add to Contacts (or a contact
        created from their interaction) takes over, and which expire. Parts of the draft that
        break their rule are skipped, so a half-typed form can be checked.

        A hard match is ``known`` when ``contact_id`` is a curated contact that already holds
        every number and address it matches by: editing a contact that shares a family phone
        is no new duplicate (promoting an ephemeral contact is: no agent chose that).
        """
        self.require_use_case(UseCase.VIEW_CONTACTS)
        current = self.repo.contact(contact_id) if contact_id is not None else None
        held = (
            match_keys(current)
            if current is not None and current.type == ContactType.CURATED
            else set()
        )
        hard: dict[str, DuplicateMatch] = {}
        for key in duplicate_keys(draft, self.region):
            for other in self.repo.contacts_by_key(key.key):
                if other.id == contact_id or other.type == ContactType.EPHEMERAL:
                    continue
                seen = hard.get(other.id)
                hard[other.id] = DuplicateMatch(
                    other,
                    (*(seen.reasons if seen else ()), hard_reason(key)),
                    (*(seen.field_ids if seen else ()), *key.field_ids),
                    known=(seen is None or seen.known) and key.key in held,
                )
        soft: list[DuplicateMatch] = []
        words = name_words(draft)
        if words:
            candidates, _ = self.repo.search_text(words, SOFT_CANDIDATES)
            for other in candidates:
                if other.id in hard or other.id == contact_id:
                    continue
                if other.type == ContactType.EPHEMERAL:
                    continue
                why = soft_reasons(draft, other)
                if why:
                    soft.append(DuplicateMatch(other, why))
        return Duplicates(tuple(hard.values()), tuple(soft))

    # --- contact notes -------------------------------------------------------------------

    def contact_notes(self, contact_id: str) -> list[Note]:
        """A contact's notes, newest first (needs view); NotFound when there is no contact."""
        self.require_use_case(UseCase.VIEW_NOTES)
        if self.repo.contact(contact_id) is None:
            raise NotFound(f"No contact has the id {contact_id}.")
        return self.repo.notes_for(contact_id)

    def note(self, note_id: str) -> Note:
        """A contact note by id (needs view); NotFound when there is none."""
        self.require_use_case(UseCase.VIEW_NOTES)
        found = self.repo.note(note_id)
        if found is None:
            raise NotFound(f"No note has the id {note_id}.")
        return found

    def add_note(self, contact_id: str, text: str) -> Note:
        """Add a note to a contact (needs edit). The store records the author and the time
        (the database's, for PostgreSQL) and audits it; the contact's version is unchanged,
        so an agent editing the contact meanwhile meets no conflict."""
        self.require_use_case(UseCase.ADD_NOTE)
        clean = _note_text(text)
        with self.repo.write(self.agent.user) as uow:
            return uow.add_note(_new_id(), contact_id, clean)

    def edit_note(self, note_id: str, text: str, expected_version: int) -> Note:
        """Replace a note's text: your own with edit, anyone's with the note edit-all
        permission too (supervisors). A note changed since ``expected_version`` is a
        ConflictError naming who changed it."""
        self.require_use_case(UseCase.EDIT_NOTE)
        clean = _note_text(text)
        with self.repo.write(self.agent.user) as uow:
            self._require_note_access(uow.note(note_id), note_id)
            return uow.edit_note(note_id, clean, expected_version)

    def delete_note(self, note_id: str) -> None:
        """Delete a note: your own with edit, anyone's with the note edit-all permission too."""
        self.require_use_case(UseCase.EDIT_NOTE)
        with self.repo.write(self.agent.user) as uow:
            self._require_note_access(uow.note(note_id), note_id)
            uow.delete_note(note_id)

    def may_change_note(self, note: Note) -> bool:
        """True when the agent may edit or delete ``note`` (for showing the keys)."""
        if not self.allowed(UseCase.EDIT_NOTE):
            return False
        return note.created_by == self.agent.user or self.allowed(UseCase.OTHERS_NOTE)

    def _require_note_access(self, note: Note | None, note_id: str) -> None:
        """NotFound for no note; PermissionDenied for another agent's without edit-all."""
        if note is None:
            raise NotFound(f"No note has the id {note_id}; it may have been deleted.")
        if note.created_by != self.agent.user:
            author = note.created_by or "an unknown author"
            self.require_use_case(
                UseCase.OTHERS_NOTE, f"Note {note_id} was written by {author}, not by you"
            )

    # --- import and export ---------------------------------------------------------------

    def export_contacts(self) -> list[Contact]:
        """Every contact the agent may view, oldest first (needs view).

        Visibility is all or nothing today (one view permission, no divisions), so an agent
        without it gets PermissionDenied and never a partial list.
        """
        self.require_use_case(UseCase.EXPORT_CONTACTS)
        contacts = self.repo.contacts(self.repo.contact_ids())
        contacts.sort(key=lambda c: (c.create_date or datetime.min.replace(tzinfo=UTC), c.id))
        return contacts

    def import_contacts(
        self,
        parsed: ParsedFile,
        *,
        dry_run: bool = False,
        skip_invalid: bool = False,
        progress: Progress = no_progress,
        options: ImportOptions = DEFAULT_OPTIONS,
    ) -> ImportReport:
        """Create and update contacts from a file's rows, all in one store transaction.

        Every row is checked with the form's rules and matched by id, then by E.164 phone or
        email. By default nothing is written if any row has a problem (``skip_invalid`` writes
        the good rows). Importing needs the view and add permissions; a row that updates a
        contact needs edit, and one that makes an ephemeral contact curated needs promote. A row
        whose contact changed after the file's version or modifyDate is a conflict, never a
        silent overwrite. A row's notes become contact notes, by this user, dated now, in the
        same transaction, each only when its contact has no note of that text yet; adding one
        needs edit (``importer.plan_notes``). ``options`` carries the command line's
        ``--default-country`` and ``--single-name`` choices.
        """
        self.require_use_case(UseCase.IMPORT_CONTACTS)  # view too: see its row in the table
        with paused_gc():
            return self._import(parsed, dry_run, skip_invalid, progress, options)

    def import_file(
        self,
        path: str,
        fmt: str | None = None,
        *,
        dry_run: bool = False,
        skip_invalid: bool = False,
        progress: Progress = no_progress,
        options: ImportOptions = DEFAULT_OPTIONS,
        regular_only: bool = False,
        checked_digest: str | None = None,
    ) -> tuple[str, ImportReport]:
        """Read ``path`` ('-' is standard input) as format ``fmt`` (None: from its suffix, else
        its content) and import its rows as :meth:`import_contacts` does; returns the format
        read and the report. The screen and the command line both import through here.

        The permissions are checked before a possibly large file is read; a file that cannot
        be read or parsed raises ``formats.ExchangeError`` and nothing is imported.
        ``regular_only`` refuses standard input and pipes (the app's dialog, which nothing can
        stop waiting on one: ``formats.open_input``). The report's ``file_digest`` is of the
        bytes read; given back as ``checked_digest``, an import of bytes that differ (the file
        was changed after its check, by anyone who can write it) raises
        ``formats.FileChanged`` before a row is read: what is imported is what was checked.
        """
        self.require_use_case(UseCase.IMPORT_CONTACTS)
        data = formats.read_bytes(path, regular_only=regular_only)
        digest = hashlib.sha256(data).hexdigest()
        if checked_digest is not None and digest != checked_digest:
            raise formats.FileChanged(
                f"{path} changed after it was checked, so nothing was imported; check it again."
            )
        name, parsed = formats.parse(path, data, fmt, options.encoding)
        # A long-running app's view of the store (and of the default country the rows are
        # checked with) may be behind; the rows are checked against what is stored now.
        self.repo.refresh()
        report = self.import_contacts(
            parsed, dry_run=dry_run, skip_invalid=skip_invalid, progress=progress, options=options
        )
        report.file_digest = digest
        return name, report

    def export_text(
        self, fmt: str, vcard_version: str = "4.0", progress: Progress = no_progress
    ) -> Export:
        """Every contact the agent may view (:meth:`export_contacts`), written in format
        ``fmt``; ``progress`` hears ("Writing", done, total) as the writer takes them."""
        self.repo.refresh()  # a long-running app exports what is stored now
        contacts = self.export_contacts()
        notes = self.repo.notes_of(c.id for c in contacts)
        write = formats.writer(fmt, vcard_version)
        return Export(len(contacts), write(formats.tracked(contacts, progress), notes))

    def export_file(
        self, path: str, fmt: str, vcard_version: str = "4.0", progress: Progress = no_progress
    ) -> Export:
        """:meth:`export_text` written to ``path`` all at once (``formats.write_atomically``:
        a failure leaves any old file as it was); ``formats.ExchangeError`` when it cannot be."""
        export = self.export_text(fmt, vcard_version, progress)
        return replace(export, mode=formats.write_atomically(path, export.text))

    def _import(
        self,
        parsed: ParsedFile,
        dry_run: bool,
        skip_invalid: bool,
        progress: Progress,
        options: ImportOptions = DEFAULT_OPTIONS,
    ) -> ImportReport:
        base = ImportReport(
            rows=len(parsed.rows) + len(parsed.problems),
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            single_name=options.single_name,
        )
        base.problems.extend(RowProblem(p.line, p.message) for p in parsed.problems)
        base.warnings.extend(parsed.warnings)
        region = self.region
        checked: list[CheckedRow] = []
        total = len(parsed.rows)
        for n, row in enumerate(parsed.rows, 1):
            base.warnings.extend(row.warnings)
            result = check_row(row, region, options)
            if isinstance(result, RowProblem):
                base.problems.append(result)
            else:
                base.warnings.extend(result.notes)
                checked.append(result)
            if n % 200 == 0 or n == total:
                progress("Checking", n, total)
        # Match and work out every save before taking the store lock, against the store as
        # it is now; other agents wait only for the write (seconds at 100,000 rows, where
        # planning under the lock held it for over 15 s and their saves timed out).
        self.repo.refresh()
        started_at = self.repo.position()
        report, writes = self._plan(checked, self.repo, base, progress)
        # Read outside the lock too: a warning, so the store as it is now is good enough.
        likely = self._soft_duplicates(report.created)
        report.warnings.extend(warning for _, warning in likely)
        if dry_run or (report.problems and not skip_invalid):
            return report
        saves = [prepare_save(w.contact, w.before) for w in writes]
        with self.repo.write(self.agent.user) as uow:
            noted = {n.contact_id for n in report.notes_added}
            if uow.position() != started_at and not _still_valid(uow, writes, started_at, noted):
                # Someone changed a contact this import touches meanwhile: plan again, now
                # under the lock, so nothing they saved is overwritten.
                report, writes = self._plan(checked, uow, base, progress)
                lines = {w.line for w in report.created}
                report.warnings.extend(w for line, w in likely if line in lines)
                if report.problems and not skip_invalid:
                    return report
                saves = [prepare_save(w.contact, w.before) for w in writes]
            for n, save in enumerate(saves, 1):
                uow.apply_prepared(save)
                uow.add_audit(
                    self._audit(
                        AuditAction.IMPORT, save.contact.id, save.fields, save.contact.version
                    )
                )
                if n % 1000 == 0 or n == len(saves):
                    progress("Saving", n, len(saves))
            # A note someone added meanwhile with the same text is not added twice.
            report.notes_added = _notes_still_new(uow, report.notes_added)
            # The notes one import adds may share a time, and notes sort by time, then id:
            # ascending ids keep a card's NOTEs in the file's order (an export imported again).
            note_ids = sorted(_new_id() for _ in report.notes_added)
            for note_id, note in zip(note_ids, report.notes_added, strict=True):
                uow.add_note(note_id, note.contact_id, note.text)  # audited by the store
            report.written = bool(saves or report.notes_added)
        return report

    def _soft_duplicates(self, created: list[PlannedWrite]) -> list[tuple[int, str]]:
        """(line, warning) for each row an import creates that is likely a stored contact
        typed again: the same folded name and postal code or email domain (the hard kind, a
        number another contact has, is the planner's "shares a number" warning). Up to
        IMPORT_NAME_SEARCHES rows are looked up with a bounded name search each; a bigger
        import reads the stored names once instead (one pass, not a search per row)."""
        drafts = [(w, ContactDraft.from_contact(w.contact)) for w in created]
        drafts = [(w, d) for w, d in drafts if name_words(d)]
        if not drafts:
            return []
        by_name: dict[tuple[str, str], list[Contact]] | None = None
        if len(drafts) > IMPORT_NAME_SEARCHES:
            by_name = {}
            for stored in self.repo.contacts(self.repo.contact_ids()):
                key = folded_name(stored.first_name, stored.last_name)
                by_name.setdefault(key, []).append(stored)
        warnings: list[tuple[int, str]] = []
        for write, draft in drafts:
            if by_name is None:
                candidates, _ = self.repo.search_text(name_words(draft), SOFT_CANDIDATES)
            else:
                candidates = by_name.get(folded_name(draft.first_name, draft.last_name), [])
            for stored in candidates:
                if stored.type == ContactType.EPHEMERAL or stored.id == write.contact.id:
                    continue
                why = soft_reasons(draft, stored)
                if why:
                    warnings.append(
                        (
                            write.line,
                            f"line {write.line}: likely the same person as "
                            f"{stored.display_name} (id {stored.id}): {', '.join(why)}; "
                            "added as a new contact",
                        )
                    )
        return warnings

    def _plan(
        self,
        checked: list[CheckedRow],
        view: ContactStore | StoreTransaction,
        base: ImportReport,
        progress: Progress,
    ) -> tuple[ImportReport, list[PlannedWrite]]:
        """What the checked rows would do to the store as ``view`` shows it: a report (the
        checking problems and warnings of ``base`` plus the matching ones) and the writes."""
        report = replace(
            base,
            problems=list(base.problems),
            warnings=list(base.warnings),
            created=[],
            updated=[],
            unchanged=0,
            single_name_lines=[],
        )
        planner = Planner(
            view=view, region=self.region, user=self.agent.user, now=self.clock(), can=self.can
        )
        writes: list[PlannedWrite] = []
        for n, row in enumerate(checked, 1):
            result = planner.plan(row)
            if isinstance(result, RowProblem):
                report.problems.append(result)
            elif result is None:
                report.unchanged += 1
            else:
                writes.append(result)
                (report.created if result.before is None else report.updated).append(result)
            if row.single_name and not row.row.exact_names and not isinstance(result, RowProblem):
                report.single_name_lines.append(row.row.line)
            if n % 200 == 0 or n == len(checked):
                progress("Matching", n, len(checked))
        report.warnings.extend(planner.warnings)
        # The notes the rows add, against the notes their contacts have now; a row refused
        # for its notes (no edit permission) writes nothing, its contact included.
        pairs = [
            (row, contact)
            for row in checked
            if row.contact_notes and (contact := planner.contacts.get(row.row.line)) is not None
        ]
        # A contact the import creates (version 0) has no notes to read yet.
        stored = view.notes_of(c.id for _, c in pairs if c.version) if pairs else {}
        report.notes_added, refused = plan_notes(
            pairs,
            {cid: [n.text for n in notes] for cid, notes in stored.items()},
            self.allowed(UseCase.ADD_NOTE),
        )
        if refused:
            lines = {p.line for p in refused}
            report.problems.extend(refused)
            report.unchanged -= len(lines - {w.line for w in writes})
            writes = [w for w in writes if w.line not in lines]
            report.created = [w for w in report.created if w.line not in lines]
            report.updated = [w for w in report.updated if w.line not in lines]
            report.single_name_lines = [n for n in report.single_name_lines if n not in lines]
        report.problems.sort(key=lambda p: p.line)
        return report, writes

    # --- helpers -------------------------------------------------------------------------

    def _checked(self, draft: ContactDraft) -> CheckedFields:
        # No warnings: a save does not show them (check() does, before it).
        result = check_draft(draft, self.region, warn=False)
        if not result.ok or result.fields is None:
            raise InvalidInput(_errors_sentence(result.errors), result.errors)
        return result.fields

    def _audit(
        self,
        action: AuditAction,
        contact_id: str | None,
        fields: Sequence[str],
        version: int | None = None,
        interaction_id: str | None = None,
    ) -> AuditRecord:
        return AuditRecord(
            id=_new_id(),
            at=self.clock(),
            agent=self.agent.user,
            action=action,
            contact_id=contact_id,
            fields=tuple(fields),
            version=version,
            interaction_id=interaction_id,
        )


_TYPE_RANK = {ContactType.CURATED: 0, ContactType.IDENTIFIED: 1, ContactType.EPHEMERAL: 2}


def _preferred_first(matches: list[Contact]) -> list[Contact]:
    """Several contacts with one identity: curated before identified before ephemeral, and
    within each, first-created first (the order the store gives). A customer the agents know
    wins over an ephemeral record of the same caller."""
    return sorted(matches, key=lambda c: _TYPE_RANK[c.type])


def _still_valid(
    uow: StoreTransaction,
    writes: list[PlannedWrite],
    planned_at: tuple[int, int],
    noted: Collection[str] = (),
) -> bool:
    """True when nothing other processes committed since ``planned_at`` touches the plan:
    no contact it writes was changed (a renewed last-interaction date aside, which the write
    keeps), removed or made again differently, and no other changed contact now has a phone
    or email the plan matched on or gives out, and no contact the plan only adds notes to
    (``noted``) is gone. Unrelated saves by busy agents leave the plan standing."""
    changed = uow.contact_ids_changed_since(planned_at)
    if changed is None:
        return False  # the store was read afresh: assume the worst
    if not changed:
        return True
    planned = {w.contact.id: w for w in writes}
    keys: set[str] = set()
    for write in writes:
        keys.update(match_keys(write.contact))
        if write.before is not None:
            keys.update(match_keys(write.before))
    for contact_id in changed:
        mine = planned.get(contact_id)
        if mine is None:
            if keys & uow.contact_keys(contact_id):
                return False
            if contact_id in noted and uow.contact(contact_id) is None:
                return False  # erased or merged away: its notes would name no contact
            continue
        now = uow.contact(contact_id)
        before = mine.before
        if now is None or before is None:
            return False
        # Exactly as planned from (version and content: a contact removed and made again
        # under its id can be at the same version), a call's renewed date aside.
        if replace(now, last_interaction_date=None) != replace(before, last_interaction_date=None):
            return False
    return True


def _notes_still_new(uow: StoreTransaction, planned: list[PlannedNote]) -> list[PlannedNote]:
    """The planned notes whose contact still has no note of their text, as of ``uow``."""
    if not planned:
        return planned
    stored = uow.notes_of({n.contact_id for n in planned})
    texts = {cid: {n.text for n in notes} for cid, notes in stored.items()}
    return [n for n in planned if n.text not in texts.get(n.contact_id, ())]


def _split_name(name: str) -> tuple[str, str]:
    """'Sam de Vries' -> ('Sam de', 'Vries'): a best guess the agent corrects on promote."""
    try:
        clean = validate_name(name, "Name", required=False)
    except RuleError:
        return "", ""
    if not clean:
        return "", ""
    first, _, last = clean.rpartition(" ")
    return (first, last) if first else (clean, "")


def _note_text(text: str) -> str:
    """A note's text as stored, or InvalidInput saying what is wrong with it."""
    try:
        return validate_note(text)
    except RuleError as err:
        raise InvalidInput(str(err), {"noteText": str(err)}) from None


def _errors_sentence(errors: dict[str, str]) -> str:
    if len(errors) == 1:
        return next(iter(errors.values()))
    listed = "; ".join(f"{field_label(k)}: {v}" for k, v in errors.items())
    return f"{len(errors)} fields need fixing. {listed}"
