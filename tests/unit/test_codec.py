"""Genesys JSON documents <-> domain objects: Genesys shape, lossless round trips, named errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contact_tui.domain import codec as docs
from contact_tui.domain.model import (
    Address,
    AuditAction,
    AuditRecord,
    Channel,
    Contact,
    ContactType,
    Interaction,
    InteractionState,
    MatchKind,
    MessagingIdentity,
    Participant,
    PhoneNumber,
    Platform,
)

WHEN = datetime(2026, 11, 28, 9, 30, 15, 123000, tzinfo=UTC)


def full_contact() -> Contact:
    return Contact(
        id="c1",
        type=ContactType.CURATED,
        first_name="Siobhán",
        middle_name="Mary",
        last_name="O'Brien-Kelly",
        salutation="Dr",
        title="Buyer",
        work_phone=PhoneNumber(
            "+1 212-555-0147 ext. 12", "212-555-0147 x12", "+12125550147", 1, False, 12
        ),
        cell_phone=PhoneNumber("+44 7700 900123", "07700 900123", "+447700900123", 44, True),
        other_phone=PhoneNumber("0800-4 OLD PBX", "0800-4 OLD PBX"),
        work_email="s.obrien@example.com",
        personal_email="siobhan@example.ie",
        address=Address("1 Fleet St", "Floor 2", "London", "", "EC4Y 1AA", "GB"),
        identities=(
            MessagingIdentity(Platform.WHATSAPP, ("+447700900123",), "Siobhán"),
            MessagingIdentity(Platform.FACEBOOK, ("111", "222"), "S. O'Brien"),
            MessagingIdentity(Platform.TWITTER, ("1460987654321098752",), "Siobhán", "siobhan_ok"),
            MessagingIdentity(Platform.LINE, ("Uabc",), "しおばん"),
            MessagingIdentity(Platform.INSTAGRAM, ("178414",), "Siobhán", "siobhan.designs"),
            MessagingIdentity(Platform.WEBCHAT, ("cookie-1",), "Guest"),
        ),
        survey_opt_out=True,
        external_system_url="https://crm.example.com/c/1",
        create_date=WHEN,
        modify_date=WHEN,
        version=3,
        created_by="alice",
        modified_by="bob",
        last_interaction_date=WHEN,
    )


def test_a_contact_document_has_the_genesys_shape() -> None:
    doc = docs.contact_to_doc(full_contact())
    assert doc["workPhone"] == {
        "display": "+1 212-555-0147 ext. 12",
        "userInput": "212-555-0147 x12",
        "e164": "+12125550147",
        "countryCode": "1",  # a string, as the Genesys API and its SDKs type it
        "acceptsSMS": False,
        "extension": 12,
    }
    assert "e164" not in doc["otherPhone"]
    assert doc["whatsAppId"] == {
        "phoneNumber": {"display": "+447700900123", "e164": "+447700900123"},
        "displayName": "Siobhán",
    }
    assert doc["facebookId"]["ids"] == [{"scopedId": "111"}, {"scopedId": "222"}]
    assert doc["twitterId"] == {
        "id": "1460987654321098752",
        "screenName": "siobhan_ok",
        "name": "Siobhán",
    }
    assert doc["lineId"]["ids"] == [{"userId": "Uabc"}]
    assert doc["address"]["postalCode"] == "EC4Y 1AA" and "state" not in doc["address"]
    assert doc["createDate"] == "2026-11-28T09:30:15.123Z"
    assert doc["surveyOptOut"] is True and doc["type"] == "Curated"


def test_a_contact_round_trips_without_loss() -> None:
    contact = full_contact()
    assert docs.contact_from_doc(docs.contact_to_doc(contact)) == contact


def test_interactions_and_audit_round_trip() -> None:
    interaction = Interaction(
        id="i1",
        channel=Channel.MESSAGE,
        platform=Platform.WHATSAPP,
        from_=Participant("+447700900123", "Sam"),
        agent="alice",
        started_at=WHEN,
        to=("+15550100",),
        subject="",
        transcript=("hello", "[bold]not markup[/bold]"),
        state=InteractionState.CONNECTED,
        contact_id="c1",
        match=MatchKind.MULTIPLE,
        candidate_ids=("c1", "c2"),
    )
    assert docs.interaction_from_doc(docs.interaction_to_doc(interaction)) == interaction
    record = AuditRecord("a1", WHEN, "alice", AuditAction.EDIT, "c1", ("title",), 2, None)
    assert docs.audit_from_doc(docs.audit_to_doc(record)) == record


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        ({"id": "c1", "firstName": 7}, "firstName"),
        ({"id": "c1", "type": "Friend"}, "type"),
        ({"id": "c1", "workPhone": "+13175550123"}, "workPhone"),
        ({"id": "c1", "workPhone": {"e164": "317"}}, "workPhone.e164"),
        ({"id": "c1", "cellPhone": {"display": "1", "extension": "12"}}, "extension"),
        ({"id": "c1", "createDate": "yesterday"}, "createDate"),
        ({"id": "c1", "surveyOptOut": "no"}, "surveyOptOut"),
        ({"id": "c1", "facebookId": {"ids": [{"id": "x"}]}}, "facebookId.ids"),
    ],
)
def test_a_malformed_contact_document_names_the_key(doc: dict[str, object], where: str) -> None:
    with pytest.raises(docs.DocumentError, match=where):
        docs.contact_from_doc(doc)


def test_index_keys_come_from_phones_emails_and_identities() -> None:
    keys = docs.contact_doc_keys(docs.contact_to_doc(full_contact()))
    assert {
        "tel:+12125550147",
        "tel:+447700900123",
        "email:siobhan@example.ie",
        "whatsapp:+447700900123",
        "facebook:222",
        "webchat:cookie-1",
    } <= keys
    assert not any("OLD PBX" in k for k in keys)


texts = st.text(max_size=30)


@settings(max_examples=150, deadline=None)
@given(
    first=texts,
    last=texts,
    e164=st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
    sms=st.booleans(),
    ext=st.none() | st.integers(min_value=0, max_value=999_999_999),
    email=texts,
    optout=st.booleans(),
    version=st.integers(min_value=0, max_value=2**31),
)
def test_any_contact_round_trips(
    first: str,
    last: str,
    e164: str,
    sms: bool,
    ext: int | None,
    email: str,
    optout: bool,
    version: int,
) -> None:
    contact = Contact(
        id="c",
        type=ContactType.EPHEMERAL,
        first_name=first,
        last_name=last,
        cell_phone=PhoneNumber(e164, e164, e164, 1, sms, ext),
        work_email=email,
        survey_opt_out=optout,
        version=version,
        create_date=WHEN,
    )
    assert docs.contact_from_doc(docs.contact_to_doc(contact)) == contact


def test_a_phone_country_code_is_read_as_genesys_or_older_stores_write_it() -> None:
    doc = docs.contact_to_doc(full_contact())
    for stored, expected in (("1", 1), (1, 1), ("US", None), ("", None)):
        doc["workPhone"]["countryCode"] = stored
        phone = docs.contact_from_doc(doc).work_phone
        assert phone is not None and phone.country_code == expected, stored
    doc["workPhone"]["countryCode"] = [1]
    with pytest.raises(docs.DocumentError, match=r"workPhone\.countryCode"):
        docs.contact_from_doc(doc)


def test_empty_identity_names_are_left_out() -> None:
    contact = replace(
        full_contact(), identities=(MessagingIdentity(Platform.TWITTER, ("42",), "", ""),)
    )
    assert docs.contact_to_doc(contact)["twitterId"] == {"id": "42"}
