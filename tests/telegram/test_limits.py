"""The messages-per-minute limit in a Telegram chat: no 429 there, a line in the app's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.gateway.telegram_texts import text
from bot.launcher import Stack
from tests.telegram.bot_api_standin import BotApiStandin
from tests.telegram.conftest import TelegramGateway
from tests.telegram.helpers import TelegramUser, joined


@pytest.fixture(scope="module")
def limited_gateway(
    stack: Stack, standin: BotApiStandin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TelegramGateway]:
    gateway = TelegramGateway(stack, standin, tmp_path_factory.mktemp("tg-limited"), "polling")
    gateway.env["CHAT_MESSAGES_PER_MINUTE"] = "2"
    gateway.start()
    yield gateway
    gateway.stop()


def test_a_chat_sending_too_fast_is_told_to_wait(
    limited_gateway: TelegramGateway, standin: BotApiStandin
) -> None:
    customer = TelegramUser(standin, limited_gateway.token, "pl")
    too_fast = text("too_fast", "pl")
    for _ in range(3):
        customer.send("cześć")
    news = customer.wait(0, too_fast, timeout=120)
    assert joined(news).count(too_fast) == 1
    other = TelegramUser(standin, limited_gateway.token, "pl")  # another chat is not held up
    other.send("cześć")
    assert too_fast not in joined(other.wait(0, timeout=120))
