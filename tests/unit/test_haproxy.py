"""HAProxy's configuration: valid for HAProxy itself, and deploy/haproxy.cfg kept in step."""

from __future__ import annotations

import subprocess

import pytest

from bot.haproxy import haproxy_config
from bot.launcher import PROJECT_ROOT, haproxy_binary
from bot.settings import Settings

COMPOSE_CONFIG = PROJECT_ROOT / "deploy" / "haproxy.cfg"


def production_settings(**env: str) -> Settings:
    return Settings.from_env(
        {"KRAMAR_MODE": "production", "RASA_PORT": "5005", "RASA_REPLICAS": "3", **env}
    )


def test_haproxy_accepts_the_configuration(tmp_path) -> None:
    from bot.haproxy import config_for

    binary = haproxy_binary()
    assert binary, "HAProxy is not installed: `make test` installs Debian's haproxy"
    config = tmp_path / "haproxy.cfg"
    config.write_text(config_for(production_settings()), encoding="utf-8")
    checked = subprocess.run([binary, "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_replica_is_a_checked_server_with_its_limit() -> None:
    from bot.haproxy import config_for

    text = config_for(production_settings(BALANCER_MAXCONN="4", BALANCER_QUEUE_SECONDS="12.5"))
    assert "    bind 127.0.0.1:5005\n" in text
    for number, port in enumerate((5006, 5007, 5008), 1):
        assert f"    server rasa-{number} 127.0.0.1:{port}\n" in text
    assert (
        "default-server check inter 1s fall 2 rise 1 observe layer7 error-limit 1 on-error mark-down maxconn 4\n"
        in text
    )
    assert "timeout queue 12.5s\n" in text


def test_no_limit_means_no_maxconn() -> None:
    from bot.haproxy import config_for

    assert "maxconn" not in config_for(production_settings(BALANCER_MAXCONN="0"))


def test_only_connection_failures_are_retried() -> None:
    # A message that reached a replica may have been processed: never sent twice.
    retries = [line.split() for line in haproxy_config("*:1", ["a:2"], 3, 30).splitlines()]
    assert ["retry-on", "conn-failure"] in retries


def test_no_replica_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        haproxy_config("*:1", [], 3, 30)


def test_the_compose_file_uses_the_generated_configuration() -> None:
    # Two Sanic workers per replica in compose: six turns at once each.
    expected = haproxy_config(
        "*:5005", ["rasa-1:5005", "rasa-2:5005"], 6, 30, nameserver="127.0.0.11:53"
    )
    assert COMPOSE_CONFIG.read_text(encoding="utf-8") == expected, (
        "regenerate: BALANCER_MAXCONN=6 RASA_PORT=5005 .venv/bin/python -m bot.haproxy "
        "rasa-1:5005 rasa-2:5005 > deploy/haproxy.cfg"
    )


def test_the_helm_sketch_uses_the_same_backend() -> None:
    generated = haproxy_config("*:5005", ["x:1"], 6, 30).split("backend rasa_replicas\n")[1]
    helm = (PROJECT_ROOT / "deploy" / "helm" / "haproxy-values.yaml").read_text(encoding="utf-8")
    for line in generated.splitlines():
        if not line.strip() or line.strip().startswith(("server ", "#", "default-server")):
            continue
        assert f"  {line}\n" in helm, line
    assert "maxconn 6 " in helm and "retry-on conn-failure" in helm
