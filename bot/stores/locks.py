"""Conversation locks in Redis that several Rasa processes share safely.

Rasa calls `lock_store.lock(conversation_id)` around every turn. Its own
RedisLockStore keeps a conversation's ticket queue as one JSON value that each
step reads, changes and writes back, which fails with replicas:
- two replicas taking a ticket at once can both be served; a cleanup can
  delete a ticket just issued;
- ticket numbers restart at 0 whenever the queue empties, so a late cleanup
  can remove a newer turn's ticket;
- a ticket lives a fixed TICKET_LOCK_LIFETIME: a longer turn loses its lock
  while still running, and a waiting turn whose ticket lapsed fails with
  LockError ("Could not acquire lock"), its message never stored.

Here a conversation's queue is a Redis hash (ticket number -> lease deadline,
plus the counter `next`) changed only by Lua scripts, each atomic in Redis:
- numbers come from the counter, which lives as long as the conversation is
  active, so a number is never reused by a turn that could still be running;
- a ticket is a lease, renewed by a thread for as long as its process holds
  it, whether or not the event loop is free (a model's first prediction blocks
  it for seconds): it lapses LEASE_SECONDS after its process dies; a renewal
  that comes just after the turn let go does not bring its ticket back;
- a waiting ticket found lapsed anyway (the process stalled longer than a
  lease, or Redis restarted and forgot it) is put back in its place: a turn
  waits longer, it is never dropped.
Connections that a Redis restart dropped are retried instead of failing the turn.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockStore
from rasa.utils.endpoints import EndpointConfig
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError, TimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

# A ticket's lease, renewed every third of it while its process holds it.
LEASE_SECONDS = 15.0
# Seconds between looks at a busy conversation's queue (Rasa: 1 s, which a
# customer typing two quick messages would feel).
POLL_SECONDS = 0.05
# An idle conversation's queue (its counter) is forgotten after this long.
IDLE_SECONDS = 3600

# Shared by the scripts: the time in Redis (one clock for every replica), and
# putting a ticket (back) in the queue with a fresh lease, the counter kept
# ahead of it so a later ticket never gets a smaller number.
_PUT_TICKET = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local function put(number, lease, idle)
    redis.call('HSET', KEYS[1], number, now + lease)
    if tonumber(redis.call('HGET', KEYS[1], 'next') or '0') < tonumber(number) then
        redis.call('HSET', KEYS[1], 'next', number)
    end
    redis.call('PEXPIRE', KEYS[1], idle)
end
"""
# ARGV: number (0: take a new one), lease ms, idle ms. Renews the ticket,
# drops lapsed ones of others; returns {number, 1 when it is first in line}.
_TURN = (
    _PUT_TICKET
    + """
local mine = tonumber(ARGV[1])
if mine == 0 then mine = redis.call('HINCRBY', KEYS[1], 'next', 1) end
local first = mine
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
    local number = tonumber(fields[i])
    if fields[i] ~= 'next' and number ~= mine then
        if tonumber(fields[i + 1]) < now then
            redis.call('HDEL', KEYS[1], fields[i])
        elseif number < first then
            first = number
        end
    end
end
put(mine, ARGV[2], ARGV[3])
if first == mine then return {mine, 1} end
return {mine, 0}
"""
)
# ARGV: lease ms, idle ms, then the numbers to renew. Only tickets still in
# the queue: the keeper may renew a ticket just after its turn released it,
# and bringing it back would hold up the conversation's next turn a lease.
_RENEW = (
    _PUT_TICKET
    + """
for i = 3, #ARGV do
    if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then put(ARGV[i], ARGV[1], ARGV[2]) end
end
return 1
"""
)
# ARGV: number. The counter stays (until idle) so numbers are never reused.
_RELEASE = "return redis.call('HDEL', KEYS[1], ARGV[1])"


class AtomicRedisLockStore(LockStore):
    """`lock_store: {type: bot.stores.locks.AtomicRedisLockStore, url: redis://host:6379/0}`."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        url = urlparse(endpoint_config.url or "")
        if url.scheme not in ("redis", "rediss"):
            raise ValueError("The lock store needs url: redis://[:password@]host:6379/0")
        self.red = redis.Redis(
            host=url.hostname or "localhost",
            port=url.port or 6379,
            db=int(url.path.strip("/") or 0),
            username=url.username,
            password=url.password,
            ssl=url.scheme == "rediss",
            socket_timeout=10,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=6),
            retry_on_error=[ConnectionError, TimeoutError],
        )
        self.key_prefix = f"{endpoint_config.kwargs.get('key_prefix', 'kramar')}:lock:"
        self._turn = self.red.register_script(_TURN)
        self._renew = self.red.register_script(_RENEW)
        self._release = self.red.register_script(_RELEASE)
        # Tickets this process holds or waits with, renewed by the keeper thread.
        self._held: Counter[tuple[str, int]] = Counter()
        self._held_guard = threading.Lock()
        self._keeper: threading.Thread | None = None
        super().__init__()

    def _key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    def _lease_args(self) -> list[int]:
        return [int(LEASE_SECONDS * 1000), IDLE_SECONDS * 1000]

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        """Waits for this conversation's earlier turns, then holds it for the block.

        `lock_lifetime` is ignored: the lease lasts as long as the turn.
        `wait_time_in_seconds` is how often a waiting turn looks at the queue.
        """
        key = self._key(conversation_id)
        number, first = self.take_turn(key)
        self._hold(key, number)
        try:
            while not first:
                await asyncio.sleep(wait_time_in_seconds)
                number, first = self.take_turn(key, number)
            yield TicketLock(conversation_id)
        finally:
            self._let_go(key, number)
            try:
                self._release(keys=[key], args=[number])
            except RedisError as error:  # the turn is done; its lease lapses on its own
                logger.warning("Could not release the lock of %s: %s", key, error)

    def take_turn(self, key: str, number: int = 0) -> tuple[int, bool]:
        """Takes a ticket (number 0) or renews one; says whether it is first in line."""
        number, first = self._turn(keys=[key], args=[number, *self._lease_args()])
        return int(number), bool(first)

    def _hold(self, key: str, number: int) -> None:
        with self._held_guard:
            self._held[(key, number)] += 1
            if self._keeper is None or not self._keeper.is_alive():
                self._keeper = threading.Thread(
                    target=self._keep_leases, name="kramar-lock-leases", daemon=True
                )
                self._keeper.start()

    def _let_go(self, key: str, number: int) -> None:
        with self._held_guard:
            self._held[(key, number)] -= 1
            if self._held[(key, number)] <= 0:
                del self._held[(key, number)]

    def _keep_leases(self) -> None:
        """Renews every ticket this process has, a third of a lease apart, until it has none."""
        while True:
            time.sleep(LEASE_SECONDS / 3)
            with self._held_guard:
                tickets = list(self._held)
                if not tickets:
                    self._keeper = None
                    return
            by_key: dict[str, list[int]] = {}
            for key, number in tickets:
                by_key.setdefault(key, []).append(number)
            for key, numbers in by_key.items():
                try:
                    self._renew(keys=[key], args=[*self._lease_args(), *numbers])
                except RedisError as error:  # the next round tries again
                    logger.warning("Could not renew the lock lease of %s: %s", key, error)

    # Rasa's ticket-by-ticket interface is not used: `lock` is the whole contract.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        raise NotImplementedError("AtomicRedisLockStore only offers lock().")

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(self._key(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("AtomicRedisLockStore only offers lock().")
