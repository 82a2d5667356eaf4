"""The model's graph run with plain calls instead of dask's scheduler.

Every message's NLU and every prediction of the next action ran their part
of the model's graph through dask (task ordering, bookkeeping for parallel
runs it never makes here): a tenth of a replica's CPU under load. The graph
is run with plain calls instead, each node once, after the nodes it needs,
with the same inputs and results.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


def run_graph(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """Rasa's `DaskGraphRunner.run` (same graph, inputs and results) without dask."""
    run_targets = targets if targets else self._graph_schema.target_names
    graph = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
    if inputs:
        self._add_inputs_to_graph(inputs, graph)
    try:
        done: dict[str, Any] = {}
        return dict(_computed(graph, target, done) for target in run_targets)
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error


def _computed(graph: dict[str, Any], key: str, done: dict[str, Any]) -> Any:
    """A dask task's value: `(node, *names of what it needs)` calls the node with their
    values; anything else (an input: `(name, value)`) is its own value, as in dask."""
    if key not in done:
        task = graph[key]
        if isinstance(task, tuple) and task and callable(task[0]):
            node, *needs = task
            args = [_computed(graph, n, done) if n in graph else n for n in needs]
            done[key] = node(*args)
        else:
            done[key] = task
    return done[key]


DaskGraphRunner.run = run_graph  # type: ignore[method-assign]
