"""Database schema of known customers (SQLAlchemy Core). Timestamps are naive UTC.

The tables share the transcript's MetaData, so one Alembic history migrates
both; migration 0002_customers creates exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    false,
)

from bot.conversations.tables import metadata

# Someone who agreed to be remembered; `email` is what verified them with the shop.
customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(100)),
    Column("language", String(8)),
    Column("created_at", DateTime, nullable=False),
)

# One chat where a customer is remembered: a Telegram chat (`tg-<id>`) or a
# widget on one device (its conversation id). `updates`: opted in to order updates there.
customer_links = Table(
    "customer_links",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column(
        "customer_id",
        Integer,
        ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("channel", String(32), nullable=False),
    Column("updates", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime, nullable=False),
)

# "Continue in Telegram": a one-time code (stored hashed) from a widget conversation.
# Once used, the row stays as the link between the two conversations.
link_codes = Table(
    "link_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("from_sender", String(255), nullable=False, index=True),
    Column("to_sender", String(255), index=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
)

# Webhook deliveries already accepted from the shop: a replayed event id changes nothing.
shop_events = Table(
    "shop_events",
    metadata,
    Column("event_id", String(100), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("order_id", String(32)),
    Column("received_at", DateTime, nullable=False, index=True),
)

# Messages Kramar sends unasked (order updates, follow-ups), kept until they are
# due (quiet hours, "a day after") and then sent once. `answer`: a follow-up's reply.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("sender_id", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("due_at", DateTime, nullable=False, index=True),
    Column("sent_at", DateTime),
    Column("answer", String(16)),
    Column("answered_at", DateTime),
)

# Goodwill offers (a discount code, free return shipping) made under shop_policy.yml's rules.
offers = Table(
    "offers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_email", String(254), nullable=False, index=True),
    Column("sender_id", String(255), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("code", String(64)),
    Column("order_id", String(32)),
    Column("created_at", DateTime, nullable=False, index=True),
    Column("accepted_at", DateTime),
    Column("redeemed_at", DateTime),
)
