"""Starting a whole Kramar stack for a test session, with its logs shown when it fails."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from bot.launcher import GENERATED_SECRETS, Stack


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stack_env(workdir: Path, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment of a whole stack on free ports, with its data in `workdir`,
    on top of `base` (this process's environment unless given)."""
    env = {
        **base,
        "KRAMAR_HOST": "127.0.0.1",
        "RASA_PORT": str(free_port()),
        "ACTION_SERVER_PORT": str(free_port()),
        "SHOP_PORT": str(free_port()),
        "RASA_TOKEN": secrets.token_urlsafe(16),
        "SHOP_API_KEY": secrets.token_urlsafe(16),
        "SHOP_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'shop.db'}",
        "INBOX_PORT": str(free_port()),
        "INBOX_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'inbox.db'}",
        "GATEWAY_SECRET": secrets.token_urlsafe(32),
        "INBOX_SESSION_KEY": GENERATED_SECRETS["INBOX_SESSION_KEY"](),
        "SHOP_WEBHOOK_SECRET": GENERATED_SECRETS["SHOP_WEBHOOK_SECRET"](),
        "SHOP_ADMIN_TOKEN": GENERATED_SECRETS["SHOP_ADMIN_TOKEN"](),
        # Every test's customer comes from 127.0.0.1; tests/gateway/ checks the limit itself.
        "CHAT_CONVERSATIONS_PER_ADDRESS": "100000",
        # Many tests try wrong emails on the same seeded orders (10001): more than a
        # real order meets, yet few enough for tests/gateway/ to reach in a second.
        "SHOP_VERIFICATION_FAILURES_PER_ORDER": "100",
    }
    env.pop("SHOP_URL", None)
    env.pop("SHOP_WEBHOOK_URL", None)  # the stack's own gateway
    for name in [n for n in env if n.startswith("TELEGRAM_")]:
        env.pop(name)  # never poll a real bot from the tests
    return env


@contextmanager
def running_stack(env: Mapping[str, str], workdir: Path) -> Iterator[Stack]:
    """The started stack; stopped afterwards. A failed start prints every service's log tail."""
    stack = Stack(env, log_dir=workdir / "log")
    try:
        stack.start()
    except Exception:
        stack.stop()
        for log in sorted((workdir / "log").glob("*.log")):
            print(f"--- {log.name} ---\n{log.read_text()[-4000:]}")
        raise
    try:
        yield stack
    finally:
        stack.stop()
