"""What the customer API's handlers share: the error body, and the check that a
request holds its conversation's token (REST, photo uploads, Telegram links)."""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web

from bot.gateway.keys import GATEWAY
from bot.gateway.tokens import token_is_valid

MAX_SENDER = 128  # Rasa's REST channel refuses longer sender ids


def error_response(status: HTTPStatus, message: str) -> web.Response:
    """`{"error": "bad_request", "message": ...}` with the status."""
    return web.json_response(
        {"error": status.phrase.lower().replace(" ", "_"), "message": message}, status=status
    )


def unauthorised() -> web.Response:
    return error_response(HTTPStatus.UNAUTHORIZED, "This conversation needs its token.")


def proven_conversation(request: web.Request) -> str | None:
    """The `{conversation_id}` of a request that holds its bearer token; None otherwise."""
    sender = request.match_info["conversation_id"]
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    secret = request.app[GATEWAY].secret
    if token and len(sender) <= MAX_SENDER and token_is_valid(secret, sender, token):
        return sender
    return None
