"""Kramar's support inbox: agents take over conversations the bot hands off.

The gateway uses ``setup_inbox`` (same process), ``notify`` after storing a
message or hand-off, and the functions in ``bot.inbox.store``.
"""

from bot.inbox.app import create_app, setup_inbox
from bot.inbox.live import notify, publish

__all__ = ["create_app", "notify", "publish", "setup_inbox"]
