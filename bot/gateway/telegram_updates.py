"""How Telegram updates are let in: each once, each chat's in order, chats side by side."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class RecentUpdates:
    """The last `size` update ids seen; a webhook redelivery or a replay is seen twice."""

    def __init__(self, size: int = 10_000) -> None:
        self._order: deque[int] = deque()
        self._ids: set[int] = set()
        self._size = size

    def first_time(self, update_id: int) -> bool:
        """True the first time an id is offered (and remembers it), False for a repeat."""
        if update_id in self._ids:
            return False
        self._ids.add(update_id)
        self._order.append(update_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
        return True

    def __len__(self) -> int:
        return len(self._order)


class PerChatProcessor(BaseUpdateProcessor):
    """Processes updates of different chats concurrently and one chat's updates in order.

    A bot turn waits seconds for Rasa; PTB's default (one update at a time)
    would make every customer wait for everyone else's turn, and plain
    concurrency could answer a chat's second message before its first.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        # Chat id -> (lock, updates holding or waiting for it); dropped when idle.
        self._chats: dict[int | None, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat else None
        lock, users = self._chats.get(key) or (asyncio.Lock(), 0)
        self._chats[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._chats[key]
            if users <= 1:
                del self._chats[key]
            else:
                self._chats[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""
