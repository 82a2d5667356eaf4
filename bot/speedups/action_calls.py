"""Rasa's calls to the action server, without the work they repeated on every call.

- Every answer of the action server is checked against a JSON schema with
  `jsonschema.validate`, which first validates the schema itself against the
  JSON Schema meta-schema and rebuilds the validator: a third of a Rasa
  process's CPU under load. The schema never changes, so it is checked once.
  Answers are checked by jsonschema-rs (compiled, a tenth of the time of
  jsonschema's `oneOf` over every event type); one it rejects goes through
  Rasa's own jsonschema check, so the error raised is exactly Rasa's.
- Every call opened a new HTTP client with its own connection pool: a DNS
  lookup in a thread and a TCP connection per call. The clients now share one
  pool per event loop, whose idle connections are closed before the action
  server (Sanic: after 5 s) would close them, so a request never goes out on
  a connection the server is closing.
- Every call carried the whole domain, serialised to JSON anew: 140 kB, 96 %
  of it the responses in four languages, which actions never read (Rasa
  renders them; an action names one with `dispatcher.utter_message(response=...)`).
  Parsing it was 40 % of the action server's CPU, and serialising it a
  twentieth of a replica's. The domain does not change while a model is
  loaded, so its JSON without the responses is made once and spliced into
  each call's body; the rest of the body is what `json.dumps` gives.
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
import rasa.utils.endpoints
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
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


RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
EndpointConfig.session = endpoint_session  # type: ignore[method-assign]
