"""A local stand-in for the Telegram Bot API, for tests (the internet is not reachable).

    POST|GET /bot<token>/<method>        getMe, getUpdates (long poll), sendMessage,
                                         sendPhoto, sendChatAction, answerCallbackQuery,
                                         editMessageReplyMarkup, getFile, setWebhook,
                                         deleteWebhook, getWebhookInfo
    GET      /file/bot<token>/<path>     a file added with `add_file`

Every bot (token) has its own updates, calls and webhook. Tests push updates,
read what the bot called, make the next call of a method fail with 429, and
deliver updates to a registered webhook as Telegram would. Bodies may be JSON,
form or multipart, as with the real API; answers are `{"ok": ..., "result": ...}`.

It runs on its own event loop in a thread, so synchronous tests and async
tests (whatever their loop) use the same instance; its methods are thread-safe.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

T = TypeVar("T")
MAX_POLL_SECONDS = 30.0


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        """The chat a call is for (form bodies carry it as a string)."""
        chat = self.params.get("chat_id")
        return int(chat) if chat not in (None, "") else None


@dataclass
class Failure:
    method: str
    chat_id: int | None
    status: int
    description: str
    parameters: dict[str, Any]


@dataclass
class BotState:
    id: int
    username: str
    pending: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    next_update_id: int = 1000
    message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    news: asyncio.Condition = field(default_factory=asyncio.Condition)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _decoded(value: Any) -> Any:
    """Form values that hold JSON (reply_markup, allowed_updates) as Python values."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return {key: _decoded(value) for key, value in params.items()}


class BotApiStandin:
    def __init__(self) -> None:
        self._bots: dict[str, BotState] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._closing = False
        self.url = ""

    # --- lifetime -----------------------------------------------------------------------

    def start(self) -> BotApiStandin:
        self._thread.start()
        self._run(self._start())
        return self

    def stop(self) -> None:
        self._run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", r"/bot{token}/{method}", self._method)
        app.router.add_get(r"/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, shutdown_timeout=1.0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def _stop(self) -> None:
        self._closing = True
        for bot in self._bots.values():
            async with bot.news:
                bot.news.notify_all()
        if self._http:
            await self._http.close()
        if self._runner:
            await self._runner.cleanup()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    # --- what tests do ------------------------------------------------------------------

    def new_bot(self) -> str:
        """A token the stand-in accepts; each token is a separate bot."""
        bot_id = 7_000_000_000 + secrets.randbelow(10**8)
        token = f"{bot_id}:{secrets.token_urlsafe(26)}"
        self._run(self._add_bot(token, bot_id))
        return token

    async def _add_bot(self, token: str, bot_id: int) -> None:
        self._bots[token] = BotState(id=bot_id, username=f"kramar_{bot_id}_bot")

    def push(self, token: str, update: dict[str, Any]) -> int:
        """Queues an update for getUpdates, numbered after the last one; its update_id."""
        return self._run(self._push(token, update, replay=False))

    def replay(self, token: str, update: dict[str, Any]) -> int:
        """Hands out an update again with its own update_id, as a replay would."""
        return self._run(self._push(token, update, replay=True))

    async def _push(self, token: str, update: dict[str, Any], replay: bool) -> int:
        bot = self._bots[token]
        if not replay:
            bot.next_update_id += 1
            update = {**update, "update_id": bot.next_update_id}
        bot.pending.append({**update, "_replay": replay})
        async with bot.news:
            bot.news.notify_all()
        return int(update["update_id"])

    def calls(self, token: str, method: str | None = None) -> list[Call]:
        return [c for c in list(self._bots[token].calls) if method in (None, c.method)]

    def sent(self, token: str, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot got through to `chat_id`, oldest first."""
        return [
            {"method": c.method, **c.params}
            for c in self.calls(token)
            if c.method in ("sendMessage", "sendPhoto") and c.status == 200 and c.chat_id == chat_id
        ]

    def fail_next(
        self, token: str, method: str, *, chat_id: int | None = None, retry_after: int = 1
    ) -> None:
        """The next call of `method` (for `chat_id`, if given) answers 429 Too Many Requests."""
        failure = Failure(
            method,
            chat_id,
            429,
            f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after},
        )
        self._bots[token].failures.append(failure)

    def add_file(self, token: str, file_id: str, path: str, content: bytes) -> None:
        self._bots[token].files[file_id] = (path, content)

    def webhook(self, token: str) -> dict[str, Any]:
        return dict(self._bots[token].webhook)

    def deliver(self, token: str, update: dict[str, Any]) -> int:
        """POSTs an update to the bot's webhook with its secret, as Telegram does; the status."""
        return self._run(self._deliver(token, update))

    async def _deliver(self, token: str, update: dict[str, Any]) -> int:
        hook = self._bots[token].webhook
        assert hook.get("url"), "no webhook set"
        headers = {}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
        assert self._http is not None
        async with self._http.post(hook["url"], json=update, headers=headers) as response:
            return response.status

    # --- the Bot API --------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        bot = self._bots.get(request.match_info["token"])
        if bot is None:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        response = await self._answer(bot, method, params)
        bot.calls.append(Call(method, params, response.status))
        return response

    async def _answer(self, bot: BotState, method: str, params: dict[str, Any]) -> web.Response:
        for failure in bot.failures:
            chat = params.get("chat_id")
            if failure.method == method and failure.chat_id in (None, int(chat or 0)):
                bot.failures.remove(failure)
                return _error(failure.status, failure.description, failure.parameters)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return await handler(bot, params)

    async def _api_getMe(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        return _ok(
            {
                "id": bot.id,
                "is_bot": True,
                "first_name": "Kramar",
                "username": bot.username,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    async def _api_getUpdates(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        if bot.webhook.get("url"):
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), MAX_POLL_SECONDS)
        deadline = time.monotonic() + timeout
        async with bot.news:
            while True:
                # Confirmed updates (below the offset) are gone; replays go out once anyway.
                bot.pending = [u for u in bot.pending if u["_replay"] or u["update_id"] >= offset]
                if bot.pending or self._closing or time.monotonic() >= deadline:
                    break
                try:
                    await asyncio.wait_for(bot.news.wait(), deadline - time.monotonic())
                except asyncio.TimeoutError:
                    break
            limit = int(params.get("limit") or 100)
            bot.pending.sort(key=lambda u: int(u["update_id"]))
            batch, bot.pending = bot.pending[:limit], bot.pending[limit:]
            # A normal update stays until confirmed by a later offset, as on Telegram.
            bot.pending = [u for u in batch if not u["_replay"]] + bot.pending
        return _ok([{k: v for k, v in u.items() if k != "_replay"} for u in batch])

    def _message(self, bot: BotState, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(bot.message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": bot.id, "is_bot": True, "first_name": "Kramar"},
            **content,
        }
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _api_sendMessage(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text") or "")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return _error(400, "Bad Request: message is too long")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > 64:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        return _ok(self._message(bot, params, text=text))

    async def _api_sendPhoto(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        photo = {"file_id": "sent-photo", "file_unique_id": "sent", "width": 1, "height": 1}
        return _ok(self._message(bot, params, photo=[photo]))

    async def _api_sendChatAction(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_answerCallbackQuery(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_editMessageReplyMarkup(
        self, bot: BotState, params: dict[str, Any]
    ) -> web.Response:
        return _ok(self._message(bot, params, text="(edited)"))

    async def _api_getFile(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        file_id = str(params.get("file_id") or "")
        if file_id not in bot.files:
            return _error(400, "Bad Request: invalid file_id")
        path, content = bot.files[file_id]
        return _ok(
            {
                "file_id": file_id,
                "file_unique_id": file_id[-8:],
                "file_size": len(content),
                "file_path": path,
            }
        )

    async def _api_setWebhook(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        bot.webhook = {
            "url": params.get("url", ""),
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
        }
        return _ok(True)

    async def _api_deleteWebhook(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        bot.webhook = {}
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            bot.pending.clear()
        return _ok(True)

    async def _api_getWebhookInfo(self, bot: BotState, params: dict[str, Any]) -> web.Response:
        return _ok({"url": bot.webhook.get("url", ""), "pending_update_count": len(bot.pending)})

    async def _file(self, request: web.Request) -> web.Response:
        bot = self._bots.get(request.match_info["token"])
        wanted = request.match_info["path"]
        for path, content in bot.files.values() if bot else []:
            if path == wanted:
                return web.Response(body=content, content_type="image/jpeg")
        return web.Response(status=404)


if __name__ == "__main__":  # try a bot against it by hand: prints the URL and a token
    standin = BotApiStandin().start()
    print(f"TELEGRAM_API_URL={standin.url}\nTELEGRAM_BOT_TOKEN={standin.new_bot()}")
    threading.Event().wait()
