"""Which keys of the main screen and the directory apply, which the agent may use, and what the
agent is told about the rest: plain functions of the agent and of what is selected.

The screens' ``check_action`` and ``disabled_reason`` and the main screen's profile notes call
these and decide nothing themselves, so the whole permission matrix is tested here without an
app (tests/permissions/test_gating.py) and a few Pilot runs prove the screens use them. This
module imports no Textual.

A gate is what Textual's ``check_action`` returns: True (offered), None (shown disabled: not
permitted, and the key says why) or False (does not apply here: hidden, the key says nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contact_tui.config import Agent
from contact_tui.domain.model import (
    Contact,
    ContactType,
    Interaction,
    InteractionState,
    MatchKind,
    Permission,
)
from contact_tui.domain.permissions import UseCase, in_check_order, missing

# The main screen's actions: action -> (the use case it is, what the agent would be doing),
# for the reasons shown when one is not allowed; the permissions each use case needs are in
# domain/permissions.py. Their order is the order of the notes' labels.
GATED: dict[str, tuple[UseCase, str]] = {
    "add_to_contacts": (UseCase.PROMOTE_CONTACT, "Add to Contacts"),
    "new_contact": (UseCase.CREATE_CONTACT, "Create New Contact"),
    "edit": (UseCase.EDIT_CONTACT, "Edit"),
    "link": (UseCase.LINK, "Link"),
    "unlink": (UseCase.UNLINK, "Unlink"),
    "choose_contact": (UseCase.LINK, "Choose a matching contact"),
    "directory": (UseCase.SEARCH, "Directory"),
    "end_interaction": (UseCase.END_INTERACTION, "End"),
    "wrap_up": (UseCase.WRAP_UP, "Wrap-up note"),
    "add_note": (UseCase.ADD_NOTE, "Add a note"),
    "notes": (UseCase.VIEW_NOTES, "Notes"),
    "merge": (UseCase.MERGE_CONTACTS, "Merge"),
    "merges": (UseCase.UNMERGE_CONTACTS, "Undo a merge"),
    "erase": (UseCase.ERASE_CONTACT, "Erase"),
}
# Actions the profile's notes leave out: erasure is a supervisor's, and an agent told on every
# profile that it lacks delete would lose a line at 80x24 to something not theirs to do. Its
# key still shows disabled and says why when pressed. The notes list needs what seeing a
# contact on the profile needs: without it there is no contact to list the notes of.
UNNOTED = frozenset({"erase", "notes"})

# The directory's actions that need a permission: action -> (what the agent would be doing,
# the use case it is).
DIRECTORY_GATED: dict[str, tuple[str, UseCase]] = {
    "new": ("Create New Contact", UseCase.CREATE_CONTACT),
    "edit": ("Edit", UseCase.EDIT_CONTACT),
    "import": ("Import", UseCase.IMPORT_CONTACTS),
    "export": ("Export", UseCase.EXPORT_CONTACTS),
    "merge": ("Merge", UseCase.MERGE_CONTACTS),
}


def not_allowed(label: str, needs: Sequence[Permission], roles: str) -> str:
    """The sentence a screen's ``disabled_reason`` gives for an action the agent's roles do not
    permit: what it is, the permissions it needs, and whom to ask. One wording for every
    screen."""
    names = " and ".join(p.value for p in needs)
    plural = "s" if len(needs) > 1 else ""
    return (
        f"{label} is not allowed for you: it needs the {names} permission{plural}, which your "
        f"roles ({roles}) do not give; ask your admin for it."
    )


# --- the main screen -------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """What the main screen acts on: the selected interaction, the contact linked to it (None
    when none is, or the agent may not see it), and the contacts it matched that still exist."""

    interaction: Interaction | None
    contact: Contact | None
    candidates: tuple[Contact, ...] = ()


def several_match(interaction: Interaction | None, candidates: Sequence[Contact]) -> bool:
    """True when the interaction matched more than one contact that still exists."""
    return (
        interaction is not None and interaction.match == MatchKind.MULTIPLE and len(candidates) > 1
    )


def applies(action: str, selection: Selection) -> bool:
    """True when the main screen's ``action`` has something to act on in ``selection``."""
    interaction, contact = selection.interaction, selection.contact
    if action == "choose_contact":
        return several_match(interaction, selection.candidates)
    return {
        "add_to_contacts": contact is not None and contact.type != ContactType.CURATED,
        "new_contact": True,
        "edit": contact is not None,
        "link": interaction is not None,
        "unlink": interaction is not None and interaction.contact_id is not None,
        "directory": True,
        "end_interaction": interaction is not None and interaction.state != InteractionState.ENDED,
        "wrap_up": interaction is not None,
        "add_note": contact is not None,
        "notes": contact is not None,
        # A caller's contact not yet in Contacts is merged into the customer they turn out to
        # be (issue 13); a curated one is merged from the directory.
        "merge": interaction is not None
        and contact is not None
        and contact.type != ContactType.CURATED,
        # Any shown contact may have had others merged into it: the list says which.
        "merges": contact is not None,
        # Any shown contact may be the subject of an erasure request.
        "erase": contact is not None,
    }[action]


def use_case(action: str, contact: Contact | None) -> UseCase:
    """The use case the main screen's ``action`` is on ``contact``: Edit on a contact not yet in
    Contacts is Add to Contacts, so it needs what promoting needs."""
    if action == "edit" and contact is not None and contact.type != ContactType.CURATED:
        return UseCase.PROMOTE_CONTACT
    return GATED[action][0]


def may(action: str, contact: Contact | None, agent: Agent) -> bool:
    """True when ``agent`` holds every permission the main screen's ``action`` needs now."""
    return not missing(agent.permissions, use_case(action, contact))


def main_gate(action: str, selection: Selection, agent: Agent) -> bool | None:
    """The main screen's ``check_action`` for every action it gates (others are offered):
    hidden where it does not apply, disabled where ``agent`` may not take it."""
    if action not in GATED:
        return True
    if not applies(action, selection):
        return False
    return True if may(action, selection.contact, agent) else None


def main_disabled_reason(action: str, selection: Selection, agent: Agent) -> str | None:
    """Why the main screen's key for ``action`` does nothing (the permissions it needs and whom
    to ask), or None when it is not disabled."""
    if main_gate(action, selection, agent) is not None:
        return None
    label = GATED[action][1]
    needs = use_case(action, selection.contact)
    if action == "edit" and needs == UseCase.PROMOTE_CONTACT:
        label = "Add to Contacts (Edit on a contact not yet in Contacts)"
    return not_allowed(label, in_check_order(missing(agent.permissions, needs)), agent.role_label)


def denied_notes(agent: Agent) -> tuple[str, ...]:
    """The profile's notes: which of the main screen's actions ``agent`` may not take, grouped
    by the permission they need (none when every one is allowed; ``UNNOTED`` ones never)."""
    held = agent.permissions
    noted = [use for action, use in GATED.items() if action not in UNNOTED]
    lacking: dict[Permission, list[str]] = {}
    for action_use, label in noted:
        for permission in in_check_order(missing(held, action_use)):
            lacking.setdefault(permission, []).append(label)
    if not lacking:
        return ()
    unread = in_check_order(missing(held, UseCase.READ_INTERACTIONS))
    hidden = (
        (f"Your interactions are not shown: that needs {' and '.join(p.value for p in unread)}.",)
        if unread
        else ()
    )
    if all(missing(held, action_use) for action_use, _ in noted):
        return (
            *hidden,
            f"Your roles ({agent.role_label}) allow no contact actions. "
            "Ask your admin for the agent role.",
        )
    return hidden + tuple(
        f"Not allowed for you: {', '.join(labels)} (needs {permission.value})."
        for permission, labels in lacking.items()
    )


# --- the directory ---------------------------------------------------------------------------


def directory_gate(
    action: str, highlighted: Contact | None, interaction: Interaction | None, agent: Agent
) -> bool | None:
    """The directory's ``check_action``: Edit and Merge need a highlighted contact, Link an
    interaction too; New, Edit, Import and Export show disabled without their permissions."""
    if action in ("edit", "merge") and highlighted is None:
        return False
    if action in DIRECTORY_GATED:
        return True if not missing(agent.permissions, DIRECTORY_GATED[action][1]) else None
    if action == "link":
        return interaction is not None and highlighted is not None
    return True


def directory_disabled_reason(action: str, agent: Agent) -> str | None:
    """Why the directory's key for ``action`` does nothing for lack of a permission, or None
    when it needs none that ``agent`` lacks."""
    if action not in DIRECTORY_GATED:
        return None
    label, action_use = DIRECTORY_GATED[action]
    lacking = in_check_order(missing(agent.permissions, action_use))
    return not_allowed(label, lacking, agent.role_label) if lacking else None
