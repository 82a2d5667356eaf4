"""The lemma tokenizer: inflected forms meet, offsets stay true, options work."""

from __future__ import annotations

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.lemmas import LemmaTokenizer, lemma_tokens, lemmatize, message_language


def tokenizer(**options: object) -> LemmaTokenizer:
    return LemmaTokenizer({**LemmaTokenizer.get_default_config(), **options})


def lemmas(text: str) -> list[str]:
    return [token.lemma for token in lemma_tokens(text)]


def texts(tokens: list[Token]) -> list[str]:
    return [token.text for token in tokens]


@pytest.mark.parametrize(
    ("forms", "language"),
    [
        (["замовлення", "замовленням", "замовлень", "замовленню"], "uk"),
        (["посилка", "посилку", "посилкою", "посилки"], "uk"),
        (["zamówienia", "zamówieniem", "zamówienie", "zamówień"], "pl"),
        (["paczka", "paczki", "paczkę"], "pl"),
        (["orders", "ordered", "order", "ordering"], "en"),
    ],
)
def test_inflected_forms_share_a_lemma(forms: list[str], language: str) -> None:
    assert len({lemmatize(form, language) for form in forms}) == 1


def test_known_lemmas() -> None:
    assert lemmas("Where are my orders? I ordered a jacket") == [
        "where",
        "be",
        "my",
        "order",
        "i",
        "order",
        "a",
        "jacket",
    ]
    assert lemmas("де моє замовлення") == ["де", "мій", "замовлення"]
    assert lemmas("gdzie są moje paczki") == ["gdzie", "być", "mój", "paczka"]


def test_lemmas_are_lower_case() -> None:
    assert lemmas("ORDERS Замовленням ZAMÓWIENIEM") == lemmas("orders замовленням zamówieniem")
    assert all(lemma == lemma.lower() for lemma in lemmas("Where IS My ORDER, Kramar?"))


def test_a_ukrainian_dictionary_form_keeps_itself() -> None:
    # pymorphy3's first parse of "людина" is an adjective with lemma "людин".
    assert lemmatize("людина", "uk") == "людина"
    assert lemmatize("людей", "uk") == "людина"


def test_russian_influenced_words_take_the_russian_lemma() -> None:
    assert lemmatize("заказа", "uk") == "заказ"
    assert lemmatize("где", "uk") == "где"
    assert lemmas("где мой заказ") == ["где", "мой", "заказ"]


def test_typographic_apostrophes_are_one_word() -> None:
    assert lemmatize("пам’ять", "uk") == lemmatize("пам'ять", "uk") == lemmatize("памʼять", "uk")
    assert texts(lemma_tokens("п’ятниця")) == ["п’ятниця"]


def test_numbers_and_identifiers_are_kept() -> None:
    assert lemmas("order 10482") == ["order", "10482"]
    tokens = lemma_tokens("my email is anna@example.com")
    assert texts(tokens)[-1] == "anna@example.com"


@pytest.mark.parametrize(
    "text",
    [
        "Where's my order #10482?!",
        "  Де   моє замовлення, будь ласка?  ",
        "Gdzie jest moje zamówienie?? nr 10482 :)",
        "hi 👋 can u check ORD-11209\nthanks",
        "пам’ять — це ім'я",
    ],
)
def test_offsets_match_the_text(text: str) -> None:
    tokens = lemma_tokens(text)
    assert tokens
    for token in tokens:
        assert text[token.start : token.end] == token.text
    starts = [token.start for token in tokens]
    assert starts == sorted(starts)


def test_punctuation_and_emoji_are_dropped_next_to_words() -> None:
    assert texts(lemma_tokens("where is my order?!")) == ["where", "is", "my", "order"]
    assert texts(lemma_tokens("hi 👋, Kramar!")) == ["hi", "Kramar"]
    assert texts(lemma_tokens("Order #10482...")) == ["Order", "10482"]


def test_a_message_of_only_symbols_keeps_them() -> None:
    assert texts(lemma_tokens(":)")) == [":)"]
    assert texts(lemma_tokens("👋")) == ["👋"]
    assert lemmas("?") == ["?"]


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_has_no_tokens(text: str) -> None:
    assert lemma_tokens(text) == []
    assert tokenizer().tokenize(Message(data={TEXT: text}), TEXT) == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("where is my parcel", "en"),
        ("де моє замовлення", "uk"),
        ("так", "uk"),
        ("gdzie jest moja paczka", "pl"),
        ("źle", "pl"),
        ("ok", "en"),
        ("10482", "en"),
    ],
)
def test_message_language(text: str, language: str) -> None:
    assert message_language(text) == language


def test_process_sets_text_tokens() -> None:
    message = Message(data={TEXT: "Where are my orders?"})
    tokenizer().process([message])
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert texts(tokens) == ["Where", "are", "my", "orders"]
    assert tokens[-1].lemma == "order"


def test_intent_split_option() -> None:
    data = TrainingData([Message(data={TEXT: "where is it", INTENT: "order_status"})])
    tokenizer(intent_tokenization_flag=True).process_training_data(data)
    assert texts(data.training_examples[0].get(TOKENS_NAMES[INTENT])) == ["order", "status"]

    data = TrainingData([Message(data={TEXT: "where is it", INTENT: "order_status"})])
    tokenizer().process_training_data(data)
    assert texts(data.training_examples[0].get(TOKENS_NAMES[INTENT])) == ["order_status"]


def test_token_pattern_option() -> None:
    message = Message(data={TEXT: "track ORD-11209"})
    tokens = tokenizer(token_pattern=r"[A-Za-z]+|\d+").tokenize(message, TEXT)
    assert texts(tokens) == ["track", "ORD", "11209"]
    assert [(t.start, t.end) for t in tokens] == [(0, 5), (6, 9), (10, 15)]
