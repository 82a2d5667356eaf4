"""Telegram updates as the Bot API sends them, and a customer chatting through the stand-in."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from typing import Any

from tests.telegram.bot_api_standin import BotApiStandin

Sent = list[dict[str, Any]]


def new_chat_id() -> int:
    return 100_000_000 + secrets.randbelow(900_000_000)


def person(chat_id: int, language_code: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "Klient"}
    if language_code:
        user["language_code"] = language_code
    return user


def message(chat_id: int, language_code: str | None, **content: Any) -> dict[str, Any]:
    return {
        "message_id": secrets.randbelow(10**6),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
        "from": person(abs(chat_id), language_code),
        **content,
    }


def text_update(chat_id: int, text: str, language_code: str | None = "en") -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):  # Telegram marks commands; PTB's CommandHandler relies on it
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message(chat_id, language_code, **content)}


def photo_update(
    chat_id: int,
    sizes: list[tuple[str, int]],
    caption: str | None = None,
    language_code: str = "en",
) -> dict[str, Any]:
    photo = [
        {"file_id": file_id, "file_unique_id": file_id[-6:], "width": side, "height": side}
        for file_id, side in sizes
    ]
    content: dict[str, Any] = {"photo": photo}
    if caption:
        content["caption"] = caption
    return {"message": message(chat_id, language_code, **content)}


def sticker_update(chat_id: int, language_code: str = "en") -> dict[str, Any]:
    sticker = {
        "file_id": "sticker",
        "file_unique_id": "st",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    return {"message": message(chat_id, language_code, sticker=sticker)}


def click_update(
    chat_id: int, data: str, shown: dict[str, Any], language_code: str | None = "en"
) -> dict[str, Any]:
    """A click on a button of `shown` (a message the bot sent, as the stand-in recorded it)."""
    return {
        "callback_query": {
            "id": str(secrets.randbelow(10**12)),
            "from": person(chat_id, language_code),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": message(chat_id, None, text=shown.get("text") or "…"),
        }
    }


def joined(sent: Sent) -> str:
    return "\n".join(str(m.get("text") or "") for m in sent)


def buttons(sent_message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = sent_message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


class TelegramUser:
    """A customer in a private chat with the bot, typing and clicking through the stand-in."""

    def __init__(
        self, standin: BotApiStandin, token: str, language_code: str | None = "en"
    ) -> None:
        self.standin, self.token, self.language_code = standin, token, language_code
        self.chat_id = new_chat_id()

    def sent(self) -> Sent:
        """What the bot sent to this chat so far."""
        return self.standin.sent(self.token, self.chat_id)

    def send(self, text: str) -> int:
        return self.standin.push(self.token, text_update(self.chat_id, text, self.language_code))

    def click(self, title: str) -> int:
        """Clicks the newest button whose title contains `title`."""
        for shown in reversed(self.sent()):
            for button in buttons(shown):
                if title in button["text"]:
                    update = click_update(
                        self.chat_id, button["callback_data"], shown, self.language_code
                    )
                    return self.standin.push(self.token, update)
        raise AssertionError(f"no button {title!r} in {self.sent()}")

    def _news(self, before: int, until: Callable[[Sent], bool] | str | None) -> Sent | None:
        new = self.sent()[before:]
        if isinstance(until, str):
            return new if until in joined(new) else None
        return new if new and (until is None or until(new)) else None

    def wait(
        self, before: int, until: Callable[[Sent], bool] | str | None = None, timeout: float = 90
    ) -> Sent:
        """Messages after the first `before` once `until` holds (text or test), else fails."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            news = self._news(before, until)
            if news is not None:
                return news
            time.sleep(0.2)
        raise AssertionError(f"waited {timeout} s for {until!r}; the bot sent {self.sent()}")

    async def wait_async(
        self, before: int, until: Callable[[Sent], bool] | str | None = None, timeout: float = 30
    ) -> Sent:
        """`wait` for tests whose gateway runs on the test's own event loop."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            news = self._news(before, until)
            if news is not None:
                return news
            await asyncio.sleep(0.05)
        raise AssertionError(f"waited {timeout} s for {until!r}; the bot sent {self.sent()}")

    def say(
        self, text: str, until: Callable[[Sent], bool] | str | None = None, timeout: float = 90
    ) -> Sent:
        """Sends `text`; the bot's answer once `until` holds."""
        before = len(self.sent())
        self.send(text)
        return self.wait(before, until, timeout)

    def choose(
        self, title: str, until: Callable[[Sent], bool] | str | None = None, timeout: float = 90
    ) -> Sent:
        """Clicks a button; the bot's answer once `until` holds."""
        before = len(self.sent())
        self.click(title)
        return self.wait(before, until, timeout)
