"""The intent classifier: what it reads, how it decides, and that it is reproducible."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.classifier import (
    LinearIntentClassifier,
    LinearModel,
    Prediction,
    pick_prediction,
    tfidf,
)
from bot.nlu.text import mask_identifiers, normalise, sentences

TRAINING = {
    "order_status": [
        "where is my order",
        "when will my parcel arrive",
        "has my package shipped yet",
        "track my order please",
        "де моє замовлення",
        "gdzie jest moja paczka",
    ],
    "return_request": [
        "I want to return the shoes",
        "how do I send these back",
        "can I return this jacket",
        "хочу повернути кросівки",
        "chcę zwrócić buty",
        "I'd like to send it back",
    ],
    "human_handoff": [
        "I want to talk to a person",
        "give me a human",
        "connect me with an agent",
        "хочу поговорити з людиною",
        "chcę rozmawiać z konsultantem",
        "real person please",
    ],
    "inform": [
        "my email is anna@example.com",
        "it's 10482",
        "order 10482, jan@wp.pl",
        "olena.k@ukr.net",
        "number 20931",
        "jan.kowalski@gmail.com",
    ],
    "greet": ["hello", "hi there", "good morning", "привіт", "cześć", "hey"],
    "out_of_scope": [
        "what is the weather in Kyiv",
        "tell me a joke",
        "who won the football match",
        "how do I cook borscht",
        "яка погода завтра",
        "jaka jest stolica Australii",
    ],
    "faq/invoice": [
        "how do I get an invoice",
        "can I have a VAT invoice",
        "do you issue receipts",
        "потрібен рахунок-фактура",
        "czy wystawiacie faktury",
        "invoice with my company tax id",
    ],
}


def fitted() -> LinearModel:
    texts = [text for texts in TRAINING.values() for text in texts]
    labels = [label for label, texts in TRAINING.items() for _ in texts]
    model = LinearModel.fit(texts, labels, c=1.0, seed=42)
    model.scale = 5.0
    return model


def test_identifiers_are_masked_for_the_classifier() -> None:
    masked = mask_identifiers("order #10482, mail someone@else.com, tel +380 67 123 45 67")
    assert "10482" not in masked and "someone" not in masked and "380" not in masked
    assert "xorderx" in masked and "xemailx" in masked and "xnumberx" in masked
    assert (
        "xpostcodex" in mask_identifiers("00-950 Warszawa") == mask_identifiers("00-950 Warszawa")
    )
    # A mistyped address still reads as an address, not as its letters.
    assert normalise("olena@@example") == normalise("x@y.com")


def test_spelling_is_evened_out_as_customers_vary_it() -> None:
    assert normalise("Zwrót ZAMÓWIENIA") == normalise("zwrot zamowienia")
    assert normalise("вытаю") == normalise("вітаю")  # Ukrainian typed on a Russian layout
    assert normalise("pleeeease") == normalise("pleease")


def test_long_messages_are_split_into_sentences() -> None:
    story = "Hi! I bought boots last week. They pinch and the heel is loose. I want to return them."
    assert len(sentences(story)) == 4
    assert sentences("where is my order") == ["where is my order"]
    assert len(sentences("Добрий день. Хочу повернути чоботи.")) == 2


def test_an_email_given_as_an_answer_is_data_not_a_request_for_a_person() -> None:
    model = fitted()
    for text in ("someone@else.com", "human.agent@person.com", "10482"):
        assert model.predict([text])[0].label == "inform", text


def test_the_request_in_a_story_decides_the_intent() -> None:
    # The story tilts the whole message towards the order; the last sentence
    # carries the request, and lifts it.
    whole = Prediction([("order_status", 0.5), ("return_request", 0.4), ("greet", 0.1)])
    greeting = Prediction([("greet", 0.9), ("order_status", 0.1)])
    context = Prediction([("order_status", 0.6), ("return_request", 0.3), ("greet", 0.1)])
    request = Prediction([("return_request", 0.8), ("order_status", 0.1), ("greet", 0.1)])
    picked = pick_prediction(whole, [greeting, context, request])
    assert picked.label == "return_request"
    assert sum(c for _, c in picked.ranking) == pytest.approx(1.0)
    # Greetings and thanks lift nothing: the whole message stands.
    thanks = Prediction([("thank", 0.9), ("greet", 0.1)])
    assert pick_prediction(whole, [greeting, thanks]).label == "order_status"
    # A one-sentence message is its own prediction.
    assert pick_prediction(whole, []) is whole


def test_faq_questions_are_the_faq_intent_with_the_question_in_the_selector() -> None:
    component = LinearIntentClassifier({}, None, None, fitted(), threshold=0.0)  # type: ignore[arg-type]
    [message] = component.process([Message(data={"text": "can I get a VAT invoice?"})])
    assert message.get("intent")["name"] == "faq"
    selected = message.get("response_selector")["faq"]["response"]
    assert selected["intent_response_key"] == "faq/invoice"
    assert "faq" in message.get("response_selector")["all_retrieval_intents"]


def test_below_the_threshold_a_message_is_not_understood() -> None:
    component = LinearIntentClassifier({}, None, None, fitted(), threshold=0.999)  # type: ignore[arg-type]
    [unsure, off_topic] = component.process(
        [Message(data={"text": "where is my order"}), Message(data={"text": "tell me a joke"})]
    )
    assert unsure.get("intent")["name"] == "nlu_fallback"
    # Off-topic stays off-topic (its own answer), whatever its confidence.
    assert off_topic.get("intent")["name"] == "out_of_scope"


def test_the_threshold_is_chosen_on_a_validation_split() -> None:
    component = LinearIntentClassifier({"validation_share": 0.5}, None, None)  # type: ignore[arg-type]
    texts = [text for texts in TRAINING.values() for text in texts]
    labels = [label for label, texts in TRAINING.items() for _ in texts]
    scale, threshold = component._validate(texts, labels)
    assert 1 <= scale <= 40
    assert 0.0 < threshold < 1.0


def test_the_same_data_gives_the_same_model() -> None:
    first, second = fitted(), fitted()
    np.testing.assert_array_equal(first.coef, second.coef)
    stored = LinearModel.from_arrays(
        first.arrays(), first.vocabularies(), first.labels, first.scale, False
    )
    texts = ["where is my parcel", "I want to return it", "hello"]
    assert stored.probabilities(texts) == pytest.approx(first.probabilities(texts), abs=1e-6)


def test_features_are_what_scikit_learn_s_transform_gives() -> None:
    # bot.nlu.classifier.tfidf skips transform's per-call checks, not its arithmetic.
    model = fitted()
    stored = LinearModel.from_arrays(
        model.arrays(), model.vocabularies(), model.labels, model.scale, False
    )
    texts = [normalise(t) for t in ["Where is MY parcel??", "хочу повернути", "", "zzz qqq", "a"]]
    for fitted_or_loaded in (model, stored):
        for vectorizer in fitted_or_loaded.vectorizers.values():
            ours, theirs = tfidf(vectorizer, texts), vectorizer.transform(texts)
            assert ours.dtype == theirs.dtype
            np.testing.assert_array_equal(ours.toarray(), theirs.toarray())
