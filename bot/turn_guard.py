"""Keeps one Rasa turn honest: bounded in time, and never silently without context.

Loaded inside the Rasa server (by the REST channel). Two things Rasa does not
do on its own:
- it waits up to five minutes for the action server, far longer than the
  conversation lock lives (TICKET_LOCK_LIFETIME, 60 s): a turn that outlives
  its lock lets the next message of the same conversation run alongside it.
  The action call is capped well below the lock's lifetime instead;
- its fail-safe tracker store answers a failed read with a fresh, empty
  tracker and a failed write with memory that no other process sees. Our
  stores report such failures here, and the channel replaces that turn's
  context-less replies with an apology;
- a custom `action_session_start` that fails (the action server is down)
  leaves a session that never started, so no rule matches the message and the
  customer is "not understood". Rasa's own session start, which keeps no slot
  (carry_over_slots_to_new_session is off), stands in for it then.

The report also keeps the tracker the turn saved, so the channel can answer
with how the message was understood (intent, confidence, slots) without the
gateway reading the whole tracker back over HTTP.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import rasa.core.actions.action
import rasa.core.lock_store
from rasa.core.actions.action import ActionSessionStart, RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import Settings

logger = logging.getLogger(__name__)

ACTION_TIMEOUT_SECONDS = Settings.from_env().action_timeout_seconds
LOCK_LIFETIME_SECONDS = rasa.core.lock_store.LOCK_LIFETIME

# A turn runs at most a form validation, a question and a final custom action.
ACTIONS_PER_TURN = 3
if ACTION_TIMEOUT_SECONDS * ACTIONS_PER_TURN >= LOCK_LIFETIME_SECONDS:
    raise ValueError(
        f"ACTION_TIMEOUT_SECONDS ({ACTION_TIMEOUT_SECONDS:g}) times {ACTIONS_PER_TURN} must "
        f"stay under TICKET_LOCK_LIFETIME ({LOCK_LIFETIME_SECONDS:g})."
    )
# Rasa reads this module constant for every call to the action server.
rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = ACTION_TIMEOUT_SECONDS  # type: ignore[attr-defined]


@dataclass
class TurnReport:
    """What went wrong underneath one turn that Rasa would otherwise hide."""

    problems: list[str] = field(default_factory=list)
    # The conversation as saved at the end of the turn.
    tracker: DialogueStateTracker | None = None


_current: ContextVar[TurnReport | None] = ContextVar("kramar_turn_report", default=None)


def start_turn() -> TurnReport:
    """A fresh report for the turn the caller is about to run."""
    report = TurnReport()
    _current.set(report)
    return report


def report_problem(problem: str) -> None:
    """Records a problem on the current turn (logged also outside a turn)."""
    logger.error("Turn problem: %s", problem)
    report = _current.get()
    if report is not None:
        report.problems.append(problem)


_save_tracker = MessageProcessor.save_tracker


async def _save_and_keep(self: MessageProcessor, tracker: DialogueStateTracker) -> Any:
    report = _current.get()
    if report is not None:
        report.tracker = tracker
    return await _save_tracker(self, tracker)


MessageProcessor.save_tracker = _save_and_keep  # type: ignore[method-assign]


_remote_run = RemoteAction.run


async def _run_or_start_plainly(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
    try:
        return await _remote_run(self, *args, **kwargs)
    except Exception:
        if self.name() != ACTION_SESSION_START_NAME:
            raise
        logger.warning("action_session_start failed; started the session without any slot")
        return await ActionSessionStart().run(*args, **kwargs)


RemoteAction.run = _run_or_start_plainly  # type: ignore[method-assign]
