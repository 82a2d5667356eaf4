"""The verified order beside a transcript, read from the shop API (may be down)."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.inbox.config import InboxSettings

log = logging.getLogger(__name__)

_ORDER_ID = re.compile(r"^[A-Za-z0-9-]{1,32}$")


@dataclass(frozen=True)
class OrderItem:
    name: str
    sku: str
    quantity: int
    unit_price: str


@dataclass(frozen=True)
class OrderSummary:
    id: str
    status: str
    created_at: str | None
    currency: str
    total: str
    items: list[OrderItem]
    carrier: str | None
    tracking_number: str | None
    # Only http(s) links are kept: the page renders this as an <a href>.
    tracking_url: str | None
    delivered_at: str | None


@dataclass(frozen=True)
class OrderLookup:
    order: OrderSummary | None = None
    problem: str | None = None


async def fetch_order(
    http: aiohttp.ClientSession, settings: InboxSettings, order_id: str
) -> OrderLookup:
    if not _ORDER_ID.match(order_id):
        return OrderLookup(problem="This order number does not look valid")
    if not settings.shop_api_key:
        return OrderLookup(problem="The shop API key is not configured (SHOP_API_KEY)")
    url = f"{settings.shop_url}/api/orders/{order_id}"
    try:
        async with http.get(
            url,
            headers={"X-API-Key": settings.shop_api_key},
            timeout=aiohttp.ClientTimeout(total=settings.shop_timeout_seconds),
        ) as response:
            if response.status == 404:
                return OrderLookup(problem=f"The shop has no order {order_id}")
            if response.status != 200:
                log.warning("Shop answered %s for order %s", response.status, order_id)
                return OrderLookup(problem=f"The shop answered with an error ({response.status})")
            body = await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        log.warning("Cannot read order %s from the shop: %r", order_id, error)
        return OrderLookup(problem="The shop is not reachable right now")
    try:
        return OrderLookup(order=_summary(body))
    except (KeyError, TypeError, ValueError) as error:
        log.warning("Unexpected order shape from the shop for %s: %r", order_id, error)
        return OrderLookup(problem="The shop's answer could not be read")


def _summary(body: dict[str, Any]) -> OrderSummary:
    shipment = body.get("shipment") or {}
    tracking_url = shipment.get("tracking_url")
    if not (isinstance(tracking_url, str) and tracking_url.startswith(("https://", "http://"))):
        tracking_url = None
    return OrderSummary(
        id=str(body["id"]),
        status=str(body["status"]),
        created_at=body.get("created_at"),
        currency=str(body.get("currency") or ""),
        total=str(body.get("total") or ""),
        items=[
            OrderItem(
                name=str(item.get("name") or item.get("sku") or "?"),
                sku=str(item.get("sku") or ""),
                quantity=int(item.get("quantity") or 0),
                unit_price=str(item.get("unit_price") or ""),
            )
            for item in body.get("items") or []
        ],
        carrier=shipment.get("carrier"),
        tracking_number=shipment.get("tracking_number"),
        tracking_url=tracking_url,
        delivered_at=body.get("delivered_at"),
    )
