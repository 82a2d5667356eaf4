"""The bot's first words in a chat that carries on a website conversation.

Triggered by the gateway (intent `continued_from_web`) once it has copied the
website chat's slots here (bot/gateway/continuation.py). With `resume_request`
= "yes" a request was under way there: the form asks its next question again.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

FORM = "order_request_form"


class ActionContinueFromWeb(Action):
    """Says the conversation goes on from the website (naming the order, if one was
    discussed), then picks up an unfinished request where it stopped, or asks what
    else the customer needs."""

    def name(self) -> str:
        return "action_continue_from_web"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order_id = tracker.get_slot("verified_order_id") or tracker.get_slot("order_id")
        if order_id:
            dispatcher.utter_message(response="utter_continued_from_web_order", order_id=order_id)
        else:
            dispatcher.utter_message(response="utter_continued_from_web")
        if next(tracker.get_latest_entity_values("resume_request"), None) == "yes":
            return [FollowupAction(FORM)]  # the form asks its question again
        dispatcher.utter_message(response="utter_anything_else")
        return []
