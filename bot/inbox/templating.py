"""Jinja2 set-up (autoescape on for every template) and the page renderer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.conversations.clock import to_iso, utc_now
from bot.conversations.models import REASON_LABELS, STATE_LABELS
from bot.inbox import formats
from bot.inbox.keys import TEMPLATES
from bot.inbox.sessions import csrf_token, optional_agent

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_ROUTE = "inbox.static"


def setup_templates(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        app_key=TEMPLATES,
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        # Customer text is untrusted: escaping is on everywhere, not per extension.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        iso=to_iso,
        reason_label=lambda reason: REASON_LABELS.get(reason, reason) if reason else "—",
        state_label=lambda state: STATE_LABELS.get(state, state),
        percent=formats.percent,
        short_time=formats.date_time,
        day=formats.day,
        waited=lambda since: formats.wait_duration(_seconds_since(since)) if since else "–",
        wait_level=lambda since: formats.wait_level(_seconds_since(since)) if since else "ok",
    )
    env.globals.update(
        date_hint=formats.DATE_HINT,
        wait_long_seconds=formats.WAIT_LONG_SECONDS,
        wait_overdue_seconds=formats.WAIT_OVERDUE_SECONDS,
    )

    def asset(name: str) -> str:
        static = app.router[STATIC_ROUTE]
        assert isinstance(static, web.StaticResource)
        # ?v=<hash> lets browsers cache assets until they change.
        return str(static.url_for(filename=name, append_version=True))

    env.globals["asset"] = asset


async def render(
    request: web.Request, name: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    full = {
        "agent": optional_agent(request),
        "csrf_token": await csrf_token(request),
        "nav": "",
        **context,
    }
    return aiohttp_jinja2.render_template(name, request, full, app_key=TEMPLATES, status=status)


def render_error_page(request: web.Request, status: int, title: str, message: str) -> web.Response:
    """An error page that needs no session: it may be shown when the session is the problem."""
    text = aiohttp_jinja2.render_string(
        "error.html",
        request,
        {"status": status, "title": title, "message": message, "agent": optional_agent(request)},
        app_key=TEMPLATES,
    )
    return web.Response(text=text, status=status, content_type="text/html")


def _seconds_since(value: datetime) -> float:
    return (utc_now() - value).total_seconds()
