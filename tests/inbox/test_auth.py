"""Who gets in: login, logout, sessions, CSRF, rate limiting, security headers."""

from __future__ import annotations

import aiohttp
import pytest

from tests.inbox.conftest import (
    PASSWORD,
    AgentClient,
    Inbox,
    handed_off_conversation,
    logged_in,
    new_agent,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

PAGES = [
    "/",
    "/conversations",
    "/conversations/1",
    "/dashboard",
    "/conversations/1/export.json",
    "/conversations/1/export.csv",
    "/training-data/export.yml",
]
API_GETS = ["/api/queue", "/api/conversations/1"]
API_POSTS = [
    "/api/conversations/1/claim",
    "/api/conversations/1/reply",
    "/api/conversations/1/hand-back",
    "/api/conversations/1/close",
    "/api/messages/1/misunderstood",
]


@pytest.mark.parametrize("path", PAGES)
async def test_anonymous_pages_redirect_to_login(inbox: Inbox, path: str) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.get(inbox.url + path, allow_redirects=False)
        assert response.status == 302
        location = response.headers["Location"]
        assert location.startswith("/login")
        if path != "/":
            assert "next=" in location


@pytest.mark.parametrize("path", API_GETS)
async def test_anonymous_api_reads_get_401(inbox: Inbox, path: str) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.get(inbox.url + path)
        assert response.status == 401
        assert (await response.json())["error"] == "unauthorized"


@pytest.mark.parametrize("path", API_POSTS)
async def test_anonymous_api_writes_get_401(inbox: Inbox, path: str) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.post(inbox.url + path, json={"text": "hi"})
        assert response.status == 401


async def test_anonymous_websocket_gets_401(inbox: Inbox) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(inbox.url + "/ws")
        assert refused.value.status == 401


async def test_login_page_and_static_assets_are_public(inbox: Inbox) -> None:
    async with aiohttp.ClientSession() as http:
        page = await http.get(inbox.url + "/login")
        assert page.status == 200
        assert 'name="csrf_token"' in await page.text()
        style = await http.get(inbox.url + "/inbox-assets/inbox.css")
        assert style.status == 200
        assert style.content_type == "text/css"


async def test_wrong_password_is_refused(inbox: Inbox) -> None:
    username = await new_agent(inbox, "Wrong")
    client = AgentClient(inbox.url)
    try:
        response = await client.login(username, "not the password")
        assert response.status == 401
        assert "Wrong username or password" in await response.text()
        unknown = await client.login("nobody-at-all", PASSWORD)
        assert unknown.status == 401
        assert (await client.get("/")).status == 302
    finally:
        await client.close()


async def test_login_sets_a_hardened_cookie_and_opens_the_inbox(inbox: Inbox) -> None:
    username = await new_agent(inbox, "Cookie Monster")
    client = AgentClient(inbox.url)
    try:
        response = await client.login(username)
        assert response.status == 302
        assert response.headers["Location"] == "/"
        cookie = response.headers["Set-Cookie"]
        assert "kramar_inbox=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Max-Age=43200" in cookie
        assert "Secure" not in cookie  # INBOX_COOKIE_SECURE defaults to false
        queue = await client.get("/")
        assert queue.status == 200
        assert "Cookie Monster" in await queue.text()
    finally:
        await client.close()


async def test_login_returns_to_the_page_asked_for_but_never_off_site(inbox: Inbox) -> None:
    username = await new_agent(inbox)
    for asked, expected in [
        ("/dashboard", "/dashboard"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
    ]:
        client = AgentClient(inbox.url)
        try:
            client.csrf = await client.token_from("/login")
            response = await client.http.post(
                inbox.url + "/login",
                data={
                    "username": username,
                    "password": PASSWORD,
                    "csrf_token": client.csrf,
                    "next": asked,
                },
                allow_redirects=False,
            )
            assert response.status == 302
            assert response.headers["Location"] == expected
        finally:
            await client.close()


async def test_login_form_needs_the_csrf_token(inbox: Inbox) -> None:
    username = await new_agent(inbox)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await http.get(inbox.url + "/login")
        response = await http.post(
            inbox.url + "/login",
            data={"username": username, "password": PASSWORD},
            allow_redirects=False,
        )
        assert response.status == 403


async def test_api_writes_need_the_csrf_header(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    conversation = await handed_off_conversation(inbox)
    try:
        missing = await client.post(f"/api/conversations/{conversation.id}/claim", csrf=False)
        assert missing.status == 403
        assert (await missing.json())["error"] == "forbidden"
        wrong = await client.http.post(
            f"{inbox.url}/api/conversations/{conversation.id}/claim",
            headers={"X-CSRF-Token": "forged"},
        )
        assert wrong.status == 403
        right = await client.post(f"/api/conversations/{conversation.id}/claim")
        assert right.status == 200
    finally:
        await client.close()


async def test_logout_needs_post_and_csrf_and_ends_the_session(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        assert (await client.get("/logout")).status == 405
        forged = await client.http.post(inbox.url + "/logout", allow_redirects=False)
        assert forged.status == 403
        assert (await client.get("/")).status == 200
        response = await client.http.post(
            inbox.url + "/logout", data={"csrf_token": client.csrf}, allow_redirects=False
        )
        assert response.status == 302
        assert response.headers["Location"] == "/login"
        assert (await client.get("/")).status == 302
        assert (await client.get("/api/queue")).status == 401
    finally:
        await client.close()


async def test_repeated_failures_are_rate_limited(inbox: Inbox) -> None:
    username = await new_agent(inbox, "Limited")
    client = AgentClient(inbox.url)
    try:
        for _ in range(5):
            assert (await client.login(username, "guess")).status == 401
        blocked = await client.login(username, PASSWORD)  # even the right one, for now
        assert blocked.status == 429
        assert int(blocked.headers["Retry-After"]) > 0
    finally:
        await client.close()


async def test_security_headers_on_pages_api_and_errors(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        for path in ["/", "/api/queue", "/conversations/999999", "/login"]:
            response = await client.get(path)
            csp = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
            assert "frame-ancestors 'none'" in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "same-origin"
            assert response.headers["Cache-Control"] == "no-store"
    finally:
        await client.close()


async def test_websocket_from_another_origin_is_refused(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.http.ws_connect(
                inbox.url + "/ws", headers={"Origin": "https://evil.example"}
            )
        assert refused.value.status == 403
        socket = await client.http.ws_connect(inbox.url + "/ws", headers={"Origin": inbox.url})
        assert (await socket.receive_json(timeout=5))["type"] == "hello"
        await socket.close()
    finally:
        await client.close()
