"""A backend or action server that is down: an apology and a person, never silence.

These tests stop a real service and start it again, so they run last.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.launcher import Stack
from tests.support.chat import Chat
from tests.support.shop import ShopApi

pytestmark = pytest.mark.restarts_services


@contextmanager
def stopped(stack: Stack, service: str) -> Iterator[None]:
    stack.stop_service(service)
    try:
        yield
    finally:
        stack.start_service(service)


def test_shop_down_apologises_and_offers_a_person(
    stack: Stack, chat: Chat, shop_api: ShopApi
) -> None:
    email = shop_api.order(10001)["customer"]["email"]
    tracking = shop_api.order(10001)["shipment"]["tracking_number"]
    chat.say("Де моє замовлення 10001?")
    with stopped(stack, "shop backend"):
        answer = chat.say(email)
    assert "системою замовлень" in answer
    assert "Зв'язатися з людиною" in answer
    # Back up: the same conversation goes on, and the proven email is remembered.
    assert tracking in chat.say("де замовлення 10001")


def test_action_server_down_is_never_silent(stack: Stack, chat: Chat, shop_api: ShopApi) -> None:
    with stopped(stack, "action server"):
        answer = chat.say("gdzie jest moje zamówienie 10001?")
    assert "błąd techniczny" in answer
    chat.say("gdzie jest moje zamówienie 10001?")
    answer = chat.say(shop_api.order(10001)["customer"]["email"])
    assert shop_api.order(10001)["shipment"]["tracking_number"] in answer
