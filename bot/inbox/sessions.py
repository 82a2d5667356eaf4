"""Who is logged in, and the CSRF token that goes with the session.

The session lives in an encrypted cookie (aiohttp-session + Fernet): it holds
the agent id and a random CSRF token, nothing else.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_session import Session, get_session, new_session

from bot.conversations.models import Agent
from bot.inbox import agents
from bot.inbox.keys import ENGINE

COOKIE_NAME = "kramar_inbox"
SESSION_MAX_AGE = 12 * 60 * 60
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_AGENT = "inbox_agent"
_AGENT_ID = "agent_id"
_CSRF = "csrf"


async def csrf_token(request: web.Request) -> str:
    """This session's token, created on first use (also for the login form)."""
    session = await get_session(request)
    token = session.get(_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_CSRF] = token
    return token


def csrf_matches(session: Session, provided: str | None) -> bool:
    expected = session.get(_CSRF)
    if not isinstance(expected, str) or not provided:
        return False
    return hmac.compare_digest(expected.encode(), provided.encode())


async def load_agent(request: web.Request) -> Agent | None:
    """The logged-in agent, checked against the database (a deleted account is out at once)."""
    session = await get_session(request)
    agent_id = session.get(_AGENT_ID)
    if not isinstance(agent_id, int):
        return None
    agent = await agents.get_agent(request.app[ENGINE], agent_id)
    if agent is not None:
        request[_AGENT] = agent
    return agent


def current_agent(request: web.Request) -> Agent:
    """The agent the auth middleware let in; every protected handler may rely on it."""
    agent = request.get(_AGENT)
    if not isinstance(agent, Agent):
        raise web.HTTPUnauthorized()
    return agent


def optional_agent(request: web.Request) -> Agent | None:
    agent = request.get(_AGENT)
    return agent if isinstance(agent, Agent) else None


async def log_in(request: web.Request, agent: Agent) -> None:
    # A brand-new session and CSRF token: nothing from before the login carries over.
    session = await new_session(request)
    session[_AGENT_ID] = agent.id
    session[_CSRF] = secrets.token_urlsafe(32)
    request[_AGENT] = agent


async def log_out(request: web.Request) -> None:
    session = await get_session(request)
    session.invalidate()


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path on this site, never another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def login_url(next_path: str) -> str:
    return "/login" if next_path in ("", "/") else "/login?" + urlencode({"next": next_path})
