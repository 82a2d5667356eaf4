"""Domain objects -> JSON-ready dicts, in the shapes ``openapi.yaml`` documents."""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

from bot.shop.clock import to_iso
from bot.shop.models import (
    Discount,
    Order,
    Return,
    Ticket,
    format_return_id,
    format_ticket_id,
)
from bot.shop.money import format_cents

# Customer names are Ukrainian, Polish and Czech: keep them readable on the wire.
_dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(data: Any, *, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def order_json(order: Order) -> dict[str, Any]:
    shipment = order.shipment
    return {
        "id": order.id,
        "status": order.status,
        "created_at": to_iso(order.created_at),
        "currency": order.currency,
        "total": format_cents(order.total_cents),
        "customer": {
            "email": order.customer.email,
            "name": order.customer.name,
            "language": order.customer.language,
        },
        "shipping_address": {
            "name": order.shipping_address.name,
            "street": order.shipping_address.street,
            "city": order.shipping_address.city,
            "postal_code": order.shipping_address.postal_code,
            "country": order.shipping_address.country,
        },
        "items": [
            {
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "unit_price": format_cents(item.unit_price_cents),
            }
            for item in order.items
        ],
        "shipment": None
        if shipment is None
        else {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "shipped_at": to_iso(shipment.shipped_at),
        },
        "delivered_at": to_iso(order.delivered_at),
        "cancelled_at": to_iso(order.cancelled_at),
        "cancel_reason": order.cancel_reason,
        "returnable_until": to_iso(order.returnable_until),
        "returns": [return_summary_json(item) for item in order.returns],
    }


def return_summary_json(item: Return) -> dict[str, Any]:
    return {
        "id": format_return_id(item.id),
        "status": item.status,
        "refund_status": item.refund_status,
        "refund_amount": format_cents(item.refund_amount_cents),
        "created_at": to_iso(item.created_at),
    }


def return_json(item: Return) -> dict[str, Any]:
    return {
        "id": format_return_id(item.id),
        "order_id": item.order_id,
        "status": item.status,
        "reason": item.reason,
        "created_at": to_iso(item.created_at),
        "items": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": format_cents(line.unit_price_cents),
            }
            for line in item.items
        ],
        "currency": item.currency,
        "refund_status": item.refund_status,
        "refund_amount": format_cents(item.refund_amount_cents),
        "refund_expected_at": to_iso(item.refund_expected_at),
        "refunded_at": to_iso(item.refunded_at),
        "label_url": item.label_url,
    }


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": format_ticket_id(ticket.id),
        "order_id": ticket.order_id,
        "email": ticket.email,
        "category": ticket.category,
        "description": ticket.description,
        "photo_url": ticket.photo_url,
        "status": ticket.status,
        "created_at": to_iso(ticket.created_at),
        "expected_response_by": to_iso(ticket.expected_response_by),
    }


def discount_json(discount: Discount) -> dict[str, Any]:
    return {
        "code": discount.code,
        "email": discount.email,
        "kind": discount.kind,
        "percent": discount.percent,
        "reason": discount.reason,
        "order_id": discount.order_id,
        "created_at": to_iso(discount.created_at),
        "expires_at": to_iso(discount.expires_at),
        "redeemed_at": to_iso(discount.redeemed_at),
        "redeemed_order_id": discount.redeemed_order_id,
    }


def error_json(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": message}
