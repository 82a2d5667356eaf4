"""Abuse limits of the customer channels, and the 429 answer when one is reached.

    opening conversations   per client address   CHAT_CONVERSATIONS_PER_ADDRESS per window
    messages                per conversation     CHAT_MESSAGES_PER_MINUTE
    uploads (count, bytes)  per conversation     CHAT_UPLOADS_PER_CONVERSATION, _MB_ per window

Counted in this process (the gateway runs as one); order verifications are
limited where they are checked, in the shop backend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from aiohttp import web

from bot.buckets import LeakyBucket
from bot.settings import Limits, Settings


@dataclass(frozen=True)
class ChatLimits:
    conversations: LeakyBucket  # per client address
    messages: LeakyBucket  # per conversation (sender id), every channel together
    uploads: LeakyBucket  # per conversation, photos
    upload_bytes: LeakyBucket  # per conversation, bytes
    trusted_proxies: frozenset[str]

    @classmethod
    def from_settings(cls, limits: Limits) -> ChatLimits:
        return cls(
            conversations=LeakyBucket(
                limits.conversations_per_address, limits.conversations_window_seconds
            ),
            messages=LeakyBucket(limits.messages_per_minute, 60),
            uploads=LeakyBucket(limits.uploads_per_conversation, limits.uploads_window_seconds),
            upload_bytes=LeakyBucket(
                limits.upload_bytes_per_conversation, limits.uploads_window_seconds
            ),
            trusted_proxies=limits.trusted_proxies,
        )

    def client_address(self, request: web.Request) -> str:
        """The customer's address: the connection's, or what a trusted proxy says it is."""
        remote = request.remote or ""
        if remote not in self.trusted_proxies:
            return remote
        # The last hop a trusted proxy added; earlier ones the client may have forged.
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
        untrusted = [hop for hop in hops if hop and hop not in self.trusted_proxies]
        return untrusted[-1] if untrusted else remote

    def upload_wait(self, sender: str, size: int) -> float:
        """Seconds until a photo of `size` bytes fits this conversation's limits; counts it if 0."""
        wait = max(self.uploads.wait(sender), self.upload_bytes.wait(sender, size))
        if not wait:
            self.uploads.add(sender)
            self.upload_bytes.add(sender, size)
        return wait


CHAT_LIMITS = web.AppKey("chat_limits", ChatLimits)


def setup_limits(app: web.Application, env: Mapping[str, str]) -> None:
    """Gives the app its limits, unless it has them: every channel set up on it shares one set."""
    if CHAT_LIMITS not in app:
        app[CHAT_LIMITS] = ChatLimits.from_settings(Settings.from_env(env).limits)


def retry_after(wait: float) -> int:
    """Whole seconds for the Retry-After header: never 0, which would invite a retry at once."""
    return max(1, math.ceil(wait))


def too_many(wait: float, message: str) -> web.Response:
    seconds = retry_after(wait)
    return web.json_response(
        {"error": "too_many_requests", "message": message, "retry_after": seconds},
        status=HTTPStatus.TOO_MANY_REQUESTS,
        headers={"Retry-After": str(seconds)},
    )
