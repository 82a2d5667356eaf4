"""`POST /hooks/shop`: the shop's signed order events (shipped, delivered, return
received, refund paid) become notifications for the chats that opted in.

The header `Kramar-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw
body>">` under SHOP_WEBHOOK_SECRET must match, `t` be within five minutes, and
the event id be new (`shop_events`); otherwise 401 and nothing changes. A new
event type is one entry in `HANDLERS`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.customers import notifications, offers
from bot.customers.notifications import ReplayedEvent
from bot.customers.timing import followup_delay
from bot.gateway.keys import GATEWAY
from bot.gateway.proactive import PROACTIVE, UPDATE_ENTITIES
from bot.policy import load_policy

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Kramar-Signature"
TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024
EPOCH = datetime(1970, 1, 1)  # the clock is naive UTC

routes = web.RouteTableDef()

Event = dict[str, Any]
Handler = Callable[[AsyncConnection, Event, datetime], Awaitable[None]]


def signed_at(header: str | None, secret: str, body: bytes) -> int | None:
    """The signing time of a valid signature header, else None."""
    if not header or not secret:
        return None
    try:
        parts = dict(part.strip().split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return None
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return timestamp if hmac.compare_digest(given, expected.hexdigest()) else None


def _refused(reason: str) -> web.Response:
    logger.warning("Shop webhook refused: %s", reason)
    return web.json_response({"error": "unauthorized", "message": reason}, status=401)


@routes.post("/hooks/shop")
async def shop_event(request: web.Request) -> web.Response:
    state = request.app[PROACTIVE]
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return web.json_response({"error": "too_large"}, status=413)
    body = await request.read()
    timestamp = signed_at(request.headers.get(SIGNATURE_HEADER), state.webhook_secret, body)
    if timestamp is None:
        return _refused("missing or invalid signature")
    now = state.clock()
    if abs((now - EPOCH).total_seconds() - timestamp) > TOLERANCE_SECONDS:
        return _refused("signature timestamp outside the window")
    event = _parse(body)
    if event is None:
        return web.json_response(
            {"error": "bad_request", "message": "expected {id, type, data: {order_id, email}}"},
            status=400,
        )
    engine = request.app[GATEWAY].router.engine
    try:
        async with engine.begin() as conn:
            await notifications.record_event(
                conn,
                event_id=event["id"],
                event_type=event["type"],
                order_id=event["data"].get("order_id"),
                now=now,
            )
            handler = HANDLERS.get(event["type"])
            if handler is None:
                logger.info("Shop webhook of unknown type %r ignored", event["type"])
            else:
                await handler(conn, event, now)
    except ReplayedEvent:
        return _refused("event already received")
    state.wake.set()
    return web.json_response({"ok": True})


def _parse(body: bytes) -> Event | None:
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        return None
    data = event["data"]
    if not (isinstance(event.get("id"), str) and 0 < len(event["id"]) <= 100):
        return None
    if not (isinstance(event.get("type"), str) and 0 < len(event["type"]) <= 32):
        return None
    if data.get("order_id") is not None:
        data["order_id"] = str(data["order_id"])[:32]
    if data.get("email") is not None and not isinstance(data["email"], str):
        return None
    return event


async def order_update(conn: AsyncConnection, event: Event, now: datetime) -> None:
    """An order update for each chat of the order's customer that opted in."""
    data = event["data"]
    payload = {name: data[name] for name in UPDATE_ENTITIES if data.get(name) is not None}
    payload["update_event"] = event["type"]
    for link in await notifications.opted_in_links(conn, str(data.get("email") or "")):
        await notifications.schedule(
            conn, link, kind=notifications.ORDER_UPDATE, payload=payload, now=now, due_at=now
        )


async def refund_paid(conn: AsyncConnection, event: Event, now: datetime) -> None:
    """The update now, and "is everything all right?" a while later."""
    await order_update(conn, event, now)
    later = now + followup_delay(load_policy())
    payload = {"order_id": event["data"].get("order_id"), "event": event["type"]}
    for link in await notifications.opted_in_links(conn, str(event["data"].get("email") or "")):
        await notifications.schedule(
            conn, link, kind=notifications.FOLLOWUP, payload=payload, now=now, due_at=later
        )


async def discount_redeemed(conn: AsyncConnection, event: Event, now: datetime) -> None:
    """A checkout used a goodwill code: the dashboard counts it as redeemed."""
    code = str(event["data"].get("code") or "")
    if code:
        await offers.mark_redeemed(conn, code, now)


HANDLERS: dict[str, Handler] = {
    "discount.redeemed": discount_redeemed,
    "order.shipped": order_update,
    "order.delivered": order_update,
    "return.received": order_update,
    "refund.paid": refund_paid,
}
