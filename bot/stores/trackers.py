"""Conversation history in PostgreSQL that survives a database restart.

Rasa's SQLTrackerStore keeps pooled connections that die with the server, and
Rasa wraps every store in a fail-safe that turns a failed read into a fresh,
empty tracker. Here a command that meets a dead connection (the server
restarted) or a brief outage is retried on a fresh connection, and a failure
that remains is reported on the turn (bot.turn_guard), so the customer is told
instead of silently starting over.

Saving also skips Rasa's count of the stored events (a query per turn, about
a tenth of a replica's CPU under load): a tracker read or saved here remembers
how many of its events are stored, and only the ones after those are new.
The conversation lock guarantees nobody else added events in between.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import sqlalchemy.exc
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.turn_guard import report_problem

logger = logging.getLogger(__name__)

# Seconds to wait before each retry: a restarting PostgreSQL is back within a few.
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)
# Set on a tracker this store read or saved: how many of its events are stored.
STORED_EVENTS = "_kramar_stored_events"
T = TypeVar("T")


class PostgresTrackerStore(SQLTrackerStore):
    """`tracker_store: {type: bot.stores.trackers.PostgresTrackerStore, url: postgresql://...}`."""

    def __init__(self, host: str | None = None, **kwargs: Any) -> None:
        if not host or "://" not in host:
            raise ValueError("The tracker store needs url: postgresql://user:password@host/db")
        url = make_url(host)
        super().__init__(
            dialect=url.get_backend_name(),
            host=url.host,
            port=url.port,
            db=url.database or "kramar",
            username=url.username,
            password=url.password,
            **kwargs,
        )

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        tracker = await _retried(
            f"reading the conversation {sender_id}",
            lambda: super(PostgresTrackerStore, self)._retrieve(
                sender_id, fetch_events_from_all_sessions
            ),
        )
        if tracker is not None:
            setattr(tracker, STORED_EVENTS, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await _retried(
            f"saving the conversation {tracker.sender_id}",
            lambda: super(PostgresTrackerStore, self).save(tracker),
        )
        setattr(tracker, STORED_EVENTS, len(tracker.events))

    def _additional_events(self, session: Session, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, STORED_EVENTS, None)
        if stored is None:  # a tracker made elsewhere (a new one, a copy): count them
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))


async def _retried(what: str, call: Callable[[], Awaitable[T]]) -> T:
    for delay in (*RETRY_DELAYS, None):
        try:
            return await call()
        except sqlalchemy.exc.DBAPIError as error:
            if delay is None or not _is_connection_problem(error):
                report_problem(f"tracker store failed {what}: {error.__class__.__name__}")
                raise
            logger.warning("Tracker store unavailable %s; retrying in %.1f s", what, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def _is_connection_problem(error: sqlalchemy.exc.DBAPIError) -> bool:
    return error.connection_invalidated or isinstance(error, sqlalchemy.exc.OperationalError)
