"""The order form finds every topic and each topic's own slot logic."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import order_request
from actions.topics import CHOICE, FREE_TEXT, YES_NO, Topic

DOMAIN = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text(encoding="utf-8"))
FORM_SLOTS = DOMAIN["forms"]["order_request_form"]["required_slots"]


def test_every_topic_module_is_found() -> None:
    assert set(order_request.TOPICS) == {
        "order_status",
        "return",
        "refund",
        "cancel",
        "address",
        "complaint",
        "orders",
    }
    assert all(isinstance(topic, Topic) for topic in order_request.TOPICS.values())


def test_every_question_is_a_form_slot_of_a_known_kind() -> None:
    assert set(order_request.QUESTIONS) == set(FORM_SLOTS) - {"topic", "order_id", "email"}
    assert {q.kind for q in order_request.QUESTIONS.values()} <= {FREE_TEXT, CHOICE, YES_NO}
    # What the customer types freely is never mistaken for a new request.
    assert {
        "return_reason",
        "new_address",
        "complaint_description",
        "complaint_photo",
    } == order_request.FREE_TEXT_SLOTS
    assert (
        order_request.FREE_TEXT_SLOTS
        | {
            "return_items",
            "complaint_category",
        }
        == order_request.ANSWER_SLOTS
    )


def tracker(topic: str, requested: str, text: str, intent: str = "inform") -> Tracker:
    return Tracker(
        sender_id="t1",
        slots={"topic": topic, "requested_slot": requested},
        latest_message={"text": text, "intent": {"name": intent}, "entities": []},
        events=[{"event": "user", "text": text}],
        paused=False,
        followup_action=None,
        active_loop={"name": "order_request_form"},
        latest_action_name="action_listen",
    )


async def test_the_form_asks_each_topics_own_extractor() -> None:
    form = order_request.ValidateOrderRequestForm()
    dispatcher = CollectingDispatcher()
    extract = form.extract_complaint_category
    assert await extract(dispatcher, tracker("complaint", "complaint_category", "broken"), {}) == {
        "complaint_category": "damaged"
    }
    # Another topic's question is not this topic's answer.
    assert await extract(dispatcher, tracker("return", "complaint_category", "broken"), {}) == {}
    confirm = form.extract_confirm
    for topic in ("cancel", "address"):
        answer = tracker(topic, "confirm", "yes", intent="affirm")
        assert await confirm(dispatcher, answer, {}) == {"confirm": True}
    with pytest.raises(AttributeError):
        form.validate_confirm  # noqa: B018 (no topic validates a yes or no)
