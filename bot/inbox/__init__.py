"""Kramar's support inbox: agents take over conversations the bot hands off.

Its public face, all the gateway may use: ``setup_inbox`` (same process, with
its settings and the ``ENGINE`` it opens on the transcript's database),
``notify`` after the gateway wrote a message or hand-off, and
``agents_online`` to tell the bot whether someone can answer now. The
transcript itself is ``bot.conversations``.
"""

from bot.inbox.app import create_app, setup_inbox
from bot.inbox.config import InboxSettings
from bot.inbox.keys import ENGINE
from bot.inbox.live import agents_online, notify, publish

__all__ = [
    "ENGINE",
    "InboxSettings",
    "agents_online",
    "create_app",
    "notify",
    "publish",
    "setup_inbox",
]
