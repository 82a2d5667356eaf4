"""Rasa tokenizer that gives every token its dictionary form (lemma).

Ukrainian and Polish are highly inflected: "замовлення", "замовленням",
"замовлень" or "zamówienia", "zamówieniem" are one word for the classifier's
purposes, but distinct strings for a whitespace tokenizer. This tokenizer picks
the message's language, splits it with spaCy's rules for that language (a blank
pipeline: tokenizer only, no model to download) and sets each token's lemma:
pymorphy3 for Cyrillic words, simplemma for Polish and English. Rasa's
CountVectorsFeaturizer counts `token.lemma` (its `use_lemma` option defaults to
true), so word features become lemma features.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import simplemma
import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language import CYRILLIC, POLISH_LETTERS, detect_language

if TYPE_CHECKING:
    from pymorphy3 import MorphAnalyzer
    from spacy.language import Language

FALLBACK_LANGUAGE = "en"

# A token worth a feature has a letter or a digit; punctuation and emoji are
# dropped, as WhitespaceTokenizer drops them.
WORD = re.compile(r"\w")
# Typographic apostrophes ("пам’ять", "памʼять") are looked up as the ASCII one,
# which is how pymorphy3's Ukrainian dictionary spells them.
APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'"})


@cache
def blank_pipeline(language: str) -> Language:
    """spaCy's tokenizer for `language` (en, uk or pl), built once."""
    return spacy.blank(language)


@cache
def morph_analyzer(language: str) -> MorphAnalyzer:
    """pymorphy3's analyser for `language` (uk, or ru as a fallback), built once."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=language)


def message_language(text: str) -> str:
    """The language whose rules tokenise `text`: en, uk or pl."""
    language = detect_language(text)
    if language:
        return language
    # Short or unclear messages ("ok", "10482", "так"): the script decides.
    if CYRILLIC.search(text):
        return "uk"
    if POLISH_LETTERS.search(text):
        return "pl"
    return FALLBACK_LANGUAGE


@lru_cache(maxsize=65536)
def cyrillic_lemma(word: str) -> str:
    """The lemma of a lower-case Cyrillic word.

    Ukrainian first; a word the Ukrainian dictionary does not know but the
    Russian one does ("где", "заказа", a frequent mix in Ukrainian chats) takes
    the Russian lemma; anything else takes pymorphy3's Ukrainian guess.
    """
    word = word.translate(APOSTROPHES)
    parses = morph_analyzer("uk").parse(word)
    if parses[0].is_known:
        # The dictionary has no frequencies for Ukrainian, so the first parse
        # is arbitrary among equals: a word that is a dictionary form under any
        # parse keeps itself ("людина", not the adjective "людин").
        if any(parse.normal_form == word for parse in parses):
            return word
        return str(parses[0].normal_form)
    russian = morph_analyzer("ru").parse(word)[0]
    if russian.is_known:
        return str(russian.normal_form)
    return str(parses[0].normal_form)


@lru_cache(maxsize=65536)
def latin_lemma(word: str, language: str) -> str:
    """The lemma of a lower-case Latin-script word, by simplemma (pl or en)."""
    if not any(char.isalpha() for char in word):
        return word  # numbers, order ids
    # simplemma's tables are not idempotent: "zamówienia" -> "zamówienie" ->
    # "zamówić". Following the chain gives a word and its lemma one feature.
    for _ in range(3):
        lemma = str(simplemma.lemmatize(word, lang=language)).lower()
        if lemma == word:
            break
        word = lemma
    return word


def lemmatize(word: str, language: str) -> str:
    """The lower-case lemma of `word` in a message in `language` (en, uk or pl)."""
    lower = word.lower()
    if CYRILLIC.search(lower):
        return cyrillic_lemma(lower)
    # Latin words in a Ukrainian message ("ok", "email") are read as English.
    return latin_lemma(lower, "pl" if language == "pl" else "en")


def lemma_tokens(text: str) -> list[Token]:
    """Tokens of `text`, each with its lemma, offsets into `text` kept."""
    language = message_language(text)
    doc = blank_pipeline(language)(text)
    visible = [t for t in doc if t.text.strip()]
    words = [t for t in visible if WORD.search(t.text)]
    if not words:
        # Only emoji or punctuation (":)", "👋", "?"): keep them, as
        # WhitespaceTokenizer keeps the whole text, so the message has features.
        return [Token(t.text, t.idx, lemma=t.text) for t in visible]
    return [Token(t.text, t.idx, lemma=lemmatize(t.text, language)) for t in words]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LemmaTokenizer(Tokenizer):
    """Tokenises with spaCy's rules for the message's language; sets lemmas.

    A drop-in replacement for WhitespaceTokenizer, with the same options
    (intent splitting, token pattern, prefix separator).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see the parent class)."""
        return {
            # Whether to split intent names into tokens, and on which symbol.
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            # A regular expression that further splits tokens.
            "token_pattern": None,
            # Symbol on which a prefix of an intent name is split off.
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Python packages the component needs."""
        return ["spacy", "pymorphy3", "simplemma"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LemmaTokenizer:
        """Creates the component (see the parent class)."""
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokens of the message's `attribute` (text, response, action text)."""
        text = message.get(attribute)
        if not isinstance(text, str) or not text.strip():
            return []
        return self._apply_token_pattern(lemma_tokens(text))
