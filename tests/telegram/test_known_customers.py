"""A known customer on Telegram (issue 20, points 1 and 2): the real stack, Telegram's
API stood in. Remembered after clicking yes, welcomed back in a new session, "my
orders" as buttons, and "забудь мене" leaves no row behind."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.launcher import Stack
from tests.support.sessions import OLENA, an_hour_later
from tests.telegram.bot_api_standin import BotApiStandin
from tests.telegram.conftest import TelegramGateway
from tests.telegram.helpers import Sent, TelegramUser, buttons, joined


def links(gateway: TelegramGateway, sender: str) -> list[tuple[Any, ...]]:
    path = gateway.env["INBOX_DATABASE_URL"].split(":///", 1)[1]
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT c.email, c.name, c.language, l.channel FROM customer_links l"
            " JOIN customers c ON c.id = l.customer_id WHERE l.sender_id = ?",
            (sender,),
        ).fetchall()


def offers(title: str):  # type: ignore[no-untyped-def]
    def shown(news: Sent) -> bool:
        return any(title in b["text"] for m in news for b in buttons(m))

    return shown


def test_a_telegram_customer_is_remembered_welcomed_back_and_forgotten(
    stack: Stack, polling_gateway: TelegramGateway, standin: BotApiStandin
) -> None:
    user = TelegramUser(standin, polling_gateway.token, language_code="uk")
    sender = f"tg-{user.chat_id}"
    user.say("де моє замовлення 10001?", "email")
    offered = user.say(OLENA, offers("Так, запам'ятай"))
    assert "Запам'ятати вас у цьому чаті, Olena?" in joined(offered)
    assert links(polling_gateway, sender) == []  # nothing before the yes

    done = user.choose("Так, запам'ятай", "Готово, Olena")
    assert "тепер я вас пам'ятаю" in joined(done)
    assert links(polling_gateway, sender) == [(OLENA, "Olena", "uk", "telegram")]

    an_hour_later(stack, sender)
    welcome = user.say("привіт", offers("Мої замовлення"))
    assert "З поверненням, Olena!" in joined(welcome)
    listed = user.choose("Мої замовлення", offers("#10001"))
    assert "Ось ваші останні замовлення" in joined(listed)
    status = user.choose("#10001", "Nova Poshta")
    assert "10001" in joined(status) and "email" not in joined(status)

    forgotten = user.say("забудь мене", "Готово: я видалив")
    assert "з усіх чатів" in joined(forgotten)
    assert links(polling_gateway, sender) == []
    path = polling_gateway.env["INBOX_DATABASE_URL"].split(":///", 1)[1]
    with sqlite3.connect(path) as db:
        assert db.execute(
            "SELECT count(*) FROM customers WHERE email = ?", (OLENA,)
        ).fetchone() == (0,)
