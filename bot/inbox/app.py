"""Wiring: ``setup_inbox`` adds the inbox to an app (the gateway's, in one
process); ``create_app`` builds a standalone one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.inbox import api, auth_views, downloads, pages
from bot.inbox.config import InboxSettings, check_session_key
from bot.inbox.db import create_engine, describe_url, migrate
from bot.inbox.delivery import Delivery
from bot.inbox.domain import load_intents
from bot.inbox.hub import Hub
from bot.inbox.keys import DELIVERY, ENGINE, HTTP, HUB, INTENTS, LOGIN_LIMITER, SETTINGS
from bot.inbox.live import websocket
from bot.inbox.middlewares import inbox_middlewares
from bot.inbox.ratelimit import LoginLimiter
from bot.inbox.sessions import COOKIE_NAME, SESSION_MAX_AGE
from bot.inbox.templating import STATIC_DIR, STATIC_ROUTE, setup_templates

log = logging.getLogger(__name__)


def create_app(settings: InboxSettings, delivery: Delivery) -> web.Application:
    app = web.Application()
    setup_inbox(app, settings, delivery)
    return app


def setup_inbox(app: web.Application, settings: InboxSettings, delivery: Delivery) -> None:
    """Add the inbox's routes, middlewares, session, templates and lifetime to ``app``.

    ``app[ENGINE]`` is usable as soon as this returns (connections open lazily);
    the schema is migrated to the newest version when the app starts.
    """
    session_key = check_session_key(settings.session_key)
    before = set(app.router.resources())
    app[SETTINGS] = settings
    app[DELIVERY] = delivery
    app[ENGINE] = create_engine(settings.database_url)
    app[HUB] = Hub()
    app[INTENTS] = load_intents(settings.domain_path)
    app[LOGIN_LIMITER] = LoginLimiter()
    setup_templates(app)
    for table in (auth_views.routes, pages.routes, downloads.routes, api.routes):
        app.add_routes(table)
    app.router.add_get("/ws", websocket, name="inbox.ws")
    app.router.add_static("/inbox-assets/", STATIC_DIR, name=STATIC_ROUTE)
    # Only what was added here is the inbox's: the middlewares leave the rest alone.
    resources = frozenset(set(app.router.resources()) - before)
    storage = EncryptedCookieStorage(
        Fernet(session_key.encode()),
        cookie_name=COOKIE_NAME,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.cookie_secure,
    )
    app.middlewares.extend(inbox_middlewares(resources, storage))
    app.cleanup_ctx.append(_lifetime)
    # aiohttp 3.9's stubs and newer aiosignal disagree on the signal's type.
    app.on_shutdown.append(_close_sockets)  # type: ignore[arg-type]


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = app[ENGINE]
    try:
        # Alembic is blocking: keep the event loop free while it runs.
        await asyncio.to_thread(migrate, settings.database_url)
        log.info("Inbox database ready: %s", describe_url(settings.database_url))
        async with aiohttp.ClientSession() as http:
            app[HTTP] = http
            yield
    finally:
        await engine.dispose()


async def _close_sockets(app: web.Application) -> None:
    await app[HUB].close_all()
