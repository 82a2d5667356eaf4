"""Order status end to end, in each language, against the real stack."""

from __future__ import annotations

import pytest

from tests.support.chat import Chat
from tests.support.shop import ShopApi

# How a customer asks, and a phrase only that language's answers contain.
LANGUAGES = {
    "en": {
        "ask": "Hi, where is my order {id}?",
        "ask_bare": "where's my parcel??",
        "email_question": "email address",
        "tracking": "Tracking number",
    },
    "uk": {
        "ask": "Добрий день, де моє замовлення {id}?",
        "ask_bare": "коли приїде моя посилка",
        "email_question": "email",
        "tracking": "номер відстеження",
    },
    "pl": {
        "ask": "Dzień dobry, gdzie jest moje zamówienie {id}?",
        "ask_bare": "gdzie jest moja paczka",
        "email_question": "e-mail",
        "tracking": "numer przesyłki",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_shipped_order_with_right_email_gives_real_tracking(
    chat: Chat, shop_api: ShopApi, language: str
) -> None:
    phrases = LANGUAGES[language]
    order = shop_api.order(10001)
    assert order["status"] == "shipped"

    asked = chat.say(phrases["ask"].format(id=10001))
    assert phrases["email_question"] in asked
    assert order["shipment"]["tracking_number"] not in asked

    answer = chat.say(f"  {order['customer']['email'].upper()} ")  # case and spaces ignored
    assert order["shipment"]["tracking_number"] in answer
    assert order["shipment"]["tracking_url"] in answer
    assert phrases["tracking"] in answer


@pytest.mark.parametrize("language", LANGUAGES)
def test_form_asks_for_number_then_email(chat: Chat, shop_api: ShopApi, language: str) -> None:
    order = shop_api.order(10002)
    asked = chat.say(LANGUAGES[language]["ask_bare"])
    assert "10482" in asked  # the example in the question for the order number
    assert LANGUAGES[language]["email_question"] in chat.say("#10002")
    answer = chat.say(order["customer"]["email"])
    assert "10002" in answer
    assert order["items"][0]["name"] in answer


@pytest.mark.parametrize(
    "typed", ["10003", "#10003", "ORD-10003", "zamówienie 10003", "замовлення 10003"]
)
def test_order_number_formats(chat: Chat, shop_api: ShopApi, typed: str) -> None:
    chat.say("where is my order?")
    chat.say(typed)
    answer = chat.say(shop_api.order(10003)["customer"]["email"])
    assert "#10003" in answer


@pytest.mark.parametrize(
    ("order_id", "marker"),
    [
        (10002, "delivered on"),
        (10003, "is paid"),
        (10004, "waiting for payment"),
        (10005, "is packed"),
        (10006, "was cancelled"),
        (10008, "return is in progress"),
        (10009, "refunded"),
    ],
)
def test_answer_depends_on_status(
    chat: Chat, shop_api: ShopApi, order_id: int, marker: str
) -> None:
    chat.say(f"Where is my order {order_id}?")
    answer = chat.say(shop_api.order(order_id)["customer"]["email"])
    assert marker in answer
    assert "Another order" in answer  # next-step buttons


def test_language_is_kept_and_follows_a_clear_switch(chat: Chat, shop_api: ShopApi) -> None:
    assert "номер замовлення" in chat.say("Привіт! Де моє замовлення?")
    # A bare number carries no language: the conversation stays Ukrainian.
    assert "email" in chat.say("10001")
    assert "Відстежити посилку" in chat.say(shop_api.order(10001)["customer"]["email"])
    # A clear sentence in Polish switches.
    assert "numer zamówienia" in chat.say("A gdzie jest moje drugie zamówienie?")
    # An explicit request switches too, whatever language it is written in.
    assert "English" in chat.say("можна англійською?")


def test_second_order_reuses_the_proven_email(chat: Chat, shop_api: ShopApi) -> None:
    email = shop_api.order(10001)["customer"]["email"]
    chat.say("where is order 10001")
    chat.say(email)
    # 10007 belongs to the same customer: no need to ask for the email again.
    assert "delivered on" in chat.say("and where is order 10007?")
