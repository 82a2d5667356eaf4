"""The customer REST channel of the gateway.

    POST /chat/conversations                      -> {"conversation_id", "token"}
    POST /chat/conversations/{id}/messages        {"text", "metadata"?} -> {"messages": [...]}
    GET  /chat/conversations/{id}/messages?after=N&wait=S -> {"messages": [...], "last": N}
    GET  /chat/openapi.json                       this API (and the widget's upload) described

Every call but the first carries `Authorization: Bearer <token>`. Replies to a
message come back at once; what arrives later (an agent's reply, the bot
resuming) is fetched with GET, which waits up to `wait` seconds for news.
Every input is checked (a clear 4xx, never a 500) and limited (429, limits.py).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.gateway.keys import GATEWAY
from bot.gateway.known import client_metadata
from bot.gateway.limits import CHAT_LIMITS, too_many
from bot.gateway.rasa_client import RasaError, count_time_in_rasa
from bot.gateway.responses import error_response, proven_conversation, unauthorised
from bot.gateway.tokens import conversation_token, new_conversation_id

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

MAX_TEXT = 5000
MAX_METADATA = 4096  # characters of JSON: it travels with the message into Rasa's tracker
MAX_MESSAGE_ID = 2**63 - 1  # the database's largest id; larger ones overflow its integers
MAX_WAIT_SECONDS = 25.0
OPENAPI = Path(__file__).with_name("openapi.yaml")


def _storable(value: Any) -> bool:
    """Whether every string in `value` can be stored as text (no lone surrogates, no NUL)."""
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(_storable, value))
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= ch <= "\udfff" for ch in value)
    return True


def _message(body: Any) -> tuple[str, dict[str, Any]] | web.Response:
    """The text and metadata of a message body, or the error response saying what is wrong."""
    shape = 'The body must be {"text": "...", "metadata": {...}} (metadata optional).'
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return error_response(HTTPStatus.BAD_REQUEST, shape)
    unknown = sorted(set(body) - {"text", "metadata"})
    if unknown:
        return error_response(HTTPStatus.BAD_REQUEST, f"Unknown field {unknown[0][:40]!r}. {shape}")
    text, metadata = body["text"], body.get("metadata", {})
    if not isinstance(metadata, dict):
        return error_response(HTTPStatus.BAD_REQUEST, '"metadata" must be an object.')
    if len(text) > MAX_TEXT:
        return error_response(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"A message holds at most {MAX_TEXT} characters."
        )
    if len(json.dumps(metadata)) > MAX_METADATA:
        return error_response(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"Metadata holds at most {MAX_METADATA} characters of JSON.",
        )
    if not _storable(body):
        return error_response(
            HTTPStatus.BAD_REQUEST, "Text must be valid Unicode without NUL characters."
        )
    return text, client_metadata(metadata)


@routes.get("/chat/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/chat/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.Response(text=_openapi_json(), content_type="application/json")


@functools.cache
def _openapi_json() -> str:
    return json.dumps(yaml.safe_load(OPENAPI.read_text(encoding="utf-8")), ensure_ascii=False)


@routes.post("/chat/conversations")
async def start(request: web.Request) -> web.Response:
    limits = request.app[CHAT_LIMITS]
    wait = limits.conversations.take(limits.client_address(request))
    if wait:
        return too_many(wait, "Too many conversations started from this address; try later.")
    conversation_id = new_conversation_id()
    token = conversation_token(request.app[GATEWAY].secret, conversation_id)
    return web.json_response({"conversation_id": conversation_id, "token": token}, status=201)


@routes.post("/chat/conversations/{conversation_id}/messages")
async def send(request: web.Request) -> web.Response:
    conversation_id = proven_conversation(request)
    if conversation_id is None:
        return unauthorised()
    try:
        # JSON is UTF-8 (RFC 8259): no charset to look up in the Content-Type, which
        # aiohttp parses with the email package on every request.
        body: Any = json.loads(await request.read())
    except ValueError:  # not JSON, or not UTF-8
        return error_response(HTTPStatus.BAD_REQUEST, "The body must be JSON.")
    message = _message(body)
    if isinstance(message, web.Response):
        return message
    text, metadata = message
    wait = request.app[CHAT_LIMITS].messages.take(conversation_id)
    if wait:
        return too_many(wait, "Too many messages in this conversation; wait a moment.")
    router = request.app[GATEWAY].router
    started, in_rasa = time.perf_counter(), count_time_in_rasa()
    try:
        answer = await router.handle(conversation_id, "rest", text, metadata)
    except RasaError as error:
        logger.warning("The bot did not answer %s on REST: %s", conversation_id, error)
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE, "The assistant is not answering; try again."
        )
    except SQLAlchemyError as error:  # e.g. PostgreSQL restarting: a clear 503, never a 500
        logger.warning("The transcript is out of reach for %s: %r", conversation_id, error)
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE, "Messages cannot be saved now; try again."
        )
    # `last` lets the client poll for what comes later without seeing these again.
    response = web.json_response({"messages": answer.replies, "last": answer.last_id})
    # How long the turn took here and how much of it was Rasa's (bench/load.py reads it).
    took = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f"rasa;dur={in_rasa[0] * 1000:.1f}, turn;dur={took:.1f}"
    return response


@routes.get("/chat/conversations/{conversation_id}/messages")
async def fetch(request: web.Request) -> web.Response:
    conversation_id = proven_conversation(request)
    if conversation_id is None:
        return unauthorised()
    try:
        after = int(request.query.get("after", "0"))
        wait = float(request.query.get("wait", "0"))
    except ValueError:
        return error_response(HTTPStatus.BAD_REQUEST, '"after" and "wait" must be numbers.')
    if not 0 <= after <= MAX_MESSAGE_ID:
        return error_response(
            HTTPStatus.BAD_REQUEST, '"after" must be a message id (0 for everything).'
        )
    if not math.isfinite(wait):
        # "nan" and "inf" parse as floats; a nan deadline never passes (a busy loop).
        return error_response(HTTPStatus.BAD_REQUEST, '"wait" must be a finite number of seconds.')
    wait = min(max(wait, 0.0), MAX_WAIT_SECONDS)
    gateway = request.app[GATEWAY]
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        try:
            messages = await messages_after(gateway.router.engine, conversation_id, after)
        except SQLAlchemyError as error:
            logger.warning("The transcript is out of reach for %s: %r", conversation_id, error)
            return error_response(
                HTTPStatus.SERVICE_UNAVAILABLE, "Messages cannot be read now; try again."
            )
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


def as_reply(message: store.Message) -> dict[str, Any]:
    reply: dict[str, Any] = {"id": message.id, "from": message.direction, "text": message.text}
    if message.direction == "agent":
        reply["agent"] = (message.payload or {}).get("agent") or message.agent_name
    reply.update({k: v for k, v in (message.payload or {}).items() if k in ("buttons", "image")})
    return reply
