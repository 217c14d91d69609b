"""Regenerate data/seed.json, the demo data the app starts on.

Contacts and interactions go through the service layer, so the seed obeys every rule the app
does. Run: .venv/bin/python scripts/make_seed.py
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from contact_tui.bootstrap import AGENT_PLACEHOLDER
from contact_tui.config import BUILTIN_ROLES, SETTINGS, Agent, Config
from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import (
    Channel,
    EmailKind,
    Participant,
    Permission,
    PhoneKind,
    Platform,
)
from contact_tui.service import ContactService, NewInteraction
from contact_tui.store.repository import Repository

ROOT = Path(__file__).resolve().parent.parent

CONTACTS = [
    # first, last, title, phones {kind: (text, sms)}, emails {kind: addr}, address
    (
        "Sam",
        "Lee",
        "Buyer",
        {"cell": ("(317) 555-0123", True)},
        {"work": "sam.lee@example.com"},
        ("12 Main St", "Indianapolis", "IN", "46204", "US"),
    ),
    (
        "Priya",
        "Raman",
        "",
        {"work": ("+44 20 7946 0958", False), "cell": ("+44 7700 900123", True)},
        {"personal": "priya.raman@example.co.uk"},
        ("1 Fleet St", "London", "", "EC4Y 1AA", "GB"),
    ),
    (
        "José",
        "Álvarez",
        "",
        {"home": ("+34 912 345 678", False)},
        {"personal": "jose.alvarez@example.es"},
        None,
    ),
    ("Mei", "张", "", {"cell": ("+86 139 1234 5678", True)}, {}, None),
    (
        "Olena",
        "Шевченко",
        "Procurement",
        {"work": ("+380 44 123 4567", False)},
        {"work": "olena@example.com.ua"},
        None,
    ),
    (
        "Siobhán",
        "O'Brien-Kelly",
        "",
        {"cell": ("+353 85 123 4567", True)},
        {"personal": "siobhan@example.ie"},
        None,
    ),
    ("Ahmed", "الفارسي", "", {"cell": ("+971 50 123 4567", True)}, {}, None),
    (
        "Kwame",
        "Mensah",
        "Ship captain",
        {"other": ("+881 6 3123 4567", False)},
        {"work": "captain@example.com"},
        None,
    ),
    (
        "Lars",
        "Nilsson",
        "Rig manager",
        {"other": ("+870 7 7312 3456", False), "work": ("+47 22 12 34 56", False)},
        {},
        None,
    ),
    (
        "Ana",
        "Silva",
        "",
        {"cell": ("+55 11 91234 5678", True)},
        {"personal": "ana.silva@example.com.br"},
        None,
    ),
    (
        "Dana",
        "Whitfield",
        "Office manager",
        {"work": ("212-555-0147 ext. 12", False)},
        {"work": "dana@example.com"},
        ("350 5th Ave", "New York", "NY", "10118", "US"),
    ),
    (
        "Chris",
        "Lee",
        "",
        {"cell": ("(317) 555-0188", True)},
        {"work": "chris.lee@example.com"},
        None,
    ),
    ("Christine", "Lee", "", {"home": ("(317) 555-0188", False)}, {}, None),
    (
        "Tomás",
        "Novák",
        "",
        {"other": ("0800-4 OLD PBX", False)},
        {"other": "tomas@example.cz"},
        None,
    ),
    (
        "Hana",
        "Sato",
        "",
        {"cell": ("+81 90 1234 5678", True)},
        {"personal": "hana.sato@example.jp"},
        None,
    ),
]

INTERACTIONS = [
    # channel, platform, from, name, subject, transcript, minutes ago
    ("voice", None, "(317) 555-0123", "SAM LEE", "", [], 2),
    ("voice", None, "+1 212 555 0199", "", "", [], 4),
    ("voice", None, "(317) 555-0188", "LEE C", "", [], 7),
    (
        "email",
        None,
        "priya.raman@example.co.uk",
        "Priya Raman",
        "Invoice 4471 is wrong",
        [
            "Hello, the invoice total does not match the quote.",
            "Could you call me on +44 20 7946 0958?",
            "Priya",
        ],
        11,
    ),
    (
        "email",
        None,
        "new.customer@example.net",
        "Jordan Blake",
        "Question about delivery",
        ["Hi, when will order 1182 arrive?", "cc: my colleague ops@example.net"],
        15,
    ),
    ("message", "sms", "+1 317 555 0150", "", "", ["Is the store open Sunday?"], 18),
    (
        "message",
        "whatsapp",
        "+44 7700 900456",
        "Sam",
        "",
        ["Hi! My parcel says delivered but it isn't here."],
        21,
    ),
    (
        "message",
        "facebook",
        "6543210987654321",
        "Taylor Morgan",
        "",
        ["Can I change my delivery address?"],
        25,
    ),
    (
        "message",
        "twitter",
        "1460987654321098752",
        "@dm_customer",
        "",
        ["Your app logs me out every hour"],
        30,
    ),
    (
        "message",
        "line",
        "U4af4980629abcdef0123456789abcdef",
        "ゆうこ",
        "",
        ["注文の確認をお願いします"],
        34,
    ),
    (
        "message",
        "instagram",
        "17841400123456789",
        "mara.designs",
        "",
        ["Do you ship to Canada?"],
        40,
    ),
    (
        "message",
        "webchat",
        "visitor-3f9a2c",
        "Guest",
        "",
        ["I need help resetting my password"],
        45,
    ),
]


def main() -> None:
    """Build the demo store in a temporary folder and write its tables as data/seed.json."""
    kinds = {
        "work": PhoneKind.WORK,
        "home": PhoneKind.HOME,
        "cell": PhoneKind.CELL,
        "other": PhoneKind.OTHER,
    }
    emails = {"work": EmailKind.WORK, "personal": EmailKind.PERSONAL, "other": EmailKind.OTHER}
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    now = [start]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.json"
        config = Config(
            source=None,
            store_path=path,
            defaults={n: s[1] for n, s in SETTINGS.items()},
            roles=dict(BUILTIN_ROLES),
            # The placeholder the interactions are routed to stands for whoever runs the demo:
            # an agent, or the service would refuse to route to it.
            user_roles={AGENT_PLACEHOLDER: ("agent",)},
            group_roles={},
        )
        agent = Agent("demo", frozenset(), ("supervisor",), frozenset(Permission))
        service = ContactService(Repository.open(path), config, agent, clock=lambda: now[0])
        for first, last, title, phones, mails, address in CONTACTS:
            now[0] += timedelta(hours=3)
            draft = ContactDraft(
                first_name=first,
                last_name=last,
                title=title,
                phones={kinds[k]: PhoneDraft(t, sms) for k, (t, sms) in phones.items()},
                emails={emails[k]: a for k, a in mails.items()},
            )
            if address:
                draft.address = dict(
                    zip(
                        ("address1", "city", "state", "postalCode", "countryCode"),
                        address,
                        strict=True,
                    )
                )
            service.create_contact(draft)
        for channel, platform, sender, name, subject, transcript, ago in INTERACTIONS:
            now[0] = datetime(2026, 11, 28, 9, 0, tzinfo=UTC) - timedelta(minutes=ago)
            service.handle_interaction(
                NewInteraction(
                    agent=AGENT_PLACEHOLDER,
                    channel=Channel(channel),
                    platform=Platform(platform) if platform else None,
                    sender=Participant(sender, name),
                    to=("support@example.com",) if channel == "email" else (),
                    subject=subject,
                    transcript=tuple(transcript),
                )
            )
        store = service.repo.store
        tables = {
            t: {i: store.doc(t, i) for i in store.table_ids(t)}
            for t in ("contacts", "interactions", "audit")
        }
    (ROOT / "data" / "seed.json").write_bytes(
        orjson.dumps(tables, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    print(f"wrote {sum(len(t) for t in tables.values())} documents to data/seed.json")


if __name__ == "__main__":
    main()
