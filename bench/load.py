"""Load benchmark: Kramar against plain Rasa, through the REST channel.

    PYTHONPATH=. .venv/bin/python bench/load.py [--users 20,50] [--seconds 60]
        [--warmup 10] [--think 0] [--timeout 30] [--only kramar|plain] [--quick]
        [--mode production|dev] [--replicas N] [--workers N] [--action-workers N]
        [--profile-repeats 5] [--docs docs/benchmarks.md] [--out reports/load]

Method. The script starts both systems itself on free ports, measures them
taking turns, and stops them:

- plain Rasa: `rasa init`'s bot (project created and trained once under
  var/bench/plain-rasa), `rasa run --enable-api` with default settings;
- Kramar: the whole stack as `make run` starts it (`bot.launcher.Stack`, env
  built as tests/conftest.py does). `--mode production` (the default) sets
  KRAMAR_MODE=production with three fresh PostgreSQL databases (tracker store,
  shop, inbox; dropped afterwards) and Redis (lock store), as
  tests/production/conftest.py does; --replicas, --workers and
  --action-workers set RASA_REPLICAS, SANIC_WORKERS and
  ACTION_SERVER_SANIC_WORKERS (unset: the launcher's defaults). `--mode dev`
  leaves KRAMAR_MODE unset: one Rasa, SQLite, trackers in memory.

For each concurrency level N, N simulated customers talk at once through
`POST /webhooks/rest/webhook` for --seconds (after one --warmup period at the
lowest level, not counted). The seconds are split into --rounds rounds and
the systems take turns, the order reversed every other round (plain Kramar,
Kramar plain, plain Kramar): the one not measured sits idle, and this
machine's speed, which drifts by a third within an hour, drifts for both
alike. A system's figures are over all its rounds. Each customer plays one conversation after
another, each with a fresh sender id, typing the next message as soon as the
reply arrives (plus --think seconds): order status with verification, returns
with button clicks, cancellations the customer thinks better of at the
confirmation, FAQ, greetings and thanks, in English, Ukrainian and Polish
(bench/load_scenarios.py). Kramar's customers go through the gateway's customer
API (`--path gateway`, as widget and Telegram customers do) unless `--path
rasa`. A turn is an
error on a non-200 answer, a transport error or a timeout; "no reply" is a 200
with an empty list; "apology" is Kramar's technical-problem answer, which its
channel sends instead of silence. Latency percentiles are over answered
turns; messages/s is answered turns over the level's wall time. After each
level every conversation's tracker is read back
(`GET /conversations/<sender>/tracker`) and every message sent must be a
`user` event there, in order; the rest count as lost. The peak VmRSS (and
Pss, which splits shared pages) of every process of the system, Sanic
workers included, is sampled every 2 s from /proc. So is every process's CPU
time before and after each round; in production mode the PostgreSQL and Redis
servers it uses count apart from the rest of the machine (with all their
processes, ended connections' included) when they run on this machine.

The profile plays one read-only conversation `--profile-repeats` times with
no other load and splits each turn's median time into NLU alone (the same
text to `POST /model/parse`), the action server alone (the custom actions
Rasa ran in that turn, a form's `validate_<form>` included, replayed to the
action server's `/webhook` with the tracker as it was before them) and the
rest (policies, tracker and lock stores, response rendering, HTTP); it also
times one policy prediction alone (`POST /conversations/<id>/predict`).

Prints the tables, writes everything to reports/load/load-<time>.json and,
with --docs, the tables and the command to the marked section of that file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import random
import re
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.load_scenarios import (
    Conversation,
    KramarCustomers,
    Reply,
    kramar_profile_conversation,
    orders_from_shop,
    plain_conversation,
    plain_profile_conversation,
)

ROOT = Path(__file__).resolve().parent.parent
RASA = str(ROOT / ".venv" / "bin" / "rasa")
PLAIN_DIR = ROOT / "var" / "bench" / "plain-rasa"
LOG_ROOT = ROOT / "var" / "bench" / "logs"
REPORTS = ROOT / "reports" / "load"
HOST = "127.0.0.1"
DOCS_START = "<!-- load:start -->"
DOCS_END = "<!-- load:end -->"
KRAMAR, PLAIN = "Kramar", "plain Rasa"
SEEDED_ORDERS = range(10001, 10051)
# What Kramar's REST channel answers when Rasa's own answer fails (bot/channels/rest.py).
CHANNEL_FALLBACK = "Sorry, something went wrong on my side. Please try again in a moment."
TRACKER_READERS = 4  # concurrent tracker reads after a level
SLOWEST = 10  # slowest turns kept in the JSON per level
MEMORY_EVERY = 2.0  # seconds between RSS samples
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LOAD_GENERATOR = "load generator (this script)"
REST_OF_MACHINE = "rest of the machine"
POSTGRES_SERVER = "PostgreSQL server (all its databases)"
REDIS_SERVER = "Redis server"
TARGET_USERS_ERRORS = 50
TARGET_USERS_P95 = 20
TARGET_THROUGHPUT = 2  # × plain Rasa's msg/s at TARGET_USERS_P95 (issue 17)
TARGET_P99_OVER_P50 = 1.5
TARGET_EXTRA_MS = 10  # what the gateway may add to one customer's turn
TARGET_GROWTH = 1.2  # a long conversation's last turns against its first


# ---------------------------------------------------------------- results


@dataclass
class Turn:
    """One message sent and what came back."""

    latency: float  # seconds
    outcome: str  # ok | no_reply | apology | error
    detail: str = ""  # for errors: HTTP status or exception type
    kind: str = ""  # the conversation's kind
    step: int = 0  # the message's position in its conversation, from 1
    text: str = ""
    rasa_seconds: float | None = None  # through the gateway: its wait for Rasa


@dataclass
class ConversationLog:
    sender: str  # through the gateway: the conversation id it gave (Rasa's sender id too)
    kind: str
    language: str
    sent: list[str] = field(default_factory=list)
    token: str = ""  # the gateway's conversation token, once opened


@dataclass
class LevelResult:
    users: int
    seconds: float  # wall time from the first message to the last answer
    conversations: int
    turns: int
    answered: int  # HTTP 200 with a JSON list
    messages_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    errors: int
    error_kinds: dict[str, int]
    no_reply: int
    apologies: int
    lost_events: int  # messages sent that are not user events of the tracker, in order
    unreadable_trackers: int
    conversation_kinds: dict[str, int]
    by_step: dict[str, dict[str, float | None]]  # "kind #step" -> turns, p50_ms, p95_ms
    slowest: list[dict[str, Any]]  # the slowest answered turns
    load_average: float  # the machine's 1-minute load average as the level ended
    # Cores used during the level, by process (CPU seconds / wall seconds).
    cpu_cores: dict[str, float] = field(default_factory=dict)
    # Each round of the level alone: messages/s and p95 ms, in the order run.
    rounds: list[dict[str, float | None]] = field(default_factory=list)


@dataclass
class ProcessMemory:
    pid: int
    role: str  # "rasa" for Rasa servers and their Sanic workers, else "other"
    command: str
    peak_rss_mb: float  # VmRSS: counts pages shared with other processes in full
    peak_pss_mb: float | None  # Pss: shared pages split between their processes


@dataclass
class ProfileTurn:
    message: str
    full_ms: float
    nlu_ms: float
    actions_ms: dict[str, float]  # custom action (or form validation) -> median ms
    actions_run: int  # actions Rasa predicted and ran in the turn (action_listen included)

    @property
    def rest_ms(self) -> float:
        return self.full_ms - self.nlu_ms - sum(self.actions_ms.values())


@dataclass
class SystemResult:
    name: str
    settings: dict[str, str]
    levels: list[LevelResult]
    memory: list[ProcessMemory]
    profile: list[ProfileTurn]
    prediction_ms: float | None  # one policy prediction alone (profile), median
    # Through the gateway only: what the gateway adds to a turn, alone and as a conversation grows.
    path_cost: dict[str, Any] | None = None
    long_conversation: dict[str, Any] | None = None

    def level(self, users: int) -> LevelResult | None:
        return next((level for level in self.levels if level.users == users), None)

    def rasa_memory(self) -> list[ProcessMemory]:
        return [p for p in self.memory if p.role == "rasa"]


@dataclass
class TargetCheck:
    name: str
    status: str  # met | missed | not measured
    detail: str


@dataclass
class Report:
    command: str
    finished: str
    cpus: int
    options: dict[str, Any]
    systems: list[SystemResult]
    targets: list[TargetCheck]


# ---------------------------------------------------------------- systems under test


@dataclass
class Target:
    """A running bot: where to reach it and what its customers say."""

    name: str
    url: str
    token: str
    new_conversation: Callable[[random.Random], Conversation]
    profile_conversation: Conversation
    root_pids: Callable[[], list[int]]
    domain: dict[str, Any]
    sender_prefix: str
    settings: dict[str, str]
    action_url: str | None = None
    apology_texts: frozenset[str] = frozenset()
    # Kramar's customer API (bot/gateway/rest.py); None: straight to Rasa's REST channel.
    gateway_url: str | None = None

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def tracker_url(self, sender: str) -> str:
        return f"{self.url}/conversations/{sender}/tracker"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def get_json(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def wait_for_rasa(url: str, token: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Until Rasa answers /status with a loaded model; raises if it dies or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Rasa exited with code {process.returncode}")
        with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
            if get_json(f"{url}/status?token={token}", timeout=2).get("model_file"):
                return
        time.sleep(1)
    raise RuntimeError(f"Rasa at {url} did not load its model within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM to the process group we started (Rasa and its workers), then SIGKILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def plain_env() -> dict[str, str]:
    """Our environment without Kramar's and Sanic's settings: plain Rasa runs on defaults."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KRAMAR_", "RASA_", "SANIC_", "ACTION_")) and k != "PYTHONPATH"
    }
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


def ensure_plain_project(log_dir: Path) -> Path:
    """`rasa init`'s project with its trained model (created once); returns the models dir."""
    models = PLAIN_DIR / "models"
    if any(models.glob("*.tar.gz")):
        return models
    PLAIN_DIR.mkdir(parents=True, exist_ok=True)
    log = log_dir / "plain-rasa-init.log"
    print(f"step 'plain rasa': rasa init in {rel(PLAIN_DIR)} (trains once, a few minutes)...")
    with log.open("ab") as out:
        done = subprocess.run(
            [RASA, "init", "--no-prompt", "--init-dir", str(PLAIN_DIR)],
            env=plain_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0 or not any(models.glob("*.tar.gz")):
        raise RuntimeError(f"rasa init failed (exit {done.returncode}); see {rel(log)}")
    return models


@contextlib.contextmanager
def plain_rasa(args: argparse.Namespace, log_dir: Path, prefix: str) -> Iterator[Target]:
    models = ensure_plain_project(log_dir)
    port, token = free_port(), secrets.token_urlsafe(16)
    command = [RASA, "run", "--enable-api", f"--auth-token={token}", "--port", str(port)]
    command += ["--model", str(models), "--interface", HOST]
    with (log_dir / "plain-rasa.log").open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=PLAIN_DIR,
            env=plain_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://{HOST}:{port}"
        wait_for_rasa(url, token, process, timeout=300)
        yield Target(
            name=PLAIN,
            url=url,
            token=token,
            new_conversation=plain_conversation,
            profile_conversation=plain_profile_conversation(),
            root_pids=lambda: [process.pid],
            domain=get_json(f"{url}/domain?token={token}"),
            sender_prefix=prefix,
            settings={"bot": "rasa init", "settings": "default", "processes": "1"},
        )
    finally:
        stop_process(process)


@contextlib.contextmanager
def production_stores(args: argparse.Namespace, prefix: str) -> Iterator[dict[str, str]]:
    """Production mode's settings: fresh PostgreSQL databases (dropped after) and Redis.

    As tests/production/conftest.py: one database each for the tracker store,
    the shop and the inbox. KRAMAR_DATABASE_URL and KRAMAR_REDIS_URL are the
    names the issue gives; TRACKER_DATABASE_URL and REDIS_URL the ones
    bot/settings.py reads.
    """
    if args.mode != "production":
        yield {}
        return
    import psycopg2  # only production mode needs it

    server = args.postgres_url.rstrip("/")
    names = {p: f"kramar_{p}_{prefix.replace('-', '_')}" for p in ("tracker", "shop", "inbox")}
    admin = psycopg2.connect(f"{server}/postgres", connect_timeout=5)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            for name in names.values():
                cursor.execute(f'CREATE DATABASE "{name}"')
        asyncpg = server.replace("postgresql://", "postgresql+asyncpg://", 1)
        yield {
            "KRAMAR_MODE": "production",
            "TRACKER_DATABASE_URL": f"{server}/{names['tracker']}",
            "KRAMAR_DATABASE_URL": f"{server}/{names['tracker']}",
            "SHOP_DATABASE_URL": f"{asyncpg}/{names['shop']}",
            "INBOX_DATABASE_URL": f"{asyncpg}/{names['inbox']}",
            "REDIS_URL": args.redis_url,
            "KRAMAR_REDIS_URL": args.redis_url,
        }
    finally:
        with admin.cursor() as cursor:
            for name in names.values():
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        forget_redis_keys(args.redis_url, prefix)


def forget_redis_keys(url: str, prefix: str) -> None:
    """Deletes what this run's conversations left in Redis (their sender ids hold prefix)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=f"*{prefix}*", count=1000):
            client.delete(key)
    except redis.RedisError as error:
        print(f"  (could not clean Redis: {error})")
    finally:
        client.close()


def kramar_env(workdir: Path, stores: dict[str, str], args: argparse.Namespace) -> dict[str, str]:
    """The tests' stack environment (free ports, temp SQLite, fresh secrets, no Telegram),
    without the developer's own Kramar, Rasa and store settings."""
    from bot.settings import Settings
    from tests.support.stack import stack_env

    inherited = ("KRAMAR_", "TELEGRAM_", "RASA_", "SANIC_", "ACTION_SERVER_", "TRACKER_", "REDIS_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    env = {
        **stack_env(workdir, base),
        # Every simulated customer comes from this one address, faster than people type.
        "CHAT_CONVERSATIONS_PER_ADDRESS": "1000000",
        "CHAT_MESSAGES_PER_MINUTE": "1000000",
        **stores,
    }
    if os.environ.get("RASA_MODEL"):
        env["RASA_MODEL"] = os.environ["RASA_MODEL"]
    for option, name in (
        (args.replicas, "RASA_REPLICAS"),
        (args.workers, "SANIC_WORKERS"),
        (args.action_workers, "ACTION_SERVER_SANIC_WORKERS"),
    ):
        if option is not None:
            env[name] = str(option)
    # Each replica on a free port too (the default is RASA_PORT + 1, + 2, ...).
    replicas = getattr(Settings.from_env(env), "rasa_replicas", 1)
    if replicas > 1:
        env["RASA_REPLICA_PORTS"] = ",".join(str(free_port()) for _ in range(replicas))
    return env


def shop_orders(shop_url: str, api_key: str) -> list[dict[str, Any]]:
    return [
        get_json(f"{shop_url}/api/orders/{order_id}", {"X-API-Key": api_key})
        for order_id in SEEDED_ORDERS
    ]


def response_texts(domain: dict[str, Any], name: str) -> set[str]:
    return {str(v["text"]) for v in domain.get("responses", {}).get(name, []) if v.get("text")}


def kramar_settings(stack: Any) -> dict[str, str]:
    """The effective mode, replicas and workers, as the Stack understood them."""
    s = stack.settings
    return {
        "mode": str(getattr(s, "mode", "local")),
        "replicas": str(getattr(s, "rasa_replicas", 1)),
        "Sanic workers": str(getattr(s, "sanic_workers", 1)),
        "action server workers": str(getattr(s, "action_server_workers", 1)),
        **(
            {"turns per replica at once (HAProxy maxconn)": str(s.balancer_maxconn or "no limit")}
            if getattr(s, "rasa_replicas", 1) > 1
            else {}
        ),
    }


@contextlib.contextmanager
def kramar(args: argparse.Namespace, log_dir: Path, prefix: str) -> Iterator[Target]:
    from bot.launcher import Stack, inbox_port

    with (
        tempfile.TemporaryDirectory(prefix="kramar-load-") as workdir,
        production_stores(args, prefix) as stores,
    ):
        env = kramar_env(Path(workdir), stores, args)
        stack = Stack(env, log_dir=log_dir / "kramar")
        try:
            stack.start()
            s = stack.settings
            url = f"http://{s.host}:{s.rasa_port}"
            domain = get_json(f"{url}/domain?token={s.rasa_token}")
            orders = orders_from_shop(shop_orders(s.shop_url, s.shop_api_key))
            yield Target(
                name=KRAMAR,
                url=url,
                token=s.rasa_token,
                new_conversation=KramarCustomers(orders),
                profile_conversation=kramar_profile_conversation(),
                root_pids=lambda: [p.pid for p in stack.processes.values()],
                domain=domain,
                sender_prefix=prefix,
                settings=kramar_settings(stack),
                action_url=f"http://{s.host}:{s.action_port}",
                apology_texts=frozenset(
                    response_texts(domain, "utter_technical_problem") | {CHANNEL_FALLBACK}
                ),
                gateway_url=(
                    f"http://{s.host}:{inbox_port(stack.env)}" if args.path == "gateway" else None
                ),
            )
        except Exception:
            for log in sorted((log_dir / "kramar").glob("*.log")):
                print(f"--- {rel(log)} (end) ---\n{log.read_text(errors='replace')[-2000:]}")
            raise
        finally:
            stack.stop()


SYSTEMS = {"plain": plain_rasa, "kramar": kramar}


# ---------------------------------------------------------------- load


async def send(
    session: aiohttp.ClientSession, target: Target, log: ConversationLog, text: str
) -> tuple[Turn, list[Reply]]:
    """Posts one message; the turn's outcome and the bot's replies.

    Through the gateway, the conversation is opened first (not timed) and the
    log's sender becomes the conversation id the gateway gave.
    """
    if target.gateway_url and not log.token:
        try:
            log.sender, log.token = await open_conversation(session, target.gateway_url)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError) as error:
            return Turn(0.0, "error", f"opening: {type(error).__name__}"), []
    if target.gateway_url:
        url = f"{target.gateway_url}/chat/conversations/{log.sender}/messages"
        post = session.post(
            url, json={"text": text}, headers={"Authorization": f"Bearer {log.token}"}
        )
    else:
        post = session.post(target.webhook_url, json={"sender": log.sender, "message": text})
    started = time.monotonic()
    answer: Any = None
    try:
        async with post as response:
            status = response.status
            if status == 200:
                answer = await response.json(content_type=None)
            timing = server_timing(response.headers.get("Server-Timing", ""))
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        return Turn(time.monotonic() - started, "error", type(error).__name__), []
    latency = time.monotonic() - started
    if status != 200:
        return Turn(latency, "error", f"HTTP {status}"), []
    replies = answer.get("messages") if target.gateway_url and isinstance(answer, dict) else answer
    if not isinstance(replies, list):
        return Turn(latency, "error", "not a list"), []
    turn = Turn(latency, outcome(replies, target))
    turn.rasa_seconds = timing.get("rasa")
    return turn, replies


async def open_conversation(session: aiohttp.ClientSession, gateway_url: str) -> tuple[str, str]:
    async with session.post(f"{gateway_url}/chat/conversations") as response:
        response.raise_for_status()
        opened = await response.json()
    return str(opened["conversation_id"]), str(opened["token"])


def server_timing(header: str) -> dict[str, float]:
    """`rasa;dur=12.5, turn;dur=20` -> {"rasa": 0.0125, "turn": 0.02} (seconds)."""
    found = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        with contextlib.suppress(ValueError):
            found[name] = float(duration) / 1000
    return found


def outcome(replies: list[Reply], target: Target) -> str:
    if not replies:
        return "no_reply"
    if any(reply.get("text") in target.apology_texts for reply in replies):
        return "apology"
    return "ok"


@dataclass
class LevelRun:
    """What the customers of one level did, before analysis."""

    turns: list[Turn] = field(default_factory=list)
    conversations: list[ConversationLog] = field(default_factory=list)
    wall: float = 0.0

    def extend(self, other: LevelRun) -> None:
        """Adds a round of the same level."""
        self.turns += other.turns
        self.conversations += other.conversations
        self.wall += other.wall


async def customer(
    session: aiohttp.ClientSession,
    target: Target,
    run: LevelRun,
    deadline: float,
    rng: random.Random,
    think: float,
) -> None:
    """Plays conversations, each with a fresh sender id, until the deadline."""
    while time.monotonic() < deadline:
        conversation = target.new_conversation(rng)
        log = ConversationLog(
            f"{target.sender_prefix}-{uuid.uuid4().hex[:16]}",
            conversation.kind,
            conversation.language,
        )
        run.conversations.append(log)
        replies: list[Reply] = []
        for step in conversation.steps:
            if time.monotonic() >= deadline:
                break
            text = step if isinstance(step, str) else step.choose(replies, rng)
            if text is None:
                continue
            log.sent.append(text)
            turn, replies = await send(session, target, log, text)
            turn.kind, turn.step, turn.text = conversation.kind, len(log.sent), text
            run.turns.append(turn)
            if think:
                await asyncio.sleep(think)


async def run_level(
    session: aiohttp.ClientSession, target: Target, users: int, seconds: float, think: float
) -> LevelRun:
    run = LevelRun()
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(
        *(
            customer(session, target, run, deadline, random.Random(f"{users}-{n}"), think)
            for n in range(users)
        )
    )
    run.wall = time.monotonic() - start
    return run


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks; None without data."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def summarize(users: int, run: LevelRun, lost: int, unreadable: int) -> LevelResult:
    """The level's figures; call right after the level (it reads the load average)."""
    answered = [t for t in run.turns if t.outcome != "error"]
    latencies = [t.latency for t in answered]
    outcomes = Counter(t.outcome for t in run.turns)
    return LevelResult(
        users=users,
        seconds=round(run.wall, 2),
        conversations=len(run.conversations),
        turns=len(run.turns),
        answered=len(answered),
        messages_per_s=round(len(answered) / run.wall, 2) if run.wall else 0.0,
        p50_ms=ms(percentile(latencies, 0.50)),
        p95_ms=ms(percentile(latencies, 0.95)),
        p99_ms=ms(percentile(latencies, 0.99)),
        errors=outcomes["error"],
        error_kinds=dict(Counter(t.detail for t in run.turns if t.outcome == "error")),
        no_reply=outcomes["no_reply"],
        apologies=outcomes["apology"],
        lost_events=lost,
        unreadable_trackers=unreadable,
        conversation_kinds=dict(Counter(c.kind for c in run.conversations)),
        by_step=latency_by_step(answered),
        slowest=[
            {"kind": t.kind, "step": t.step, "text": t.text, "ms": ms(t.latency)}
            for t in sorted(answered, key=lambda t: t.latency, reverse=True)[:SLOWEST]
        ],
        load_average=round(os.getloadavg()[0], 2),
    )


def round_figures(run: LevelRun) -> dict[str, float | None]:
    """One round's messages/s and p95, to see how far the machine drifted between rounds."""
    latencies = [t.latency for t in run.turns if t.outcome != "error"]
    return {
        "messages_per_s": round(len(latencies) / run.wall, 2) if run.wall else None,
        "p95_ms": ms(percentile(latencies, 0.95)),
    }


def latency_by_step(turns: Sequence[Turn]) -> dict[str, dict[str, float | None]]:
    """Latency per conversation kind and message position: where the slow turns are."""
    groups: dict[str, list[float]] = defaultdict(list)
    for turn in turns:
        groups[f"{turn.kind} #{turn.step}"].append(turn.latency)
    return {
        key: {
            "turns": len(values),
            "p50_ms": ms(percentile(values, 0.5)),
            "p95_ms": ms(percentile(values, 0.95)),
        }
        for key, values in sorted(groups.items())
    }


# ---------------------------------------------------------------- tracker check


def in_order(sent: Sequence[str], seen: Sequence[str]) -> int:
    """How many of `sent` appear in `seen` in the same order (longest common subsequence)."""
    previous = [0] * (len(seen) + 1)
    for text in sent:
        current = [0]
        for j, other in enumerate(seen):
            current.append(previous[j] + 1 if text == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


async def read_tracker(
    session: aiohttp.ClientSession, target: Target, sender: str, until: float | None = None
) -> dict[str, Any] | None:
    params: dict[str, str] = {"token": target.token, "include_events": "ALL"}
    if until is not None:
        params["until"] = repr(until)
    try:
        async with session.get(target.tracker_url(sender), params=params) as response:
            if response.status != 200:
                return None
            tracker: dict[str, Any] = await response.json(content_type=None)
            return tracker
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return None


async def lost_events(
    session: aiohttp.ClientSession, target: Target, conversations: Sequence[ConversationLog]
) -> tuple[int, int]:
    """(messages missing from the trackers, trackers that could not be read)."""
    gate = asyncio.Semaphore(TRACKER_READERS)

    async def missing(log: ConversationLog) -> int | None:
        async with gate:
            tracker = await read_tracker(session, target, log.sender)
        if tracker is None:
            return None
        seen = [str(e.get("text")) for e in tracker.get("events", []) if e.get("event") == "user"]
        return len(log.sent) - in_order(log.sent, seen)

    counts = await asyncio.gather(*(missing(log) for log in conversations if log.sent))
    return sum(c for c in counts if c is not None), sum(c is None for c in counts)


# ---------------------------------------------------------------- memory


def read_proc(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_text(errors="replace")
    except OSError:
        return ""


def children_by_parent() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            match = re.search(r"^PPid:\s+(\d+)", read_proc(int(entry.name), "status"), re.M)
            if match:
                tree[int(match.group(1))].append(int(entry.name))
    return tree


def memory_mb(pid: int, file: str, field: str) -> float | None:
    """A kB field of /proc/<pid>/<file> in MB (VmRSS of status, Pss of smaps_rollup)."""
    match = re.search(rf"^{field}:\s+(\d+) kB", read_proc(pid, file), re.M)
    return round(int(match.group(1)) / 1024, 1) if match else None


def argv(pid: int) -> list[str]:
    return [a for a in read_proc(pid, "cmdline").split("\0") if a]


def is_rasa_server(args: Sequence[str]) -> bool:
    return any(
        Path(a).name == "rasa" and args[i + 1 : i + 2] == ["run"] for i, a in enumerate(args)
    )


def short_command(args: Sequence[str], rasa_child: bool) -> str:
    if is_rasa_server(args):
        return "rasa worker" if rasa_child else "rasa run"
    if not args:
        return "?"
    return " ".join([Path(args[0]).name, *args[1:3]])[:60]


def system_processes(roots: Sequence[int]) -> list[tuple[int, str, str]]:
    """(pid, role, command) of the roots and all their descendants.

    A Rasa server's descendants (Sanic workers) are Rasa too, except
    multiprocessing's resource tracker.
    """
    tree = children_by_parent()
    found: list[tuple[int, str, str]] = []
    todo = [(pid, False) for pid in roots]
    while todo:
        pid, parent_is_rasa = todo.pop()
        args = argv(pid)
        helper = "multiprocessing.resource_tracker" in " ".join(args)
        rasa = (is_rasa_server(args) or parent_is_rasa) and not helper
        found.append((pid, "rasa" if rasa else "other", short_command(args, parent_is_rasa)))
        todo += [(child, rasa) for child in tree.get(pid, [])]
    return found


def cpu_seconds(pid: int, reaped_children: bool = False) -> float | None:
    """User plus system CPU time a process has used so far (and its children that ended)."""
    stat = read_proc(pid, "stat")
    if ")" not in stat:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def server_cpu_seconds(pid: int) -> float | None:
    """A server's CPU time so far with all its processes: PostgreSQL starts one per
    connection, and the ones that ended count in the postmaster's children's time."""
    own = cpu_seconds(pid, reaped_children=True)
    if own is None:
        return None
    return own + sum(cpu_seconds(child) or 0.0 for child in children_by_parent().get(pid, []))


def server_pids(args: argparse.Namespace) -> dict[str, int]:
    """The PostgreSQL postmaster and the Redis server production mode uses, when found:
    their CPU is counted apart from the rest of the machine."""
    if args.mode != "production":
        return {}
    import psycopg2
    import redis

    pids: dict[str, int] = {}
    with contextlib.suppress(psycopg2.Error, ValueError):
        admin = psycopg2.connect(f"{args.postgres_url.rstrip('/')}/postgres", connect_timeout=5)
        with contextlib.closing(admin), admin.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        match = re.search(r"^PPid:\s+(\d+)", read_proc(backend, "status"), re.M)
        if match:  # a backend's parent is the postmaster (when it runs on this machine)
            pids[POSTGRES_SERVER] = int(match.group(1))
    with contextlib.suppress(redis.RedisError, KeyError, ValueError):
        client = redis.Redis.from_url(args.redis_url)
        with contextlib.closing(client):
            pid = int(client.info("server")["process_id"])
        if read_proc(pid, "stat"):
            pids[REDIS_SERVER] = pid
    return pids


def machine_busy_seconds() -> float:
    """CPU time all cores spent on anything but idling, from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass
class CpuSnapshot:
    at: float
    machine: float
    own: float
    processes: dict[int, tuple[str, float]]  # pid -> (command, CPU seconds)

    @classmethod
    def take(cls, roots: Sequence[int], servers: dict[str, int] | None = None) -> CpuSnapshot:
        processes = {}
        for pid, _role, command in system_processes(roots):
            used = cpu_seconds(pid)
            if used is not None:
                processes[pid] = (command, used)
        for name, pid in (servers or {}).items():
            used = server_cpu_seconds(pid)
            if used is not None:
                processes[pid] = (name, used)
        times = os.times()
        return cls(time.monotonic(), machine_busy_seconds(), times.user + times.system, processes)

    def seconds_since(self, before: CpuSnapshot) -> dict[str, float]:
        """CPU seconds each kind of process used between the two snapshots."""
        used: dict[str, float] = defaultdict(float)
        for pid, (command, seconds) in self.processes.items():
            used[command] += seconds - before.processes.get(pid, (command, 0.0))[1]
        used[LOAD_GENERATOR] = self.own - before.own
        used[REST_OF_MACHINE] = max(0.0, self.machine - before.machine - sum(used.values()))
        return used


@dataclass
class CpuUse:
    """CPU seconds by kind of process and wall seconds, summed over a level's rounds."""

    used: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    wall: float = 0.0

    def add(self, after: CpuSnapshot, before: CpuSnapshot) -> None:
        for name, seconds in after.seconds_since(before).items():
            self.used[name] += seconds
        self.wall += after.at - before.at

    def cores(self) -> dict[str, float]:
        """Cores each kind of process used, busiest first."""
        busiest = sorted(self.used.items(), key=lambda item: -item[1])
        return {name: round(seconds / self.wall, 2) for name, seconds in busiest if self.wall}


class MemorySampler:
    """Peak RSS of every process of the system under test, sampled in the background."""

    def __init__(self, roots: Callable[[], list[int]]) -> None:
        self.roots = roots
        self.peaks: dict[int, ProcessMemory] = {}

    def sample(self) -> None:
        for pid, role, command in system_processes(self.roots()):
            rss = memory_mb(pid, "status", "VmRSS")
            pss = memory_mb(pid, "smaps_rollup", "Pss")
            if rss is None:
                continue
            known = self.peaks.setdefault(pid, ProcessMemory(pid, role, command, rss, pss))
            known.peak_rss_mb = max(known.peak_rss_mb, rss)
            if pss is not None:
                known.peak_pss_mb = max(known.peak_pss_mb or 0.0, pss)

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(MEMORY_EVERY)


# ---------------------------------------------------------------- profile


async def timed_parse(session: aiohttp.ClientSession, target: Target, text: str) -> float:
    started = time.monotonic()
    async with session.post(
        f"{target.url}/model/parse", params={"token": target.token}, json={"text": text}
    ) as response:
        await response.read()
        response.raise_for_status()
    return time.monotonic() - started


async def server_actions(session: aiohttp.ClientSession, target: Target) -> set[str]:
    if not target.action_url:
        return set()
    async with session.get(f"{target.action_url}/actions") as response:
        response.raise_for_status()
        return {str(a["name"]) for a in await response.json()}


async def rasa_version(session: aiohttp.ClientSession, target: Target) -> str:
    async with session.get(f"{target.url}/version") as response:
        return str((await response.json()).get("version", ""))


def remote_action(name: str, on_server: set[str]) -> str | None:
    """The action-server action Rasa calls for an executed action, if any."""
    if name in on_server:
        return name
    if f"validate_{name}" in on_server:  # a form validates through the action server
        return f"validate_{name}"
    return None


@dataclass
class TurnActions:
    """What Rasa did in one user turn, read back from its tracker."""

    executed: int = 0  # actions Rasa predicted and ran, action_listen included
    calls: list[tuple[str, float]] = field(default_factory=list)  # replayed alone: name, s


async def replay_one(
    session: aiohttp.ClientSession,
    target: Target,
    sender: str,
    name: str,
    before: float,
    version: str,
) -> tuple[str, float]:
    """Calls the action server as Rasa did, with the tracker as of `before`."""
    call = {
        "next_action": name,
        "sender_id": sender,
        "tracker": await read_tracker(session, target, sender, until=before),
        "domain": target.domain,
        "version": version,
    }
    started = time.monotonic()
    async with session.post(f"{target.action_url}/webhook", json=call) as response:
        await response.read()
    label = name if response.status == 200 else f"{name} (HTTP {response.status})"
    return label, time.monotonic() - started


async def replay_actions(
    session: aiohttp.ClientSession,
    target: Target,
    sender: str,
    on_server: set[str],
    version: str,
) -> list[TurnActions]:
    """Per user turn of the conversation: the actions Rasa ran, action-server calls timed."""
    tracker = await read_tracker(session, target, sender)
    if tracker is None:
        return []
    events: list[dict[str, Any]] = tracker.get("events", [])
    turns: list[TurnActions] = []
    for index, event in enumerate(events):
        if event.get("event") == "user":
            turns.append(TurnActions())
        if event.get("event") != "action" or not turns:
            continue
        turns[-1].executed += 1
        name = remote_action(str(event.get("name")), on_server)
        if name is not None and target.action_url:
            before = events[index - 1]["timestamp"]
            turns[-1].calls.append(await replay_one(session, target, sender, name, before, version))
    return turns


async def timed_prediction(session: aiohttp.ClientSession, target: Target, sender: str) -> float:
    """Time of `POST /conversations/<sender>/predict`: the policies alone, nothing run."""
    started = time.monotonic()
    async with session.post(
        f"{target.url}/conversations/{sender}/predict", params={"token": target.token}
    ) as response:
        await response.read()
        response.raise_for_status()
    return time.monotonic() - started


async def profile_turns(
    session: aiohttp.ClientSession, target: Target, repeats: int
) -> tuple[list[ProfileTurn], float | None]:
    """Median time per turn of the profile conversation (full, NLU, action server)
    and of one policy prediction at its end."""
    steps = [s for s in target.profile_conversation.steps if isinstance(s, str)]
    on_server = await server_actions(session, target)
    version = await rasa_version(session, target)
    full: list[list[float]] = [[] for _ in steps]
    nlu: list[list[float]] = [[] for _ in steps]
    executed: list[list[int]] = [[] for _ in steps]
    actions: list[dict[str, list[float]]] = [defaultdict(list) for _ in steps]
    predictions: list[float] = []
    for _ in range(repeats):
        log = ConversationLog(f"{target.sender_prefix}-profile-{uuid.uuid4().hex[:12]}", "", "")
        for i, text in enumerate(steps):
            turn, _ = await send(session, target, log, text)
            full[i].append(turn.latency)
            nlu[i].append(await timed_parse(session, target, text))
        predictions.append(await timed_prediction(session, target, log.sender))
        replayed = await replay_actions(session, target, log.sender, on_server, version)
        for i, turn_actions in enumerate(replayed[: len(steps)]):
            executed[i].append(turn_actions.executed)
            for name, seconds in turn_actions.calls:
                actions[i][name].append(seconds)
    turns = [
        ProfileTurn(
            message=text,
            full_ms=ms(statistics.median(full[i])) or 0.0,
            nlu_ms=ms(statistics.median(nlu[i])) or 0.0,
            actions_ms={
                name: ms(statistics.median(times)) or 0.0 for name, times in actions[i].items()
            },
            actions_run=int(statistics.median(executed[i])) if executed[i] else 0,
        )
        for i, text in enumerate(steps)
        if full[i]
    ]
    return turns, ms(statistics.median(predictions)) if predictions else None


async def path_cost(session: aiohttp.ClientSession, target: Target, repeats: int) -> dict[str, Any]:
    """One customer alone: the profile conversation through the gateway and straight to
    Rasa's REST channel, alternately; each turn's median on both paths."""
    straight = dataclasses.replace(target, gateway_url=None)
    steps = [s for s in target.profile_conversation.steps if isinstance(s, str)]
    times: dict[str, list[list[float]]] = {
        "gateway": [[] for _ in steps],
        "rasa": [[] for _ in steps],
    }
    for n in range(repeats):
        paths = [("gateway", target), ("rasa", straight)]
        for path, via in paths if n % 2 == 0 else reversed(paths):
            log = ConversationLog(f"{target.sender_prefix}-path-{uuid.uuid4().hex[:12]}", "", "")
            for i, text in enumerate(steps):
                turn, _ = await send(session, via, log, text)
                if turn.outcome != "error":
                    times[path][i].append(turn.latency)
    by_step = [
        {
            "message": text,
            "gateway_ms": ms(statistics.median(times["gateway"][i])),
            "rasa_ms": ms(statistics.median(times["rasa"][i])),
        }
        for i, text in enumerate(steps)
        if times["gateway"][i] and times["rasa"][i]
    ]
    extra = [step["gateway_ms"] - step["rasa_ms"] for step in by_step]
    return {
        "repeats": repeats,
        "by_step": by_step,
        "extra_ms": round(statistics.median(extra), 1) if extra else None,
    }


async def long_conversation(
    session: aiohttp.ClientSession, target: Target, turns: int
) -> dict[str, Any]:
    """One conversation of `turns` messages through the gateway (the profile's messages
    over and over), alone; the first and last fifth's medians, split by the gateway's
    Server-Timing into Rasa's share and the gateway's, and the CPU time the gateway's
    and Rasa's processes used per turn in each fifth (wall times move with whatever
    else the machine runs; CPU time much less)."""
    steps = [s for s in target.profile_conversation.steps if isinstance(s, str)]
    log = ConversationLog(f"{target.sender_prefix}-long-{uuid.uuid4().hex[:12]}", "", "")
    played: list[Turn] = []
    fifth = max(1, turns // 5)
    cpu: dict[int, dict[str, float]] = {}
    for n in range(turns):
        if n in (0, fifth, turns - fifth):
            cpu[n] = cpu_by_share(target)
        turn, _ = await send(session, target, log, steps[n % len(steps)])
        played.append(turn)
    cpu[turns] = cpu_by_share(target)

    def cpu_ms(start: int, end: int) -> dict[str, float]:
        return {
            f"{share}_cpu_ms": round(
                (cpu[end][share] - cpu[start][share]) * 1000 / (end - start), 1
            )
            for share in ("rasa", "gateway")
        }

    def medians(part: Sequence[Turn]) -> dict[str, float | None]:
        timed = [t for t in part if t.outcome != "error" and t.rasa_seconds is not None]
        if not timed:
            return {"turn_ms": None, "rasa_ms": None, "gateway_ms": None}
        return {
            "turn_ms": ms(statistics.median(t.latency for t in timed)),
            "rasa_ms": ms(statistics.median(t.rasa_seconds or 0.0 for t in timed)),
            "gateway_ms": ms(statistics.median(t.latency - (t.rasa_seconds or 0.0) for t in timed)),
        }

    first = medians(played[:fifth]) | cpu_ms(0, fifth)
    last = medians(played[-fifth:]) | cpu_ms(turns - fifth, turns)
    return {
        "turns": turns,
        "errors": sum(t.outcome == "error" for t in played),
        "first": first,
        "last": last,
        "first_label": f"turns 1–{fifth}",
        "last_label": f"turns {turns - fifth + 1}–{turns}",
        "rasa_ratio": ratio(last["rasa_ms"], first["rasa_ms"]),
        "gateway_ratio": ratio(last["gateway_ms"], first["gateway_ms"]),
        "rasa_cpu_ratio": ratio(last["rasa_cpu_ms"], first["rasa_cpu_ms"]),
        "gateway_cpu_ratio": ratio(last["gateway_cpu_ms"], first["gateway_cpu_ms"]),
    }


def cpu_by_share(target: Target) -> dict[str, float]:
    """CPU seconds used so far by the Rasa servers and by the gateway's process."""
    totals = {"rasa": 0.0, "gateway": 0.0}
    for pid, role, command in system_processes(target.root_pids()):
        share = "rasa" if role == "rasa" else "gateway" if "bot.gateway" in command else None
        if share:
            totals[share] += cpu_seconds(pid) or 0.0
    return totals


# ---------------------------------------------------------------- one system


def rounds_in_turn(targets: Sequence[Target], rounds: int) -> list[Target]:
    """Each system once a round, the order reversed every other round (A B, B A, A B...).

    Both systems stay up, the one not measured idle, so a drift in the
    machine's speed during the run falls on both alike.
    """
    order: list[Target] = []
    for number in range(rounds):
        order += targets if number % 2 == 0 else list(reversed(targets))
    return order


async def measure(targets: Sequence[Target], args: argparse.Namespace) -> list[SystemResult]:
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    connector = aiohttp.TCPConnector(limit=max(args.users) + TRACKER_READERS + 2)
    samplers = {target.name: MemorySampler(target.root_pids) for target in targets}
    levels: dict[str, list[LevelResult]] = {target.name: [] for target in targets}
    profiles: dict[str, tuple[list[ProfileTurn], float | None]] = {}
    paths: dict[str, dict[str, Any]] = {}
    longs: dict[str, dict[str, Any]] = {}
    servers = server_pids(args)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        sampling = [asyncio.create_task(sampler.run()) for sampler in samplers.values()]
        try:
            if args.warmup:
                for target in targets:
                    print(f"  {target.name} warm-up: {min(args.users)} users, {args.warmup:g} s")
                    await run_level(session, target, min(args.users), args.warmup, args.think)
            for users in args.users:
                runs = {target.name: LevelRun() for target in targets}
                cpu = {target.name: CpuUse() for target in targets}
                rounds: dict[str, list[dict[str, float | None]]] = defaultdict(list)
                seconds = args.seconds / args.rounds
                for target in rounds_in_turn(targets, args.rounds):
                    print(f"  {target.name}: {users} users, {seconds:g} s...", flush=True)
                    before = CpuSnapshot.take(target.root_pids(), servers)
                    part = await run_level(session, target, users, seconds, args.think)
                    cpu[target.name].add(CpuSnapshot.take(target.root_pids(), servers), before)
                    runs[target.name].extend(part)
                    rounds[target.name].append(round_figures(part))
                for target in targets:
                    run = runs[target.name]
                    lost, unreadable = await lost_events(session, target, run.conversations)
                    level = summarize(users, run, lost, unreadable)
                    level.cpu_cores = cpu[target.name].cores()
                    level.rounds = rounds[target.name]
                    print(f"    {target.name}: {level_line(level)}", flush=True)
                    levels[target.name].append(level)
            for sampler in samplers.values():
                sampler.sample()
            if args.profile_repeats:
                for target in targets:
                    print(f"  {target.name} profile: {args.profile_repeats} conversations, alone")
                    try:
                        profiles[target.name] = await profile_turns(
                            session, target, args.profile_repeats
                        )
                    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                        print(f"  profile failed, left out: {error!r}", flush=True)
            for target in targets:
                if target.gateway_url and args.path_repeats:
                    print(f"  {target.name}: one customer, gateway against Rasa's channel")
                    paths[target.name] = await path_cost(session, target, args.path_repeats)
                if target.gateway_url and args.long_turns:
                    print(f"  {target.name}: one conversation of {args.long_turns} turns")
                    longs[target.name] = await long_conversation(session, target, args.long_turns)
        finally:
            for task in sampling:
                task.cancel()
            await asyncio.gather(*sampling, return_exceptions=True)
    results = []
    for target in targets:
        peaks = samplers[target.name].peaks.values()
        memory = sorted(peaks, key=lambda p: (p.role != "rasa", p.pid))
        profile, prediction = profiles.get(target.name, ([], None))
        results.append(
            SystemResult(
                target.name,
                target.settings,
                levels[target.name],
                memory,
                profile,
                prediction,
                paths.get(target.name),
                longs.get(target.name),
            )
        )
    return results


def slow_steps_line(level: LevelResult, count: int = 4) -> str:
    ranked = sorted(level.by_step.items(), key=lambda kv: -(kv[1]["p95_ms"] or 0))[:count]
    return ", ".join(f"{key} {fmt(stats['p95_ms'])} ms" for key, stats in ranked)


def level_line(level: LevelResult) -> str:
    return (
        f"{level.messages_per_s} msg/s, p50 {level.p50_ms} ms, p95 {level.p95_ms} ms, "
        f"p99 {level.p99_ms} ms, {level.turns} turns, {level.errors} errors, "
        f"{level.no_reply} no reply, {level.apologies} apologies, {level.lost_events} lost"
    )


# ---------------------------------------------------------------- report


def fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def ratio(ours: float | None, plain: float | None) -> float | None:
    return None if not ours or not plain else ours / plain


def load_table(systems: Sequence[SystemResult]) -> str:
    rows = [
        "| Users | System | msg/s | p50 ms | p95 ms | p99 ms | Turns | Errors | No reply "
        "| Apologies | Lost events | Load avg |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    pairs = paired(systems)
    for n in sorted({level.users for s in systems for level in s.levels}):
        for system in systems:
            level = system.level(n)
            if level is not None:
                rows.append(
                    f"| {n} | {system.name} | {fmt(level.messages_per_s, 1)} | {fmt(level.p50_ms)} "
                    f"| {fmt(level.p95_ms)} | {fmt(level.p99_ms)} | {level.turns} | {level.errors} "
                    f"| {level.no_reply} | {level.apologies} | {level.lost_events} "
                    f"| {fmt(level.load_average, 1)} |"
                )
        if n in pairs:
            mine, theirs = pairs[n]
            throughput = ratio(mine.messages_per_s, theirs.messages_per_s)
            p95 = ratio(mine.p95_ms, theirs.p95_ms)
            rows.append(
                f"| {n} | **ours/plain** | **{fmt(throughput, 2)}×** | | **{fmt(p95, 2)}×** "
                "| | | | | | | |"
            )
    return "\n".join(rows)


def memory_table(systems: Sequence[SystemResult]) -> str:
    rows = [
        "| System | Settings | Rasa processes | Peak RSS per Rasa process (MB) "
        "| Rasa RSS total (MB) | Rasa PSS total (MB) | All its processes, RSS (MB) |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for system in systems:
        rasa = system.rasa_memory()
        each = ", ".join(f"{fmt(p.peak_rss_mb)} ({p.command})" for p in rasa) or "—"
        settings = ", ".join(f"{k}: {v}" for k, v in system.settings.items())
        pss = [p.peak_pss_mb for p in rasa if p.peak_pss_mb is not None]
        rows.append(
            f"| {system.name} | {settings} | {len(rasa)} | {each} "
            f"| {fmt(sum(p.peak_rss_mb for p in rasa))} | {fmt(sum(pss) if pss else None)} "
            f"| {fmt(sum(p.peak_rss_mb for p in system.memory))} |"
        )
    return "\n".join(rows)


def profile_table(system: SystemResult) -> str:
    rows = [
        f"{system.name}, median of the profile conversation's turns:",
        "",
        "| Message | Full turn ms | NLU ms | Action server ms | Rest ms | Actions run |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for turn in system.profile:
        actions = ", ".join(f"{n} {fmt(t)}" for n, t in turn.actions_ms.items()) or "—"
        rows.append(
            f"| {turn.message} | {fmt(turn.full_ms)} | {fmt(turn.nlu_ms)} | {actions} "
            f"| {fmt(turn.rest_ms)} | {turn.actions_run} |"
        )
    if system.prediction_ms is not None:
        rows += [
            "",
            f"One policy prediction alone (`POST /conversations/<id>/predict` after the last "
            f"turn): {fmt(system.prediction_ms)} ms.",
        ]
    return "\n".join(rows)


def paired(systems: Sequence[SystemResult]) -> dict[int, tuple[LevelResult, LevelResult]]:
    """Kramar's and plain Rasa's results per concurrency level both ran."""
    by_name = {s.name: s for s in systems}
    ours, plain = by_name.get(KRAMAR), by_name.get(PLAIN)
    if ours is None or plain is None:
        return {}
    pairs = {}
    for level in ours.levels:
        theirs = plain.level(level.users)
        if theirs is not None:
            pairs[level.users] = (level, theirs)
    return pairs


def reliability_checks(ours: SystemResult | None) -> list[TargetCheck]:
    n = TARGET_USERS_ERRORS
    level = ours.level(n) if ours else None
    names = (f"zero failed turns at {n} users", f"zero lost messages at {n} users")
    if level is None:
        return [TargetCheck(name, "not measured", f"no Kramar run at {n} users") for name in names]
    failed = level.errors + level.no_reply + level.apologies
    lost = level.lost_events + level.unreadable_trackers
    return [
        TargetCheck(
            names[0],
            "met" if failed == 0 else "missed",
            f"{level.errors} errors{f' {level.error_kinds}' if level.error_kinds else ''}, "
            f"{level.no_reply} empty replies, "
            f"{level.apologies} apologies in {level.turns} turns",
        ),
        TargetCheck(
            names[1],
            "met" if lost == 0 else "missed",
            f"{level.lost_events} messages missing from trackers, "
            f"{level.unreadable_trackers} trackers unreadable",
        ),
    ]


def comparison_checks(systems: Sequence[SystemResult]) -> list[TargetCheck]:
    pairs = paired(systems)
    checks = []
    for n, (mine, theirs) in sorted(pairs.items()):
        r = ratio(mine.messages_per_s, theirs.messages_per_s)
        factor = TARGET_THROUGHPUT if n == TARGET_USERS_P95 else 1
        checks.append(
            TargetCheck(
                f"throughput at least {factor}× plain Rasa's at {n} users",
                "met" if r is not None and r >= factor else "missed",
                f"{mine.messages_per_s} vs {theirs.messages_per_s} msg/s ({fmt(r, 2)}×)",
            )
        )
    name = f"p95 at most half of plain Rasa's at {TARGET_USERS_P95} users"
    if TARGET_USERS_P95 not in pairs:
        return [*checks, TargetCheck(name, "not measured", "needs both systems at that level")]
    mine, theirs = pairs[TARGET_USERS_P95]
    r = ratio(mine.p95_ms, theirs.p95_ms)
    detail = f"{fmt(mine.p95_ms)} vs {fmt(theirs.p95_ms)} ms ({fmt(r, 2)}×)"
    return [*checks, TargetCheck(name, "met" if r is not None and r <= 0.5 else "missed", detail)]


def spread_checks(ours: SystemResult | None) -> list[TargetCheck]:
    """Kramar alone: a steady p99, and what the gateway adds to a turn."""
    checks = []
    level = ours.level(TARGET_USERS_P95) if ours else None
    name = f"p99 at most {TARGET_P99_OVER_P50}× p50 at {TARGET_USERS_P95} users"
    if level is None:
        checks.append(TargetCheck(name, "not measured", "no Kramar run at that level"))
    else:
        r = ratio(level.p99_ms, level.p50_ms)
        checks.append(
            TargetCheck(
                name,
                "met" if r is not None and r <= TARGET_P99_OVER_P50 else "missed",
                f"p99 {fmt(level.p99_ms)} ms, p50 {fmt(level.p50_ms)} ms ({fmt(r, 2)}×)",
            )
        )
    path = ours.path_cost if ours else None
    name = f"one customer's turn through the gateway at most {TARGET_EXTRA_MS} ms slower"
    if not path or path.get("extra_ms") is None:
        checks.append(TargetCheck(name, "not measured", "needs --path gateway --path-repeats N"))
    else:
        extra = path["extra_ms"]
        checks.append(
            TargetCheck(
                name,
                "met" if extra <= TARGET_EXTRA_MS else "missed",
                f"median of the turns' median differences: {extra} ms",
            )
        )
    long = ours.long_conversation if ours else None
    for share in ("gateway", "rasa"):
        name = (
            f"a long conversation's last turns at most {TARGET_GROWTH}× its first "
            f"({share}, CPU time per turn)"
        )
        if not long:
            checks.append(TargetCheck(name, "not measured", "needs --path gateway --long-turns N"))
            continue
        r = long[f"{share}_cpu_ratio"]
        checks.append(
            TargetCheck(
                name,
                "met" if r is not None and r <= TARGET_GROWTH else "missed",
                f"{long['last_label']} {fmt(long['last'][f'{share}_cpu_ms'], 1)} ms, "
                f"{long['first_label']} {fmt(long['first'][f'{share}_cpu_ms'], 1)} ms "
                f"({fmt(r, 2)}×; wall-clock medians {fmt(long[f'{share}_ratio'], 2)}×)",
            )
        )
    return checks


def check_targets(systems: Sequence[SystemResult]) -> list[TargetCheck]:
    ours = next((s for s in systems if s.name == KRAMAR), None)
    return reliability_checks(ours) + comparison_checks(systems) + spread_checks(ours)


def targets_text(checks: Sequence[TargetCheck]) -> str:
    return "\n".join(f"- {c.name}: **{c.status}** — {c.detail}" for c in checks)


def docs_section(report: Report, args: argparse.Namespace) -> str:
    both = len(report.systems) > 1
    parts = [
        "## Load: Kramar against plain Rasa",
        "",
        f"Produced {report.finished} by `{report.command}`: {fmt_users(args.users)} concurrent "
        f"customers, {args.seconds:g} s per level after {args.warmup:g} s of warm-up, think time "
        f"{args.think:g} s, on {report.cpus} CPUs shared with other work."
        + (
            f" Both systems were up; each level's seconds were split into {args.rounds} rounds"
            " and the systems took turns (the other idle), the order reversed every other"
            " round, so the machine's drift in speed falls on both alike."
            if both
            else ""
        )
        + " Method: the docstring of `bench/load.py`; full figures: `reports/load/`.",
        "",
        load_table(report.systems),
        "",
        "Latencies are per turn over answered turns; msg/s counts answered turns. "
        "Apologies are Kramar's technical-problem answers (its channel never answers with "
        "silence); lost events are messages sent that are not `user` events of the tracker "
        "afterwards, in order. Load avg is the machine's 1-minute load average as the level "
        "ended (the system under test alone makes about 2 on 2 cores).",
        "",
        rounds_text(report.systems),
        "",
        slow_steps_text(report.systems),
        "",
        cpu_text(report.systems, report.cpus),
        "",
        memory_table(report.systems),
        "",
    ]
    if any(system.profile for system in report.systems):
        parts += [
            f"Where one turn's time goes: one conversation played {args.profile_repeats} times "
            "with no other load, medians. NLU is the same text sent to `/model/parse`; action "
            "server is each call Rasa made in that turn replayed alone to its `/webhook`; rest "
            "is the difference: the policies predicting each action run, the tracker and lock "
            "stores, response rendering and HTTP.",
            "",
        ]
    for system in report.systems:
        if system.profile:
            parts += [profile_table(system), ""]
    if turn_costs := turn_cost_text(report.systems):
        parts += [turn_costs, ""]
    parts += ["Targets:", "", targets_text(report.targets)]
    return "\n".join(parts)


def fmt_users(users: Sequence[int]) -> str:
    return " and ".join(str(n) for n in users)


def update_docs(path: Path, section: str) -> None:
    """Replaces the text between the load markers, or appends them; nothing else changes."""
    block = f"{DOCS_START}\n{section}\n{DOCS_END}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Kramar benchmarks\n"
    pattern = re.compile(re.escape(DOCS_START) + r".*?" + re.escape(DOCS_END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


def slow_steps_text(systems: Sequence[SystemResult]) -> str:
    """Per system and level, the conversation steps with the highest p95."""
    lines = ["Slowest steps (conversation kind #message position, p95):", ""]
    for system in systems:
        for level in system.levels:
            lines.append(f"- {system.name}, {level.users} users: {slow_steps_line(level)}")
    return "\n".join(lines)


def cpu_text(systems: Sequence[SystemResult], cpus: int) -> str:
    """Per system and level, the cores each kind of process used."""
    lines = [f"CPU used during each level, in cores of the machine's {cpus}, by process:", ""]
    for system in systems:
        for level in system.levels:
            used = ", ".join(f"{name} {cores:.2f}" for name, cores in level.cpu_cores.items())
            lines.append(f"- {system.name}, {level.users} users: {used or '—'}")
    return "\n".join(lines)


def rounds_text(systems: Sequence[SystemResult]) -> str:
    """Per system and level, each round's figures in the order run: the machine's drift."""
    lines = ["Each round alone (msg/s, p95 ms), in the order run:", ""]
    for system in systems:
        for level in system.levels:
            each = "; ".join(
                f"{fmt(r['messages_per_s'], 1)} msg/s, {fmt(r['p95_ms'])} ms" for r in level.rounds
            )
            lines.append(f"- {system.name}, {level.users} users: {each or '—'}")
    return "\n".join(lines)


def turn_cost_text(systems: Sequence[SystemResult]) -> str:
    """What the gateway adds to one customer's turn, and how a long conversation ages."""
    lines = []
    for system in systems:
        path, long = system.path_cost, system.long_conversation
        if path:
            lines += [
                f"{system.name}, one customer alone, the profile conversation {path['repeats']} "
                "times through the gateway and straight to Rasa's REST channel, alternately "
                "(medians per turn, ms):",
                "",
                "| Message | Gateway | Rasa's channel | Difference |",
                "|---|---:|---:|---:|",
                *(
                    f"| {step['message']} | {fmt(step['gateway_ms'], 1)} | "
                    f"{fmt(step['rasa_ms'], 1)} | {fmt(step['gateway_ms'] - step['rasa_ms'], 1)} |"
                    for step in path["by_step"]
                ),
                "",
            ]
        if long:
            lines += [
                f"{system.name}, one conversation of {long['turns']} turns through the gateway "
                f"({long['errors']} errors), medians in ms; Rasa's share is the gateway's wait "
                "for Rasa (its Server-Timing header), the gateway's share the rest:",
                "",
                "| Turns | Whole turn | Rasa's share | Gateway's share "
                "| Rasa CPU per turn | Gateway CPU per turn |",
                "|---|---:|---:|---:|---:|---:|",
                *(
                    f"| {long[f'{part}_label']} | {fmt(long[part]['turn_ms'], 1)} | "
                    f"{fmt(long[part]['rasa_ms'], 1)} | {fmt(long[part]['gateway_ms'], 1)} | "
                    f"{fmt(long[part]['rasa_cpu_ms'], 1)} | {fmt(long[part]['gateway_cpu_ms'], 1)} |"
                    for part in ("first", "last")
                ),
                "",
            ]
    return "\n".join(lines).rstrip()


def print_report(report: Report) -> None:
    print("\n" + load_table(report.systems))
    print("\n" + rounds_text(report.systems))
    print("\n" + slow_steps_text(report.systems))
    print("\n" + cpu_text(report.systems, report.cpus))
    print("\n" + memory_table(report.systems))
    for system in report.systems:
        if system.profile:
            print("\n" + profile_table(system))
    if turn_costs := turn_cost_text(report.systems):
        print("\n" + turn_costs)
    print("\nTargets:\n" + targets_text(report.targets))


def to_json(report: Report) -> dict[str, Any]:
    payload = asdict(report)
    for system, data in zip(report.systems, payload["systems"], strict=True):
        for turn, turn_data in zip(system.profile, data["profile"], strict=True):
            turn_data["rest_ms"] = round(turn.rest_ms, 1)
    return payload


def rel(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(ROOT))
    return str(path)


# ---------------------------------------------------------------- main


def users_list(text: str) -> list[int]:
    try:
        users = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--users takes numbers like 20,50, got {text!r}"
        ) from None
    if not users or min(users) < 1:
        raise argparse.ArgumentTypeError("--users needs at least one number above 0")
    return users


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load benchmark: Kramar against plain Rasa through the REST channel."
    )
    parser.add_argument("--users", type=users_list, default=[20, 50], help="levels, e.g. 20,50")
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds per level")
    parser.add_argument("--warmup", type=float, default=10, help="seconds, not counted")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="each level's seconds are split into this many rounds, the systems taking turns",
    )
    parser.add_argument(
        "--think", type=float, default=0, help="seconds between a reply and the next message"
    )
    parser.add_argument(
        "--timeout", type=float, default=30, help="seconds before a turn is an error"
    )
    parser.add_argument("--only", choices=["kramar", "plain"], help="measure one system")
    parser.add_argument(
        "--path",
        choices=["gateway", "rasa"],
        default="gateway",
        help="Kramar's customers through the gateway's customer API (as widget and Telegram"
        " customers are), or straight to Rasa's REST channel",
    )
    parser.add_argument("--quick", action="store_true", help="5 users, 15 s, 5 s warm-up")
    parser.add_argument("--mode", choices=["dev", "production"], default="production")
    parser.add_argument("--replicas", type=int, help="RASA_REPLICAS for Kramar")
    parser.add_argument("--workers", type=int, help="SANIC_WORKERS for Kramar's Rasa")
    parser.add_argument("--action-workers", type=int, help="ACTION_SERVER_SANIC_WORKERS for Kramar")
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server for production mode (a fresh database is created and dropped)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--profile-repeats", type=int, default=5, help="0 skips the profile")
    parser.add_argument(
        "--path-repeats",
        type=int,
        default=10,
        help="one customer's conversations per path, gateway against Rasa's channel (0 skips)",
    )
    parser.add_argument(
        "--long-turns", type=int, default=100, help="turns of one long conversation (0 skips)"
    )
    parser.add_argument("--docs", type=Path, help="write the tables into this file's load section")
    parser.add_argument("--out", type=Path, default=REPORTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.seconds, args.warmup = [5], 15.0, 5.0
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    command = "PYTHONPATH=. .venv/bin/python bench/load.py " + shlex.join(sys.argv[1:])
    run_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
    log_dir = LOG_ROOT / run_id
    log_dir.mkdir(parents=True, exist_ok=True)
    names = [args.only] if args.only else ["plain", "kramar"]
    with contextlib.ExitStack() as systems:
        targets = []
        for name in names:
            print(f"{name}: starting (logs in {rel(log_dir)})...", flush=True)
            targets.append(systems.enter_context(SYSTEMS[name](args, log_dir, f"load-{run_id}")))
        results = asyncio.run(measure(targets, args))
    print("stopped.", flush=True)
    report = Report(
        command=command,
        finished=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        cpus=os.cpu_count() or 0,
        options={k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        systems=results,
        targets=check_targets(results),
    )
    print_report(report)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"load-{run_id}.json"
    out.write_text(json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n")
    print(f"\nJSON: {rel(out)}")
    if args.docs:
        update_docs(args.docs, docs_section(report, args))
        print(f"Docs: {rel(args.docs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
