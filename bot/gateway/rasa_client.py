"""The gateway's access to the Rasa server: the REST channel and the token-protected API."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

# Seconds the current request has waited for Rasa (see `count_time_in_rasa`).
_time_in_rasa: ContextVar[list[float] | None] = ContextVar("kramar_time_in_rasa", default=None)


def count_time_in_rasa() -> list[float]:
    """Starts counting the current request's wait for Rasa; the count is the list's one item.

    The gateway reports it in a Server-Timing header, so a benchmark can tell
    the gateway's share of a turn from Rasa's.
    """
    spent = [0.0]
    _time_in_rasa.set(spent)
    return spent


class RasaError(Exception):
    """Rasa did not answer as expected."""


@dataclass(frozen=True)
class BotTurn:
    """The bot's answer to one customer message, and how it understood the message."""

    replies: list[dict[str, Any]]
    intent: str | None
    confidence: float | None
    slots: dict[str, Any]


class RasaClient:
    def __init__(self, url: str, token: str, timeout_seconds: float = 60) -> None:
        self._url, self._token = url.rstrip("/"), token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        # Opened on first use: a session belongs to the event loop it is made on.
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        params = {"token": self._token, **kwargs.pop("params", {})}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        started = time.perf_counter()
        try:
            async with self._session.request(
                method, self._url + path, params=params, **kwargs
            ) as response:
                if response.status >= 400:
                    raise RasaError(f"{method} {path}: HTTP {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise RasaError(f"{method} {path}: {error!r}") from error
        finally:
            spent = _time_in_rasa.get()
            if spent is not None:
                spent[0] += time.perf_counter() - started

    def _conversation(self, sender: str) -> str:
        return f"/conversations/{quote(sender, safe='')}"

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> BotTurn:
        """The customer's message through Kramar's REST channel: replies and understanding."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        answer = await self._call("POST", "/webhooks/rest/turn", json=body)
        if not isinstance(answer, dict) or not isinstance(answer.get("messages"), list):
            raise RasaError(f"POST /webhooks/rest/turn: unexpected answer {str(answer)[:200]}")
        slots = answer.get("slots")
        return BotTurn(
            replies=answer["messages"],
            intent=answer.get("intent"),
            confidence=answer.get("confidence"),
            slots=slots if isinstance(slots, dict) else {},
        )

    async def state(self, sender: str) -> dict[str, Any]:
        """The tracker without events: latest message (intent, confidence) and slots."""
        return dict(
            await self._call(
                "GET", self._conversation(sender) + "/tracker", params={"include_events": "NONE"}
            )
        )

    async def trigger(
        self, sender: str, intent: str, entities: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Runs the bot on an intent the gateway sends (handback, rating, ...)."""
        body = {"name": intent, "entities": entities or {}}
        result = await self._call(
            "POST",
            self._conversation(sender) + "/trigger_intent",
            json=body,
            params={"include_events": "NONE"},
        )
        return list(result.get("messages", []))

    async def append(self, sender: str, events: list[dict[str, Any]]) -> None:
        """Adds events (an agent's reply, a customer's message to an agent) to the tracker."""
        await self._call(
            "POST",
            self._conversation(sender) + "/tracker/events",
            json=events,
            params={"include_events": "NONE", "output_channel": "collector"},
        )
