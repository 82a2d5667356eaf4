"""Five fixes for time Rasa 3.6 wastes on every turn (measured: docs/benchmarks.md).

Loaded inside the Rasa server (by the REST channel), like bot.turn_guard.

- Every answer of the action server is checked against a JSON schema with
  `jsonschema.validate`, which first validates the schema itself against the
  JSON Schema meta-schema and rebuilds the validator: a third of a Rasa
  process's CPU under load. The schema never changes, so it is checked once.
  Answers are checked by jsonschema-rs (compiled, a tenth of the time of
  jsonschema's `oneOf` over every event type); one it rejects goes through
  Rasa's own jsonschema check, so the error raised is exactly Rasa's.
- Every stored event is turned back into its class by searching all
  subclasses of `Event` by type name, for each event of each tracker read.
  The classes are fixed once Rasa is loaded, so the search is done once.
- Every call to the action server opens a new HTTP client with its own
  connection pool: a DNS lookup in a thread and a TCP connection per call.
  The clients now share one pool per event loop, whose idle connections are
  closed before the action server (Sanic: after 5 s) would close them, so a
  request never goes out on a connection the server is closing.
- Every call to the action server carries the whole domain, serialised to
  JSON anew: 140 kB, 96 % of it the responses in four languages, which
  actions never read (Rasa renders them; an action names one with
  `dispatcher.utter_message(response=...)`). Parsing it was 40 % of the
  action server's CPU, and serialising it a twentieth of a replica's. The
  domain does not change while a model is loaded, so its JSON without the
  responses is made once and spliced into each call's body; the rest of the
  body is what `json.dumps` gives.
- Every message's NLU and every prediction of the next action run their part
  of the model's graph through dask's scheduler (task ordering, bookkeeping
  for parallel runs it never makes here): a tenth of a replica's CPU under
  load. The graph is run with plain calls instead, each node once, after the
  nodes it needs, with the same inputs and results.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from functools import cache
from typing import Any

import aiohttp
import jsonschema
import jsonschema_rs
import rasa.shared.core.events
import rasa.shared.utils.common
import rasa.utils.endpoints
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.utils.endpoints import EndpointConfig

# Under the action server's keep-alive timeout (Sanic's default 5 s).
IDLE_CONNECTION_SECONDS = 2.0


@cache
def action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@cache
def fast_action_result_validator() -> Any:
    return jsonschema_rs.validator_for(RemoteAction.action_response_format_spec())


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's own check (same schema, same error), without re-checking the schema."""
    if fast_action_result_validator().is_valid(result):
        return True
    error = jsonschema.exceptions.best_match(action_result_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


@cache
def event_classes() -> dict[str, type[Event]]:
    classes: dict[str, type[Event]] = {}
    # Rasa's order: the first class found with a type name wins.
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Rasa's `Event.resolve_by_type` with the class search done once."""
    found = event_classes().get(type_name)
    if found is None:  # a class defined since the search: search again
        event_classes.cache_clear()
        found = event_classes().get(type_name)
    if found is not None:
        return found
    if type_name == "topic":
        return None  # Rasa's backwards compatibility for old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector] = (
    weakref.WeakKeyDictionary()
)


def shared_pool() -> aiohttp.TCPConnector:
    """This event loop's connection pool (a pool belongs to the loop it was made on)."""
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None or pool.closed:
        pool = _pools[loop] = aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS)
    return pool


# The loaded model's domain and its JSON (one at a time: a new model replaces it).
_domain_json: dict[int, tuple[dict[str, Any], str]] = {}
# What actions never read: Rasa renders responses itself.
NOT_FOR_ACTIONS = ("responses",)


def action_call_json(body: Any) -> str:
    """`json.dumps(body)`, with an action call's domain (its last key) serialised once,
    without the responses.

    Rasa passes the same dict every time (`Domain.as_dict` returns the domain's
    own data), so its identity says whether the JSON made before still holds.
    """
    domain = body.get("domain") if isinstance(body, dict) else None
    if not isinstance(domain, dict) or next(reversed(body)) != "domain" or len(body) < 2:
        return json.dumps(body)
    cached = _domain_json.get(id(domain))
    if cached is None or cached[0] is not domain:
        _domain_json.clear()
        for_actions = {key: value for key, value in domain.items() if key not in NOT_FOR_ACTIONS}
        cached = _domain_json[id(domain)] = (domain, json.dumps(for_actions))
    rest = json.dumps({key: value for key, value in body.items() if key != "domain"})
    return f'{rest[:-1]}, "domain": {cached[1]}}}'


def endpoint_session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's client for an endpoint (same headers, auth, timeout) on the shared pool."""
    auth = None
    if self.basic_auth:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=rasa.utils.endpoints.DEFAULT_REQUEST_TIMEOUT),
        connector=shared_pool(),
        connector_owner=False,
        json_serialize=action_call_json,
    )


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


RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
rasa.shared.core.events.Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
EndpointConfig.session = endpoint_session  # type: ignore[method-assign]
DaskGraphRunner.run = run_graph  # type: ignore[method-assign]
