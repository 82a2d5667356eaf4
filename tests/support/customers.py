"""The customers room as tests see it: rows in the gateway's database, signed shop webhooks.

`remember` writes what the "known customers" part stores after a customer
said yes (a customer and the link of one chat), so order updates can be
tested on their own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime, timezone
from typing import Any

import requests
import sqlalchemy as sa

from bot.customers.tables import customer_links, customers


def sync_url(url: str) -> str:
    return url.replace("sqlite+aiosqlite", "sqlite").replace("postgresql+asyncpg", "postgresql")


def database(url: str) -> sa.Engine:
    return sa.create_engine(sync_url(url))


def remember(url: str, *, sender_id: str, channel: str, email: str, updates: bool = False) -> int:
    """A remembered customer with this chat linked; the customer's id."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    engine = database(url)
    try:
        with engine.begin() as conn:
            customer_id = conn.scalar(sa.select(customers.c.id).where(customers.c.email == email))
            if customer_id is None:
                customer_id = conn.execute(
                    customers.insert().values(
                        email=email, name="Test", language=None, created_at=now
                    )
                ).inserted_primary_key[0]
            conn.execute(
                customer_links.insert().values(
                    sender_id=sender_id,
                    customer_id=customer_id,
                    channel=channel,
                    updates=updates,
                    created_at=now,
                )
            )
        return int(customer_id)
    finally:
        engine.dispose()


def rows(url: str, query: sa.Select[Any]) -> list[dict[str, Any]]:
    engine = database(url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
    finally:
        engine.dispose()


def signed(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def shop_event(event_type: str, **data: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{secrets.token_hex(8)}",
        "type": event_type,
        "created_at": int(time.time()),
        "data": data,
    }


def post_event(
    gateway_url: str, secret: str, event: dict[str, Any], *, timestamp: int | None = None
) -> requests.Response:
    body = json.dumps(event).encode()
    return requests.post(
        f"{gateway_url}/hooks/shop",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Kramar-Signature": signed(secret, body, timestamp),
        },
        timeout=30,
    )


def set_slots(rasa_url: str, token: str, sender_id: str, **slots: Any) -> None:
    """Slots as the "known customers" part's session start sets them for a remembered customer."""
    response = requests.post(
        f"{rasa_url}/conversations/{sender_id}/tracker/events",
        params={"token": token, "include_events": "NONE"},
        json=[{"event": "slot", "name": name, "value": value} for name, value in slots.items()],
        timeout=30,
    )
    assert response.status_code == 200, response.text
