"""The response selector answers for retrieval intents and skips the rest."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.selector import RetrievalResponseSelector


class ReachedModel(Exception):
    pass


class Recording(RetrievalResponseSelector):
    """Stops where the trained model would be asked: only the routing is under test."""

    def __init__(self, warmed_up: bool = True) -> None:
        self.all_retrieval_intents = ["faq"]
        self._warmed_up = warmed_up

    def _predict(self, message: Message) -> Any:
        raise ReachedModel(message.get("text"))


def message(text: str, intent: str | None) -> Message:
    data: dict[str, Any] = {"text": text}
    if intent:
        data["intent"] = {"name": intent, "confidence": 0.9}
    return Message(data=data)


def test_other_intents_skip_the_model() -> None:
    messages = [message("hello", "greet"), message("no intent", None)]
    assert Recording().process(messages) == messages


def test_retrieval_intents_reach_the_model() -> None:
    with pytest.raises(ReachedModel, match="how much is shipping"):
        Recording().process([message("hello", "greet"), message("how much is shipping?", "faq")])


def test_the_first_message_warms_the_model_up() -> None:
    with pytest.raises(ReachedModel, match="hello"):
        Recording(warmed_up=False).process([message("hello", "greet")])
