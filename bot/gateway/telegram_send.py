"""Bot replies (Rasa REST format) as Telegram messages, delivered despite flood limits.

Text goes out as plain text (no parse_mode): customers' order details, agents'
words and the bot's lines are shown exactly as written, and a stray `<`, `*`
or `_` can never make Telegram refuse a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units
ATTEMPTS = 4
MAX_RETRY_AFTER = 60.0  # seconds; a longer flood wait is not worth holding a turn for
BACKOFF = 0.5
TYPING_RENEW = 4.0  # Telegram shows "typing…" for 5 seconds
CHOSEN = "chosen"  # callback_data of the ✓ button left after a click


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """`text` in pieces Telegram accepts, cut at paragraphs, else lines, else words."""
    pieces: list[str] = []
    rest = text.strip()
    while _units(rest) > limit:
        head = _fitting(rest, limit)
        cut = len(head)
        for separator in ("\n\n", "\n", " "):
            at = head.rfind(separator)
            if at >= len(head) // 2:  # a cut near the start would leave a stub message
                cut = at
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces


def layout(titles: Sequence[str]) -> list[list[int]]:
    """Positions of buttons per keyboard row: short titles side by side, long ones alone."""
    longest = max((len(title) for title in titles), default=0)
    width = 3 if longest <= 8 else 2 if longest <= 16 else 1
    positions = list(range(len(titles)))
    return [positions[start : start + width] for start in range(0, len(positions), width)]


@dataclass(frozen=True)
class Choice:
    chat_id: int
    payload: str
    title: str


class ButtonPayloads:
    """Payloads behind inline buttons, by the short id put in their callback_data.

    Telegram allows 64 bytes of callback_data; payloads (item names, reasons,
    `/intent{...}`) can be longer, so buttons carry an id and the payload
    stays here, bounded: the oldest buttons expire first.
    """

    def __init__(self, size: int = 20_000) -> None:
        self._choices: OrderedDict[str, Choice] = OrderedDict()
        self._size = size

    def remember(self, chat_id: int, payload: str, title: str) -> str:
        """A new id for a button showing `title` in `chat_id` that answers `payload`."""
        key = secrets.token_urlsafe(9)
        self._choices[key] = Choice(chat_id, payload, title)
        while len(self._choices) > self._size:
            self._choices.popitem(last=False)
        return key

    def take(self, chat_id: int, key: str | None) -> Choice | None:
        """The button's choice, once: a double tap does not answer twice."""
        choice = self._choices.get(key or "")
        if choice is None or choice.chat_id != chat_id:
            return None
        del self._choices[key or ""]
        return choice

    def __len__(self) -> int:
        return len(self._choices)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def with_retries(
    action: Callable[[], Awaitable[T]],
    what: str,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """Runs a Bot API call; waits out 429s and retries network errors, then gives up."""
    for attempt in range(1, attempts + 1):
        try:
            return await action()
        except RetryAfter as error:
            wait = _seconds(error.retry_after)
            if attempt == attempts or wait > MAX_RETRY_AFTER:
                raise
        except BadRequest:  # a NetworkError subclass, but retrying cannot fix it
            raise
        except NetworkError:  # TimedOut included
            if attempt == attempts:
                raise
            wait = BACKOFF * 2 ** (attempt - 1)
        logger.warning("Telegram %s failed (try %d), again in %.1f s", what, attempt, wait)
        await sleep(wait)
    raise AssertionError("unreachable")


def reply_text(reply: dict[str, Any]) -> str:
    """A reply's text; an agent's reply says who wrote it."""
    text = str(reply.get("text") or "")
    agent = reply.get("agent")
    return f"{agent}: {text}" if agent and text else text


class Outgoing:
    """Sends replies to chats: texts with keyboards, images, "typing…"."""

    def __init__(self, bot: Bot, buttons: ButtonPayloads) -> None:
        self.bot, self.buttons = bot, buttons

    async def replies(self, chat_id: int, replies: Sequence[dict[str, Any]]) -> None:
        for reply in replies:
            if reply.get("image"):
                await self.image(chat_id, str(reply["image"]))
            buttons = [b for b in reply.get("buttons") or [] if isinstance(b, dict)]
            buttons = [b for b in buttons if b.get("payload") and b.get("title")]
            text = reply_text(reply)
            if text or buttons:
                await self.text(chat_id, text or "👇", buttons)

    async def text(self, chat_id: int, text: str, buttons: Sequence[dict[str, Any]] = ()) -> None:
        pieces = split_text(text) or ["👇"]
        for number, piece in enumerate(pieces, start=1):
            markup = self.keyboard(chat_id, buttons) if number == len(pieces) else None
            send = partial(self.bot.send_message, chat_id=chat_id, text=piece, reply_markup=markup)
            await with_retries(send, "sendMessage")

    async def image(self, chat_id: int, url: str) -> None:
        try:
            await with_retries(
                partial(self.bot.send_photo, chat_id=chat_id, photo=url), "sendPhoto"
            )
        except BadRequest:  # Telegram could not fetch it: the link still helps
            logger.warning("Telegram could not show an image; sending its link instead")
            await self.text(chat_id, url)

    def keyboard(
        self, chat_id: int, buttons: Sequence[dict[str, Any]]
    ) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        titles = [str(button["title"]) for button in buttons]
        keys = [
            self.buttons.remember(chat_id, str(button["payload"]), str(button["title"]))
            for button in buttons
        ]
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(titles[i], callback_data=keys[i]) for i in row]
                for row in layout(titles)
            ]
        )

    @contextlib.asynccontextmanager
    async def typing(self, chat_id: int) -> AsyncIterator[None]:
        """Shows "typing…" in the chat until the block ends."""

        async def show() -> None:
            with contextlib.suppress(TelegramError):  # only a courtesy
                await self.bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)

        async def keep_showing() -> None:
            while True:
                await asyncio.sleep(TYPING_RENEW)
                await show()

        await show()
        task = asyncio.create_task(keep_showing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
