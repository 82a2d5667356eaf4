"""Application factory: wires settings, database lifetime, middlewares and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.buckets import LeakyBucket
from bot.settings import Settings
from bot.shop import admin_routes
from bot.shop.clock import utc_now
from bot.shop.db import create_engine, create_tables, describe_url
from bot.shop.keys import ENGINE_KEY, SETTINGS_KEY, VERIFICATIONS_KEY
from bot.shop.middlewares import error_middleware, make_auth_middleware
from bot.shop.routes import routes
from bot.shop.seed import seed_if_empty
from bot.shop.webhooks import WEBHOOKS_KEY, WebhookSender, webhooks_lifetime

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> web.Application:
    if not settings.shop_api_key.strip():
        # Never serve customer data without a key, whoever builds the app.
        raise ValueError("SHOP_API_KEY is empty; the shop refuses to run without an API key")
    app = web.Application(
        # Errors outermost, so a 401 from auth is shaped like every other error.
        middlewares=[
            error_middleware,
            make_auth_middleware(settings.shop_api_key, settings.shop_admin_token),
        ],
    )
    app[SETTINGS_KEY] = settings
    limits = settings.limits
    app[VERIFICATIONS_KEY] = LeakyBucket(
        limits.verification_failures_per_order, limits.verification_window_seconds
    )
    app[WEBHOOKS_KEY] = WebhookSender(settings.shop_webhook_url, settings.shop_webhook_secret)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(webhooks_lifetime)
    app.add_routes(routes)
    app.add_routes(admin_routes.routes)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS_KEY]
    engine = create_engine(settings.shop_database_url)
    try:
        await create_tables(engine)
        if await seed_if_empty(engine, today=utc_now().date(), label_base_url=settings.shop_url):
            log.info("Seeded demo data into %s", describe_url(settings.shop_database_url))
        app[ENGINE_KEY] = engine
        yield
    finally:
        await engine.dispose()
