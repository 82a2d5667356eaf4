"""Fixes for time Rasa 3.6 wastes on every turn (measured: docs/benchmarks.md).

Loaded inside the Rasa server (by the REST channel), like bot.turn_guard.
Each module patches one part of Rasa and keeps its behaviour (tests/unit/test_speedups.py):

- action_calls: the calls to the action server (schema check, connections,
  the domain sent with each call);
- events: stored events turned back into their classes;
- graph: the model's graph run without dask;
- dialogue: the policies' look-ups and the trackers they build.
"""

from bot.speedups import action_calls, dialogue, events, graph
from bot.speedups.action_calls import (
    NOT_FOR_ACTIONS,
    action_call_json,
    fast_action_result_validator,
)
from bot.speedups.graph import run_graph

__all__ = [
    "NOT_FOR_ACTIONS",
    "action_call_json",
    "action_calls",
    "dialogue",
    "events",
    "fast_action_result_validator",
    "graph",
    "run_graph",
]
