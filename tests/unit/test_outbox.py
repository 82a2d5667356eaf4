"""The outbox wakes a waiting poll at once and forgets a conversation nobody waits on."""

from __future__ import annotations

import asyncio
import time

from bot.gateway.outbox import Outbox


async def test_a_wake_ends_the_wait_at_once() -> None:
    outbox = Outbox()
    started = time.monotonic()
    waiting = asyncio.create_task(outbox.wait("c-1", timeout=10))
    await asyncio.sleep(0.05)
    await outbox.wake("c-1")
    await asyncio.wait_for(waiting, 1)
    assert time.monotonic() - started < 1


async def test_a_wait_without_news_ends_at_its_timeout() -> None:
    started = time.monotonic()
    await Outbox().wait("c-1", timeout=0.1)
    # asyncio's timers may fire a clock tick early (0.0996 s was seen).
    assert 0.09 <= time.monotonic() - started < 1


async def test_nothing_is_kept_for_conversations_nobody_waits_on() -> None:
    outbox = Outbox()
    for number in range(100):
        await outbox.wake(f"c-{number}")  # every bot turn wakes its conversation
    waits = [asyncio.create_task(outbox.wait("c-1", timeout=0.05)) for _ in range(2)]
    await asyncio.gather(*waits)
    assert not outbox._changed and not outbox._waiting
