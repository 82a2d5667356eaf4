"""``python -m bot.shop``: serve the reference shop on settings.host:settings.shop_port."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from bot.shop.app import create_app
from bot.shop.db import describe_url

log = logging.getLogger("bot.shop")


async def serve(settings: Settings) -> int:
    runner = web.AppRunner(create_app(settings))
    try:
        try:
            await runner.setup()
        except (OSError, SQLAlchemyError) as error:
            log.error(
                "Cannot open the shop database %s: %s",
                describe_url(settings.shop_database_url),
                error,
            )
            return 1
        site = web.TCPSite(runner, settings.host, settings.shop_port)
        try:
            await site.start()
        except OSError as error:
            log.error("Cannot listen on %s:%s: %s", settings.host, settings.shop_port, error)
            return 1
        log.info(
            "Kramar shop ready on http://%s:%s (database %s)",
            settings.host,
            settings.shop_port,
            describe_url(settings.shop_database_url),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        log.info("Kramar shop stopping")
        return 0
    finally:
        await runner.cleanup()


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"bot.shop: {error}", file=sys.stderr)
        return 2
    if not settings.shop_api_key.strip():
        print(
            "bot.shop: SHOP_API_KEY is empty; set it to the key clients send as X-API-Key.",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(serve(settings))


if __name__ == "__main__":
    sys.exit(main())
