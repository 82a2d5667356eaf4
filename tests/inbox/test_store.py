"""The store functions the gateway calls, straight against a migrated SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.inbox.db import create_engine, migrate

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'inbox.db'}"
    await asyncio.to_thread(migrate, url)
    created = create_engine(url)
    yield created
    await created.dispose()


async def test_first_message_creates_the_conversation(engine: AsyncEngine) -> None:
    message = await store.record_message(
        engine,
        sender_id="rec-1",
        channel="rest",
        direction="customer",
        text="Привіт, де моє замовлення?",
        intent="order_status",
        confidence=0.87,
        language="uk",
    )
    assert message.id > 0
    assert message.direction == "customer"
    assert message.text == "Привіт, де моє замовлення?"
    assert (message.intent, message.confidence) == ("order_status", 0.87)
    assert message.agent_name is None and message.payload is None

    conversation = await store.conversation_by_sender(engine, "rec-1")
    assert conversation is not None
    assert conversation.id == message.conversation_id
    assert (conversation.state, conversation.channel, conversation.language) == (
        "bot",
        "rest",
        "uk",
    )
    assert conversation.last_message_at == message.created_at


async def test_later_messages_append_and_update_language(engine: AsyncEngine) -> None:
    first = await store.record_message(
        engine, sender_id="rec-2", channel="rest", direction="customer", text="hi", language="en"
    )
    buttons = {"buttons": [{"title": "Yes", "payload": "/affirm"}]}
    second = await store.record_message(
        engine, sender_id="rec-2", channel="rest", direction="bot", text="Sure?", payload=buttons
    )
    third = await store.record_message(
        engine, sender_id="rec-2", channel="rest", direction="customer", text="tak", language="pl"
    )
    assert first.conversation_id == second.conversation_id == third.conversation_id
    assert second.payload == buttons
    conversation = await store.conversation_by_sender(engine, "rec-2")
    assert conversation is not None
    assert conversation.language == "pl"
    assert conversation.last_message_at == third.created_at
    transcript = await store.list_messages(engine, first.conversation_id)
    assert [m.id for m in transcript] == [first.id, second.id, third.id]
    later = await store.list_messages(engine, first.conversation_id, after_id=first.id)
    assert [m.id for m in later] == [second.id, third.id]


async def test_agent_named_only_in_the_payload_still_has_a_name(engine: AsyncEngine) -> None:
    message = await store.record_message(
        engine,
        sender_id="rec-agent",
        channel="rest",
        direction="agent",
        text="Hi, Ewa here",
        payload={"agent": "Ewa"},
    )
    assert message.agent_name == "Ewa"


async def test_concurrent_first_messages_make_one_conversation(engine: AsyncEngine) -> None:
    results = await asyncio.gather(
        *(
            store.record_message(
                engine, sender_id="rec-race", channel="rest", direction="customer", text=str(n)
            )
            for n in range(5)
        )
    )
    assert len({message.conversation_id for message in results}) == 1


async def test_bad_direction_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="direction"):
        await store.record_message(
            engine, sender_id="rec-x", channel="rest", direction="robot", text="?"
        )


async def test_handoff_queues_once_and_keeps_the_first_reason(engine: AsyncEngine) -> None:
    await store.record_message(
        engine, sender_id="hand-1", channel="rest", direction="customer", text="human please"
    )
    opened = await store.open_handoff(
        engine,
        sender_id="hand-1",
        reason="asked_for_person",
        language="en",
        customer=None,
        order_id=None,
    )
    assert opened.state == "waiting"
    assert opened.handoff_reason == "asked_for_person"
    assert opened.handoff_at is not None

    again = await store.open_handoff(
        engine,
        sender_id="hand-1",
        reason="upset_customer",
        language="en",
        customer="sam@example.com",
        order_id="10001",
    )
    assert again.state == "waiting"
    assert again.handoff_reason == "asked_for_person"
    assert again.handoff_at == opened.handoff_at
    # What was learnt since fills the gaps.
    assert (again.customer, again.order_id) == ("sam@example.com", "10001")

    transcript = await store.list_messages(engine, opened.id)
    handoffs = [m for m in transcript if m.direction == "system"]
    assert len(handoffs) == 1
    assert handoffs[0].payload == {"event": "handoff", "reason": "asked_for_person"}


async def test_handoff_of_an_unknown_reason_is_filed_as_other(engine: AsyncEngine) -> None:
    opened = await store.open_handoff(
        engine, sender_id="hand-2", reason="gremlins", language=None, customer=None, order_id=None
    )
    assert opened.handoff_reason == "other"
    # A hand-off before any message still creates the conversation.
    assert opened.channel == "unknown"


async def test_queue_position_counts_waiting_oldest_first(engine: AsyncEngine) -> None:
    senders = [f"pos-{n}" for n in range(3)]
    for sender in senders:
        await store.open_handoff(
            engine, sender_id=sender, reason="other", language=None, customer=None, order_id=None
        )
    positions = [await store.queue_position(engine, sender) for sender in senders]
    assert positions == sorted(positions)
    assert positions[1] == positions[0] + 1 and positions[2] == positions[0] + 2
    assert await store.queue_position(engine, "rec-1") == 0  # with the bot
    assert await store.queue_position(engine, "nobody") == 0


async def test_rating_is_stored_and_noted(engine: AsyncEngine) -> None:
    await store.record_message(
        engine, sender_id="rate-1", channel="rest", direction="customer", text="x"
    )
    await store.set_rating(engine, sender_id="rate-1", rating=4, comment="  quick and kind  ")
    conversation = await store.conversation_by_sender(engine, "rate-1")
    assert conversation is not None
    assert (conversation.rating, conversation.rating_comment) == (4, "quick and kind")
    last = (await store.list_messages(engine, conversation.id))[-1]
    assert last.direction == "system"
    assert last.payload == {"event": "rating", "rating": 4}
    assert "4/5" in last.text


@pytest.mark.parametrize("rating", [0, 6, True, 3.5])
async def test_rating_outside_one_to_five_is_refused(engine: AsyncEngine, rating: object) -> None:
    with pytest.raises(ValueError):
        await store.set_rating(engine, sender_id="rate-1", rating=rating, comment=None)  # type: ignore[arg-type]


async def test_rating_an_unknown_conversation_fails(engine: AsyncEngine) -> None:
    with pytest.raises(store.ConversationNotFound):
        await store.set_rating(engine, sender_id="ghost", rating=5, comment=None)
