"""Two fixes for time Rasa 3.6 wastes on every turn (measured: docs/benchmarks.md).

Loaded inside the Rasa server (by the REST channel), like bot.turn_guard.

- Every answer of the action server is checked against a JSON schema with
  `jsonschema.validate`, which first validates the schema itself against the
  JSON Schema meta-schema and rebuilds the validator: a third of a Rasa
  process's CPU under load. The schema never changes, so it is checked once
  and its validator reused; answers are validated exactly as before.
- Every stored event is turned back into its class by searching all
  subclasses of `Event` by type name, for each event of each tracker read.
  The classes are fixed once Rasa is loaded, so the search is done once.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
import rasa.shared.core.events
import rasa.shared.utils.common
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event


@cache
def action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's own check (same schema, same error), without re-checking the schema."""
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


RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
rasa.shared.core.events.Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
