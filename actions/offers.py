"""Goodwill offers (issue 20): a code from the shop after a complaint, a late
delivery or a loyal customer's return, under bot/shop_policy.yml's `offers` rules.

Never to an upset customer before a person has seen the case: no offer in a turn
where the customer is angry, nor while a handoff for an upset customer has not
been handed back by an agent. At most one offer per customer (email) per
`offers.period_days`: the shop's own list of the customer's codes decides, so it
holds across conversations and channels (the actions cannot read Kramar's
`offers` table, which belongs to the gateway's rooms).

The gateway records each offer from the `offer` marker, and the customer's
"use it" from the `offer_accepted` marker (bot/customers/offers.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.mood import is_upset
from actions.shops import Order, ShopError, shop
from actions.texts import date_text
from actions.topics import Request, latest_text
from bot.policy import OfferRule, load_policy

logger = logging.getLogger(__name__)

UPSET = "upset_customer"
# The order states in which a delivery can be late.
ON_ITS_WAY = ("paid", "packed", "shipped")
# The marker's name for each kind of code (the gateway's contract).
MARKER_KINDS = {"percent": "discount", "free_return_shipping": "free_return_shipping"}


# What the gateway triggers once an agent has dealt with a handed-off conversation.
AGENT_DONE = ("handback", "conversation_closed")


def upset_and_unseen(events: list[dict[str, Any]]) -> bool:
    """Whether the conversation went to a person for an upset customer and no agent
    has handed it back or closed it since (an agent-resolved case may get an offer)."""
    waiting = False
    for event in events:
        if event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom")
            handoff = custom.get("handoff") if isinstance(custom, dict) else None
            if isinstance(handoff, dict) and handoff.get("reason") == UPSET:
                waiting = True
        elif event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            waiting = waiting and intent not in AGENT_DONE
    return waiting


def is_late(order: Order, rule: OfferRule, now: datetime) -> bool:
    """Not delivered `late_after_days` after it was placed, or delivered later than
    that (and not longer ago than `within_days`)."""
    if order.placed_at is None:
        return False
    due = order.placed_at + timedelta(days=rule.settings.get("late_after_days", 7))
    if order.status in ON_ITS_WAY:
        return now > due
    if order.status == "delivered" and order.delivered_at is not None:
        recent = now - order.delivered_at <= timedelta(days=rule.settings.get("within_days", 30))
        return order.delivered_at > due and recent
    return False


async def make_offer(request: Request, rule_name: str) -> list[EventType]:
    """Offers the rule's code when the policy, the customer's mood and the period allow it."""
    rule = load_policy().offer_rule(rule_name)
    tracker = request.tracker
    if rule is None or upset_and_unseen(tracker.events) or is_upset(latest_text(tracker)):
        return []
    email, now = request.order.customer_email, datetime.now(timezone.utc)
    since = now - timedelta(days=load_policy().offer_period_days)
    try:
        if any(code.created_at >= since for code in await shop().list_discounts(email)):
            return []
        discount = await shop().create_discount(
            email,
            rule.kind,
            rule.percent,
            rule.valid_days,
            rule.name,
            request.order,
            request.key("offer", rule.name),
        )
    except ShopError:
        # A gesture, not the answer: the customer's request is done either way.
        logger.warning("No %s offer for order %s: the shop refused or failed", rule.name, email)
        return []
    valid_until = date_text(discount.expires_at, request.language)
    request.say(
        f"utter_offer_{discount.kind}",
        code=discount.code,
        percent=discount.percent or 0,
        valid_until=valid_until,
    )
    # For the gateway: recorded in the offers table and the transcript, never shown.
    request.dispatcher.utter_message(
        json_message={
            "offer": {
                "rule": rule.name,
                "kind": MARKER_KINDS[discount.kind],
                "code": discount.code,
                "order_id": str(request.order.id),
            }
        }
    )
    offer = {"code": discount.code, "kind": discount.kind, "valid_until": valid_until}
    return [SlotSet("offer", offer)]


async def offer_if_late(request: Request) -> list[EventType]:
    rule = load_policy().offer_rule("late_delivery")
    if rule is None or not is_late(request.order, rule, datetime.now(timezone.utc)):
        return []
    return await make_offer(request, "late_delivery")


async def offer_if_loyal(request: Request) -> list[EventType]:
    """After a return: free return shipping for a customer with enough earlier orders,
    only while return labels cost something (else it gives nothing)."""
    rule = load_policy().offer_rule("loyal_return")
    if rule is None or load_policy().lookup("returns.free_label"):
        return []
    try:
        orders = await shop().count_orders(request.order.customer_email)
    except ShopError:
        return []
    if orders - 1 < rule.settings.get("min_orders", 3):  # earlier orders: not this one
        return []
    return await make_offer(request, "loyal_return")


class ActionAcceptOffer(Action):
    """The customer will use the code they were offered: how to use it, and a marker
    so the dashboard counts the acceptance."""

    def name(self) -> str:
        return "action_accept_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offer: dict[str, Any] = tracker.get_slot("offer") or {}
        if not offer.get("code"):
            dispatcher.utter_message(response="utter_offer_none")
            return []
        dispatcher.utter_message(
            response=f"utter_offer_how_to_use_{offer.get('kind', 'percent')}",
            code=offer["code"],
            valid_until=offer.get("valid_until", ""),
        )
        dispatcher.utter_message(json_message={"offer_accepted": {"code": offer["code"]}})
        return []
