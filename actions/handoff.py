"""Handing a conversation to a person, and the bot's part around it.

The bot marks a handoff with a custom message `{"handoff": {"reason": ...}}`.
The gateway (bot/gateway) sees it, puts the conversation in the agents' queue
and, from then on, routes the customer's messages to agents instead of the bot.
"""

from __future__ import annotations

from datetime import datetime, timezone

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.texts import label, language_of
from bot.policy import load_policy, next_opening, support_open

REASONS = (
    "low_confidence",
    "asked_for_person",
    "upset_customer",
    "verification_failed",
    "backend_failure",
    "bot_not_helpful",
    "followup_unhappy",  # issue 20: "not all right" after a resolved case
)
# Intents offered as guesses when the bot is unsure (others have no clear label).
GUESSABLE = (
    "order_status", "return_request", "refund_status", "cancel_order",
    "change_address", "complaint", "human_handoff", "greet",
)  # fmt: skip


# After a handoff the bot waits: any running form stops and nothing else is asked.
HANDED_OFF: list[EventType] = [
    ActiveLoop(None),
    SlotSet("requested_slot", None),
    FollowupAction("action_listen"),
]


def hand_off(dispatcher: CollectingDispatcher, reason: str) -> None:
    """Tells the customer a person takes over and marks the handoff for the gateway."""
    assert reason in REASONS, reason
    dispatcher.utter_message(response="utter_handoff_start")
    dispatcher.utter_message(json_message={"handoff": {"reason": reason}})


class ActionHandoff(Action):
    """The customer asked for a person, or said the bot did not help."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        hand_off(
            dispatcher, "bot_not_helpful" if intent == "bot_not_helpful" else "asked_for_person"
        )
        return HANDED_OFF


class ActionAnnounceHandoff(Action):
    """Says when a person will answer: the expected wait, or the next opening hour.

    Triggered by the gateway (intent `handoff_queued`, entities `wait_minutes`
    and `agents_online`) once the conversation is in the agents' queue. The
    team is "away" only when nobody has the inbox open and it is outside the
    support hours: an agent who is there answers whatever the clock says.
    """

    def name(self) -> str:
        return "action_announce_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        policy, now = load_policy(), datetime.now(timezone.utc)
        online = next(tracker.get_latest_entity_values("agents_online"), None) == "yes"
        if online or support_open(policy, now):
            minutes = next(tracker.get_latest_entity_values("wait_minutes"), None) or "5"
            dispatcher.utter_message(response="utter_handoff_waiting", wait_minutes=minutes)
        else:
            opens = next_opening(policy, now)
            dispatcher.utter_message(
                response="utter_handoff_closed",
                next_open=opens.strftime("%d.%m %H:%M"),
                email=policy.support_email,
            )
        return []


class ActionFallback(Action):
    """First unclear message: ask to rephrase with two guesses. Second in a row: a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        user_turns = [e for e in tracker.events if e.get("event") == "user"]
        previous = user_turns[-2] if len(user_turns) >= 2 else None
        previous_intent = ((previous or {}).get("parse_data") or {}).get("intent", {}).get("name")
        if previous_intent == "nlu_fallback":
            hand_off(dispatcher, "low_confidence")
            return HANDED_OFF
        language = language_of(tracker)
        ranking = tracker.latest_message.get("intent_ranking", [])
        guesses = [r["name"] for r in ranking if r.get("name") in GUESSABLE][:2]
        # A person is always one click away from a message the bot did not get.
        if "human_handoff" not in guesses:
            guesses.append("human_handoff")
        buttons = [{"title": label(name, language), "payload": f"/{name}"} for name in guesses]
        dispatcher.utter_message(response="utter_rephrase", buttons=buttons)
        return []


class ActionHandback(Action):
    """An agent handed the conversation back: the bot resumes with a short line."""

    def name(self) -> str:
        return "action_handback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_handback")
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
