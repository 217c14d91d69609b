"""The use cases agents and integrations rely on, against a real temporary store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    Channel,
    ContactType,
    EmailKind,
    InteractionState,
    MatchKind,
    Participant,
    Permission,
    PhoneKind,
    Platform,
)
from contact_tui.service import (
    ContactService,
    InvalidInput,
    NewInteraction,
    PermissionDenied,
)
from contact_tui.store.errors import ConflictError, NotFound
from tests.factories import FixedClock

Factory = Callable[..., ContactService]


def call(service: ContactService, number: str, name: str = "") -> NewInteraction:
    return NewInteraction(service.agent.user, Channel.VOICE, Participant(number, name))


def sam(**changes: object) -> ContactDraft:
    draft = ContactDraft(
        first_name="Sam",
        last_name="Lee",
        phones={PhoneKind.CELL: PhoneDraft("(317) 555-0123", accepts_sms=True)},
        emails={EmailKind.WORK: "Sam.Lee@Example.com"},
    )
    for key, value in changes.items():
        setattr(draft, key, value)
    return draft


# --- resolution ------------------------------------------------------------------------------


def test_an_unknown_caller_gets_an_ephemeral_contact_holding_the_number(
    service: ContactService,
) -> None:
    interaction = service.handle_interaction(call(service, "+1 317 555 0123", "Sam Lee"))
    assert interaction.match == MatchKind.NONE
    assert interaction.contact_id is not None
    contact = service.contact(interaction.contact_id)
    assert contact.type == ContactType.EPHEMERAL
    assert contact.other_phone is not None and contact.other_phone.e164 == "+13175550123"
    assert (contact.first_name, contact.last_name) == ("Sam", "Lee")
    assert contact.created_by == "system"  # made by the matching rule, not an agent's edit
    records = service.audit(contact.id)
    assert [a.action for a in records] == ["create", "link"]
    assert {a.agent for a in records} == {"alice"}  # whose intake made it: the real user


def test_a_known_caller_is_linked_by_e164_however_the_number_was_typed(
    service: ContactService,
) -> None:
    existing = service.create_contact(sam())
    interaction = service.handle_interaction(call(service, "317.555.0123"))
    assert (interaction.match, interaction.contact_id) == (MatchKind.SINGLE, existing.id)
    assert service.contact(existing.id).last_interaction_date == service.clock()
    assert service.contact(existing.id).version == existing.version  # bookkeeping, not an edit


def test_several_matches_link_the_first_created_and_keep_the_rest_as_candidates(
    service: ContactService, clock: FixedClock
) -> None:
    first = service.create_contact(sam())
    clock.now += timedelta(minutes=1)
    second = service.create_contact(sam(first_name="Samantha"))
    interaction = service.handle_interaction(call(service, "+13175550123"))
    assert interaction.match == MatchKind.MULTIPLE
    assert interaction.contact_id == first.id
    assert interaction.candidate_ids == (first.id, second.id)
    chosen = service.link(interaction.id, second.id)
    assert chosen.contact_id == second.id
    assert service.interaction(interaction.id).contact_id == second.id


def test_email_matches_the_address_case_insensitively(service: ContactService) -> None:
    existing = service.create_contact(sam())
    interaction = service.handle_interaction(
        NewInteraction("alice", Channel.EMAIL, Participant("  SAM.LEE@EXAMPLE.COM "), subject="Hi")
    )
    assert (interaction.match, interaction.contact_id) == (MatchKind.SINGLE, existing.id)


def test_an_unknown_email_sender_gets_an_ephemeral_contact_with_the_address(
    service: ContactService,
) -> None:
    interaction = service.handle_interaction(
        NewInteraction("alice", Channel.EMAIL, Participant("Jo@Example.COM", "Jo"))
    )
    contact = service.contact(interaction.contact_id or "")
    assert contact.other_email == "Jo@example.com"
    again = service.handle_interaction(
        NewInteraction("alice", Channel.EMAIL, Participant("jo@example.com"))
    )
    assert (again.match, again.contact_id) == (MatchKind.SINGLE, contact.id)


def test_sms_matches_by_phone_number(service: ContactService) -> None:
    existing = service.create_contact(sam())
    interaction = service.handle_interaction(
        NewInteraction("alice", Channel.MESSAGE, Participant("+13175550123"), platform=Platform.SMS)
    )
    assert interaction.contact_id == existing.id


@pytest.mark.parametrize(
    ("platform", "sender"),
    [
        (Platform.WHATSAPP, "+44 7700 900123"),
        (Platform.FACEBOOK, "5551234567890"),
        (Platform.TWITTER, "1234567890123"),
        (Platform.LINE, "Uabcdef0123456789"),
        (Platform.INSTAGRAM, "17841400000000000"),
        (Platform.WEBCHAT, "cookie-7f3a"),
    ],
)
def test_messages_match_by_the_platform_identity(
    service: ContactService, platform: Platform, sender: str
) -> None:
    first = service.handle_interaction(
        NewInteraction("alice", Channel.MESSAGE, Participant(sender, "Kim"), platform=platform)
    )
    contact = service.contact(first.contact_id or "")
    identity = contact.identity(platform)
    assert identity is not None and identity.display_name == "Kim"
    second = service.handle_interaction(
        NewInteraction("alice", Channel.MESSAGE, Participant(sender), platform=platform)
    )
    assert (second.match, second.contact_id) == (MatchKind.SINGLE, contact.id)


def test_a_whatsapp_message_does_not_match_a_phone_number_alone(service: ContactService) -> None:
    service.create_contact(sam())
    interaction = service.handle_interaction(
        NewInteraction(
            "alice", Channel.MESSAGE, Participant("+13175550123"), platform=Platform.WHATSAPP
        )
    )
    assert interaction.match == MatchKind.NONE


def test_creating_from_a_message_keeps_the_channel_identity_on_the_contact(
    service: ContactService,
) -> None:
    message = service.handle_interaction(
        NewInteraction(
            "alice",
            Channel.MESSAGE,
            Participant("+447700900123", "Sam"),
            platform=Platform.WHATSAPP,
        )
    )
    contact = service.create_contact(sam(), interaction_id=message.id)
    assert contact.identity(Platform.WHATSAPP) is not None
    assert service.interaction(message.id).contact_id == contact.id
    next_message = service.handle_interaction(
        NewInteraction(
            "alice", Channel.MESSAGE, Participant("+447700900123"), platform=Platform.WHATSAPP
        )
    )
    # The new contact took the ephemeral one's place, so the next message links it alone.
    assert next_message.match == MatchKind.SINGLE
    assert next_message.contact_id == contact.id


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewInteraction("alice", Channel.MESSAGE, Participant("+13175550123")), "platform"),
        (
            NewInteraction("alice", Channel.VOICE, Participant("1"), platform=Platform.SMS),
            "no platform",
        ),
        (NewInteraction("alice", Channel.VOICE, Participant("  ")), "sender"),
        (NewInteraction("", Channel.VOICE, Participant("+13175550123")), "agent"),
    ],
)
def test_a_malformed_interaction_is_refused_with_a_reason(
    service: ContactService, new: NewInteraction, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        service.handle_interaction(new)


def test_a_caller_with_an_unparseable_number_still_gets_a_contact(service: ContactService) -> None:
    interaction = service.handle_interaction(call(service, "anonymous 12"))
    contact = service.contact(interaction.contact_id or "")
    assert contact.other_phone is not None and not contact.other_phone.searchable


# --- contacts --------------------------------------------------------------------------------


def test_create_validates_and_stores_e164_and_sms_flag(service: ContactService) -> None:
    contact = service.create_contact(sam())
    assert contact.type == ContactType.CURATED
    assert contact.cell_phone is not None
    assert (contact.cell_phone.e164, contact.cell_phone.accepts_sms) == ("+13175550123", True)
    assert contact.work_email == "Sam.Lee@example.com"
    assert contact.version == 1 and contact.created_by == "alice"
    audit = service.audit(contact.id)
    assert audit[0].action == "create" and "cellPhone" in audit[0].fields


def test_create_reports_every_bad_field_at_once(service: ContactService) -> None:
    draft = sam(first_name="  ", last_name="")
    draft.phones[PhoneKind.WORK] = PhoneDraft("ext. 45")
    draft.emails[EmailKind.PERSONAL] = "sam@"
    with pytest.raises(InvalidInput) as caught:
        service.create_contact(draft)
    assert set(caught.value.errors) == {"firstName", "lastName", "workPhone", "personalEmail"}
    assert "extension" in caught.value.errors["workPhone"].lower()
    assert service.search("").total == 0


def test_a_number_that_is_not_e164_is_kept_with_a_warning_and_not_searchable(
    service: ContactService,
) -> None:
    draft = sam()
    draft.phones[PhoneKind.OTHER] = PhoneDraft("12")
    assert "not searchable" in service.check(draft)["otherPhone"]
    contact = service.create_contact(draft)
    assert contact.other_phone is not None and contact.other_phone.display == "12"
    assert contact.other_phone.e164 is None
    assert service.search("12").total == 0


def test_satellite_numbers_are_stored_and_searchable(service: ContactService) -> None:
    draft = sam()
    draft.phones[PhoneKind.OTHER] = PhoneDraft("+881 6 3123 4567")
    contact = service.create_contact(draft)
    assert contact.other_phone is not None and contact.other_phone.e164 == "+881631234567"
    assert [c.id for c in service.search("+8816 3123 4567").contacts] == [contact.id]


def test_the_admin_default_country_applies_to_national_numbers(
    service_for: Factory,
) -> None:
    uk = service_for("alice", default_country_code=44)
    contact = uk.create_contact(sam(phones={PhoneKind.WORK: PhoneDraft("020 7946 0958")}))
    assert contact.work_phone is not None and contact.work_phone.e164 == "+442079460958"
    us = service_for("alice")
    assert us.search("+44 20 7946 0958").contacts[0].id == contact.id


def test_admin_set_changes_the_default_country_for_every_agent(service_for: Factory) -> None:
    admin = service_for("boss")
    assert admin.set_setting("default-country-code", "44") == 44
    agent = service_for("alice")
    assert agent.region == "GB"
    with pytest.raises(InvalidInput, match="country calling code"):
        admin.set_setting("default-country-code", 999)


def test_edit_saves_changes_bumps_the_version_and_audits_the_fields(
    service: ContactService,
) -> None:
    contact = service.create_contact(sam())
    draft = ContactDraft.from_contact(contact)
    draft.title = "Head of Purchasing"
    draft.phones[PhoneKind.CELL].accepts_sms = False
    saved = service.edit(contact.id, draft, contact.version)
    assert saved.version == 2 and saved.title == "Head of Purchasing"
    assert saved.cell_phone is not None and not saved.cell_phone.accepts_sms
    assert service.audit(contact.id)[-1].fields == ("cellPhone", "title")


def test_an_edit_that_changes_nothing_writes_nothing(service: ContactService) -> None:
    contact = service.create_contact(sam())
    same = service.edit(contact.id, ContactDraft.from_contact(contact), contact.version)
    assert same.version == contact.version
    assert [a.action for a in service.audit(contact.id)] == ["create"]


def test_two_agents_editing_the_same_contact_the_second_gets_a_conflict(
    service_for: Factory,
) -> None:
    alice, bob = service_for("alice"), service_for("bob")
    contact = alice.create_contact(sam())
    bob.repo.refresh()
    bobs_copy = bob.contact(contact.id)
    alice_draft = ContactDraft.from_contact(contact)
    alice_draft.title = "Alice was here"
    alice.edit(contact.id, alice_draft, contact.version)
    bob_draft = ContactDraft.from_contact(bobs_copy)
    bob_draft.title = "Bob was here"
    with pytest.raises(ConflictError) as caught:
        bob.edit(contact.id, bob_draft, bobs_copy.version)
    assert "alice" in str(caught.value)
    bob.repo.refresh()
    assert bob.contact(contact.id).title == "Alice was here"


def test_promote_makes_the_ephemeral_contact_curated_keeping_id_and_links(
    service: ContactService,
) -> None:
    interaction = service.handle_interaction(call(service, "+13175550123", "Sam Lee"))
    ephemeral = service.contact(interaction.contact_id or "")
    draft = ContactDraft.from_contact(ephemeral)
    draft.emails[EmailKind.PERSONAL] = "sam@example.com"
    promoted = service.promote(ephemeral.id, draft, ephemeral.version)
    assert promoted.id == ephemeral.id and promoted.type == ContactType.CURATED
    assert promoted.personal_email == "sam@example.com"
    assert service.interaction(interaction.id).contact_id == ephemeral.id
    assert service.audit(ephemeral.id)[-1].action == "promote"
    with pytest.raises(InvalidInput, match="already"):
        service.promote(ephemeral.id, None, promoted.version)


def test_promote_needs_first_and_last_name(service: ContactService) -> None:
    interaction = service.handle_interaction(call(service, "+13175550123"))
    contact = service.contact(interaction.contact_id or "")
    with pytest.raises(InvalidInput) as caught:
        service.promote(contact.id, None, contact.version)
    assert set(caught.value.errors) == {"firstName", "lastName"}


def test_unlink_and_end(service: ContactService) -> None:
    interaction = service.handle_interaction(call(service, "+13175550123"))
    unlinked = service.unlink(interaction.id)
    assert unlinked.contact_id is None
    with pytest.raises(InvalidInput, match="not linked"):
        service.unlink(interaction.id)
    ended = service.end_interaction(interaction.id)
    assert ended.state == InteractionState.ENDED and ended.ended_at is not None


AGENT = (Permission.VIEW, Permission.ADD, Permission.EDIT, Permission.PROMOTE)


def test_an_agent_cannot_read_or_act_on_someone_elses_interaction(service_for: Factory) -> None:
    alice, bob = service_for("alice", Permission.VIEW), service_for("bob", *AGENT)
    interaction = alice.handle_interaction(call(alice, "+13175550123"))
    bob.repo.refresh()
    for attempt in (
        lambda: bob.interaction(interaction.id),
        lambda: bob.interactions("alice"),
        lambda: bob.link(interaction.id, interaction.contact_id or ""),
        lambda: bob.unlink(interaction.id),
        lambda: bob.end_interaction(interaction.id),
        lambda: bob.create_contact(sam(), interaction_id=interaction.id),
    ):
        with pytest.raises(PermissionDenied) as denied:
            attempt()
        assert denied.value.permission == Permission.VIEW_ALL_INTERACTIONS
        assert "alice" in str(denied.value) and "contactTui:interaction:viewAll" in str(
            denied.value
        )
    assert alice.interaction(interaction.id) == interaction
    assert alice.search("").total == 1  # only the ephemeral contact: bob created nothing
    assert bob.interactions() == []


def test_a_supervisor_reads_and_acts_on_others_interactions(service_for: Factory) -> None:
    alice = service_for("alice", Permission.VIEW)
    dana = service_for("dana", Permission.VIEW, Permission.VIEW_ALL_INTERACTIONS)
    interaction = alice.handle_interaction(call(alice, "+13175550123"))
    dana.repo.refresh()
    assert [i.id for i in dana.interactions("alice")] == [interaction.id]
    assert dana.interaction(interaction.id).agent == "alice"
    assert dana.end_interaction(interaction.id).state == InteractionState.ENDED


def test_admin_alone_no_longer_reaches_others_interactions(service_for: Factory) -> None:
    alice = service_for("alice", Permission.VIEW)
    admin = service_for("root-ish", Permission.VIEW, Permission.ADMIN)
    interaction = alice.handle_interaction(call(alice, "+13175550123"))
    admin.repo.refresh()
    with pytest.raises(PermissionDenied, match="routed to alice, not to you"):
        admin.end_interaction(interaction.id)


def test_missing_ids_are_not_found(service: ContactService) -> None:
    with pytest.raises(NotFound):
        service.contact("nope")
    with pytest.raises(NotFound):
        service.edit("nope", sam(), 1)
    interaction = service.handle_interaction(call(service, "+13175550123"))
    with pytest.raises(NotFound):
        service.link(interaction.id, "nope")


# --- search ----------------------------------------------------------------------------------


def test_search_by_name_phone_email_and_literal_text(service: ContactService) -> None:
    lee = service.create_contact(sam())
    other = service.create_contact(
        ContactDraft(
            first_name="Ana", last_name="Álvarez 555", emails={EmailKind.OTHER: "ana@example.org"}
        )
    )
    assert [c.id for c in service.search("sam lee").contacts] == [lee.id]
    assert [c.id for c in service.search("alvarez").contacts] == [other.id]
    assert [c.id for c in service.search("+1 (317) 555-0123").contacts] == [lee.id]
    assert service.search("3175550123").kind == "phone"
    assert [c.id for c in service.search("SAM.LEE@example.COM").contacts] == [lee.id]
    assert [c.id for c in service.search('"Álvarez 555"').contacts] == [other.id]
    assert service.search('"Álvarez 555"').kind == "literal"
    assert service.search("").total == 2


# --- expiry ----------------------------------------------------------------------------------


def test_ephemeral_contacts_expire_after_the_ttl_and_curated_ones_never(
    service: ContactService, clock: FixedClock
) -> None:
    old_call = service.handle_interaction(call(service, "+13175550100"))
    curated = service.create_contact(sam())
    clock.now += timedelta(days=59)
    recent_call = service.handle_interaction(call(service, "+13175550101"))
    clock.now += timedelta(days=2)
    expired = service.expire_ephemeral()
    assert expired == [old_call.contact_id]
    assert service.interaction(old_call.id).contact_id is None
    assert service.contact(curated.id).type == ContactType.CURATED
    assert service.contact(recent_call.contact_id or "").type == ContactType.EPHEMERAL
    assert service.audit(old_call.contact_id or "")[-1].action == "expire"


def test_a_new_interaction_renews_an_ephemeral_contact(
    service: ContactService, clock: FixedClock
) -> None:
    first = service.handle_interaction(call(service, "+13175550100"))
    clock.now += timedelta(days=50)
    service.handle_interaction(call(service, "+13175550100"))
    clock.now += timedelta(days=50)
    assert service.expire_ephemeral() == []
    assert service.contact(first.contact_id or "") is not None


# --- permissions -----------------------------------------------------------------------------

ALL_BUT = {p: tuple(q for q in Permission if q != p) for p in Permission}


def test_without_add_an_agent_cannot_create(service_for: Factory) -> None:
    agent = service_for("alice", *ALL_BUT[Permission.ADD])
    with pytest.raises(PermissionDenied, match="externalContacts:contact:add"):
        agent.create_contact(sam())
    assert agent.search("").total == 0


def test_without_edit_an_agent_cannot_edit(service_for: Factory) -> None:
    owner = service_for("owner")
    contact = owner.create_contact(sam())
    agent = service_for("alice", *ALL_BUT[Permission.EDIT])
    draft = ContactDraft.from_contact(contact)
    draft.title = "x"
    with pytest.raises(PermissionDenied, match="externalContacts:contact:edit"):
        agent.edit(contact.id, draft, contact.version)
    assert owner.contact(contact.id).version == 1


def test_without_promote_an_agent_cannot_add_to_contacts(service_for: Factory) -> None:
    agent = service_for("alice", *ALL_BUT[Permission.PROMOTE])
    interaction = agent.handle_interaction(call(agent, "+13175550123", "Sam Lee"))
    contact = agent.contact(interaction.contact_id or "")
    with pytest.raises(PermissionDenied, match="externalContacts:identity:promote"):
        agent.promote(contact.id, None, contact.version)
    assert agent.contact(contact.id).type == ContactType.EPHEMERAL


def test_without_view_an_agent_cannot_read_search_or_link(service_for: Factory) -> None:
    router = service_for("router", Permission.ROUTE)
    interaction = router.handle_interaction(
        NewInteraction("alice", Channel.VOICE, Participant("+13175550123"))
    )
    agent = service_for("alice", *ALL_BUT[Permission.VIEW])
    for attempt in (
        lambda: agent.search("sam"),
        lambda: agent.contact(interaction.contact_id or ""),
        lambda: agent.unlink(interaction.id),
        lambda: agent.end_interaction(interaction.id),
        lambda: agent.interaction(interaction.id),
        lambda: agent.interactions(),
        lambda: agent.handle_interaction(call(agent, "+13175550124")),
    ):
        with pytest.raises(PermissionDenied) as denied:
            attempt()
        assert denied.value.permission == Permission.VIEW


def test_only_admins_change_settings_or_expire(service_for: Factory) -> None:
    agent = service_for("alice", *ALL_BUT[Permission.ADMIN])
    with pytest.raises(PermissionDenied):
        agent.set_setting("default-country-code", 44)
    with pytest.raises(PermissionDenied):
        agent.expire_ephemeral()
    assert agent.setting("default-country-code") == 1


def test_creating_ephemeral_contacts_needs_no_contact_permission(service_for: Factory) -> None:
    viewer = service_for("alice", Permission.VIEW)
    interaction = viewer.handle_interaction(call(viewer, "+13175550123"))
    assert viewer.contact(interaction.contact_id or "").type == ContactType.EPHEMERAL


def test_handing_an_interaction_to_another_agent_needs_route(service_for: Factory) -> None:
    for_bob = NewInteraction("bob", Channel.VOICE, Participant("+13175550123"))
    agent = service_for("alice", *ALL_BUT[Permission.ROUTE])
    with pytest.raises(PermissionDenied, match="is for bob, not for you") as denied:
        agent.handle_interaction(for_bob)
    assert denied.value.permission == Permission.ROUTE
    router = service_for("router", Permission.ROUTE)
    routed = router.handle_interaction(for_bob)
    bob = service_for("bob", Permission.VIEW)
    assert [i.id for i in bob.interactions()] == [routed.id]
    # The audit names the router's real user for the ephemeral contact and the link.
    assert {a.agent for a in bob.audit(routed.contact_id or "")} == {"router"}
    assert bob.audit(routed.contact_id or "")[-1].interaction_id == routed.id


def test_a_promote_conflict_when_someone_edited_first(service_for: Factory) -> None:
    alice, bob = service_for("alice"), service_for("bob")
    interaction = alice.handle_interaction(call(alice, "+13175550123", "Sam Lee"))
    bob.repo.refresh()
    original = alice.contact(interaction.contact_id or "")
    draft = ContactDraft.from_contact(original)
    draft.title = "edited by bob"
    bob.edit(original.id, draft, original.version)
    with pytest.raises(ConflictError, match="bob"):
        alice.promote(original.id, ContactDraft.from_contact(original), original.version)
    assert replace(original).type == ContactType.EPHEMERAL
