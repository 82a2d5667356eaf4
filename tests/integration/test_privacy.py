"""Order details only for the customer who proves the order is theirs."""

from __future__ import annotations

import pytest

from tests.support.chat import Chat
from tests.support.shop import ShopApi

ASK = {
    "en": "where is my order {id}",
    "uk": "де замовлення {id}",
    "pl": "gdzie jest zamówienie {id}",
}


def secrets_of(order: dict) -> list[str]:
    values = [
        order["customer"]["name"],
        order["customer"]["email"],
        *(i["name"] for i in order["items"]),
    ]
    if order.get("shipment"):
        values += [order["shipment"]["tracking_number"], order["shipment"]["carrier"]]
    return values


@pytest.mark.parametrize("language", ASK)
def test_wrong_email_reveals_nothing(chat: Chat, shop_api: ShopApi, language: str) -> None:
    order = shop_api.order(10001)
    chat.say(ASK[language].format(id=10001))
    answer = chat.say(shop_api.order(10002)["customer"]["email"])  # another customer's email
    for secret in secrets_of(order):
        assert secret not in answer


def test_unknown_order_and_wrong_email_look_the_same(rasa_url: str, shop_api: ShopApi) -> None:
    wrong_email, unknown = Chat(rasa_url), Chat(rasa_url)
    wrong_email.say("where is my order 10001")
    unknown.say("where is my order 99999")
    assert wrong_email.say("someone@example.com") == unknown.say("someone@example.com")


def test_three_failures_stop_lookups_and_offer_a_person(chat: Chat, shop_api: ShopApi) -> None:
    order = shop_api.order(10001)
    for attempt in range(3):
        chat.say("where is my order 10001")
        answer = chat.say(f"guess{attempt}@example.com")
    assert "Talk to a person" in answer
    # Even the right email now reveals nothing.
    chat.say("where is my order 10001")
    answer = chat.say(order["customer"]["email"])
    assert order["shipment"]["tracking_number"] not in answer
    assert "Talk to a person" in answer


def test_shop_api_refuses_requests_without_the_key(shop_api: ShopApi) -> None:
    import requests

    assert requests.get(shop_api.url + "/api/orders/10001", timeout=10).status_code == 401
    assert shop_api.get("/api/orders/10001").json()["id"] == 10001


def test_rasa_http_api_needs_the_token(rasa_url: str, stack) -> None:
    import requests

    assert requests.get(f"{rasa_url}/status", timeout=10).status_code == 401
    assert requests.get(f"{rasa_url}/conversations/x/tracker", timeout=10).status_code == 401
    authorised = requests.get(
        f"{rasa_url}/status", params={"token": stack.settings.rasa_token}, timeout=10
    )
    assert authorised.status_code == 200
