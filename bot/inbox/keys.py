"""Typed application state keys. Names are prefixed: the inbox may share its
app with the gateway."""

from __future__ import annotations

import jinja2
from aiohttp import ClientSession, web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox.config import InboxSettings
from bot.inbox.delivery import Delivery
from bot.inbox.domain import Intents
from bot.inbox.hub import Hub
from bot.inbox.ratelimit import LoginLimiter

DELIVERY = web.AppKey("delivery", Delivery)
# Created by setup_inbox, usable at once; connections open on first use.
ENGINE = web.AppKey("inbox_engine", AsyncEngine)
SETTINGS = web.AppKey("inbox_settings", InboxSettings)
HUB = web.AppKey("inbox_hub", Hub)
INTENTS = web.AppKey("inbox_intents", Intents)
# Client for the shop and Rasa, open while the app runs.
HTTP = web.AppKey("inbox_http", ClientSession)
TEMPLATES = web.AppKey("inbox_templates", jinja2.Environment)
LOGIN_LIMITER = web.AppKey("inbox_login_limiter", LoginLimiter)
