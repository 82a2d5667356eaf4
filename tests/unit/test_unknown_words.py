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
    assert message.get("intent")["confidence"] == 0.0
    assert message.get("intent_ranking")[0]["confidence"] == 0.0


def test_one_known_word_keeps_the_guess() -> None:
    [message] = guard({"where", "order"}).process([parsed("wher is my order")])
    assert message.get("intent")["confidence"] == 0.99


def test_no_words_at_all_is_left_alone() -> None:
    [message] = guard({"order"}).process([parsed("10001 🙂")])
    assert message.get("intent")["confidence"] == 0.99
