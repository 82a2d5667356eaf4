"""Which language a message is in, and when the bot should not guess."""

from __future__ import annotations

import pytest

from bot.nlu.language import detect_language, requested_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("where is my parcel", "en"),
        ("hello", "en"),
        ("де моє замовлення", "uk"),
        ("где мой заказ", "uk"),
        ("de moe zamovlennya", "uk"),
        ("gdzie jest moja paczka", "pl"),
        ("dziękuję bardzo", "pl"),
        ("dzieki", "pl"),
        ("hi, gdzie moja paczka?", "pl"),
        ("Dobrý den, kde je moje objednávka 10021?", "cs"),
        ("chci vratit boty", "cs"),
        ("kde je moje objednavka", "cs"),
        ("díky moc", "cs"),
        ("zamówienie nie dotarło", "pl"),
        # Slovak customers are answered in Czech.
        ("chcem vrátiť topánky", "cs"),
        ("ďakujem", "cs"),
    ],
)
def test_clear_messages(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["ok", "10001", "anna@example.com", "🙂", "", "no"])
def test_no_guess_when_unclear(text: str) -> None:
    assert detect_language(text) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("can we speak Polish?", "pl"),
        ("можна українською?", "uk"),
        ("po angielsku proszę", "en"),
        ("speak ukrainian please", "uk"),
        ("czy mogę pisać po polsku", "pl"),
        ("můžeme mluvit česky?", "cs"),
        ("po slovensky prosím", "cs"),
        ("can you write in Czech", "cs"),
    ],
)
def test_requested_language(text: str, language: str) -> None:
    assert requested_language(text) == language
