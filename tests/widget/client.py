"""A widget's WebSocket, driven from tests with aiohttp's client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

REPLY_TIMEOUT = 60.0  # Rasa on a busy two-core machine


async def start_conversation(http: aiohttp.ClientSession, base: str) -> tuple[str, str]:
    async with http.post(f"{base}/chat/conversations") as response:
        assert response.status == 201
        body = await response.json()
    return body["conversation_id"], body["token"]


class WidgetSocket:
    """One open /chat/ws connection after a successful hello."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.history: list[dict[str, Any]] = []
        self.last = 0

    @classmethod
    async def open(
        cls, http: aiohttp.ClientSession, base: str, sender: str, token: str, after: int = 0
    ) -> WidgetSocket:
        socket = await http.ws_connect(f"{base.replace('http', 'ws', 1)}/chat/ws")
        await socket.send_json(
            {"type": "hello", "conversation_id": sender, "token": token, "after": after}
        )
        opened = cls(socket)
        while True:
            frame = await opened.next()
            if frame["type"] == "ready":
                opened.last = frame["last"]
                return opened
            assert frame["type"] == "message", frame
            opened.history.append(frame)

    async def next(self, timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        message = await self.socket.receive(timeout=timeout)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        return message.json()

    async def until(
        self, done: Callable[[dict[str, Any]], bool], timeout: float = REPLY_TIMEOUT
    ) -> list[dict[str, Any]]:
        """Every frame up to and including the first that is `done`."""
        frames: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while not frames or not done(frames[-1]):
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, f"timed out; got {frames}"
            frames.append(await self.next(left))
        return frames

    async def say(self, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Sends a message; the frames up to the end of the bot's turn (typing off)."""
        await self.socket.send_json({"type": "message", "text": text, "metadata": metadata or {}})
        return await self.until(lambda f: f["type"] == "typing" and f["active"] is False)

    async def close(self) -> None:
        await self.socket.close()


def texts(frames: list[dict[str, Any]], sender: str = "bot") -> str:
    return "\n".join(
        f["text"] for f in frames if f.get("type") == "message" and f["from"] == sender
    )
