"""Gibberish is not understood rather than guessed."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.unknown_words import UnknownWordsGuard, words


def guard(vocabulary: set[str]) -> UnknownWordsGuard:
    return UnknownWordsGuard(None, None, vocabulary)  # type: ignore[arg-type]


def parsed(text: str) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": "complaint", "confidence": 0.99})
    message.set("intent_ranking", [{"name": "complaint", "confidence": 0.99}])
    return message


def test_words_ignore_numbers_and_case() -> None:
    assert words("Where is ORDER 10001?") == {"where", "is", "order"}


def test_unknown_words_lose_their_confidence() -> None:
    [message] = guard({"where", "order"}).process([parsed("blorf quux zzzt")])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.0}
    assert message.get("intent_ranking")[0]["confidence"] == 0.0


def test_one_known_word_keeps_the_guess() -> None:
    [message] = guard({"where", "order"}).process([parsed("wher is my order")])
    assert message.get("intent")["confidence"] == 0.99


def test_no_words_at_all_is_left_alone() -> None:
    [message] = guard({"order"}).process([parsed("10001 🙂")])
    assert message.get("intent")["confidence"] == 0.99


def test_typed_like_customers_type_is_still_a_known_word() -> None:
    from bot.nlu.unknown_words import Vocabulary

    known = Vocabulary({"cześć", "nieważne", "bye", "yes", "привіт", "дякую", "dzięki"})
    # Missing diacritics, doubled letters, another ending of a known stem.
    for typed in ["czesc", "niewazne", "byee", "yess", "привет", "дякс", "dzięks"]:
        assert known.knows(typed), typed
    # Gibberish and unrelated words stay unknown.
    for typed in ["blorf", "quux", "asdfgh", "hel", "yolo"]:
        assert not known.knows(typed), typed
