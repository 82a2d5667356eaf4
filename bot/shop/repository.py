"""Data layer: plain async functions over an ``AsyncEngine``.

Each public function owns its transaction and raises the domain errors from
``errors.py``; nothing here knows about HTTP.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from bot.shop.clock import utc_now
from bot.shop.errors import (
    Conflict,
    DiscountNotFound,
    IdempotencyKeyReused,
    InvalidBody,
    OrderNotFound,
    ReturnNotFound,
    TicketNotFound,
)
from bot.shop.models import (
    CHANGEABLE_STATUSES,
    REFUND_EXPECTED_AFTER,
    RETURN_WINDOW,
    RETURNABLE_STATUSES,
    TICKET_RESPONSE_WITHIN,
    Address,
    Customer,
    Discount,
    NewDiscount,
    NewReturn,
    NewTicket,
    Order,
    OrderItem,
    Return,
    ReturnItem,
    Shipment,
    Ticket,
    format_return_id,
    format_ticket_id,
    normalize_email,
)
from bot.shop.tables import customers, discounts, order_items, orders, returns, tickets

# ---------------------------------------------------------------- orders


async def get_order(engine: AsyncEngine, order_id: int, *, email: str | None = None) -> Order:
    """One order; with ``email``, only if it belongs to that customer.

    A wrong email gets the same OrderNotFound as a wrong number, so order
    numbers cannot be probed to learn that they exist.
    """
    async with engine.connect() as conn:
        found = await _load_orders(conn, orders.c.id == order_id)
    if not found or (email is not None and normalize_email(email) != found[0].customer.email):
        raise OrderNotFound(order_id)
    return found[0]


async def list_orders_by_email(engine: AsyncEngine, email: str) -> list[Order]:
    """Orders of one customer, newest first; an unknown email gives []."""
    async with engine.connect() as conn:
        return await _load_orders(conn, customers.c.email == normalize_email(email))


async def cancel_order(
    engine: AsyncEngine, order_id: int, reason: str | None = None, *, now: datetime | None = None
) -> Order:
    async with engine.begin() as conn:
        # One conditional UPDATE, so a concurrent "shipped" cannot slip in between.
        result = await conn.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.status.in_(CHANGEABLE_STATUSES))
            .values(status="cancelled", cancelled_at=now or utc_now(), cancel_reason=reason)
        )
        if result.rowcount == 0:
            status = await _order_status(conn, order_id)
            if status == "cancelled":
                raise Conflict(f"Order {order_id} is already cancelled.")
            raise Conflict(_too_late(order_id, status, "cancel it"))
    return await get_order(engine, order_id)


async def change_address(engine: AsyncEngine, order_id: int, address: Address) -> Order:
    async with engine.begin() as conn:
        result = await conn.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.status.in_(CHANGEABLE_STATUSES))
            .values(
                ship_name=address.name,
                ship_street=address.street,
                ship_city=address.city,
                ship_postal_code=address.postal_code,
                ship_country=address.country,
            )
        )
        if result.rowcount == 0:
            status = await _order_status(conn, order_id)
            raise Conflict(_too_late(order_id, status, "change its delivery address"))
    return await get_order(engine, order_id)


_STATE_PHRASES = {
    "shipped": "has already shipped",
    "delivered": "has already been delivered",
    "cancelled": "is cancelled",
    "return_in_progress": "has already been delivered and has a return in progress",
    "refunded": "has already been delivered and refunded",
}


def _too_late(order_id: int, status: str, action: str) -> str:
    phrase = _STATE_PHRASES.get(status, f"is {status.replace('_', ' ')}")
    return f"Order {order_id} {phrase}, so it is too late to {action}."


async def _order_status(conn: AsyncConnection, order_id: int) -> str:
    status = await conn.scalar(select(orders.c.status).where(orders.c.id == order_id))
    if status is None:
        raise OrderNotFound(order_id)
    return str(status)


async def _load_orders(conn: AsyncConnection, where: ColumnElement[bool]) -> list[Order]:
    query = (
        select(
            orders,
            customers.c.email.label("customer_email"),
            customers.c.name.label("customer_name"),
            customers.c.language.label("customer_language"),
        )
        .select_from(orders.join(customers))
        .where(where)
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
    )
    rows = (await conn.execute(query)).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    items = await _items_by_order(conn, ids)
    returns_by_order = await _returns_by_order(conn, ids)
    return [
        _order_from_row(row, items.get(row.id, []), returns_by_order.get(row.id, []))
        for row in rows
    ]


async def _items_by_order(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, list[OrderItem]]:
    query = (
        select(order_items)
        .where(order_items.c.order_id.in_(ids))
        .order_by(order_items.c.order_id, order_items.c.id)
    )
    grouped: dict[int, list[OrderItem]] = {}
    for row in await conn.execute(query):
        grouped.setdefault(row.order_id, []).append(
            OrderItem(
                sku=row.sku,
                name=row.name,
                quantity=row.quantity,
                unit_price_cents=row.unit_price_cents,
            )
        )
    return grouped


async def _returns_by_order(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, list[Return]]:
    grouped: dict[int, list[Return]] = {}
    for item in await _select_returns(conn, returns.c.order_id.in_(ids)):
        grouped.setdefault(item.order_id, []).append(item)
    return grouped


def _order_from_row(row: Row, items: Iterable[OrderItem], order_returns: Iterable[Return]) -> Order:
    shipment = None
    if row.carrier:
        shipment = Shipment(
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            tracking_url=row.tracking_url,
            shipped_at=row.shipped_at,
        )
    return Order(
        id=row.id,
        status=row.status,
        created_at=row.created_at,
        currency=row.currency,
        total_cents=row.total_cents,
        customer=Customer(
            email=row.customer_email, name=row.customer_name, language=row.customer_language
        ),
        shipping_address=Address(
            name=row.ship_name,
            street=row.ship_street,
            city=row.ship_city,
            postal_code=row.ship_postal_code,
            country=row.ship_country,
        ),
        items=tuple(items),
        shipment=shipment,
        delivered_at=row.delivered_at,
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
        returns=tuple(order_returns),
    )


# ---------------------------------------------------------------- returns


async def get_return(engine: AsyncEngine, return_id: int) -> Return:
    async with engine.connect() as conn:
        found = await _select_returns(conn, returns.c.id == return_id)
    if not found:
        raise ReturnNotFound(format_return_id(return_id))
    return found[0]


async def list_returns(engine: AsyncEngine, order_id: int) -> list[Return]:
    async with engine.connect() as conn:
        await _order_status(conn, order_id)  # 404 for an unknown order, not []
        return await _select_returns(conn, returns.c.order_id == order_id)


async def create_return(
    engine: AsyncEngine,
    request: NewReturn,
    *,
    label_base_url: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Return, bool]:
    """Open a return; the flag says whether it is new (False: idempotent replay)."""
    request_hash = _fingerprint(request)
    if idempotency_key is not None:
        existing = await _return_by_key(engine, idempotency_key, request_hash)
        if existing is not None:
            return existing, False
    try:
        async with engine.begin() as conn:
            return_id, created = await _insert_return(
                conn, request, label_base_url, idempotency_key, request_hash, now or utc_now()
            )
    except IntegrityError:
        # The key was taken by a concurrent request the order lock did not cover
        # (e.g. one for another order): answer with its return, or 409.
        existing = None
        if idempotency_key is not None:
            existing = await _return_by_key(engine, idempotency_key, request_hash)
        if existing is None:
            raise
        return existing, False
    return await get_return(engine, return_id), created


async def _insert_return(
    conn: AsyncConnection,
    request: NewReturn,
    label_base_url: str,
    idempotency_key: str | None,
    request_hash: str,
    now: datetime,
) -> tuple[int, bool]:
    """Insert the return; (id, False) when a concurrent twin with the same key won."""
    order_id = request.order_id
    # Touch the order row first: PostgreSQL then holds its row lock, SQLite its
    # write lock, and the reads below happen inside the transaction. So two
    # returns for one order cannot both pass the "how much is left" check.
    await conn.execute(update(orders).where(orders.c.id == order_id).values(status=orders.c.status))
    order = (
        await conn.execute(
            select(orders.c.status, orders.c.delivered_at).where(orders.c.id == order_id)
        )
    ).first()
    if order is None:
        raise OrderNotFound(order_id)
    if idempotency_key is not None:
        # A twin request may have committed while this one waited for the lock.
        twin = (
            await conn.execute(
                select(returns.c.id, returns.c.request_hash).where(
                    returns.c.idempotency_key == idempotency_key
                )
            )
        ).first()
        if twin is not None:
            _check_same_request(twin.request_hash, request_hash, "return")
            return int(twin.id), False
    if order.status not in RETURNABLE_STATUSES or order.delivered_at is None:
        if order.status == "refunded":
            raise Conflict(f"Order {order_id} has already been returned and refunded.")
        raise Conflict(
            f"Order {order_id} is {order.status.replace('_', ' ')}; "
            "a return can only be opened once the order has been delivered."
        )
    window_end = order.delivered_at + RETURN_WINDOW
    if now > window_end:
        raise Conflict(
            f"Order {order_id} was delivered on {order.delivered_at.date().isoformat()}; "
            f"the {RETURN_WINDOW.days}-day return window closed on "
            f"{window_end.date().isoformat()}."
        )

    bought = await _bought(conn, order_id)
    returned = await _already_returned(conn, order_id)
    if all(returned.get(sku, 0) >= item.quantity for sku, item in bought.items()):
        raise Conflict(f"All items of order {order_id} have already been returned.")

    snapshot: list[dict[str, Any]] = []
    seen: set[str] = set()
    for wanted in request.items:
        if wanted.sku in seen:
            raise InvalidBody(f"sku {wanted.sku!r} is listed more than once")
        seen.add(wanted.sku)
        line = bought.get(wanted.sku)
        if line is None:
            raise InvalidBody(f"Order {order_id} has no item with sku {wanted.sku!r}")
        left = line.quantity - returned.get(wanted.sku, 0)
        if wanted.quantity > left:
            raise InvalidBody(
                f"Only {left} of sku {wanted.sku!r} can be returned from order {order_id} "
                f"(bought {line.quantity}, already returned {line.quantity - left})"
            )
        snapshot.append(
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": wanted.quantity,
                "unit_price_cents": line.unit_price_cents,
            }
        )

    result = await conn.execute(
        returns.insert().values(
            order_id=order_id,
            created_at=now,
            status="requested",
            reason=request.reason,
            items=snapshot,
            refund_status="pending",
            refund_amount_cents=sum(i["quantity"] * i["unit_price_cents"] for i in snapshot),
            refund_expected_at=now + REFUND_EXPECTED_AFTER,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
        )
    )
    return_id = int(result.inserted_primary_key[0])
    # The label URL names the return, so it can only be written once the id exists.
    await conn.execute(
        update(returns)
        .where(returns.c.id == return_id)
        .values(label_url=label_url(label_base_url, return_id))
    )
    await conn.execute(
        update(orders).where(orders.c.id == order_id).values(status="return_in_progress")
    )
    return return_id, True


def label_url(base_url: str, return_id: int) -> str:
    return f"{base_url.rstrip('/')}/labels/{format_return_id(return_id)}.pdf"


async def _bought(conn: AsyncConnection, order_id: int) -> dict[str, OrderItem]:
    lines: dict[str, OrderItem] = {}
    query = select(order_items).where(order_items.c.order_id == order_id).order_by(order_items.c.id)
    for row in await conn.execute(query):
        earlier = lines.get(row.sku)
        quantity = row.quantity + (earlier.quantity if earlier else 0)
        lines[row.sku] = OrderItem(row.sku, row.name, quantity, row.unit_price_cents)
    return lines


async def _already_returned(conn: AsyncConnection, order_id: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    query = select(returns.c["items"]).where(
        returns.c.order_id == order_id, returns.c.status != "rejected"
    )
    for (items,) in await conn.execute(query):
        for item in items:
            counts[item["sku"]] = counts.get(item["sku"], 0) + int(item["quantity"])
    return counts


async def _return_by_key(engine: AsyncEngine, key: str, request_hash: str) -> Return | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(returns.c.id, returns.c.request_hash).where(returns.c.idempotency_key == key)
            )
        ).first()
    if row is None:
        return None
    _check_same_request(row.request_hash, request_hash, "return")
    return await get_return(engine, row.id)


async def _select_returns(conn: AsyncConnection, where: ColumnElement[bool]) -> list[Return]:
    query = (
        select(returns, orders.c.currency)
        .select_from(returns.join(orders))
        .where(where)
        .order_by(returns.c.id)
    )
    return [_return_from_row(row) for row in await conn.execute(query)]


def _return_from_row(row: Row) -> Return:
    return Return(
        id=row.id,
        order_id=row.order_id,
        created_at=row.created_at,
        status=row.status,
        reason=row.reason,
        items=tuple(ReturnItem(**item) for item in row._mapping["items"]),
        currency=row.currency,
        refund_status=row.refund_status,
        refund_amount_cents=row.refund_amount_cents,
        refund_expected_at=row.refund_expected_at,
        refunded_at=row.refunded_at,
        label_url=row.label_url,
    )


# ---------------------------------------------------------------- tickets


async def get_ticket(engine: AsyncEngine, ticket_id: int) -> Ticket:
    async with engine.connect() as conn:
        row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).first()
    if row is None:
        raise TicketNotFound(format_ticket_id(ticket_id))
    return _ticket_from_row(row)


async def create_ticket(
    engine: AsyncEngine,
    request: NewTicket,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Ticket, bool]:
    """Open a ticket; the flag says whether it is new (False: idempotent replay)."""
    request_hash = _fingerprint(request)
    if idempotency_key is not None:
        existing = await _ticket_by_key(engine, idempotency_key, request_hash)
        if existing is not None:
            return existing, False
    now = now or utc_now()
    try:
        async with engine.begin() as conn:
            if request.order_id is not None:
                await _order_status(conn, request.order_id)
            result = await conn.execute(
                tickets.insert().values(
                    order_id=request.order_id,
                    customer_email=normalize_email(request.email),
                    category=request.category,
                    description=request.description,
                    photo_url=request.photo_url,
                    status="open",
                    created_at=now,
                    expected_response_by=now + TICKET_RESPONSE_WITHIN,
                    idempotency_key=idempotency_key,
                    request_hash=request_hash,
                )
            )
            ticket_id = int(result.inserted_primary_key[0])
    except IntegrityError:
        existing = None
        if idempotency_key is not None:
            existing = await _ticket_by_key(engine, idempotency_key, request_hash)
        if existing is None:
            raise
        return existing, False
    return await get_ticket(engine, ticket_id), True


async def _ticket_by_key(engine: AsyncEngine, key: str, request_hash: str) -> Ticket | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(tickets).where(tickets.c.idempotency_key == key))).first()
    if row is None:
        return None
    _check_same_request(row.request_hash, request_hash, "ticket")
    return _ticket_from_row(row)


def _ticket_from_row(row: Row) -> Ticket:
    return Ticket(
        id=row.id,
        order_id=row.order_id,
        email=row.customer_email,
        category=row.category,
        description=row.description,
        photo_url=row.photo_url,
        status=row.status,
        created_at=row.created_at,
        expected_response_by=row.expected_response_by,
    )


# ---------------------------------------------------------------- discounts

# No 0/O or 1/I: a code read aloud or copied by hand still works.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_discount_code() -> str:
    return "KR-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


async def create_discount(
    engine: AsyncEngine,
    request: NewDiscount,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Discount, bool]:
    """A new code for one customer; the flag says whether it is new (False: replay)."""
    request_hash = _fingerprint(request)
    if idempotency_key is not None:
        existing = await _discount_by_key(engine, idempotency_key, request_hash)
        if existing is not None:
            return existing, False
    now = now or utc_now()
    code = new_discount_code()
    try:
        async with engine.begin() as conn:
            if request.order_id is not None:
                await _order_status(conn, request.order_id)
            await conn.execute(
                discounts.insert().values(
                    code=code,
                    customer_email=normalize_email(request.email),
                    kind=request.kind,
                    percent=request.percent,
                    reason=request.reason,
                    order_id=request.order_id,
                    created_at=now,
                    expires_at=now + timedelta(days=request.valid_days),
                    idempotency_key=idempotency_key,
                    request_hash=request_hash,
                )
            )
    except IntegrityError:
        existing = None
        if idempotency_key is not None:
            existing = await _discount_by_key(engine, idempotency_key, request_hash)
        if existing is None:
            raise
        return existing, False
    return await get_discount(engine, code), True


async def get_discount(engine: AsyncEngine, code: str) -> Discount:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(discounts).where(discounts.c.code == code.strip().upper()))
        ).first()
    if row is None:
        raise DiscountNotFound(code)
    return _discount_from_row(row)


async def list_discounts(engine: AsyncEngine, email: str) -> list[Discount]:
    """One customer's codes, newest first; an unknown email gives []."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(discounts)
            .where(discounts.c.customer_email == normalize_email(email))
            .order_by(discounts.c.created_at.desc(), discounts.c.id.desc())
        )
        return [_discount_from_row(row) for row in rows]


async def redeem_discount(
    engine: AsyncEngine, code: str, order_id: int | None, *, now: datetime | None = None
) -> Discount:
    """Uses the code once (at checkout); Conflict when used already or expired."""
    now = now or utc_now()
    found = await get_discount(engine, code)
    if found.redeemed_at is not None:
        raise Conflict(f"Discount code {found.code} has already been used.")
    if now > found.expires_at:
        raise Conflict(f"Discount code {found.code} expired on {found.expires_at.date()}.")
    async with engine.begin() as conn:
        # Conditional, so two checkouts at once cannot both use it.
        result = await conn.execute(
            update(discounts)
            .where(discounts.c.code == found.code, discounts.c.redeemed_at.is_(None))
            .values(redeemed_at=now, redeemed_order_id=order_id)
        )
    if result.rowcount == 0:
        raise Conflict(f"Discount code {found.code} has already been used.")
    return await get_discount(engine, found.code)


async def _discount_by_key(engine: AsyncEngine, key: str, request_hash: str) -> Discount | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(discounts).where(discounts.c.idempotency_key == key))
        ).first()
    if row is None:
        return None
    _check_same_request(row.request_hash, request_hash, "discount")
    return _discount_from_row(row)


def _discount_from_row(row: Row) -> Discount:
    return Discount(
        code=row.code,
        email=row.customer_email,
        kind=row.kind,
        percent=row.percent,
        reason=row.reason,
        order_id=row.order_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        redeemed_at=row.redeemed_at,
        redeemed_order_id=row.redeemed_order_id,
    )


# ---------------------------------------------------------------- helpers


async def count_orders(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(orders)) or 0)


def _check_same_request(stored_hash: str | None, request_hash: str, kind: str) -> None:
    if stored_hash != request_hash:
        raise IdempotencyKeyReused(
            f"This Idempotency-Key was already used for a different {kind} request."
        )


def _fingerprint(request: NewReturn | NewTicket | NewDiscount) -> str:
    canonical = json.dumps(asdict(request), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# ---------------------------------------------------------------- staff (admin endpoints)


async def ship_order(
    engine: AsyncEngine, order_id: int, shipment: Shipment, *, now: datetime | None = None
) -> Order:
    """Hands a paid or packed order to the carrier."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.status.in_(("paid", "packed")))
            .values(
                status="shipped",
                carrier=shipment.carrier,
                tracking_number=shipment.tracking_number,
                tracking_url=shipment.tracking_url,
                shipped_at=now or utc_now(),
            )
        )
        if result.rowcount == 0:
            status = await _order_status(conn, order_id)
            raise Conflict(
                f"Order {order_id} is {status.replace('_', ' ')}; only paid or packed orders ship."
            )
    return await get_order(engine, order_id)


async def deliver_order(
    engine: AsyncEngine, order_id: int, *, now: datetime | None = None
) -> Order:
    async with engine.begin() as conn:
        result = await conn.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.status == "shipped")
            .values(status="delivered", delivered_at=now or utc_now())
        )
        if result.rowcount == 0:
            status = await _order_status(conn, order_id)
            raise Conflict(f"Order {order_id} is {status.replace('_', ' ')}, not shipped.")
    return await get_order(engine, order_id)


async def receive_return(engine: AsyncEngine, return_id: int) -> Return:
    """The returned parcel arrived at the warehouse."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(returns)
            .where(returns.c.id == return_id, returns.c.status == "requested")
            .values(status="received")
        )
        if result.rowcount == 0:
            await _return_must_exist(conn, return_id)
            raise Conflict(f"Return {format_return_id(return_id)} was already received.")
    return await get_return(engine, return_id)


async def refund_return(
    engine: AsyncEngine, return_id: int, *, now: datetime | None = None
) -> Return:
    """Pays a received return's refund; the order is refunded once none is open."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(returns)
            .where(
                returns.c.id == return_id,
                returns.c.status == "received",
                returns.c.refund_status != "refunded",
            )
            .values(status="completed", refund_status="refunded", refunded_at=now or utc_now())
        )
        if result.rowcount == 0:
            await _return_must_exist(conn, return_id)
            raise Conflict(
                f"Return {format_return_id(return_id)} is not waiting for a refund "
                "(receive it first, or it is refunded already)."
            )
        order_id = await conn.scalar(select(returns.c.order_id).where(returns.c.id == return_id))
        still_open = await conn.scalar(
            select(func.count())
            .select_from(returns)
            .where(returns.c.order_id == order_id, returns.c.refund_status != "refunded")
        )
        if not still_open:
            await conn.execute(
                update(orders)
                .where(orders.c.id == order_id, orders.c.status == "return_in_progress")
                .values(status="refunded")
            )
    return await get_return(engine, return_id)


async def _return_must_exist(conn: AsyncConnection, return_id: int) -> None:
    if await conn.scalar(select(returns.c.id).where(returns.c.id == return_id)) is None:
        raise ReturnNotFound(format_return_id(return_id))
