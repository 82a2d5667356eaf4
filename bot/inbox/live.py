"""Live updates: agents' WebSockets subscribe to the hub; the gateway and the
inbox publish what changed, and the pages fetch the details they need."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.conversations import store
from bot.inbox.errors import Forbidden
from bot.inbox.hub import Event
from bot.inbox.keys import ENGINE, HUB
from bot.inbox.serializers import conversation_json

HEARTBEAT_SECONDS = 25


def agents_online(app: web.Application) -> bool:
    """Whether an agent has the inbox open (its live-update connection)."""
    return app[HUB].subscribers > 0


async def publish(app: web.Application, event: dict[str, Any]) -> None:
    """Send ``event`` to every agent connected to this process."""
    app[HUB].publish(event)


async def notify(app: web.Application, kind: str, conversation_id: int) -> None:
    """Tell open inbox pages that a conversation changed.

    The gateway calls this after ``record_message`` (kind ``message``) or
    ``open_handoff`` (kind ``handoff``); the inbox itself after agent actions.
    With no agent connected to this process there is nobody to tell: the
    look-up is skipped (it would cost every customer turn a read).
    """
    if not agents_online(app):
        return
    conversation = await store.find_conversation(app[ENGINE], conversation_id)
    await publish(
        app,
        {
            "type": kind,
            "conversation_id": conversation_id,
            "conversation": None if conversation is None else conversation_json(conversation),
        },
    )


async def websocket(request: web.Request) -> web.StreamResponse:
    # Cookies ride along on cross-site WebSocket handshakes: insist on our own origin.
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise Forbidden("WebSocket connections are only accepted from the inbox itself")
    socket = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS)
    await socket.prepare(request)
    hub = request.app[HUB]
    queue = hub.subscribe(socket)
    forwarding = asyncio.create_task(_forward(queue, socket))
    try:
        await socket.send_json({"type": "hello"})
        async for _ in socket:
            pass  # Agents send nothing; reading keeps pings and closing working.
    finally:
        hub.unsubscribe(queue)
        forwarding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await forwarding
    return socket


async def _forward(queue: asyncio.Queue[Event], socket: web.WebSocketResponse) -> None:
    while not socket.closed:
        event = await queue.get()
        try:
            await socket.send_json(event)
        except ConnectionResetError:
            return
