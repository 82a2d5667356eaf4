"""Alembic: the migrations build the schema on an empty SQLite file and on PostgreSQL,
and what they build is exactly what the code's tables declare."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

import bot.customers.tables  # noqa: F401  (its tables join the shared MetaData)
from bot.conversations import store
from bot.conversations.tables import metadata
from bot.inbox import agents, review, stats, workflow
from bot.inbox.db import create_engine, migrate, sync_url
from bot.settings import PROJECT_ROOT

TABLES = {"agents", "conversations", "messages", "customers", "customer_links", "alembic_version"}
HEAD = "0002_customers"
POSTGRES_URL = os.environ.get(
    "INBOX_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def schema(url: str) -> tuple[set[str], set[str], str]:
    engine = create_sync_engine(sync_url(url))
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names())
        indexes = {index["name"] for index in inspector.get_indexes("conversations")}
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
        return tables, indexes, version
    finally:
        engine.dispose()


def test_sync_url_swaps_async_drivers() -> None:
    assert sync_url("sqlite+aiosqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert (
        sync_url("postgresql+asyncpg://u:p%40ss@db:5432/inbox")
        == "postgresql+psycopg2://u:p%40ss@db:5432/inbox"
    )


def test_upgrade_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'inbox.db'}"
    migrate(url)
    tables, indexes, version = schema(url)
    assert tables >= TABLES
    assert {"ix_conversations_state", "ix_conversations_created_at"} <= indexes
    assert version == HEAD
    migrate(url)  # at head already: nothing to do, no error


def test_the_migrations_build_what_the_tables_declare(tmp_path: Path) -> None:
    """A table or column added in code without a migration shows up here."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}"
    migrate(url)
    engine = create_sync_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


def test_cli_migrate_reads_the_url_from_the_environment(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    env = {**os.environ, "INBOX_DATABASE_URL": f"sqlite+aiosqlite:///{database}", "PYTHONPATH": "."}
    env.pop("INBOX_SESSION_KEY", None)  # migrating needs no session key
    result = subprocess.run(
        [sys.executable, "-m", "bot.inbox", "migrate"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert schema(f"sqlite:///{database}")[0] >= TABLES


def test_plain_alembic_command_works_from_the_repository_root(tmp_path: Path) -> None:
    database = tmp_path / "alembic.db"
    env = {**os.environ, "INBOX_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert schema(f"sqlite:///{database}")[0] >= TABLES


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def postgres_url() -> AsyncIterator[str]:
    """A brand-new PostgreSQL database, dropped afterwards."""
    admin_dsn = make_url(POSTGRES_URL).set(drivername="postgresql")
    try:
        admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False), timeout=5)
    except (OSError, asyncio.TimeoutError) as error:
        pytest.skip(f"PostgreSQL is unreachable: {error}")
    name = f"kramar_inbox_test_{secrets.token_hex(4)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_upgrade_and_queries_on_postgres(postgres_url: str) -> None:
    await asyncio.to_thread(migrate, postgres_url)
    tables, indexes, version = await asyncio.to_thread(schema, postgres_url)
    assert tables >= TABLES
    assert "ix_conversations_state" in indexes
    assert version == HEAD

    # The queries that differ most between SQLite and PostgreSQL, once for real.
    engine = create_engine(postgres_url)
    try:
        agent = await agents.create_agent(
            engine, username="pg.agent", display_name="PG", password="long enough"
        )
        await store.record_message(
            engine,
            sender_id="pg-1",
            channel="rest",
            direction="customer",
            text="Gdzie jest moja paczka?",
            intent="nlu_fallback",
            confidence=0.3,
            language="pl",
        )
        opened = await store.open_handoff(
            engine,
            sender_id="pg-1",
            reason="low_confidence",
            language="pl",
            customer=None,
            order_id=None,
        )
        assert await store.queue_position(engine, "pg-1") == 1
        claimed = await workflow.claim(engine, opened.id, agent)
        assert claimed.assigned_agent_name == "PG"
        await workflow.close(engine, opened.id, agent)
        await store.set_rating(engine, sender_id="pg-1", rating=5, comment=None)
        found = await review.search(engine, review.ReviewFilter(q="PACZKA", rating=5))
        assert [row.conversation.id for row in found.rows] == [opened.id]
        numbers = await stats.dashboard(engine, days=7)
        assert (numbers.conversations, numbers.handed_off, numbers.fallback_messages) == (1, 1, 1)
        assert sum(count for _, count in numbers.per_day) == 1
        assert numbers.ratings[5] == 1
        assert (await store.conversation_by_sender(engine, "pg-1")) is not None
        assert await agents.authenticate(engine, "pg.agent", "long enough") is not None
        # An id beyond PostgreSQL's integer range is "not found", never a 500.
        assert await store.find_conversation(engine, 2**31 - 1) is None
    finally:
        await engine.dispose()
