"""`make run`'s launcher fails with a message naming the step, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from bot.launcher import GENERATED_SECRETS, PROJECT_ROOT, load_environment, rasa_command
from bot.settings import Settings
from tests.support.stack import free_port


def test_taken_port_is_named(tmp_path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = {
            **os.environ,
            "RASA_PORT": str(port),
            "ACTION_SERVER_PORT": str(free_port()),
            "SHOP_PORT": str(free_port()),
            "RASA_TOKEN": "t",
            "SHOP_API_KEY": "k",
            "GATEWAY_SECRET": "g",
            "INBOX_SESSION_KEY": "s",
            "INBOX_PORT": str(free_port()),
            "RASA_MODEL": str(tmp_path / "model.tar.gz"),
            "KRAMAR_ENV_FILE": str(tmp_path / ".env"),
        }
        (tmp_path / "model.tar.gz").write_bytes(b"")
        result = _launch(env)
    assert result.returncode != 0
    assert "step 'ports'" in result.stderr
    assert f"port {port}" in result.stderr and "RASA_PORT" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_model_is_named(tmp_path) -> None:
    env = {
        **os.environ,
        "RASA_TOKEN": "t",
        "SHOP_API_KEY": "k",
        "RASA_MODEL": str(tmp_path / "none.tar.gz"),
        "KRAMAR_ENV_FILE": str(tmp_path / ".env"),
    }
    result = _launch(env)
    assert result.returncode != 0
    assert "step 'model'" in result.stderr
    assert "Traceback" not in result.stderr


def test_secrets_are_generated_once_and_kept(tmp_path, monkeypatch) -> None:
    for name in GENERATED_SECRETS:
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    first = load_environment(env_file)
    second = load_environment(env_file)
    assert all(first[name] for name in GENERATED_SECRETS)
    assert (first["RASA_TOKEN"], first["SHOP_API_KEY"]) == (
        second["RASA_TOKEN"],
        second["SHOP_API_KEY"],
    )
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"


def _production_env(tmp_path, **overrides: str) -> dict[str, str]:
    (tmp_path / "model.tar.gz").write_bytes(b"")
    return {
        **os.environ,
        "KRAMAR_MODE": "production",
        "RASA_PORT": str(free_port()),
        "RASA_REPLICA_PORTS": f"{free_port()},{free_port()}",
        "ACTION_SERVER_PORT": str(free_port()),
        "SHOP_PORT": str(free_port()),
        "INBOX_PORT": str(free_port()),
        "RASA_TOKEN": "t",
        "SHOP_API_KEY": "k",
        "GATEWAY_SECRET": "g",
        "INBOX_SESSION_KEY": "s",
        "RASA_MODEL": str(tmp_path / "model.tar.gz"),
        "KRAMAR_ENV_FILE": str(tmp_path / ".env"),
        "SHOP_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        "INBOX_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        "TRACKER_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        **overrides,
    }


def _launch(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.launcher"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_mode_names_what_is_missing(tmp_path) -> None:
    env = _production_env(tmp_path, SHOP_DATABASE_URL="sqlite+aiosqlite:///x.db")
    env.pop("TRACKER_DATABASE_URL")
    result = _launch(env)
    assert result.returncode != 0
    assert "step 'production'" in result.stderr
    assert "SHOP_DATABASE_URL" in result.stderr and "TRACKER_DATABASE_URL" in result.stderr
    assert "INBOX_DATABASE_URL" not in result.stderr  # that one is fine
    assert "Traceback" not in result.stderr


def test_production_mode_checks_the_servers_answer(tmp_path) -> None:
    dead = free_port()  # nothing listens there
    env = _production_env(
        tmp_path,
        TRACKER_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{dead}/kramar",
        REDIS_URL=f"redis://127.0.0.1:{dead}/0",
    )
    result = _launch(env)
    assert result.returncode != 0
    assert "PostgreSQL is not reachable" in result.stderr
    assert "Redis is not reachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_mode_is_refused(tmp_path) -> None:
    result = _launch(_production_env(tmp_path, KRAMAR_MODE="prod"))
    assert result.returncode != 0
    assert "KRAMAR_MODE must be one of local, production" in result.stderr


def test_a_token_starting_with_a_dash_reaches_rasa_whole() -> None:
    # secrets.token_urlsafe() starts with "-" one time in 64; argparse would
    # then take the token for an option and Rasa would not start.
    settings = Settings.from_env({"RASA_TOKEN": "-abc"})
    command = rasa_command(settings, {"RASA_MODEL": __file__}, 5005)
    assert "--auth-token=-abc" in command
