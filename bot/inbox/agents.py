"""Support agents: creating accounts and checking passwords (bcrypt)."""

from __future__ import annotations

import asyncio
import functools
import re

import bcrypt
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.clock import utc_now
from bot.conversations.models import Agent
from bot.conversations.tables import agents
from bot.inbox.errors import Conflict, InvalidRequest

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 8
# bcrypt only reads the first 72 bytes (and bcrypt 5 refuses longer input).
MAX_PASSWORD_BYTES = 72
# About a quarter second per hash on a laptop: cheap to log in, slow to guess.
BCRYPT_ROUNDS = 12


@functools.cache
def _dummy_hash() -> bytes:
    # Checked against when the username is unknown, so both paths cost the same.
    return bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(rounds=BCRYPT_ROUNDS))


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"The password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise InvalidRequest(f"The password may be at most {MAX_PASSWORD_BYTES} bytes long")


async def create_agent(
    engine: AsyncEngine,
    *,
    username: str,
    display_name: str,
    password: str,
    is_admin: bool = False,
    rounds: int = BCRYPT_ROUNDS,
) -> Agent:
    username = normalise_username(username)
    display_name = display_name.strip()
    if not USERNAME.match(username):
        raise InvalidRequest("The username needs 2-64 characters: letters, digits, '.', '_' or '-'")
    if not display_name or len(display_name) > 100:
        raise InvalidRequest("The display name needs 1-100 characters")
    check_password_rules(password)
    hashed = await asyncio.to_thread(
        bcrypt.hashpw, password.encode(), bcrypt.gensalt(rounds=rounds)
    )
    try:
        async with engine.begin() as conn:
            inserted = await conn.execute(
                agents.insert().values(
                    username=username,
                    display_name=display_name,
                    password_hash=hashed.decode(),
                    is_admin=is_admin,
                    created_at=utc_now(),
                )
            )
    except IntegrityError:
        raise Conflict(f"An agent named {username!r} already exists") from None
    found = await get_agent(engine, int(inserted.inserted_primary_key[0]))
    assert found is not None
    return found


async def get_agent(engine: AsyncEngine, agent_id: int) -> Agent | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(agents).where(agents.c.id == agent_id))).one_or_none()
    return None if row is None else _to_agent(row)


async def authenticate(engine: AsyncEngine, username: str, password: str) -> Agent | None:
    """The agent whose username and password these are, else None (same cost either way)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(agents).where(agents.c.username == normalise_username(username))
            )
        ).one_or_none()
    candidate = password.encode()
    usable = row is not None and len(candidate) <= MAX_PASSWORD_BYTES
    stored = row.password_hash.encode() if usable else _dummy_hash()
    matches = await asyncio.to_thread(bcrypt.checkpw, candidate[:MAX_PASSWORD_BYTES], stored)
    return _to_agent(row) if usable and matches else None


def _to_agent(row: Row) -> Agent:
    return Agent(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        is_admin=bool(row.is_admin),
        created_at=row.created_at,
    )
