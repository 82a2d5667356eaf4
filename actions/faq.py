"""Self-service answers: the ResponseSelector picks the question, the policy file answers."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.texts import language_of
from bot.policy import PolicyError, load_policy


def faq_topic(tracker: Tracker) -> str | None:
    """`shipping_cost` for a message the selector labelled `faq/shipping_cost`."""
    selectors = tracker.latest_message.get("response_selector", {})
    # The selector's entry is "default" unless it was trained for one retrieval intent.
    for name in ("faq", "default"):
        key = selectors.get(name, {}).get("response", {}).get("intent_response_key") or ""
        if key.startswith("faq/"):
            return key.split("/", 1)[1]
    return None


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        topic = faq_topic(tracker)
        try:
            answer = load_policy().answer(topic, language_of(tracker)) if topic else None
        except PolicyError:
            answer = None
        if answer:
            dispatcher.utter_message(text=answer)
        else:
            dispatcher.utter_message(response="utter_default")
        return []
