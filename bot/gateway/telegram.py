"""The Telegram channel of the gateway (python-telegram-bot), on when a bot token is set.

    TELEGRAM_BOT_TOKEN       the bot's token from @BotFather; unset = channel off
    TELEGRAM_MODE            polling (default, no public address needed) | webhook
    TELEGRAM_WEBHOOK_URL     webhook mode: public https address of /telegram/webhook
    TELEGRAM_WEBHOOK_SECRET  webhook mode: Telegram sends it back with every update
    TELEGRAM_API_URL         Bot API server (default https://api.telegram.org)
    TELEGRAM_PUBLIC_URL      gateway's public address for photo links (default: the
                             webhook URL's origin, else http://KRAMAR_HOST:INBOX_PORT)

The PTB application lives as long as the aiohttp app. It connects in the
background, retrying while Telegram is unreachable, so the inbox and the REST
channel never wait for Telegram.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import ApplicationBuilder

from bot.gateway.keys import GATEWAY
from bot.gateway.limits import CHAT_LIMITS, setup_limits
from bot.gateway.telegram_channel import CHANNEL, TelegramApp, TelegramChannel
from bot.gateway.telegram_photos import ROUTE as PHOTO_ROUTE
from bot.gateway.telegram_photos import PhotoLinks, download
from bot.gateway.telegram_send import with_retries
from bot.gateway.telegram_updates import PerChatProcessor

logger = logging.getLogger(__name__)

WEBHOOK_ROUTE = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
MODES = ("polling", "webhook")
# What Telegram accepts as a webhook secret_token.
_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
_MAX_START_DELAY = 60.0

TELEGRAM = web.AppKey("telegram", TelegramChannel)


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    mode: str
    api_url: str
    webhook_url: str
    webhook_secret: str
    public_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TelegramSettings | None:
        """The settings, None when no token is set; a ValueError says what is wrong."""
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            return None
        mode = (env.get("TELEGRAM_MODE") or "polling").strip().lower()
        if mode not in MODES:
            raise ValueError(f"TELEGRAM_MODE must be polling or webhook, got {mode!r}")
        webhook_url = env.get("TELEGRAM_WEBHOOK_URL", "").strip()
        secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
        if mode == "webhook":
            if urlsplit(webhook_url).scheme not in ("https", "http"):
                raise ValueError(
                    f"TELEGRAM_WEBHOOK_URL must be the public https address of {WEBHOOK_ROUTE}"
                )
            if not _SECRET_FORMAT.fullmatch(secret):
                raise ValueError(
                    "TELEGRAM_WEBHOOK_SECRET must be 1-256 of A-Z a-z 0-9 _ -; generate one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        local = f"http://{env.get('KRAMAR_HOST') or '127.0.0.1'}:{env.get('INBOX_PORT') or 8090}"
        webhook_origin = "{0.scheme}://{0.netloc}".format(urlsplit(webhook_url))
        public_url = env.get("TELEGRAM_PUBLIC_URL", "").strip()
        return cls(
            token=token,
            mode=mode,
            api_url=(env.get("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
            webhook_url=webhook_url,
            webhook_secret=secret,
            public_url=public_url or (webhook_origin if mode == "webhook" else local),
        )


def setup_telegram(app: web.Application, env: Mapping[str, str]) -> None:
    """Adds the Telegram channel to the gateway app when TELEGRAM_BOT_TOKEN is set."""
    settings = TelegramSettings.from_env(env)
    if settings is None:
        logger.info("Telegram channel off; set TELEGRAM_BOT_TOKEN (from @BotFather) to enable it.")
        return
    setup_limits(app, env)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app.router.add_get(PHOTO_ROUTE, photo)
    if settings.mode == "webhook":
        app.router.add_post(WEBHOOK_ROUTE, webhook_handler(settings.webhook_secret))
    app.cleanup_ctx.append(partial(_lifetime, settings=settings))


def build_application(settings: TelegramSettings) -> TelegramApp:
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .concurrent_updates(PerChatProcessor())
        .job_queue(None)  # nothing is scheduled; saves APScheduler's thread
    )
    if settings.mode == "webhook":  # updates come through the gateway's own route
        builder = builder.updater(None)
    return builder.build()


async def _lifetime(app: web.Application, settings: TelegramSettings) -> AsyncIterator[None]:
    gateway = app[GATEWAY]
    channel = TelegramChannel(
        build_application(settings),
        gateway.router,
        PhotoLinks(gateway.secret, settings.public_url),
        app[CHAT_LIMITS].messages,
    )
    app[TELEGRAM] = channel
    stopping = asyncio.Event()
    running = asyncio.create_task(_run(channel, settings, stopping))
    yield
    stopping.set()
    await running
    gateway.router.remove_pusher(CHANNEL)


async def _run(
    channel: TelegramChannel, settings: TelegramSettings, stopping: asyncio.Event
) -> None:
    """Connects (again and again while Telegram is unreachable), then serves until stopped."""
    delay = 1.0
    try:
        while not stopping.is_set():
            try:
                await _connect(channel, settings)
                break
            except InvalidToken:
                logger.error("Telegram refused TELEGRAM_BOT_TOKEN; the Telegram channel is off.")
                return
            except Exception as error:  # network down, Telegram failing: not fatal to the gateway
                logger.warning("Telegram unreachable (%r); trying again in %.0f s", error, delay)
                await _disconnect(channel)
                try:
                    await asyncio.wait_for(stopping.wait(), delay)
                except asyncio.TimeoutError:
                    delay = min(delay * 2, _MAX_START_DELAY)
        await stopping.wait()
    finally:
        await _disconnect(channel)


async def _connect(channel: TelegramChannel, settings: TelegramSettings) -> None:
    application = channel.application
    await application.initialize()
    await application.start()
    if application.updater is not None:
        # Also deletes a webhook left from webhook mode, so polling gets the updates.
        await application.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, bootstrap_retries=3
        )
    else:
        set_webhook = partial(
            application.bot.set_webhook,
            url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        await with_retries(set_webhook, "setWebhook")
    channel.ready = True
    logger.info("Telegram channel on (%s) as @%s", settings.mode, application.bot.username)


async def _disconnect(channel: TelegramChannel) -> None:
    channel.ready = False
    application = channel.application
    try:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
    except Exception:  # stopping must go on: the rest of the gateway is shutting down too
        logger.exception("Telegram channel did not stop cleanly")


def webhook_handler(secret: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    expected = secret.encode()

    async def webhook(request: web.Request) -> web.Response:
        """Takes an update from Telegram: only with the secret, once, answered at once."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            logger.warning("Refused a Telegram webhook call without the secret")
            return web.Response(status=HTTPStatus.FORBIDDEN)
        channel = request.app.get(TELEGRAM)
        if channel is None or not channel.ready:  # Telegram retries later
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
        try:
            update = Update.de_json(await request.json(), channel.application.bot)
        except Exception:  # not an update; Telegram never sends these
            logger.warning("Refused a malformed Telegram webhook body")
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        # Handled in the background: a slow bot turn must not make Telegram redeliver.
        await channel.application.update_queue.put(update)
        return web.Response(status=HTTPStatus.OK)

    return webhook


async def photo(request: web.Request) -> web.Response:
    """A customer's photo, for a signed link the gateway gave the bot."""
    channel = request.app.get(TELEGRAM)
    file_id = request.match_info["file_id"]
    if channel is None or not channel.photos.is_signed(file_id, request.query.get("sig", "")):
        return web.Response(status=HTTPStatus.FORBIDDEN)
    if not channel.ready:
        return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
    try:
        content, content_type = await download(channel.application.bot, file_id)
    except TelegramError:
        return web.Response(status=HTTPStatus.NOT_FOUND)
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return web.Response(body=content, content_type=content_type, headers=headers)
