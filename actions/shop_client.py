"""The one typed client every action uses to reach the shop backend.

One aiohttp session per process, a timeout on every call, and retries with
backoff for idempotent reads only: a write that timed out may have happened,
so it is never silently repeated.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from bot.settings import Settings

logger = logging.getLogger(__name__)


class ShopError(Exception):
    """Base class for what the shop client raises."""


class ShopUnavailable(ShopError):
    """The shop did not answer usefully (down, slow, or a server error)."""


class NotFound(ShopError):
    """The shop has no such record."""


class Refused(ShopError):
    """The shop refused the change (409), with its reason."""


@dataclass(frozen=True)
class OrderItem:
    sku: str
    name: str
    quantity: int
    unit_price: str


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime | None


@dataclass(frozen=True)
class Order:
    id: int
    status: str
    currency: str
    total: str
    customer_email: str
    customer_name: str
    items: tuple[OrderItem, ...]
    shipment: Shipment | None
    delivered_at: datetime | None
    cancelled_at: datetime | None

    def belongs_to(self, email: str) -> bool:
        """Whether `email` is the order's email (case-insensitive, trimmed)."""
        return self.customer_email.strip().casefold() == email.strip().casefold()

    @property
    def first_name(self) -> str:
        return self.customer_name.split()[0] if self.customer_name.strip() else ""


def _when(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None


def parse_order(data: dict[str, Any]) -> Order:
    shipment = data.get("shipment")
    return Order(
        id=int(data["id"]),
        status=str(data["status"]),
        currency=str(data.get("currency", "")),
        total=str(data.get("total", "")),
        customer_email=str(data["customer"]["email"]),
        customer_name=str(data["customer"].get("name", "")),
        items=tuple(
            OrderItem(
                sku=str(item["sku"]),
                name=str(item["name"]),
                quantity=int(item["quantity"]),
                unit_price=str(item.get("unit_price", "")),
            )
            for item in data.get("items", [])
        ),
        shipment=Shipment(
            carrier=str(shipment.get("carrier", "")),
            tracking_number=str(shipment.get("tracking_number", "")),
            tracking_url=str(shipment.get("tracking_url", "")),
            shipped_at=_when(shipment.get("shipped_at")),
        )
        if shipment
        else None,
        delivered_at=_when(data.get("delivered_at")),
        cancelled_at=_when(data.get("cancelled_at")),
    )


class ShopClient:
    """Typed access to the shop backend's HTTP API."""

    def __init__(self, settings: Settings) -> None:
        self._base_url = settings.shop_url
        self._api_key = settings.shop_api_key
        self._timeout = aiohttp.ClientTimeout(total=settings.shop_timeout_seconds)
        self._read_retries = settings.shop_read_retries
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"X-API-Key": self._api_key}, timeout=self._timeout
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _request(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        """One call; raises NotFound, Refused or ShopUnavailable."""
        try:
            async with self._http().request(
                method, self._base_url + path, json=json, headers=headers
            ) as response:
                if response.status == 404:
                    raise NotFound(path)
                if response.status == 409:
                    body = await response.json(content_type=None)
                    raise Refused(str(body.get("message", "")))
                if response.status >= 400:
                    text = await response.text()
                    raise ShopUnavailable(f"{method} {path}: HTTP {response.status} {text[:200]}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise ShopUnavailable(f"{method} {path}: {error!r}") from error

    async def _read(self, path: str) -> Any:
        """A GET, retried with backoff when the shop is unavailable."""
        for attempt in range(self._read_retries + 1):
            try:
                return await self._request("GET", path)
            except ShopUnavailable:
                if attempt == self._read_retries:
                    raise
                logger.warning("Shop read %s failed, retrying (%d)", path, attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    async def get_order(self, order_id: int) -> Order:
        return parse_order(await self._read(f"/api/orders/{int(order_id)}"))


_client: ShopClient | None = None


def shop() -> ShopClient:
    """The process-wide client (one HTTP session per process)."""
    global _client
    if _client is None:
        _client = ShopClient(Settings.from_env())
    return _client
