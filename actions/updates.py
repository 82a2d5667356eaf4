"""Order updates the customer asked for, and the follow-up after a resolved case.

The customer's choice goes to the gateway as a marker it never shows
(`{"updates": {"on": ...}}`, `{"followup": {...}}`): the gateway knows the chat
and keeps the flag (bot/customers/notifications.py). The gateway triggers
`order_update` / `followup_check` with the shop's event as entities, and
these actions answer in the conversation's language.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import HANDED_OFF, hand_off
from actions.texts import label, language_of, money_text

# The shop's event -> what the customer reads.
UPDATE_RESPONSES = {
    "order.shipped": "utter_update_shipped",
    "order.delivered": "utter_update_delivered",
    "return.received": "utter_update_return_received",
    "refund.paid": "utter_update_refund_paid",
}
# Orders still on the way: worth an offer to hear when they move.
UPDATABLE_STATUSES = ("pending_payment", "paid", "packed", "shipped", "return_in_progress")


def entity(tracker: Tracker, name: str) -> str:
    return str(next(tracker.get_latest_entity_values(name), None) or "")


def offer_updates(tracker: Tracker, dispatcher: CollectingDispatcher, status: str) -> None:
    """ "Shall I message you here when it ships?", to a remembered customer only."""
    if tracker.get_slot("known_customer") and status in UPDATABLE_STATUSES:
        dispatcher.utter_message(response="utter_offer_updates")


class ActionOrderUpdates(Action):
    """Turns order updates on or off in this chat; on needs a remembered customer."""

    def name(self) -> str:
        return "action_order_updates"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        wanted = tracker.latest_message.get("intent", {}).get("name") == "updates_on"
        if wanted and not tracker.get_slot("known_customer"):
            dispatcher.utter_message(response="utter_updates_need_known")
            return []
        dispatcher.utter_message(json_message={"updates": {"on": wanted}})
        dispatcher.utter_message(response="utter_updates_on" if wanted else "utter_updates_off")
        return []


class ActionOrderUpdate(Action):
    """Tells the customer what the shop reported (triggered by the gateway)."""

    def name(self) -> str:
        return "action_order_update"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        event = entity(tracker, "update_event")
        response = UPDATE_RESPONSES.get(event)
        if response is None:
            return []
        amount = money_text(
            entity(tracker, "amount"), entity(tracker, "currency"), language_of(tracker)
        )
        dispatcher.utter_message(
            response=response,
            update_order=entity(tracker, "update_order"),
            carrier=entity(tracker, "carrier") or "—",
            tracking_number=entity(tracker, "tracking_number") or "—",
            return_id=entity(tracker, "return_id"),
            amount=amount,
        )
        if event == "order.shipped" and entity(tracker, "tracking_url"):
            dispatcher.utter_message(
                response="utter_update_tracking_link", tracking_url=entity(tracker, "tracking_url")
            )
        return []


class ActionFollowupCheck(Action):
    """ "Is everything all right now?" with yes/no buttons (triggered by the gateway)."""

    def name(self) -> str:
        return "action_followup_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        followup_id, language = entity(tracker, "followup_id"), language_of(tracker)
        # Bare intents: the channel lets no typed text carry entities, so the id is a slot.
        buttons = [
            {"title": label(f"followup_{answer}", language), "payload": f"/followup_{answer}"}
            for answer in ("good", "bad")
        ]
        dispatcher.utter_message(
            response="utter_followup_check",
            update_order=entity(tracker, "update_order"),
            buttons=buttons,
        )
        return [SlotSet("followup_id", followup_id or None)]


class ActionFollowupAnswer(Action):
    """Records the answer; "not all right" goes to a person at once."""

    def name(self) -> str:
        return "action_followup_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        answer = "good" if intent in ("followup_good", "affirm") else "bad"
        followup_id = tracker.get_slot("followup_id")
        if not str(followup_id or "").isdigit():  # no follow-up asked in this conversation
            dispatcher.utter_message(response="utter_anything_else")
            return []
        dispatcher.utter_message(
            json_message={"followup": {"notification_id": int(followup_id), "answer": answer}}
        )
        if answer == "good":
            dispatcher.utter_message(response="utter_followup_glad")
            return [SlotSet("followup_id", None)]
        dispatcher.utter_message(response="utter_followup_sorry")
        hand_off(dispatcher, "followup_unhappy")
        return [SlotSet("followup_id", None), *HANDED_OFF]
