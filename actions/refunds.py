"""Refund status: the state of the refund for the order's latest return."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions.shops import NotFound, ShopUnavailable, shop
from actions.texts import date_text, money_text
from actions.topics import Request, Topic


async def tell_refund(request: Request) -> list[EventType]:
    order = request.order
    try:
        latest = await shop().latest_return(order)
    except (ShopUnavailable, NotFound):
        request.shop_down()
        return []
    if latest is None:
        request.say("utter_refund_no_return", order_id=order.id)
        return []
    values = {
        "order_id": order.id,
        "return_id": latest.id,
        "amount": money_text(
            latest.refund_amount, latest.currency or order.currency, request.language
        ),
        "expected_date": date_text(latest.refund_expected_at, request.language),
        "refunded_date": date_text(latest.refunded_at, request.language),
    }
    if latest.refund_status == "refunded":
        request.say("utter_refund_done", **values)
    elif latest.status == "rejected":
        request.say("utter_refund_rejected", **values)
    else:
        request.say("utter_refund_pending", **values)
    request.say("utter_anything_else")
    return []


TOPIC = Topic(name="refund", questions=(), complete=tell_refund)
