"""Slows down password guessing: too many failed logins lock that name and address a while."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class LoginLimiter:
    def __init__(
        self,
        *,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def retry_after(self, address: str, username: str) -> int:
        """Seconds until another try is allowed; 0 when it is allowed now."""
        failures = self._recent(address, username)
        if len(failures) < self._max:
            return 0
        return max(1, int(failures[0] + self._window - self._clock()))

    def failed(self, address: str, username: str) -> None:
        self._recent(address, username).append(self._clock())

    def succeeded(self, address: str, username: str) -> None:
        self._failures.pop((address, username), None)

    def _recent(self, address: str, username: str) -> deque[float]:
        failures = self._failures.setdefault((address, username), deque())
        while failures and failures[0] <= self._clock() - self._window:
            failures.popleft()
        if not failures:
            # Forget idle entries so the table cannot grow without bound.
            self._failures.pop((address, username), None)
            failures = self._failures.setdefault((address, username), deque())
        return failures
