"""A real Medusa 2 server on this machine: install, migrate, seed, start, stop.

    python -m platforms.medusa.server install          # npm packages into the cache
    python -m platforms.medusa.server run DATABASE_URL [--port 9000]

The npm packages (pinned by package-lock.json) live outside the checkout in
~/.cache/kramar/medusa/<hash of package-lock.json>/, so every clone on the
machine, CI's included, installs them once. Each server runs in a scratch
folder holding this folder's config and seed script and a link to them.
The contract tests (tests/shops/) start one per session.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("KRAMAR_MEDUSA_CACHE", Path.home() / ".cache" / "kramar" / "medusa"))
# What a server's folder needs besides node_modules.
PROJECT_FILES = ("package.json", "medusa-config.ts", "tsconfig.json", "src")


class MedusaError(RuntimeError):
    """A step of setting Medusa up failed; the message names the step and its log."""


def modules_dir() -> Path:
    digest = hashlib.sha1((HERE / "package-lock.json").read_bytes()).hexdigest()[:12]
    return CACHE / digest


def install() -> Path:
    """The installed node_modules for this package-lock.json (installed if missing)."""
    target = modules_dir()
    stamp = target / ".installed"
    if stamp.exists():
        return target / "node_modules"
    if shutil.which("npm") is None:
        raise MedusaError("step 'medusa': npm was not found (Node.js 20 with npm is needed)")
    print(f"step 'medusa': installing Medusa's npm packages into {target} (once)...", flush=True)
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(HERE / name, target / name)
    log = target / "npm-ci.log"
    with log.open("w") as out:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=target,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=1200,
        )
    if done.returncode != 0:
        raise MedusaError(f"step 'medusa': npm ci failed, see {log}")
    stamp.touch()
    return target / "node_modules"


@dataclass(frozen=True)
class Medusa:
    url: str
    api_key: str
    # case name -> {"number", "email", "state"} (src/scripts/seed.ts)
    orders: dict[str, dict[str, Any]]
    log: Path


def _prepare(workdir: Path) -> Path:
    node_modules = install()
    for name in PROJECT_FILES:
        source = HERE / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, dirs_exist_ok=True)
        else:
            shutil.copy(source, workdir / name)
    link = workdir / "node_modules"
    if not link.exists():
        link.symlink_to(node_modules, target_is_directory=True)
    return node_modules / ".bin" / "medusa"


def _step(name: str, command: list[str], workdir: Path, env: dict[str, str], timeout: int) -> None:
    log = workdir / f"{name}.log"
    with log.open("w") as out:
        done = subprocess.run(
            command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise MedusaError(f"step 'medusa {name}' failed (log {log}):\n{tail}")


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise MedusaError(f"step 'medusa start': it exited ({log}):\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise MedusaError(f"step 'medusa start': no answer on {url} within {timeout:.0f} s ({log})")


@contextmanager
def running(
    database_url: str,
    port: int,
    workdir: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Medusa]:
    """Migrates and seeds `database_url` (an empty database), starts Medusa on
    `port` (with `extra_env`, e.g. SHOP_WEBHOOK_URL and SHOP_WEBHOOK_SECRET for
    Kramar's order updates), yields it, and stops it."""
    with tempfile.TemporaryDirectory(prefix="kramar-medusa-") as scratch:
        folder = workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        medusa = str(_prepare(folder))
        manifest = folder / "manifest.json"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "NODE_ENV": "development",  # ts-node reads medusa-config.ts
            "MEDUSA_DISABLE_TELEMETRY": "true",
            "KRAMAR_MEDUSA_MANIFEST": str(manifest),
            **(extra_env or {}),
        }
        _step("migrate", [medusa, "db:migrate"], folder, env, timeout=600)
        _step("seed", [medusa, "exec", "./src/scripts/seed.ts"], folder, env, timeout=600)
        log = folder / "start.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [medusa, "start"],
                cwd=folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # stop it with everything it started
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process, log, timeout=180)
            seeded = json.loads(manifest.read_text())
            yield Medusa(url=url, api_key=seeded["api_key"], orders=seeded["orders"], log=log)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="install the npm packages into the cache")
    run = commands.add_parser("run", help="migrate and seed an empty database, then serve")
    run.add_argument("database_url", help="an empty PostgreSQL database, postgresql://...")
    run.add_argument("--port", type=int, default=9000)
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(f"Medusa's npm packages: {install()}")
            return 0
        with running(args.database_url, args.port) as medusa:
            print(f"Medusa serves on {medusa.url}. For Kramar (.env):")
            print(
                f"  SHOP_PLATFORM=medusa\n  MEDUSA_URL={medusa.url}\n  MEDUSA_API_KEY={medusa.api_key}"
            )
            for name, order in medusa.orders.items():
                print(f"  order {order['number']}  {order['email']:40} {name}")
            print("Ctrl-C stops it.", flush=True)
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return 0
    except MedusaError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
