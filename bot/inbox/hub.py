"""The in-process fan-out behind live updates: one queue per agent WebSocket."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSCloseCode, web

Event = dict[str, Any]
# Enough for bursts; a client that falls further behind is told to resync.
QUEUE_SIZE = 256


class Hub:
    def __init__(self) -> None:
        self._queues: dict[asyncio.Queue[Event], web.WebSocketResponse] = {}

    def subscribe(self, socket: web.WebSocketResponse) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues[queue] = socket
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._queues.pop(queue, None)

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, event: Event) -> None:
        for queue in list(self._queues):
            if queue.full():
                # Dropping events silently would leave a stale screen: ask for a full reload.
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait({"type": "resync"})
            else:
                queue.put_nowait(event)

    async def close_all(self) -> None:
        """On shutdown: open sockets would otherwise hold the server for its full timeout."""
        for socket in list(self._queues.values()):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutting down")
        self._queues.clear()
