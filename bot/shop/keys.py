"""Typed application state keys, shared by the app factory and the handlers."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.buckets import LeakyBucket
from bot.settings import Settings

ENGINE_KEY = web.AppKey("engine", AsyncEngine)
SETTINGS_KEY = web.AppKey("settings", Settings)
# Failed email checks per order number, from any conversation (see routes.get_order).
VERIFICATIONS_KEY = web.AppKey("verifications", LeakyBucket)
