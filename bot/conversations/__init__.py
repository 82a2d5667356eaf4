"""The transcript: conversations and their messages, one room with a small interface.

The gateway writes it (`store.record_messages` for a customer's turn,
`store.record_message`, `store.open_handoff`, `store.set_rating`) and reads
what a customer may see (`store.conversation_by_sender`, `store.list_messages`);
the inbox reads it and acts on it (claim, reply, hand back, close, review).
Plain async functions over an SQLAlchemy AsyncEngine: no HTTP, no aiohttp app.
The schema (`tables`) is migrated by the inbox's Alembic migrations
(`python -m bot.inbox migrate`), which own the database it lives in.
"""
