"""Order status: tell where a verified order is and what happens next."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import EventType

from actions.offers import offer_if_late
from actions.shops import Order, shop
from actions.texts import date_text, items_text, label, money_text
from actions.topics import Request, Topic
from actions.updates import offer_updates

# The response that describes an order in each status.
STATUS_RESPONSES = {
    "pending_payment": "utter_order_pending_payment",
    "paid": "utter_order_paid",
    "packed": "utter_order_packed",
    "shipped": "utter_order_shipped",
    "delivered": "utter_order_delivered",
    "cancelled": "utter_order_cancelled",
    "return_in_progress": "utter_order_return_in_progress",
    "refunded": "utter_order_refunded",
}


def describe(order: Order, language: str) -> dict[str, Any]:
    """The response and its placeholders for one verified order."""
    shipment = order.shipment
    return {
        "response": STATUS_RESPONSES.get(order.status, "utter_order_unknown_status"),
        "first_name": order.first_name,
        "order_id": order.id,
        "status": order.status,
        "items": items_text((item.name, item.quantity) for item in order.items),
        "total": money_text(order.total, order.currency, language),
        "carrier": shipment.carrier if shipment else "",
        "tracking_number": shipment.tracking_number if shipment else "",
        "tracking_url": shipment.tracking_url if shipment else "",
        "delivered_date": date_text(order.delivered_at, language),
        "cancelled_date": date_text(order.cancelled_at, language),
    }


def next_steps(order: Order, language: str) -> list[dict[str, str]]:
    """Buttons for what the shop's rules allow with this order now: a return, a cancellation."""
    backend, buttons = shop(), []
    if backend.return_blocker(order) is None:
        buttons.append(("return_request", "return_request"))
    if order.status in backend.cancellable:
        buttons.append(("cancel_order", "cancel_order"))
    return [
        {"title": label(name, language), "payload": f'/{intent}{{"order_id":"{order.id}"}}'}
        for name, intent in buttons
    ]


async def tell_status(request: Request) -> list[EventType]:
    request.dispatcher.utter_message(
        **describe(request.order, request.language),
        buttons=next_steps(request.order, request.language),
    )
    offered = await offer_if_late(request)
    if offered:  # one question at a time: the offer, then nothing else
        return offered
    offer_updates(request.tracker, request.dispatcher, request.order.status)
    request.say("utter_anything_else")
    return []


TOPIC = Topic(name="order_status", questions=(), complete=tell_status)
