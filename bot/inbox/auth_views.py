"""Login and logout pages."""

from __future__ import annotations

from aiohttp import web

from bot.inbox import agents
from bot.inbox.keys import ENGINE, LOGIN_LIMITER
from bot.inbox.sessions import load_agent, log_in, log_out, safe_next
from bot.inbox.templating import render

routes = web.RouteTableDef()


@routes.get("/login", name="inbox.login")
async def login_page(request: web.Request) -> web.StreamResponse:
    next_path = safe_next(request.query.get("next"))
    if await load_agent(request) is not None:
        raise web.HTTPFound(next_path)
    return await render(request, "login.html", {"next": next_path, "username": "", "error": None})


@routes.post("/login", name="inbox.login.submit")
async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    limiter = request.app[LOGIN_LIMITER]
    address = request.remote or "unknown"
    key = agents.normalise_username(username)

    async def again(error: str, status: int) -> web.Response:
        context = {"next": next_path, "username": username, "error": error}
        return await render(request, "login.html", context, status=status)

    wait = limiter.retry_after(address, key)
    if wait:
        minutes = max(1, round(wait / 60))
        response = await again(
            f"Too many failed attempts. Try again in about {minutes} minute(s).", 429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    agent = await agents.authenticate(request.app[ENGINE], username, password)
    if agent is None:
        limiter.failed(address, key)
        return await again("Wrong username or password.", 401)
    limiter.succeeded(address, key)
    await log_in(request, agent)
    raise web.HTTPFound(next_path)


@routes.post("/logout", name="inbox.logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await log_out(request)
    raise web.HTTPFound("/login")
