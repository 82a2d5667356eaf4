"""Erasure and purge reach "Continue in Telegram": the codes, and the customer's linked chats."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.conversations.clock import utc_now
from bot.customers import links
from bot.customers.tables import link_codes
from bot.inbox import retention
from bot.inbox.db import create_engine, migrate

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('retention-links') / 'inbox.db'}"
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


async def say(engine: AsyncEngine, sender: str, channel: str, text: str) -> int:
    message = await store.record_message(
        engine, sender_id=sender, channel=channel, direction="customer", text=text
    )
    return message.conversation_id


async def codes_of(engine: AsyncEngine, *senders: str) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                select(func.count())
                .select_from(link_codes)
                .where(link_codes.c.from_sender.in_(senders) | link_codes.c.to_sender.in_(senders))
            )
        )


async def test_erasing_a_customer_erases_their_linked_chats_and_codes(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    web = await say(engine, "c-erase-web", "web", "where is 10001? nina@example.com")
    code, _ = await links.create_code(engine, "c-erase-web")
    await links.create_code(engine, "c-erase-web")  # asked twice, used once
    assert await links.redeem(engine, code, "tg-4242") == "c-erase-web"
    # In Telegram the email was never typed: the bot knew it from the website.
    telegram = await say(engine, "tg-4242", "telegram", "and when does it arrive?")
    stranger = await say(engine, "c-someone-else", "web", "hello")

    deleted = await retention.erase(engine, customer="nina@example.com", upload_dir=tmp_path)

    assert deleted.conversations == 2
    assert await store.find_conversation(engine, web) is None
    assert await store.find_conversation(engine, telegram) is None
    assert await store.find_conversation(engine, stranger) is not None
    assert await codes_of(engine, "c-erase-web", "tg-4242") == 0


async def test_erasing_one_chat_removes_its_codes(engine: AsyncEngine, tmp_path: Path) -> None:
    await say(engine, "c-erase-one", "web", "hi")
    code, _ = await links.create_code(engine, "c-erase-one")
    await links.redeem(engine, code, "tg-5151")
    await links.create_code(engine, "c-no-transcript")
    await retention.erase(engine, sender_id="c-erase-one", upload_dir=tmp_path)
    await retention.erase(engine, sender_id="c-no-transcript", upload_dir=tmp_path)
    assert await codes_of(engine, "c-erase-one", "tg-5151", "c-no-transcript") == 0


async def test_purge_removes_expired_unused_codes_only(engine: AsyncEngine, tmp_path: Path) -> None:
    await say(engine, "c-purge-codes", "web", "hi")
    await links.create_code(engine, "c-purge-codes", now=utc_now() - timedelta(minutes=30))
    used, _ = await links.create_code(engine, "c-purge-codes")
    await links.redeem(engine, used, "tg-6161")
    await links.create_code(engine, "c-purge-codes")
    await retention.purge(engine, days=180, upload_dir=tmp_path)
    async with engine.connect() as conn:
        left = (
            await conn.execute(
                select(link_codes.c.used_at).where(link_codes.c.from_sender == "c-purge-codes")
            )
        ).all()
    assert len(left) == 2 and sum(row.used_at is not None for row in left) == 1
