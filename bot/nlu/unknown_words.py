"""Rasa component: a message made only of words the bot never saw is not understood.

A classifier always ranks some intent first, gibberish included ("blorf quux").
When none of a message's words resembles a
word of the training data, this component drops the intent's confidence to
zero and its name to `nlu_fallback`: "not understood" instead of a guess. "Resembles" forgives what customers really type: missing
diacritics ("czesc"), repeated letters ("yess"), and other endings of a known
stem ("dzięks", "привет").
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

WORD = re.compile(r"[^\W\d_]{2,}")
VOCABULARY_FILE = "vocabulary.json"
FALLBACK = "nlu_fallback"


REPEATS = re.compile(r"(.)\1+")
# Letters of a word's beginning that must match a known word's ("stem").
STEM = 4


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


def normalise(word: str) -> str:
    """Lower case, no diacritics, no doubled letters: "Dziękuję" -> "dziekuje"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return REPEATS.sub(r"\1", plain.replace("ł", "l"))


def stems(word: str) -> set[str]:
    """The beginnings a known word lends to look-alikes (short words lend one letter less)."""
    return {word[:length] for length in (STEM - 1, STEM) if len(word) > length}


class Vocabulary:
    """Known words, looked up the forgiving way."""

    def __init__(self, known: set[str]) -> None:
        self.words = {normalise(word) for word in known}
        self.stems = set().union(*(stems(word) for word in self.words))

    def knows(self, word: str) -> bool:
        word = normalise(word)
        if word in self.words:
            return True
        stem = word[: STEM if len(word) > STEM else STEM - 1]
        return len(word) > STEM - 1 and stem in self.stems


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsGuard(GraphComponent):
    """Makes a message with no known word `nlu_fallback`, at confidence zero."""

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, vocabulary: set[str] | None = None
    ) -> None:
        self._storage, self._resource = model_storage, resource
        self.vocabulary = vocabulary or set()
        self._lookup = Vocabulary(self.vocabulary)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsGuard:
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsGuard:
        with model_storage.read_from(resource) as folder:
            vocabulary = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(model_storage, resource, set(vocabulary))

    def train(self, training_data: TrainingData) -> Resource:
        for example in training_data.training_examples:
            self.vocabulary |= words(example.get(TEXT) or "")
        with self._storage.write_to(self._resource) as folder:
            (folder / VOCABULARY_FILE).write_text(
                json.dumps(sorted(self.vocabulary), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            seen = words(message.get(TEXT) or "")
            intent = message.get(INTENT)
            if seen and intent and not any(self._lookup.knows(word) for word in seen):
                message.set(INTENT, {"name": FALLBACK, "confidence": 0.0}, add_to_output=True)
                ranking = message.get(INTENT_RANKING_KEY) or []
                if ranking:
                    message.set(
                        INTENT_RANKING_KEY,
                        [{**ranking[0], "confidence": 0.0}, *ranking[1:]],
                        add_to_output=True,
                    )
        return messages
