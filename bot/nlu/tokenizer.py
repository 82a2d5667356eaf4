"""Rasa tokenizer whose word features forgive how customers spell.

Customers drop diacritics ("zamowienie", "dziekuje"), double letters for
emphasis ("yesss", "дякуюю") and mix cases. WhitespaceTokenizer keeps those as
distinct words, so "zamówienie" in the training data does not help with
"zamowienie" in a message. This tokenizer splits the same way and sets each
token's lemma to its normalised spelling; CountVectorsFeaturizer counts lemmas
(its `use_lemma` option), so word and character n-gram features become
spelling-insensitive in training and at prediction alike.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.unknown_words import normalise


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class NormalisingTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer with lemmas in normalised spelling."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = normalise(token.text)
        return tokens
