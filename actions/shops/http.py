"""JSON over HTTP for the platform modules: one session, a timeout on every call,
bounded retries for reads only (a write that timed out may have happened, so it
is repeated once, and only with the same idempotency key)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from typing import Any

import aiohttp

from actions.shops.base import NotFound, Refused, ShopUnavailable, TooManyAttempts

logger = logging.getLogger(__name__)


class JsonApi:
    """Calls one HTTP API and turns its failures into the shop errors."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float,
        read_retries: int,
        headers: Mapping[str, str] | None = None,
        auth: aiohttp.BasicAuth | None = None,
        refusals: Collection[int] = (409,),
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._read_retries = read_retries
        self._headers = dict(headers or {})
        self._auth = auth
        self._refusals = frozenset(refusals)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers=self._headers, auth=self._auth, timeout=self._timeout
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """One call; raises NotFound, Refused or ShopUnavailable."""
        try:
            async with self._http().request(
                method, self._base_url + path, json=json, params=params, headers=headers
            ) as response:
                if response.status == 404:
                    raise NotFound(path)
                if response.status in self._refusals:
                    body = await response.json(content_type=None)
                    message = body.get("message", "") if isinstance(body, dict) else ""
                    raise Refused(str(message))
                if response.status == 429:
                    wait = response.headers.get("Retry-After", "")
                    raise TooManyAttempts(int(wait) if wait.isdigit() else 60)
                if response.status >= 400:
                    text = await response.text()
                    raise ShopUnavailable(f"{method} {path}: HTTP {response.status} {text[:200]}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise ShopUnavailable(f"{method} {path}: {error!r}") from error

    async def read(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """A GET, retried with backoff when the shop is unavailable."""
        for attempt in range(self._read_retries + 1):
            try:
                return await self.request("GET", path, params=params)
            except ShopUnavailable:
                if attempt == self._read_retries:
                    raise
                logger.warning("Shop read %s failed, retrying (%d)", path, attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    async def write(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> Any:
        """A change. Retried once only when `retry` (the call is idempotent: it
        carries a key the shop honours, or repeating it changes nothing)."""
        try:
            return await self.request(method, path, json=body, headers=headers)
        except ShopUnavailable:
            if not retry:
                raise
            logger.warning("Shop write %s failed, retrying once", path)
            await asyncio.sleep(0.2)
            return await self.request(method, path, json=body, headers=headers)
