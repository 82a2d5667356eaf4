"""Conversation ids and the secrets that bind a browser or app to one of them.

The id is random and the token is an HMAC of it under the gateway's secret:
whoever does not hold the token can neither read nor write the conversation,
even knowing its id, and the gateway stores nothing to check it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_conversation_id() -> str:
    return "c-" + secrets.token_urlsafe(18)


def conversation_token(secret: str, conversation_id: str) -> str:
    message = conversation_id.encode(errors="surrogatepass")  # whatever a URL decoded to
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def token_is_valid(secret: str, conversation_id: str, token: str) -> bool:
    # As bytes: compare_digest refuses (TypeError) str with non-ASCII characters.
    expected = conversation_token(secret, conversation_id).encode()
    return hmac.compare_digest(expected, token.encode(errors="surrogatepass"))
