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

A turn reads a bounded tracker: the session's last TAIL_EVENTS events from a
customer message on, after synthetic events that restore what came before
(slot values, an active form, a paused conversation). The policies and the
action server walk every event they are given on every prediction, so with
the whole session a turn's cost grew with the conversation (turns 81-100
cost 1.6x turns 1-20); what they look at is the last few turns and the
slots. Rasa's API and exports (`retrieve_full_tracker`) still read everything.

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
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.engine import make_url

from bot.turn_guard import report_problem

logger = logging.getLogger(__name__)

# Seconds to wait before each retry: a restarting PostgreSQL is back within a few.
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)
# Set on a tracker this store read or saved: how many of its events are stored
# (or stand for stored ones, the synthetic state events of a bounded read).
STORED_EVENTS = "_kramar_stored_events"
# About ten turns: enough for every rule, form and "twice in a row" check.
TAIL_EVENTS = 100
# The events that carry state beyond the tail: what a bounded read replays.
STATE_EVENTS = ("slot", "reset_slots", "active_loop", "restart", "pause", "resume")
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
        # Each read and each save is one statement (a long conversation's read two,
        # both only reading): without autocommit psycopg2 wrapped each in a BEGIN and
        # a COMMIT or ROLLBACK, two more round trips for PostgreSQL to serve per call.
        # Set on the engine, not per connection: that would SET the isolation level
        # back after every use, a round trip again.
        rasas_engine: sa.engine.Engine = self.engine  # type: ignore[has-type]
        rasas_engine.dispose()
        self.engine = sa.create_engine(
            rasas_engine.url, isolation_level="AUTOCOMMIT", **create_engine_kwargs(rasas_engine.url)
        )
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # Every turn reads its conversation: the queries are built once, with the
        # sender as a parameter, so SQLAlchemy finds their compiled form without
        # rebuilding them and their cache keys (4 % of a replica's CPU).
        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        self._in_session = {
            everything: self._in_conversation(sender, everything) for everything in (False, True)
        }
        self._all_events = {
            everything: sa.select(table.c.data).where(in_session).order_by(table.c.id)
            for everything, in_session in self._in_session.items()
        }
        self._last_events = {
            everything: sa.select(table.c.id, table.c.data)
            .where(in_session)
            .order_by(table.c.id.desc())
            .limit(TAIL_EVENTS + 1)
            for everything, in_session in self._in_session.items()
        }
        self._state_events = {
            everything: self._state_events_query(in_session)
            for everything, in_session in self._in_session.items()
        }

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        read = self._read_events if fetch_events_from_all_sessions else self._read_recent_events
        stored = await _retried(
            f"reading the conversation {sender_id}",
            lambda: asyncio.to_thread(read, sender_id, fetch_events_from_all_sessions),
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

    def _in_conversation(self, sender_id: Any, all_sessions: bool) -> sa.sql.ColumnElement:
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
        query = self._all_events[all_sessions]
        with self.engine.connect() as connection:
            rows = connection.execute(query, {"sender_id": sender_id}).scalars()
            return [json.loads(data) for data in rows]

    def _read_recent_events(self, sender_id: str, all_sessions: bool) -> list[dict[str, Any]]:
        """The session's last events from a customer message on, after its earlier state."""
        sender = {"sender_id": sender_id}
        with self.engine.connect() as connection:
            latest = connection.execute(self._last_events[all_sessions], sender).all()
            if len(latest) <= TAIL_EVENTS:
                return [json.loads(row.data) for row in reversed(latest)]
            tail = [(row.id, json.loads(row.data)) for row in reversed(latest[:TAIL_EVENTS])]
            while tail and tail[0][1].get("event") != "user":
                tail.pop(0)
            if not tail:  # no customer message among them: nothing to cut at
                return self._read_events(sender_id, all_sessions)
            state = self._latest_state_events(
                connection, all_sessions, sender_id, before=tail[0][0]
            )
        first = tail[0][1]
        return state_before(state, self.domain, first.get("timestamp")) + [e for _, e in tail]

    def _latest_state_events(
        self, connection: sa.engine.Connection, all_sessions: bool, sender_id: str, before: int
    ) -> list[dict[str, Any]]:
        """The state events before event `before` that still count: since the latest
        restart or slot reset, the last one of each slot, of the form and of pause/resume.
        A bounded number of rows, however long the conversation."""
        query = self._state_events[all_sessions]
        rows = connection.execute(query, {"sender_id": sender_id, "before": before}).scalars()
        return [json.loads(data) for data in rows]

    def _state_events_query(self, in_session: sa.sql.ColumnElement) -> sa.sql.Select:
        events = self.SQLEvent.__table__.c
        earlier = sa.and_(in_session, events.id < sa.bindparam("before"))
        reset = (
            sa.select(sa.func.coalesce(sa.func.max(events.id), 0))
            .where(earlier, events.type_name.in_(("restart", "reset_slots")))
            .scalar_subquery()
        )
        # Each slot by name; the form, and pause/resume, each as one kind.
        kind = sa.case(
            (events.type_name == "slot", "slot:" + sa.cast(events.data, JSON)["name"].as_string()),
            (events.type_name == "resume", "pause"),
            else_=events.type_name,
        )
        latest = (
            sa.select(events.id, events.data)
            .where(earlier, events.id >= reset, events.type_name.in_(STATE_EVENTS))
            .order_by(kind, events.id.desc())
            .distinct(kind)
            .subquery()
        )
        return sa.select(latest.c.data).order_by(latest.c.id)

    def _insert_new_events(self, tracker: DialogueStateTracker) -> None:
        table = self.SQLEvent.__table__
        # One multi-row INSERT, atomic by itself; the conversation lock keeps the
        # count (when there is one) and the insert from racing another turn.
        with self.engine.connect() as connection:
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


def state_before(
    events: list[dict[str, Any]], domain: Domain | None, timestamp: float | None
) -> list[dict[str, Any]]:
    """Events that restore what `events` leave behind: slots that differ from their
    initial values, the active form, a paused conversation."""
    if domain is None:
        return []
    tracker = DialogueStateTracker.from_dict("state", events, domain.slots)
    initial = {slot.name: slot.initial_value for slot in domain.slots}
    restored: list[dict[str, Any]] = [
        {"event": "slot", "name": name, "value": value, "timestamp": timestamp}
        for name, value in tracker.current_slot_values().items()
        if value != initial.get(name)
    ]
    if tracker.active_loop_name:
        restored.append(
            {"event": "active_loop", "name": tracker.active_loop_name, "timestamp": timestamp}
        )
    if tracker.is_paused():
        restored.append({"event": "pause", "timestamp": timestamp})
    return restored


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
