"""Runs the gateway and the support inbox: `python -m bot.gateway`."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator

from aiohttp import web

from bot.gateway.app import create_app
from bot.heap import freeze_loaded
from bot.inbox import InboxSettings
from bot.settings import Settings


async def settled(_app: web.Application) -> AsyncIterator[None]:
    freeze_loaded()
    yield


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    try:
        app = create_app(settings)
        port = InboxSettings.from_env().port
    except ValueError as error:
        print(f"Kramar inbox could not start: {error}", file=sys.stderr)
        return 2
    app.cleanup_ctx.append(settled)  # last: after the inbox's and channels' start-up
    web.run_app(app, host=settings.host, port=port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
