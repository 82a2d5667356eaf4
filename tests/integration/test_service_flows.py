"""Returns, refunds, complaints, cancellations, address changes and FAQ, end to end.

Each flow runs in English, Ukrainian, Polish and Czech against the seeded shop, and
the shop's own API confirms what the bot says it did.
"""

from __future__ import annotations

import re

import pytest

from tests.support.chat import Chat
from tests.support.shop import ShopApi

PHRASES = {
    "en": {
        "return": "I'd like to return something from order {id}",
        "refund": "when will I get my money back for order {id}?",
        "cancel": "please cancel my order {id}",
        "address": "I need to change the delivery address for order {id}",
        "complaint": "The parcel from order {id} arrived and the item is damaged",
        "reason": "It doesn't fit",
        "yes": "yes",
        "all": "all",
        "skip": "skip",
    },
    "uk": {
        "return": "хочу повернути товар із замовлення {id}",
        "refund": "коли повернуть гроші за замовлення {id}?",
        "cancel": "скасуйте, будь ласка, замовлення {id}",
        "address": "треба змінити адресу доставки для замовлення {id}",
        "complaint": "Отримав замовлення {id}, а товар пошкоджений",
        "reason": "Не підійшов розмір",
        "yes": "так",
        "all": "всі",
        "skip": "пропустити",
    },
    "pl": {
        "return": "chcę zwrócić produkt z zamówienia {id}",
        "refund": "kiedy dostanę zwrot pieniędzy za zamówienie {id}?",
        "cancel": "proszę anulować zamówienie {id}",
        "address": "muszę zmienić adres dostawy zamówienia {id}",
        "complaint": "Paczka z zamówienia {id} dotarła, a produkt jest uszkodzony",
        "reason": "Nie pasuje rozmiar",
        "yes": "tak",
        "all": "wszystkie",
        "skip": "pomiń",
    },
    "cs": {
        "return": "chci vrátit zboží z objednávky {id}",
        "refund": "kdy mi vrátíte peníze za objednávku {id}?",
        "cancel": "zrušte prosím objednávku {id}",
        "address": "potřebuji změnit doručovací adresu u objednávky {id}",
        "complaint": "Balík z objednávky {id} dorazil a zboží je poškozené",
        "reason": "Nesedí velikost",
        "yes": "ano",
        "all": "všechny",
        "skip": "přeskočit",
    },
}
LANGUAGES = list(PHRASES)


def verify(chat: Chat, text: str, order: dict) -> str:
    chat.say(text)
    return chat.say(order["customer"]["email"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_return_inside_window(chat: Chat, shop_api: ShopApi, language: str) -> None:
    order = shop_api.take("delivered", delivered_within_days=10)
    p = PHRASES[language]
    asked = verify(chat, p["return"].format(id=order["id"]), order)
    for item in order["items"]:
        assert item["name"] in asked  # buttons list the real items
    if len(order["items"]) > 1:
        chat.say(p["all"])
    answer = chat.say(p["reason"])
    return_id = re.search(r"R-\d{6}", answer).group(0)
    assert "/labels/" in answer  # the free label link
    fresh = shop_api.order(order["id"])
    assert fresh["status"] == "return_in_progress"
    assert [r["id"] for r in fresh["returns"]] == [return_id]


def test_return_picks_one_item_by_name(chat: Chat, shop_api: ShopApi) -> None:
    order = shop_api.order(10002)
    asked = verify(chat, "I want to return an item from order 10002", order)
    first = order["items"][0]["name"]
    assert first in asked
    chat.say(first)
    answer = chat.say("changed my mind")
    assert re.search(r"R-\d{6}", answer)
    returned = shop_api.get("/api/orders/10002/returns").json()["returns"]
    assert len(returned) == 1
    detail = shop_api.get(f"/api/returns/{returned[0]['id']}").json()
    assert [i["sku"] for i in detail["items"]] == [order["items"][0]["sku"]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_return_outside_window_says_why(chat: Chat, shop_api: ShopApi, language: str) -> None:
    order = shop_api.order(10007)  # delivered 200 days ago
    answer = verify(chat, PHRASES[language]["return"].format(id=10007), order)
    assert "30" in answer  # the window from the policy file
    assert shop_api.order(10007)["status"] == "delivered"


def test_return_not_delivered_offers_cancel(chat: Chat, shop_api: ShopApi) -> None:
    answer = verify(chat, "I want to return order 10004", shop_api.order(10004))
    assert "hasn't been delivered" in answer and "Cancel the order" in answer


@pytest.mark.parametrize(
    ("language", "marker"), [("en", "by about"), ("uk", "до"), ("pl", "do"), ("cs", "přibližně do")]
)
def test_refund_pending_has_amount_and_date(
    chat: Chat, shop_api: ShopApi, language: str, marker: str
) -> None:
    order = shop_api.order(10008)
    answer = verify(chat, PHRASES[language]["refund"].format(id=10008), order)
    assert "R-000001" in answer and marker in answer
    assert re.search(r"\d", answer.split("R-000001")[1])


def test_refund_done_and_no_return(chat: Chat, shop_api: ShopApi) -> None:
    assert "was paid on" in verify(
        chat, "where is my refund for order 10009", shop_api.order(10009)
    )
    other = Chat(chat.url.rsplit("/webhooks", 1)[0])
    answer = verify(other, "where is my refund for order 10003", shop_api.order(10003))
    assert "no return" in answer and "Start a return" in answer


@pytest.mark.parametrize("language", LANGUAGES)
def test_cancel_confirms_then_cancels(chat: Chat, shop_api: ShopApi, language: str) -> None:
    order = shop_api.take("paid")
    asked = verify(chat, PHRASES[language]["cancel"].format(id=order["id"]), order)
    assert f"#{order['id']}" in asked
    assert shop_api.order(order["id"])["status"] == "paid"  # nothing before the yes
    chat.say(PHRASES[language]["yes"])
    assert shop_api.order(order["id"])["status"] == "cancelled"


def test_cancel_declined_changes_nothing(chat: Chat, shop_api: ShopApi) -> None:
    order = shop_api.take("packed")
    verify(chat, f"cancel order {order['id']}", order)
    assert "haven't changed anything" in chat.say("no")
    assert shop_api.order(order["id"])["status"] == "packed"


@pytest.mark.parametrize("language", LANGUAGES)
def test_cancel_refused_once_shipped(chat: Chat, shop_api: ShopApi, language: str) -> None:
    answer = verify(chat, PHRASES[language]["cancel"].format(id=10001), shop_api.order(10001))
    assert "10001" in answer
    assert shop_api.order(10001)["status"] == "shipped"
    assert {"en": "return it", "uk": "повернути", "pl": "zwrócić", "cs": "vrátit"}[
        language
    ] in answer


@pytest.mark.parametrize("language", LANGUAGES)
def test_address_change(chat: Chat, shop_api: ShopApi, language: str) -> None:
    order = shop_api.take("pending_payment")
    verify(chat, PHRASES[language]["address"].format(id=order["id"]), order)
    confirm = chat.say("ul. Długa 5/3, 31-147 Kraków")
    assert "31-147" in confirm
    chat.say(PHRASES[language]["yes"])
    address = shop_api.order(order["id"])["shipping_address"]
    assert (address["street"], address["postal_code"], address["city"]) == (
        "ul. Długa 5/3",
        "31-147",
        "Kraków",
    )


def test_address_change_refused_once_shipped(chat: Chat, shop_api: ShopApi) -> None:
    answer = verify(chat, "change the delivery address of order 10010", shop_api.order(10010))
    assert "already shipped" in answer


@pytest.mark.parametrize("language", LANGUAGES)
def test_complaint_creates_a_ticket(chat: Chat, shop_api: ShopApi, language: str) -> None:
    order = shop_api.order(10007)  # complaints change no order: any delivered one will do
    p = PHRASES[language]
    first = chat.say(p["complaint"].format(id=order["id"]))
    assert first  # empathy comes first
    asked = chat.say(order["customer"]["email"])
    assert asked
    answer = chat.say("https://photos.example.com/broken.jpg")
    ticket_id = re.search(r"T-\d{6}", answer).group(0)
    ticket = shop_api.get(f"/api/tickets/{ticket_id}").json()
    assert ticket["category"] == "damaged"
    assert ticket["order_id"] == order["id"]
    assert ticket["photo_url"] == "https://photos.example.com/broken.jpg"


def test_angry_complaint_is_offered_a_person(chat: Chat, shop_api: ShopApi) -> None:
    order = shop_api.order(10007)
    first = chat.say(f"THIS IS THE THIRD TIME MY ORDER {order['id']} ARRIVES BROKEN!!!")
    assert "Talk to a person" in first


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how much does shipping cost to Poland?", "14.99 PLN"),
        ("скільки днів є на повернення?", "30 днів"),
        ("czy mogę zapłacić BLIK-iem?", "BLIK"),
        ("do you issue VAT invoices for companies?", "VAT"),
    ],
)
def test_faq_answers_from_the_policy(chat: Chat, question: str, expected: str) -> None:
    assert expected in chat.say(question)


def test_faq_in_the_middle_of_a_return_then_back(chat: Chat, shop_api: ShopApi) -> None:
    order = shop_api.take("delivered", delivered_within_days=10)
    verify(chat, f"I want to return something from order {order['id']}", order)
    answer = chat.say("how many days do I have to return things?")
    assert "30 days" in answer
    if len(order["items"]) > 1:
        chat.say("all")
    assert re.search(r"R-\d{6}", chat.say("changed my mind"))


def test_switch_topic_inside_a_form_and_come_back(chat: Chat, shop_api: ShopApi) -> None:
    order = shop_api.take("packed")
    verify(chat, f"please cancel order {order['id']}", order)
    # Instead of answering yes/no: another order's status.
    other = shop_api.order(10001)
    answer = chat.say("actually, where is my other order 10001?")
    assert "email" in answer or other["shipment"]["tracking_number"] in answer
    if other["shipment"]["tracking_number"] not in answer:
        assert other["shipment"]["tracking_number"] in chat.say(other["customer"]["email"])
    assert shop_api.order(order["id"])["status"] == "packed"


def test_stop_leaves_a_return(chat: Chat, shop_api: ShopApi) -> None:
    order = shop_api.order(10002)
    verify(chat, "return order 10002", order)
    assert "leave that" in chat.say("stop")
    assert "Hi" in chat.say("hi")
