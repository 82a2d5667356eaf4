"""Known customers in the transcript's database: remember, recognise, forget, erase."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.customers import store
from bot.customers.tables import customer_links, customers, notifications
from bot.inbox import retention
from bot.inbox.db import create_engine, migrate

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('customers') / 'inbox.db'}"
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


async def rows(engine: AsyncEngine, table, **where: str) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    async with engine.connect() as conn:
        return int(await conn.scalar(query) or 0)


async def test_a_chat_is_recognised_once_remembered(engine: AsyncEngine) -> None:
    assert await store.known(engine, "tg-1") is None
    olena = await store.remember(
        engine, sender_id="tg-1", channel="telegram", email=" Olena@Example.com",
        name="Olena", language="uk",
    )  # fmt: skip
    assert (olena.email, olena.name, olena.language) == ("olena@example.com", "Olena", "uk")
    assert await store.known(engine, "tg-1") == olena
    assert await store.known(engine, "tg-2") is None


async def test_the_same_email_on_two_chats_is_one_customer(engine: AsyncEngine) -> None:
    first = await store.remember(
        engine, sender_id="tg-10", channel="telegram", email="anna@example.com",
        name="Anna", language="pl",
    )  # fmt: skip
    second = await store.remember(
        engine, sender_id="widget-10", channel="widget", email="anna@example.com",
        name="Anna", language="pl",
    )  # fmt: skip
    again = await store.remember(
        engine, sender_id="tg-10", channel="telegram", email="anna@example.com",
        name="Anna", language="cs",
    )  # fmt: skip
    assert first.id == second.id == again.id and again.language == "cs"
    assert await rows(engine, customers, email="anna@example.com") == 1
    assert await rows(engine, customer_links, customer_id=first.id) == 2  # type: ignore[arg-type]


async def test_forget_deletes_the_customer_with_every_chat(engine: AsyncEngine) -> None:
    petr = await store.remember(
        engine, sender_id="tg-20", channel="telegram", email="petr@example.com",
        name="Petr", language="cs",
    )  # fmt: skip
    await store.remember(
        engine, sender_id="widget-20", channel="widget", email="petr@example.com",
        name="Petr", language="cs",
    )  # fmt: skip
    from bot.conversations.clock import utc_now

    async with engine.begin() as conn:
        await conn.execute(
            notifications.insert().values(
                customer_id=petr.id, sender_id="tg-20", kind="order.shipped", payload={},
                created_at=utc_now(), due_at=utc_now(),
            )
        )  # fmt: skip
    assert await store.forget(engine, "widget-20") is True
    assert await store.known(engine, "tg-20") is None
    assert await rows(engine, customers, email="petr@example.com") == 0
    assert await rows(engine, customer_links, sender_id="tg-20") == 0
    assert await rows(engine, customer_links, sender_id="widget-20") == 0
    assert await rows(engine, notifications, sender_id="tg-20") == 0
    assert await store.forget(engine, "widget-20") is False  # nothing left to forget


async def test_the_inbox_erasure_removes_the_customer(engine: AsyncEngine, tmp_path: Path) -> None:
    await store.remember(
        engine, sender_id="tg-30", channel="telegram", email="jan@example.com",
        name="Jan", language="pl",
    )  # fmt: skip
    await retention.erase(engine, upload_dir=tmp_path, customer="JAN@example.com")
    assert await store.known(engine, "tg-30") is None
    assert await rows(engine, customers, email="jan@example.com") == 0
    assert await rows(engine, customer_links, sender_id="tg-30") == 0
