"""Wakes up customers' open connections when something new is in their conversation.

Messages themselves live in the inbox's store; this only says "look again",
so a long-polling REST client (and later a WebSocket) gets an agent's reply
at once instead of at its next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter


class Outbox:
    def __init__(self) -> None:
        # Only conversations someone is waiting on hold a condition, and only
        # while they wait: one kept for every conversation ever woken grew the
        # gateway by about 1.2 kB per conversation for good (bench/soak.py).
        self._changed: dict[str, asyncio.Condition] = {}
        self._waiting: Counter[str] = Counter()

    async def wake(self, sender: str) -> None:
        condition = self._changed.get(sender)
        if condition is None:
            return  # nobody waits: a poll that starts later reads the store first
        async with condition:
            condition.notify_all()

    async def wait(self, sender: str, timeout: float) -> None:
        """Returns when `sender` has news, or after `timeout` seconds."""
        condition = self._changed.setdefault(sender, asyncio.Condition())
        self._waiting[sender] += 1
        try:
            async with condition:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(condition.wait(), timeout)
        finally:
            self._waiting[sender] -= 1
            if not self._waiting[sender]:
                del self._waiting[sender], self._changed[sender]
