"""A migrated transcript database for tests of the stores: a SQLite file, or a
fresh PostgreSQL database that is dropped afterwards (skipped when none answers)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox.db import create_engine, migrate

POSTGRES_URL = os.environ.get(
    "INBOX_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.asynccontextmanager
async def migrated_engine(kind: str, directory: Path, prefix: str) -> AsyncIterator[AsyncEngine]:
    """`kind` is "sqlite" (a file in `directory`) or "postgresql" (a database `prefix_<hex>`)."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'inbox.db'}"
        await asyncio.to_thread(migrate, url)
        engine = create_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    admin_dsn = make_url(POSTGRES_URL).set(drivername="postgresql")
    try:
        admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False), timeout=5)
    except (OSError, asyncio.TimeoutError) as error:
        pytest.skip(f"PostgreSQL is unreachable: {error}")
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        await asyncio.to_thread(migrate, url)
        engine = create_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
