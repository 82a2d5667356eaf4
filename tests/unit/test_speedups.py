"""The speed fixes keep Rasa's behaviour: same checks, same classes, same calls."""

from __future__ import annotations

import copy
import datetime
import json
import os
import random
import tarfile
from pathlib import Path

import dask
import jsonschema
import pytest
import rasa.shared.utils.common
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

import bot.speedups
from bot.launcher import model_path


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


def every_event() -> list[dict]:
    """One answer event of each type Rasa knows, as Rasa writes it."""
    events = [
        SlotSet("order_id", "10001"),
        SlotSet("n", None),
        UserUttered("hi", {"name": "greet"}),
        BotUttered("hello", {"buttons": [{"title": "A", "payload": "/a"}]}),
        ActionExecuted("action_listen"),
        ActiveLoop("order_form"),
        ActiveLoop(None),
        FollowupAction("action_x"),
        Restarted(),
        AllSlotsReset(),
        SessionStarted(),
        ConversationPaused(),
        ConversationResumed(),
        UserUtteranceReverted(),
        ActionReverted(),
        ReminderScheduled("remind", datetime.datetime(2026, 1, 1)),
        ReminderCancelled("x"),
        ActionExecutionRejected("action_x"),
        LoopInterrupted(True),
        AgentUttered("hi"),
        StoryExported(),
        EntitiesAdded([{"entity": "order_id", "value": "1"}]),
    ]
    return [event.as_dict() for event in events]


@pytest.mark.parametrize(
    "answer",
    [
        {"events": every_event(), "responses": [{"text": "t", "image": None}]},
        {"events": [], "responses": []},
        {},
        {"events": [{"event": "slot"}, {"event": "user", "text": 5}]},
        {"events": [{"event": "bot", "timestamp": "noon"}]},
        {"events": [{"event": "action", "name": 3}]},
        {"responses": [{"text": 5}]},
        {"events": [{"event": "slot", "name": "a", "metadata": []}]},
    ],
)
def test_the_fast_check_agrees_with_rasas(answer: dict) -> None:
    rasas = jsonschema.Draft202012Validator(RemoteAction.action_response_format_spec())
    assert bot.speedups.fast_action_result_validator().is_valid(answer) == rasas.is_valid(answer)
    if rasas.is_valid(answer):
        assert remote_action()._validate_action_result(answer) is True
    else:
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


async def test_endpoint_calls_share_connections_and_survive_a_server_restart() -> None:
    peers: list[tuple[str, str | None]] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(
            (request.transport.get_extra_info("peername")[1], request.headers.get("X-Key"))
        )
        return web.json_response({"ok": len(peers)})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    server = TestServer(app)
    await server.start_server()
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/webhook", headers={"X-Key": "k"})
    assert await endpoint.request(json={}, method="post") == {"ok": 1}
    assert await endpoint.request(json={}, method="post") == {"ok": 2}
    assert peers[0] == peers[1] and peers[0][1] == "k"  # one pooled connection, headers kept

    port = server.port
    await server.close()  # the action server restarts: its connections die
    server = TestServer(app, port=port)
    await server.start_server()
    try:
        assert await endpoint.request(json={}, method="post") == {"ok": 3}
    finally:
        await server.close()


def test_an_action_call_body_is_the_json_rasa_would_send_without_the_responses() -> None:
    domain = {"slots": {"a": {"type": "text"}}, "responses": {"utter_hi": [{"text": "Hi"}]}}
    body = {"next_action": "action_x", "tracker": {"events": [None, True]}, "domain": domain}
    without_responses = {**body, "domain": {"slots": {"a": {"type": "text"}}}}
    assert bot.speedups.action_call_json(body) == json.dumps(without_responses)
    domain["slots"]["b"] = {"type": "text"}  # changed in place: not done by Rasa
    body["tracker"] = {"events": []}
    sent = json.loads(bot.speedups.action_call_json(body))
    assert sent["tracker"] == {"events": []}  # the call's own part is fresh every time
    assert "b" not in sent["domain"]["slots"]  # the domain's JSON is made once per model
    new_model = {"forms": {"f": {}}, "n": 1.5, "text": 'Привіт "ü"', "responses": {}}
    assert json.loads(bot.speedups.action_call_json({**body, "domain": new_model})) == {
        **body,
        "domain": {"forms": {"f": {}}, "n": 1.5, "text": 'Привіт "ü"'},
    }
    for other in ({}, {"domain": domain}, {"domain": domain, "x": 1}, [1], "text"):
        assert bot.speedups.action_call_json(other) == json.dumps(other)


def test_the_actions_read_nothing_the_call_leaves_out() -> None:
    # rasa_sdk's forms read the domain's forms and slots; Kramar's actions nothing.
    for path in Path("actions").rglob("*.py"):
        text = path.read_text()
        for key in bot.speedups.NOT_FOR_ACTIONS:
            assert f'domain["{key}"]' not in text and f'domain.get("{key}"' not in text, path


class Adder(GraphComponent):
    """A graph node that adds what it is given: enough to tell one run order from another."""

    @classmethod
    def create(cls, config: dict, *args: object, **kwargs: object) -> Adder:
        return cls(config)

    def __init__(self, config: dict) -> None:
        self.step = config["step"]

    def add(self, **given: int) -> int:
        return sum(given.values()) + self.step


def graph_runner(tmp_path: Path) -> DaskGraphRunner:
    def node(step: int, **needs: str) -> SchemaNode:
        return SchemaNode(needs, Adder, "create", "add", {"step": step}, eager=False)

    schema = GraphSchema(
        {
            "first": node(1, a="message"),
            "second": node(10, a="first"),
            "third": node(100, a="first", b="second"),
            "unused": node(1000, a="message"),
        }
    )
    storage = LocalModelStorage(tmp_path)
    return DaskGraphRunner(schema, storage, ExecutionContext(schema, "test"))


def test_the_graph_runs_as_under_dask(tmp_path: Path) -> None:
    assert DaskGraphRunner.run is bot.speedups.run_graph
    runner = graph_runner(tmp_path)
    inputs = {"message": 5}
    for targets in (["third"], ["second", "first"], ["unused", "third"]):
        ours = runner.run(inputs, targets)
        with_dask = dict(dask.get(_dask_graph(runner, inputs, targets), targets))
        assert ours == with_dask and list(ours) == targets
    assert runner.run(inputs, ["third"]) == {"third": (5 + 1) + (5 + 1 + 10) + 100}


def _dask_graph(runner: DaskGraphRunner, inputs: dict, targets: list[str]) -> dict:
    graph = runner._build_dask_graph(runner._graph_schema.minimal_graph_schema(targets))
    runner._add_inputs_to_graph(inputs, graph)
    return graph


def trained_rule_lookups() -> dict[str, dict]:
    """The served model's RulePolicy look-up tables (rules, loop unhappy paths, ...)."""
    with tarfile.open(model_path(os.environ)) as model:
        member = next(m for m in model.getmembers() if m.name.endswith("/rule_policy.json"))
        lookups = json.load(model.extractfile(member))["lookup"]  # type: ignore[arg-type]
    return {name: table for name, table in lookups.items() if isinstance(table, dict) and table}


def test_the_rules_found_are_rasas() -> None:
    policy = RulePolicy.__new__(RulePolicy)  # the look-up needs no trained state of its own
    lookups = trained_rule_lookups()
    assert lookups["rules"], "the model has rules"
    histories = [json.loads(key) for table in lookups.values() for key in table]
    random_pairs = random.Random(17)
    histories += [
        random_pairs.choice(histories) + random_pairs.choice(histories) for _ in range(600)
    ]
    histories += [[], [{}], [{"prev_action": {"action_name": "action_listen"}}]]
    found = 0
    for table in lookups.values():
        for history in histories:
            ours = bot.speedups.dialogue.possible_keys(policy, table, history)
            assert ours == bot.speedups.dialogue._get_possible_keys(policy, table, history)
            found += bool(ours)
    assert found > len(histories)  # the histories do match rules: the comparison means something


def test_a_slot_copy_is_what_copy_copy_made() -> None:
    for slot in Domain.load("domain.yml").slots:
        twin = copy.copy(slot)
        rasas = copy._reconstruct(slot, None, *slot.__reduce_ex__(4))  # copy.copy without __copy__
        assert type(twin) is type(rasas) and twin is not slot
        assert vars(twin) == vars(rasas) and vars(twin) is not vars(slot)
        twin.value = "changed"
        assert slot.value != "changed" or slot.initial_value == "changed"


def test_only_an_empty_domain_is_empty() -> None:
    assert Domain.empty().is_empty()
    assert not Domain.load("domain.yml").is_empty()
    assert not Domain.from_dict({"intents": ["greet"]}).is_empty()


def random_events(domain: Domain, chance: random.Random, count: int) -> list[Event]:
    """A conversation's events in any order Rasa could store them, rewinds included."""
    slots = [slot for slot in domain.slots if slot.influence_conversation] or domain.slots
    makers = [
        lambda: UserUttered("hi", {"name": chance.choice(domain.intents), "confidence": 1.0}),
        lambda: ActionExecuted("action_listen"),
        lambda: ActionExecuted(chance.choice(domain.action_names_or_texts)),
        lambda: ActionExecuted("utter_greet", hide_rule_turn=True),
        lambda: SlotSet(chance.choice(slots).name, chance.choice([None, "x", True, 3.0])),
        lambda: ActiveLoop(chance.choice([None, *domain.form_names])),
        lambda: UserUtteranceReverted(),
        lambda: ActionReverted(),
        lambda: Restarted(),
        lambda: FollowupAction("action_listen"),
        lambda: LoopInterrupted(chance.choice([True, False])),
    ]
    weights = [6, 6, 6, 2, 4, 2, 1, 1, 1, 1, 1]
    return [chance.choices(makers, weights)[0]() for _ in range(count)]


def test_the_states_continued_from_the_last_replay_are_rasas() -> None:
    domain = Domain.load("domain.yml")
    rule_only = {"rule_only_slots": [domain.slots[0].name], "rule_only_loops": domain.form_names}
    ways = [(omit, ignore) for omit in (False, True) for ignore in (False, True)]
    chance = random.Random(5)
    continued = 0
    for _ in range(25):
        tracker = DialogueStateTracker("someone", domain.slots)
        for event in random_events(domain, chance, 40):
            tracker.update(event)
            for omit, ignore in ways:
                rasas = bot.speedups.dialogue._states_for_tracker_history(
                    domain, tracker, omit, ignore, rule_only
                )
                # RulePolicy passes a new dict with the same contents each time.
                ours = tracker.past_states(domain, omit, ignore, {**rule_only})
                assert ours == rasas
                ours[-1].clear()  # a caller changing what it got changes nothing kept
                assert tracker.past_states(domain, omit, ignore, {**rule_only}) == rasas
        kept = bot.speedups.dialogue._replays.get(id(tracker), {})
        assert len(kept) <= len(ways)  # one replay per way of asking, continued
        continued += len(kept)
    assert continued  # the replays were kept and continued, not only made anew
