"""Kramar's support inbox: agents take over conversations the bot hands off.

The gateway uses ``setup_inbox`` (same process), ``notify`` after storing a
message or hand-off, ``agents_online`` to tell the bot whether someone can
answer now, and the functions in ``bot.conversations.store``.
"""

from bot.inbox.app import create_app, setup_inbox
from bot.inbox.live import agents_online, notify, publish

__all__ = ["agents_online", "create_app", "notify", "publish", "setup_inbox"]
