"""The Redis lock store shared by Rasa replicas (bot/stores/locks.py), on the real Redis.

A "replica" here is a store with its own event loop in its own thread, as a
Rasa process has.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from rasa.utils.endpoints import EndpointConfig

from bot.stores import locks
from bot.stores.locks import AtomicRedisLockStore
from tests.support import infra

PREFIX = "kramartest"


def store() -> AtomicRedisLockStore:
    return AtomicRedisLockStore(EndpointConfig(url=infra.REDIS_TEST_URL, key_prefix=PREFIX))


def conversation() -> str:
    return f"lock-test-{secrets.token_hex(4)}"


def in_replica(
    turns: Callable[[AtomicRedisLockStore], Coroutine[Any, Any, None]],
) -> threading.Thread:
    """Runs `turns` with a store of its own on an event loop of its own."""
    thread = threading.Thread(target=lambda: asyncio.run(turns(store())))
    thread.start()
    return thread


def test_turns_of_one_conversation_never_overlap_across_replicas() -> None:
    name, running, most, done = conversation(), [0], [0], []
    guard = threading.Lock()

    async def turns(replica: AtomicRedisLockStore) -> None:
        async def turn(number: int) -> None:
            async with replica.lock(name):
                with guard:
                    running[0] += 1
                    most[0] = max(most[0], running[0])
                await asyncio.sleep(0.002)
                with guard:
                    running[0] -= 1
                    done.append(number)

        await asyncio.gather(*(turn(number) for number in range(25)))

    for thread in [in_replica(turns) for _ in range(3)]:
        thread.join(timeout=60)
    assert len(done) == 75
    assert most[0] == 1


@pytest.mark.asyncio
async def test_turns_run_in_the_order_they_arrived() -> None:
    first, second, name = store(), store(), conversation()
    order: list[int] = []

    async def turn(replica: AtomicRedisLockStore, number: int) -> None:
        await asyncio.sleep(number * 0.05)
        async with replica.lock(name):
            order.append(number)
            await asyncio.sleep(0.1)

    await asyncio.gather(*(turn((first, second)[n % 2], n) for n in range(6)))
    assert order == list(range(6))


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


def test_a_waiting_turn_survives_its_replica_stalling_past_the_lease(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The bug this store fixes: a model's first prediction blocks a Rasa
    # process's event loop for seconds; Rasa's store let the waiting tickets
    # of that process lapse, and the turns then failed with LockError.
    monkeypatch.setattr(locks, "LEASE_SECONDS", 0.6)
    name, order = conversation(), []
    holding = threading.Event()

    async def holder(replica: AtomicRedisLockStore) -> None:
        async with replica.lock(name):
            holding.set()
            await asyncio.sleep(0.5)
            order.append("holder")

    async def stalled(replica: AtomicRedisLockStore) -> None:
        async def waiter(number: int) -> None:
            async with replica.lock(name):
                order.append(f"waiter {number}")

        async def stall() -> None:
            await asyncio.sleep(0.1)  # the waiters have their tickets
            time.sleep(2.5)  # four leases with the event loop blocked

        holding.wait(10)
        await asyncio.gather(waiter(1), waiter(2), stall())

    threads = [in_replica(holder), in_replica(stalled)]
    for thread in threads:
        thread.join(timeout=30)
    assert order == ["holder", "waiter 1", "waiter 2"]


@pytest.mark.asyncio
async def test_a_waiting_turn_survives_redis_forgetting_the_queue() -> None:
    first, second, name = store(), store(), conversation()
    order: list[str] = []

    async def holder() -> None:
        async with first.lock(name):
            await asyncio.sleep(0.2)
            first.delete_lock(name)  # what a Redis restart does to the queue
            await asyncio.sleep(0.2)
            order.append("holder")

    async def waiter() -> None:
        await asyncio.sleep(0.05)
        async with second.lock(name):
            order.append("waiter")

    await asyncio.gather(holder(), waiter())
    assert sorted(order) == ["holder", "waiter"]


@pytest.mark.asyncio
async def test_a_dead_replicas_ticket_blocks_only_for_one_lease(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(locks, "LEASE_SECONDS", 1.0)
    survivor, name = store(), conversation()
    dead = store()
    # Taken, then its process died: nothing renews or releases it.
    dead.take_turn(dead._key(name))
    started = time.monotonic()
    async with survivor.lock(name):
        waited = time.monotonic() - started
    assert 0.8 < waited < 3


def test_ticket_numbers_are_never_reused_while_the_conversation_is_active() -> None:
    replicas, name = [store(), store()], conversation()

    def take(number: int) -> int:
        replica = replicas[number % 2]
        return replica.take_turn(replica._key(name))[0]

    with ThreadPoolExecutor(max_workers=16) as pool:
        tickets = list(pool.map(take, range(200)))
    assert sorted(tickets) == list(range(1, 201))
    key = replicas[0]._key(name)
    for number in tickets:
        replicas[0]._release(keys=[key], args=[number])
    # The queue is empty; the next ticket still gets a new number.
    assert take(0) == 201
    client = redis.Redis.from_url(infra.REDIS_TEST_URL)
    assert 0 < client.pttl(key) <= locks.IDLE_SECONDS * 1000
    replicas[0].delete_lock(name)


def test_a_renewal_just_after_the_release_does_not_bring_the_ticket_back() -> None:
    # The keeper thread takes its list of tickets, the turn ends and releases
    # its ticket, then the keeper renews the list: the conversation's next turn
    # waited a whole lease (15 s under load in bench/load.py) for a finished one.
    replica, name = store(), conversation()
    key = replica._key(name)
    number, first = replica.take_turn(key)
    assert first
    replica._release(keys=[key], args=[number])
    replica._renew(keys=[key], args=[*replica._lease_args(), number])
    assert replica.take_turn(key) == (number + 1, True)
    replica.delete_lock(name)
