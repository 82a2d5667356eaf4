"""The Redis lock store shared by Rasa replicas (bot/stores/locks.py), on the real Redis."""

from __future__ import annotations

import asyncio
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.stores import locks
from bot.stores.locks import AtomicRedisLockStore
from tests.support import infra


def store() -> AtomicRedisLockStore:
    return AtomicRedisLockStore(EndpointConfig(url=infra.REDIS_TEST_URL, key_prefix="kramartest"))


def conversation() -> str:
    return f"lock-test-{secrets.token_hex(4)}"


def test_tickets_stay_unique_when_replicas_take_them_at_once() -> None:
    stores, name = [store(), store()], conversation()
    with ThreadPoolExecutor(max_workers=16) as pool:
        tickets = list(pool.map(lambda n: stores[n % 2].issue_ticket(name, 30), range(200)))
    assert sorted(tickets) == list(range(200))
    stores[0].delete_lock(name)


@pytest.mark.asyncio
async def test_a_running_turn_keeps_its_lock_past_the_lease(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(locks, "LEASE_SECONDS", 0.6)
    first, second, name = store(), store(), conversation()
    order: list[str] = []

    async def long_turn() -> None:
        async with first.lock(name):
            order.append("first starts")
            await asyncio.sleep(2)  # three leases long
            order.append("first ends")

    async def next_turn() -> None:
        await asyncio.sleep(0.2)
        async with second.lock(name):
            order.append("second")

    await asyncio.gather(long_turn(), next_turn())
    assert order == ["first starts", "first ends", "second"]


@pytest.mark.asyncio
async def test_a_dead_replicas_ticket_blocks_only_for_one_lease(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(locks, "LEASE_SECONDS", 1.0)
    survivor, name = store(), conversation()
    store().issue_ticket(name, locks.LEASE_SECONDS)  # taken, then its process died
    started = time.monotonic()
    async with survivor.lock(name):
        waited = time.monotonic() - started
    assert 0.8 < waited < 3
