"""The merge rules apart from any store (contact_tui.domain.merge): messaging ids, the address
as a whole, the survey opt-out, and what an unmerge gives back."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contact_tui.domain.merge import MergeRefused, plan_merge, plan_unmerge
from contact_tui.domain.model import (
    Address,
    Contact,
    ContactType,
    MergeDetail,
    MessagingIdentity,
    Platform,
)

KEEP = Contact(id="k", type=ContactType.CURATED, first_name="Sam", last_name="Lee", version=3)
OTHER = Contact(id="o", type=ContactType.EPHEMERAL, version=1)


def _wa(number: str) -> MessagingIdentity:
    return MessagingIdentity(Platform.WHATSAPP, (number,))


def _fb(*ids: str) -> MessagingIdentity:
    return MessagingIdentity(Platform.FACEBOOK, ids, display_name="Sam")


def test_ids_of_a_list_platform_are_joined_and_single_ids_collide() -> None:
    keep = replace(KEEP, identities=(_fb("1"), _wa("+447700900001")))
    other = replace(OTHER, identities=(_fb("1", "2"), _wa("+447700900002")))
    planned = plan_merge(keep, other)
    assert planned.contact.identity(Platform.FACEBOOK) == _fb("1", "2")
    assert [(c.kind, c.from_slot) for c in planned.collisions] == [("messaging id", "whatsAppId")]
    chosen = plan_merge(keep, other, {"whatsAppId": "other"})
    assert chosen.contact.identity(Platform.WHATSAPP) == _wa("+447700900002")
    assert [(d.slot, d.side.value) for d in chosen.dropped] == [("whatsAppId", "keep")]


def test_the_address_moves_whole_and_an_opt_out_from_either_stands() -> None:
    keep = replace(KEEP, address=Address(city="Leeds"))
    other = replace(OTHER, address=Address(address1="1 High St", city="York"), survey_opt_out=True)
    planned = plan_merge(keep, other)
    assert planned.contact.address == Address(city="Leeds")  # never York's street in Leeds
    assert planned.contact.survey_opt_out is True
    assert plan_merge(keep, other, {"address": "other"}).contact.address == other.address
    assert plan_merge(keep, other, {"surveyOptOut": "keep"}).contact.survey_opt_out is False


def test_an_unmerge_gives_back_what_the_merge_gave_and_keeps_later_edits() -> None:
    keep = replace(KEEP, identities=(_fb("1"),))
    other = replace(OTHER, title="Buyer", identities=(_fb("2"), _wa("+447700900002")))
    after = replace(plan_merge(keep, other).contact, version=4)
    merge = MergeDetail(keep, other, after)
    restored, unrestored = plan_unmerge(after, merge)
    assert replace(restored, version=3) == keep and unrestored == ()
    edited = replace(after, title="Head buyer")
    restored, unrestored = plan_unmerge(edited, merge)
    assert restored.title == "Head buyer" and unrestored == ("title",)
    assert restored.identities == keep.identities


def test_the_customer_is_kept() -> None:
    with pytest.raises(MergeRefused, match="keep the Curated one"):
        plan_merge(OTHER, KEEP)
