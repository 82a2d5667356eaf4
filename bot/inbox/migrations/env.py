"""Alembic environment: the inbox's tables, on a blocking driver.

The URL comes from the caller (``bot.inbox.db.migrate``) or, for the plain
``alembic`` command, from INBOX_DATABASE_URL (default: var/inbox.db).
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

import bot.customers.tables  # noqa: F401  (registers its tables on the same MetaData)
from bot.conversations.tables import metadata
from bot.inbox.config import DEFAULT_DATABASE_URL
from bot.inbox.db import sync_url

config = context.config
# The app migrates in-process and keeps its own logging set-up.
if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)

url = sync_url(
    config.attributes.get("database_url")
    or os.environ.get("INBOX_DATABASE_URL", "").strip()
    or DEFAULT_DATABASE_URL
)


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            # render_as_batch: SQLite can only ALTER tables by copying them.
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
