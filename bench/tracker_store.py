"""CPU time of one turn's tracker read and save: Rasa's SQLTrackerStore against ours.

    PYTHONPATH=. .venv/bin/python bench/tracker_store.py [--conversations 20] [--turns 12]
        [--postgres-url postgresql://postgres@127.0.0.1:5432]

Both stores get a fresh PostgreSQL database on the same server and play the
same conversations, one after the other: each turn reads the tracker, adds a
turn's events (the customer's message with a parse result like the NLU's, a
form validation's slot, the bot's answer, listening) and saves it, as Rasa
does for every message. Prints the process CPU time and wall time per turn,
for the read and the save, and the ratio ours/Rasa's.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager

import psycopg2
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

import bot.speedups  # noqa: F401  (the Rasa server runs with it, for both stores)
from bot.stores.trackers import PostgresTrackerStore

INTENTS = ["order_status", "return_request", "complaint", "faq", "greet", "thank", "deny"]


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    name = f"kramar_bench_{secrets.token_hex(4)}"
    admin = psycopg2.connect(f"{server}/postgres", connect_timeout=5)
    admin.autocommit = True
    with closing(admin), admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{server}/{name}"
        finally:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def turn_events(turn: int) -> list:
    ranking = [{"name": name, "confidence": 0.9 / (i + 1)} for i, name in enumerate(INTENTS)]
    parse_data = {
        "intent": ranking[0],
        "entities": [{"entity": "order_id", "value": f"{10000 + turn}", "start": 0, "end": 5}],
        "intent_ranking": ranking,
        "text": f"where is my order {10000 + turn}?",
    }
    return [
        UserUttered(f"where is my order {10000 + turn}?", parse_data["intent"], [], parse_data),
        ActionExecuted("order_request_form"),
        SlotSet("order_id", str(10000 + turn)),
        BotUttered("Thanks! What is the email address on the order?", {"buttons": None}),
        ActionExecuted("action_listen"),
    ]


async def play(
    store: TrackerStore, domain: Domain, conversations: int, turns: int, prefix: str = "bench"
) -> dict:
    read_cpu = save_cpu = read_wall = save_wall = 0.0
    for number in range(conversations):
        sender = f"{prefix}-{number}"
        tracker = DialogueStateTracker(sender, domain.slots)
        # Reads start at SessionStarted: the action that ran it is before it.
        for event in (ActionExecuted("action_session_start"), SessionStarted()):
            tracker.update(event)
        await store.save(tracker)
        for turn in range(turns):
            cpu, wall = time.process_time(), time.perf_counter()
            read = await store.retrieve(sender)
            read_cpu += time.process_time() - cpu
            read_wall += time.perf_counter() - wall
            assert read is not None and len(read.events) == 1 + 5 * turn
            for event in turn_events(turn):
                read.update(event, domain)
            cpu, wall = time.process_time(), time.perf_counter()
            await store.save(read)
            save_cpu += time.process_time() - cpu
            save_wall += time.perf_counter() - wall
    count = conversations * turns
    return {
        "read_cpu_ms": 1000 * read_cpu / count,
        "read_wall_ms": 1000 * read_wall / count,
        "save_cpu_ms": 1000 * save_cpu / count,
        "save_wall_ms": 1000 * save_wall / count,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    domain = Domain.load("domain.yml")
    results = {}
    for name, make in (
        ("Rasa's SQLTrackerStore", lambda url: SQLTrackerStore(domain, **sql_kwargs(url))),
        ("Kramar's PostgresTrackerStore", lambda url: PostgresTrackerStore(url, domain=domain)),
    ):
        with scratch_database(args.postgres_url.rstrip("/")) as url:
            store = make(url)
            await play(store, domain, 2, 3, "warm-up")  # warm up: connections, compiled queries
            results[name] = await play(store, domain, args.conversations, args.turns)
            store.engine.dispose()
    print(f"{args.conversations} conversations x {args.turns} turns, ms per turn:")
    print(f"{'store':32} {'read CPU':>9} {'read wall':>10} {'save CPU':>9} {'save wall':>10}")
    for name, figures in results.items():
        print(
            f"{name:32} {figures['read_cpu_ms']:9.2f} {figures['read_wall_ms']:10.2f}"
            f" {figures['save_cpu_ms']:9.2f} {figures['save_wall_ms']:10.2f}"
        )
    rasa, ours = results.values()
    print(
        "ours/Rasa's CPU: read {:.2f}x, save {:.2f}x".format(
            ours["read_cpu_ms"] / rasa["read_cpu_ms"], ours["save_cpu_ms"] / rasa["save_cpu_ms"]
        )
    )


def sql_kwargs(url: str) -> dict:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return {
        "dialect": "postgresql",
        "host": parsed.host,
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
    }


if __name__ == "__main__":
    asyncio.run(main())
