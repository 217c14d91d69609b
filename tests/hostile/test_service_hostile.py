"""Hostile text through the service layer: kept as typed where the rule allows it, refused with
a message naming the field where it does not, and never any other exception.

Names go through the contact rules (ContactService.create_contact). What a customer sends is
taken in by handle_interaction's own rules: display text (sender name, subject, transcript,
recipients) is kept with its control, format and bidi characters escaped; an identifier (the
sender's number, address or messaging id) holding one is refused; both are bounded in length.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contact_tui.domain import codec as docs
from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.fields import FIELD_BY_ID
from contact_tui.domain.model import (
    Channel,
    ContactType,
    Interaction,
    InteractionState,
    MatchKind,
    Participant,
    Platform,
)
from contact_tui.domain.rules import MAX_CHANNEL_ADDRESS_LENGTH, MAX_DISPLAY_NAME_LENGTH
from contact_tui.domain.text import is_unsafe_char, printable
from contact_tui.service import ContactService, InvalidInput, NewInteraction
from tests.contract import Stores
from tests.factories import FixedClock
from tests.hostile.corpus import CORPUS, NAMES, SURROGATES, TEXTS
from tests.hostile.text_rules import name_rule_accepts

Factory = Callable[..., ContactService]


@pytest.fixture
def service_for(stores: Stores) -> Factory:
    """Services over the embedded store and over PostgreSQL, whose schema refuses unsafe
    characters itself: whatever the service lets through, the server must accept too."""
    return stores.service


_ATTRS = {"firstName": "first_name", "middleName": "middle_name", "lastName": "last_name"}
_numbers = count(100)
_JOINERS = frozenset("\u200c\u200d")


def _whatsapp_number() -> str:
    """A different WhatsApp number for each interaction, so no two match one contact."""
    return f"+44 7700 900{next(_numbers) % 1000:03d}"


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field_id", list(_ATTRS))
@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_name_is_kept_as_typed_or_refused_naming_the_field(
    service_for: Factory, name: str, field_id: str
) -> None:
    text = TEXTS[name]
    draft = ContactDraft(first_name="Sam", last_name="Lee")
    setattr(draft, _ATTRS[field_id], text)
    service = service_for()
    try:
        created = service.create_contact(draft)
    except InvalidInput as err:
        assert not name_rule_accepts(text), f"a valid {field_id} was refused: {err}"
        assert list(err.errors) == [field_id]
        message = err.errors[field_id]
        assert message.startswith(FIELD_BY_ID[field_id].label), message
        assert message.endswith("."), message
        assert message.isprintable(), "the refusal must not echo control characters"
        assert service.repo.contact_ids() == [], "nothing is stored when a field is refused"
        return
    assert name_rule_accepts(text), f"an invalid {field_id} was stored: {text!r}"
    # Read back through a repository opened afresh: what is on disk, not what is in memory.
    stored = service_for().repo.contact(created.id)
    assert stored is not None
    assert getattr(stored, _ATTRS[field_id]) == text.strip()
    assert stored.type == ContactType.CURATED
    found = service_for().search(f'"{text.strip()}"', limit=10_000)
    assert created.id in {c.id for c in found.contacts}, "a stored name is found literally"


@pytest.mark.parametrize(("name", "text"), SURROGATES)
def test_a_name_that_is_not_text_is_refused(service: ContactService, name: str, text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.create_contact(ContactDraft(first_name=text, last_name="Lee"))
    assert "invalid character" in refused.value.errors["firstName"]


# --- what customers send -----------------------------------------------------------------------


def _holds_nothing_unsafe(interaction: Interaction) -> bool:
    """True when no text of ``interaction`` holds a character a terminal would act on."""
    texts = (
        interaction.agent,
        interaction.from_.address,
        interaction.from_.name,
        interaction.subject,
        *interaction.to,
        *interaction.cc,
        *interaction.transcript,
    )
    return not any(is_unsafe_char(ch) for text in texts for ch in text)


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_whatsapp_message_is_kept_escaped(service_for: Factory, name: str) -> None:
    text = TEXTS[name]
    kept = printable(text)
    service = service_for()
    number = _whatsapp_number()
    new = NewInteraction(
        "alice",
        Channel.MESSAGE,
        Participant(number, text),
        platform=Platform.WHATSAPP,
        subject=text,
        transcript=(text, "next line"),
    )
    if len(kept) > MAX_DISPLAY_NAME_LENGTH:
        with pytest.raises(InvalidInput, match=r"^The sender name is too long: at most 256 "):
            service.handle_interaction(new)
        assert service_for().repo.interaction_ids() == []
        return
    handed = service.handle_interaction(new)
    fresh = service_for()
    stored = fresh.interaction(handed.id)
    assert stored == handed
    assert stored.from_ == Participant(number, kept)
    assert stored.subject == kept
    assert stored.transcript == (kept, "next line")
    assert _holds_nothing_unsafe(stored)
    assert stored.match == MatchKind.NONE
    assert stored.contact_id is not None
    contact = fresh.contact(stored.contact_id)
    assert contact.type == ContactType.EPHEMERAL
    identity = contact.identity(Platform.WHATSAPP)
    assert identity is not None
    assert identity.display_name == kept.strip(), "the display name is kept (escaped, trimmed)"
    # The ephemeral contact's name is a guess from the sender name, and only a valid one.
    if name_rule_accepts(text):
        assert " ".join(p for p in (contact.first_name, contact.last_name) if p) == text.strip()
    else:
        assert (contact.first_name, contact.last_name) == ("", "")


@pytest.mark.parametrize("name", NAMES)
def test_hostile_email_and_voice_fields_are_kept_escaped(service_for: Factory, name: str) -> None:
    text = TEXTS[name]
    kept = printable(text)
    service = service_for()
    new_email = NewInteraction(
        "alice",
        Channel.EMAIL,
        Participant("sam@example.com", text),
        to=(text,),
        cc=(text,),
        subject=text,
        transcript=(text,),
    )
    new_call = NewInteraction("alice", Channel.VOICE, Participant("+1 317 555 0123", text))
    if len(kept) > MAX_DISPLAY_NAME_LENGTH:
        for new in (new_email, new_call):
            with pytest.raises(InvalidInput, match=r"^The sender name is too long"):
                service.handle_interaction(new)
        assert service_for().repo.interaction_ids() == []
        return
    email = service.handle_interaction(new_email)
    call = service.handle_interaction(new_call)
    fresh = service_for()
    assert fresh.interaction(email.id) == email
    assert (email.from_.name, email.to, email.cc, email.subject, email.transcript) == (
        kept,
        (kept,),
        (kept,),
        kept,
        (kept,),
    )
    assert fresh.interaction(call.id).from_.name == kept
    assert {i.id for i in fresh.interactions("alice")} == {call.id, email.id}
    assert all(_holds_nothing_unsafe(i) for i in fresh.interactions("alice"))


@pytest.mark.parametrize("name", NAMES)
def test_a_web_chat_id_is_kept_and_matches_again_or_is_refused(
    service_for: Factory, name: str
) -> None:
    text = TEXTS[name]
    service = service_for()

    def chat() -> Interaction:
        return service.handle_interaction(
            NewInteraction(
                "alice", Channel.MESSAGE, Participant(text, "Visitor"), platform=Platform.WEBCHAT
            )
        )

    # An id is matched and copied into a contact: it is refused, never escaped, and may not
    # hold the joiners display text keeps (two ids that look the same must be the same).
    if any(is_unsafe_char(ch) or ch in _JOINERS for ch in text) or (
        len(text) > MAX_CHANNEL_ADDRESS_LENGTH
    ):
        with pytest.raises(InvalidInput) as refused:
            chat()
        assert str(refused.value).startswith("The sender address ")
        assert str(refused.value).isprintable()
        assert service_for().repo.interaction_ids() == []
        assert service_for().repo.contact_ids() == []
        return
    first, second = chat(), chat()
    assert service_for().interaction(first.id).from_.address == text
    assert first.match == MatchKind.NONE
    assert second.match == MatchKind.SINGLE, "the same visitor id finds the same contact"
    assert second.contact_id == first.contact_id


@pytest.mark.parametrize(("name", "text"), SURROGATES)
def test_a_lone_surrogate_in_an_interaction_is_refused_with_a_message(
    service_for: Factory, name: str, text: str
) -> None:
    service = service_for()
    with pytest.raises(InvalidInput):
        service.handle_interaction(
            NewInteraction("alice", Channel.VOICE, Participant("+1 317 555 0123", text))
        )
    with pytest.raises(InvalidInput):
        service.handle_interaction(
            NewInteraction("alice", Channel.EMAIL, Participant("a@example.com"), subject=text)
        )
    # Nothing half-written: the store still opens and holds no interaction.
    assert service_for().repo.interaction_ids() == []


# --- document <-> domain ---------------------------------------------------------------------

# Any text a JSON document can hold (every character but lone surrogates), plus the corpus.
_ANY_TEXT = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40),
    st.sampled_from([text for _, _, text in CORPUS]),
)


@settings(max_examples=150, deadline=None)
@given(
    name=_ANY_TEXT,
    address=_ANY_TEXT.filter(str.strip),
    subject=_ANY_TEXT,
    lines=st.lists(_ANY_TEXT, max_size=4),
    to=st.lists(_ANY_TEXT, max_size=2),
    platform=st.sampled_from(Platform),
    state=st.sampled_from(InteractionState),
)
def test_any_interaction_round_trips_through_its_stored_bytes(
    name: str,
    address: str,
    subject: str,
    lines: list[str],
    to: list[str],
    platform: Platform,
    state: InteractionState,
) -> None:
    interaction = Interaction(
        id="i",
        channel=Channel.MESSAGE,
        platform=platform,
        from_=Participant(address, name),
        agent="alice",
        started_at=FixedClock().now,
        to=tuple(to),
        subject=subject,
        transcript=tuple(lines),
        state=state,
        contact_id="c",
    )
    # What the store writes and reads back: orjson bytes of the document.
    raw = orjson.dumps(docs.interaction_to_doc(interaction))
    assert docs.interaction_from_doc(orjson.loads(raw), "i") == interaction
