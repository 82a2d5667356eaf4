"""Known customers: who said "remember me", and on which chats.

Plain async functions over the transcript's database (no HTTP here). A
customer is one email; each chat where they said yes is a link (a Telegram
chat `tg-<id>`, or a widget conversation on one device). "Forget me" and the
inbox's erasure delete the customer with every link at once; their
notifications go with them (ON DELETE CASCADE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.conversations.clock import utc_now
from bot.conversations.store import retried_on_disconnect, unwrapped
from bot.customers.tables import customer_links, customers

MAX_NAME = 100


@dataclass(frozen=True)
class Customer:
    id: int
    email: str
    name: str | None
    language: str | None


def _customer(row: Row) -> Customer:
    return Customer(id=row.id, email=row.email, name=row.name, language=row.language)


def _normalised(email: str) -> str:
    return email.strip().lower()


async def remember(
    engine: AsyncEngine,
    *,
    sender_id: str,
    channel: str,
    email: str,
    name: str | None,
    language: str | None,
) -> Customer:
    """The customer of `email` (created on first consent), now linked to this chat.

    A chat belongs to one customer: remembering another email here moves the link.
    """
    email = _normalised(email)
    if not email:
        raise ValueError("remember needs the customer's email")
    now = utc_now()
    details = {"name": (name or "").strip()[:MAX_NAME] or None, "language": language}
    try:
        async with engine.begin() as conn:
            customer_id = await _customer_id(conn, email)
            if customer_id is None:
                inserted = await conn.execute(
                    customers.insert().values(email=email, created_at=now, **details)
                )
                customer_id = int(inserted.inserted_primary_key[0])
            else:
                await conn.execute(
                    update(customers).where(customers.c.id == customer_id).values(**details)
                )
            await _link(conn, sender_id, channel, customer_id, now)
    except IntegrityError:
        # Two chats of the same new customer said yes at once: the other created the row.
        async with engine.begin() as conn:
            customer_id = await _customer_id(conn, email)
            if customer_id is None:
                raise
            await _link(conn, sender_id, channel, customer_id, now)
    customer = await _by_id(engine, customer_id)
    assert customer is not None  # just written in this call
    return customer


async def _customer_id(conn: AsyncConnection, email: str) -> int | None:
    return await conn.scalar(select(customers.c.id).where(customers.c.email == email))


async def _link(
    conn: AsyncConnection, sender_id: str, channel: str, customer_id: int, now: datetime
) -> None:
    moved = await conn.execute(
        update(customer_links)
        .where(customer_links.c.sender_id == sender_id)
        .values(customer_id=customer_id, channel=channel)
    )
    if moved.rowcount == 0:
        await conn.execute(
            customer_links.insert().values(
                sender_id=sender_id, customer_id=customer_id, channel=channel, created_at=now
            )
        )


async def _by_id(engine: AsyncEngine, customer_id: int) -> Customer | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(customers).where(customers.c.id == customer_id))).first()
    return _customer(row) if row else None


# Asked with every customer message: built once (no query or cache key to rebuild).
_KNOWN = (
    select(customers)
    .join(customer_links, customer_links.c.customer_id == customers.c.id)
    .where(customer_links.c.sender_id == bindparam("sender_id"))
)


@retried_on_disconnect
async def known(engine: AsyncEngine, sender_id: str) -> Customer | None:
    """The customer remembered on this chat, if they said yes here."""
    async with unwrapped(engine) as conn:  # one statement: no BEGIN and ROLLBACK around it
        row = (await conn.execute(_KNOWN, {"sender_id": sender_id})).first()
    return _customer(row) if row else None


async def forget(engine: AsyncEngine, sender_id: str) -> bool:
    """Deletes the customer remembered on this chat, with every chat of theirs; False: none."""
    async with engine.begin() as conn:
        customer_id = await conn.scalar(
            select(customer_links.c.customer_id).where(customer_links.c.sender_id == sender_id)
        )
        if customer_id is None:
            return False
        await _delete(conn, [customer_id])
    return True


async def erase_email(conn: AsyncConnection, email: str) -> int:
    """Deletes the customer of `email` and every chat of theirs (the inbox's erasure); rows gone."""
    ids = list(
        await conn.scalars(select(customers.c.id).where(customers.c.email == _normalised(email)))
    )
    return await _delete(conn, ids)


async def _delete(conn: AsyncConnection, ids: list[int]) -> int:
    if not ids:
        return 0
    # Links first and explicitly: a database without foreign keys would keep them.
    await conn.execute(delete(customer_links).where(customer_links.c.customer_id.in_(ids)))
    removed = await conn.execute(delete(customers).where(customers.c.id.in_(ids)))
    return int(removed.rowcount)
