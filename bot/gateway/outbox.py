"""Wakes up customers' open connections when something new is in their conversation.

Messages themselves live in the inbox's store; this only says "look again",
so a long-polling REST client (and later a WebSocket) gets an agent's reply
at once instead of at its next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict


class Outbox:
    def __init__(self) -> None:
        self._changed: defaultdict[str, asyncio.Condition] = defaultdict(asyncio.Condition)

    async def wake(self, sender: str) -> None:
        condition = self._changed[sender]
        async with condition:
            condition.notify_all()

    async def wait(self, sender: str, timeout: float) -> None:
        """Returns when `sender` has news, or after `timeout` seconds."""
        condition = self._changed[sender]
        async with condition:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(condition.wait(), timeout)
