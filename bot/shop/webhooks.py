"""Signed webhooks that tell the assistant what happened to an order (shipped, refunded...).

Each event is posted as JSON to SHOP_WEBHOOK_URL with the header
``Kramar-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
under SHOP_WEBHOOK_SECRET. Sending happens in the background with a few
retries, so a staff action never fails because the assistant is down.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import suppress
from typing import Any

import aiohttp
from aiohttp import web

from bot.shop.models import Discount, Order, Return, format_return_id
from bot.shop.money import format_cents

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Kramar-Signature"
# Seconds to wait before each retry (the first attempt is at once).
RETRY_DELAYS = (1.0, 3.0, 10.0, 30.0)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": event_type,
        "created_at": int(time.time()),
        "data": data,
    }


def order_data(order: Order) -> dict[str, Any]:
    data: dict[str, Any] = {"order_id": str(order.id), "email": order.customer.email}
    if order.shipment:
        data |= {
            "carrier": order.shipment.carrier,
            "tracking_number": order.shipment.tracking_number,
            "tracking_url": order.shipment.tracking_url,
        }
    return data


def discount_data(discount: Discount) -> dict[str, Any]:
    order_id = discount.redeemed_order_id or discount.order_id
    return {
        "code": discount.code,
        "email": discount.email,
        "order_id": None if order_id is None else str(order_id),
    }


def return_data(order: Order, item: Return) -> dict[str, Any]:
    return {
        "order_id": str(order.id),
        "email": order.customer.email,
        "return_id": format_return_id(item.id),
        "amount": format_cents(item.refund_amount_cents),
        "currency": item.currency,
    }


class WebhookSender:
    """Posts events to one URL in the background; nothing when no URL is set."""

    def __init__(self, url: str, secret: str, retry_delays: Sequence[float] = RETRY_DELAYS) -> None:
        self.url, self.secret, self.retry_delays = url, secret, tuple(retry_delays)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, event_type: str, data: dict[str, Any]) -> None:
        """Schedules one event; returns at once."""
        if not (self.url and self.secret):
            log.info("No SHOP_WEBHOOK_URL/SECRET: %s not sent", event_type)
            return
        task = asyncio.get_running_loop().create_task(self._deliver(event(event_type, data)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
            await asyncio.sleep(delay)
            if await self._post(body):
                return
            log.warning("Webhook %s attempt %d failed", payload["type"], attempt)
        log.error("Webhook %s %s given up", payload["type"], payload["id"])

    async def _post(self, body: bytes) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {
            "Content-Type": "application/json",
            # Signed at each attempt: a retry after minutes is still inside the window.
            SIGNATURE_HEADER: signature(self.secret, int(time.time()), body),
        }
        try:
            async with self._session.post(self.url, data=body, headers=headers) as response:
                return response.status < 300
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()


WEBHOOKS_KEY = web.AppKey("webhooks", WebhookSender)


async def webhooks_lifetime(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the sender lives as long as the app (pending retries are dropped)."""
    yield
    await app[WEBHOOKS_KEY].close()
