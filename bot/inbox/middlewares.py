"""Security headers, error pages, login and CSRF checks, for the inbox's own routes.

The inbox may share its app with the gateway, so each middleware only acts on
the resources ``setup_inbox`` registered and lets everything else pass.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, MutableMapping

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from aiohttp.web_urldispatcher import AbstractResource
from aiohttp_session import AbstractStorage, get_session, session_middleware

from bot.conversations import store
from bot.inbox.errors import (
    Conflict,
    ConversationNotFound,
    DeliveryFailed,
    Forbidden,
    InboxError,
    InvalidRequest,
    NotFound,
    TooManyAttempts,
    Unauthorized,
)
from bot.inbox.serializers import error_json, json_response
from bot.inbox.sessions import CSRF_FIELD, CSRF_HEADER, csrf_matches, load_agent, login_url
from bot.inbox.templating import STATIC_ROUTE, render_error_page

log = logging.getLogger(__name__)

PUBLIC_ROUTES = frozenset({"inbox.login", "inbox.login.submit", STATIC_ROUTE})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_STATUS_BY_ERROR: tuple[tuple[type[InboxError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (InvalidRequest, 422),
    (Unauthorized, 401),
    (Forbidden, 403),
    (TooManyAttempts, 429),
    (DeliveryFailed, 502),
)
_CODE_BY_HTTP_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def inbox_middlewares(
    resources: Collection[AbstractResource], storage: AbstractStorage
) -> list[Middleware]:
    """Outermost first: headers also reach error pages; errors wrap the session and auth."""
    return [
        _scoped(resources, security_headers),
        _scoped(resources, error_middleware),
        _scoped(resources, session_middleware(storage)),
        _scoped(resources, auth_middleware),
    ]


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path == "/ws"


def _scoped(resources: Collection[AbstractResource], middleware: Middleware) -> Middleware:
    @web.middleware
    async def only_inbox(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.match_info.route.resource not in resources:
            return await handler(request)
        return await middleware(request, handler)

    return only_inbox


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    static = request.match_info.route.name == STATIC_ROUTE
    try:
        response = await handler(request)
    except web.HTTPException as redirect_or_error:
        _add_security_headers(redirect_or_error.headers, static=static)
        raise
    if not response.prepared:  # a WebSocket has sent its headers already
        _add_security_headers(response.headers, static=static)
    return response


def _add_security_headers(headers: MutableMapping[str, str], *, static: bool) -> None:
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    if not static:
        # Transcripts are personal data: no copies in browser or proxy caches.
        headers["Cache-Control"] = "no-store"


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except InboxError as error:
        status = next((s for kind, s in _STATUS_BY_ERROR if isinstance(error, kind)), 500)
        return _error_response(request, status, error.code, error.message)
    except store.ConversationNotFound as missing:  # the transcript's own look-ups
        return _error_response(request, 404, ConversationNotFound.code, str(missing))
    except web.HTTPException as error:
        if error.status < 400:  # redirects are not errors
            raise
        code = _CODE_BY_HTTP_STATUS.get(error.status, "http_error")
        response = _error_response(request, error.status, code, error.reason)
        if "Allow" in error.headers:
            response.headers["Allow"] = error.headers["Allow"]
        return response
    except Exception:
        # The traceback goes to the log only: it may hold customer data.
        log.exception("Unhandled error in %s %s", request.method, request.path)
        return _error_response(request, 500, "internal_error", "The inbox hit an unexpected error")


def _error_response(request: web.Request, status: int, code: str, message: str) -> web.Response:
    if is_api(request):
        return json_response(error_json(code, message), status=status)
    return render_error_page(request, status, code.replace("_", " ").capitalize(), message)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.match_info.route.name
    if route == STATIC_ROUTE:
        return await handler(request)
    if route not in PUBLIC_ROUTES and await load_agent(request) is None:
        if is_api(request):
            raise Unauthorized("Log in to the inbox first")
        raise web.HTTPFound(login_url(request.path_qs))
    if request.method not in SAFE_METHODS:
        provided = request.headers.get(CSRF_HEADER)
        if provided is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            field = (await request.post()).get(CSRF_FIELD)
            provided = field if isinstance(field, str) else None
        if not csrf_matches(await get_session(request), provided):
            raise Forbidden(
                "The form has expired or the security token is missing; reload the page"
            )
    return await handler(request)
