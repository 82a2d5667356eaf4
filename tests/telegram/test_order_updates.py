"""Order updates reach a Telegram chat (issue 20): the stand-in receives the message
the shop's signed webhook caused, in the chat's language, and nothing after opting out."""

from __future__ import annotations

import time

import sqlalchemy as sa

from bot.customers.tables import customer_links
from bot.launcher import Stack
from tests.support.customers import post_event, remember, rows, set_slots, shop_event
from tests.telegram.bot_api_standin import BotApiStandin
from tests.telegram.conftest import TelegramGateway
from tests.telegram.helpers import TelegramUser, joined


def test_a_ukrainian_chat_that_opted_in_gets_the_shipment_and_no_more_after_opting_out(
    polling_gateway: TelegramGateway, standin: BotApiStandin, stack: Stack
) -> None:
    gateway = polling_gateway
    user = TelegramUser(standin, gateway.token, language_code="uk")
    sender = f"tg-{user.chat_id}"
    assert "Крамар" in joined(user.say("/start"))
    database = gateway.env["INBOX_DATABASE_URL"]
    email = "olena.kovalenko@example.com"
    remember(database, sender_id=sender, channel="telegram", email=email)
    set_slots(
        f"http://127.0.0.1:{stack.settings.rasa_port}",
        stack.settings.rasa_token,
        sender,
        known_customer=True,
    )

    assert "Готово" in joined(user.say("повідомте мене про замовлення", "Готово"))
    link = sa.select(customer_links.c.updates).where(customer_links.c.sender_id == sender)
    assert rows(database, link) == [{"updates": True}]

    secret = stack.env["SHOP_WEBHOOK_SECRET"]
    before = len(user.sent())
    event = shop_event(
        "order.shipped", order_id="10001", email=email, carrier="Nova Poshta",
        tracking_number="20450000111222", tracking_url="https://novaposhta.ua/t/20450000111222",
    )  # fmt: skip
    assert post_event(gateway.url, secret, event).status_code == 200
    told = joined(user.wait(before, "Відстежити посилку", timeout=60))
    assert "Гарна новина: ваше замовлення #10001 уже в дорозі" in told
    assert "20450000111222" in told
    assert "updates" not in told and "{" not in told  # the consent marker never shows

    assert "більше не надсилатиму" in joined(user.say("вимкни сповіщення", "не надсилатиму"))
    before = len(user.sent())
    delivered = shop_event("order.delivered", order_id="10001", email=email)
    assert post_event(gateway.url, secret, delivered).status_code == 200
    time.sleep(5)
    assert user.sent()[before:] == []
