"""The PostgreSQL store keeps the admin settings while a watch listens, so a save does not ask
the server for the default country each time (issue 12, "Benchmarks"), and a changed setting
still takes effect: the change is announced to every watch (settings:name), and the store drops
what it kept when it hears one, when its own session changes one, and when its watch is lost
or closed. Without a watch nothing would say a setting changed, so each read asks the server.
The same store keeps the contact made from a document, for a document that is the same JSON."""

from __future__ import annotations

import select
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contact_tui.domain.draft import ContactDraft, PhoneDraft
from contact_tui.domain.model import PhoneKind
from contact_tui.service import ContactService
from contact_tui.store.base import StoreWatch
from contact_tui.store.postgres.store import PostgresStore
from tests.contract import Stores
from tests.factories import FixedClock

pytestmark = pytest.mark.pg


class Counted:
    """Counts the statements a store sends that read the settings table."""

    def __init__(self, store: PostgresStore) -> None:
        self.reads = 0
        rows = store._rows

        def counting(sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
            if ".settings" in sql:
                self.reads += 1
            return rows(sql, args)

        store._rows = counting  # type: ignore[method-assign]


def store_of(service: ContactService) -> PostgresStore:
    repo = service.repo
    assert isinstance(repo, PostgresStore)
    return repo


def take_in(watch: StoreWatch, until: Callable[[], bool] = lambda: True) -> None:
    """What the app does when the watch's descriptor turns readable: wait for it and take in
    what arrived, until ``until`` holds (a few seconds at most). Notices of earlier saves (the
    contact a test just made) may arrive first: each is taken in as the app would."""
    fd = watch.fileno()
    assert fd is not None
    for _ in range(50):
        if select.select([fd], [], [], 0.1)[0] and watch.changed() and until():
            return
    raise AssertionError("the watch did not hear what was awaited")


def national(service: ContactService) -> str | None:
    """The E.164 a contact saved with a national UK number gets: read in the default country."""
    draft = ContactDraft(
        first_name="Ken", last_name="Ito", phones={PhoneKind.WORK: PhoneDraft("020 7946 0958")}
    )
    saved = service.create_contact(draft)
    return None if saved.work_phone is None else saved.work_phone.e164


def test_a_listening_store_reads_the_settings_once(pg_stores: Stores) -> None:
    agent = pg_stores.service("alice")
    counted = Counted(store_of(agent))
    watch = agent.watch()
    try:
        for _ in range(3):
            assert agent.region == "US"
            agent.setting("ephemeral-ttl-days")
        assert counted.reads == 1
    finally:
        watch.close()


def test_a_change_heard_takes_effect_for_the_next_save(pg_stores: Stores) -> None:
    agent = pg_stores.service("alice")
    admin = pg_stores.service("ada")
    watch = agent.watch()
    try:
        assert agent.region == "US"
        assert national(agent) is None  # not a +1 number
        admin.set_setting("default-country-code", 44)
        take_in(watch, lambda: agent.region == "GB")
        assert national(agent) == "+442079460958"
        admin.set_setting("default-country-code", 1)
        take_in(watch, lambda: agent.region == "US")
    finally:
        watch.close()


def test_without_a_watch_every_read_asks(pg_stores: Stores) -> None:
    agent = pg_stores.service("alice")
    admin = pg_stores.service("ada")
    counted = Counted(store_of(agent))
    assert agent.region == "US"
    admin.set_setting("default-country-code", 44)
    assert agent.region == "GB"  # at once: nothing was kept
    assert national(agent) == "+442079460958"
    assert counted.reads >= 3  # each read asked (the save reads the region too)


def test_the_sessions_own_change_shows_before_its_notice(pg_stores: Stores) -> None:
    admin = pg_stores.service("ada")
    watch = admin.watch()
    try:
        assert admin.region == "US"
        admin.set_setting("default-country-code", 44)
        assert admin.region == "GB"  # the notice has not been taken in
        assert national(admin) == "+442079460958"
    finally:
        watch.close()


def test_a_closed_or_lost_watch_stops_the_keeping(
    pg_stores: Stores,
    pg_server: Any,
) -> None:
    agent = pg_stores.service("alice")
    admin = pg_stores.service("ada")
    watch = agent.watch()
    assert agent.region == "US"
    watch.close()
    admin.set_setting("default-country-code", 44)
    assert agent.region == "GB"  # nothing heard, but nothing kept either
    watch = agent.watch()
    try:
        assert agent.region == "GB"
        pg_server.restart()  # the listening connection is lost
        take_in(watch)
        assert not watch.alive
        with admin.repo.write("ada") as uow:
            uow.set_setting("default-country-code", 33)
        assert agent.region == "FR"
    finally:
        watch.close()


def test_the_same_document_makes_the_same_contact_once(
    pg_stores: Stores,
    store_path: Path,
    clock: FixedClock,
) -> None:
    agent = pg_stores.service("alice")
    made = agent.create_contact(ContactDraft(first_name="Ada", last_name="Lovelace"))
    first = agent.contact(made.id)
    assert first == made
    assert agent.contact(made.id) is first  # the same JSON: not made again
    draft = ContactDraft.from_contact(first)
    draft.title = "Countess"
    edited = agent.edit(made.id, draft, first.version)
    again = agent.contact(made.id)
    assert again == edited and again is not first
    assert (again.title, again.version) == ("Countess", 2)
