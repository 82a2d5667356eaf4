"""Formatting of dates, money and item lists in the customer's language.

The sentences themselves live in domain.yml (one variation per language);
these helpers only fill their placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from babel.dates import format_date
from babel.numbers import format_currency
from rasa_sdk import Tracker

LANGUAGES = ("en", "uk", "pl", "cs")
DEFAULT_LANGUAGE = "en"
_LOCALES = {"en": "en_GB", "uk": "uk_UA", "pl": "pl_PL", "cs": "cs_CZ"}


def language_of(tracker: Tracker) -> str:
    language = tracker.get_slot("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def date_text(when: datetime | None, language: str) -> str:
    if when is None:
        return ""
    return format_date(when.date(), format="long", locale=_LOCALES[language])


def money_text(amount: str, currency: str, language: str) -> str:
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError):
        return f"{amount} {currency}".strip()
    if not currency:
        return str(value)
    return format_currency(value, currency, locale=_LOCALES[language])


def items_text(items: Iterable[tuple[str, int]]) -> str:
    """`Sneakers ×2, Socks` for (name, quantity) pairs."""
    return ", ".join(name if qty == 1 else f"{name} ×{qty}" for name, qty in items)


# Button labels that actions build at run time (fixed texts live in domain.yml).
LABELS = {
    "all_items": {
        "en": "All items",
        "uk": "Усі товари",
        "pl": "Wszystkie produkty",
        "cs": "Všechny položky",
    },
    # Guesses offered when the bot is unsure what the customer meant.
    "order_status": {
        "en": "Where is my order?",
        "uk": "Де моє замовлення?",
        "pl": "Gdzie jest moje zamówienie?",
        "cs": "Kde je moje objednávka?",
    },
    "return_request": {
        "en": "Return an item",
        "uk": "Повернути товар",
        "pl": "Zwrócić produkt",
        "cs": "Vrátit zboží",
    },
    "refund_status": {
        "en": "Where is my refund?",
        "uk": "Де мої гроші за повернення?",
        "pl": "Gdzie jest zwrot pieniędzy?",
        "cs": "Kde jsou peníze za vrácení?",
    },
    "cancel_order": {
        "en": "Cancel an order",
        "uk": "Скасувати замовлення",
        "pl": "Anulować zamówienie",
        "cs": "Zrušit objednávku",
    },
    "change_address": {
        "en": "Change the delivery address",
        "uk": "Змінити адресу доставки",
        "pl": "Zmienić adres dostawy",
        "cs": "Změnit doručovací adresu",
    },
    "complaint": {
        "en": "Make a complaint",
        "uk": "Подати скаргу",
        "pl": "Złożyć skargę",
        "cs": "Podat reklamaci",
    },
    "human_handoff": {
        "en": "Talk to a person",
        "uk": "Зв'язатися з людиною",
        "pl": "Rozmowa z konsultantem",
        "cs": "Mluvit s operátorem",
    },
    # issue 20: updates. The follow-up's answers ("is everything all right now?").
    "followup_good": {
        "en": "Yes, all good",
        "uk": "Так, усе добре",
        "pl": "Tak, wszystko w porządku",
        "cs": "Ano, vše v pořádku",
    },
    "followup_bad": {
        "en": "No, not really",
        "uk": "Ні, не зовсім",
        "pl": "Nie do końca",
        "cs": "Ne tak úplně",
    },
    "greet": {
        "en": "Just saying hello",
        "uk": "Просто привітатися",
        "pl": "Tylko się przywitać",
        "cs": "Jen pozdravit",
    },
}


# issue 20: an order's status on the "my orders" buttons.
STATUS_LABELS = {
    "pending_payment": {"en": "awaiting payment", "uk": "очікує оплати", "pl": "czeka na płatność", "cs": "čeká na platbu"},
    "paid": {"en": "paid", "uk": "оплачене", "pl": "opłacone", "cs": "zaplacená"},
    "packed": {"en": "packed", "uk": "спаковане", "pl": "spakowane", "cs": "zabalená"},
    "shipped": {"en": "on its way", "uk": "в дорозі", "pl": "w drodze", "cs": "na cestě"},
    "delivered": {"en": "delivered", "uk": "доставлене", "pl": "dostarczone", "cs": "doručená"},
    "cancelled": {"en": "cancelled", "uk": "скасоване", "pl": "anulowane", "cs": "zrušená"},
    "return_in_progress": {"en": "return in progress", "uk": "повернення триває", "pl": "zwrot w toku", "cs": "probíhá vrácení"},
    "refunded": {"en": "refunded", "uk": "кошти повернено", "pl": "zwrócono pieniądze", "cs": "peníze vráceny"},
}  # fmt: skip


def status_label(status: str, language: str) -> str:
    """How an order's status reads on a button; an unknown status as the shop calls it."""
    names = STATUS_LABELS.get(status)
    return (names.get(language) or names[DEFAULT_LANGUAGE]) if names else status


def label(key: str, language: str) -> str:
    return LABELS[key].get(language) or LABELS[key][DEFAULT_LANGUAGE]
