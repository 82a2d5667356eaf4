"""The customer REST channel of the gateway.

    POST /chat/conversations                      -> {"conversation_id", "token"}
    POST /chat/conversations/{id}/messages        {"text", "metadata"?} -> {"messages": [...]}
    GET  /chat/conversations/{id}/messages?after=N&wait=S -> {"messages": [...], "last": N}

Every call but the first carries `Authorization: Bearer <token>`. Replies to a
message come back at once; what arrives later (an agent's reply, the bot
resuming) is fetched with GET, which waits up to `wait` seconds for news.
"""

from __future__ import annotations

import asyncio
import math
from http import HTTPStatus
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.gateway.keys import GATEWAY
from bot.gateway.tokens import conversation_token, new_conversation_id, token_is_valid
from bot.inbox import store

routes = web.RouteTableDef()

MAX_TEXT = 5000
MAX_WAIT_SECONDS = 25.0


def _error(status: HTTPStatus, message: str) -> web.Response:
    return web.json_response(
        {"error": status.phrase.lower().replace(" ", "_"), "message": message}, status=status
    )


def _authorised(request: web.Request) -> str | web.Response:
    """The conversation id if the request holds its token, else an error response."""
    conversation_id = request.match_info["conversation_id"]
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip()
    if not token or not token_is_valid(request.app[GATEWAY].secret, conversation_id, token):
        return _error(HTTPStatus.UNAUTHORIZED, "This conversation needs its token.")
    return conversation_id


@routes.get("/chat/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.post("/chat/conversations")
async def start(request: web.Request) -> web.Response:
    conversation_id = new_conversation_id()
    token = conversation_token(request.app[GATEWAY].secret, conversation_id)
    return web.json_response({"conversation_id": conversation_id, "token": token}, status=201)


@routes.post("/chat/conversations/{conversation_id}/messages")
async def send(request: web.Request) -> web.Response:
    conversation_id = _authorised(request)
    if isinstance(conversation_id, web.Response):
        return conversation_id
    try:
        body: Any = await request.json()
    except ValueError:
        return _error(HTTPStatus.BAD_REQUEST, "The body must be JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
        return _error(HTTPStatus.BAD_REQUEST, 'The body must be {"text": "..."}.')
    text: str = body.get("text", "")
    if len(text) > MAX_TEXT:
        return _error(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"A message holds at most {MAX_TEXT} characters."
        )
    raw_metadata = body.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    router = request.app[GATEWAY].router
    replies = await router.handle(conversation_id, "rest", text, metadata)
    # `last` lets the client poll for what comes later without seeing these again.
    last = await last_message_id(router.engine, conversation_id)
    return web.json_response({"messages": replies, "last": last})


@routes.get("/chat/conversations/{conversation_id}/messages")
async def fetch(request: web.Request) -> web.Response:
    conversation_id = _authorised(request)
    if isinstance(conversation_id, web.Response):
        return conversation_id
    try:
        after = int(request.query.get("after", "0"))
        wait = float(request.query.get("wait", "0"))
    except ValueError:
        return _error(HTTPStatus.BAD_REQUEST, '"after" and "wait" must be numbers.')
    if not math.isfinite(wait):
        # "nan" and "inf" parse as floats; a nan deadline never passes (a busy loop).
        return _error(HTTPStatus.BAD_REQUEST, '"wait" must be a finite number of seconds.')
    wait = min(max(wait, 0.0), MAX_WAIT_SECONDS)
    gateway = request.app[GATEWAY]
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        messages = await messages_after(gateway.router.engine, conversation_id, after)
        after = messages[-1].id if messages else after
        # Customers see the bot and agents; the customer's own and system lines are skipped.
        shown = [m for m in messages if m.direction in ("bot", "agent")]
        remaining = deadline - asyncio.get_running_loop().time()
        if shown or remaining <= 0:
            break
        # Woken at once by news; the short cap also covers a wake that came between.
        await gateway.router.outbox.wait(conversation_id, min(remaining, 1.0))
    return web.json_response({"messages": [as_reply(m) for m in shown], "last": after})


async def messages_after(engine: AsyncEngine, sender: str, after: int) -> list[store.Message]:
    conversation = await store.conversation_by_sender(engine, sender)
    if conversation is None:
        return []
    return await store.list_messages(engine, conversation.id, after_id=after)


async def last_message_id(engine: AsyncEngine, sender: str) -> int:
    messages = await messages_after(engine, sender, 0)
    return messages[-1].id if messages else 0


def as_reply(message: store.Message) -> dict[str, Any]:
    reply: dict[str, Any] = {"id": message.id, "from": message.direction, "text": message.text}
    if message.direction == "agent":
        reply["agent"] = (message.payload or {}).get("agent") or message.agent_name
    reply.update({k: v for k, v in (message.payload or {}).items() if k in ("buttons", "image")})
    return reply
