"""API-key authentication and the one place where errors become HTTP responses."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.shop.admin_routes import ADMIN_PREFIX
from bot.shop.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    ShopError,
    TooManyAttempts,
    Unauthorized,
)
from bot.shop.serializers import error_json, json_response

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/health", "/openapi.json"})

_STATUS_BY_ERROR: tuple[tuple[type[ShopError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (InvalidRequest, 422),
    (Unauthorized, 401),
    (TooManyAttempts, 429),
)

_CODE_BY_HTTP_STATUS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ShopError as error:
        status = next((s for kind, s in _STATUS_BY_ERROR if isinstance(error, kind)), 500)
        response = json_response(error_json(error.code, error.message), status=status)
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    except web.HTTPException as error:
        if error.status < 400:  # redirects and the like are not errors
            raise
        # aiohttp's own errors (unknown route, wrong method, body too large).
        code = _CODE_BY_HTTP_STATUS.get(error.status, "http_error")
        message = error.reason
        if error.status == 404:
            message = f"No such endpoint: {request.method} {request.path}"
        response = json_response(error_json(code, message), status=error.status)
        if "Allow" in error.headers:
            response.headers["Allow"] = error.headers["Allow"]
        return response
    except Exception:
        # The traceback goes to the log only: it may hold data clients must not see.
        log.exception("Unhandled error in %s %s", request.method, request.path)
        return json_response(
            error_json("internal_error", "The shop hit an unexpected error"), status=500
        )


def make_auth_middleware(api_key: str, admin_token: str = "") -> Middleware:
    """The assistant's X-API-Key everywhere but staff endpoints, which take X-Admin-Token
    (none set: staff endpoints are closed)."""

    @web.middleware
    async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            _check(request, "X-Admin-Token", admin_token, "admin token")
        elif request.path not in PUBLIC_PATHS:
            _check(request, "X-API-Key", api_key, "API key")
        return await handler(request)

    return auth_middleware


def _check(request: web.Request, header: str, expected: str, what: str) -> None:
    provided = request.headers.get(header)
    if provided is None:
        raise Unauthorized(f"Missing {header} header")
    # Constant-time comparison: no timing hints about the key.
    if not expected or not hmac.compare_digest(provided.encode(), expected.encode()):
        raise Unauthorized(f"Invalid {what}")
