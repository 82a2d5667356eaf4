"""The inbox's settings, read once from the environment into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from bot.settings import PROJECT_ROOT, VAR_DIR, Settings

DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{VAR_DIR / 'inbox.db'}"
KEY_HINT = (
    "generate one with: python -c "
    '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def check_session_key(raw: str) -> str:
    """The key itself if Fernet accepts it; otherwise a ValueError that says what to do."""
    key = raw.strip()
    if not key:
        raise ValueError(f"INBOX_SESSION_KEY is not set; {KEY_HINT}")
    try:
        Fernet(key.encode())
    except ValueError:
        raise ValueError(
            f"INBOX_SESSION_KEY is not a valid key (32 url-safe base64-encoded bytes); {KEY_HINT}"
        ) from None
    return key


@dataclass(frozen=True)
class InboxSettings:
    host: str
    port: int
    database_url: str
    session_key: str
    # True in production (HTTPS); false by default so http://localhost works.
    cookie_secure: bool
    retention_days: int
    rasa_url: str
    rasa_token: str
    shop_url: str
    shop_api_key: str
    shop_timeout_seconds: float
    domain_path: Path
    # Customers' photos, deleted with their transcripts (retention, erasure).
    upload_dir: Path

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, require_session_key: bool = True
    ) -> InboxSettings:
        """Settings from ``env`` (default ``os.environ``).

        Commands that only touch the database (migrate, create-agent, purge,
        erase) pass ``require_session_key=False``: they never set a cookie.
        """
        env = os.environ if env is None else env
        # Host, shop and Rasa defaults come from the shared settings, so both agree.
        shared = Settings.from_env(env)
        raw_key = env.get("INBOX_SESSION_KEY", "")
        session_key = check_session_key(raw_key) if require_session_key else raw_key.strip()
        return cls(
            host=shared.host,
            port=_positive_int(env, "INBOX_PORT", 8090),
            database_url=env.get("INBOX_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            session_key=session_key,
            cookie_secure=_bool(env, "INBOX_COOKIE_SECURE", False),
            retention_days=_positive_int(env, "TRANSCRIPT_RETENTION_DAYS", 180),
            rasa_url=shared.rasa_url,
            rasa_token=shared.rasa_token,
            shop_url=shared.shop_url,
            shop_api_key=shared.shop_api_key,
            shop_timeout_seconds=shared.shop_timeout_seconds,
            domain_path=PROJECT_ROOT / "domain.yml",
            upload_dir=shared.upload_dir,
        )
