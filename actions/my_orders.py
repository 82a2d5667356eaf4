"""My orders: a recognised customer's recent orders, each a button into its status.

Only orders of a proven email are listed (a verified order, the shop's signed
token, or a known customer); anyone else verifies one order first through the
form, and then gets the list of that order's email.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import EventType

from actions.shops import ShopUnavailable, shop
from actions.texts import money_text, status_label
from actions.topics import ProvenCustomer, Request, Topic, Turn, proven_email, shop_down

# Buttons shown at most: the newest orders are what customers ask about.
SHOWN = 5


def status_payload(order_id: int) -> str:
    """A button that asks for one order's status (the form verifies it with the proven email)."""
    return f'/order_status{{"order_id":"{int(order_id)}"}}'


async def list_orders(customer: ProvenCustomer) -> list[EventType]:
    try:
        orders = await shop().orders_of(customer.email)
    except ShopUnavailable:
        shop_down(customer.dispatcher)
        return []
    if not orders:
        customer.dispatcher.utter_message(response="utter_no_orders")
        return []
    language = customer.language
    buttons = [
        {
            "title": f"#{order.id} · {status_label(order.status, language)} · "
            f"{money_text(order.total, order.currency, language)}",
            "payload": status_payload(order.id),
        }
        for order in orders[:SHOWN]
    ]
    customer.dispatcher.utter_message(response="utter_orders_list", buttons=buttons)
    return []


async def list_verified(request: Request) -> list[EventType]:
    """After verifying one order: the orders of its (now proven) email."""
    customer = ProvenCustomer(request.order.customer_email, request.dispatcher, request.language)
    return await list_orders(customer)


def ask_to_verify(turn: Turn) -> dict[str, Any]:
    if not proven_email(turn.tracker):
        turn.say("utter_orders_verify_first")
    return {}


TOPIC = Topic(
    name="orders",
    questions=(),
    complete=list_verified,
    on_request=ask_to_verify,
    without_order=list_orders,
)
