"""Soak: Kramar for a long while at a steady load through the gateway; does memory stay flat?

    PYTHONPATH=. .venv/bin/python bench/soak.py [--minutes 30] [--users 10]
        [--warmup-minutes 5] [--think 0] [--docs docs/benchmarks.md]

Starts Kramar as bench/load.py does (production mode: two Rasa replicas behind
HAProxy, fresh PostgreSQL databases, Redis), and --users customers talk through
the gateway's customer API with bench/load.py's realistic mix (its `customer`
and bench/load_scenarios.py: order questions in three languages with
verification, returns with button clicks, FAQ, greetings), each conversation
with a fresh conversation id, for --minutes. Every minute it samples the RSS
of every service (a service's processes summed: a Rasa replica with its Sanic
workers) and counts that minute's turns and errors.

Memory growth is from the sample at the end of the warm-up (--warmup-minutes,
part of --minutes) to the last sample; the target is at most 10 % for every
service. Errors (a non-200 answer, a transport error or a timeout), empty
replies and apologies are counted over the whole run; the target is 0.
On a machine others share, give it servers nobody restarts meanwhile
(--postgres-url, --redis-url; `make test` starts private ones on free ports,
tests/support/infra.py). Prints a line per minute and the table, writes
reports/soak/soak-<time>.json
and, with --docs, the table and the command into that file's soak section.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import shlex
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp

from bench import load

REPORTS = load.ROOT / "reports" / "soak"
DOCS_START = "<!-- soak:start -->"
DOCS_END = "<!-- soak:end -->"
TARGET_GROWTH = 0.10
MINUTE = 60.0
# A service by the command of its first process (bot/launcher.py starts them).
SERVICES = {
    "bot.gateway": "gateway",
    "rasa run": "Rasa replica",
    "rasa_sdk": "action server",
    "bot.shop": "shop",
    "haproxy": "HAProxy",
}


@dataclass
class Minute:
    minute: int
    turns: int
    errors: int
    no_reply: int
    apologies: int
    p50_ms: float | None
    p95_ms: float | None
    rss_mb: dict[str, float]  # service -> RSS of its processes, summed
    load_average: float


@dataclass
class Growth:
    service: str
    after_warmup_mb: float
    last_mb: float
    peak_mb: float
    growth: float  # last / after warm-up - 1

    @property
    def met(self) -> bool:
        return self.growth <= TARGET_GROWTH


@dataclass
class Soak:
    command: str
    finished: str
    users: int
    minutes: int
    warmup_minutes: int
    settings: dict[str, str]
    minutes_run: list[Minute] = field(default_factory=list)
    turns: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    error_kinds: dict[str, int] = field(default_factory=dict)
    growth: list[Growth] = field(default_factory=list)


def service_name(command: str, seen: Counter[str]) -> str:
    name = next((label for key, label in SERVICES.items() if key in command), command)
    if name == "Rasa replica":
        seen[name] += 1
        return f"{name} {seen[name]}"
    return name


def service_memory(roots: Sequence[int]) -> dict[str, float]:
    """RSS in MB of each service: its first process and every one it started."""
    seen: Counter[str] = Counter()
    memory = {}
    for root in roots:
        processes = load.system_processes([root])
        if not processes:
            continue
        name = service_name(processes[0][2], seen)
        sizes = [load.memory_mb(pid, "status", "VmRSS") for pid, _, _ in processes]
        memory[name] = round(sum(size for size in sizes if size is not None), 1)
    return memory


def minute_figures(number: int, turns: Sequence[load.Turn], roots: Sequence[int]) -> Minute:
    outcomes = Counter(turn.outcome for turn in turns)
    answered = [turn.latency for turn in turns if turn.outcome != "error"]
    return Minute(
        minute=number,
        turns=len(turns),
        errors=outcomes["error"],
        no_reply=outcomes["no_reply"],
        apologies=outcomes["apology"],
        p50_ms=load.ms(load.percentile(answered, 0.5)),
        p95_ms=load.ms(load.percentile(answered, 0.95)),
        rss_mb=service_memory(roots),
        load_average=round(os.getloadavg()[0], 2),
    )


def minute_line(minute: Minute) -> str:
    memory = ", ".join(f"{name} {mb:,.0f}" for name, mb in minute.rss_mb.items())
    return (
        f"  minute {minute.minute}: {minute.turns} turns, p50 {load.fmt(minute.p50_ms)} ms, "
        f"p95 {load.fmt(minute.p95_ms)} ms, errors {minute.errors}, empty {minute.no_reply}, "
        f"apologies {minute.apologies}, load {minute.load_average}; RSS MB: {memory}"
    )


def growth_after(minutes: Sequence[Minute], warmup: int) -> list[Growth]:
    """Each service's growth from the end of the warm-up to the last minute."""
    start = next((m for m in minutes if m.minute == warmup), minutes[0])
    last = minutes[-1]
    return [
        Growth(
            service,
            start.rss_mb[service],
            last.rss_mb.get(service, 0.0),
            max(m.rss_mb.get(service, 0.0) for m in minutes),
            round(last.rss_mb.get(service, 0.0) / start.rss_mb[service] - 1, 4),
        )
        for service in start.rss_mb
    ]


async def soak(target: load.Target, args: argparse.Namespace, result: Soak) -> None:
    run = load.LevelRun()
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    connector = aiohttp.TCPConnector(limit=args.users + 2)
    start = time.monotonic()
    deadline = start + args.minutes * MINUTE
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        customers = asyncio.gather(
            *(
                load.customer(
                    session, target, run, deadline, random.Random(f"soak-{n}"), args.think
                )
                for n in range(args.users)
            )
        )
        counted = 0
        for number in range(1, args.minutes + 1):
            await asyncio.sleep(max(0.0, start + number * MINUTE - time.monotonic()))
            minute = minute_figures(number, run.turns[counted:], target.root_pids())
            counted += minute.turns
            result.minutes_run.append(minute)
            print(minute_line(minute), flush=True)
        await customers
    outcomes = Counter(turn.outcome for turn in run.turns)
    result.turns = len(run.turns)
    result.outcomes = dict(outcomes)
    result.error_kinds = dict(Counter(t.detail for t in run.turns if t.outcome == "error"))
    result.growth = growth_after(result.minutes_run, args.warmup_minutes)


def failures(result: Soak) -> int:
    return sum(result.outcomes.get(kind, 0) for kind in ("error", "no_reply", "apology"))


def table(result: Soak) -> str:
    rows = [
        "| Service | RSS after warm-up (MB) | RSS at the end (MB) | Peak (MB) | Growth |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in result.growth:
        mark = "" if row.met else " ✗"
        rows.append(
            f"| {row.service} | {row.after_warmup_mb:,.0f} | {row.last_mb:,.0f} | "
            f"{row.peak_mb:,.0f} | {row.growth:+.1%}{mark} |"
        )
    return "\n".join(rows)


def summary(result: Soak) -> str:
    errors = failures(result)
    grown = [row.service for row in result.growth if not row.met]
    kinds = ", ".join(f"{kind} ×{count}" for kind, count in result.error_kinds.items())
    answered = [m for m in result.minutes_run if m.turns]
    per_minute = [m.turns for m in answered]
    return "\n".join(
        [
            f"- turns: {result.turns} in {result.minutes} min "
            f"({min(per_minute, default=0)}–{max(per_minute, default=0)} a minute)",
            f"- errors, empty replies and apologies: **{errors}** (target 0)"
            + (f": {kinds}" if kinds else ""),
            "- memory growth after the warm-up at most 10 % for every service: "
            + ("**met**" if not grown else f"**missed** ({', '.join(grown)})"),
        ]
    )


def minutes_table(result: Soak) -> str:
    services = list(result.minutes_run[0].rss_mb) if result.minutes_run else []
    rows = [
        "| Minute | Turns | p95 ms | Errors | Load avg | "
        + " | ".join(f"{name} MB" for name in services)
        + " |",
        "|---:|---:|---:|---:|---:|" + "---:|" * len(services),
    ]
    for minute in result.minutes_run:
        if minute.minute not in marked_minutes(result):
            continue
        memory = " | ".join(f"{minute.rss_mb.get(name, 0):,.0f}" for name in services)
        rows.append(
            f"| {minute.minute} | {minute.turns} | {load.fmt(minute.p95_ms)} | "
            f"{minute.errors + minute.no_reply + minute.apologies} | {minute.load_average} "
            f"| {memory} |"
        )
    return "\n".join(rows)


def marked_minutes(result: Soak) -> set[int]:
    """The minutes the docs show: the first, the end of the warm-up, every fifth, the last."""
    last = result.minutes_run[-1].minute if result.minutes_run else 0
    return {1, result.warmup_minutes, last} | set(range(5, last + 1, 5))


def docs_section(result: Soak) -> str:
    settings = ", ".join(f"{k}: {v}" for k, v in result.settings.items())
    return "\n".join(
        [
            f"## Soak: {result.users} customers through the gateway for {result.minutes} minutes",
            "",
            f"Produced {result.finished} by `{result.command}`: {result.users} customers "
            f"through the gateway's customer API with bench/load.py's mix, no think time, "
            f"{result.minutes} minutes, growth measured from the end of minute "
            f"{result.warmup_minutes} to the last. Kramar: {settings}. Method: the "
            "docstring of `bench/soak.py`; every minute: `reports/soak/`.",
            "",
            summary(result),
            "",
            table(result),
            "",
            "RSS is VmRSS summed over a service's processes (a Rasa replica with its "
            "Sanic workers), so pages they share count more than once; what matters "
            "here is its change. Selected minutes:",
            "",
            minutes_table(result),
        ]
    )


def update_docs(path: Path, section: str) -> None:
    """Replaces the text between the soak markers, or appends them; nothing else changes."""
    block = f"{DOCS_START}\n{section}\n{DOCS_END}"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(DOCS_START) + r".*?" + re.escape(DOCS_END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=30, help="the whole run, warm-up included")
    parser.add_argument("--warmup-minutes", type=int, default=5, help="growth counts after these")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--think", type=float, default=0, help="seconds between reply and next")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before a turn fails")
    parser.add_argument(
        "--postgres-url",
        help="PostgreSQL server for the fresh databases (bench/load.py's default: the machine's)",
    )
    parser.add_argument("--redis-url", help="Redis for the lock store (bench/load.py's default)")
    parser.add_argument("--docs", type=Path, help="write the figures into this file's soak section")
    parser.add_argument("--out", type=Path, default=REPORTS)
    args = parser.parse_args(argv)
    if not 0 < args.warmup_minutes < args.minutes:
        parser.error("--warmup-minutes must be above 0 and below --minutes")
    if args.users < 1:
        parser.error("--users must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    command = "PYTHONPATH=. .venv/bin/python bench/soak.py " + shlex.join(sys.argv[1:])
    # bench/load.py's options for starting Kramar: its defaults, through the gateway.
    servers = [
        *(["--postgres-url", args.postgres_url] if args.postgres_url else []),
        *(["--redis-url", args.redis_url] if args.redis_url else []),
    ]
    stack_args = load.parse_args(["--only", "kramar", "--path", "gateway", *servers])
    run_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
    log_dir = load.LOG_ROOT / f"soak-{run_id}"
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"Kramar: starting (logs in {load.rel(log_dir)})...", flush=True)
    with load.kramar(stack_args, log_dir, f"soak-{run_id}") as target:
        result = Soak(
            command=command,
            finished="",
            users=args.users,
            minutes=args.minutes,
            warmup_minutes=args.warmup_minutes,
            settings=target.settings,
        )
        print(f"{args.users} customers through the gateway for {args.minutes} min:", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(soak(target, args, result))
    result.finished = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if not result.growth:
        print("stopped before the first minute was over.", file=sys.stderr)
        return 1
    print("\n" + summary(result) + "\n\n" + table(result))
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"soak-{run_id}.json"
    out.write_text(json.dumps(asdict(result), ensure_ascii=False, indent=2) + "\n")
    print(f"\nJSON: {load.rel(out)}")
    if args.docs:
        update_docs(args.docs, docs_section(result))
        print(f"Docs: {load.rel(args.docs)}")
    return 0 if failures(result) == 0 and all(row.met for row in result.growth) else 1


if __name__ == "__main__":
    sys.exit(main())
