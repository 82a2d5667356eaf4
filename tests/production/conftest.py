"""Kramar in production mode, on real PostgreSQL and Redis (tests/support/infra.py).

Two Rasa replicas (each with two Sanic workers) behind HAProxy, the
tracker store in PostgreSQL, the lock store in Redis, and the shop and inbox
on PostgreSQL too: the same `Stack` that `KRAMAR_MODE=production make run` starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.launcher import GENERATED_SECRETS, Stack
from tests.support import infra
from tests.support.shop import ShopApi
from tests.support.stack import free_port, running_stack


def asyncpg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(False)


@pytest.fixture(scope="session")
def databases() -> Iterator[dict[str, str]]:
    assert infra.postgres_answers(), f"PostgreSQL is not reachable at {infra.POSTGRES_ADMIN_URL}"
    assert infra.redis_answers(), f"Redis is not reachable at {infra.REDIS_TEST_URL}"
    with infra.scratch_databases("tracker", "shop", "inbox") as urls:
        yield urls


@pytest.fixture(scope="session")
def production(
    tmp_path_factory: pytest.TempPathFactory, databases: dict[str, str]
) -> Iterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("production")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
        "KRAMAR_MODE": "production",
        "KRAMAR_HOST": "127.0.0.1",
        "RASA_PORT": str(free_port()),
        "RASA_REPLICAS": "2",
        "RASA_REPLICA_PORTS": f"{free_port()},{free_port()}",
        "SANIC_WORKERS": "2",
        "ACTION_SERVER_SANIC_WORKERS": "2",
        "ACTION_SERVER_PORT": str(free_port()),
        "SHOP_PORT": str(free_port()),
        "INBOX_PORT": str(free_port()),
        "TRACKER_DATABASE_URL": databases["tracker"],
        "SHOP_DATABASE_URL": asyncpg_url(databases["shop"]),
        "INBOX_DATABASE_URL": asyncpg_url(databases["inbox"]),
        "REDIS_URL": infra.REDIS_TEST_URL,
        # Short, so a hung action server is noticed quickly in the tests.
        "ACTION_TIMEOUT_SECONDS": "5",
        # Fresh secrets, as `make run` generates them into .env.
        **{name: generate() for name, generate in GENERATED_SECRETS.items()},
    }
    env.pop("SHOP_URL", None)
    with running_stack(env, workdir) as running:
        yield running


@pytest.fixture(scope="session")
def balancer_url(production: Stack) -> str:
    return f"http://127.0.0.1:{production.settings.rasa_port}"


@pytest.fixture(scope="session")
def replica_urls(production: Stack) -> list[str]:
    return [f"http://127.0.0.1:{port}" for port in production.settings.rasa_replica_ports]


@pytest.fixture(scope="session")
def production_shop(production: Stack) -> ShopApi:
    return ShopApi(production.settings.shop_url, production.settings.shop_api_key)
