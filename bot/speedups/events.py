"""Stored events back into their classes without searching for the class each time.

Rasa turned every stored event of every tracker read back into its class by
searching all subclasses of `Event` by type name. The classes are fixed once
Rasa is loaded, so the search is done once.
"""

from __future__ import annotations

from functools import cache

import rasa.shared.core.events
import rasa.shared.utils.common
from rasa.shared.core.events import Event


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


rasa.shared.core.events.Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
