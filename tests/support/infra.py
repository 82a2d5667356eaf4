"""The machine's real PostgreSQL and Redis: brought up, scratch databases, restarts.

Production tests use the servers at KRAMAR_TEST_POSTGRES_URL and
KRAMAR_TEST_REDIS_URL (default 127.0.0.1:5432 and 127.0.0.1:6379) and fail
(never skip) when they are not there. `make test` first runs
`python -m tests.support.infra`: when no server answers there, it installs
Debian's packages if they are missing and starts private instances (a
PostgreSQL cluster named `kramar`, trust auth for local connections; a
Redis with its files in ~/.cache/kramar/redis), on the same port when it is
free, else on a free one, and prints the URLs to export for the tests. The
machine's own servers, when they answer, are used as they are.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

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


PRIVATE_CLUSTER = "kramar"
PRIVATE_REDIS_DIR = Path.home() / ".cache" / "kramar" / "redis"


def _port(url: str, default: int) -> int:
    return urlsplit(url).port or default


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=f"{user}{parts.hostname}:{port}").geturl()


def _clusters() -> list[tuple[str, str, int]]:
    """Debian's PostgreSQL clusters on this machine, (version, name, port), the running first."""
    if not shutil.which("pg_lsclusters"):
        return []
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True, timeout=30
    )
    rows = [line.split() for line in listed.stdout.splitlines()]
    # A package install may leave a stopped `main` on the port the private cluster took.
    rows.sort(key=lambda row: (row[3] != "online", row[1] != PRIVATE_CLUSTER))
    return [(version, name, int(port)) for version, name, port, *_ in rows]


def _postgres(verb: str) -> None:
    """Starts, stops or restarts the test server: only its own cluster, if Debian's tools know it."""
    port = _port(POSTGRES_ADMIN_URL, 5432)
    cluster = next((c for c in _clusters() if c[2] == port), None)
    command = ["pg_ctlcluster", cluster[0], cluster[1], verb] if cluster else None
    subprocess.run(
        command or ["service", "postgresql", verb], check=True, capture_output=True, timeout=60
    )


def _wait(check: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come back within {timeout:.0f} s")


def postgres_up() -> None:
    if not postgres_answers():
        _postgres("start")
        _wait(postgres_answers, "PostgreSQL")


@contextmanager
def postgres_stopped() -> Iterator[None]:
    _postgres("stop")
    try:
        yield
    finally:
        postgres_up()


def restart_postgres() -> None:
    _postgres("restart")
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


# ---------------------------------------------------------------- `make test`'s set-up


def _say(text: str) -> None:
    print(f"step 'services': {text}", file=sys.stderr, flush=True)


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_from(port: int) -> int:
    while not _port_is_free(port):
        port += 1
    return port


def _apt_install(package: str) -> None:
    _say(f"installing Debian's {package}...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise SystemExit(
                f"step 'services': `{shlex.join(command)}` failed:\n{done.stderr[-2000:]}"
            )


def _private_postgres() -> str:
    """Starts the `kramar` cluster (created on first use); returns its admin URL."""
    if not shutil.which("pg_createcluster"):
        _apt_install("postgresql")
    cluster = next((c for c in _clusters() if c[1] == PRIVATE_CLUSTER), None)
    if cluster is None:
        version = max(os.listdir("/usr/lib/postgresql"), key=int)
        port = _free_port_from(_port(POSTGRES_ADMIN_URL, 5432))
        _say(f"creating PostgreSQL {version} cluster '{PRIVATE_CLUSTER}' on port {port}...")
        subprocess.run(
            [
                *("pg_createcluster", "--port", str(port), "--start-conf", "manual"),
                *(version, PRIVATE_CLUSTER, "--", "--auth=trust"),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster = (version, PRIVATE_CLUSTER, port)
    version, name, port = cluster
    _say(f"starting PostgreSQL cluster {version}/{name} on port {port}...")
    subprocess.run(
        ["pg_ctlcluster", version, name, "start"], check=False, capture_output=True, timeout=120
    )
    return _with_port(POSTGRES_ADMIN_URL, port)


def _private_redis() -> str:
    """Starts a Redis that keeps nothing on disk; returns its URL."""
    if not shutil.which("redis-server"):
        _apt_install("redis-server")
    port = _free_port_from(_port(REDIS_TEST_URL, 6379))
    PRIVATE_REDIS_DIR.mkdir(parents=True, exist_ok=True)
    _say(f"starting Redis on port {port} (files in {PRIVATE_REDIS_DIR})...")
    subprocess.run(
        [
            *("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port)),
            *("--save", "", "--appendonly", "no", "--dir", str(PRIVATE_REDIS_DIR)),
            *("--logfile", str(PRIVATE_REDIS_DIR / f"redis-{port}.log")),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return _with_port(REDIS_TEST_URL, port)


def bring_up() -> dict[str, str]:
    """The servers the tests use, started when none answers; the variables naming them."""
    global POSTGRES_ADMIN_URL, REDIS_TEST_URL
    if not postgres_answers():
        _say(f"no PostgreSQL answers at {POSTGRES_ADMIN_URL}")
        POSTGRES_ADMIN_URL = _private_postgres()
        _wait(postgres_answers, f"PostgreSQL at {POSTGRES_ADMIN_URL}", timeout=60)
    if not redis_answers():
        _say(f"no Redis answers at {REDIS_TEST_URL}")
        REDIS_TEST_URL = _private_redis()
        _wait(redis_answers, f"Redis at {REDIS_TEST_URL}")
    asyncpg = POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    found = {
        "KRAMAR_TEST_POSTGRES_URL": POSTGRES_ADMIN_URL,
        "KRAMAR_TEST_REDIS_URL": REDIS_TEST_URL,
        # The shop's and the inbox's PostgreSQL tests, on the same server.
        "SHOP_TEST_POSTGRES_URL": asyncpg,
        "INBOX_TEST_POSTGRES_URL": asyncpg,
    }
    return {name: os.environ.get(name) or url for name, url in found.items()}


def main() -> int:
    """`eval "$(python -m tests.support.infra)"`: exports for the test run."""
    try:
        found = bring_up()
    except subprocess.CalledProcessError as error:
        _say(f"`{shlex.join(error.cmd)}` failed: {(error.stderr or b'').decode()[-2000:]}")
        return 1
    except (RuntimeError, OSError) as error:
        _say(str(error))
        return 1
    for variable, value in found.items():
        print(f"export {variable}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
