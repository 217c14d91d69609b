"""Keys of a Genesys object that contact-tui does not keep are named, nested ones included,
and counted when there are many (issue 14, item 5: nothing vanishes without a word)."""

from __future__ import annotations

import json
from typing import Any

from contact_tui.exchange.genesys import read_genesys


def test_every_unread_key_is_named_or_counted() -> None:
    contact: dict[str, Any] = {
        "firstName": "Sam",
        "lastName": "Lee",
        "instagramId": {"ids": [{"scopedId": "1", "extra": "x"}], "screenName": "sam"},
        "twitterId": {"id": "5", "verified": True},
        "workPhone": {"e164": "+442079460000", "display": "+44 20 7946 0000", "foo": 1},
        "whatsAppId": {"phoneNumber": {"e164": "+447700900123", "extension": 4}},
    }
    contact.update({f"custom{n:02}": n for n in range(20)})
    [row] = read_genesys(json.dumps([contact]).encode()).rows
    [warning] = row.warnings
    assert warning.startswith("line 1: custom00, custom01, ")
    # 20 custom keys and 5 nested ones: 20 named, then the count of the rest.
    assert warning.endswith("custom19 and 5 more not imported (contact-tui has no such field)")
    few = {k: v for k, v in contact.items() if not k.startswith("custom")}
    [row] = read_genesys(json.dumps([few]).encode()).rows
    assert row.warnings == [
        "line 1: instagramId.screenName, instagramId.ids.extra, twitterId.verified, "
        "workPhone.foo, whatsAppId.phoneNumber.extension not imported "
        "(contact-tui has no such field)"
    ]
