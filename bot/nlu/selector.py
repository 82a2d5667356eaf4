"""Rasa component: the ResponseSelector, run only where its answer is used.

Rasa runs the ResponseSelector on every message, though only messages
classified as a retrieval intent (`faq`) need it to say which question it is.
It costs as much as the intent classifier itself (about an eighth of a Rasa
process's CPU under load, docs/benchmarks.md), so it is skipped for the rest.
"""

from __future__ import annotations

import warnings

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message

# Rasa's config check looks for the ResponseSelector class itself, not a subclass.
warnings.filterwarnings(
    "ignore", message="You have defined training data with examples for training a response"
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RetrievalResponseSelector(ResponseSelector):
    """ResponseSelector that only looks at messages of a retrieval intent."""

    _warmed_up = False

    def process(self, messages: list[Message]) -> list[Message]:
        if not self._warmed_up:
            # The model's first prediction builds its TensorFlow graph, which
            # blocks the server for seconds: pay that on the first message a
            # process parses (its warm-up at start, bot/channels/rest.py), not
            # on the first `faq` a customer asks under load.
            self._warmed_up = True
            return super().process(messages)
        wanted = [message for message in messages if self._is_retrieval(message)]
        if wanted:
            super().process(wanted)
        return messages

    def _is_retrieval(self, message: Message) -> bool:
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        return intent in self.all_retrieval_intents
