"""Starting a whole Kramar stack for a test session, with its logs shown when it fails."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from bot.launcher import Stack


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
