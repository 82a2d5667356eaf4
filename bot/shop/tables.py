"""Database schema (SQLAlchemy Core).

Conventions: money in integer minor units (``*_cents``) next to a ``currency``;
timestamps are naive UTC; emails are stored trimmed and lower-cased.
Order ids are assigned by the shop (10001, 10002, ...) rather than a sequence;
returns and tickets use ordinary auto-increment ids shown as ``R-000123`` /
``T-000045`` by the API; discount codes are their own id (``KR-7Q4M2XHD``).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("phone", String(32)),
    Column("language", String(8), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    # No sequence: ids are the shop's order numbers and the seed picks them.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_cents", Integer, nullable=False),
    Column("ship_name", String(200), nullable=False),
    Column("ship_street", String(200), nullable=False),
    Column("ship_city", String(100), nullable=False),
    Column("ship_postal_code", String(20), nullable=False),
    Column("ship_country", String(2), nullable=False),
    Column("carrier", String(50)),
    Column("tracking_number", String(64)),
    Column("tracking_url", String(500)),
    Column("shipped_at", DateTime),
    Column("delivered_at", DateTime),
    Column("cancelled_at", DateTime),
    Column("cancel_reason", String(500)),
)

order_items = Table(
    "order_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, index=True),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", Integer, nullable=False),
)

returns = Table(
    "returns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    # [{"sku", "name", "quantity", "unit_price_cents"}]: a snapshot, so later
    # catalogue changes never rewrite what was returned.
    Column("items", JSON, nullable=False),
    Column("refund_status", String(32), nullable=False),
    Column("refund_amount_cents", Integer, nullable=False),
    Column("refund_expected_at", DateTime),
    Column("refunded_at", DateTime),
    Column("label_url", String(500)),
    Column("idempotency_key", String(255), unique=True),
    # Hash of the request that used the key: the same key with another body is a conflict.
    Column("request_hash", String(64)),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id"), index=True),
    Column("customer_email", String(254), nullable=False),
    Column("category", String(32), nullable=False),
    Column("description", Text, nullable=False),
    Column("photo_url", String(2000)),
    Column("status", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expected_response_by", DateTime, nullable=False),
    Column("idempotency_key", String(255), unique=True),
    Column("request_hash", String(64)),
)

# Goodwill codes the shop gives one customer (issue 20): a percentage off the next
# order, or free shipping of a return. Used once; `redeemed_at` says when.
discounts = Table(
    "discounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("customer_email", String(254), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("percent", Integer),
    Column("reason", String(64), nullable=False),
    Column("order_id", Integer, ForeignKey("orders.id")),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("redeemed_at", DateTime),
    Column("redeemed_order_id", Integer),
    Column("idempotency_key", String(255), unique=True),
    Column("request_hash", String(64)),
)
