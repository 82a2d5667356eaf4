"""Engine creation and schema set-up for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.shop.tables import metadata


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pre_ping: a restarted PostgreSQL should cost one retry, not a 500.
        return create_async_engine(url, pool_pre_ping=True)

    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        # The default lives in var/, which a fresh checkout does not have yet.
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # A generous busy timeout: concurrent writers wait instead of failing.
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores REFERENCES unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


def describe_url(url: str) -> str:
    """The database URL with any password masked, fit for a log line."""
    return str(make_url(url).render_as_string(hide_password=True))
