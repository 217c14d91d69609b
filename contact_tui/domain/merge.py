"""Merging two contacts into one, and undoing it: the rules, apart from any store.

:func:`plan_merge` works out what the kept contact holds after another contact is merged into
it; :func:`plan_unmerge` what it holds once the merge is undone. The service runs both inside
one store transaction and each store writes the result (the embedded store in one journal
record, PostgreSQL in one SECURITY DEFINER function).

A merge is decided field group by field group, and the agent may choose per group with
``prefer`` (group id -> "keep" or "other"):

* one-value fields (names, title, URL, notes), the address as a whole and the survey opt-out:
  the kept contact's value, or the other's where the kept one has none (an opt-out from either
  stands: the customer said so); ``prefer`` picks a side, even an empty one;
* phone and email slots: every number and address of the other contact that the kept one does
  not hold moves: into the slot of the same name if it is free, else into the first free slot
  of its kind. ``prefer SLOT=other`` gives the other contact that slot (its number there, or,
  if it has none, a free slot for one that needs room; the kept number there is given up);
  ``prefer SLOT=keep`` leaves the other contact's number in that slot behind. A number with
  no room is a collision, and a merge with a collision is refused until the agent chooses;
* messaging identities, by platform: one only one side has moves; on platforms whose identity
  holds several ids (Facebook, LINE, Instagram, web chat) both sides' ids are kept; on WhatsApp
  and X an identity holds one id, so two different ones collide unless ``prefer`` picks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from contact_tui.domain.fields import TEXT_FIELDS, Field
from contact_tui.domain.model import (
    Address,
    Contact,
    ContactType,
    EmailKind,
    MergeDetail,
    MessagingIdentity,
    PhoneKind,
    PhoneNumber,
    Platform,
)
from contact_tui.domain.present import phone_text


class Side(StrEnum):
    """Which contact a field group's value comes from."""

    KEEP = "keep"
    OTHER = "other"


# The Genesys key of each platform's identity: the id ``prefer`` names it by.
IDENTITY_KEYS: dict[Platform, str] = {
    Platform.WHATSAPP: "whatsAppId",
    Platform.FACEBOOK: "facebookId",
    Platform.TWITTER: "twitterId",
    Platform.LINE: "lineId",
    Platform.INSTAGRAM: "instagramId",
    Platform.WEBCHAT: "webChatId",
}
# Platforms whose identity holds one id only (see codec._identity_to_doc).
SINGLE_ID_PLATFORMS = frozenset({Platform.WHATSAPP, Platform.TWITTER})
# One-value fields taken whole from one side (SMS flags travel with their phone).
_SCALARS: tuple[Field, ...] = TEXT_FIELDS
ADDRESS = "address"
SURVEY = "surveyOptOut"
# Every id ``prefer`` may name, with the label a person reads.
GROUPS: dict[str, str] = {
    **{f.id: f.label for f in _SCALARS},
    ADDRESS: "Address",
    SURVEY: "Survey opt-out",
    **{k.value: f"{k.label} phone" for k in PhoneKind},
    **{k.value: f"{k.label} email" for k in EmailKind},
    **{key: f"{p.label} id" for p, key in IDENTITY_KEYS.items()},
}

_RANK = {ContactType.EPHEMERAL: 0, ContactType.IDENTIFIED: 1, ContactType.CURATED: 2}


def established(contact: Contact) -> int:
    """How established a contact is (curated above identified above ephemeral): a merge keeps
    the more established of two, and a picker of whom to merge into lists them first."""
    return _RANK[contact.type]


def outranks(one: Contact, other: Contact) -> bool:
    """True when ``one`` is more established than ``other``, so merging ``one`` into ``other``
    is refused (see :func:`check_pair`) and the other way round is the merge meant."""
    return established(one) > established(other)


class MergeRefused(ValueError):
    """These two contacts cannot be merged this way; the message says why and what to do."""


@dataclass(frozen=True)
class FieldOutcome:
    """One field group in a merge preview: both sides' values and the result's, as text."""

    id: str
    label: str
    keep: str
    other: str
    result: str

    @property
    def source(self) -> str:
        """Where the result came from: 'same', 'keep', 'other', 'both' or '' (all empty)."""
        if not self.result:
            return ""
        if self.keep == self.other:
            return "same"
        if self.result == self.keep:
            return Side.KEEP.value
        if self.result == self.other:
            return Side.OTHER.value
        return "both"


@dataclass(frozen=True)
class Move:
    """A phone, email or messaging id of the other contact and where it lands."""

    kind: str  # "phone", "email" or "messaging id"
    value: str
    from_slot: str  # the other contact's slot (a field id or an identity key)
    to_slot: str  # the result's slot


@dataclass(frozen=True)
class Dropped:
    """A value the result does not hold, because ``prefer`` chose so."""

    kind: str
    value: str
    slot: str
    side: Side


@dataclass(frozen=True)
class Collision:
    """A value of the other contact with no room on the kept one; ``choices`` are the
    ``prefer`` entries that would resolve it."""

    kind: str
    value: str
    from_slot: str
    choices: tuple[str, ...]

    @property
    def message(self) -> str:
        """One sentence saying what collides and how to choose."""
        label = GROUPS.get(self.from_slot, self.from_slot).lower()
        options = " or ".join(self.choices)
        return (
            f"The other contact's {label} {self.value} has no free {self.kind} slot on the kept "
            f"contact; choose with prefer {options}."
        )


@dataclass(frozen=True)
class MergeResult:
    """What the kept contact holds after the merge (its bookkeeping not yet set), and why."""

    contact: Contact
    fields: tuple[FieldOutcome, ...]
    moves: tuple[Move, ...]
    dropped: tuple[Dropped, ...]
    collisions: tuple[Collision, ...]


def check_prefer(prefer: Mapping[str, str] | None) -> dict[str, Side]:
    """``prefer`` with its values as :class:`Side`; MergeRefused naming an unknown group or
    side."""
    checked: dict[str, Side] = {}
    for key, value in (prefer or {}).items():
        if key not in GROUPS:
            raise MergeRefused(
                f"There is no field {key!r} to choose for a merge; choose among "
                f"{', '.join(GROUPS)}."
            )
        try:
            checked[key] = Side(value)
        except ValueError:
            raise MergeRefused(f"Choose 'keep' or 'other' for {key}, not {value!r}.") from None
    return checked


def check_pair(keep: Contact, other: Contact) -> None:
    """MergeRefused unless ``other`` may be merged into ``keep``: two contacts, and the kept
    one at least as established (an ephemeral contact is merged into the curated customer,
    never the other way round, which would make the customer ephemeral)."""
    if keep.id == other.id:
        raise MergeRefused("A contact cannot be merged into itself; name two different contacts.")
    if outranks(other, keep):
        raise MergeRefused(
            f"Contact {other.id} is {other.type.value} and {keep.id} is {keep.type.value}: keep "
            f"the {other.type.value} one, merging {keep.id} into {other.id}."
        )


def plan_merge(
    keep: Contact, other: Contact, prefer: Mapping[str, str] | None = None
) -> MergeResult:
    """What merging ``other`` into ``keep`` gives (see the module docstring); MergeRefused for
    a pair that cannot be merged or an unknown ``prefer`` entry."""
    check_pair(keep, other)
    chosen = check_prefer(prefer)
    result = keep
    outcomes: list[FieldOutcome] = []
    for spec in _SCALARS:
        mine, theirs = getattr(keep, spec.attr), getattr(other, spec.attr)
        value = _pick(chosen.get(spec.id), mine, theirs, bool(mine))
        result = replace(result, **{spec.attr: value})
    address = _pick(chosen.get(ADDRESS), keep.address, other.address, not keep.address.is_empty())
    survey = _pick(
        chosen.get(SURVEY),
        keep.survey_opt_out,
        other.survey_opt_out,
        keep.survey_opt_out or not other.survey_opt_out,
    )
    result = replace(result, address=address, survey_opt_out=survey)
    moves: list[Move] = []
    dropped: list[Dropped] = []
    collisions: list[Collision] = []
    result = _merge_phones(result, keep, other, chosen, moves, dropped, collisions)
    result = _merge_emails(result, keep, other, chosen, moves, dropped, collisions)
    result = _merge_identities(result, keep, other, chosen, moves, dropped, collisions)
    if other.last_interaction_date is not None and (
        keep.last_interaction_date is None
        or other.last_interaction_date > keep.last_interaction_date
    ):
        result = replace(result, last_interaction_date=other.last_interaction_date)
    for group, label in GROUPS.items():
        outcomes.append(
            FieldOutcome(
                group,
                label,
                group_text(keep, group),
                group_text(other, group),
                group_text(result, group),
            )
        )
    return MergeResult(result, tuple(outcomes), tuple(moves), tuple(dropped), tuple(collisions))


def _pick(side: Side | None, mine: Any, theirs: Any, keep_by_default: bool) -> Any:
    if side is Side.OTHER:
        return theirs
    if side is Side.KEEP or keep_by_default:
        return mine
    return theirs


def _phone_key(phone: PhoneNumber) -> str:
    return phone.e164 or phone.display.strip()


def _merge_phones(
    result: Contact,
    keep: Contact,
    other: Contact,
    chosen: Mapping[str, Side],
    moves: list[Move],
    dropped: list[Dropped],
    collisions: list[Collision],
) -> Contact:
    slots = _merge_slots(
        "phone",
        list(PhoneKind),
        lambda contact, kind: contact.phone(kind),
        _phone_key,
        phone_text,
        (keep, other, chosen, moves, dropped, collisions),
    )
    for kind, slot in slots.items():
        result = result.with_phone(kind, slot)
    return result


def _merge_emails(
    result: Contact,
    keep: Contact,
    other: Contact,
    chosen: Mapping[str, Side],
    moves: list[Move],
    dropped: list[Dropped],
    collisions: list[Collision],
) -> Contact:
    slots = _merge_slots(
        "email",
        list(EmailKind),
        lambda contact, kind: contact.email(kind) or None,
        str.lower,
        str,
        (keep, other, chosen, moves, dropped, collisions),
    )
    # Any: mypy checks ** against every field's type, not the one each key names.
    change: dict[str, Any] = {kind.attr: value or "" for kind, value in slots.items()}
    return replace(result, **change)


_Merging = tuple[Contact, Contact, Mapping[str, Side], list[Move], list[Dropped], list[Collision]]


def _merge_slots(
    what: str,
    kinds: list[Any],
    value_of: Callable[[Contact, Any], Any],
    key: Callable[[Any], str],
    text: Callable[[Any], str],
    merging: _Merging,
) -> dict[Any, Any]:
    """The kept contact's slots of one kind (phones or emails) after the merge: a slot the
    agent gives to the other contact takes its value; each of the other contact's values not
    already held (compared by ``key``) goes to its own slot if free, else the first free one
    (a collision when none is), unless the agent left it behind. Records what moves, what is
    given up and what collides."""
    keep, other, chosen, moves, dropped, collisions = merging
    slots: dict[Any, Any] = {k: value_of(keep, k) for k in kinds}
    for kind in kinds:
        if chosen.get(kind.value) is Side.OTHER:
            mine, theirs = value_of(keep, kind), value_of(other, kind)
            if mine is not None and (theirs is None or key(theirs) != key(mine)):
                dropped.append(Dropped(what, text(mine), kind.value, Side.KEEP))
            slots[kind] = theirs
    held = {key(v) for v in slots.values() if v is not None}
    waiting: list[tuple[Any, Any]] = []
    for kind in kinds:
        value = value_of(other, kind)
        if value is None:
            continue
        if key(value) in held:
            if slots[kind] == value and value_of(keep, kind) != value:
                moves.append(Move(what, text(value), kind.value, kind.value))
            continue
        if chosen.get(kind.value) is Side.KEEP:
            dropped.append(Dropped(what, text(value), kind.value, Side.OTHER))
            continue
        waiting.append((kind, value))
    for (kind, value), target in _place(slots, waiting, kinds):
        if target is None:
            collisions.append(Collision(what, text(value), kind.value, _choices(kind.value, kinds)))
            continue
        slots[target] = value
        moves.append(Move(what, text(value), kind.value, target.value))
    return slots


def _place(
    slots: Mapping[Any, Any], waiting: list[tuple[Any, Any]], order: list[Any]
) -> list[tuple[tuple[Any, Any], Any]]:
    """Where each waiting value lands: its own slot when that is free, else the first free
    slot in ``order`` (own slots first, so one value does not take another's own slot)."""
    free = [k for k in order if slots[k] is None]
    placed: dict[int, Any] = {}
    for n, (kind, _) in enumerate(waiting):
        if kind in free:
            placed[n] = kind
            free.remove(kind)
    for n in range(len(waiting)):
        if n not in placed:
            placed[n] = free.pop(0) if free else None
    return [(waiting[n], placed[n]) for n in range(len(waiting))]


def _choices(slot: str, kinds: Iterable[PhoneKind | EmailKind]) -> tuple[str, ...]:
    return (*(f"{k.value}=other" for k in kinds), f"{slot}=keep")


def _merge_identities(
    result: Contact,
    keep: Contact,
    other: Contact,
    chosen: Mapping[str, Side],
    moves: list[Move],
    dropped: list[Dropped],
    collisions: list[Collision],
) -> Contact:
    for platform, key in IDENTITY_KEYS.items():
        mine, theirs = keep.identity(platform), other.identity(platform)
        if theirs is None:
            if mine is not None and chosen.get(key) is Side.OTHER:
                dropped.append(Dropped("messaging id", mine.summary(), key, Side.KEEP))
                result = _without_identity(result, platform)
            continue
        if mine is None:
            if chosen.get(key) is Side.KEEP:
                dropped.append(Dropped("messaging id", theirs.summary(), key, Side.OTHER))
            else:
                moves.append(Move("messaging id", theirs.summary(), key, key))
                result = result.with_identity(theirs)
            continue
        if set(theirs.ids) <= set(mine.ids):
            continue
        side = chosen.get(key)
        if side is Side.KEEP:
            dropped.append(Dropped("messaging id", theirs.summary(), key, Side.OTHER))
        elif side is Side.OTHER:
            dropped.append(Dropped("messaging id", mine.summary(), key, Side.KEEP))
            moves.append(Move("messaging id", theirs.summary(), key, key))
            result = result.with_identity(theirs)
        elif platform in SINGLE_ID_PLATFORMS:
            collisions.append(
                Collision("messaging id", theirs.summary(), key, (f"{key}=keep", f"{key}=other"))
            )
        else:
            extra = tuple(i for i in theirs.ids if i not in mine.ids)
            moves.append(Move("messaging id", ", ".join(extra), key, key))
            result = result.with_identity(replace(mine, ids=(*mine.ids, *extra)))
    return result


def _without_identity(contact: Contact, platform: Platform) -> Contact:
    return replace(
        contact, identities=tuple(i for i in contact.identities if i.platform != platform)
    )


def group_value(contact: Contact, group: str) -> Any:
    """A field group's value on ``contact``, for comparing (see :data:`GROUPS`)."""
    if group == ADDRESS:
        return contact.address
    if group == SURVEY:
        return contact.survey_opt_out
    for kind in PhoneKind:
        if group == kind.value:
            return contact.phone(kind)
    for email_kind in EmailKind:
        if group == email_kind.value:
            return contact.email(email_kind)
    for platform, key in IDENTITY_KEYS.items():
        if group == key:
            return contact.identity(platform)
    spec = next(f for f in _SCALARS if f.id == group)
    return getattr(contact, spec.attr)


def group_text(contact: Contact, group: str) -> str:
    """A field group's value on ``contact`` as one line of text ('' when empty)."""
    value = group_value(contact, group)
    if value is None:
        return ""
    if isinstance(value, Address):
        return ", ".join(value.lines())
    if isinstance(value, PhoneNumber):
        return phone_text(value)
    if isinstance(value, MessagingIdentity):
        return value.summary()
    if isinstance(value, bool):
        return "opted out" if value else ""
    return str(value)


def _with_group(contact: Contact, group: str, value: Any) -> Contact:
    if group == ADDRESS:
        return replace(contact, address=value)
    if group == SURVEY:
        return replace(contact, survey_opt_out=value)
    for kind in PhoneKind:
        if group == kind.value:
            return contact.with_phone(kind, value)
    for email_kind in EmailKind:
        if group == email_kind.value:
            return replace(contact, **{email_kind.attr: value})
    for platform, key in IDENTITY_KEYS.items():
        if group == key:
            without = _without_identity(contact, platform)
            return without if value is None else without.with_identity(value)
    spec = next(f for f in _SCALARS if f.id == group)
    return replace(contact, **{spec.attr: value})


def plan_unmerge(current: Contact, merge: MergeDetail) -> tuple[Contact, tuple[str, ...]]:
    """The kept contact with a merge undone, and the field groups it could not put back.

    Each group the merge changed goes back to what the kept contact held before, where it
    still holds what the merge left; one edited since keeps the edit and is named. Groups the
    merge did not change are left as they are now, and so is the last-interaction date unless
    it is still the one the merge set. The version and who changed it when are the caller's.
    """
    restored = current
    unrestored: list[str] = []
    for group in GROUPS:
        before = group_value(merge.kept_before, group)
        after = group_value(merge.kept_after, group)
        if before == after:
            continue
        if group_value(current, group) == after:
            restored = _with_group(restored, group, before)
        else:
            unrestored.append(group)
    # The other contact's last call, which the merge took, goes back with it; one since stays.
    if current.last_interaction_date == merge.kept_after.last_interaction_date:
        restored = replace(restored, last_interaction_date=merge.kept_before.last_interaction_date)
    # Identities keep the order they had, so the restored contact reads as it did.
    if {i.platform for i in restored.identities} == {
        i.platform for i in merge.kept_before.identities
    } and set(restored.identities) == set(merge.kept_before.identities):
        restored = replace(restored, identities=merge.kept_before.identities)
    return restored, tuple(unrestored)


__all__ = [
    "GROUPS",
    "IDENTITY_KEYS",
    "Collision",
    "Dropped",
    "FieldOutcome",
    "MergeRefused",
    "MergeResult",
    "Move",
    "Side",
    "check_pair",
    "check_prefer",
    "group_text",
    "group_value",
    "plan_merge",
    "plan_unmerge",
]
