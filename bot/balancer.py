"""A small load balancer in front of several Rasa replicas.

`python -m bot.balancer`: listens on KRAMAR_HOST:RASA_PORT and passes every
request to the one of RASA_UPSTREAMS (comma-separated URLs) with the fewest
requests in flight, in turn among equals: turns differ a lot in cost (a
greeting against a return with three action calls), and a replica busy with
slow ones should not be handed the next message just because it is its turn
(the p95 at 20 users: docs/benchmarks.md). The replicas
share their conversations through the tracker and lock stores, so any replica
can take any message. A replica that refuses connections is skipped for a
few seconds and the request goes to the next one; a request that was already
sent is retried elsewhere only when repeating it is harmless (GET), because a
message that reached a dying replica may have been processed.

Production deployments use their platform's balancer (a Kubernetes Service,
nginx, ...) instead; this one lets `make run` and the tests run replicas here.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

# Seconds a replica that refused a connection is left out.
COOLDOWN_SECONDS = 3.0
# A turn may take a while (the action server is capped at 15 s per call).
UPSTREAM_TIMEOUT = aiohttp.ClientTimeout(total=90, connect=2)
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


@dataclass
class Upstream:
    url: str
    down_until: float = 0.0
    in_flight: int = 0

    def available(self) -> bool:
        return time.monotonic() >= self.down_until


class Balancer:
    def __init__(self, urls: list[str]) -> None:
        if not urls:
            raise ValueError("RASA_UPSTREAMS names no replica")
        self.upstreams = [Upstream(url.rstrip("/")) for url in urls]
        self._turn = itertools.cycle(range(len(self.upstreams)))
        self._session: aiohttp.ClientSession | None = None

    def candidates(self) -> list[Upstream]:
        """Every replica, the least busy first (in turn among equals), those cooling down last."""
        start = next(self._turn)
        ordered = self.upstreams[start:] + self.upstreams[:start]
        return sorted(ordered, key=lambda upstream: (not upstream.available(), upstream.in_flight))

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
        for upstream in self.candidates():
            upstream.in_flight += 1
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
                upstream.in_flight -= 1
        return _unavailable(503, "No bot replica is reachable; please try again shortly.")


def _unavailable(status: int, message: str) -> web.Response:
    return web.json_response({"error": "unavailable", "message": message}, status=status)


def create_app(urls: list[str]) -> web.Application:
    balancer = Balancer(urls)
    app = web.Application(client_max_size=4 * 1024**2)
    app.cleanup_ctx.append(balancer.session)
    app.router.add_route("*", "/{tail:.*}", balancer.forward)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    urls = [url for url in os.environ.get("RASA_UPSTREAMS", "").split(",") if url.strip()]
    web.run_app(
        create_app(urls),
        host=os.environ.get("KRAMAR_HOST", "127.0.0.1"),
        port=int(os.environ.get("RASA_PORT") or 5005),
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
