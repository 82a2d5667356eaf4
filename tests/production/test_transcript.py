"""The transcript's turn writes and reads on the real PostgreSQL (bot/inbox/store.py)."""

from __future__ import annotations

from contextlib import closing

import pytest
from sqlalchemy.engine import make_url
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
    # A caller that did not know the conversation (a hand-off's announcement) finds it.
    same, _ = await store.record_messages(
        engine, sender_id="pg-turn", channel="rest", lines=[store.NewMessage("bot", "Hi!")]
    )
    assert same == conversation_id
    written = await store.list_messages(engine, conversation_id)
    assert [m.text for m in written] == [line.text for line in lines] + ["a@b.cz", "Hi!"]
    assert written[2].id == last
    assert written[0].intent == "order_status" and written[1].payload == lines[1].payload
    conversation = await store.conversation_by_sender(engine, "pg-turn")
    assert conversation is not None and conversation.language == "en"


def drop_connections(engine: AsyncEngine) -> int:
    """Ends every server connection to the engine's database, as a PostgreSQL restart does."""
    database = make_url(str(engine.url)).database
    with closing(infra._admin()) as admin, admin.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
            (database,),
        )
        return int(cursor.fetchone()[0])


async def test_a_turn_after_the_connections_were_dropped_is_answered(engine: AsyncEngine) -> None:
    # The pool does not ping a connection before use: the gateway's calls retry once.
    first, _ = await store.record_messages(
        engine, sender_id="pg-drop", channel="rest", lines=[store.NewMessage("customer", "hi")]
    )
    assert drop_connections(engine) >= 1
    conversation = await store.conversation_by_sender(engine, "pg-drop")
    assert conversation is not None and conversation.id == first
    assert drop_connections(engine) >= 1
    _, last = await store.record_messages(
        engine,
        sender_id="pg-drop",
        channel="rest",
        lines=[store.NewMessage("customer", "still there?")],
        conversation_id=first,
    )
    assert [m.id for m in await store.list_messages(engine, first)][-1] == last
