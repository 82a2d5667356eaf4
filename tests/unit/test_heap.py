"""Freezing what a server loaded: out of full collections, and no leak on a model reload."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.heap import freeze_loaded, refreeze_after_reload


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_what_was_loaded_is_left_out_of_collections() -> None:
    loaded = Node()
    freeze_loaded()
    assert gc.get_freeze_count() > 0
    assert not any(obj is loaded for obj in gc.get_objects())  # no pass walks it


def test_an_old_models_cycles_are_freed_after_a_reload() -> None:
    old_model = Node()
    gone = weakref.ref(old_model)
    freeze_loaded()
    del old_model  # the new model replaced it
    gc.collect()
    assert gone() is not None  # frozen: a plain collection would keep it forever
    refreeze_after_reload()
    assert gone() is None
