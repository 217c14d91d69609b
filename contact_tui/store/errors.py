"""Errors the store raises. Each one's message is one sentence a person can act on."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from contact_tui.domain.model import Permission
from contact_tui.domain.present import timestamp

# Refusing an interaction routed to no one who could read it (no queue would show it: lost
# work). One sentence for both stores: the service says it, and PostgreSQL's save_interaction
# raises it (schema.py fills it in with '%' for the agent).
NO_AGENT_TO_TAKE = (
    "There is no agent {agent} who could take this interaction (no such user, or one without "
    "the {permission} permission); nothing was saved."
)


def no_agent_to_take(agent: str) -> str:
    """:data:`NO_AGENT_TO_TAKE` for ``agent``."""
    return NO_AGENT_TO_TAKE.format(agent=agent, permission=Permission.VIEW.value)


class StoreError(Exception):
    """Base class for every store failure."""


class StoreUnreadable(StoreError):
    """A store file exists but cannot be read or parsed; it is never overwritten."""

    def __init__(self, path: Path | str, reason: str, hint: str = "") -> None:
        self.path = path
        self.reason = reason
        hint = hint or "Run 'contact-tui doctor' for details; the file has not been changed."
        super().__init__(f"Cannot read the store file {path}: {reason}. {hint}")


class UnsafeStoreFile(StoreUnreadable):
    """Something other than a regular file where a store file should be: a symlink, a FIFO, a
    device, a socket or a folder. It is never followed, read or written through: on a shared
    host it is how someone in the group would turn another user's process against them."""

    def __init__(self, path: Path, kind: str) -> None:
        self.kind = kind
        super().__init__(
            path,
            f"it is {kind}, not a regular file, so it was not opened",
            "Someone who can write to the folder may have put it there: check it (ls -l), move "
            "it out of the folder, then run 'contact-tui doctor'.",
        )


class RecordUnreadable(StoreUnreadable):
    """A record in a database store does not have the shape the app reads (the schema's
    checks keep new ones out; one written before them, or by hand, may remain)."""

    def __init__(self, where: str, reason: str) -> None:
        self.path = where
        self.reason = reason
        StoreError.__init__(
            self,
            f"A record in {where} cannot be read ({reason}); nothing was changed. Ask your "
            "admin to fix or remove it.",
        )


class StoreUnavailable(StoreError):
    """The store cannot be written or locked right now (busy lock, full disk, no permission),
    or cannot be reached (the database server is down, refuses the user, has no schema)."""


class StoreRefused(StoreError):
    """The database refused an action this user lacks a permission for: the server's own check,
    below the app's. ``permission`` names the one it said was missing, when it said."""

    def __init__(self, message: str, permission: Permission | None = None) -> None:
        self.permission = permission
        super().__init__(message)


class ConflictError(StoreError):
    """A save was based on a version of a contact (or of a contact note: ``thing``) that
    someone else has since changed."""

    def __init__(
        self,
        contact_id: str,
        expected: int,
        current: int,
        modified_by: str,
        modified_at: datetime | None,
        thing: str = "contact",
    ) -> None:
        self.contact_id = contact_id  # the note's id when ``thing`` is "note"
        self.expected = expected
        self.current = current
        self.modified_by = modified_by
        self.modified_at = modified_at
        self.thing = thing
        super().__init__(
            f"This {thing} was changed by {modified_by or 'someone'} at "
            f"{timestamp(modified_at, 'an unknown time')} "
            f"(version {current}; you started from version {expected})."
        )


class NotFound(StoreError):
    """A contact or interaction with that id does not exist."""


class JournalDamaged(StoreUnreadable):
    """A complete journal record fails its checksum or shape; ``offset`` is where it starts."""

    def __init__(self, path: Path, offset: int, line: int, reason: str) -> None:
        self.offset = offset
        self.line = line
        super().__init__(
            path,
            f"line {line} (byte {offset}) is damaged: {reason}",
            "Nothing was changed; 'contact-tui doctor --repair' can cut the journal back to "
            "the last good record, keeping a copy of the rest.",
        )
