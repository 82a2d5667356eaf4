"""The one form for every order topic: verify the order, ask the topic's questions, finish.

Privacy: order details are used only when the email matches the order. An
unknown number and a wrong email get the same answer, so a stranger learns
nothing, not even whether the order exists; after MAX_FAILURES failed
verifications the conversation stops looking orders up.

The `topic` slot follows the customer's latest request (a from_intent
mapping), so "actually, where is my other order?" in the middle of a return
switches the same form to order status, and "back to the return" resumes it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import changes, complaints, orders, refunds, returns
from actions.handoff import hand_off, shop_down
from actions.mood import is_upset
from actions.shop_client import NotFound, Order, ShopUnavailable, shop
from actions.texts import items_text, label, language_of
from actions.topics import FLOW_SLOTS, Request, Topic
from bot.nlu.patterns import find_order_numbers, normalise_email

logger = logging.getLogger(__name__)

FORM = "order_request_form"
MAX_FAILURES = 3
TOPICS: dict[str, Topic] = {
    topic.name: topic
    for topic in (
        orders.TOPIC,
        returns.TOPIC,
        refunds.TOPIC,
        changes.CANCEL,
        changes.ADDRESS,
        complaints.TOPIC,
    )
}
DEFAULT_TOPIC = "order_status"
# Messages that interrupt the form instead of answering it; rules handle them.
INTERRUPTIONS = {
    "stop", "human_handoff", "bot_not_helpful", "faq", "bot_challenge", "out_of_scope",
    "switch_language", "empty_message", "greet", "goodbye", "thank", "nlu_fallback",
}  # fmt: skip
# Slots whose answer is free text ("the zip broke after a day", an address):
# whatever the NLU made of it, only these interrupt.
FREE_TEXT_SLOTS = {"return_reason", "new_address", "complaint_description", "complaint_photo"}
FREE_TEXT_INTERRUPTIONS = {"stop", "human_handoff", "bot_not_helpful", "empty_message"}
# Picking from buttons (items, a category): a question or a request to stop still interrupts.
CHOICE_INTERRUPTIONS = FREE_TEXT_INTERRUPTIONS | {"faq", "bot_challenge", "switch_language"}
# While one of these is asked, a message is its answer, not a new request
# ("Faulty or damaged" as a return reason must not turn the return into a complaint).
ANSWER_SLOTS = FREE_TEXT_SLOTS | {"return_items", "complaint_category"}
# "Where is my *other* order?": the conversation's current order is not meant.
OTHER_ORDER = re.compile(
    r"\b(other|another|second|different)\b|інш|друг|ещё одн|inn[eyaą]|drugi|kolejn|"
    r"jin(á|é|ou|ý)\s+objedn|dalš(í|ím)\s+objedn|druh(á|ou)\s+objedn",
    re.IGNORECASE,
)


def failures(tracker: Tracker) -> int:
    return int(tracker.get_slot("verification_failures") or 0)


def topic_of(tracker: Tracker) -> Topic:
    name = tracker.get_slot("topic")
    if tracker.get_slot("requested_slot") in ANSWER_SLOTS and customer_just_spoke(tracker):
        # An answer ("changed my mind") is not a new request, whatever the NLU thought.
        name = previous_topic(tracker) or name
    return TOPICS.get(name or DEFAULT_TOPIC, orders.TOPIC)


def is_verified(tracker: Tracker) -> bool:
    order_id = tracker.get_slot("order_id")
    return order_id is not None and tracker.get_slot("verified_order_id") == str(order_id)


def latest_intent(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("intent", {}).get("name") or "")


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def _entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


def customer_just_spoke(tracker: Tracker) -> bool:
    """True on the customer's turn; False when the form runs again after an answer
    to an interruption (the bot has spoken since the customer's message)."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return False
        if event.get("event") == "user":
            return True
    return False


def previous_topic(tracker: Tracker) -> str | None:
    """The topic before the latest message set it."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_latest_user = True
        elif seen_latest_user and event.get("event") == "slot" and event.get("name") == "topic":
            return event.get("value")
    return None


async def fetch_order(tracker: Tracker) -> Order:
    return await shop().get_order(int(tracker.get_slot("order_id")))


class ValidateOrderRequestForm(FormValidationAction):
    """Asks, checks and verifies what each order topic needs."""

    def name(self) -> str:
        return "validate_order_request_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent, requested = latest_intent(tracker), tracker.get_slot("requested_slot")
        just_spoke = customer_just_spoke(tracker)
        if requested in FREE_TEXT_SLOTS:
            interrupting = FREE_TEXT_INTERRUPTIONS
        elif requested in ANSWER_SLOTS:
            interrupting = CHOICE_INTERRUPTIONS
        else:
            interrupting = INTERRUPTIONS
        if just_spoke and requested and intent in interrupting:
            # Let the rules answer (FAQ, stop, a person, ...); the form asks again after.
            return [ActionExecutionRejected(FORM)]
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if failures(tracker) >= MAX_FAILURES or tracker.get_slot("end_request"):
            return []  # locked, shop down or handed off: finish, the completing action explains
        # `topic` comes first so it is extracted and validated every turn (it is
        # always filled, so it is never asked).
        verify = ["topic", "order_id", "email"]
        topic = topic_of(tracker)
        if not is_verified(tracker) or not topic.slots:
            return verify
        try:
            order = await fetch_order(tracker)
        except (ShopUnavailable, NotFound):
            return []  # the completing action tells the customer
        if topic.blocker(order, language_of(tracker)):
            return []
        if topic.name == "return" and len(order.items) == 1:
            return [*verify, "return_reason"]
        return [*verify, *topic.slots]

    # --- Order number and email, verified together ------------------------

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A malformed number typed in reply to the question, kept to explain it.

        "My other order" without a number forgets the current one, so it is asked.
        """
        text = latest_text(tracker)
        if (
            tracker.get_slot("requested_slot") is None
            and _entity(tracker, "order_id") is None
            and OTHER_ORDER.search(text)
        ):
            return {"order_id": None}
        if (
            tracker.get_slot("requested_slot") == "order_id"
            and customer_just_spoke(tracker)
            and _entity(tracker, "order_id") is None
            and _entity(tracker, "email") is None
            and any(ch.isdigit() for ch in text)
        ):
            return {"order_id": text}
        return {}

    async def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"order_id": None}
        numbers = find_order_numbers(str(value))
        if not numbers:
            dispatcher.utter_message(response="utter_invalid_order_id")
            return {"order_id": None}
        order_id = numbers[-1][0]
        email = tracker.get_slot("email")
        if email and tracker.get_slot("verified_order_id") != order_id:
            checked = await self._verify(order_id, email, dispatcher, tracker, typed=False)
            if checked.get("verified_order_id") == order_id or checked.get("end_request"):
                return checked
            # Another order than the proven one, under another email: ask for that
            # email (the same whether the order exists or not) without a failure.
            return {"order_id": order_id, "email": None}
        return {"order_id": order_id}

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A malformed address typed in reply to the question, kept to explain it."""
        if (
            tracker.get_slot("requested_slot") == "email"
            and customer_just_spoke(tracker)
            and _entity(tracker, "email") is None
            and "@" in latest_text(tracker)
        ):
            return {"email": latest_text(tracker)}
        return {}

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email = normalise_email(str(value or ""))
        if not email:
            dispatcher.utter_message(response="utter_invalid_email")
            return {"email": None}
        order_id = tracker.get_slot("order_id")
        if order_id:
            return await self._verify(str(order_id), email, dispatcher, tracker)
        return {"email": email}

    async def _verify(
        self,
        order_id: str,
        email: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        typed: bool = True,
    ) -> dict[str, Any]:
        """Checks `email` against the order; a typed wrong email counts as a failure."""
        if failures(tracker) >= MAX_FAILURES:
            return {"order_id": order_id, "email": email}
        try:
            order: Order | None = await shop().get_order(int(order_id))
        except NotFound:
            order = None
        except ShopUnavailable:
            logger.warning("Shop unavailable while verifying order %s", order_id)
            shop_down(dispatcher)
            return {"order_id": order_id, "email": email, "end_request": True}
        if order is not None and order.belongs_to(email):
            return {"order_id": order_id, "email": email, "verified_order_id": order_id}
        if not typed:
            return {}
        count = failures(tracker) + 1
        if count < MAX_FAILURES:
            dispatcher.utter_message(response="utter_order_not_found")
        return {"order_id": None, "email": None, "verification_failures": float(count)}

    # --- Topic and its questions ------------------------------------------

    async def extract_topic(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {} if tracker.get_slot("topic") else {"topic": DEFAULT_TOPIC}

    async def validate_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") in ANSWER_SLOTS:
            return {"topic": previous_topic(tracker) or value}
        slots: dict[str, Any] = {"topic": value}
        if value == "complaint" and latest_intent(tracker) == "complaint":
            text = latest_text(tracker)
            if is_upset(text):
                # Strong feelings or a repeated problem: a person, straight away.
                dispatcher.utter_message(response="utter_complaint_empathy_strong")
                hand_off(dispatcher, "upset_customer")
                return {**slots, "customer_upset": True, "end_request": True}
            dispatcher.utter_message(response="utter_complaint_empathy")
            category = complaints.category_of(text)
            if category and not tracker.get_slot("complaint_category"):
                slots["complaint_category"] = category
            if len(text.split()) >= 5 and not tracker.get_slot("complaint_description"):
                slots["complaint_description"] = text
        return slots

    def _answer(self, tracker: Tracker, slot: str) -> str | None:
        """The latest message when it answers the question about `slot`."""
        if tracker.get_slot("requested_slot") != slot or not customer_just_spoke(tracker):
            return None  # not an answer, or already answered as an interruption
        text = latest_text(tracker).strip()
        return text or None

    async def extract_return_items(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "return_items")
        return {"return_items": text} if text else {}

    async def validate_return_items(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not value:
            return {"return_items": None}
        order = await fetch_order(tracker)
        if set(str(value).split(",")) <= {item.sku for item in order.items}:
            return {"return_items": value}
        skus = returns.match_items(str(value), order)
        if not skus:
            dispatcher.utter_message(response="utter_invalid_return_items")
            return {"return_items": None}
        return {"return_items": ",".join(skus)}

    async def extract_return_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "return_reason")
        if text and topic_of(tracker).name == "return" and len(text) <= 500:
            slots: dict[str, Any] = {"return_reason": text}
            if not tracker.get_slot("return_items"):  # single-item order
                order = await fetch_order(tracker)
                slots["return_items"] = ",".join(item.sku for item in order.items)
            return slots
        return {}

    async def extract_confirm(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "confirm":
            return {}
        intent = latest_intent(tracker)
        if intent in ("affirm", "deny"):
            return {"confirm": intent == "affirm"}
        return {}

    async def extract_new_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "new_address")
        return {"new_address": text} if text else {}

    async def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not value:
            return {"new_address": None}
        order = await fetch_order(tracker)
        address = changes.parse_address(str(value), order.shipping_address)
        if address is None:
            dispatcher.utter_message(response="utter_invalid_address")
            return {"new_address": None}
        return {"new_address": address.as_text()}

    async def extract_complaint_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "complaint_category")
        if not text:
            return {}
        category = complaints.category_of(text)
        if category is None and text.strip().lower() in ("other", "інше", "inne", "jiné", "jine"):
            category = "other"
        return {"complaint_category": category or "other"}

    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "complaint_description")
        return {"complaint_description": text} if text else {}

    async def extract_complaint_photo(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "complaint_photo")
        if not text:
            return {}
        photo = complaints.photo_of(text)
        if photo is None:
            dispatcher.utter_message(response="utter_invalid_photo")
        return {"complaint_photo": photo}


class ActionAskReturnItems(Action):
    """Asks which items to return, with a button for each real item of the order."""

    def name(self) -> str:
        return "action_ask_return_items"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = language_of(tracker)
        try:
            order = await fetch_order(tracker)
        except (ShopUnavailable, NotFound):
            shop_down(dispatcher)
            return []
        # Payloads carry no words: an English product name clicked in a Polish
        # chat must not switch the conversation's language.
        buttons = [
            {"title": items_text([(item.name, item.quantity)]), "payload": str(position)}
            for position, item in enumerate(order.items, start=1)
        ]
        buttons.append({"title": label("all_items", language), "payload": "*"})
        dispatcher.utter_message(response="utter_ask_return_items", buttons=buttons)
        return []


class ActionAskConfirm(Action):
    """Asks to confirm the change the customer asked for, naming it exactly."""

    def name(self) -> str:
        return "action_ask_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        response = (
            "utter_confirm_address"
            if tracker.get_slot("topic") == "address"
            else "utter_confirm_cancel"
        )
        dispatcher.utter_message(
            response=response,
            order_id=tracker.get_slot("order_id"),
            new_address=tracker.get_slot("new_address") or "",
        )
        return []


class ActionCompleteRequest(Action):
    """Runs the topic's final step for a verified order, or explains why not."""

    def name(self) -> str:
        return "action_complete_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = [SlotSet(slot, None) for slot in (*FLOW_SLOTS, "topic", "end_request")]
        if failures(tracker) >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_verification_locked")
            hand_off(dispatcher, "verification_failed")
            return [*done, SlotSet("order_id", None)]
        if not is_verified(tracker):
            return done  # the form already said why (shop down, handed off, ...)
        language = language_of(tracker)
        try:
            order = await fetch_order(tracker)
        except (ShopUnavailable, NotFound):
            shop_down(dispatcher)
            return done
        topic = topic_of(tracker)
        blocker = topic.blocker(order, language)
        if blocker:
            dispatcher.utter_message(response=blocker.response, **blocker.values)
            return done
        request = Request(order=order, tracker=tracker, dispatcher=dispatcher, language=language)
        return [*await topic.complete(request), *done]
