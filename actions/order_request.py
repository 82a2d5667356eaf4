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

from actions.customers import offer_to_remember
from actions.handoff import hand_off
from actions.shops import NotFound, ShopUnavailable, TooManyAttempts, shop
from actions.texts import items_text, label, language_of
from actions.topics import (
    FREE_TEXT,
    YES_NO,
    ProvenCustomer,
    Question,
    Request,
    Topic,
    Turn,
    all_topics,
    customer_just_spoke,
    latest_intent,
    latest_text,
    proven_email,
    shop_down,
    verified_order,
)
from bot.nlu.patterns import find_order_numbers, normalise_email

logger = logging.getLogger(__name__)

FORM = "order_request_form"
MAX_FAILURES = 3
TOPICS: dict[str, Topic] = all_topics()
QUESTIONS: dict[str, Question] = {
    question.slot: question for topic in TOPICS.values() for question in topic.questions
}
# Slots the topics fill; all are cleared when a request is finished.
FLOW_SLOTS = tuple(QUESTIONS)
DEFAULT_TOPIC = "order_status"
# Messages that interrupt the form instead of answering it; rules handle them.
INTERRUPTIONS = {
    "stop", "human_handoff", "bot_not_helpful", "faq", "bot_challenge", "out_of_scope",
    "switch_language", "empty_message", "greet", "goodbye", "thank", "nlu_fallback",
    "forget_me",
}  # fmt: skip
# Slots whose answer is free text ("the zip broke after a day", an address):
# whatever the NLU made of it, only these interrupt.
FREE_TEXT_SLOTS = {slot for slot, question in QUESTIONS.items() if question.kind == FREE_TEXT}
FREE_TEXT_INTERRUPTIONS = {"stop", "human_handoff", "bot_not_helpful", "empty_message"}
# Picking from buttons (items, a category): a question or a request to stop still interrupts.
CHOICE_INTERRUPTIONS = FREE_TEXT_INTERRUPTIONS | {
    "faq", "bot_challenge", "switch_language", "forget_me",
}  # fmt: skip
# While one of these is asked, a message is its answer, not a new request
# ("Faulty or damaged" as a return reason must not turn the return into a complaint).
ANSWER_SLOTS = {slot for slot, question in QUESTIONS.items() if question.kind != YES_NO}
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
    return TOPICS.get(name or DEFAULT_TOPIC) or TOPICS[DEFAULT_TOPIC]


def is_verified(tracker: Tracker) -> bool:
    order_id = tracker.get_slot("order_id")
    return order_id is not None and tracker.get_slot("verified_order_id") == str(order_id)


def _entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


def previous_topic(tracker: Tracker) -> str | None:
    """The topic before the latest message set it."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_latest_user = True
        elif seen_latest_user and event.get("event") == "slot" and event.get("name") == "topic":
            return event.get("value")
    return None


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
        if topic.without_order and proven_email(tracker):
            return []  # "my orders" of a recognised customer: no order to verify
        if not is_verified(tracker) or not topic.questions:
            return verify
        try:
            order = await verified_order(tracker)
        except (ShopUnavailable, NotFound):
            return []  # the completing action tells the customer
        if topic.blocker(order, language_of(tracker)):
            return []
        return [*verify, *topic.slots_for(order)]

    def __getattr__(self, name: str) -> Any:
        """`extract_<slot>` / `validate_<slot>` of the current topic's questions
        (each topic module owns them), found the way rasa-sdk looks them up."""
        kind, _, slot = name.partition("_")
        question = QUESTIONS.get(slot)
        if question is None or kind not in ("extract", "validate"):
            raise AttributeError(name)
        if kind == "extract" and question.extract:
            extract = question.extract

            async def run_extract(
                dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
            ) -> dict[str, Any]:
                if topic_of(tracker).question(slot) is not question:
                    return {}
                return await extract(Turn(dispatcher, tracker))

            return run_extract
        if kind == "validate" and question.validate:
            validate = question.validate

            async def run_validate(
                value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
            ) -> dict[str, Any]:
                return await validate(value, Turn(dispatcher, tracker))

            return run_validate
        raise AttributeError(name)

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
            await shop().find_order(int(order_id), email)
        except NotFound:
            if not typed:
                return {}
            count = failures(tracker) + 1
            if count < MAX_FAILURES:
                dispatcher.utter_message(response="utter_order_not_found")
            return {"order_id": None, "email": None, "verification_failures": float(count)}
        except TooManyAttempts as paused:
            # Wrong emails for this order from any chat: the shop checks none for a while.
            minutes = str(-(-paused.seconds // 60))
            dispatcher.utter_message(response="utter_verification_paused", minutes=minutes)
            return {"order_id": None, "email": None, "end_request": True}
        except ShopUnavailable:
            logger.warning("Shop unavailable while verifying order %s", order_id)
            shop_down(dispatcher)
            return {"order_id": order_id, "email": email, "end_request": True}
        return {
            "order_id": order_id,
            "email": email,
            "verified_order_id": order_id,
            "proven_email": email,
        }

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
        topic = TOPICS.get(str(value))
        if topic and topic.on_request:
            slots.update(topic.on_request(Turn(dispatcher, tracker)))
        return slots


class ActionAskReturnItems(Action):
    """Asks which items to return, with a button for each real item of the order."""

    def name(self) -> str:
        return "action_ask_return_items"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = language_of(tracker)
        try:
            order = await verified_order(tracker)
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
        dispatcher.utter_message(
            response=topic_of(tracker).confirm_response or "utter_confirm_cancel",
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
        language = language_of(tracker)
        topic = topic_of(tracker)
        email = proven_email(tracker)
        if topic.without_order and email:
            listed = await topic.without_order(ProvenCustomer(email, dispatcher, language))
            return [*listed, *done, *await offer_to_remember(tracker, dispatcher)]
        if not is_verified(tracker):
            return done  # the form already said why (shop down, handed off, ...)
        try:
            order = await verified_order(tracker)
        except (ShopUnavailable, NotFound):
            shop_down(dispatcher)
            return done
        blocker = topic.blocker(order, language)
        if blocker:
            dispatcher.utter_message(response=blocker.response, **blocker.values)
            return [*done, *await offer_to_remember(tracker, dispatcher, order)]
        request = Request(order=order, tracker=tracker, dispatcher=dispatcher, language=language)
        completed = await topic.complete(request)
        return [*completed, *done, *await offer_to_remember(tracker, dispatcher, order)]
