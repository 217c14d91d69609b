"""Opt-in: our Genesys export, read by Genesys's own Python SDK, comes back unchanged.

The export (``contact_tui.exchange.genesys.write_genesys``) is fed to the deserializer that
``PureCloudPlatformClientV2`` runs on every API response (``ApiClient.deserialize(response,
"list[ExternalContact]")``), then checked three ways:

* every key of every object is one the SDK's model knows (its ``attribute_map``); the
  deserializer copies only known keys, so an unknown key would be silently dropped;
* every value the models hold has our value and our JSON type (the deserializer coerces
  primitives with ``str()``/``int()``/``bool()``, so a wrong type comes back changed), and
  ``createDate``/``modifyDate`` are held as timezone-aware datetimes at our instant;
* the SDK's own serializer (``ApiClient.sanitize_for_serialization``, which builds request
  bodies) writes the models back as our JSON: same keys at every level, same values.

The SDK is not a dependency of contact-tui. To run this::

    pip install PureCloudPlatformClientV2   # into the venv; 269.0.0 was used to write this
    CONTACT_TUI_GENESYS_SDK=1 pytest -q tests/optional -p no:cacheprovider

Importing the SDK builds its ``Configuration`` singleton, which reads
``~/.genesyscloudpython/config`` and, unless that file says ``live_reload_config = false``,
starts a daemon thread running a watchdog inotify observer that never stops, and may schedule
a recursive watch on the home folder when ``~/.genesyscloudpython`` does not exist. So the
import happens in a fixture, with HOME pointed at a temporary folder holding exactly that
config file: no thread is started and nothing is written; the fixture checks both.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from contact_tui.domain.codec import parse_date
from contact_tui.domain.model import (
    Address,
    Contact,
    ContactType,
    MessagingIdentity,
    Platform,
)
from contact_tui.domain.rules import parse_phone
from contact_tui.exchange.genesys import contact_to_genesys, write_genesys

ENV_VAR = "CONTACT_TUI_GENESYS_SDK"
PACKAGE = "PureCloudPlatformClientV2"

pytestmark = pytest.mark.skipif(
    os.environ.get(ENV_VAR) != "1",
    reason=(
        f"opt-in check against Genesys's Python SDK; run: pip install {PACKAGE} && "
        f"{ENV_VAR}=1 pytest tests/optional"
    ),
)

# Keys of ExternalContact typed 'datetime' by the SDK: compared as instants, since the SDK
# writes them back with isoformat() ("+00:00", microseconds) rather than our "...123Z".
DATE_KEYS = ("createDate", "modifyDate")
# Every key the export writes; the contacts below must fill all of them.
EXPORTED_KEYS = frozenset(
    {
        "id",
        "type",
        "firstName",
        "middleName",
        "lastName",
        "salutation",
        "title",
        "workPhone",
        "cellPhone",
        "homePhone",
        "otherPhone",
        "workEmail",
        "personalEmail",
        "otherEmail",
        "address",
        "whatsAppId",
        "facebookId",
        "twitterId",
        "lineId",
        "instagramId",
        "surveyOptOut",
        "externalSystemUrl",
        "createDate",
        "modifyDate",
    }
)
_PRIMITIVES: Mapping[str, type] = {"str": str, "int": int, "bool": bool, "float": float}


# --- the contacts ----------------------------------------------------------------------------


def sample_contacts() -> list[Contact]:
    """Every field kind: four phones (extension, satellite, kept as typed), three emails,
    a full address, every identity platform, both dates, local-only fields, non-ASCII text."""
    full = Contact(
        id="0f4b6c1e-7d2a-4e55-9a31-5c8e2b7d9f10",
        type=ContactType.CURATED,
        first_name="Zoë",
        middle_name="Åsa",
        last_name="Łukasiewicz-Ōta",
        salutation="Sra.",
        title="Directora de Atención al Cliente",
        work_phone=parse_phone("+1 212 555 0100 ext. 42", "US"),
        cell_phone=parse_phone("+44 7700 900123", "US", accepts_sms=True),
        home_phone=parse_phone("+881 6 3211 2345", "US"),
        other_phone=parse_phone("0800 FLOWERS", "US"),
        work_email="zoe.lukasiewicz@example.com",
        personal_email="zoë@exämple.es",
        other_email="z.ota+crm@example.org",
        address=Address(
            address1="Calle de Alcalá 42",
            address2="3º izquierda",
            city="Madrid",
            state="Comunidad de Madrid",
            postal_code="28014",
            country_code="ES",
        ),
        identities=(
            MessagingIdentity(Platform.WHATSAPP, ("+447700900123",), display_name="Zoë 🌻"),
            MessagingIdentity(
                Platform.FACEBOOK, ("5551234567890123", "5559876543210987"), display_name="Zoë Ł."
            ),
            MessagingIdentity(
                Platform.TWITTER, ("1234567890123456789",), display_name="Zoë Ł.", handle="zoe_lo"
            ),
            MessagingIdentity(
                Platform.LINE, ("U4af4980629a0b1c2d3e4f5a6b7c8d9e0",), display_name="ゾーイ"
            ),
            MessagingIdentity(
                Platform.INSTAGRAM, ("17841400000000001",), display_name="Zoë", handle="zoe.lo"
            ),
            # Local only (no webChatId on ExternalContact): the export must leave it out.
            MessagingIdentity(Platform.WEBCHAT, ("cookie-7f3a",), display_name="Zoë"),
        ),
        survey_opt_out=True,
        external_system_url="https://crm.example.com/customers/42?tab=überblick",
        # Local only: the export must leave these out.
        version=7,
        created_by="alice",
        modified_by="bob",
        last_interaction_date=datetime(2026, 11, 27, 16, 5, 0, tzinfo=UTC),
        create_date=datetime(2025, 3, 14, 9, 26, 53, 589000, tzinfo=UTC),
        modify_date=datetime(2026, 11, 27, 16, 4, 59, 7000, tzinfo=UTC),
    )
    ephemeral = Contact(
        id="a3d5e7f9-1b2c-4d6e-8f01-23456789abcd",
        type=ContactType.EPHEMERAL,
        cell_phone=parse_phone("(212) 555-0199", "US", accepts_sms=True),
        other_phone=parse_phone("12", "US"),
        identities=(MessagingIdentity(Platform.WHATSAPP, ("+12125550199",)),),
        create_date=datetime(2026, 11, 28, 8, 59, 0, tzinfo=UTC),
        modify_date=datetime(2026, 11, 28, 8, 59, 0, tzinfo=UTC),
    )
    identified = Contact(
        id="5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
        type=ContactType.IDENTIFIED,
        first_name="Ngozi",
        last_name="Ọkàfọ̀",
        personal_email="ngozi@example.ng",
    )
    return [full, ephemeral, identified]


# --- the SDK -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sdk:
    """The SDK's untyped parts this module uses; Any stays inside these two fields."""

    client: Any  # PureCloudPlatformClientV2.ApiClient
    models: Any  # the PureCloudPlatformClientV2.models module


@dataclass(frozen=True)
class _JsonResponse:
    """What ApiClient.deserialize reads from an HTTP response: a header and the body."""

    data: bytes

    def getheader(self, name: str) -> str | None:
        return "application/json" if name.lower() == "content-type" else None


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sdk]:
    """The SDK imported with HOME in a temporary folder, checked to leave nothing running."""
    assert PACKAGE not in sys.modules, f"{PACKAGE} was imported before HOME was redirected"
    home = tmp_path_factory.mktemp("home")
    config = home / ".genesyscloudpython" / "config"
    config.parent.mkdir()
    # Read by Configuration() at import; without it a never-ending watcher thread starts.
    config.write_text("[general]\nlive_reload_config = false\n", encoding="utf-8")
    threads_before = set(threading.enumerate())
    # The SDK's Logger silences these two loggers for the whole process; put them back.
    loggers = [logging.getLogger(name) for name in ("urllib3", "watchdog")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        try:
            module = pytest.importorskip(
                PACKAGE,
                reason=f"{PACKAGE} is not importable; pip install {PACKAGE} (not a dependency)",
                exc_type=ImportError,
            )
        finally:
            for lg, (level, propagate) in zip(loggers, saved, strict=True):
                lg.setLevel(level)
                lg.propagate = propagate
        started = set(threading.enumerate()) - threads_before
        assert not started, f"importing {PACKAGE} started threads: {started}"
        written = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
        assert written == [".genesyscloudpython", ".genesyscloudpython/config"], written
        yield Sdk(client=module.ApiClient(), models=module.models)


def _model(sdk: Sdk, name: str) -> Any:
    """An empty instance of a model; swagger_types and attribute_map are set per instance."""
    return getattr(sdk.models, name)()


def _list_item_type(type_name: str) -> str | None:
    return type_name[5:-1] if type_name.startswith("list[") else None


def deserialize(sdk: Sdk, body: str) -> list[Any]:
    """JSON text through the path every API response takes: ApiClient.deserialize."""
    response = _JsonResponse(body.encode("utf-8"))
    result: list[Any] = sdk.client.deserialize(response, "list[ExternalContact]")
    return result


def unknown_keys(sdk: Sdk, value: Any, type_name: str, path: str = "") -> list[str]:
    """Keys of ``value`` (recursively) that the SDK model for ``type_name`` does not have."""
    if (item_type := _list_item_type(type_name)) is not None:
        if not isinstance(value, list):
            return []  # the type comparison reports it
        found: list[str] = []
        for i, item in enumerate(value):
            found += unknown_keys(sdk, item, item_type, f"{path}[{i}]")
        return found
    if type_name in _PRIMITIVES or type_name in ("datetime", "date", "object"):
        return []
    if not isinstance(value, dict):
        return []
    model = _model(sdk, type_name)
    by_key = {key: attr for attr, key in model.attribute_map.items()}
    found = []
    for key, sub in value.items():
        if key not in by_key:
            found.append(f"{path}.{key}: not a key of the SDK model {type_name}")
        else:
            found += unknown_keys(sdk, sub, model.swagger_types[by_key[key]], f"{path}.{key}")
    return found


def differences(sdk: Sdk, ours: Any, held: Any, type_name: str, path: str = "") -> list[str]:
    """Where the value the SDK holds is not our value, or not of our JSON type."""
    if (item_type := _list_item_type(type_name)) is not None:
        if not isinstance(ours, list) or not isinstance(held, list) or len(ours) != len(held):
            return [f"{path}: we export {ours!r}; the SDK ({type_name}) holds {held!r}"]
        found: list[str] = []
        for i, (mine, its) in enumerate(zip(ours, held, strict=True)):
            found += differences(sdk, mine, its, item_type, f"{path}[{i}]")
        return found
    if type_name == "datetime":
        # A datetime here is the proof the SDK parsed our date, not just kept the string.
        if not isinstance(held, datetime) or held.tzinfo is None:
            return [f"{path}: we export {ours!r}; the SDK did not parse it, it holds {held!r}"]
        if held != parse_date(ours):
            return [f"{path}: we export {ours!r}; the SDK parsed it as {held.isoformat()}"]
        return []
    if type_name in _PRIMITIVES:
        expected = _PRIMITIVES[type_name]
        if type(ours) is not expected or type(held) is not expected or held != ours:
            return [
                f"{path}: we export {ours!r} ({type(ours).__name__}); the SDK types it "
                f"{type_name} and its deserializer made it {held!r} ({type(held).__name__})"
            ]
        return []
    if not isinstance(ours, dict):
        return [f"{path}: we export {ours!r}; the SDK expects a {type_name} object"]
    model = _model(sdk, type_name)
    found = []
    for attr, sub_type in model.swagger_types.items():
        key = model.attribute_map[attr]
        its = getattr(held, attr)
        if key in ours:
            found += differences(sdk, ours[key], its, sub_type, f"{path}.{key}")
        elif its is not None:
            found.append(f"{path}.{key}: not in our export, yet the SDK holds {its!r}")
    return found


def _as_instants(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contacts with their dates parsed, so that '...Z' equals '...+00:00'."""
    return [{k: parse_date(v) if k in DATE_KEYS else v for k, v in c.items()} for c in contacts]


def _show(problems: list[str]) -> str:
    return "\n".join(problems)


# --- the tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def export_text() -> str:
    """The sample contacts as write_genesys writes them: the text the SDK is given."""
    return write_genesys(sample_contacts())


@pytest.fixture(scope="module")
def exported(export_text: str) -> list[dict[str, Any]]:
    """The export parsed, to compare with what the SDK makes of it."""
    data: list[dict[str, Any]] = json.loads(export_text)
    assert data == [contact_to_genesys(c) for c in sample_contacts()]
    return data


def test_the_sample_exercises_every_exported_key(exported: list[dict[str, Any]]) -> None:
    full = exported[0]
    assert set().union(*exported) == EXPORTED_KEYS
    assert full["workPhone"]["extension"] == 42
    assert full["homePhone"]["e164"] == "+881632112345"
    assert "e164" not in full["otherPhone"]  # kept as typed
    assert len(full["facebookId"]["ids"]) == 2
    assert {c["type"] for c in exported} == {t.value for t in ContactType}


def test_every_exported_key_is_known_to_the_sdk(sdk: Sdk, exported: list[dict[str, Any]]) -> None:
    """The deserializer copies only keys in a model's attribute_map; any other is dropped."""
    problems = unknown_keys(sdk, exported, "list[ExternalContact]")
    assert not problems, "the SDK would drop:\n" + _show(problems)


def test_the_sdk_holds_our_values_with_our_types(
    sdk: Sdk, export_text: str, exported: list[dict[str, Any]]
) -> None:
    models = deserialize(sdk, export_text)
    assert [type(m).__name__ for m in models] == ["ExternalContact"] * len(exported)
    problems = differences(sdk, exported, models, "list[ExternalContact]")
    assert not problems, "the SDK changed:\n" + _show(problems)


def test_the_sdk_writes_our_json_back(
    sdk: Sdk, export_text: str, exported: list[dict[str, Any]]
) -> None:
    """The SDK's request-body serializer gives back our keys and values at every level.

    (Model.to_json() is no use here: it dumps to_dict(), whose keys are snake_case.)
    """
    back = sdk.client.sanitize_for_serialization(deserialize(sdk, export_text))
    assert _as_instants(back) == _as_instants(exported)


def test_our_contact_types_are_allowed_by_the_sdk(sdk: Sdk) -> None:
    """The ``type`` setter does not raise on an unknown value: it stores a placeholder."""
    for contact_type in ContactType:
        model = _model(sdk, "ExternalContact")
        model.type = contact_type.value
        assert model.type == contact_type.value
    model = _model(sdk, "ExternalContact")
    model.type = "Prospect"
    assert model.type == "outdated_sdk_version"


def test_the_key_check_catches_an_unknown_key(sdk: Sdk) -> None:
    bad = [{"firstName": "A", "bogusKey": 1, "workPhone": {"display": "12", "bogus": True}}]
    assert unknown_keys(sdk, bad, "list[ExternalContact]") == [
        "[0].bogusKey: not a key of the SDK model ExternalContact",
        "[0].workPhone.bogus: not a key of the SDK model PhoneNumber",
    ]
    # ... and this is why it matters: the SDK drops both without a word.
    back = sdk.client.sanitize_for_serialization(deserialize(sdk, json.dumps(bad)))
    assert back == [{"firstName": "A", "workPhone": {"display": "12"}}]


def test_the_value_check_catches_a_coerced_or_replaced_value(sdk: Sdk) -> None:
    bad = [
        {
            "type": "Prospect",
            "surveyOptOut": "no",
            "workPhone": {"display": "12", "extension": "42"},
            "createDate": "2026-11-28T09:00:00.000Z",
        }
    ]
    problems = differences(sdk, bad, deserialize(sdk, json.dumps(bad)), "list[ExternalContact]")
    assert [p.split(":")[0] for p in problems] == [
        "[0].workPhone.extension",  # "42" -> 42
        "[0].surveyOptOut",  # "no" -> True: bool("no")
        "[0].type",  # "Prospect" -> "outdated_sdk_version"
    ]
    assert "made it True (bool)" in problems[1]
