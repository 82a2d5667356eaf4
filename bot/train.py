"""`make train`: trains the model and puts it in place atomically, saying what it does.

    python -m bot.train [--out models/kramar.tar.gz] [--data data]

Rasa trains into a temporary file beside the target, which is then renamed
over it: a running bot (bot/channels/model_reload.py) never sees half a file,
and picks the new model up within seconds. Rasa's progress bars are replaced
by one line per step with the time so far, and a line every few seconds while
a step runs, so a training is never minutes of silence.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEP = re.compile(r"Starting to train component '([^']+)'|(Restored component '[^']+')")
HEARTBEAT_SECONDS = 10


def train(target: Path, data: Path | None = None) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    name = f".{target.name.removesuffix('.tar.gz')}-training"
    partial = target.parent / f"{name}.tar.gz"
    command = [
        str(Path(sys.executable).with_name("rasa")),
        "train",
        "--fixed-model-name",
        name,
        "--out",
        str(target.parent),
        *(["--data", str(data)] if data else []),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.monotonic()
    step = ["preparing the data"]

    def say(text: str) -> None:
        print(f"step 'train' [{time.monotonic() - started:4.0f} s]: {text}", flush=True)

    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            say(f"still {step[0]}")

    threading.Thread(target=heartbeat, daemon=True).start()
    say("training the model from config.yml, domain.yml and data/")
    log: list[str] = []
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)
            match = STEP.search(line)
            if match:
                step[0] = f"training {match.group(1)}" if match.group(1) else "reusing the cache"
                say(step[0] if match.group(1) else match.group(2).lower())
    done.set()
    if process.returncode != 0 or not partial.exists():
        sys.stdout.writelines(log[-40:])
        say(f"failed (exit {process.returncode}); Rasa's last lines are above.")
        return 1
    partial.replace(target)
    size = target.stat().st_size / 1e6
    say(
        f"done: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} ({size:.1f} MB)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "kramar.tar.gz")
    parser.add_argument("--data", type=Path, help="training data folder (default: data/)")
    args = parser.parse_args(argv)
    return train(args.out.resolve(), args.data.resolve() if args.data else None)


if __name__ == "__main__":
    sys.exit(main())
