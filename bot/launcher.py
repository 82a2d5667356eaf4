"""Starts and supervises Kramar's processes: `python -m bot.launcher`.

One process per room (shop backend, action server, Rasa), each logging to its
own file under var/log. The launcher checks ports first, waits until every
service answers its health check, prints the URLs, and stops everything
cleanly on Ctrl-C, on SIGTERM, or when one of them dies. The tests start the
same `Stack` on other ports.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from bot.haproxy import config_for
from bot.settings import PROJECT_ROOT, VAR_DIR, Settings

ENV_FILE = Path(os.environ.get("KRAMAR_ENV_FILE") or PROJECT_ROOT / ".env")


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


# Secrets the first run generates into .env, and how.
GENERATED_SECRETS = {
    "RASA_TOKEN": lambda: secrets.token_urlsafe(24),
    "SHOP_API_KEY": lambda: secrets.token_urlsafe(24),
    "GATEWAY_SECRET": lambda: secrets.token_urlsafe(32),
    "INBOX_SESSION_KEY": _fernet_key,
    "SHOP_WEBHOOK_SECRET": lambda: secrets.token_urlsafe(32),
    "SHOP_ADMIN_TOKEN": lambda: secrets.token_urlsafe(24),
}


class LaunchError(Exception):
    """A step of the start-up failed; the message says which and why."""


@dataclass(frozen=True)
class Service:
    name: str
    port_variable: str
    port: int
    command: list[str]
    health_url: str
    start_timeout: float


def load_environment(env_file: Path = ENV_FILE) -> dict[str, str]:
    """The process environment over `.env`, with missing secrets generated.

    Secrets are never in git: the first run writes random ones to `.env`
    (git-ignored, readable only by its owner) so later runs reuse them.
    """
    env = {**{k: v for k, v in dotenv_values(env_file).items() if v is not None}}
    env.update(os.environ)
    missing = [name for name in GENERATED_SECRETS if not env.get(name)]
    if missing:
        with env_file.open("a", encoding="utf-8") as handle:
            for name in missing:
                env[name] = GENERATED_SECRETS[name]()
                handle.write(f"{name}={env[name]}\n")
        env_file.chmod(0o600)
        print(f"Generated {', '.join(missing)} in {env_file.name} (kept out of git).")
    return env


def model_path(env: Mapping[str, str]) -> Path:
    path = Path(env.get("RASA_MODEL", PROJECT_ROOT / "models" / "kramar.tar.gz"))
    if not path.exists():
        raise LaunchError(
            f"step 'model': no trained model at {path}; run `make run`, which trains it."
        )
    return path


def rasa_command(settings: Settings, env: Mapping[str, str], port: int) -> list[str]:
    endpoints = "endpoints.production.yml" if settings.production else "endpoints.yml"
    return [
        str(Path(sys.executable).with_name("rasa")),
        "run",
        "--model",
        str(model_path(env)),
        "--enable-api",
        # One argument: a random token may start with "-", which argparse
        # would take for an option.
        f"--auth-token={settings.rasa_token}",
        "--interface",
        settings.host,
        "--port",
        str(port),
        "--endpoints",
        endpoints,
        "--credentials",
        "credentials.yml",
    ]


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next(
        (path for path in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(path).exists()),
        None,
    )


def rasa_services(settings: Settings, env: Mapping[str, str], run_dir: Path) -> list[Service]:
    """One Rasa server, or in production its replicas and HAProxy in front."""
    base = f"http://{settings.host}"
    status = "/status?token=" + settings.rasa_token
    if settings.rasa_replicas == 1:
        ports = {"Rasa server": settings.rasa_port}
    else:
        ports = {
            f"Rasa replica {number}": port
            for number, port in enumerate(settings.rasa_replica_ports, start=1)
        }
    replicas = [
        Service(
            name,
            "RASA_REPLICA_PORTS" if name != "Rasa server" else "RASA_PORT",
            port,
            rasa_command(settings, env, port),
            f"{base}:{port}{status}",
            300,
        )
        for name, port in ports.items()
    ]
    if settings.rasa_replicas == 1:
        return replicas
    # Answers once a replica behind it does: the whole path is checked.
    balancer = Service(
        "HAProxy",
        "RASA_PORT",
        settings.rasa_port,
        [haproxy_binary() or "haproxy", "-db", "-f", str(run_dir / "haproxy.cfg")],
        f"{base}:{settings.rasa_port}{status}",
        300,
    )
    return [*replicas, balancer]


def services(settings: Settings, env: Mapping[str, str], run_dir: Path) -> list[Service]:
    python = sys.executable
    base = f"http://{settings.host}"
    return [
        Service(
            "shop backend",
            "SHOP_PORT",
            settings.shop_port,
            [python, "-m", "bot.shop"],
            f"{base}:{settings.shop_port}/health",
            30,
        ),
        Service(
            "action server",
            "ACTION_SERVER_PORT",
            settings.action_port,
            [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(settings.action_port)],
            f"{base}:{settings.action_port}/health",
            90,
        ),
        Service(
            "inbox and gateway",
            "INBOX_PORT",
            inbox_port(env),
            [python, "-m", "bot.gateway"],
            f"{base}:{inbox_port(env)}/chat/health",
            60,
        ),
        *rasa_services(settings, env, run_dir),
    ]


def production_problems(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """What keeps production mode from starting, each with what to set."""
    problems = []
    for name in ("SHOP_DATABASE_URL", "INBOX_DATABASE_URL"):
        if not env.get(name, "").startswith("postgresql"):
            problems.append(f"{name} must be a PostgreSQL URL (postgresql+asyncpg://...)")
    if not settings.tracker_database_url.startswith("postgresql"):
        problems.append("TRACKER_DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
    else:
        problems += _database_problems(settings.tracker_database_url)
    if settings.rasa_replicas > 1 and haproxy_binary() is None:
        problems.append(
            "HAProxy, which balances the Rasa replicas, is not installed "
            "(apt-get install haproxy; `make run` installs it in production mode)"
        )
    if not settings.redis_url.startswith("redis"):
        problems.append("REDIS_URL must be a Redis URL (redis://host:6379/0)")
    else:
        problems += _redis_problems(settings.redis_url)
    return problems


def _database_problems(url: str) -> list[str]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return []
    except sqlalchemy.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return [f"TRACKER_DATABASE_URL: PostgreSQL is not reachable ({reason})"]
    finally:
        engine.dispose()


def _redis_problems(url: str) -> list[str]:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
        return []
    except redis.RedisError as error:
        return [f"REDIS_URL: Redis is not reachable ({error})"]


def inbox_port(env: Mapping[str, str]) -> int:
    return int(env.get("INBOX_PORT") or 8090)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(process.pid, signum)


class Stack:
    """The running processes of one Kramar installation."""

    def __init__(self, env: Mapping[str, str], log_dir: Path = VAR_DIR / "log") -> None:
        self.settings = Settings.from_env(env)
        self.env = {
            **env,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")])
            ),
            "SANIC_HOST": self.settings.host,
            "ACTION_ENDPOINT_URL": f"http://{self.settings.host}:{self.settings.action_port}/webhook",
            "SHOP_URL": self.settings.shop_url,
            # The shop tells the gateway about shipped orders and paid refunds.
            "SHOP_WEBHOOK_URL": self.settings.shop_webhook_url
            or f"http://{self.settings.host}:{inbox_port(env)}/hooks/shop",
            # Quieter TensorFlow start-up logs.
            "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            "SANIC_WORKERS": str(self.settings.sanic_workers),
            # Several Rasa processes share the cores: one TensorFlow thread each
            # instead of each process spreading over all of them.
            **(
                {
                    "TF_INTRA_OP_PARALLELISM_THREADS": env.get(
                        "TF_INTRA_OP_PARALLELISM_THREADS", "1"
                    ),
                    "TF_INTER_OP_PARALLELISM_THREADS": env.get(
                        "TF_INTER_OP_PARALLELISM_THREADS", "1"
                    ),
                }
                if self.settings.production
                else {}
            ),
            "ACTION_SERVER_SANIC_WORKERS": str(self.settings.action_server_workers),
        }
        self.log_dir = log_dir
        # Files the processes read, beside their logs (var/ for `make run`).
        self.run_dir = log_dir.parent
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._services = {
            service.name: service for service in services(self.settings, self.env, self.run_dir)
        }

    def start(self) -> None:
        """Starts every service and waits until all answer; raises LaunchError."""
        for name in GENERATED_SECRETS:
            if not self.env.get(name):
                raise LaunchError(f"step 'settings': {name} is not set.")
        if self.settings.production:
            problems = production_problems(self.settings, self.env)
            if problems:
                raise LaunchError("step 'production': " + "; ".join(problems) + ".")
        for service in self._services.values():
            if not port_is_free(self.settings.host, service.port):
                raise LaunchError(
                    f"step 'ports': port {service.port} for the {service.name} is already in use; "
                    f"stop what uses it or set {service.port_variable} to another port."
                )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if "HAProxy" in self._services:
            (self.run_dir / "haproxy.cfg").write_text(config_for(self.settings), encoding="utf-8")
        for name in self._services:
            self.start_service(name, wait=False)
        for name in self._services:
            self.wait_for(name)

    def start_service(self, name: str, wait: bool = True) -> None:
        service = self._services[name]
        log = self.log_file(name).open("ab")
        self.processes[name] = subprocess.Popen(
            service.command,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the launcher, which stops children in order
        )
        log.close()
        if wait:
            self.wait_for(name)

    def wait_for(self, name: str) -> None:
        service = self._services[name]
        deadline = time.monotonic() + service.start_timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise LaunchError(
                    f"step 'start {service.name}': it exited with code "
                    f"{self.processes[name].returncode}; see {self.log_file(name)}"
                )
            if _answers(service.health_url):
                return
            time.sleep(0.5)
        raise LaunchError(
            f"step 'start {service.name}': no answer from {service.health_url.split('?')[0]} "
            f"within {service.start_timeout:.0f} s; see {self.log_file(name)}"
        )

    def log_file(self, name: str) -> Path:
        words = name.lower().split()
        stem = "-".join(words[-2:]) if words[-1].isdigit() else words[0]
        return self.log_dir / f"{stem}.log"

    def stop_service(self, name: str, timeout: float = 15) -> None:
        """Stops a service and every process it started (Sanic workers included)."""
        process = self.processes.pop(name, None)
        if process is None:
            return
        # Each service leads its own process group (start_new_session); its
        # workers outlive a stopped parent unless the whole group is signalled.
        _signal_group(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
        _signal_group(process, signal.SIGKILL)  # stragglers
        process.wait()

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop_service(name)

    def dead(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def urls(self) -> dict[str, str]:
        s = self.settings
        return {
            "Chat (REST channel)": f"http://{s.host}:{s.rasa_port}/webhooks/rest/webhook",
            "Rasa HTTP API (token)": f"http://{s.host}:{s.rasa_port}/",
            "Action server": f"http://{s.host}:{s.action_port}/health",
            "Shop backend API": f"http://{s.host}:{s.shop_port}/openapi.json",
            "Support inbox": f"http://{s.host}:{inbox_port(self.env)}/",
            "Customer chat API": f"http://{s.host}:{inbox_port(self.env)}/chat/conversations",
            "Demo shop with widget": f"http://{s.host}:{inbox_port(self.env)}/demo",
        }


def main() -> int:
    try:
        env = load_environment()
        stack = Stack(env)
    except (LaunchError, ValueError) as error:
        print(f"Kramar could not start: {error}", file=sys.stderr)
        return 2

    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    print("Starting Kramar (Rasa takes about a minute to load)...", flush=True)
    try:
        stack.start()
    except LaunchError as error:
        print(f"Kramar could not start: {error}", file=sys.stderr)
        stack.stop()
        return 1

    print("\nKramar is running:")
    for label, url in stack.urls().items():
        print(f"  {label:<24} {url}")
    print(f"  {'Logs':<24} {stack.log_dir}")
    s = stack.settings
    if s.production:
        print(
            f"  {'Mode':<24} production: {s.rasa_replicas} Rasa replica(s) x {s.sanic_workers} "
            f"worker(s){' behind HAProxy' if s.rasa_replicas > 1 else ''}, "
            "conversations in PostgreSQL, locks in Redis"
        )
    else:
        print(f"  {'Mode':<24} local (KRAMAR_MODE=production: see README)")
    if stack.env.get("TELEGRAM_BOT_TOKEN"):
        print(f"  {'Telegram bot':<24} on ({stack.env.get('TELEGRAM_MODE') or 'polling'})")
    else:
        print(f"  {'Telegram bot':<24} off: set TELEGRAM_BOT_TOKEN in .env to start it")
    print(
        "\nTry it:\n"
        f"  curl -s -XPOST http://{stack.settings.host}:{stack.settings.rasa_port}/webhooks/rest/webhook "
        '-H \'Content-Type: application/json\' -d \'{"sender": "me", "message": "where is my order 10001?"}\'\n'
        "\nFirst agent for the inbox (asks for a password):\n"
        "  .venv/bin/python -m bot.inbox create-agent alice --name 'Alice' --admin\n"
        "\nPress Ctrl-C to stop.",
        flush=True,
    )
    code = 0
    while not stopping:
        dead = stack.dead()
        if dead:
            print(f"Stopping: the {', '.join(dead)} exited; see {stack.log_dir}", file=sys.stderr)
            code = 1
            break
        time.sleep(0.5)
    print("Stopping Kramar...", flush=True)
    stack.stop()
    print("Stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
