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
class Address:
    name: str
    street: str
    city: str
    postal_code: str
    country: str

    def as_text(self) -> str:
        """The address as the customer would write it (the recipient's name aside)."""
        return f"{self.street}, {self.postal_code} {self.city}, {self.country}"


@dataclass(frozen=True)
class Return:
    id: str
    order_id: int
    status: str
    refund_status: str
    refund_amount: str
    currency: str
    refund_expected_at: datetime | None
    refunded_at: datetime | None
    label_url: str


@dataclass(frozen=True)
class Ticket:
    id: str
    status: str
    expected_response_by: datetime | None


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
    shipping_address: Address | None = None
    return_ids: tuple[str, ...] = ()

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
        shipping_address=Address(**{k: str(v) for k, v in data["shipping_address"].items()})
        if data.get("shipping_address")
        else None,
        return_ids=tuple(str(r["id"]) for r in data.get("returns", [])),
    )


def parse_return(data: dict[str, Any]) -> Return:
    return Return(
        id=str(data["id"]),
        order_id=int(data["order_id"]),
        status=str(data["status"]),
        refund_status=str(data["refund_status"]),
        refund_amount=str(data["refund_amount"]),
        currency=str(data.get("currency", "")),
        refund_expected_at=_when(data.get("refund_expected_at")),
        refunded_at=_when(data.get("refunded_at")),
        label_url=str(data.get("label_url") or ""),
    )


def parse_ticket(data: dict[str, Any]) -> Ticket:
    return Ticket(
        id=str(data["id"]),
        status=str(data["status"]),
        expected_response_by=_when(data.get("expected_response_by")),
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

    async def _write(self, method: str, path: str, body: Any, idempotency_key: str) -> Any:
        """A change, sent with an idempotency key so one retry cannot do it twice."""
        headers = {"Idempotency-Key": idempotency_key}
        try:
            return await self._request(method, path, json=body, headers=headers)
        except ShopUnavailable:
            logger.warning("Shop write %s failed, retrying once with the same key", path)
            await asyncio.sleep(0.2)
            return await self._request(method, path, json=body, headers=headers)

    async def get_order(self, order_id: int) -> Order:
        return parse_order(await self._read(f"/api/orders/{int(order_id)}"))

    async def list_returns(self, order_id: int) -> list[Return]:
        data = await self._read(f"/api/orders/{int(order_id)}/returns")
        return [parse_return(item) for item in data["returns"]]

    async def cancel_order(self, order_id: int, reason: str, idempotency_key: str) -> Order:
        path = f"/api/orders/{int(order_id)}/cancel"
        return parse_order(await self._write("POST", path, {"reason": reason}, idempotency_key))

    async def change_address(self, order_id: int, address: Address, idempotency_key: str) -> Order:
        path = f"/api/orders/{int(order_id)}/address"
        body = {
            "name": address.name,
            "street": address.street,
            "city": address.city,
            "postal_code": address.postal_code,
            "country": address.country,
        }
        return parse_order(await self._write("PUT", path, body, idempotency_key))

    async def create_return(
        self, order_id: int, items: list[tuple[str, int]], reason: str, idempotency_key: str
    ) -> Return:
        body = {
            "order_id": int(order_id),
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items],
            "reason": reason,
        }
        return parse_return(await self._write("POST", "/api/returns", body, idempotency_key))

    async def create_ticket(
        self,
        order_id: int | None,
        email: str,
        category: str,
        description: str,
        photo_url: str | None,
        idempotency_key: str,
    ) -> Ticket:
        body = {
            "order_id": order_id,
            "email": email,
            "category": category,
            "description": description,
            "photo_url": photo_url,
        }
        return parse_ticket(await self._write("POST", "/api/tickets", body, idempotency_key))


_client: ShopClient | None = None


def shop() -> ShopClient:
    """The process-wide client (one HTTP session per process)."""
    global _client
    if _client is None:
        _client = ShopClient(Settings.from_env())
    return _client
