"""Rasa component that extracts order numbers and emails with fixed patterns.

Why not DIET: these identifiers have a strict shape, and a statistical
extractor both misses unseen formats and returns the raw token (`ORD-10482`)
instead of the value the shop needs (`10482`).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.patterns import find_emails, find_order_numbers


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PatternEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `order_id` and `email` entities with normalised values."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PatternEntityExtractor:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            emails = find_emails(text)
            # Digits inside an email address are not an order number.
            inside_email = [(start, end) for _, start, end in emails]
            found = [self._entity("email", value, start, end) for value, start, end in emails]
            found += [
                self._entity("order_id", value, start, end)
                for value, start, end in find_order_numbers(text)
                if not any(s <= start < e for s, e in inside_email)
            ]
            others = [
                e for e in message.get(ENTITIES, []) if e.get("entity") not in ("order_id", "email")
            ]
            message.set(ENTITIES, others + found, add_to_output=True)
        return messages

    def _entity(self, name: str, value: str, start: int, end: int) -> dict[str, Any]:
        return {
            "entity": name,
            "value": value,
            "start": start,
            "end": end,
            "confidence_entity": 1.0,
            "extractor": self.__class__.__name__,
        }
