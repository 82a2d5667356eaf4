"""The website chat widget: a WebSocket channel, photo uploads, the widget's files, a demo shop.

    GET  /chat/ws                                  WebSocket, frames below
    POST /chat/conversations/{id}/attachments      Bearer token; multipart "file" -> {"url"}
    GET  /chat/uploads/{name}                      an uploaded photo (read-only)
    GET  /widget/kramar-widget.js | .css           the widget, embedded with one <script> tag
    GET  /demo, /demo/product                      a fake shop with the widget on it
    GET  /demo/favicon.svg, /favicon.ico           the demo's icon (SVG)

Client frames: {"type": "hello", "conversation_id", "token", "after"} first (4401 if it
does not prove the conversation), then {"type": "message", "text", "metadata"?,
"client_id"?}, {"type": "language", "language"} and {"type": "ping"}.
Server frames: {"type": "ready", "conversation_id", "last", "telegram"}, {"type": "message", "id",
"from": customer|bot|agent, "text", "buttons", "image", "agent", "language"?,
"announcement"?}, {"type": "typing", "active"}, {"type": "error", "code", "message", "client_id"?} and {"type": "pong"}.

What a socket shows is read from the inbox's store, never from what the router
returned or pushed: every socket of a conversation (two tabs) sends what it
has not sent yet, in id order, whoever triggered the sync.

Logged-in shop pages may pass a customer token, `payload_b64.signature_hex`:
payload_b64 is base64url (no padding) of the JSON {"email": ..., "exp": unix_ts},
signature_hex the hex HMAC-SHA256 of payload_b64 under WIDGET_SIGNING_SECRET.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, WSMsgType, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import uploads
from bot.conversations import store
from bot.conversations.models import Conversation
from bot.gateway.keys import GATEWAY
from bot.gateway.known import SIGNED_IN
from bot.gateway.limits import CHAT_LIMITS, ChatLimits, retry_after, setup_limits, too_many
from bot.gateway.rasa_client import RasaError
from bot.gateway.responses import MAX_SENDER, error_response, proven_conversation, unauthorised
from bot.gateway.router import WITH_AGENT, Router
from bot.gateway.telegram_link import telegram_username
from bot.gateway.tokens import token_is_valid
from bot.nlu.patterns import normalise_email
from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "web"
LANGUAGES = frozenset({"en", "uk", "pl", "cs"})
STATIC_DIR = Path(__file__).parent / "static"
MAX_TEXT = 5000
MAX_FRAME_BYTES = 64 * 1024  # aiohttp closes with 1009 above this; 5000 chars fit easily
MAX_CLIENT_ID = 64
MAX_CUSTOMER_TOKEN = 2048
MAX_PENDING = 5  # messages a socket may queue while the bot is still answering
HELLO_TIMEOUT_SECONDS = 10.0
HEARTBEAT_SECONDS = 25.0
PUSH_TIMEOUT_SECONDS = 5.0
HISTORY_LIMIT = 200
SHOWN = ("customer", "bot", "agent")
UNAUTHORIZED_CLOSE = 4401
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# Checked in the handler, not the route: an odd name gets the same JSON 404 as a missing file.
UPLOAD_NAME = re.compile(r"[A-Za-z0-9_-]{16,64}\.(?:jpg|png|webp)")


# ---------------------------------------------------------------- settings and state


@dataclass(frozen=True)
class WidgetSettings:
    signing_secret: str
    # Other sites allowed to embed the widget ("*" for any); its own origin always is.
    allowed_origins: frozenset[str]
    upload_dir: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WidgetSettings:
        origins = {o.strip().rstrip("/") for o in env.get("WIDGET_ALLOWED_ORIGINS", "").split(",")}
        return cls(
            signing_secret=env.get("WIDGET_SIGNING_SECRET", ""),
            allowed_origins=frozenset(o for o in origins if o),
            upload_dir=Settings.from_env(env).upload_dir,
        )

    def allows(self, request: web.Request) -> bool:
        """Whether the page that sent `request` (its Origin) may use the widget's endpoints."""
        origin = request.headers.get("Origin")
        if origin is None or urlsplit(origin).netloc == request.host:
            return True
        return "*" in self.allowed_origins or origin.rstrip("/") in self.allowed_origins


@dataclass(eq=False)
class Connection:
    """One open widget socket, and the id of the last stored message it has seen."""

    socket: web.WebSocketResponse
    sender: str
    last: int = 0
    conversation_id: int | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, frame: dict[str, Any]) -> None:
        if self.socket.closed:
            return
        with contextlib.suppress(ConnectionResetError):
            await self.socket.send_json(frame)

    async def sync(self, engine: AsyncEngine, *, limit: int | None = None) -> None:
        """Sends the stored messages this socket has not shown yet."""
        async with self.lock:  # a push and a reply may sync at once: send each message once
            # Read each time: the conversation's language follows the customer's words.
            conversation = await store.conversation_by_sender(engine, self.sender)
            if conversation is None:
                return
            self.conversation_id = conversation.id
            messages = await store.list_messages(engine, self.conversation_id, after_id=self.last)
            if not messages:
                return
            self.last = messages[-1].id
            frames = [f for f in (message_frame(m, conversation.language) for m in messages) if f]
            for frame in frames[-limit:] if limit else frames:
                await self.send(frame)


@dataclass
class WidgetState:
    settings: WidgetSettings
    sockets: defaultdict[str, set[Connection]] = field(default_factory=lambda: defaultdict(set))

    def connections(self, sender: str) -> list[Connection]:
        return list(self.sockets.get(sender, ()))

    def remove(self, connection: Connection) -> None:
        open_ones = self.sockets.get(connection.sender)
        if open_ones is not None:
            open_ones.discard(connection)
            if not open_ones:
                del self.sockets[connection.sender]

    async def broadcast(self, sender: str, frame: dict[str, Any]) -> None:
        for connection in self.connections(sender):
            await connection.send(frame)

    async def sync(self, engine: AsyncEngine, sender: str) -> None:
        """Every socket of the conversation catches up; a stuck one cannot hold up the rest."""
        syncs = [
            asyncio.wait_for(c.sync(engine), PUSH_TIMEOUT_SECONDS) for c in self.connections(sender)
        ]
        for result in await asyncio.gather(*syncs, return_exceptions=True):
            if isinstance(result, Exception):
                logger.warning("A widget socket of %s missed a sync: %r", sender, result)


WIDGET = web.AppKey("widget", WidgetState)


def message_frame(message: store.Message, language: str | None = None) -> dict[str, Any] | None:
    """How a stored message reaches the widget; None for what customers never see.

    Bot and agent messages carry the conversation's language (when known), so the
    widget's own strings can follow it.
    """
    if message.direction not in SHOWN:
        return None
    payload = message.payload or {}
    frame: dict[str, Any] = {
        "type": "message",
        "id": message.id,
        "from": message.direction,
        "text": message.text,
    }
    if message.direction != "customer" and language in LANGUAGES:
        frame["language"] = language
    if message.direction == "bot":
        image = payload.get("image")
        frame["buttons"] = clean_buttons(payload.get("buttons"))
        frame["image"] = image if isinstance(image, str) else None
        if payload.get("announcement"):
            frame["announcement"] = str(payload["announcement"])
        if not (frame["text"] or frame["buttons"] or frame["image"]):
            return None  # e.g. a custom payload meant for another channel
    elif message.direction == "agent":
        frame["agent"] = payload.get("agent") or message.agent_name or ""
    return frame


def clean_buttons(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        return []
    return [
        {"title": str(b.get("title") or b.get("payload")), "payload": str(b.get("payload"))}
        for b in raw
        if isinstance(b, dict) and b.get("payload")
    ]


# ---------------------------------------------------------------- customer tokens


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _signature(secret: str, payload_b64: str) -> str:
    return hmac.new(secret.encode(), payload_b64.encode(), hashlib.sha256).hexdigest()


def sign_customer(secret: str, email: str, ttl: int) -> str:
    """A token saying "this page's visitor is logged in as `email`" for `ttl` seconds.

    For shops (and tests): the shop's server renders it into its pages.
    """
    if not secret:
        raise ValueError("a signing secret is required")
    claims = {"email": email, "exp": int(time.time()) + int(ttl)}
    payload_b64 = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload_b64}.{_signature(secret, payload_b64)}"


class InvalidCustomerToken(ValueError):
    """The token is malformed, forged or expired; the message says which."""


def verify_customer(secret: str, token: str, *, now: float | None = None) -> str:
    """The (normalised) email a valid customer token vouches for."""
    if not secret:
        raise InvalidCustomerToken("WIDGET_SIGNING_SECRET is not set")
    if not isinstance(token, str) or len(token) > MAX_CUSTOMER_TOKEN or token.count(".") != 1:
        raise InvalidCustomerToken("malformed")
    payload_b64, signature = token.split(".")
    if not hmac.compare_digest(_signature(secret, payload_b64), signature.lower()):
        raise InvalidCustomerToken("bad signature")
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidCustomerToken("unreadable payload") from None
    if not isinstance(claims, dict):
        raise InvalidCustomerToken("unreadable payload")
    expires = claims.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        raise InvalidCustomerToken("no expiry")
    if expires <= (time.time() if now is None else now):
        raise InvalidCustomerToken("expired")
    email = normalise_email(str(claims.get("email") or ""))
    if email is None:
        raise InvalidCustomerToken("no valid email")
    return email


# ---------------------------------------------------------------- the WebSocket


@dataclass(frozen=True)
class Hello:
    sender: str
    after: int


@dataclass(frozen=True)
class Incoming:
    """A validated client frame waiting for its turn."""

    kind: str  # "message" or "language"
    text: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    client_id: str | None = None
    language: str | None = None


class FrameError(ValueError):
    def __init__(self, code: str, message: str, client_id: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.client_id = code, message, client_id


def error_frame(code: str, message: str, client_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if client_id is not None:
        frame["client_id"] = client_id
    return frame


def parse_frame(raw: str) -> dict[str, Any]:
    try:
        frame = json.loads(raw)
    except ValueError:
        raise FrameError("bad_json", "Frames must be JSON objects.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise FrameError("bad_frame", 'Frames must be JSON objects with a "type".')
    return frame


def parse_hello(frame: dict[str, Any], secret: str) -> Hello:
    """The conversation a hello proves, or FrameError (sent before closing with 4401)."""
    if frame.get("type") != "hello":
        raise FrameError("unauthorized", 'The first frame must be {"type": "hello", ...}.')
    sender, token, after = frame.get("conversation_id"), frame.get("token"), frame.get("after", 0)
    if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER:
        raise FrameError("unauthorized", "The hello needs the conversation_id.")
    if not isinstance(token, str) or not token:
        raise FrameError("unauthorized", "The hello needs the conversation's token.")
    if not token_is_valid(secret, sender, token):
        raise FrameError("unauthorized", "This token does not open this conversation.")
    if after is None:
        after = 0
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise FrameError("unauthorized", '"after" must be a message id (0 for everything).')
    return Hello(sender=sender, after=after)


def parse_incoming(frame: dict[str, Any]) -> Incoming | None:
    """A message or language frame to queue; None for a ping. FrameError if invalid."""
    kind = frame["type"]
    client_id = frame.get("client_id")
    if client_id is not None and (not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID):
        raise FrameError("bad_frame", '"client_id" must be a short string.')
    if kind == "ping":
        return None
    if kind == "language":
        language = frame.get("language")
        if language not in LANGUAGES:
            raise FrameError("bad_frame", '"language" must be one of en, uk, pl, cs.', client_id)
        return Incoming(kind="language", language=language)
    if kind != "message":
        raise FrameError("unknown_type", f"Unknown frame type {kind[:40]!r}.", client_id)
    text, metadata = frame.get("text"), frame.get("metadata", {})
    if not isinstance(text, str):
        raise FrameError("bad_frame", '"text" must be a string.', client_id)
    if len(text) > MAX_TEXT:
        raise FrameError("too_long", f"A message holds at most {MAX_TEXT} characters.", client_id)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise FrameError("bad_frame", '"metadata" must be an object.', client_id)
    return Incoming(kind="message", text=text, metadata=metadata, client_id=client_id)


async def chat_socket(request: web.Request) -> web.StreamResponse:
    state = request.app[WIDGET]
    if not state.settings.allows(request):
        logger.warning("Refused a widget socket from %s", request.headers.get("Origin"))
        return error_response(HTTPStatus.FORBIDDEN, "This site may not use the chat.")
    socket = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_FRAME_BYTES)
    await socket.prepare(request)
    gateway = request.app[GATEWAY]
    try:
        hello = await _receive_hello(socket, gateway.secret)
    except FrameError as refused:
        await socket.send_json(error_frame(refused.code, refused.message))
        await socket.close(code=UNAUTHORIZED_CLOSE, message=b"unauthorized")
        return socket
    connection = Connection(socket, hello.sender, last=hello.after)
    state.sockets[hello.sender].add(connection)
    inbox: asyncio.Queue[Incoming] = asyncio.Queue(MAX_PENDING)
    worker = asyncio.create_task(_work(request.app, connection, inbox))
    try:
        # Registered before the history, so a push in between is not lost (the lock orders).
        await connection.sync(gateway.router.engine, limit=HISTORY_LIMIT)
        await connection.send(
            {
                "type": "ready",
                "conversation_id": hello.sender,
                "last": connection.last,
                # Whether the widget may offer "Continue in Telegram".
                "telegram": telegram_username(request.app) is not None,
            }
        )
        async for message in socket:
            await _receive(connection, inbox, message, request.app[CHAT_LIMITS])
    finally:
        state.remove(connection)
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    return socket


async def _receive_hello(socket: web.WebSocketResponse, secret: str) -> Hello:
    try:
        message = await socket.receive(timeout=HELLO_TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        raise FrameError("unauthorized", "No hello within 10 seconds.") from None
    if message.type != WSMsgType.TEXT:
        raise FrameError("unauthorized", "The first frame must be a JSON hello.")
    try:
        frame = parse_frame(message.data)
    except FrameError as bad:
        raise FrameError("unauthorized", bad.message) from None
    return parse_hello(frame, secret)


async def _receive(
    connection: Connection, inbox: asyncio.Queue[Incoming], message: Any, limits: ChatLimits
) -> None:
    if message.type != WSMsgType.TEXT:
        if message.type == WSMsgType.BINARY:
            await connection.send(error_frame("bad_frame", "Frames must be JSON text."))
        return
    try:
        incoming = parse_incoming(parse_frame(message.data))
    except FrameError as bad:
        await connection.send(error_frame(bad.code, bad.message, bad.client_id))
        return
    if incoming is None:
        await connection.send({"type": "pong"})
        return
    wait = limits.messages.take(connection.sender) if incoming.kind == "message" else 0
    if wait:
        frame = error_frame("rate_limited", "Too many messages; wait a moment.", incoming.client_id)
        await connection.send({**frame, "retry_after": retry_after(wait)})
        return
    try:
        inbox.put_nowait(incoming)
    except asyncio.QueueFull:
        await connection.send(
            error_frame("busy", "Please wait for the answer first.", incoming.client_id)
        )


async def _work(
    app: web.Application, connection: Connection, inbox: asyncio.Queue[Incoming]
) -> None:
    """Answers a socket's frames in order, while the socket keeps reading (and ponging)."""
    while True:
        incoming = await inbox.get()
        if incoming.kind == "language" and incoming.language:
            await _set_slots(app[GATEWAY].router, connection.sender, language=incoming.language)
        else:
            await _answer(app, connection, incoming)


async def _answer(app: web.Application, connection: Connection, incoming: Incoming) -> None:
    router, state, sender = app[GATEWAY].router, app[WIDGET], connection.sender
    conversation = await store.conversation_by_sender(router.engine, sender)
    # While a person has the conversation the bot stays silent: no "typing" then.
    bot_answers = conversation is None or conversation.state not in WITH_AGENT
    if bot_answers:
        await state.broadcast(sender, {"type": "typing", "active": True})
    try:
        metadata = await _prepare(router, state.settings, conversation, sender, incoming.metadata)
        await router.handle(sender, CHANNEL, incoming.text, metadata)
    except RasaError as error:
        logger.warning("The bot did not answer %s on the widget: %s", sender, error)
        await connection.send(
            error_frame(
                "unavailable", "The assistant is not answering; try again.", incoming.client_id
            )
        )
    except Exception:  # one failed turn must not end the customer's socket
        logger.exception("A widget message of %s failed", sender)
        await connection.send(
            error_frame("internal", "Something went wrong; try again.", incoming.client_id)
        )
    try:
        await state.sync(router.engine, sender)
    finally:
        if bot_answers:
            await state.broadcast(sender, {"type": "typing", "active": False})


async def _prepare(
    router: Router,
    settings: WidgetSettings,
    conversation: Conversation | None,
    sender: str,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """Tells Rasa what the page knows (email, language); the metadata to pass along."""
    email = None
    token = metadata.get("customer_token")
    if token:
        try:
            email = verify_customer(settings.signing_secret, token)
        except InvalidCustomerToken as bad:
            logger.warning("Ignored the customer token of %s: %s", sender, bad)
    # A session that starts with this message keeps the token's email too (issue 20).
    vouched = {SIGNED_IN: {"email": email}} if email else {}
    language = metadata.get("language")
    if language not in LANGUAGES:
        await _set_slots(router, sender, email=email)
        return vouched
    # The page's language starts a conversation; the customer's own words steer it later.
    fresh = conversation is None or not conversation.language
    await _set_slots(router, sender, email=email, language=language if fresh else None)
    return {"language": language, **vouched}


async def _set_slots(
    router: Router, sender: str, *, email: str | None = None, language: str | None = None
) -> None:
    events = [
        {"event": "slot", "name": name, "value": value}
        # The shop's signed token proves the email ("my orders" may list its orders).
        for name, value in (("email", email), ("proven_email", email), ("language", language))
        if value
    ]
    if not events:
        return
    try:
        await router.rasa.append(sender, events)
    except RasaError:
        logger.warning("Could not set %s for %s", ", ".join(e["name"] for e in events), sender)


# ---------------------------------------------------------------- photo uploads


def image_extension(head: bytes) -> str | None:
    """jpg, png or webp by the file's magic bytes (never by its name or declared type)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


class UploadError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def read_image(request: web.Request) -> tuple[bytes, str]:
    """The uploaded photo and its extension, read in chunks up to the size limit."""
    if request.content_length and request.content_length > MAX_UPLOAD_BYTES + 64 * 1024:
        raise UploadError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "A photo may be at most 5 MB.")
    if request.content_type != "multipart/form-data":
        raise UploadError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            'Send the photo as multipart/form-data, field "file".',
        )
    reader = await request.multipart()
    part = await reader.next()
    if not isinstance(part, BodyPartReader) or part.name != "file":
        raise UploadError(HTTPStatus.BAD_REQUEST, 'Send the photo in the field "file".')
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > MAX_UPLOAD_BYTES:
            raise UploadError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "A photo may be at most 5 MB.")
    extension = image_extension(bytes(data[:16]))
    if extension is None:
        raise UploadError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Only JPEG, PNG and WebP photos are accepted."
        )
    return bytes(data), extension


async def upload(request: web.Request) -> web.Response:
    sender = proven_conversation(request)
    if sender is None:
        return unauthorised()
    limits = request.app[CHAT_LIMITS]
    full = "This conversation has sent as many photos as it may for now; try later."
    if wait := limits.uploads.wait(sender):  # before reading what would be refused anyway
        return too_many(wait, full)
    try:
        data, extension = await read_image(request)
    except UploadError as refused:
        return error_response(refused.status, refused.message)
    except (ValueError, HttpProcessingError):  # a broken multipart body or part header
        return error_response(HTTPStatus.BAD_REQUEST, "The upload could not be read.")
    if wait := limits.upload_wait(sender, len(data)):
        return too_many(wait, full)
    directory = request.app[WIDGET].settings.upload_dir
    name = await asyncio.to_thread(uploads.save, directory, sender, data, extension)
    logger.info("Stored a %d-byte photo for %s as %s", len(data), sender, name)
    return web.json_response({"url": f"/chat/uploads/{name}"}, status=201)


async def uploaded(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = request.app[WIDGET].settings.upload_dir / name
    if not UPLOAD_NAME.fullmatch(name) or not path.is_file():
        return error_response(HTTPStatus.NOT_FOUND, "No such photo.")
    response = web.FileResponse(path)
    response.content_type = UPLOAD_CONTENT_TYPES[name.rsplit(".", 1)[1]]
    # Served as an image only: never sniffed or run as a page.
    response.headers.update(
        {
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=86400",
        }
    )
    return response


# ---------------------------------------------------------------- files and demo


def _file(relative: str, cache: str = "no-cache") -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / relative, headers={"Cache-Control": cache})

    return serve


async def widget_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    # Short cache: shops embed one URL and still get fixes within minutes.
    return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "public, max-age=300"})


CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Lets allowed shop sites call /chat/* from their own origin (tokens, never cookies)."""
    origin = request.headers.get("Origin")
    if not request.path.startswith("/chat/") or origin is None:
        return await handler(request)
    allowed = request.app[WIDGET].settings.allows(request)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        if not allowed:
            return error_response(HTTPStatus.FORBIDDEN, "This site may not use the chat.")
        return web.Response(
            status=204,
            headers={**CORS_HEADERS, "Access-Control-Allow-Origin": origin, "Vary": "Origin"},
        )
    response = await handler(request)
    if allowed and not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


# ---------------------------------------------------------------- wiring


def setup_widget(app: web.Application, env: Mapping[str, str] | None = None) -> None:
    """Adds the widget's routes; registers its pusher once the gateway's router exists."""
    env = os.environ if env is None else env
    settings = WidgetSettings.from_env(env)
    setup_limits(app, env)
    if not settings.signing_secret:
        logger.info("WIDGET_SIGNING_SECRET is not set: customer tokens will be ignored")
    app[WIDGET] = WidgetState(settings)
    app.router.add_get("/chat/ws", chat_socket, name="widget.ws")
    app.router.add_post(
        "/chat/conversations/{conversation_id}/attachments", upload, name="widget.upload"
    )
    app.router.add_get("/chat/uploads/{name}", uploaded, name="widget.uploaded")
    app.router.add_get(r"/widget/{name:kramar-widget\.(?:js|css)}", widget_file, name="widget")
    app.router.add_get("/demo", _file("demo/index.html"), name="widget.demo")
    app.router.add_get("/demo/product", _file("demo/product.html"), name="widget.demo.product")
    app.router.add_get("/demo/demo.css", _file("demo/demo.css"), name="widget.demo.css")
    icon = _file("favicon.svg", "public, max-age=86400")
    app.router.add_get("/demo/favicon.svg", icon, name="widget.demo.favicon")
    # Browsers ask for /favicon.ico on pages that name no icon.
    app.router.add_get("/favicon.ico", icon, name="widget.favicon")
    app.middlewares.append(cors)
    # After the gateway's own context, which creates the router.
    app.cleanup_ctx.append(_register_pusher)
    app.on_shutdown.append(_close_sockets)  # type: ignore[arg-type]


async def _register_pusher(app: web.Application) -> AsyncIterator[None]:
    router = app[GATEWAY].router
    state = app[WIDGET]

    async def push(sender: str, messages: list[dict[str, Any]]) -> None:
        # The router stored these before pushing: each socket sends them from the store.
        await state.sync(router.engine, sender)

    router.add_pusher(CHANNEL, push)
    yield
    router.remove_pusher(CHANNEL)


async def _close_sockets(app: web.Application) -> None:
    for connection in [c for group in app[WIDGET].sockets.values() for c in group]:
        await connection.socket.close(code=1001, message=b"server shutting down")
