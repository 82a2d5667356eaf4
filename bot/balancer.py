"""A small load balancer in front of several Rasa replicas.

`python -m bot.balancer`: listens on KRAMAR_HOST:RASA_PORT and passes every
request to one of RASA_UPSTREAMS (comma-separated URLs). The replicas share
their conversations through the tracker and lock stores, so any replica can
take any message.

- A request goes to the replica with the fewest requests in flight, in turn
  among equals: turns differ a lot in cost (a greeting against a return with
  three action calls), and a replica busy with slow ones should not be handed
  the next message just because it is its turn.
- A replica works on at most BALANCER_MAX_IN_FLIGHT requests at once; the
  rest wait here, first come first served (like HAProxy's `maxconn` per
  server). A Rasa replica shares one event loop among all its turns, so a
  heavy turn among many others takes many times its own time, and it is the
  heavy turns (verifying an order, a return) that make the slowest customers
  (docs/benchmarks.md). A request that has waited BALANCER_PATIENCE_SECONDS
  goes to the least busy replica anyway: replicas full of turns that wait on
  a slow shop backend are not busy, and must not hold up everyone else.
- A replica that refuses connections is left out for a few seconds and the
  request goes to the next one; a request that was already sent is retried
  elsewhere only when repeating it is harmless (GET), because a message that
  reached a dying replica may have been processed.

Production deployments may use their platform's balancer (a Kubernetes
Service, nginx, HAProxy) instead; this one lets `make run` and the tests run
replicas here.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

# Seconds a replica that refused a connection is left out.
COOLDOWN_SECONDS = 3.0
# A turn may take a while (the action server is capped at 15 s per call).
UPSTREAM_TIMEOUT = aiohttp.ClientTimeout(total=90, connect=2)
# Requests one replica works on at once, and how long one waits for a place.
MAX_IN_FLIGHT = 3
PATIENCE_SECONDS = 1.0
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
    "host",
    "content-length",
}


@dataclass(eq=False)
class Upstream:
    url: str
    down_until: float = 0.0
    in_flight: int = 0

    def available(self) -> bool:
        return time.monotonic() >= self.down_until


@dataclass(eq=False)
class Waiter:
    """A request waiting for a place, and the replicas it must not be sent to again."""

    place: asyncio.Future[Upstream]
    tried: set[Upstream]


class Balancer:
    def __init__(
        self,
        urls: list[str],
        max_in_flight: int = MAX_IN_FLIGHT,
        patience: float = PATIENCE_SECONDS,
    ) -> None:
        if not urls:
            raise ValueError("RASA_UPSTREAMS names no replica")
        if max_in_flight < 1:
            raise ValueError("BALANCER_MAX_IN_FLIGHT must be at least 1")
        self.upstreams = [Upstream(url.rstrip("/")) for url in urls]
        self.max_in_flight = max_in_flight
        self.patience = patience
        self._turn = itertools.cycle(range(len(self.upstreams)))
        self._waiting: deque[Waiter] = deque()
        self._session: aiohttp.ClientSession | None = None

    def candidates(self, tried: set[Upstream]) -> list[Upstream]:
        """Replicas not tried yet: least busy first (in turn among equals), cooling down last."""
        start = next(self._turn)
        ordered = self.upstreams[start:] + self.upstreams[:start]
        untried = [upstream for upstream in ordered if upstream not in tried]
        return sorted(untried, key=lambda upstream: (not upstream.available(), upstream.in_flight))

    def _free(self, candidates: list[Upstream]) -> Upstream | None:
        for upstream in candidates:
            if upstream.available() and upstream.in_flight < self.max_in_flight:
                return upstream
        return None

    @staticmethod
    def _hold(upstream: Upstream) -> Upstream:
        upstream.in_flight += 1
        return upstream

    async def take(self, tried: set[Upstream]) -> Upstream | None:
        """A replica not tried yet, with one of its places held; None when none is left."""
        candidates = self.candidates(tried)
        if not candidates:
            return None
        if not candidates[0].available():  # all cooling down: one may be back
            return self._hold(candidates[0])
        free = None if self._waiting else self._free(candidates)
        if free is not None:
            return self._hold(free)
        waiter = Waiter(asyncio.get_running_loop().create_future(), tried)
        self._waiting.append(waiter)
        try:
            await asyncio.wait([waiter.place], timeout=self.patience)
        except asyncio.CancelledError:  # the client left: give back a place handed over
            self._leave(waiter)
            raise
        if waiter.place.done():
            return waiter.place.result()
        self._waiting.remove(waiter)
        # Waited long enough: the replicas wait on slow calls rather than compute.
        candidates = self.candidates(tried)
        return self._hold(candidates[0]) if candidates else None

    def _leave(self, waiter: Waiter) -> None:
        if waiter.place.done():
            self.release(waiter.place.result())
        else:
            self._waiting.remove(waiter)
            waiter.place.cancel()

    def release(self, upstream: Upstream) -> None:
        """Gives a place back, to the first waiting request that may use it."""
        upstream.in_flight -= 1
        while self._waiting:
            free = self._free(self.candidates(self._waiting[0].tried))
            if free is None:
                return
            self._waiting.popleft().place.set_result(self._hold(free))

    async def session(self, app: web.Application) -> AsyncIterator[None]:
        # A fresh connection per request (cheap on a local network): a pooled one
        # to a replica that just died would fail a request that never reached it.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=UPSTREAM_TIMEOUT,
            auto_decompress=False,
        )
        yield
        await self._session.close()

    async def forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        repeatable = request.method in ("GET", "HEAD", "OPTIONS")
        tried: set[Upstream] = set()
        while (upstream := await self.take(tried)) is not None:
            tried.add(upstream)
            try:
                async with self._session.request(
                    request.method,
                    upstream.url + request.rel_url.path_qs,
                    headers=headers,
                    data=body or None,
                    allow_redirects=False,
                ) as answer:
                    payload = await answer.read()
                    passed = {
                        k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP
                    }
                    return web.Response(status=answer.status, body=payload, headers=passed)
            except aiohttp.ClientConnectorError:
                upstream.down_until = time.monotonic() + COOLDOWN_SECONDS
                logger.warning("Replica %s refused the connection; trying the next.", upstream.url)
            except (aiohttp.ClientError, TimeoutError) as error:
                upstream.down_until = time.monotonic() + COOLDOWN_SECONDS
                logger.error("Replica %s failed during %s: %r", upstream.url, request.path, error)
                if not repeatable:
                    return _unavailable(502, "The bot failed while answering; please send again.")
            finally:
                self.release(upstream)
        return _unavailable(503, "No bot replica is reachable; please try again shortly.")


def _unavailable(status: int, message: str) -> web.Response:
    return web.json_response({"error": "unavailable", "message": message}, status=status)


def create_app(
    urls: list[str], max_in_flight: int = MAX_IN_FLIGHT, patience: float = PATIENCE_SECONDS
) -> web.Application:
    balancer = Balancer(urls, max_in_flight, patience)
    app = web.Application(client_max_size=4 * 1024**2)
    app.cleanup_ctx.append(balancer.session)
    app.router.add_route("*", "/{tail:.*}", balancer.forward)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    urls = [url for url in os.environ.get("RASA_UPSTREAMS", "").split(",") if url.strip()]
    web.run_app(
        create_app(
            urls,
            int(os.environ.get("BALANCER_MAX_IN_FLIGHT") or MAX_IN_FLIGHT),
            float(os.environ.get("BALANCER_PATIENCE_SECONDS") or PATIENCE_SECONDS),
        ),
        host=os.environ.get("KRAMAR_HOST", "127.0.0.1"),
        port=int(os.environ.get("RASA_PORT") or 5005),
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
