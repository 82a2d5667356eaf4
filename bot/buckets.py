"""Rate limits as leaky buckets: at most `capacity` units per `window` seconds, per key.

A bucket drains continuously, so room comes back a little at a time: whoever is
kept out (an order's real owner too) gets in again by waiting, never locked out
for good, and the wait is known exactly (the Retry-After). One small entry per
key, pruned once drained, so a flood of keys cannot grow memory without bound.
Counts live in this process: each process enforces its own limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

PRUNE_ABOVE = 10_000  # keys kept before drained ones are dropped


class LeakyBucket:
    def __init__(
        self, capacity: float, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if capacity <= 0 or window <= 0:
            raise ValueError("a bucket needs a positive capacity and window")
        self.capacity, self.window = capacity, window
        self._rate = capacity / window  # units drained per second
        self._clock = clock
        self._levels: dict[Hashable, tuple[float, float]] = {}  # key -> (level, when)

    def wait(self, key: Hashable, cost: float = 1) -> float:
        """Seconds until `cost` more units fit for `key` (0: they fit now)."""
        excess = self._level(key) + cost - self.capacity
        return excess / self._rate if excess > 0 else 0.0

    def take(self, key: Hashable, cost: float = 1) -> float:
        """Counts `cost` units if they fit and returns 0; else the wait, counting nothing."""
        wait = self.wait(key, cost)
        if not wait:
            self.add(key, cost)
        return wait

    def add(self, key: Hashable, cost: float = 1) -> None:
        """Counts `cost` units whether they fit or not (an attempt already made)."""
        if len(self._levels) > PRUNE_ABOVE:
            self._prune()
        self._levels[key] = (self._level(key) + cost, self._clock())

    def _level(self, key: Hashable) -> float:
        level, when = self._levels.get(key, (0.0, 0.0))
        return max(0.0, level - (self._clock() - when) * self._rate)

    def _prune(self) -> None:
        for key in [k for k in self._levels if self._level(k) == 0]:
            del self._levels[key]
