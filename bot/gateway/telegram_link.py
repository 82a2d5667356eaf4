""" "Continue in Telegram": a widget conversation asks for the bot's deep link with a one-time code.

    POST /chat/conversations/{id}/telegram-link   Bearer token -> {"url", "expires_at"}

404 while the gateway has no Telegram channel, 503 while it is not connected
yet (the bot's username comes from Telegram's getMe at start), 429 above
LINKS_PER_WINDOW codes per conversation. Opening the link sends `/start <code>`
to the bot, which `continuation.py` turns into the same conversation in Telegram.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from aiohttp import web

from bot.buckets import LeakyBucket
from bot.conversations.clock import to_iso
from bot.customers import links
from bot.gateway.keys import GATEWAY
from bot.gateway.limits import too_many
from bot.gateway.responses import error_response, proven_conversation, unauthorised
from bot.gateway.telegram import TELEGRAM

logger = logging.getLogger(__name__)

ROUTE = "/chat/conversations/{conversation_id}/telegram-link"
# A customer needs one code, two if the first expired: more is a script.
LINKS_PER_WINDOW, LINK_WINDOW_SECONDS = 5, 600

LINK_CODES = web.AppKey("telegram_link_codes", LeakyBucket)


def telegram_username(app: web.Application) -> str | None:
    """The bot's @username while the Telegram channel is connected; None otherwise."""
    channel = app.get(TELEGRAM)
    if channel is None or not channel.ready:
        return None
    return channel.application.bot.username


async def telegram_link(request: web.Request) -> web.Response:
    """A one-time deep link into the bot for this conversation, for whoever holds its token."""
    sender = proven_conversation(request)
    if sender is None:
        return unauthorised()
    if request.app.get(TELEGRAM) is None:
        return error_response(HTTPStatus.NOT_FOUND, "This shop does not chat on Telegram.")
    username = telegram_username(request.app)
    if username is None:
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE, "Telegram is not reachable; try again soon."
        )
    if wait := request.app[LINK_CODES].take(sender):
        return too_many(wait, "This conversation has asked for enough Telegram links for now.")
    code, expires = await links.create_code(request.app[GATEWAY].router.engine, sender)
    logger.info("Gave %s a link into Telegram", sender)
    return web.json_response(
        {"url": f"https://t.me/{username}?start={code}", "expires_at": to_iso(expires)},
        headers={"Cache-Control": "no-store"},
    )


def setup_telegram_link(app: web.Application) -> None:
    app[LINK_CODES] = LeakyBucket(LINKS_PER_WINDOW, LINK_WINDOW_SECONDS)
    app.router.add_post(ROUTE, telegram_link, name="widget.telegram_link")
