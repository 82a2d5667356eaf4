"""Typed state the gateway keeps on the aiohttp application."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.gateway.router import Router


@dataclass
class GatewayState:
    secret: str
    router: Router


GATEWAY = web.AppKey("gateway", GatewayState)
