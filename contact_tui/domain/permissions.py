"""Which permissions each use case needs: the one table the service, the screens, the command
line and the tests all ask (``ContactService.allowed``/``missing``/``require_use_case``).

An interaction routed to another agent is a qualifier, not a use case of its own: reading or
acting on one (link, unlink, end, a contact made from it, its listing) needs
``UseCase.OTHERS_INTERACTION`` on top of the action's own permissions; putting one in another
agent's queue is ``UseCase.ROUTE_INTERACTION`` instead of ``TAKE_IN_INTERACTION``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

from contact_tui.domain.model import Permission


class UseCase(StrEnum):
    """An action an agent takes, named as the agent would name it."""

    VIEW_CONTACTS = "view contacts"  # a contact, its history, who holds a number
    SEARCH = "search contacts"  # the directory, `contact search` and `contact list`
    CREATE_CONTACT = "create a contact"
    EDIT_CONTACT = "edit a contact"
    PROMOTE_CONTACT = "add a contact to Contacts"
    LINK = "link an interaction to a contact"  # choosing a candidate is a link too
    UNLINK = "unlink an interaction"
    END_INTERACTION = "end an interaction"
    READ_INTERACTIONS = "read your own interactions"
    OTHERS_INTERACTION = "read or act on another agent's interaction"
    TAKE_IN_INTERACTION = "take in an interaction of your own"
    ROUTE_INTERACTION = "hand an interaction to another agent"
    IMPORT_CONTACTS = "import contacts"
    EXPORT_CONTACTS = "export contacts"
    CHANGE_SETTINGS = "change admin settings"
    EXPIRE_EPHEMERAL = "expire ephemeral contacts"
    CONTACT_HISTORY = "see a contact's interactions"
    WRAP_UP = "write an interaction's wrap-up note"
    VIEW_NOTES = "read a contact's notes"
    ADD_NOTE = "add a note to a contact"
    EDIT_NOTE = "edit or delete your own note"
    OTHERS_NOTE = "edit or delete another agent's note"  # a qualifier, like OTHERS_INTERACTION
    MERGE_CONTACTS = "merge two contacts"  # the preview too: it shows both whole
    UNMERGE_CONTACTS = "undo a merge"
    ERASE_CONTACT = "erase a contact"  # an erasure request: the data leaves the store


AGENT_PERMISSIONS = frozenset(
    {Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE, Permission.MERGE}
)
# The built-in roles: what the config's [users] and [groups] tables name, and the PostgreSQL
# store's group roles (contact-tui db grant USER ROLE).
BUILTIN_ROLES: Mapping[str, frozenset[Permission]] = MappingProxyType(
    {
        "viewer": frozenset({Permission.VIEW}),
        "agent": AGENT_PERMISSIONS,
        "supervisor": AGENT_PERMISSIONS
        | {
            Permission.ADMIN,
            Permission.ROUTE,
            Permission.VIEW_ALL_INTERACTIONS,
            Permission.NOTE_EDIT_ALL,
            Permission.DELETE,
        },
        # The routing integration's account: it hands interactions to agents and reads nothing.
        "router": frozenset({Permission.ROUTE}),
    }
)

_VIEW = frozenset({Permission.VIEW})

NEEDS: Mapping[UseCase, frozenset[Permission]] = MappingProxyType(
    {
        UseCase.VIEW_CONTACTS: _VIEW,
        UseCase.SEARCH: _VIEW,
        UseCase.CREATE_CONTACT: frozenset({Permission.ADD}),
        UseCase.EDIT_CONTACT: frozenset({Permission.EDIT}),
        UseCase.PROMOTE_CONTACT: frozenset({Permission.PROMOTE}),
        # Linking, unlinking and ending an interaction of your own are part of handling it.
        UseCase.LINK: _VIEW,
        UseCase.UNLINK: _VIEW,
        UseCase.END_INTERACTION: _VIEW,
        UseCase.READ_INTERACTIONS: _VIEW,
        # Transcripts hold what customers said: another agent's are a supervisor's to read.
        UseCase.OTHERS_INTERACTION: frozenset({Permission.VIEW_ALL_INTERACTIONS}),
        # Your own queue is read with view, so a user with no role pushes nothing into it.
        UseCase.TAKE_IN_INTERACTION: _VIEW,
        # It puts words in front of another agent as if a customer said them.
        UseCase.ROUTE_INTERACTION: frozenset({Permission.ROUTE}),
        # View too: matching names the stored contacts a row touches, and reports what is
        # unchanged, which would let an agent without view probe the directory.
        UseCase.IMPORT_CONTACTS: frozenset({Permission.VIEW, Permission.ADD}),
        UseCase.EXPORT_CONTACTS: _VIEW,
        UseCase.CHANGE_SETTINGS: frozenset({Permission.ADMIN}),
        UseCase.EXPIRE_EPHEMERAL: frozenset({Permission.ADMIN}),
        # The contact's interactions the agent may read: their own, or all with view-all
        # (the service filters; PostgreSQL's row-level security does the same).
        UseCase.CONTACT_HISTORY: _VIEW,
        # Part of handling your own interaction, as ending it is; another agent's needs
        # OTHERS_INTERACTION on top.
        UseCase.WRAP_UP: _VIEW,
        UseCase.VIEW_NOTES: _VIEW,
        # A note changes what agents read about the customer, as an edit of the contact does.
        UseCase.ADD_NOTE: frozenset({Permission.EDIT}),
        UseCase.EDIT_NOTE: frozenset({Permission.EDIT}),
        # On top of EDIT_NOTE: another agent's words are a supervisor's to change.
        UseCase.OTHERS_NOTE: frozenset({Permission.NOTE_EDIT_ALL}),
        # A merge shows both contacts whole (view), rewrites the kept one (edit) and removes
        # the other; an unmerge puts both back. Merge alone can be taken from an agent.
        UseCase.MERGE_CONTACTS: frozenset({Permission.VIEW, Permission.EDIT, Permission.MERGE}),
        UseCase.UNMERGE_CONTACTS: frozenset({Permission.VIEW, Permission.EDIT, Permission.MERGE}),
        # An erasure cannot be undone and scrubs the audit: no other permission implies
        # delete (an admin without it cannot erase); view, as the agent sees whom it erases.
        UseCase.ERASE_CONTACT: frozenset({Permission.VIEW, Permission.DELETE}),
    }
)
assert set(NEEDS) == set(UseCase), "every use case has its row"


def in_check_order(permissions: Iterable[Permission]) -> tuple[Permission, ...]:
    """``permissions`` in the order they are checked and named (Permission's own order: view
    before add), so a refusal names the same permission whichever caller asked."""
    chosen = set(permissions)
    return tuple(p for p in Permission if p in chosen)


def missing(held: Iterable[Permission], use_case: UseCase) -> frozenset[Permission]:
    """The permissions ``use_case`` needs that ``held`` lacks (empty: allowed)."""
    return NEEDS[use_case] - frozenset(held)
