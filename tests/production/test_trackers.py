"""The PostgreSQL tracker store (bot/stores/trackers.py), on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.trackers import TAIL_EVENTS, PostgresTrackerStore
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


async def test_a_long_conversation_is_read_bounded_with_its_state_kept(
    store: PostgresTrackerStore,
) -> None:
    domain = Domain.from_yaml(
        "version: '3.1'\nslots:\n  email:\n    type: text\n    mappings: []\n"
        "  language:\n    type: text\n    initial_value: en\n    mappings: []\n"
        "forms:\n  order_request_form:\n    required_slots: [email]\n"
    )
    bounded = PostgresTrackerStore(host=str(store.engine.url), domain=domain)
    tracker = DialogueStateTracker("long-one", domain.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("email", "olena@example.com"))
    tracker.update(SlotSet("language", "uk"))
    tracker.update(ActiveLoop("order_request_form"))
    tracker.update(ActionExecuted("action_listen"))
    for n in range(TAIL_EVENTS):  # three events a turn: far more than the tail
        turn(tracker, f"message {n}")
    await bounded.save(tracker)

    recent = await bounded.retrieve("long-one")
    assert recent is not None
    assert len(recent.events) <= TAIL_EVENTS + 3
    assert isinstance(recent.events[3], UserUttered)  # cut at a customer's message
    assert texts(list(recent.events))[-1] == f"message {TAIL_EVENTS - 1}"
    assert recent.get_slot("email") == "olena@example.com"
    assert recent.get_slot("language") == "uk"
    assert recent.active_loop_name == "order_request_form"

    # What the turn adds is stored once, after the events the read stood for.
    turn(recent, "one more")
    await bounded.save(recent)
    everything = await bounded.retrieve_full_tracker("long-one")
    assert everything is not None
    said = texts(list(everything.events))
    assert said[-2:] == [f"message {TAIL_EVENTS - 1}", "one more"]
    assert len(said) == TAIL_EVENTS + 1
    assert rows(bounded, "long-one") == 6 + 3 * (TAIL_EVENTS + 1)
    bounded.engine.dispose()


async def test_a_bounded_read_restores_each_slot_from_its_latest_value(
    store: PostgresTrackerStore,
) -> None:
    domain = Domain.from_yaml(
        "version: '3.1'\nslots:\n  email:\n    type: text\n    mappings: []\n"
        "  order_id:\n    type: text\n    mappings: []\n"
        "forms:\n  order_request_form:\n    required_slots: [email]\n"
    )
    bounded = PostgresTrackerStore(host=str(store.engine.url), domain=domain)
    tracker = DialogueStateTracker("changing", domain.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("order_id", "10001"))
    tracker.update(ActiveLoop("order_request_form"))
    for n in range(TAIL_EVENTS // 2):  # the email changes many times, then the form ends
        tracker.update(SlotSet("email", f"customer{n}@example.com"))
        turn(tracker, f"message {n}")
    tracker.update(ActiveLoop(None))
    tracker.update(AllSlotsReset())
    tracker.update(SlotSet("email", "last@example.com"))
    for n in range(TAIL_EVENTS // 2):
        turn(tracker, f"later {n}")
    await bounded.save(tracker)

    recent = await bounded.retrieve("changing")
    assert recent is not None
    assert len(recent.events) <= TAIL_EVENTS + 2
    assert recent.get_slot("email") == "last@example.com"
    assert recent.get_slot("order_id") is None  # reset before the tail
    assert recent.active_loop_name is None
    bounded.engine.dispose()
