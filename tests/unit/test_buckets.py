"""The leaky bucket every abuse limit counts with."""

from __future__ import annotations

import pytest

from bot import buckets
from bot.buckets import LeakyBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_refuses_with_the_exact_wait_then_drains() -> None:
    clock = Clock()
    bucket = LeakyBucket(3, 60, clock=clock)  # 3 per minute: one unit drains every 20 s
    assert [bucket.take("a") for _ in range(3)] == [0, 0, 0]
    assert bucket.take("a") == pytest.approx(20)
    assert bucket.take("b") == 0  # keys are apart
    clock.now += 19
    assert bucket.take("a") == pytest.approx(1)  # refused takes count nothing
    clock.now += 1
    assert bucket.take("a") == 0
    clock.now += 60
    assert [bucket.take("a") for _ in range(3)] == [0, 0, 0]  # after the window: all of it


def test_costs_count_as_many_units() -> None:
    clock = Clock()
    bytes_per_day = LeakyBucket(100, 100, clock=clock)
    assert bytes_per_day.take("c", 60) == 0
    assert bytes_per_day.wait("c", 60) == pytest.approx(20)
    assert bytes_per_day.take("c", 40) == 0
    bytes_per_day.add("c", 10)  # an attempt already made counts even over the top
    assert bytes_per_day.wait("c") == pytest.approx(11)


def test_drained_keys_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buckets, "PRUNE_ABOVE", 10)
    clock = Clock()
    bucket = LeakyBucket(1, 1, clock=clock)
    for key in range(11):
        bucket.add(key)
    clock.now += 5
    bucket.add("new")
    assert len(bucket._levels) == 1


def test_a_bucket_needs_room_and_time() -> None:
    with pytest.raises(ValueError):
        LeakyBucket(0, 60)
    with pytest.raises(ValueError):
        LeakyBucket(5, 0)
