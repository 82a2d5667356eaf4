"""How long Rasa's policies take to predict one action, in-process, with no HTTP or stores.

    PYTHONPATH=. .venv/bin/python bench/predict_profile.py [--model models/kramar.tar.gz]
        [--repeats 300] [--top 25]

Plays a short conversation that needs no action server (greeting, bot
challenge, thanks, goodbye) into an in-memory tracker, then times
`MessageProcessor._predict_next_with_tracker` on that tracker `--repeats`
times (after 20 untimed ones) and prints the milliseconds per prediction and
cProfile's slowest calls by cumulative time. Set against the load profile's
"one policy prediction alone" (`POST /conversations/<id>/predict` through the
server, bench/load.py), the difference is what HTTP and the tracker store cost.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time

TURNS = ["hello", "are you a bot?", "thanks a lot!", "ok", "bye"]


async def measure(model: str, repeats: int, top: int) -> None:
    from rasa.core.agent import Agent

    import bot.speedups  # noqa: F401  (the server runs with it)
    from bench.nlu_eval import quiet_rasa

    quiet_rasa()
    agent = Agent.load(model)
    for text in TURNS:
        await agent.handle_text(text, sender_id="predict-profile")
    tracker = await agent.tracker_store.retrieve("predict-profile")
    assert tracker is not None and agent.processor is not None
    processor = agent.processor
    for _ in range(20):
        processor._predict_next_with_tracker(tracker)
    started = time.perf_counter()
    for _ in range(repeats):
        processor._predict_next_with_tracker(tracker)
    plain_ms = (time.perf_counter() - started) / repeats * 1000
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeats):
        processor._predict_next_with_tracker(tracker)
    profile.disable()
    print(f"tracker: {len(tracker.events)} events; one prediction: {plain_ms:.2f} ms")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="models/kramar.tar.gz")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    asyncio.run(measure(args.model, args.repeats, args.top))


if __name__ == "__main__":
    main()
