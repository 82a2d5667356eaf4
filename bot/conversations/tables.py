"""Database schema (SQLAlchemy Core). Timestamps are naive UTC.

The initial Alembic migration creates exactly these tables; a change here
needs a new migration in ``migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

metadata = MetaData()

agents = Table(
    "agents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(100), nullable=False),
    Column("is_admin", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime, nullable=False),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    # Rasa's sender id: one conversation per customer chat.
    Column("sender_id", String(255), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("language", String(8)),
    Column("customer", String(254)),
    Column("order_id", String(32)),
    Column("state", String(16), nullable=False, index=True),
    Column("handoff_reason", String(32)),
    Column("handoff_at", DateTime),
    Column("assigned_agent_id", Integer, ForeignKey("agents.id", ondelete="SET NULL")),
    Column("closed_at", DateTime),
    Column("rating", Integer),
    Column("rating_comment", Text),
    Column("created_at", DateTime, nullable=False, index=True),
    Column("last_message_at", DateTime, nullable=False, index=True),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "conversation_id",
        Integer,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("direction", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("payload", JSON),
    Column("intent", String(100)),
    Column("confidence", Float),
    Column("agent_id", Integer, ForeignKey("agents.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Column("misunderstood", Boolean, nullable=False, server_default=false()),
    Column("corrected_intent", String(100)),
    # A transcript is always read in order, one conversation at a time.
    Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    Index("ix_messages_intent", "intent"),
)
