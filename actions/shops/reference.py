"""Kramar's reference shop (bot/shop), through its own HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from actions.shops.base import (
    RECENT_ORDERS,
    Address,
    Discount,
    Order,
    OrderItem,
    Return,
    Shipment,
    ShopBackend,
    Ticket,
)
from actions.shops.http import JsonApi


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
        ref=str(data["id"]),
        placed_at=_when(data.get("created_at")),
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


def parse_discount(data: dict[str, Any]) -> Discount:
    created, expires = _when(data["created_at"]), _when(data["expires_at"])
    assert created is not None and expires is not None
    return Discount(
        code=str(data["code"]),
        kind=str(data["kind"]),
        percent=int(data["percent"]) if data.get("percent") is not None else None,
        email=str(data["email"]),
        reason=str(data["reason"]),
        created_at=created,
        expires_at=expires,
        redeemed_at=_when(data.get("redeemed_at")),
    )


class ReferenceShop(ShopBackend):
    """The reference shop's API: `X-API-Key`, 409 for a refused change, and
    `Idempotency-Key` honoured on every write."""

    def __init__(self, url: str, api_key: str, *, timeout_seconds: float, read_retries: int):
        self._api = JsonApi(
            url,
            timeout_seconds=timeout_seconds,
            read_retries=read_retries,
            headers={"X-API-Key": api_key},
        )

    async def close(self) -> None:
        await self._api.close()

    async def _write(self, method: str, path: str, body: Any, key: str) -> Any:
        return await self._api.write(method, path, body, headers={"Idempotency-Key": key})

    async def get_order(self, number: int) -> Order:
        return parse_order(await self._api.read(f"/api/orders/{int(number)}"))

    async def find_order(self, number: int, email: str) -> Order:
        # The shop compares the email itself, and limits wrong guesses per order
        # number across every conversation (TooManyAttempts).
        return parse_order(
            await self._api.read(f"/api/orders/{int(number)}", params={"email": email})
        )

    async def orders_of(self, email: str) -> list[Order]:
        data = await self._api.read("/api/orders", params={"email": email})
        return [parse_order(item) for item in data["orders"]][:RECENT_ORDERS]

    async def list_returns(self, order: Order) -> list[Return]:
        data = await self._api.read(f"/api/orders/{order.id}/returns")
        return [parse_return(item) for item in data["returns"]]

    async def cancel_order(self, order: Order, reason: str, idempotency_key: str) -> Order:
        path = f"/api/orders/{order.id}/cancel"
        return parse_order(await self._write("POST", path, {"reason": reason}, idempotency_key))

    async def change_address(self, order: Order, address: Address, idempotency_key: str) -> Order:
        body = {
            "name": address.name,
            "street": address.street,
            "city": address.city,
            "postal_code": address.postal_code,
            "country": address.country,
        }
        path = f"/api/orders/{order.id}/address"
        return parse_order(await self._write("PUT", path, body, idempotency_key))

    async def create_return(
        self, order: Order, items: list[tuple[str, int]], reason: str, idempotency_key: str
    ) -> Return:
        body = {
            "order_id": order.id,
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items],
            "reason": reason,
        }
        return parse_return(await self._write("POST", "/api/returns", body, idempotency_key))

    async def create_ticket(
        self,
        order: Order,
        category: str,
        description: str,
        photo_url: str | None,
        idempotency_key: str,
    ) -> Ticket:
        body = {
            "order_id": order.id,
            "email": order.customer_email,
            "category": category,
            "description": description,
            "photo_url": photo_url,
        }
        return parse_ticket(await self._write("POST", "/api/tickets", body, idempotency_key))

    async def count_orders(self, email: str) -> int:
        data = await self._api.read("/api/orders", params={"email": email})
        return len(data["orders"])

    async def create_discount(
        self,
        email: str,
        kind: str,
        percent: int | None,
        valid_days: int,
        reason: str,
        order: Order | None,
        idempotency_key: str,
    ) -> Discount:
        body = {
            "email": email,
            "kind": kind,
            "percent": percent,
            "valid_days": valid_days,
            "reason": reason,
            "order_id": order.id if order else None,
        }
        return parse_discount(await self._write("POST", "/api/discounts", body, idempotency_key))

    async def list_discounts(self, email: str) -> list[Discount]:
        data = await self._api.read("/api/discounts", params={"email": email})
        return [parse_discount(item) for item in data["discounts"]]

    async def get_discount(self, code: str) -> Discount:
        return parse_discount(
            await self._api.read(f"/api/discounts/{quote(code.strip(), safe='')}")
        )
