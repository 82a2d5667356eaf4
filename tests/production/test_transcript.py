"""The transcript's turn writes and reads on the real PostgreSQL (bot/inbox/store.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.inbox.db import create_engine, migrate
from tests.production.conftest import asyncpg_url
from tests.support import infra


@pytest.fixture
async def engine() -> AsyncEngine:
    with infra.scratch_databases("transcript") as urls:
        url = asyncpg_url(urls["transcript"])
        migrate(url)
        engine = create_engine(url)
        yield engine
        await engine.dispose()


async def test_a_turn_is_written_in_order_and_answers_its_last_id(engine: AsyncEngine) -> None:
    lines = [
        store.NewMessage("customer", "where is 10001?", intent="order_status", confidence=0.93),
        store.NewMessage("bot", "Which email?", payload={"buttons": [{"title": "x"}]}),
        store.NewMessage("bot", "Or type it."),
    ]
    conversation_id, last = await store.record_messages(
        engine, sender_id="pg-turn", channel="rest", lines=lines, language="en"
    )
    again, later = await store.record_messages(
        engine,
        sender_id="pg-turn",
        channel="rest",
        lines=[store.NewMessage("customer", "a@b.cz")],
        conversation_id=conversation_id,
    )
    assert again == conversation_id and later > last
    written = await store.list_messages(engine, conversation_id)
    assert [m.text for m in written] == [line.text for line in lines] + ["a@b.cz"]
    assert written[2].id == last
    assert written[0].intent == "order_status" and written[1].payload == lines[1].payload
    conversation = await store.conversation_by_sender(engine, "pg-turn")
    assert conversation is not None and conversation.language == "en"
