"""The policies' look-ups and the trackers they build, without repeated work.

Found with py-spy on a replica under load (docs/benchmarks.md); each keeps Rasa's results:

- Every message checks `Domain.is_empty()`, which builds a whole empty
  `Domain` to compare with: 2.6 % of a replica's CPU. The empty domain's
  dictionary is made once.
- Every tracker, and every replay of one for the policies, copies each slot
  with `copy.copy`, whose generic protocol costs several times a plain copy of
  the slot's attributes; `Slot.__copy__` does that plain copy, with the same
  result.
- RulePolicy matches the conversation against every rule by decoding each
  rule's JSON key (through an LRU cache) and reversing it, for each rule and
  each past turn of the conversation, even once every remaining rule is
  shorter than the turns looked at. The keys are decoded once per model and
  the look-up stops where no remaining rule reaches: same rules found.
- RulePolicy and MemoizationPolicy deep-copy the conversation's states on
  every prediction only to pass them to a debug log line; the log line gets
  the states themselves (structlog renders it at once, nothing keeps them).
- Both policies turn the tracker into states on every prediction (several a
  turn) by replaying all its events from the first: the cost of a turn grew
  with the conversation. The replay is kept per tracker (and per way of
  asking) and continued over the events added since; a tracker whose events
  are not those kept plus new ones (a rewind, a restart) is replayed anew.
  Callers get their own copy of the states, as before.
"""

from __future__ import annotations

import copy
import json
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import rasa.core.policies.memoization
import rasa.core.policies.rule_policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State, SubState
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

_empty_domain: dict[str, Any] = {}


def is_empty(self: Domain) -> bool:
    """Rasa's `Domain.is_empty`, comparing with an empty domain made once."""
    if not _empty_domain:
        _empty_domain.update(copy.deepcopy(Domain.empty().as_dict()))
    return self.as_dict() == _empty_domain


def copy_slot(self: Slot) -> Slot:
    """What `copy.copy` makes of a slot (a new object sharing its attributes' values)."""
    twin = self.__class__.__new__(self.__class__)
    twin.__dict__.update(self.__dict__)
    return twin


# Each rule look-up table's keys decoded, their states newest first, by the table's id.
_decoded: dict[int, tuple[dict[str, Any], dict[str, list[State]]]] = {}
_is_rule_applicable = RulePolicy._is_rule_applicable
_get_possible_keys = RulePolicy._get_possible_keys


def _rules_newest_first(lookup: dict[str, Any]) -> dict[str, list[State]]:
    cached = _decoded.get(id(lookup))
    if cached is None or cached[0] is not lookup or cached[1].keys() != lookup.keys():
        rules = {key: list(reversed(json.loads(key))) for key in lookup}
        cached = _decoded[id(lookup)] = (lookup, rules)
    return cached[1]


def possible_keys(self: RulePolicy, lookup: dict[str, Any], states: list[State]) -> set[str]:
    """Rasa's `RulePolicy._get_possible_keys`: the rules that the conversation's states match."""
    if type(self)._is_rule_applicable is not _is_rule_applicable:  # a subclass's own check
        return _get_possible_keys(self, lookup, states)
    possible: Iterable[tuple[str, list[State]]] = _rules_newest_first(lookup).items()
    for turn, state in enumerate(reversed(states)):
        remaining = [rule for rule in possible if _applies(rule[1], turn, state)]
        possible = remaining
        if all(len(rule_states) <= turn + 1 for _, rule_states in remaining):
            break  # every rule left is shorter than the turns still to look at: all apply
    return {key for key, _ in possible}


def _applies(rule_states: list[State], turn: int, state: State) -> bool:
    """Rasa's `RulePolicy._is_rule_applicable`, on decoded states."""
    if turn >= len(rule_states):
        return True
    rule_state = rule_states[turn]
    rule_previous, previous = rule_state.get(PREVIOUS_ACTION), state.get(PREVIOUS_ACTION)
    if not rule_previous and not previous:
        return True
    if not rule_previous or not previous:
        return False
    return bool(RulePolicy._does_rule_match_state(rule_state, state))


@dataclass
class _Replay:
    """Where one way of turning a tracker into states got to."""

    domain: Domain
    events: list[Event]  # the applied events replayed so far
    tracker: DialogueStateTracker  # the replay, after them
    states: list[State]  # the states before each action among them
    last_ml_action: SubState | None
    turn_was_hidden: bool


# Per tracker (by id, while it lives): its replays, by way of asking.
_replays: dict[int, dict[tuple[bool, bool, str], _Replay]] = {}
_states_for_tracker_history = Domain.states_for_tracker_history


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Rasa's `Domain.states_for_tracker_history`, continuing the last replay of `tracker`."""
    applied = tracker.applied_events()
    # RulePolicy passes a new dict of the same rule-only slots and loops every time.
    way = (omit_unset_slots, ignore_rule_only_turns, json.dumps(rule_only_data, sort_keys=True))
    kept = _replays.get(id(tracker), {}).get(way)
    if (
        kept is None
        or kept.domain is not self
        or len(kept.events) > len(applied)
        or any(old is not new for old, new in zip(kept.events, applied, strict=False))
    ):
        kept = _Replay(self, [], tracker.init_copy(), [], None, False)
    for event in applied[len(kept.events) :]:
        if isinstance(event, ActionExecuted):
            _step(
                self,
                kept,
                event.hide_rule_turn,
                omit_unset_slots,
                ignore_rule_only_turns,
                rule_only_data,
            )
        kept.tracker.update(event)
    kept.events = list(applied)
    if id(tracker) not in _replays:
        _replays[id(tracker)] = {}
        weakref.finalize(tracker, _replays.pop, id(tracker), None)
    _replays[id(tracker)][way] = kept
    # The state after the last event, on a copy: the next call continues without it.
    end = _Replay(
        self, [], kept.tracker, list(kept.states), kept.last_ml_action, kept.turn_was_hidden
    )
    _step(self, end, False, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    return [{name: dict(sub) for name, sub in state.items()} for state in end.states]


def _step(
    domain: Domain,
    replay: _Replay,
    hide_rule_turn: bool,
    omit_unset_slots: bool,
    ignore_rule_only_turns: bool,
    rule_only_data: dict[str, Any] | None,
) -> None:
    """The body of Rasa's loop in `states_for_tracker_history`, for one prior tracker."""
    tr, states = replay.tracker, replay.states
    if ignore_rule_only_turns:
        if not replay.turn_was_hidden:
            replay.last_ml_action = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and tr.latest_action_name != tr.active_loop_name:
            replay.turn_was_hidden = hide_rule_turn
        if replay.turn_was_hidden:
            return
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if replay.last_ml_action:
            state[PREVIOUS_ACTION] = replay.last_ml_action
    states.append(domain._clean_state(state))


class _CopiesForDebugLogs:
    """The `copy` module for code that deep-copies values only to log them."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value


Domain.is_empty = is_empty  # type: ignore[method-assign]
Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
Slot.__copy__ = copy_slot  # type: ignore[attr-defined]
RulePolicy._get_possible_keys = possible_keys  # type: ignore[method-assign]
rasa.core.policies.rule_policy.copy = _CopiesForDebugLogs  # type: ignore[assignment]
rasa.core.policies.memoization.copy = _CopiesForDebugLogs  # type: ignore[assignment]
