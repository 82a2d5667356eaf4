"""The customers room's notification queries on SQLite and PostgreSQL (issue 20):
replay protection, opting in and out, claiming each due row once, follow-up answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.customers import notifications
from bot.customers.notifications import Link, ReplayedEvent
from bot.customers.tables import customer_links, customers
from tests.support.databases import migrated_engine

NOW = datetime(2026, 3, 2, 10, 0)


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with migrated_engine(request.param, tmp_path, "kramar_notifications") as created:
        yield created


async def _remember(engine: AsyncEngine, sender: str, email: str, updates: bool) -> int:
    async with engine.begin() as conn:
        customer_id = await conn.scalar(select(customers.c.id).where(customers.c.email == email))
        if customer_id is None:
            inserted = await conn.execute(
                customers.insert().values(email=email, name="Olena", created_at=NOW)
            )
            customer_id = inserted.inserted_primary_key[0]
        await conn.execute(
            customer_links.insert().values(
                sender_id=sender, customer_id=customer_id, channel="web", updates=updates,
                created_at=NOW,
            )
        )  # fmt: skip
    return int(customer_id)


async def test_an_event_id_counts_once_and_its_replay_changes_nothing(engine: AsyncEngine) -> None:
    await _remember(engine, "web-1", "olena@example.com", updates=True)
    async with engine.begin() as conn:
        await notifications.record_event(
            conn, event_id="evt_1", event_type="order.shipped", order_id="10001", now=NOW
        )
        (link,) = await notifications.opted_in_links(conn, " Olena@Example.com ")
        await notifications.schedule(
            conn, link, kind="order_update", payload={}, now=NOW, due_at=NOW
        )
    with pytest.raises(ReplayedEvent):
        async with engine.begin() as conn:
            await notifications.record_event(
                conn, event_id="evt_1", event_type="order.shipped", order_id="10001", now=NOW
            )
            await notifications.schedule(
                conn, link, kind="order_update", payload={}, now=NOW, due_at=NOW
            )
    claimed = await notifications.claim_due(engine, NOW)
    assert len(claimed) == 1  # the replay's row was rolled back with it
    await notifications.forget_old_events(engine, before=NOW + timedelta(seconds=1))
    async with engine.begin() as conn:  # forgotten: the id could come again (outside the window)
        await notifications.record_event(
            conn, event_id="evt_1", event_type="order.shipped", order_id="10001", now=NOW
        )


async def test_only_opted_in_chats_get_updates_and_opting_out_drops_what_waits(
    engine: AsyncEngine,
) -> None:
    customer_id = await _remember(engine, "web-in", "jana@example.com", updates=True)
    await _remember(engine, "tg-1", "jana@example.com", updates=False)
    assert await notifications.set_updates(engine, "nobody", True) is False
    async with engine.begin() as conn:
        links = await notifications.opted_in_links(conn, "jana@example.com")
        assert links == [Link(customer_id, "web-in", "web")]
        await notifications.schedule(
            conn,
            links[0],
            kind="order_update",
            payload={"x": 1},
            now=NOW,
            due_at=NOW + timedelta(hours=1),
        )
    assert await notifications.set_updates(engine, "web-in", False) is True
    assert await notifications.wants_updates(engine, "web-in") is None
    assert await notifications.claim_due(engine, NOW + timedelta(days=1)) == []
    assert await notifications.set_updates(engine, "tg-1", True) is True
    assert await notifications.wants_updates(engine, "tg-1") == "web"


async def test_due_rows_are_claimed_once_even_by_concurrent_senders(engine: AsyncEngine) -> None:
    await _remember(engine, "web-2", "petr@example.com", updates=True)
    async with engine.begin() as conn:
        (link,) = await notifications.opted_in_links(conn, "petr@example.com")
        for minutes in range(6):
            await notifications.schedule(
                conn, link, kind="order_update", payload={}, now=NOW,
                due_at=NOW + timedelta(minutes=minutes),
            )  # fmt: skip
    later = NOW + timedelta(minutes=3)
    batches = await asyncio.gather(*(notifications.claim_due(engine, later) for _ in range(4)))
    claimed = [n.id for batch in batches for n in batch]
    assert len(claimed) == len(set(claimed)) == 4  # due by then: minutes 0-3, each once
    await notifications.release(engine, claimed[0])
    assert [n.id for n in await notifications.claim_due(engine, later)] == [claimed[0]]


async def test_a_follow_up_answer_counts_once_from_its_own_chat(engine: AsyncEngine) -> None:
    await _remember(engine, "web-3", "tomasz@example.com", updates=True)
    async with engine.begin() as conn:
        (link,) = await notifications.opted_in_links(conn, "tomasz@example.com")
        followup = await notifications.schedule(
            conn, link, kind="followup", payload={"order_id": "10009"}, now=NOW, due_at=NOW
        )
    answer = notifications.record_answer
    assert not await answer(
        engine, notification_id=followup, sender_id="web-3", answer="bad", now=NOW
    )
    await notifications.claim_due(engine, NOW)  # sent: now it can be answered
    assert not await answer(
        engine, notification_id=followup, sender_id="other", answer="bad", now=NOW
    )
    assert not await answer(
        engine, notification_id=followup, sender_id="web-3", answer="meh", now=NOW
    )
    assert await answer(engine, notification_id=followup, sender_id="web-3", answer="bad", now=NOW)
    assert not await answer(
        engine, notification_id=followup, sender_id="web-3", answer="good", now=NOW
    )
    counts = await notifications.followup_answers(engine, since=NOW - timedelta(days=1))
    assert counts == {"good": 0, "bad": 1, "none": 0}
