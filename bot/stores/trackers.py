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

Reads and writes use SQLAlchemy Core on Rasa's `events` table (same rows,
same queries) instead of ORM sessions and objects: the ORM's unit of work cost
a quarter of a replica's CPU under load for what is one SELECT and one
multi-row INSERT. They run in a worker thread: psycopg2 blocks while
PostgreSQL answers, and on a busy machine that wait held up every other turn
of the replica (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import make_url

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
        stored = await _retried(
            f"reading the conversation {sender_id}",
            lambda: asyncio.to_thread(self._read_events, sender_id, fetch_events_from_all_sessions),
        )
        if not stored or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, stored, self.domain.slots)
        setattr(tracker, STORED_EVENTS, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        await _retried(
            f"saving the conversation {tracker.sender_id}",
            lambda: asyncio.to_thread(self._insert_new_events, tracker),
        )
        setattr(tracker, STORED_EVENTS, len(tracker.events))

    def _in_conversation(self, sender_id: str, all_sessions: bool) -> sa.sql.ColumnElement:
        """Rasa's filter: the sender's events, from the latest session start unless all."""
        events = self.SQLEvent.__table__.c
        condition = events.sender_id == sender_id
        if all_sessions:
            return condition
        session_start = (
            sa.select(sa.func.max(events.timestamp))
            .where(events.sender_id == sender_id, events.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        return sa.and_(
            condition, sa.or_(events.timestamp >= session_start, session_start.is_(None))
        )

    def _read_events(self, sender_id: str, all_sessions: bool) -> list[dict[str, Any]]:
        table = self.SQLEvent.__table__
        query = (
            sa.select(table.c.data)
            .where(self._in_conversation(sender_id, all_sessions))
            .order_by(table.c.id)
        )
        with self.engine.connect() as connection:
            return [json.loads(data) for data in connection.execute(query).scalars()]

    def _insert_new_events(self, tracker: DialogueStateTracker) -> None:
        table = self.SQLEvent.__table__
        with self.engine.begin() as connection:
            stored = getattr(tracker, STORED_EVENTS, None)
            if stored is None:  # a tracker made elsewhere (a new one, a copy): count them
                count = sa.select(sa.func.count()).where(
                    self._in_conversation(tracker.sender_id, all_sessions=False)
                )
                stored = connection.execute(count).scalar_one()
            new_events = itertools.islice(tracker.events, stored, None)
            rows = [_row(tracker.sender_id, event) for event in new_events]
            if rows:
                connection.execute(table.insert(), rows)


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """One `events` row, with the columns Rasa fills."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


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
