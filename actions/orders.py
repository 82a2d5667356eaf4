"""Order status: ask for the order number and email, verify, then answer.

Privacy: order details are revealed only when the email matches the order.
An unknown number and a wrong email get the same answer, so a stranger learns
nothing, not even whether the order exists; after MAX_FAILURES failed
verifications the conversation stops looking orders up.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.shop_client import NotFound, Order, ShopUnavailable, shop
from actions.texts import date_text, items_text, language_of, money_text
from bot.nlu.patterns import find_order_numbers, normalise_email

logger = logging.getLogger(__name__)

MAX_FAILURES = 3

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


def failures(tracker: Tracker) -> int:
    return int(tracker.get_slot("verification_failures") or 0)


def _latest_entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


class ValidateOrderStatusForm(FormValidationAction):
    """Checks the order number and email the customer types."""

    def name(self) -> str:
        return "validate_order_status_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # Locked after too many failures: finish at once, the action explains.
        return [] if failures(tracker) >= MAX_FAILURES else domain_slots

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Takes a malformed number typed in reply to the question, to explain it."""
        text = tracker.latest_message.get("text") or ""
        if (
            tracker.get_slot("requested_slot") == "order_id"
            and _latest_entity(tracker, "order_id") is None
            and any(ch.isdigit() for ch in text)
            and _latest_entity(tracker, "email") is None
        ):
            return {"order_id": text}
        return {}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        numbers = find_order_numbers(str(value or ""))
        if numbers:
            return {"order_id": numbers[-1][0]}
        dispatcher.utter_message(response="utter_invalid_order_id")
        return {"order_id": None}

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Takes a malformed address typed in reply to the question, to explain it."""
        text = tracker.latest_message.get("text") or ""
        if (
            tracker.get_slot("requested_slot") == "email"
            and _latest_entity(tracker, "email") is None
            and "@" in text
        ):
            return {"email": text}
        return {}

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email = normalise_email(str(value or ""))
        if email:
            return {"email": email}
        dispatcher.utter_message(response="utter_invalid_email")
        return {"email": None}


class ActionOrderStatus(Action):
    """Looks the order up, verifies the email, and tells its status."""

    def name(self) -> str:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if failures(tracker) >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_verification_locked")
            return [SlotSet("order_id", None)]

        order_id, email = tracker.get_slot("order_id"), tracker.get_slot("email")
        try:
            order: Order | None = await shop().get_order(int(order_id))
        except NotFound:
            order = None
        except (ShopUnavailable, TypeError, ValueError):
            logger.exception("Order lookup failed for %s", order_id)
            dispatcher.utter_message(response="utter_shop_unavailable")
            return [SlotSet("order_id", None)]

        if order is None or not order.belongs_to(str(email or "")):
            count = failures(tracker) + 1
            dispatcher.utter_message(
                response="utter_verification_locked"
                if count >= MAX_FAILURES
                else "utter_order_not_found"
            )
            return [
                SlotSet("verification_failures", float(count)),
                SlotSet("order_id", None),
                SlotSet("email", None),
            ]

        dispatcher.utter_message(**describe(order, language_of(tracker)))
        dispatcher.utter_message(response="utter_anything_else")
        # Forget the number so the next question asks again; keep the proven email.
        return [SlotSet("order_id", None)]


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
