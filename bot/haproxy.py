"""HAProxy's configuration for the Rasa replicas of production mode.

The launcher writes it from `Settings` and starts Debian's `haproxy` with it;
deploy/haproxy.cfg is the same text for docker compose
(`python -m bot.haproxy rasa-1:5005 rasa-2:5005 > deploy/haproxy.cfg`, and a
unit test keeps the two equal).

- `balance leastconn`: turns differ a lot in cost (a greeting against a
  return with three action calls), so the next message goes to the replica
  with the fewest turns in flight, not the next in turn.
- `maxconn` per server (BALANCER_MAXCONN) with a queue: a Rasa replica runs
  all its turns on one event loop, so a heavy turn among ten others takes ten
  times its own time; a few at once and the rest waiting first come first
  served cut the slowest turns (docs/benchmarks.md). A request queued longer
  than BALANCER_QUEUE_SECONDS gets a 503.
- Health checks on Rasa's `GET /` (no token needed): a replica that stops
  answering is left out within seconds and taken back when it answers.
- Retries only on connection failures (`retry-on conn-failure`), on another
  replica (`option redispatch`): such a request never reached Rasa. A message
  that reached a replica which then died is never sent again, since it may
  have been processed. No connection is reused between requests to Rasa
  (`http-reuse never`), so no message is written onto a connection whose
  replica has just died.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot.settings import Settings

# A turn may take a while: the action server is capped at 15 s per call.
SERVER_TIMEOUT_SECONDS = 90


def haproxy_config(
    listen: str,
    servers: Sequence[str],
    maxconn: int,
    queue_seconds: float,
    nameserver: str | None = None,
) -> str:
    """The haproxy.cfg text: `listen` is host:port, `servers` are the replicas' host:port.

    With a `nameserver` (host:port), server names are looked up there again
    while HAProxy runs, and a replica not resolvable yet at start is not fatal:
    containers come and go with new addresses.
    """
    if not servers:
        raise ValueError("HAProxy needs at least one Rasa replica")
    limit = f" maxconn {maxconn}" if maxconn > 0 else ""
    lookup = " resolvers dns init-addr last,libc,none" if nameserver else ""
    resolvers = ["resolvers dns", f"    nameserver dns {nameserver}", ""] if nameserver else []
    lines = [
        "# Written by bot/haproxy.py from Kramar's settings; do not edit by hand.",
        "global",
        "    nbthread 1",
        "    log stdout format raw local0 info",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlog-normal",
        "    timeout connect 2s",
        f"    timeout client {SERVER_TIMEOUT_SECONDS}s",
        f"    timeout server {SERVER_TIMEOUT_SECONDS}s",
        f"    timeout queue {queue_seconds:g}s",
        "    timeout http-request 30s",
        "",
        *resolvers,
        "frontend rasa",
        f"    bind {listen}",
        "    default_backend rasa_replicas",
        "",
        "backend rasa_replicas",
        "    balance leastconn",
        "    http-reuse never",
        "    retries 3",
        "    retry-on conn-failure",
        "    option redispatch 1",
        "    option httpchk GET /",
        "    http-check expect status 200",
        "    # A replica that refuses connections or breaks off a response is left",
        "    # out at once, not after two missed checks; a passed check takes it back.",
        "    default-server check inter 1s fall 2 rise 1 observe layer7 error-limit 1"
        f" on-error mark-down{limit}{lookup}",
        *(f"    server rasa-{number} {server}" for number, server in enumerate(servers, 1)),
    ]
    return "\n".join(lines) + "\n"


def config_for(settings: Settings) -> str:
    """The configuration `make run` and the tests use: every replica on this machine."""
    return haproxy_config(
        f"{settings.host}:{settings.rasa_port}",
        [f"{settings.host}:{port}" for port in settings.rasa_replica_ports],
        settings.balancer_maxconn,
        settings.balancer_queue_seconds,
    )


# Docker's own DNS server inside every container of a compose network.
DOCKER_DNS = "127.0.0.11:53"


def main(argv: Sequence[str]) -> int:
    """Prints the configuration for replicas in containers (docker compose)."""
    if not argv:
        print("usage: python -m bot.haproxy HOST:PORT [HOST:PORT ...]", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    print(
        haproxy_config(
            f"*:{settings.rasa_port}",
            argv,
            settings.balancer_maxconn,
            settings.balancer_queue_seconds,
            DOCKER_DNS,
        ),
        end="",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
