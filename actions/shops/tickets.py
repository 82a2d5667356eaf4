"""Complaint tickets kept by Kramar itself, for platforms that have no tickets
(Medusa): one table, `kramar_tickets`, in SQLite or PostgreSQL
(`TICKETS_DATABASE_URL`). Shop staff read them from this table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from actions.shops.base import Order, Ticket
from bot.policy import load_policy

metadata = MetaData()
tickets = Table(
    "kramar_tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("order_number", Integer, nullable=False),
    Column("email", String(320), nullable=False),
    Column("category", String(32), nullable=False),
    Column("description", Text, nullable=False),
    Column("photo_url", Text),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expected_response_by", DateTime(timezone=True), nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
)


def ticket_number(row_id: int) -> str:
    return f"T-{row_id:06d}"


class TicketStore:
    """Kramar's own tickets; the same idempotency key gives back the same ticket."""

    def __init__(self, url: str, platform: str) -> None:
        self._url, self._platform = url, platform
        self._engine: AsyncEngine | None = None

    async def _ready(self) -> AsyncEngine:
        if self._engine is None:
            parsed = make_url(self._url)
            if parsed.get_backend_name() == "sqlite" and parsed.database:
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_async_engine(self._url, pool_pre_ping=True)
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
            self._engine = engine
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def _by_key(self, engine: AsyncEngine, key: str) -> Ticket | None:
        async with engine.connect() as connection:
            row = (
                await connection.execute(select(tickets).where(tickets.c.idempotency_key == key))
            ).one_or_none()
        if row is None:
            return None
        return Ticket(
            id=ticket_number(row.id),
            status=row.status,
            expected_response_by=row.expected_response_by.replace(tzinfo=timezone.utc)
            if row.expected_response_by.tzinfo is None
            else row.expected_response_by,
        )

    async def create(
        self,
        order: Order,
        category: str,
        description: str,
        photo_url: str | None,
        idempotency_key: str,
    ) -> Ticket:
        engine = await self._ready()
        existing = await self._by_key(engine, idempotency_key)
        if existing is not None:
            return existing
        now = datetime.now(timezone.utc)
        values = {
            "platform": self._platform,
            "order_number": order.id,
            "email": order.customer_email.strip().lower(),
            "category": category,
            "description": description,
            "photo_url": photo_url,
            "status": "open",
            "created_at": now,
            "expected_response_by": now + timedelta(hours=load_policy().complaint_response_hours),
            "idempotency_key": idempotency_key,
        }
        try:
            async with engine.begin() as connection:
                await connection.execute(insert(tickets).values(**values))
        except IntegrityError:
            pass  # the same request, written a moment ago by another worker
        created = await self._by_key(engine, idempotency_key)
        assert created is not None
        return created
