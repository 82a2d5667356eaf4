"""The PostgreSQL tracker store (bot/stores/trackers.py), on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.trackers import PostgresTrackerStore
from tests.support import infra

DOMAIN = Domain.from_yaml("version: '3.1'\nslots:\n  email:\n    type: text\n    mappings: []\n")


@pytest.fixture(scope="module")
def store() -> Iterator[PostgresTrackerStore]:
    with infra.scratch_databases("trackers") as urls:
        store = PostgresTrackerStore(host=urls["trackers"], domain=DOMAIN)
        yield store
        store.engine.dispose()


def rows(store: PostgresTrackerStore, sender: str) -> int:
    with store.engine.connect() as connection:
        query = sa.text("SELECT count(*) FROM events WHERE sender_id = :sender")
        return int(connection.execute(query, {"sender": sender}).scalar_one())


def texts(events: list[Event]) -> list[str]:
    return [event.text or "" for event in events if isinstance(event, UserUttered)]


def turn(tracker: DialogueStateTracker, text: str) -> None:
    tracker.update(UserUttered(text))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(ActionExecuted("action_listen"))


async def test_each_event_is_stored_once_over_many_turns(store: PostgresTrackerStore) -> None:
    tracker = DialogueStateTracker("stored-once", DOMAIN.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    turn(tracker, "one")
    await store.save(tracker)
    for text in ("two", "three"):
        again = await store.retrieve("stored-once")
        assert again is not None
        turn(again, text)
        tracker.update(SlotSet("email", f"{text}@example.com"))  # the stale copy is not saved
        await store.save(again)
        await store.save(again)  # saving twice adds nothing
    stored = await store.retrieve("stored-once")
    assert stored is not None
    assert texts(list(stored.events)) == ["one", "two", "three"]
    assert rows(store, "stored-once") == 3 + 3 * 3
    assert stored.get_slot("email") is None


async def test_a_copy_of_a_tracker_is_saved_without_doubling_its_events(
    store: PostgresTrackerStore,
) -> None:
    tracker = DialogueStateTracker("copied", DOMAIN.slots)
    turn(tracker, "first")
    await store.save(tracker)
    copy = tracker.copy()  # Rasa's copies start without what this store remembers
    turn(copy, "second")
    await store.save(copy)
    stored = await store.retrieve("copied")
    assert stored is not None
    assert texts(list(stored.events)) == ["first", "second"]
    assert rows(store, "copied") == 6


async def test_the_store_reconnects_after_a_postgresql_restart(
    store: PostgresTrackerStore,
) -> None:
    tracker = DialogueStateTracker("restarted", DOMAIN.slots)
    turn(tracker, "before")
    await store.save(tracker)  # its pooled connection dies with the server
    infra.restart_postgres()
    again = await store.retrieve("restarted")
    assert again is not None
    turn(again, "after")
    await store.save(again)
    assert rows(store, "restarted") == 6


async def test_a_read_starts_at_the_latest_session_unless_all_are_asked_for(
    store: PostgresTrackerStore,
) -> None:
    tracker = DialogueStateTracker("sessions", DOMAIN.slots)
    for started, text in ((1000.0, "last week"), (2000.0, "today")):
        tracker.update(SessionStarted(timestamp=started))
        tracker.update(UserUttered(text, timestamp=started + 1))
        tracker.update(ActionExecuted("action_listen", timestamp=started + 2))
    await store.save(tracker)
    latest = await store.retrieve("sessions")
    everything = await store.retrieve_full_tracker("sessions")
    assert latest is not None and everything is not None
    assert texts(list(latest.events)) == ["today"]
    assert texts(list(everything.events)) == ["last week", "today"]
    assert await store.retrieve("nobody") is None
