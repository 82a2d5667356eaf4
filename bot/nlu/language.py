"""Rasa component that tells which of the shop's languages a message is in.

It adds a `language` entity only when the message says so clearly; the
`language` slot is filled from that entity, so a short "ok" or an order number
keeps the conversation's language, and a full sentence in another language
(or an explicit "can we speak Polish?") switches it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.common_words import COMMON_WORDS
from bot.nlu.patterns import EMAIL, ORDER_NUMBER

LANGUAGES = ("en", "uk", "pl", "cs")

# Names of the languages as customers write them, for explicit switch requests.
LANGUAGE_NAMES = {
    "en": re.compile(r"english|angiel|англ|англий", re.IGNORECASE),
    "uk": re.compile(r"ukrai|ukraiń|ukrain|украї|україн|украин|укр\b|ukr\b", re.IGNORECASE),
    "pl": re.compile(r"polish|polsk|польськ|польск", re.IGNORECASE),
    # Slovak customers are answered in Czech.
    "cs": re.compile(
        r"czech|česk|cesk|češt|cest|czesk|чеськ|чешск|slovak|slovensk|słowack|словацьк",
        re.IGNORECASE,
    ),
}

POLISH_LETTERS = re.compile(r"[ąćęłńśźż]", re.IGNORECASE)
# Czech and Slovak letters Polish does not have (ó is in all three).
CZECH_LETTERS = re.compile(r"[áčďéěíňřšťúůýžľĺŕäô]", re.IGNORECASE)
CYRILLIC = re.compile(r"[а-яіїєґё]", re.IGNORECASE)
LATIN = re.compile(r"[a-z]", re.IGNORECASE)

# Words that settle it alone: Ukrainian typed in Latin letters, and common
# Polish and Czech words typed without diacritics.
HINT_WORDS = {
    "uk": {
        "pryvit",
        "privit",
        "dyakuyu",
        "diakuiu",
        "dyakuju",
        "zamovlennya",
        "zamovlennia",
        "zamovlenia",
        "de",
        "moe",
        "moye",
        "moie",
        "dobryi",
        "dobriy",
        "ni",
        "posylka",
        "posilka",
        "bud",
        "laska",
    },
    "pl": {"dzieki", "dziekuje", "prosze", "czesc", "zamowienie", "zamowienia"},
    "cs": {
        "dekuji",
        "dekuju",
        "diky",
        "dik",
        "prosim",
        "ahoj",
        "cau",
        "objednavka",
        "objednavku",
        "objednavky",
        "chci",
        "chcem",
        "dakujem",
        "dobry",
        "nashle",
    },
}


def detect_language(text: str) -> str | None:
    """The language of `text` if it is clear, else None."""
    text = ORDER_NUMBER.sub(" ", EMAIL.sub(" ", text))
    cyrillic, latin = len(CYRILLIC.findall(text)), len(LATIN.findall(text))
    if cyrillic > latin:
        return "uk"
    if latin == 0:
        return None
    polish, czech = len(POLISH_LETTERS.findall(text)), len(CZECH_LETTERS.findall(text))
    if polish != czech:
        return "pl" if polish > czech else "cs"
    words = {w.lower() for w in re.findall(r"[a-z]+", text, re.IGNORECASE)}
    uk_hints = len(words & HINT_WORDS["uk"])
    if uk_hints and uk_hints * 2 >= len(words):
        return "uk"
    pl_hints, cs_hints = len(words & HINT_WORDS["pl"]), len(words & HINT_WORDS["cs"])
    if pl_hints != cs_hints:
        return "pl" if pl_hints > cs_hints else "cs"
    return by_common_words(text)


def by_common_words(text: str) -> str | None:
    """The language whose common words the message uses clearly most, if one.

    A word list (bot/nlu/common_words.py) instead of a language-identification
    library: simplemma's dictionaries held 550 MB in every Rasa process.
    """
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c)).replace("ł", "l")
    words = re.findall(r"[a-z]+", plain)
    if not words:
        return None
    shares = {
        lang: sum(word in common for word in words) / len(words)
        for lang, common in COMMON_WORDS.items()
    }
    best, second = sorted(shares, key=lambda lang: -shares[lang])[:2]
    if shares[best] >= 0.3 and shares[best] - shares[second] >= 0.15:
        return best
    return None


def requested_language(text: str) -> str | None:
    """The language a switch request names ("po polsku", "in English"), if one."""
    named = [lang for lang, pattern in LANGUAGE_NAMES.items() if pattern.search(text)]
    return named[0] if len(named) == 1 else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity (en/uk/pl/cs) when the message's language is clear.

    Must run after the intent classifier: a `switch_language` message takes the
    language it names, not the one it is written in.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get("name")
            language = None
            if intent == "switch_language":
                language = requested_language(text)
            language = language or detect_language(text)
            if language:
                entity = {
                    "entity": "language",
                    "value": language,
                    "start": 0,
                    "end": len(text),
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                }
                message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages
