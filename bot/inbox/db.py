"""Engines for SQLite (aiosqlite) and PostgreSQL (asyncpg), and schema migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.settings import PROJECT_ROOT

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Alembic runs on blocking drivers; the app on their asyncio twins.
_SYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite", "postgresql+asyncpg": "postgresql+psycopg2"}
# Connections kept open: every turn at once (50 customers) checks one out for a
# look-up and again for the write. With SQLAlchemy's default of 5, the ones
# beyond were opened and closed again turn after turn (a PostgreSQL backend
# started each time).
POOL_SIZE = 20


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping: with asyncpg it cost a ping, a BEGIN and a ROLLBACK on every
        # checkout, three round trips around each statement of a turn. A connection
        # a restart dropped fails once instead; SQLAlchemy then renews the whole
        # pool, and the transcript's calls retry once (bot.conversations.store).
        return create_async_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_SIZE // 2)
    _ensure_sqlite_folder(url)
    # A generous busy timeout: concurrent writers wait instead of failing.
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def _ensure_sqlite_folder(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        # The default lives in var/, which a fresh checkout does not have yet.
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores REFERENCES unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def sync_url(url: str) -> str:
    """The same database behind a blocking driver, for Alembic."""
    parsed = make_url(url)
    driver = _SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def describe_url(url: str) -> str:
    """The database URL with any password masked, fit for a log line."""
    return str(make_url(url).render_as_string(hide_password=True))


def alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.exists() else Config()
    # Absolute, so migrating works from any working directory.
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # attributes, not set_main_option: ConfigParser would choke on a '%' in a password.
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    return config


def migrate(url: str) -> None:
    """Upgrade the database at ``url`` to the newest schema (blocking)."""
    _ensure_sqlite_folder(url)
    command.upgrade(alembic_config(url), "head")
