"""The intents the bot knows, read from Rasa's domain.yml: the choices an agent
has when correcting a misunderstood message."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.conversations.models import EVENT_INTENTS, FALLBACK_INTENT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intents:
    # What can be trained: retrieval intents (faq) appear as their sub-intents
    # (faq/shipping_cost, ...), since Rasa trains those, never a bare "faq".
    trainable: tuple[str, ...]
    # What the NLU may predict from a customer's words, for the review filters.
    # Neither lists the intents the gateway sends around events (EVENT_INTENTS).
    predicted: tuple[str, ...]


def load_intents(domain_path: Path) -> Intents:
    try:
        domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        log.warning("Cannot read intents from %s: %s", domain_path, error)
        return Intents(trainable=(), predicted=(FALLBACK_INTENT,))
    names = [
        name
        for name in map(_intent_name, domain.get("intents") or [])
        if name and name not in EVENT_INTENTS
    ]
    responses = domain.get("responses") or {}
    retrieval: dict[str, list[str]] = {}
    for key in responses:
        base, _, question = str(key).removeprefix("utter_").partition("/")
        if question and base in names:
            retrieval.setdefault(base, []).append(f"{base}/{question}")
    trainable: list[str] = []
    for name in names:
        trainable.extend(sorted(retrieval[name]) if name in retrieval else [name])
    return Intents(trainable=tuple(trainable), predicted=(*names, FALLBACK_INTENT))


def _intent_name(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and len(entry) == 1:
        return str(next(iter(entry)))
    return None
