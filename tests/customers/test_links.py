""" "Continue in Telegram" codes and linked chats (bot/customers/links.py), on a migrated
SQLite file and on a fresh PostgreSQL database (skipped when none answers)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.clock import utc_now
from bot.customers import links
from bot.customers.tables import customer_links, customers, link_codes
from tests.support.databases import migrated_engine

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql"])
async def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    async with migrated_engine(
        request.param, tmp_path_factory.mktemp("links"), "kramar_links_test"
    ) as created:
        yield created


def web_sender() -> str:
    return "c-" + secrets.token_urlsafe(8)


def telegram_sender() -> str:
    return f"tg-{secrets.randbelow(10**9)}"


async def remember(engine: AsyncEngine, sender: str, email: str) -> int:
    """A known customer, as the known-customers part stores one (customers + a link)."""
    async with engine.begin() as conn:
        customer_id = (
            await conn.execute(customers.insert().values(email=email, created_at=utc_now()))
        ).inserted_primary_key[0]
        await conn.execute(
            customer_links.insert().values(
                sender_id=sender, customer_id=customer_id, channel="web", created_at=utc_now()
            )
        )
    return int(customer_id)


async def test_a_code_links_two_chats_once(engine: AsyncEngine) -> None:
    web, telegram = web_sender(), telegram_sender()
    code, expires = await links.create_code(engine, web)
    assert links.looks_like_code(code) and len(code) <= 64  # Telegram's start parameter
    assert timedelta(minutes=9) < expires - utc_now() <= links.CODE_LIFETIME
    async with engine.connect() as conn:
        stored = (await conn.execute(select(link_codes))).all()
    assert code not in {row.code_hash for row in stored}  # only its hash is kept

    assert await links.redeem(engine, code, telegram) == web
    assert await links.redeem(engine, code, telegram) is None
    assert await links.redeem(engine, code, telegram_sender()) is None
    async with engine.connect() as conn:
        assert await links.linked_senders(conn, telegram) == [web]
        assert await links.linked_senders(conn, web) == [telegram]


async def test_expired_unknown_and_malformed_codes_link_nothing(engine: AsyncEngine) -> None:
    web = web_sender()
    code, _ = await links.create_code(engine, web, now=utc_now() - timedelta(minutes=11))
    assert await links.redeem(engine, code, telegram_sender()) is None
    assert await links.redeem(engine, "web_" + "A" * 22, telegram_sender()) is None
    assert await links.redeem(engine, "order_10001", telegram_sender()) is None
    assert await links.redeem(engine, "", telegram_sender()) is None
    fresh, _ = await links.create_code(engine, web)
    assert await links.redeem(engine, fresh, web) is None  # not into the chat it came from
    async with engine.connect() as conn:
        assert await links.linked_senders(conn, web) == []


async def test_of_racing_redemptions_exactly_one_wins(engine: AsyncEngine) -> None:
    web = web_sender()
    code, _ = await links.create_code(engine, web)
    racers = [telegram_sender() for _ in range(8)]
    results = await asyncio.gather(*(links.redeem(engine, code, r) for r in racers))
    assert results.count(web) == 1 and results.count(None) == 7
    winner = racers[results.index(web)]
    async with engine.connect() as conn:
        used_by = await conn.scalar(
            select(link_codes.c.to_sender).where(link_codes.c.from_sender == web)
        )
    assert used_by == winner


async def test_a_known_customer_is_known_in_the_linked_chat(engine: AsyncEngine) -> None:
    web, telegram, other_chat = web_sender(), telegram_sender(), web_sender()
    customer_id = await remember(engine, web, f"{secrets.token_hex(4)}@example.com")
    async with engine.begin() as conn:
        await conn.execute(
            customer_links.insert().values(
                sender_id=other_chat, customer_id=customer_id, channel="web", created_at=utc_now()
            )
        )
    assert (
        await links.link_same_customer(
            engine, from_sender=web, to_sender=telegram, channel="telegram"
        )
        == customer_id
    )
    # Twice is once: a chat belongs to one customer.
    await links.link_same_customer(engine, from_sender=web, to_sender=telegram, channel="telegram")
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(customer_links).where(customer_links.c.sender_id == telegram))
        ).all()
        assert [(r.customer_id, r.channel) for r in rows] == [(customer_id, "telegram")]
        # Linked without a code: the same remembered customer on three chats.
        assert await links.linked_senders(conn, telegram) == sorted([web, other_chat])
    anonymous = web_sender()
    assert (
        await links.link_same_customer(
            engine, from_sender=anonymous, to_sender=telegram_sender(), channel="telegram"
        )
        is None
    )


async def test_links_are_followed_across_hops(engine: AsyncEngine) -> None:
    first, telegram, second = web_sender(), telegram_sender(), web_sender()
    code, _ = await links.create_code(engine, first)
    await links.redeem(engine, code, telegram)
    code, _ = await links.create_code(engine, second)
    await links.redeem(engine, code, telegram)
    async with engine.connect() as conn:
        assert await links.linked_senders(conn, first) == sorted([telegram, second])


async def test_forgetting_and_purging_codes(engine: AsyncEngine) -> None:
    web, telegram = web_sender(), telegram_sender()
    used, _ = await links.create_code(engine, web)
    await links.redeem(engine, used, telegram)
    await links.create_code(engine, web, now=utc_now() - timedelta(hours=1))  # expired, unused
    await links.create_code(engine, web)  # still valid
    async with engine.begin() as conn:
        assert await links.purge_expired(conn) >= 1
        count = select(func.count()).select_from(link_codes).where(link_codes.c.from_sender == web)
        assert await conn.scalar(count) == 2  # the used one links the chats; the valid one waits
        assert await links.forget_senders(conn, [telegram]) == 1
        assert await links.forget_senders(conn, [web]) == 1
        assert await conn.scalar(count) == 0
        assert await links.forget_senders(conn, []) == 0
