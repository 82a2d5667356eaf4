"""Word features do not depend on diacritics, doubled letters or case."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import NormalisingTokenizer


def lemmas(text: str) -> list[str]:
    tokenizer = NormalisingTokenizer(NormalisingTokenizer.get_default_config())
    return [token.lemma for token in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_spellings_of_one_word_share_a_lemma() -> None:
    assert lemmas("Zamówienie DZIĘKUJĘ") == lemmas("zamowienie dziekuje")
    assert lemmas("yesss thankss") == lemmas("yes thanks")
    assert lemmas("Дякую, ЗАМОВЛЕННЯ ЇДЕ") == lemmas("дякуююю замовлення іде")


def test_text_and_offsets_are_kept() -> None:
    tokenizer = NormalisingTokenizer(NormalisingTokenizer.get_default_config())
    [token] = tokenizer.tokenize(Message(data={"text": "Łódź"}), "text")
    assert (token.text, token.start, token.end, token.lemma) == ("Łódź", 0, 4, "lodz")


def test_different_words_stay_different() -> None:
    assert lemmas("return refund") == ["return", "refund"]
    assert lemmas("так tak") == ["так", "tak"]
