"""Conversation locks in Redis that several Rasa processes can share safely.

Rasa's RedisLockStore has two limits that matter with replicas:
- it updates a conversation's ticket list by read, change, write: two
  replicas taking a ticket at the same moment can both be served at once, and
  a cleanup can delete a ticket just issued. Each of those steps runs here
  under a short Redis mutex for that conversation;
- a ticket lives a fixed time (TICKET_LOCK_LIFETIME, 60 s): a longer turn
  loses its lock while still running, and the ticket of a replica that died
  blocks its conversations for that long. Here a ticket is a short lease that
  the running turn renews: it lasts as long as its turn, and only
  LEASE_SECONDS after its process dies.
Connections that a Redis restart dropped are retried instead of failing the turn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore, TicketLock
from rasa.utils.endpoints import EndpointConfig
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError
from redis.retry import Retry

# Seconds the mutex may be held (a step takes milliseconds) and waited for.
MUTEX_TIMEOUT = 5.0
# A ticket's lease, renewed every third of it while its turn runs.
LEASE_SECONDS = 15.0
# Seconds between looks at a busy conversation's lock (Rasa: 1 s, which a
# customer typing two quick messages would feel).
POLL_SECONDS = 0.05


class AtomicRedisLockStore(RedisLockStore):
    """`lock_store: {type: bot.stores.locks.AtomicRedisLockStore, url: redis://host:6379/0}`."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        url = urlparse(endpoint_config.url or "")
        if url.scheme not in ("redis", "rediss"):
            raise ValueError("The lock store needs url: redis://[:password@]host:6379/0")
        super().__init__(
            host=url.hostname or "localhost",
            port=url.port or 6379,
            db=int(url.path.strip("/") or 0),
            username=url.username,
            password=url.password,
            use_ssl=url.scheme == "rediss",
            key_prefix=endpoint_config.kwargs.get("key_prefix", "kramar"),
        )
        kwargs = self.red.connection_pool.connection_kwargs
        kwargs["retry"] = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=6)
        kwargs["retry_on_error"] = [ConnectionError, TimeoutError]

    def _mutex(self, conversation_id: str) -> Any:
        return self.red.lock(
            f"{self.key_prefix}mutex:{conversation_id}",
            timeout=MUTEX_TIMEOUT,
            blocking_timeout=MUTEX_TIMEOUT,
        )

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        ticket = self.issue_ticket(conversation_id, LEASE_SECONDS)
        renewing = asyncio.create_task(self._renew(conversation_id, ticket))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            renewing.cancel()
            self.cleanup(conversation_id, ticket)

    async def _renew(self, conversation_id: str, number: int) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            with self._mutex(conversation_id):
                lock = self.get_lock(conversation_id)
                for ticket in lock.tickets if lock else []:
                    if ticket.number == number:
                        ticket.expires = time.time() + LEASE_SECONDS
                        self.save_lock(lock)  # type: ignore[arg-type]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)
