"""Telegram chats as conversations: one handler per kind of update, all through the router.

A chat is the sender `tg-<chat_id>` on the channel `telegram`; what the
customer types, clicks or photographs reaches the bot (or the agent who has
the conversation) as text, and every reply comes back into the same chat.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.buckets import LeakyBucket
from bot.conversations import store
from bot.customers import links
from bot.gateway.continuation import continue_conversation
from bot.gateway.rasa_client import RasaError
from bot.gateway.router import Router
from bot.gateway.telegram_photos import PhotoLinks
from bot.gateway.telegram_send import CHOSEN, ButtonPayloads, Outgoing, with_retries
from bot.gateway.telegram_texts import deep_link_text, language_hint, text
from bot.gateway.telegram_updates import RecentUpdates

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
_SENDER = re.compile(r"tg-(-?\d+)")
Context = ContextTypes.DEFAULT_TYPE
TelegramApp = Application[Any, Any, Any, Any, Any, Any]


def sender_of(chat_id: int) -> str:
    return f"tg-{chat_id}"


def chat_of(sender: str) -> int | None:
    match = _SENDER.fullmatch(sender)
    return int(match.group(1)) if match else None


def _hint(update: Update) -> str | None:
    user = update.effective_user
    return language_hint(user.language_code if user else None)


class TelegramChannel:
    """Updates in, through the router; replies, agents' words and bot lines out."""

    def __init__(
        self, application: TelegramApp, router: Router, photos: PhotoLinks, messages: LeakyBucket
    ) -> None:
        self.application, self.router, self.photos = application, router, photos
        self.messages = messages  # per conversation per minute, shared with the other channels
        self.out = Outgoing(application.bot, ButtonPayloads())
        self.recent = RecentUpdates()
        self.ready = False  # set while the bot is connected to Telegram
        private = filters.ChatType.PRIVATE  # order details never go to a group
        application.add_handler(TypeHandler(Update, self.once), group=-1)
        application.add_handlers(
            [
                CommandHandler("start", self.on_start, filters=private),
                CommandHandler("help", self.on_help, filters=private),
                CallbackQueryHandler(self.on_button),
                MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.on_text),
                MessageHandler(private & (filters.PHOTO | filters.Document.IMAGE), self.on_photo),
                MessageHandler(private & filters.COMMAND, self.on_help),
                MessageHandler(private, self.on_other),
            ]
        )
        application.add_error_handler(self.on_error)
        router.add_pusher(CHANNEL, self.push)

    async def once(self, update: Update, context: Context) -> None:
        """Lets each update through once; a redelivered or replayed one stops here."""
        if not self.recent.first_time(update.update_id):
            logger.info("Ignoring Telegram update %d, seen before", update.update_id)
            raise ApplicationHandlerStop

    async def on_start(self, update: Update, context: Context) -> None:
        """Greets a new customer, asks where the order is when opened from an order link,
        or carries on a website conversation opened from "Continue in Telegram"."""
        payload = context.args[0] if context.args else ""
        if links.looks_like_code(payload):
            await self.continue_from_web(update, payload)
            return
        asked = deep_link_text(payload, _hint(update)) if payload else None
        await self.turn(update, asked or "/greet")

    async def continue_from_web(self, update: Update, code: str) -> None:
        """Carries the website conversation of `code` on in this chat; says so if the link
        is used or expired."""
        chat = update.effective_chat
        if chat is None:
            return
        sender = sender_of(chat.id)
        if self.messages.take(sender):
            await self._say(chat.id, text("too_fast", _hint(update)))
            return
        try:
            async with self.out.typing(chat.id):
                replies = await continue_conversation(
                    self.router, code=code, sender=sender, channel=CHANNEL, language=_hint(update)
                )
        except Exception:  # Rasa down, a bug: the customer still hears from us
            logger.exception("Continuing a website conversation in %s failed", sender)
            await self._say(chat.id, text("apology", _hint(update)))
            return
        if replies is None:
            await self._say(chat.id, text("link_expired", await self._language(chat.id, update)))
            return
        await self.router.deliver(sender, CHANNEL, replies)

    async def on_help(self, update: Update, context: Context) -> None:
        """Says what the bot can do, in the conversation's language; asks the bot nothing."""
        chat = update.effective_chat
        if chat:
            await self._say(chat.id, text("help", await self._language(chat.id, update)))

    async def on_text(self, update: Update, context: Context) -> None:
        """Passes the customer's words on; asks the bot (or the agent) to answer."""
        message = update.effective_message
        if message and message.text:
            await self.turn(update, message.text)

    async def on_photo(self, update: Update, context: Context) -> None:
        """Passes a photo on as a link (with its caption); asks the bot what comes next."""
        message = update.effective_message
        if message is None:
            return
        if message.photo:
            file_id = max(message.photo, key=lambda size: size.width * size.height).file_id
        elif message.document:
            file_id = message.document.file_id
        else:
            return
        link = self.photos.link(file_id)
        await self.turn(update, f"{message.caption} {link}" if message.caption else link)

    async def on_other(self, update: Update, context: Context) -> None:
        """Says which messages the bot reads (stickers, voice, ... are not)."""
        chat = update.effective_chat
        if chat:
            await self._say(chat.id, text("unsupported", _hint(update)))

    async def on_button(self, update: Update, context: Context) -> None:
        """Takes a clicked button's payload as the customer's answer; asks the bot what's next."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None:
            return
        if query.data == CHOSEN:
            await self._answer(query)
            return
        choice = self.out.buttons.take(chat.id, query.data)
        if choice is None:
            await self._answer(query, text("expired_button", _hint(update)))
            return
        await self._answer(query)
        await self._mark_chosen(query, choice.title)
        await self.turn(update, choice.payload)

    async def on_error(self, update: object, context: Context) -> None:
        """Logs what a handler did not handle itself."""
        logger.error("A Telegram update failed", exc_info=context.error)

    async def turn(self, update: Update, customer_text: str) -> None:
        """One customer message through the router; the replies back, or an apology."""
        chat = update.effective_chat
        if chat is None:
            return
        sender, language = sender_of(chat.id), _hint(update)
        if self.messages.take(sender):
            # No 429 in a chat: a line in the app's language (no look-up: it may be a flood).
            await self._say(chat.id, text("too_fast", language))
            return
        try:
            async with self.out.typing(chat.id):
                if language:
                    await self._hint_language(sender, language)
                answer = await self.router.handle(
                    sender, CHANNEL, customer_text, {"telegram": {"language_hint": language}}
                )
                replies = answer.replies
        except Exception:  # Rasa down, a bug: the customer still hears from us
            logger.exception("The turn of %s failed", sender)
            replies = [{"text": text("apology", language)}]
        await self._say_all(chat.id, replies)

    async def push(self, sender: str, messages: list[dict[str, Any]]) -> None:
        """Delivers what nobody asked for just now: agents' replies, the bot taking over."""
        chat_id = chat_of(sender)
        if chat_id is None:
            logger.warning("Not a Telegram sender: %s", sender)
            return
        await self.out.replies(chat_id, messages)

    async def _hint_language(self, sender: str, language: str) -> None:
        """Tells the bot the app's language before a chat's first message."""
        if await store.conversation_by_sender(self.router.engine, sender) is not None:
            return
        try:
            event = {"event": "slot", "name": "language", "value": language}
            await self.router.rasa.append(sender, [event])
        except RasaError:
            logger.warning("Could not set the language of %s", sender)

    async def _language(self, chat_id: int, update: Update) -> str | None:
        """The conversation's language if the bot knows it, else the app's."""
        sender = sender_of(chat_id)
        if await store.conversation_by_sender(self.router.engine, sender) is not None:
            try:
                slots = (await self.router.rasa.state(sender)).get("slots") or {}
                if slots.get("language"):
                    return str(slots["language"])
            except RasaError:
                pass
        return _hint(update)

    async def _say(self, chat_id: int, line: str) -> None:
        await self._say_all(chat_id, [{"text": line}])

    async def _say_all(self, chat_id: int, replies: list[dict[str, Any]]) -> None:
        try:
            await self.out.replies(chat_id, replies)
        except TelegramError:
            logger.exception("Could not answer Telegram chat %s", chat_id)

    async def _answer(self, query: CallbackQuery, notice: str | None = None) -> None:
        """Stops the button's spinner (a notice shows as a toast)."""
        try:
            await with_retries(partial(query.answer, text=notice), "answerCallbackQuery")
        except TelegramError:  # too old to answer: the spinner times out by itself
            logger.info("Could not answer a Telegram button click")

    async def _mark_chosen(self, query: CallbackQuery, title: str) -> None:
        """Leaves only the chosen button, ticked, so the chat shows what was answered."""
        ticked = InlineKeyboardButton(f"✓ {title}", callback_data=CHOSEN)
        try:
            await query.edit_message_reply_markup(InlineKeyboardMarkup([[ticked]]))
        except TelegramError:  # an old message cannot be edited; nothing is lost
            logger.info("Could not mark a chosen Telegram button")
