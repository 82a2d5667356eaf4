"""Pure pieces: settings, chart geometry, NLU lines, intents, rate limiting, redirects."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.inbox.charts import columns, nice_maximum, ring, rows
from bot.inbox.config import DEFAULT_DATABASE_URL, InboxSettings
from bot.inbox.domain import load_intents
from bot.inbox.exports import nlu_yaml, training_line
from bot.inbox.ratelimit import LoginLimiter
from bot.inbox.sessions import safe_next
from bot.settings import PROJECT_ROOT

KEY = Fernet.generate_key().decode()


def test_settings_defaults() -> None:
    settings = InboxSettings.from_env({"INBOX_SESSION_KEY": KEY})
    assert settings.port == 8090
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert DEFAULT_DATABASE_URL.endswith("/var/inbox.db")
    assert settings.cookie_secure is False
    assert settings.retention_days == 180
    assert settings.shop_url == "http://127.0.0.1:8080"
    assert settings.rasa_url == "http://127.0.0.1:5005"


def test_settings_from_the_environment() -> None:
    settings = InboxSettings.from_env(
        {
            "INBOX_SESSION_KEY": f"  {KEY}\n",
            "INBOX_PORT": "9000",
            "INBOX_DATABASE_URL": "postgresql+asyncpg://kramar@db/inbox",
            "INBOX_COOKIE_SECURE": "true",
            "TRANSCRIPT_RETENTION_DAYS": "30",
            "RASA_URL": "http://rasa:5005/",
            "SHOP_URL": "https://shop.example/",
            "SHOP_API_KEY": "k",
        }
    )
    assert (settings.port, settings.retention_days, settings.cookie_secure) == (9000, 30, True)
    assert settings.session_key == KEY
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.shop_url == "https://shop.example"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "INBOX_SESSION_KEY is not set"),
        ({"INBOX_SESSION_KEY": "short"}, "not a valid key"),
        ({"INBOX_SESSION_KEY": KEY, "INBOX_PORT": "http"}, "INBOX_PORT must be a whole number"),
        ({"INBOX_SESSION_KEY": KEY, "INBOX_COOKIE_SECURE": "maybe"}, "INBOX_COOKIE_SECURE"),
        ({"INBOX_SESSION_KEY": KEY, "TRANSCRIPT_RETENTION_DAYS": "0"}, "at least 1"),
    ],
)
def test_settings_fail_clearly(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        InboxSettings.from_env(env)


def test_database_commands_need_no_session_key() -> None:
    assert InboxSettings.from_env({}, require_session_key=False).session_key == ""


def test_chart_geometry() -> None:
    assert [nice_maximum(v) for v in (0, 3, 7, 13, 230)] == [1, 3, 8, 15, 250]
    chart = columns([("a", 0), ("b", 5), ("c", 10)], width=330, height=236)
    assert chart.bars[2].height == 200 and chart.bars[0].height == 0
    assert chart.bars[1].y == pytest.approx(110)
    assert [tick.label for tick in chart.ticks] == ["0", "5", "10"]
    assert [tick.label for tick in columns([("a", 3)]).ticks] == ["0", "3"]
    assert columns([("a", 0)]).empty
    horizontal = rows([("x", 4), ("y", 1)], width=300, label_width=100)
    assert horizontal.bars[0].width == pytest.approx(156)
    assert horizontal.bars[1].width == pytest.approx(39)
    assert ring(None).percent is None
    assert ring(0.5).filled == pytest.approx(ring(1).filled / 2, abs=0.01)


def test_training_lines_are_single_safe_lines() -> None:
    assert training_line("  two\nlines\r\n\tand tab ") == "two lines and tab"
    assert training_line('see [this](order_id) and [x]{"entity": "y"}') == (
        'see (this)(order_id) and (x){"entity": "y"}'
    )
    assert training_line("bell\x07 and\u2028separator") == "bell and separator"
    assert nlu_yaml([], generated_at="now").endswith("nlu: []\n")


def test_intents_come_from_the_domain() -> None:
    intents = load_intents(PROJECT_ROOT / "domain.yml")
    assert "order_status" in intents.trainable
    assert "faq" not in intents.trainable and "faq/shipping_cost" in intents.trainable
    assert "faq" in intents.predicted and "nlu_fallback" in intents.predicted


def test_missing_domain_gives_no_choices(tmp_path: Path) -> None:
    assert load_intents(tmp_path / "missing.yml").trainable == ()


def test_login_limiter_locks_and_forgets() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("1.2.3.4", "ann") == 0
        limiter.failed("1.2.3.4", "ann")
    assert limiter.retry_after("1.2.3.4", "ann") == 60
    assert limiter.retry_after("5.6.7.8", "ann") == 0  # another address
    now[0] = 61
    assert limiter.retry_after("1.2.3.4", "ann") == 0


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/conversations/4?x=1", "/conversations/4?x=1"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_next_stays_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
