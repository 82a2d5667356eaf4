"""The gateway and the support inbox, one aiohttp application (`python -m bot.gateway`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping

from aiohttp import web

from bot.gateway import rest, shop_hooks
from bot.gateway.delivery import GatewayDelivery
from bot.gateway.keys import GATEWAY, GatewayState
from bot.gateway.limits import CHAT_LIMITS, ChatLimits
from bot.gateway.outbox import Outbox
from bot.gateway.proactive import setup_proactive
from bot.gateway.rasa_client import RasaClient
from bot.gateway.router import Router
from bot.gateway.telegram import setup_telegram
from bot.gateway.telegram_link import setup_telegram_link
from bot.gateway.widget import setup_widget
from bot.inbox import InboxSettings, setup_inbox
from bot.settings import Settings


def create_app(settings: Settings, env: Mapping[str, str] | None = None) -> web.Application:
    env = os.environ if env is None else env
    secret = settings.gateway_secret
    if not secret:
        raise ValueError("GATEWAY_SECRET is not set")
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[CHAT_LIMITS] = ChatLimits.from_settings(settings.limits)
    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    router = Router(app, rasa, Outbox())
    app[GATEWAY] = GatewayState(secret=secret, router=router)
    setup_inbox(app, InboxSettings.from_env(env), GatewayDelivery(router, rasa))

    async def rasa_session(app: web.Application) -> AsyncIterator[None]:
        yield
        await rasa.close()

    app.cleanup_ctx.append(rasa_session)
    app.add_routes(rest.routes)
    setup_widget(app, env)
    setup_telegram(app, env)
    setup_telegram_link(app)
    # Order updates from the shop, sent unasked to customers who opted in (issue 20).
    setup_proactive(app, settings.shop_webhook_secret, env)
    app.add_routes(shop_hooks.routes)
    return app
