"""Medusa 2, through its Admin API (a secret API key as the HTTP Basic user name).

How Medusa's states map onto the bot's (docs/shops.md has the table):
canceled -> cancelled; a refund paid out for a return -> refunded; a return
requested or received -> return_in_progress; fulfilment delivered / shipped /
fulfilled -> delivered / shipped / packed; otherwise payment captured or
authorised -> paid, else pending_payment.

Medusa has no idempotency keys, so each change is made safe to repeat here:
a return carries the key in its metadata and a retry finishes that return;
cancelling a cancelled order and setting the address it already has change
nothing. Medusa has no complaint tickets: Kramar keeps them (tickets.py).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import aiohttp

from actions.shops.base import (
    RECENT_ORDERS,
    Address,
    Discount,
    NotFound,
    Order,
    OrderItem,
    Refused,
    Return,
    Shipment,
    ShopBackend,
    Ticket,
)
from actions.shops.http import JsonApi
from actions.shops.tickets import TicketStore
from bot.policy import load_policy

# Only what the mapping reads: Medusa answers faster without the rest.
ORDER_FIELDS = ",".join(
    (
        "id",
        "display_id",
        "email",
        "created_at",
        "status",
        "payment_status",
        "fulfillment_status",
        "currency_code",
        "total",
        "summary",
        "canceled_at",
        "items.id",
        "items.title",
        "items.variant_sku",
        "items.quantity",
        "items.unit_price",
        "shipping_address.*",
        "shipping_methods.name",
        "fulfillments.shipped_at",
        "fulfillments.delivered_at",
        "fulfillments.canceled_at",
        "fulfillments.labels.tracking_number",
        "fulfillments.labels.tracking_url",
        "returns.id",
        "returns.display_id",
        "returns.status",
        "returns.created_at",
        "returns.canceled_at",
        "returns.metadata",
        "returns.items.*",
        "payment_collections.payments.refunds.amount",
        "payment_collections.payments.refunds.created_at",
    )
)
REFUNDED_PAYMENTS = ("refunded", "partially_refunded")
OPEN_RETURNS = ("requested", "received", "partially_received")
IDEMPOTENCY_FIELD = "kramar_idempotency_key"


def _when(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None


def _money(value: Any) -> str:
    return f"{Decimal(str(value or 0)):.2f}"


def _live(records: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [record for record in records or [] if not record.get("canceled_at")]


def _returns(data: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(_live(data.get("returns")), key=lambda r: r.get("created_at") or "")


def _refunds(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        refund
        for collection in data.get("payment_collections") or []
        for payment in collection.get("payments") or []
        for refund in payment.get("refunds") or []
    ]


def order_status(data: dict[str, Any]) -> str:
    """The bot's status for a Medusa order."""
    if data.get("status") == "canceled":
        return "cancelled"
    returns = [r for r in _returns(data) if r.get("status") in OPEN_RETURNS]
    if returns and data.get("payment_status") in REFUNDED_PAYMENTS:
        return "refunded"
    if returns:
        return "return_in_progress"
    fulfilment = data.get("fulfillment_status") or ""
    if fulfilment in ("delivered", "partially_delivered"):
        return "delivered"
    if fulfilment in ("shipped", "partially_shipped"):
        return "shipped"
    if fulfilment in ("fulfilled", "partially_fulfilled"):
        return "packed"
    if data.get("payment_status") in ("captured", "authorized", "partially_captured"):
        return "paid"
    return "pending_payment"


def _address(raw: dict[str, Any] | None) -> Address | None:
    if not raw:
        return None
    street = ", ".join(part for part in (raw.get("address_1"), raw.get("address_2")) if part)
    name = " ".join(part for part in (raw.get("first_name"), raw.get("last_name")) if part)
    return Address(
        name=name,
        street=street,
        city=str(raw.get("city") or ""),
        postal_code=str(raw.get("postal_code") or ""),
        country=str(raw.get("country_code") or "").upper(),
    )


def _shipment(data: dict[str, Any]) -> Shipment | None:
    shipped = [f for f in _live(data.get("fulfillments")) if f.get("shipped_at")]
    if not shipped:
        return None
    labels = shipped[-1].get("labels") or [{}]
    methods = data.get("shipping_methods") or [{}]
    return Shipment(
        carrier=str(methods[0].get("name") or ""),
        tracking_number=str(labels[0].get("tracking_number") or ""),
        tracking_url=str(labels[0].get("tracking_url") or ""),
        shipped_at=_when(shipped[-1].get("shipped_at")),
    )


def return_number(raw: dict[str, Any]) -> str:
    return f"R-{int(raw['display_id']):06d}"


def parse_order(data: dict[str, Any]) -> Order:
    status = order_status(data)
    delivered = [_when(f.get("delivered_at")) for f in _live(data.get("fulfillments"))]
    address = _address(data.get("shipping_address"))
    paid = (data.get("summary") or {}).get("paid_total") or 0
    return Order(
        id=int(data["display_id"]),
        status=status,
        currency=str(data.get("currency_code") or "").upper(),
        total=_money(paid or data.get("total")),
        customer_email=str(data.get("email") or ""),
        customer_name=address.name if address else "",
        items=tuple(
            OrderItem(
                sku=str(item.get("variant_sku") or item["id"]),
                name=str(item.get("title") or ""),
                quantity=int(item.get("quantity") or 0),
                unit_price=_money(item.get("unit_price")),
            )
            for item in data.get("items") or []
        ),
        shipment=_shipment(data),
        delivered_at=max((d for d in delivered if d), default=None)
        if status not in ("pending_payment", "paid", "packed", "shipped")
        else None,
        cancelled_at=_when(data.get("canceled_at")),
        shipping_address=address,
        return_ids=tuple(return_number(r) for r in _returns(data)),
        ref=str(data["id"]),
        placed_at=_when(data.get("created_at")),
    )


def parse_returns(data: dict[str, Any]) -> list[Return]:
    """The order's returns, each with its refund (Medusa refunds the payment, not the return)."""
    prices = {item["id"]: Decimal(str(item.get("unit_price") or 0)) for item in data["items"]}
    refunds = _refunds(data)
    refund_times = [when for r in refunds if (when := _when(r.get("created_at")))]
    refunded_at = max(refund_times, default=None)
    refund_days = timedelta(days=load_policy().refund_days)
    found = []
    for raw in _returns(data):
        amount = sum(
            (
                prices.get(item["item_id"], Decimal(0))
                * Decimal(
                    str(item.get("quantity") or (item.get("raw_quantity") or {}).get("value", 0))
                )
                for item in raw.get("items") or []
            ),
            Decimal(0),
        )
        created = _when(raw.get("created_at"))
        refunded = bool(refunds) and data.get("payment_status") in REFUNDED_PAYMENTS
        found.append(
            Return(
                id=return_number(raw),
                order_id=int(data["display_id"]),
                status={"received": "received", "partially_received": "received"}.get(
                    str(raw.get("status")), "requested"
                ),
                refund_status="refunded" if refunded else "pending",
                refund_amount=f"{amount:.2f}",
                currency=str(data.get("currency_code") or "").upper(),
                refund_expected_at=created + refund_days if created else None,
                refunded_at=refunded_at if refunded else None,
                label_url="",
            )
        )
    return found


# A goodwill code is a Medusa promotion with a campaign of its own: the campaign
# holds the customer's email (description), the validity (ends_at) and a usage
# budget of one, whose `used` says whether the code was redeemed.
PROMOTION_FIELDS = "id,code,created_at,campaign.*,campaign.budget.*,application_method.*"
# How many of the newest promotions are searched for one customer's codes.
PROMOTIONS_SEARCHED = 200


def discount_code(idempotency_key: str) -> str:
    """The code for a request, the same for the same key: Medusa has no idempotency
    keys, so a retried call finds the promotion it already made by its code."""
    digest = base64.b32encode(hashlib.sha256(idempotency_key.encode()).digest()).decode()
    return "KR-" + digest[:8]


def parse_promotion(data: dict[str, Any]) -> Discount:
    campaign = data.get("campaign") or {}
    budget = campaign.get("budget") or {}
    method = data.get("application_method") or {}
    created = _when(data.get("created_at")) or datetime.now(timezone.utc)
    used = int(budget.get("used") or 0) >= 1
    return Discount(
        code=str(data["code"]),
        kind="percent",
        percent=int(Decimal(str(method.get("value") or 0))),
        email=str(campaign.get("description") or ""),
        reason=str(campaign.get("name") or "").removeprefix("Kramar "),
        created_at=created,
        expires_at=_when(campaign.get("ends_at")) or created,
        # Medusa counts uses, not when: the budget's last change is when it was used.
        redeemed_at=(_when(budget.get("updated_at")) or created) if used else None,
    )


class MedusaShop(ShopBackend):
    """The Medusa 2 Admin API. Medusa refuses a change with 400 (`not_allowed`)."""

    # Medusa refuses to cancel once anything is fulfilled (packed); Kramar
    # changes an address only until the parcel leaves, as for every platform.
    cancellable = ("pending_payment", "paid")
    readdressable = ("pending_payment", "paid", "packed")
    tickets_kept_by = "kramar"  # Medusa has no complaint tickets

    def __init__(
        self,
        url: str,
        api_key: str,
        tickets: TicketStore,
        *,
        timeout_seconds: float,
        read_retries: int,
    ) -> None:
        self._api = JsonApi(
            url,
            timeout_seconds=timeout_seconds,
            read_retries=read_retries,
            auth=aiohttp.BasicAuth(api_key, ""),
            refusals=(400, 409),
        )
        self._tickets = tickets

    async def close(self) -> None:
        await self._api.close()
        await self._tickets.close()

    async def _raw_order(self, number: int) -> dict[str, Any]:
        # `q` is a free-text search (it finds 10012 for "1001" too, and unknown
        # filters are silently ignored), so the number is matched here.
        data = await self._api.read(
            "/admin/orders", params={"q": str(int(number)), "fields": ORDER_FIELDS, "limit": "50"}
        )
        for raw in data.get("orders") or []:
            if int(raw.get("display_id") or 0) == int(number):
                return dict(raw)
        raise NotFound(f"order {number}")

    async def _raw_by_ref(self, ref: str) -> dict[str, Any]:
        data = await self._api.read(f"/admin/orders/{ref}", params={"fields": ORDER_FIELDS})
        return dict(data["order"])

    async def get_order(self, number: int) -> Order:
        return parse_order(await self._raw_order(number))

    async def orders_of(self, email: str) -> list[Order]:
        # `q` searches the email among other fields, so the exact email is matched here.
        data = await self._api.read(
            "/admin/orders",
            params={"q": email.strip(), "fields": ORDER_FIELDS, "limit": "50"},
        )
        found = [parse_order(raw) for raw in data.get("orders") or []]
        mine = [order for order in found if order.belongs_to(email)]
        # Display ids grow with time: the highest is the newest.
        return sorted(mine, key=lambda order: order.id, reverse=True)[:RECENT_ORDERS]

    async def list_returns(self, order: Order) -> list[Return]:
        return parse_returns(await self._raw_by_ref(order.ref))

    async def cancel_order(self, order: Order, reason: str, idempotency_key: str) -> Order:
        current = parse_order(await self._raw_by_ref(order.ref))
        if current.status == "cancelled":
            return current  # a retried request that went through
        if current.status not in self.cancellable:
            raise Refused(f"order {order.id} is {current.status}")
        await self._api.write("POST", f"/admin/orders/{order.ref}/cancel")
        return parse_order(await self._raw_by_ref(order.ref))

    async def change_address(self, order: Order, address: Address, idempotency_key: str) -> Order:
        current = parse_order(await self._raw_by_ref(order.ref))
        if current.status not in self.readdressable:
            raise Refused(f"order {order.id} is {current.status}")
        first, _, last = address.name.partition(" ")
        body = {
            "shipping_address": {
                "first_name": first,
                "last_name": last,
                "address_1": address.street,
                "address_2": "",
                "city": address.city,
                "postal_code": address.postal_code,
                "country_code": address.country.lower(),
            }
        }
        # Setting the same address twice changes nothing: safe to retry.
        await self._api.write("POST", f"/admin/orders/{order.ref}", body)
        return parse_order(await self._raw_by_ref(order.ref))

    async def create_return(
        self, order: Order, items: list[tuple[str, int]], reason: str, idempotency_key: str
    ) -> Return:
        data = await self._raw_by_ref(order.ref)
        line_ids = {
            str(item.get("variant_sku") or item["id"]): item["id"] for item in data["items"]
        }
        if any(sku not in line_ids for sku, _ in items):
            raise Refused(f"order {order.id} has no such item")
        existing = [
            r
            for r in _live(data.get("returns"))
            if (r.get("metadata") or {}).get(IDEMPOTENCY_FIELD) == idempotency_key
        ]
        if existing:  # the same request again: finish and show that return
            return_id = str(existing[0]["id"])
        else:
            blocker = self.return_blocker(parse_order(data))
            if blocker is not None:
                raise Refused(f"order {order.id} cannot be returned ({blocker})")
            body = {
                "order_id": order.ref,
                "metadata": {IDEMPOTENCY_FIELD: idempotency_key, "reason": reason[:500]},
            }
            # Not retried blindly: a retry of this whole call finds the return by its key.
            created = await self._api.write("POST", "/admin/returns", body, retry=False)
            return_id = str(created["return"]["id"])
        state = await self._api.read(
            f"/admin/returns/{return_id}", {"fields": "id,display_id,status,items.id"}
        )
        if not state["return"].get("items"):
            wanted = [{"id": line_ids[sku], "quantity": quantity} for sku, quantity in items]
            await self._api.write(
                "POST", f"/admin/returns/{return_id}/request-items", {"items": wanted}, retry=False
            )
        if state["return"].get("status") not in OPEN_RETURNS:
            await self._api.write("POST", f"/admin/returns/{return_id}/request", retry=False)
        number = return_number(state["return"])
        return next(r for r in await self.list_returns(order) if r.id == number)

    async def create_ticket(
        self,
        order: Order,
        category: str,
        description: str,
        photo_url: str | None,
        idempotency_key: str,
    ) -> Ticket:
        return await self._tickets.create(order, category, description, photo_url, idempotency_key)

    async def count_orders(self, email: str) -> int:
        # `q` is a free-text search: the email is matched exactly here.
        data = await self._api.read(
            "/admin/orders", params={"q": email.strip(), "fields": "id,email", "limit": "200"}
        )
        wanted = email.strip().casefold()
        return sum(
            1 for raw in data.get("orders") or [] if str(raw.get("email", "")).casefold() == wanted
        )

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
        if kind != "percent" or not percent:
            # Medusa's promotions discount what is bought, never a return's shipping.
            raise Refused(f"Medusa has no {kind} promotion")
        code = discount_code(idempotency_key)
        existing = await self._promotion(code)
        if existing is not None:
            return existing
        now = datetime.now(timezone.utc)
        body = {
            "code": code,
            "type": "standard",
            "status": "active",
            "is_automatic": False,
            "application_method": {
                "type": "percentage",
                "target_type": "order",
                "allocation": "across",
                "value": percent,
            },
            "campaign": {
                "name": f"Kramar {reason}",
                "campaign_identifier": code,
                "description": email.strip().lower(),
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(days=valid_days)).isoformat(),
                "budget": {"type": "usage", "limit": 1},
            },
        }
        # Not retried blindly: a retry of the whole call finds the promotion by its code.
        await self._api.write("POST", "/admin/promotions", body, retry=False)
        created = await self._promotion(code)
        if created is None:
            raise NotFound(f"promotion {code}")
        return created

    async def _promotion(self, code: str) -> Discount | None:
        data = await self._api.read(
            "/admin/promotions", params={"code": code, "fields": PROMOTION_FIELDS}
        )
        found = [raw for raw in data.get("promotions") or [] if raw.get("code") == code]
        return parse_promotion(found[0]) if found else None

    async def list_discounts(self, email: str) -> list[Discount]:
        data = await self._api.read(
            "/admin/promotions",
            params={
                "fields": PROMOTION_FIELDS,
                "order": "-created_at",
                "limit": str(PROMOTIONS_SEARCHED),
            },
        )
        wanted = email.strip().casefold()
        return [
            parse_promotion(raw)
            for raw in data.get("promotions") or []
            if str((raw.get("campaign") or {}).get("description") or "").casefold() == wanted
        ]

    async def get_discount(self, code: str) -> Discount:
        found = await self._promotion(code.strip().upper())
        if found is None:
            raise NotFound(f"promotion {code}")
        return found
