"""Puts a newly trained model into the running Rasa server, conversations kept.

Every Rasa process (each replica, each Sanic worker) watches the model file it
was started with. When `make train` replaces it (an atomic rename), the process
loads the new model beside the old one and swaps it in: Rasa's own
`Agent.load_model` keeps the agent's tracker store and lock store, so open
conversations, forms and handoffs carry on; a turn already under way finishes
on the old model. Rasa's `PUT /model` would build a new tracker store instead,
which in embedded mode (in memory) drops every conversation.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from bot.heap import refreeze_after_reload

logger = logging.getLogger(__name__)

Stamp = tuple[int, int, int]


def stamp(path: Path) -> Stamp | None:
    """What identifies one version of the file: inode, size, modification time."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


async def watch_model(agent: Any, interval: float) -> None:
    """Reloads `agent`'s model whenever its file changes; runs until cancelled."""
    processor = getattr(agent, "processor", None)
    if processor is None or interval <= 0:
        return
    path = Path(processor.model_path)
    if not path.is_file():
        return
    loaded = stamp(path)
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(interval)
        current = stamp(path)
        if current is None or current == loaded:
            continue
        loaded = current
        try:
            # Loading takes a second or two: off the event loop, so turns go on.
            await loop.run_in_executor(None, agent.load_model, path)
            await agent.parse_message("hello")  # warm the new model up
        except Exception:
            logger.exception("The new model at %s did not load; keeping the old one.", path)
            continue
        refreeze_after_reload()
        logger.info("Loaded the new model %s (pid %d).", path, os.getpid())
