"""The speed fixes keep Rasa's behaviour: same checks, same classes."""

from __future__ import annotations

import jsonschema
import pytest
import rasa.shared.utils.common
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

import bot.speedups  # noqa: F401


def remote_action() -> RemoteAction:
    return RemoteAction("action_anything", None)


def test_valid_action_server_answers_pass() -> None:
    answer = {
        "events": [{"event": "slot", "name": "order_id", "value": "10001"}],
        "responses": [{"text": "hello", "buttons": [{"title": "A", "payload": "/a"}]}],
    }
    assert remote_action()._validate_action_result(answer) is True


@pytest.mark.parametrize(
    "answer",
    [
        {"events": [{"name": "order_id"}]},  # an event without its type
        {"events": "not a list"},
        {"responses": ["not an object"]},
        {"events": [{"event": "no_such_event"}]},
    ],
)
def test_malformed_answers_fail_as_rasa_says(answer: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):  # Rasa's own check agrees
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        remote_action()._validate_action_result(answer)


def test_every_event_type_resolves_to_rasas_class() -> None:
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        resolved = Event.resolve_by_type(cls.type_name)
        assert resolved is not None and resolved.type_name == cls.type_name
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted


def test_unknown_event_types_behave_as_in_rasa() -> None:
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.from_parameters({"event": "slot", "name": "a", "value": 1}) == SlotSet("a", 1)
