"""Known customers (issue 20): customers, their channels, link codes, shop events,
proactive messages and offers (bot/customers/tables.py).

Revision ID: 0002_customers
Revises: 0001_initial
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_customers"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def _customer_id(ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(
        "customer_id",
        sa.Integer(),
        sa.ForeignKey("customers.id", ondelete=ondelete),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(100)),
        sa.Column("language", sa.String(8)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "customer_links",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        _customer_id(),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("updates", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_customer_links_customer_id", "customer_links", ["customer_id"])
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("from_sender", sa.String(255), nullable=False),
        sa.Column("to_sender", sa.String(255)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime()),
    )
    op.create_index("ix_link_codes_from_sender", "link_codes", ["from_sender"])
    op.create_index("ix_link_codes_to_sender", "link_codes", ["to_sender"])
    op.create_table(
        "shop_events",
        sa.Column("event_id", sa.String(100), primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(32)),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_shop_events_received_at", "shop_events", ["received_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        _customer_id(),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("answer", sa.String(16)),
        sa.Column("answered_at", sa.DateTime()),
    )
    op.create_index("ix_notifications_due_at", "notifications", ["due_at"])
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_email", sa.String(254), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("code", sa.String(64)),
        sa.Column("order_id", sa.String(32)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime()),
        sa.Column("redeemed_at", sa.DateTime()),
    )
    op.create_index("ix_offers_customer_email", "offers", ["customer_email"])
    op.create_index("ix_offers_created_at", "offers", ["created_at"])


def downgrade() -> None:
    for table in ("offers", "notifications", "shop_events", "link_codes", "customer_links"):
        op.drop_table(table)
    op.drop_table("customers")
