"""``python -m bot.inbox``: serve the inbox alone, migrate, manage agents, delete old data."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox import agents, retention
from bot.inbox.app import setup_inbox
from bot.inbox.config import InboxSettings
from bot.inbox.db import create_engine, describe_url, migrate
from bot.inbox.delivery import RecordOnlyDelivery
from bot.inbox.errors import InboxError
from bot.inbox.keys import ENGINE

log = logging.getLogger("bot.inbox")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.inbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", help="run the inbox alone on KRAMAR_HOST:INBOX_PORT (default)")
    commands.add_parser("migrate", help="upgrade the database schema to the newest version")
    create = commands.add_parser("create-agent", help="add a support agent")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="display name shown to colleagues")
    create.add_argument("--admin", action="store_true", help="make the agent an administrator")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (for scripts)",
    )
    commands.add_parser(
        "purge", help="delete transcripts older than TRANSCRIPT_RETENTION_DAYS (default 180)"
    )
    erase = commands.add_parser("erase", help="delete one customer's conversations")
    who = erase.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", metavar="EMAIL", help="conversations of this email address")
    who.add_argument("--sender", metavar="SENDER_ID", help="the conversation of this chat")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    command = args.command or "serve"
    try:
        settings = InboxSettings.from_env(require_session_key=command == "serve")
    except ValueError as error:
        print(f"bot.inbox: {error}", file=sys.stderr)
        return 2
    if command == "serve":
        return asyncio.run(serve(settings))
    try:
        if command == "migrate":
            migrate(settings.database_url)
            print(f"Database is at the newest schema: {describe_url(settings.database_url)}")
            return 0
        if command == "create-agent":
            return _create_agent(settings, args)
        if command == "purge":
            return asyncio.run(_with_engine(settings, lambda engine: _purge(engine, settings)))
        return asyncio.run(
            _with_engine(
                settings, lambda engine: _erase(engine, settings, args.customer, args.sender)
            )
        )
    except (OSError, SQLAlchemyError) as error:
        print(f"bot.inbox: database error: {error}", file=sys.stderr)
        return 1


def _create_agent(settings: InboxSettings, args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Repeat the password: ") != password:
            print("bot.inbox: the passwords differ", file=sys.stderr)
            return 2
    try:
        agents.check_password_rules(password)
    except InboxError as error:
        print(f"bot.inbox: {error.message}", file=sys.stderr)
        return 2

    async def create(engine: AsyncEngine) -> int:
        try:
            agent = await agents.create_agent(
                engine,
                username=args.username,
                display_name=args.name,
                password=password,
                is_admin=args.admin,
            )
        except InboxError as error:
            print(f"bot.inbox: {error.message}", file=sys.stderr)
            return 2
        role = "administrator" if agent.is_admin else "agent"
        print(f"Created {role} {agent.username!r} ({agent.display_name})")
        return 0

    return asyncio.run(_with_engine(settings, create))


async def _purge(engine: AsyncEngine, settings: InboxSettings) -> int:
    deleted = await retention.purge(
        engine, days=settings.retention_days, upload_dir=settings.upload_dir
    )
    print(
        f"Deleted {deleted.conversations} conversation(s), {deleted.messages} message(s) "
        f"and {deleted.photos} photo(s) older than {settings.retention_days} days"
    )
    return 0


async def _erase(
    engine: AsyncEngine, settings: InboxSettings, customer: str | None, sender: str | None
) -> int:
    deleted = await retention.erase(
        engine, upload_dir=settings.upload_dir, customer=customer, sender_id=sender
    )
    print(
        f"Deleted {deleted.conversations} conversation(s), {deleted.messages} message(s) "
        f"and {deleted.photos} photo(s)"
    )
    return 0


async def _with_engine(
    settings: InboxSettings, work: Callable[[AsyncEngine], Awaitable[int]]
) -> int:
    # Every command works on the newest schema, whatever state the file is in.
    await asyncio.to_thread(migrate, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


async def serve(settings: InboxSettings) -> int:
    app = web.Application()
    # Alone, there is no gateway: replies are recorded but reach no customer.
    delivery = RecordOnlyDelivery(lambda: app[ENGINE])
    setup_inbox(app, settings, delivery)
    runner = web.AppRunner(app)
    try:
        try:
            await runner.setup()
        except (OSError, SQLAlchemyError) as error:
            log.error(
                "Cannot open the inbox database %s: %s", describe_url(settings.database_url), error
            )
            return 1
        site = web.TCPSite(runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as error:
            log.error("Cannot listen on %s:%s: %s", settings.host, settings.port, error)
            return 1
        log.info(
            "Kramar inbox ready on http://%s:%s (database %s; no gateway: replies are not delivered)",
            settings.host,
            settings.port,
            describe_url(settings.database_url),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        log.info("Kramar inbox stopping")
        return 0
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    sys.exit(main())
