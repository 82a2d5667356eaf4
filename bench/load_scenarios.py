"""Conversations the load benchmark's simulated customers play.

A conversation is a list of steps. A step is either a text the customer types
or a `Click`: a button of the bot's last reply, chosen at random among those
whose payload matches, skipped when the reply has no such button (a return
blocked by the window has no item buttons). So a customer follows the flow the
bot actually takes, as a person would.

Kramar's customers write in their own language (en, uk or pl, from the shop's
customer record) about real seeded orders with the right email. Plain Rasa's
customers use the intents of `rasa init`'s bot in sequences of similar length.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Reply = dict[str, Any]


@dataclass(frozen=True)
class Click:
    """Clicks a button of the last reply whose payload matches `payload`."""

    payload: str  # a regular expression, matched in full

    def choose(self, replies: Sequence[Reply], rng: random.Random) -> str | None:
        pattern = re.compile(self.payload)
        payloads = [
            str(button.get("payload", ""))
            for reply in replies
            for button in reply.get("buttons") or []
            if pattern.fullmatch(str(button.get("payload", "")))
        ]
        return rng.choice(payloads) if payloads else None


Step = str | Click


@dataclass(frozen=True)
class Conversation:
    kind: str
    language: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class ShopOrder:
    """What a customer knows about one seeded order."""

    id: int
    status: str
    email: str
    language: str


# Buttons of the return flow: items are numbered ("1", "2", ...) or "*" for
# all; reasons carry their own text. Intent payloads start with "/".
ITEM_BUTTON = Click(r"\d+|\*")
REASON_BUTTON = Click(r"[^/\d*].*")

KRAMAR_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "greet": ("hello", "hi there", "good morning"),
        "ask": ("Hi, where is my order {id}?", "has my order {id} shipped yet?"),
        "ask_bare": ("where's my parcel??", "has my package shipped yet?"),
        "number": ("it's #{id}", "{id}"),
        "return": ("I'd like to return something from order {id}",),
        "cancel": ("please cancel my order {id}", "I want to cancel order {id}"),
        "faq": (
            "how much does shipping cost to Poland?",
            "how fast do you deliver?",
            "can I pay with Apple Pay?",
            "do you issue VAT invoices for companies?",
            "how many days do I have to return?",
            "what's your phone number?",
        ),
        "bot": ("are you a bot?",),
        "thanks": ("thanks a lot!", "thank you"),
        "bye": ("bye", "goodbye"),
    },
    "uk": {
        "greet": ("добрий день", "привіт"),
        "ask": ("Добрий день, де моє замовлення {id}?", "де моє замовлення {id}"),
        "ask_bare": ("коли приїде моя посилка",),
        "number": ("замовлення {id}", "{id}"),
        "return": ("хочу повернути товар із замовлення {id}",),
        "cancel": ("хочу скасувати замовлення {id}",),
        "faq": (
            "скільки днів є на повернення?",
            "скільки за доставку в Польщу?",
            "за скільки днів доставляєте?",
            "можна оплатити при отриманні?",
            "як з вами зв'язатися?",
        ),
        "bot": ("ти бот?",),
        "thanks": ("дякую",),
        "bye": ("до побачення",),
    },
    "pl": {
        "greet": ("dzień dobry", "cześć"),
        "ask": ("Dzień dobry, gdzie jest moje zamówienie {id}?",),
        "ask_bare": ("gdzie jest moja paczka",),
        "number": ("zamówienie nr {id}", "{id}"),
        "return": ("chcę zwrócić produkt z zamówienia {id}",),
        "cancel": ("chcę anulować zamówienie {id}",),
        "faq": (
            "czy mogę zapłacić BLIK-iem?",
            "jak długo idzie paczka?",
            "jakie są zasady zwrotów?",
            "wystawiacie faktury?",
            "jaki jest wasz numer telefonu?",
        ),
        "bot": ("czy ty jesteś botem?",),
        "thanks": ("dzięki",),
        "bye": ("do widzenia",),
    },
}

# How often each kind of conversation starts (relative weights).
KRAMAR_MIX = {
    "order_status": 30,
    "order_status_stepwise": 15,
    "return": 20,
    "cancel_kept": 10,
    "faq": 25,
}
# The customer changes their mind at the confirmation: the shop's orders stay as seeded.
KEEP_BUTTON = Click(r"/deny")


class KramarCustomers:
    """Draws Kramar conversations about the seeded orders."""

    def __init__(self, orders: Sequence[ShopOrder]) -> None:
        if not orders:
            raise ValueError("no seeded orders to talk about")
        self.orders = list(orders)
        self.delivered = [o for o in orders if o.status == "delivered"] or self.orders

    def __call__(self, rng: random.Random) -> Conversation:
        kind = rng.choices(list(KRAMAR_MIX), weights=list(KRAMAR_MIX.values()))[0]
        order = rng.choice(self.delivered if kind == "return" else self.orders)
        language = order.language if order.language in KRAMAR_PHRASES else "en"
        return Conversation(kind, language, self._steps(kind, order, language, rng))

    @staticmethod
    def _steps(kind: str, order: ShopOrder, language: str, rng: random.Random) -> tuple[Step, ...]:
        def say(key: str) -> str:
            return rng.choice(KRAMAR_PHRASES[language][key]).format(id=order.id)

        if kind == "order_status":
            return (say("greet"), say("ask"), order.email, say("thanks"), say("bye"))
        if kind == "order_status_stepwise":
            return (say("ask_bare"), say("number"), order.email, say("thanks"))
        if kind == "return":
            return (say("return"), order.email, ITEM_BUTTON, REASON_BUTTON, say("thanks"))
        if kind == "cancel_kept":
            return (say("cancel"), order.email, KEEP_BUTTON, say("thanks"))
        first, second = rng.sample(KRAMAR_PHRASES[language]["faq"], 2)
        return (say("greet"), first, say("bot"), second, say("thanks"), say("bye"))


def kramar_profile_conversation() -> Conversation:
    """Read-only, so replaying its actions changes nothing in the shop."""
    return Conversation(
        "profile",
        "en",
        (
            "hello",
            "Hi, where is my order 10001?",
            "olena.kovalenko@example.com",
            "how much does shipping cost to Poland?",
            "thanks a lot!",
        ),
    )


def orders_from_shop(payloads: Sequence[dict[str, Any]]) -> list[ShopOrder]:
    """ShopOrder for each order JSON of the shop backend's API."""
    return [
        ShopOrder(
            id=int(p["id"]),
            status=str(p["status"]),
            email=str(p["customer"]["email"]),
            language=str(p["customer"].get("language") or "en"),
        )
        for p in payloads
    ]


# ---------------------------------------------------------------- plain Rasa

PLAIN_PHRASES: dict[str, tuple[str, ...]] = {
    "greet": ("hello", "hi", "hey there", "good morning"),
    "great": ("I am feeling very good", "perfect", "amazing", "I am great"),
    "unhappy": ("I am sad", "my day was horrible", "not very good", "unhappy"),
    "affirm": ("yes", "of course", "indeed"),
    "deny": ("no", "not really", "I don't think so"),
    "bot": ("are you a bot?", "am I talking to a human?"),
    "bye": ("bye", "goodbye", "see you later"),
}

PLAIN_FLOWS: dict[str, tuple[str, ...]] = {
    "happy": ("greet", "great", "bot", "bye"),
    "cheered_up": ("greet", "unhappy", "affirm", "bye"),
    "still_sad": ("greet", "unhappy", "deny", "bot", "bye"),
    "chatty": ("greet", "bot", "great", "bot", "bye"),
}


def plain_conversation(rng: random.Random) -> Conversation:
    kind = rng.choice(list(PLAIN_FLOWS))
    steps = tuple(rng.choice(PLAIN_PHRASES[intent]) for intent in PLAIN_FLOWS[kind])
    return Conversation(kind, "en", steps)


def plain_profile_conversation() -> Conversation:
    return Conversation("profile", "en", ("hello", "I am sad", "yes", "are you a bot?", "bye"))
