"""One typed settings object, read from the environment.

Every variable is documented in `.env.example`; defaults are the embedded
local set-up (`make run`): everything on 127.0.0.1, SQLite, no outside service.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


MODES = ("local", "production")


def _positive(value: float, name: str) -> float:
    if not value > 0:
        raise ValueError(f"{name} must be above 0, got {value}")
    return value


@dataclass(frozen=True)
class Limits:
    """Abuse limits of the customer API, each "at most N per window" (see README "Limits")."""

    conversations_per_address: int
    conversations_window_seconds: float
    messages_per_minute: int
    uploads_per_conversation: int
    upload_bytes_per_conversation: int
    uploads_window_seconds: float
    # Failed verifications of one order number, from any conversation (the shop counts).
    verification_failures_per_order: int
    verification_window_seconds: float
    # Proxies in front of the gateway whose X-Forwarded-For names the client.
    trusted_proxies: frozenset[str]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Limits:
        def number(name: str, default: float) -> float:
            return _positive(_float(env, name, default), name)

        proxies = env.get("CHAT_TRUSTED_PROXIES", "").split(",")
        return cls(
            conversations_per_address=int(number("CHAT_CONVERSATIONS_PER_ADDRESS", 30)),
            conversations_window_seconds=number("CHAT_CONVERSATIONS_WINDOW_SECONDS", 600),
            messages_per_minute=int(number("CHAT_MESSAGES_PER_MINUTE", 20)),
            uploads_per_conversation=int(number("CHAT_UPLOADS_PER_CONVERSATION", 10)),
            upload_bytes_per_conversation=int(
                # Below one photo's 5 MB no photo could ever fit.
                max(5.0, number("CHAT_UPLOAD_MB_PER_CONVERSATION", 25)) * 1024 * 1024
            ),
            uploads_window_seconds=number("CHAT_UPLOADS_WINDOW_SECONDS", 86400),
            verification_failures_per_order=int(number("SHOP_VERIFICATION_FAILURES_PER_ORDER", 10)),
            verification_window_seconds=number("SHOP_VERIFICATION_WINDOW_SECONDS", 900),
            trusted_proxies=frozenset(p.strip() for p in proxies if p.strip()),
        )


def _ports(env: Mapping[str, str], name: str, first: int, count: int) -> tuple[int, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return tuple(range(first, first + count))
    try:
        ports = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise ValueError(f"{name} must be comma-separated port numbers, got {raw!r}") from None
    if len(ports) != count:
        raise ValueError(f"{name} must name {count} ports (RASA_REPLICAS), got {raw!r}")
    return ports


@dataclass(frozen=True)
class Settings:
    host: str
    rasa_port: int
    rasa_url: str
    action_port: int
    shop_port: int
    rasa_token: str
    shop_api_key: str
    shop_url: str
    shop_database_url: str
    shop_timeout_seconds: float
    shop_read_retries: int
    # KRAMAR_MODE=production: conversations in PostgreSQL, locks in Redis,
    # several Rasa replicas (each with SANIC_WORKERS processes) behind HAProxy.
    mode: str
    tracker_database_url: str
    redis_url: str
    rasa_replicas: int
    rasa_replica_ports: tuple[int, ...]
    sanic_workers: int
    action_server_workers: int
    # Turns HAProxy lets one replica work on at once (0: no limit), and how long
    # a turn may wait in its queue for a place.
    balancer_maxconn: int
    balancer_queue_seconds: float
    # How often each Rasa process looks for a newly trained model (0: never).
    model_reload_seconds: float
    # Signs the gateway's conversation tokens (the launcher generates one for `make run`).
    gateway_secret: str
    # How long Rasa waits for one call to the action server (bot/turn_guard.py).
    action_timeout_seconds: float
    # The shop's rules and self-service answers (bot/policy.py).
    policy_file: Path
    limits: Limits
    # Customers' uploaded photos (the widget stores, retention and erasure delete them).
    upload_dir: Path
    # Order updates the shop pushes (issue 20): the shop signs its webhooks to
    # SHOP_WEBHOOK_URL with the secret and the gateway checks them with the same one.
    shop_webhook_url: str = ""
    shop_webhook_secret: str = ""
    # Shop staff's token for the reference shop's admin endpoints (ship, deliver, refund).
    shop_admin_token: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        host = env.get("KRAMAR_HOST", "127.0.0.1")
        shop_port = _int(env, "SHOP_PORT", 8080)
        rasa_port = _int(env, "RASA_PORT", 5005)
        mode = env.get("KRAMAR_MODE", "").strip() or "local"
        if mode not in MODES:
            raise ValueError(f"KRAMAR_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        replicas = _int(env, "RASA_REPLICAS", 2) if mode == "production" else 1
        if replicas < 1:
            raise ValueError("RASA_REPLICAS must be at least 1")
        return cls(
            host=host,
            rasa_port=rasa_port,
            rasa_url=(env.get("RASA_URL", "").strip() or f"http://{host}:{rasa_port}").rstrip("/"),
            action_port=_int(env, "ACTION_SERVER_PORT", 5055),
            shop_port=shop_port,
            rasa_token=env.get("RASA_TOKEN", ""),
            shop_api_key=env.get("SHOP_API_KEY", ""),
            shop_url=env.get("SHOP_URL", f"http://{host}:{shop_port}").rstrip("/"),
            shop_database_url=env.get(
                "SHOP_DATABASE_URL", f"sqlite+aiosqlite:///{VAR_DIR / 'shop.db'}"
            ),
            shop_timeout_seconds=_float(env, "SHOP_TIMEOUT_SECONDS", 3.0),
            shop_read_retries=_int(env, "SHOP_READ_RETRIES", 2),
            mode=mode,
            tracker_database_url=env.get("TRACKER_DATABASE_URL", "").strip(),
            redis_url=env.get("REDIS_URL", "").strip(),
            rasa_replicas=replicas,
            rasa_replica_ports=_ports(env, "RASA_REPLICA_PORTS", rasa_port + 1, replicas),
            # Replicas x workers = the cores: more processes than cores only queue.
            sanic_workers=_int(env, "SANIC_WORKERS", 1),
            action_server_workers=_int(
                env, "ACTION_SERVER_SANIC_WORKERS", 2 if mode == "production" else 1
            ),
            balancer_maxconn=_int(env, "BALANCER_MAXCONN", 2),
            balancer_queue_seconds=_float(env, "BALANCER_QUEUE_SECONDS", 30.0),
            model_reload_seconds=_float(env, "MODEL_RELOAD_SECONDS", 2.0),
            gateway_secret=env.get("GATEWAY_SECRET", ""),
            action_timeout_seconds=_float(env, "ACTION_TIMEOUT_SECONDS", 15.0),
            policy_file=Path(
                env.get("SHOP_POLICY_FILE", "").strip() or PROJECT_ROOT / "bot" / "shop_policy.yml"
            ),
            limits=Limits.from_env(env),
            upload_dir=Path(env.get("WIDGET_UPLOAD_DIR", "").strip() or VAR_DIR / "uploads"),
            shop_webhook_url=env.get("SHOP_WEBHOOK_URL", "").strip(),
            shop_webhook_secret=env.get("SHOP_WEBHOOK_SECRET", ""),
            shop_admin_token=env.get("SHOP_ADMIN_TOKEN", ""),
        )

    @property
    def production(self) -> bool:
        return self.mode == "production"
