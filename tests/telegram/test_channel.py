"""The Telegram channel in this process, against the Bot API stand-in and a scripted router.

Fast and exact: what reaches the router from each kind of update, and what
Telegram is asked to send back. The real bot is in test_telegram_e2e.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.conversations import store
from bot.gateway.keys import GATEWAY, GatewayState
from bot.gateway.rasa_client import RasaError
from bot.gateway.router import Answer
from bot.gateway.telegram import SECRET_HEADER, TELEGRAM, setup_telegram
from bot.gateway.telegram_channel import TelegramChannel
from bot.gateway.telegram_texts import text
from bot.inbox.db import create_engine, migrate
from tests.support.stack import free_port
from tests.telegram.bot_api_standin import BotApiStandin
from tests.telegram.helpers import (
    TelegramUser,
    buttons,
    photo_update,
    sticker_update,
    text_update,
)


class ScriptedRasa:
    def __init__(self) -> None:
        self.appended: list[tuple[str, list[dict[str, Any]]]] = []

    async def append(self, sender: str, events: list[dict[str, Any]]) -> None:
        self.appended.append((sender, events))

    async def state(self, sender: str) -> dict[str, Any]:
        slots = {"language": "en"}  # Rasa's initial value
        for _, events in filter(lambda appended: appended[0] == sender, self.appended):
            slots.update({e["name"]: e["value"] for e in events if e["event"] == "slot"})
        return {"slots": slots}


class ScriptedRouter:
    """Stands for the gateway's Router: records what it hears, answers from a script."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.rasa = engine, ScriptedRasa()
        self.pushers: dict[str, Any] = {}
        self.heard: list[tuple[str, str, str, dict[str, Any]]] = []
        self.answer: Callable[[str], list[dict[str, Any]]] = lambda said: [
            {"text": f"echo: {said}"}
        ]
        self.down = False

    async def handle(
        self, sender: str, channel: str, said: str, metadata: dict[str, Any]
    ) -> Answer:
        self.heard.append((sender, channel, said, metadata))
        if self.down:
            raise RasaError("POST /webhooks/rest/turn: connection refused")
        message = await store.record_message(
            self.engine, sender_id=sender, channel=channel, direction="customer", text=said
        )
        return Answer(self.answer(said), message.id)

    def said(self) -> list[str]:
        return [heard[2] for heard in self.heard]

    def add_pusher(self, channel: str, pusher: Any) -> None:
        self.pushers[channel] = pusher

    def remove_pusher(self, channel: str) -> None:
        self.pushers.pop(channel, None)


@dataclass
class Harness:
    app: web.Application
    router: ScriptedRouter
    standin: BotApiStandin
    token: str
    url: str

    @property
    def channel(self) -> TelegramChannel:
        return self.app[TELEGRAM]

    def user(self, language_code: str | None = "en") -> TelegramUser:
        return TelegramUser(self.standin, self.token, language_code)


@pytest.fixture(scope="module")
def inbox_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('tg-inbox') / 'inbox.db'}"
    migrate(url)
    return url


async def until(condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


WEBHOOK_SECRET = "webhook-secret_1"


@asynccontextmanager
async def running(
    standin: BotApiStandin,
    inbox_db: str,
    *,
    token: str | None = None,
    mode: str = "polling",
    api_url: str | None = None,
) -> AsyncIterator[Harness]:
    """A gateway-like app with only the Telegram channel, on a free port."""
    token = token or standin.new_bot()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_URL": api_url or standin.url,
        "TELEGRAM_MODE": mode,
        "INBOX_PORT": str(port),
    }
    if mode == "webhook":
        env["TELEGRAM_WEBHOOK_URL"] = f"{url}/telegram/webhook"
        env["TELEGRAM_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    engine = create_engine(inbox_db)
    router = ScriptedRouter(engine)
    app = web.Application()
    app[GATEWAY] = GatewayState(secret="test gateway secret", router=router)  # type: ignore[arg-type]
    setup_telegram(app, env)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Harness(app, router, standin, token, url)
    finally:
        await runner.cleanup()
        await engine.dispose()


@pytest.fixture
async def polling(standin: BotApiStandin, inbox_db: str) -> AsyncIterator[Harness]:
    async with running(standin, inbox_db) as harness:
        await until(lambda: harness.channel.ready)
        yield harness


@pytest.fixture
async def webhook(standin: BotApiStandin, inbox_db: str) -> AsyncIterator[Harness]:
    async with running(standin, inbox_db, mode="webhook") as harness:
        await until(lambda: harness.channel.ready)
        yield harness


async def test_text_goes_to_the_router_and_comes_back_as_plain_text(
    polling: Harness, standin: BotApiStandin
) -> None:
    user = polling.user("pl")
    tricky = "<b>Gdzie</b> *jest* _moje_ [zamówienie](x) & `kod`?"
    user.send(tricky)
    sent = await user.wait_async(0)
    assert sent[0]["text"] == f"echo: {tricky}"
    assert "parse_mode" not in sent[0]  # plain text: nothing in it is markup
    sender = f"tg-{user.chat_id}"
    assert polling.router.heard == [
        (sender, "telegram", tricky, {"telegram": {"language_hint": "pl"}})
    ]
    # The first message tells the bot the app's language; later ones do not.
    language = [{"event": "slot", "name": "language", "value": "pl"}]
    assert polling.router.rasa.appended == [(sender, language)]
    user.send("a potem?")
    await user.wait_async(1)
    assert len(polling.router.rasa.appended) == 1
    typing = [
        c for c in standin.calls(polling.token, "sendChatAction") if c.chat_id == user.chat_id
    ]
    replies = [c for c in standin.calls(polling.token, "sendMessage") if c.chat_id == user.chat_id]
    assert typing and typing[0].params["action"] == "typing" and typing[0].at <= replies[0].at


async def test_buttons_carry_short_ids_and_a_click_answers_with_the_payload(
    polling: Harness, standin: BotApiStandin
) -> None:
    long_payload = '/choose_item{"sku": "' + "X" * 80 + '"}'
    polling.router.answer = lambda said: (
        [
            {
                "text": "Które produkty chcesz zwrócić?",
                "buttons": [
                    {"title": "1 × Słuchawki bezprzewodowe", "payload": long_payload},
                    {"title": "Wszystkie", "payload": "all"},
                ],
            }
        ]
        if said == "zwrot"
        else [{"text": f"echo: {said}"}]
    )
    user = polling.user("pl")
    user.send("zwrot")
    shown = await user.wait_async(0)
    keyboard = shown[0]["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in keyboard] == [
        ["1 × Słuchawki bezprzewodowe"],
        ["Wszystkie"],
    ]
    for button in buttons(shown[0]):
        assert len(button["callback_data"].encode()) <= 64
        assert button["callback_data"] not in (long_payload, "all")

    user.click("Słuchawki")
    await user.wait_async(1, f"echo: {long_payload}")
    assert polling.router.said() == ["zwrot", long_payload]
    assert len(standin.calls(polling.token, "answerCallbackQuery")) == 1
    edited = standin.calls(polling.token, "editMessageReplyMarkup")[-1].params
    assert edited["reply_markup"] == {
        "inline_keyboard": [[{"text": "✓ 1 × Słuchawki bezprzewodowe", "callback_data": "chosen"}]]
    }

    # The same button again (a double tap): a notice, and the bot hears nothing new.
    user.click("Słuchawki")
    await until(lambda: len(standin.calls(polling.token, "answerCallbackQuery")) == 2)
    notice = standin.calls(polling.token, "answerCallbackQuery")[-1].params
    assert notice["text"] == text("expired_button", "pl")
    assert polling.router.said() == ["zwrot", long_payload]


async def test_long_replies_are_split_with_buttons_on_the_last_piece(polling: Harness) -> None:
    long_text = "\n\n".join(["Akapit " + "słowo " * 500] * 3)  # about 9000 characters
    polling.router.answer = lambda said: [
        {"text": long_text, "buttons": [{"title": "Tak", "payload": "/affirm"}]}
    ]
    user = polling.user("pl")
    user.send("regulamin")
    sent = await user.wait_async(0, lambda news: len(news) >= 3)
    assert len(sent) == 3
    assert all(len(m["text"]) <= 4096 for m in sent)
    assert [m["text"].startswith("Akapit") for m in sent] == [True, True, True]
    assert [bool(m.get("reply_markup")) for m in sent] == [False, False, True]


async def test_images_are_sent_as_photos(polling: Harness, standin: BotApiStandin) -> None:
    polling.router.answer = lambda said: [
        {"image": "https://shop.example/label.png"},
        {"text": "Etykieta powyżej."},
    ]
    user = polling.user("pl")
    user.send("etykieta")
    sent = await user.wait_async(0, lambda news: len(news) >= 2)
    assert sent[0]["method"] == "sendPhoto"
    assert sent[0]["photo"] == "https://shop.example/label.png"
    assert sent[1]["text"] == "Etykieta powyżej."


async def test_a_photo_reaches_the_bot_as_a_signed_link_without_the_token(
    polling: Harness, standin: BotApiStandin
) -> None:
    standin.add_file(polling.token, "big-file-id", "photos/file_7.jpg", b"\xff\xd8 a photo")
    user = polling.user("pl")
    sizes = [("small-file-id", 90), ("big-file-id", 1280), ("mid-file-id", 320)]
    standin.push(polling.token, photo_update(user.chat_id, sizes, caption="Uszkodzone"))
    await user.wait_async(0)
    said = polling.router.said()[0]
    caption, link = said.split(" ")
    assert caption == "Uszkodzone"
    assert link.startswith(f"{polling.url}/telegram/photos/big-file-id?sig=")
    assert polling.token not in said and polling.token.split(":")[1] not in said
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as response:
            assert response.status == 200
            assert response.content_type == "image/jpeg"
            assert await response.read() == b"\xff\xd8 a photo"
        forged = link.replace("big-file-id", "mid-file-id")
        async with http.get(forged) as response:
            assert response.status == 403
        async with http.get(link[:-4] + "0000") as response:
            assert response.status == 403


async def test_when_the_bot_fails_the_customer_gets_an_apology(polling: Harness) -> None:
    polling.router.down = True
    user = polling.user("ru")
    user.send("Где мой заказ?")
    sent = await user.wait_async(0)
    assert [m["text"] for m in sent] == [text("apology", "uk")]


async def test_commands_and_messages_the_bot_cannot_read(
    polling: Harness, standin: BotApiStandin
) -> None:
    user = polling.user("pl")
    user.send("/help")
    assert (await user.wait_async(0))[0]["text"] == text("help", "pl")
    user.send("/start")
    await user.wait_async(1, "echo: /greet")
    user.send("/start order_10001")
    await user.wait_async(2, "echo: Gdzie jest moje zamówienie 10001?")
    user.send("/unknown")
    assert (await user.wait_async(3))[0]["text"] == text("help", "pl")
    standin.push(polling.token, sticker_update(user.chat_id, "pl"))
    assert (await user.wait_async(4))[0]["text"] == text("unsupported", "pl")
    assert polling.router.said() == ["/greet", "Gdzie jest moje zamówienie 10001?"]


async def test_agent_replies_and_bot_lines_are_pushed_into_the_chat(polling: Harness) -> None:
    user = polling.user("pl")
    push = polling.router.pushers["telegram"]
    await push(
        f"tg-{user.chat_id}",
        [
            {"text": "Dzień dobry, tu Ewa <3", "agent": "Ewa"},
            {"text": "Kramar znowu tu.", "buttons": [{"title": "Dziękuję", "payload": "/thank"}]},
        ],
    )
    sent = user.sent()
    assert [m["text"] for m in sent] == ["Ewa: Dzień dobry, tu Ewa <3", "Kramar znowu tu."]
    assert buttons(sent[1])[0]["text"] == "Dziękuję"


async def test_webhook_takes_only_telegrams_updates_once_and_answers_at_once(
    webhook: Harness, standin: BotApiStandin
) -> None:
    hook = standin.webhook(webhook.token)
    assert hook == {
        "url": f"{webhook.url}/telegram/webhook",
        "secret_token": WEBHOOK_SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    forger, customer = webhook.user("pl"), webhook.user("pl")
    forged = {**text_update(forger.chat_id, "/start order_10001", "pl"), "update_id": 1}
    real = {**text_update(customer.chat_id, "prawdziwa wiadomość", "pl"), "update_id": 2}
    async with aiohttp.ClientSession() as http:

        async def post(update: Any, secret: str | None) -> int:
            headers = {SECRET_HEADER: secret} if secret is not None else {}
            async with http.post(hook["url"], json=update, headers=headers) as response:
                return response.status

        assert await post(forged, None) == 403
        assert await post(forged, "webhook-secret_2") == 403
        assert await post(forged, "") == 403
        assert await post("not an update", WEBHOOK_SECRET) == 400
        assert await post(real, WEBHOOK_SECRET) == 200
        await customer.wait_async(0, "echo: prawdziwa wiadomość")
        # Telegram redelivers (it missed our 200): answered 200, not processed again.
        assert await post(real, WEBHOOK_SECRET) == 200
        later = {**text_update(customer.chat_id, "/help", "pl"), "update_id": 3}
        assert await post(later, WEBHOOK_SECRET) == 200
        await customer.wait_async(1)
        # A failing turn still answers Telegram 200, and the customer an apology.
        webhook.router.down = True
        failing = {**text_update(customer.chat_id, "halo?", "pl"), "update_id": 4}
        assert await post(failing, WEBHOOK_SECRET) == 200
        await customer.wait_async(2)
    assert [m["text"] for m in customer.sent()] == [
        "echo: prawdziwa wiadomość",
        text("help", "pl"),
        text("apology", "pl"),
    ]
    assert forger.sent() == []
    assert "/start order_10001" not in webhook.router.said()
    assert "Gdzie jest moje zamówienie 10001?" not in webhook.router.said()


async def test_a_refused_token_leaves_the_gateway_running(
    standin: BotApiStandin, inbox_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(standin, inbox_db, token="123:not-a-token-the-standin-knows") as harness:
        await until(lambda: "refused TELEGRAM_BOT_TOKEN" in caplog.text)
        assert not harness.channel.ready
        photo = f"{harness.url}/telegram/photos/x?sig=y"
        async with aiohttp.ClientSession() as http, http.get(photo) as response:
            assert response.status == 403


async def test_an_unreachable_telegram_is_retried_without_holding_the_gateway_up(
    standin: BotApiStandin, inbox_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with running(standin, inbox_db, api_url=nowhere) as harness:
        await until(lambda: "Telegram unreachable" in caplog.text)
        assert not harness.channel.ready
        photo = f"{harness.url}/telegram/photos/x?sig=y"
        async with aiohttp.ClientSession() as http, http.get(photo) as response:
            assert response.status == 403  # the gateway serves meanwhile


def test_without_a_token_the_channel_is_off_and_says_how_to_enable_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = web.Application()
    caplog.set_level("INFO")
    setup_telegram(app, {"TELEGRAM_MODE": "webhook"})
    assert "set TELEGRAM_BOT_TOKEN" in caplog.text
    assert not [r for r in app.router.resources() if "telegram" in r.canonical]
    assert len(app.cleanup_ctx) == 0
