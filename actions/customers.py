"""Known customers: the offer to remember, "forget me", and what a new session keeps.

The bot never writes the customer record itself: it reports the customer's
yes (`{"customer": {"remember": {...}}}`) or "forget me"
(`{"customer": {"forget": true}}`) to the gateway, which knows the chat and
binds or deletes the record (bot/customers). The gateway passes a remembered
customer back with every message (`known_customer` metadata), and a new
session restores only that; everything else personal is dropped.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.shops import NotFound, Order, ShopUnavailable
from actions.topics import latest_intent, proven_email, verified_order

# Slots that a new session keeps for everyone (not personal). A follow-up's answer
# may come hours after it was asked, in a later session.
KEPT_SLOTS = ("language", "followup_id")
# What "forget me" clears in the conversation (the failed-verification count stays:
# forgetting must not reset the guessing limit).
PERSONAL_SLOTS = ("email", "proven_email", "order_id", "verified_order_id", "customer_name")
OFFERED, ACCEPTED, DECLINED = "offered", "accepted", "declined"


def known_customer(metadata: Any) -> dict[str, str] | None:
    """The remembered customer the gateway sent with the session's first message."""
    known = metadata.get("known_customer") if isinstance(metadata, dict) else None
    if not isinstance(known, dict) or not isinstance(known.get("email"), str) or not known["email"]:
        return None
    return {"email": known["email"], "name": str(known.get("name") or "")}


def signed_in_email(metadata: Any) -> str | None:
    """The email the shop's signed customer token vouched for (the widget's gateway checked it)."""
    signed_in = metadata.get("signed_in") if isinstance(metadata, dict) else None
    email = signed_in.get("email") if isinstance(signed_in, dict) else None
    return email if isinstance(email, str) and email else None


class ActionSessionStart(Action):
    """A new session forgets the last one's personal slots, unless the customer is known."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        events += [
            SlotSet(slot, tracker.get_slot(slot))
            for slot in KEPT_SLOTS
            if tracker.get_slot(slot) is not None
        ]
        metadata = tracker.get_slot("session_started_metadata")
        known = known_customer(metadata)
        signed_in = signed_in_email(metadata)
        if signed_in and not known:
            # The shop's signed token came with this message: its email is proven.
            events += [SlotSet("email", signed_in), SlotSet("proven_email", signed_in)]
        if known:
            events += [
                SlotSet("known_customer", True),
                SlotSet("email", known["email"]),
                SlotSet("proven_email", known["email"]),
                SlotSet("customer_name", known["name"] or None),
            ]
        return [*events, ActionExecuted("action_listen")]


def should_offer(tracker: Tracker) -> bool:
    """Once per session, after a verified order, to someone not known and not upset."""
    return bool(
        tracker.get_slot("verified_order_id")
        and proven_email(tracker)
        and not tracker.get_slot("known_customer")
        and tracker.get_slot("remember_offer") is None
        and not tracker.get_slot("customer_upset")
    )


async def offer_to_remember(
    tracker: Tracker, dispatcher: CollectingDispatcher, order: Order | None = None
) -> list[EventType]:
    """Asks whether to remember the customer here, instead of "anything else?"."""
    if tracker.get_slot("remember_offer") == OFFERED:
        # Another request finished since the offer: it went unanswered, which is a no
        # (a later "yes" to something else must not remember anyone).
        return [SlotSet("remember_offer", DECLINED)]
    handed_off = any("handoff" in (message.get("custom") or {}) for message in dispatcher.messages)
    if handed_off or not should_offer(tracker):
        return []
    if order is None:
        try:
            order = await verified_order(tracker)
        except (ShopUnavailable, NotFound):
            return []
    if not order.first_name:
        return []
    # One question at a time: the offer's yes/no replaces "can I help with anything else?".
    dispatcher.messages[:] = [
        message
        for message in dispatcher.messages
        if message.get("response") != "utter_anything_else"
    ]
    dispatcher.utter_message(response="utter_offer_remember", customer_name=order.first_name)
    return [SlotSet("remember_offer", OFFERED), SlotSet("customer_name", order.first_name)]


class ActionAnswerRemember(Action):
    """Yes or no after the offer: a yes is reported to the gateway, which remembers."""

    def name(self) -> str:
        return "action_answer_remember"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = latest_intent(tracker)
        if tracker.get_slot("remember_offer") != OFFERED:
            # Nothing was offered: a lone yes or no, answered as everywhere else.
            dispatcher.utter_message(
                response="utter_anything_else" if intent == "affirm" else "utter_stop_ack"
            )
            return []
        email, name = proven_email(tracker), tracker.get_slot("customer_name") or ""
        if intent != "affirm" or not email:
            dispatcher.utter_message(response="utter_not_remembered")
            dispatcher.utter_message(response="utter_anything_else")
            return [SlotSet("remember_offer", DECLINED)]
        dispatcher.utter_message(
            json_message={"customer": {"remember": {"email": email, "name": name}}}
        )
        dispatcher.utter_message(response="utter_remembered", customer_name=name)
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("remember_offer", ACCEPTED), SlotSet("known_customer", True)]


class ActionForgetMe(Action):
    """Forgets the customer at once: the record on every chat (the gateway) and this
    conversation's personal slots; says whether anything had been remembered."""

    def name(self) -> str:
        return "action_forget_me"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # Always reported: the record may exist even when this session did not know it.
        dispatcher.utter_message(json_message={"customer": {"forget": True}})
        known = bool(tracker.get_slot("known_customer"))
        dispatcher.utter_message(response="utter_forgotten" if known else "utter_nothing_to_forget")
        return [
            *(SlotSet(slot, None) for slot in PERSONAL_SLOTS),
            SlotSet("known_customer", False),
            SlotSet("remember_offer", DECLINED),
        ]
