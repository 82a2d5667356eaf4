"""What the intent classifier reads: a message with its identifiers masked and
its spelling evened out, split into sentences.

Identifiers are data, not meaning: "someone@else.com" must not be classified by
its letters, nor 10482 by its digits, so each becomes one placeholder word.
Spelling is evened out the way customers vary it: case, diacritics ("zwrot" /
"zwrót"), doubled letters ("pleeease"), and Ukrainian typed on a Russian
keyboard layout ("вытаю" for "вітаю").
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import TYPE_CHECKING

from bot.nlu.language import CYRILLIC, CZECH_LETTERS, POLISH_LETTERS, detect_language
from bot.nlu.patterns import EMAIL, ORDER_NUMBER

if TYPE_CHECKING:
    from spacy.language import Language

# Postal codes: Polish "00-950", Czech "110 00"; a bare five-digit Ukrainian one
# is already caught as an order number. Tracking numbers: 9+ digits, or the
# postal "RR123456789PL" shape. Phone numbers: "+380 67 123 45 67" and the like.
_IDENTIFIERS = (
    (EMAIL, " xemailx "),
    # A mistyped address ("olena@@example") is still an answer to the email question.
    (re.compile(r"[^\s@]*@\S*"), " xemailx "),
    (re.compile(r"\b[a-z]{2}\d{9}[a-z]{2}\b", re.IGNORECASE), " xtrackingx "),
    (re.compile(r"\+?\d[\d ()-]{8,}\d"), " xnumberx "),
    (re.compile(r"\b\d{2}-\d{3}\b|\b\d{3} \d{2}\b"), " xpostcodex "),
    (ORDER_NUMBER, " xorderx "),
)
# Cyrillic letters a Russian keyboard layout puts where Ukrainian ones are.
_RUSSIAN_LAYOUT = str.maketrans({"ы": "і", "э": "є", "ъ": "ї", "ё": "е"})
_APOSTROPHES = re.compile(r"['’ʼ`‘]")
_REPEATS = re.compile(r"(\w)\1{2,}")


def mask_identifiers(text: str) -> str:
    """`text` with emails, order, tracking, phone and postal numbers as placeholders."""
    for pattern, placeholder in _IDENTIFIERS:
        text = pattern.sub(placeholder, text)
    return text


def normalise(text: str) -> str:
    """The form the classifier's features are counted on."""
    text = mask_identifiers(text).casefold().translate(_RUSSIAN_LAYOUT)
    text = _APOSTROPHES.sub("", text).replace("ł", "l")
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _REPEATS.sub(r"\1\1", plain)


def message_language(text: str) -> str:
    """The language whose sentence rules split `text`: en, uk, pl or cs."""
    language = detect_language(text)
    if language:
        return language
    if CYRILLIC.search(text):
        return "uk"
    if POLISH_LETTERS.search(text):
        return "pl"
    return "cs" if CZECH_LETTERS.search(text) else "en"


@cache
def sentence_splitter(language: str) -> Language:
    """spaCy's blank pipeline for `language` with the rule-based sentencizer."""
    import spacy

    pipeline = spacy.blank(language)
    pipeline.add_pipe("sentencizer")
    return pipeline


def sentences(text: str) -> list[str]:
    """The sentences of `text` (one item for a one-sentence message)."""
    doc = sentence_splitter(message_language(text))(text)
    found = [sentence.text.strip() for sentence in doc.sents]
    return [sentence for sentence in found if re.search(r"\w", sentence)] or [text]
