"""The machine's real PostgreSQL and Redis: scratch databases, restarts.

Production tests use the servers on 127.0.0.1:5432 and 127.0.0.1:6379 and fail
(never skip) when they are not there: `.ci/run` checks them first.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager

import psycopg2
import redis

POSTGRES_ADMIN_URL = os.environ.get(
    "KRAMAR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("KRAMAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _admin() -> psycopg2.extensions.connection:
    connection = psycopg2.connect(POSTGRES_ADMIN_URL, connect_timeout=5)
    connection.autocommit = True
    return connection


@contextmanager
def scratch_databases(*purposes: str) -> Iterator[dict[str, str]]:
    """Fresh PostgreSQL databases, one per purpose, as URLs without a driver; dropped after."""
    names = {purpose: f"kramar_{purpose}_{secrets.token_hex(4)}" for purpose in purposes}
    with closing(_admin()) as admin, admin.cursor() as cursor:
        for name in names.values():
            cursor.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield {purpose: f"{base}/{name}" for purpose, name in names.items()}
    finally:
        postgres_up()
        with closing(_admin()) as admin, admin.cursor() as cursor:
            for name in names.values():
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_answers() -> bool:
    try:
        _admin().close()
        return True
    except psycopg2.OperationalError:
        return False


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _service(name: str, verb: str) -> None:
    subprocess.run(["service", name, verb], check=True, capture_output=True, timeout=60)


def _wait(check: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come back within {timeout:.0f} s")


def postgres_up() -> None:
    if not postgres_answers():
        _service("postgresql", "start")
        _wait(postgres_answers, "PostgreSQL")


@contextmanager
def postgres_stopped() -> Iterator[None]:
    _service("postgresql", "stop")
    try:
        yield
    finally:
        postgres_up()


def restart_postgres() -> None:
    _service("postgresql", "restart")
    _wait(postgres_answers, "PostgreSQL")


def restart_redis() -> None:
    """Shuts Redis down and starts it again with the same settings (it keeps nothing on disk)."""
    client = redis.Redis.from_url(REDIS_TEST_URL, decode_responses=True)
    config = client.config_get("bind") | client.config_get("port") | client.config_get("save")
    with contextlib.suppress(redis.ConnectionError):  # it closes the connection as it stops
        client.shutdown(nosave=True)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            *config["bind"].split(),
            "--port",
            config["port"],
            "--save",
            config["save"],
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    _wait(redis_answers, "Redis")
