"""Customers who said yes: who they are, where they can be reached, what was sent to them.

A room of its own beside the transcript (`bot.conversations`). The gateway
writes it when the bot reports a consent (remember me, order updates, forget
me) and reads it to greet a known customer and to send order updates,
follow-ups and offers; the inbox reads it to show one customer across
channels and erases it with the customer's transcripts. Nothing is stored
here without the customer's yes, and "forget me" deletes the record at once.

The schema (`tables`) is migrated with the transcript's, by the inbox's
Alembic migrations (`python -m bot.inbox migrate`).
"""
