"""NLU benchmark: held-out scores, speed, size and memory of each pipeline, per language.

    PYTHONPATH=. .venv/bin/python bench/nlu_eval.py [--only NAME[,NAME]] [--baseline]
        [--ours-model MODEL] [--repeat] [--no-docs] [--out reports/nlu]

Variants: `ours` (config.yml) and every bench/configs/*.yml, named by its file
stem; `baseline` (bench/baseline_config.yml, the pipeline of a `rasa init`
project, about an hour to train) only with --baseline. `--only` keeps the
variants named. Each is trained NLU-only (`rasa train nlu`) on data/nlu into
<out>/models and reused while its fingerprint (configuration, data/nlu,
domain.yml, the bot/nlu sources) is unchanged. `--ours-model` scores that
model as `ours` instead (e.g. models/kramar.tar.gz from `make train`); its
training time is then the one of the NLU-only training of config.yml.

Languages: the folders of tests/nlu that data/nlu has too. Test sets, by file
name under tests/nlu/<lang>/: out_of_scope.yml is the off-topic set,
paraphrases.yml the paraphrase set, long.yml the long-message set, every other
file (basics, service, feedback) the main held-out set. Every message is parsed
in this process through the whole pipeline (Agent.load + parse_message), as
the server does. Per language and variant:

- held-out macro-F1: main set, over its gold labels; a retrieval intent is
  scored by its response key (`faq/invoice`); `nlu_fallback` counts as wrong;
- OOS recall: gold `out_of_scope` messages of all sets predicted
  `out_of_scope` or `nlu_fallback`;
- in-scope rejected: gold in-scope messages of the main, paraphrase and long
  sets predicted `out_of_scope` or `nlu_fallback`;
- paraphrase macro-F1 (as held-out macro-F1) and long accuracy.

Per variant: training seconds (wall time of `rasa train nlu`), parse time per
message (median and p95 of single parses after a warm-up), model file size,
and the memory of a Rasa server with the model: `rasa run --enable-api -m
MODEL` in an empty folder, VmRSS of the server and its children once it has
loaded the model and parsed one message. Plain Rasa (the `rasa init` bot,
bench/load.py) is measured the same way for comparison. `--repeat` trains
config.yml twice more from scratch and counts the test messages whose label or
confidence differs between the two models.

Writes every prediction and metric to <out>/nlu_eval.json and the tables to
the marked section of docs/benchmarks.md. Exits 0 unless something crashes:
the targets are printed, not enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "bench" / "configs"
BASELINE = ROOT / "bench" / "baseline_config.yml"
PREFERRED_ORDER = ("en", "uk", "pl")  # other languages follow, alphabetically
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
REJECTED = (OUT_OF_SCOPE, FALLBACK)
MAIN, OFFTOPIC, PARAPHRASE, LONG = "held-out", "off-topic", "paraphrase", "long"
SETS = (MAIN, OFFTOPIC, PARAPHRASE, LONG)
SET_OF_FILE = {"out_of_scope": OFFTOPIC, "paraphrases": PARAPHRASE, "long": LONG}
PLAIN = "plain Rasa (`rasa init`)"
DOCS_START = "<!-- nlu-eval:start -->"
DOCS_END = "<!-- nlu-eval:end -->"
CONFUSIONS = 5
WARMUP = 20  # parses before the timed ones
PROGRESS_EVERY = 30.0  # seconds between progress lines of a long step
SERVER_TIMEOUT = 900.0  # seconds for `rasa run` to load a model
SERVER_TEXT = "Hi, where is my order 10482?"
CONFIDENCE_TOLERANCE = 1e-6
STARTED = time.monotonic()

Metrics = dict[str, Any]


@dataclass(frozen=True)
class Target:
    key: str
    caption: str
    limit: float
    at_least: bool  # True: value ≥ limit; False: value ≤ limit

    def misses(self, value: float | None) -> bool:
        if value is None:
            return False
        return value < self.limit if self.at_least else value > self.limit

    def describe(self) -> str:
        return f"{self.caption} {'≥' if self.at_least else '≤'} {self.limit:g}"


LANGUAGE_TARGETS = (
    Target("heldout_f1", "held-out macro-F1", 0.95, True),
    Target("oos_recall", "OOS recall", 0.95, True),
    Target("inscope_rejected", "in-scope rejected", 0.03, False),
    Target("paraphrase_f1", "paraphrase macro-F1", 0.90, True),
    Target("long_accuracy", "long accuracy", 0.90, True),
)
TRAIN_TARGET = Target("train_seconds", "training s", 120, False)
SIZE_TARGET = Target("model_mb", "model MB", 50, False)


@dataclass(frozen=True)
class Example:
    """One labelled message: its language, test set, source file, text and gold label."""

    language: str
    test_set: str
    source: str
    text: str
    label: str


@dataclass(frozen=True)
class Prediction:
    """The label the model gives one message, with what it is made of.

    The classifier's own choice (before any fallback) is kept too, so that
    fallback thresholds can be studied from the report without retraining.
    """

    label: str
    intent: str
    confidence: float
    response_key: str | None
    classifier_label: str = ""
    classifier_confidence: float = 0.0
    runner_up_confidence: float = 0.0


@dataclass
class Variant:
    """One configuration under test and what it produced."""

    name: str
    source: Path  # the configuration file as given
    config: Path  # the copy that is trained, safe from edits during the run
    model: Path | None = None
    given_model: bool = False  # scored a model trained elsewhere (--ours-model)
    fingerprint: str = ""
    trained: bool = False
    train_seconds: float | None = None
    parse_ms: list[float] = field(default_factory=list)
    model_mb: float | None = None
    rss_mb: float | None = None
    metrics: dict[str, Metrics] = field(default_factory=dict)
    predictions: list[dict[str, Any]] = field(default_factory=list)

    def figures(self) -> dict[str, float | None]:
        return {
            "train_seconds": self.train_seconds,
            "parse_ms_median": statistics.median(self.parse_ms) if self.parse_ms else None,
            "parse_ms_p95": percentile(self.parse_ms, 95),
            "model_mb": self.model_mb,
            "rss_mb": self.rss_mb,
        }


def progress(name: str, step: str, since: float | None = None, detail: str = "") -> None:
    """`[  312 s] diet: training, 240 s so far: Epochs: 45%…`, flushed at once."""
    line = f"[{time.monotonic() - STARTED:5.0f} s] {name}: {step}"
    if since is not None:
        line += f", {time.monotonic() - since:.0f} s so far"
    print(line + (f": {detail}" if detail else ""), flush=True)


# ---------------------------------------------------------------- data


def languages_of(tests: Path, nlu: Path) -> tuple[str, ...]:
    """The languages with both held-out tests and training data: folders of both."""

    def folders(base: Path) -> set[str]:
        return {p.name for p in base.iterdir() if p.is_dir()} if base.is_dir() else set()

    found = folders(tests) & folders(nlu)
    rank = {lang: i for i, lang in enumerate(PREFERRED_ORDER)}
    return tuple(sorted(found, key=lambda lang: (rank.get(lang, len(rank)), lang)))


def load_examples(base: Path) -> list[Example]:
    """The labelled examples of every YAML file under `base`, in file order.

    The language is the first folder under `base` ("other" for files at its
    top); the test set comes from the file name (SET_OF_FILE, else MAIN).
    """
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted(base.rglob("*.yml")) + sorted(base.rglob("*.yaml")):
        parts = path.relative_to(base).parts
        language = parts[0] if len(parts) > 1 else "other"
        for message in load_data(str(path)).intent_examples:
            examples.append(
                Example(
                    language=language,
                    test_set=SET_OF_FILE.get(path.stem, MAIN),
                    source=rel(path),
                    text=message.get("text"),
                    label=message.get_full_intent(),
                )
            )
    return examples


def count_by_language(examples: Iterable[Example], languages: Sequence[str]) -> dict[str, int]:
    counts = Counter(e.language for e in examples)
    return {lang: counts.get(lang, 0) for lang in languages}


def count_by_set(
    examples: Iterable[Example], languages: Sequence[str]
) -> dict[str, dict[str, int]]:
    counts = Counter((e.language, e.test_set) for e in examples)
    return {lang: {s: counts.get((lang, s), 0) for s in SETS} for lang in languages}


def unseen_labels(
    train: Sequence[Example], tests: Sequence[Example], languages: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Per language, gold test labels with no training example in that language."""
    unseen: dict[str, dict[str, int]] = {}
    for lang in languages:
        known = {e.label for e in train if e.language == lang}
        missing = Counter(e.label for e in tests if e.language == lang and e.label not in known)
        if missing:
            unseen[lang] = dict(sorted(missing.items()))
    return unseen


def describe_unseen(unseen: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{lang}: " + ", ".join(f"{label} ({n})" for label, n in labels.items())
        for lang, labels in unseen.items()
    )


# ---------------------------------------------------------------- training


def digest_files(paths: Iterable[Path], base: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(base)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def fingerprint(config: Path, nlu_dir: Path, domain: Path) -> str:
    """What a trained model depends on: config, NLU data, domain, our components."""
    import rasa

    parts = {
        "rasa": rasa.__version__,
        "config": digest_files([config], config.parent),
        "nlu": digest_files([p for p in nlu_dir.rglob("*") if p.is_file()], nlu_dir),
        "domain": digest_files([domain], domain.parent),
    }
    if "bot.nlu" in config.read_text(encoding="utf-8"):
        sources = ROOT / "bot" / "nlu"
        parts["bot_nlu"] = digest_files(sources.rglob("*.py"), sources)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # Rasa's training cache keys on component names and configs, not on the
    # source of custom components, and would make training times meaningless:
    # off, even when the Makefile exports a cache size.
    env["RASA_MAX_CACHE_SIZE"] = "0"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def last_log_line(log: Path) -> str:
    """The last line of a training log, progress bars (\\r-separated) included."""
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, log.stat().st_size - 4096))
            tail = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in re.split(r"[\r\n]+", tail) if line.strip()]
    return lines[-1][:120] if lines else ""


def train(
    config: Path, nlu_dir: Path, domain: Path, out_dir: Path, name: str, log: Path
) -> tuple[Path, float]:
    """Trains an NLU-only model `out_dir/name.tar.gz`; returns it and the seconds taken."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config)]
    command += ["--nlu", str(nlu_dir), "--domain", str(domain), "--out", str(out_dir)]
    command += ["--fixed-model-name", name]
    model = out_dir / f"{name}.tar.gz"
    model.unlink(missing_ok=True)
    started = time.monotonic()
    progress(name, f"training (log: {rel(log)})")
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=rasa_env(), stdout=output, stderr=subprocess.STDOUT
        )
        try:
            while True:
                try:
                    returncode = process.wait(timeout=PROGRESS_EVERY)
                    break
                except subprocess.TimeoutExpired:
                    progress(name, "training", started, last_log_line(log))
        except BaseException:
            process.kill()
            process.wait()
            raise
    seconds = time.monotonic() - started
    if returncode != 0 or not model.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        raise RuntimeError(
            f"training {name} failed (exit {returncode}); last lines of {log}:\n" + "\n".join(tail)
        )
    progress(name, f"trained in {seconds:.0f} s")
    return model, seconds


def ensure_model(
    name: str, config: Path, nlu_dir: Path, domain: Path, out: Path, shown: str
) -> tuple[Path, str, float | None, bool]:
    """The model of `config` in <out>/models, trained unless its fingerprint matches.

    Returns the model, its fingerprint, its training seconds (stored next to
    it, None if unknown) and whether it was trained now.
    """
    models = out / "models"
    models.mkdir(parents=True, exist_ok=True)
    current = fingerprint(config, nlu_dir, domain)
    model, stamp = models / f"{name}.tar.gz", models / f"{name}.json"
    with contextlib.suppress(OSError, ValueError):
        stored = json.loads(stamp.read_text(encoding="utf-8"))
        if model.exists() and stored.get("fingerprint") == current:
            progress(name, f"reusing {rel(model)} (nothing changed in {shown})")
            return model, current, stored.get("train_seconds"), False
    stamp.unlink(missing_ok=True)
    progress(name, f"{shown}: no model with its fingerprint yet, training it")
    model, seconds = train(config, nlu_dir, domain, models, name, out / "logs" / f"{name}.log")
    stamp.write_text(
        json.dumps({"fingerprint": current, "train_seconds": round(seconds, 1)}) + "\n",
        encoding="utf-8",
    )
    return model, current, seconds, True


def snapshot_inputs(nlu_dir: Path, domain: Path, into: Path) -> tuple[Path, Path]:
    """Copies the training inputs, so that edits during a run cannot mix versions."""
    nlu_copy, domain_copy = into / "nlu", into / "domain.yml"
    shutil.copytree(nlu_dir, nlu_copy)
    shutil.copy2(domain, domain_copy)
    return nlu_copy, domain_copy


# ---------------------------------------------------------------- prediction


def response_label(parse: dict[str, Any], intent: str) -> str:
    """`intent`, or its response key (`faq/invoice`) if it is a retrieval intent."""
    selector = parse.get("response_selector") or {}
    if intent not in selector.get("all_retrieval_intents", []):
        return intent
    chosen = selector.get(intent) or selector.get("default") or {}
    return (chosen.get("response") or {}).get("intent_response_key") or intent


def label_of(parse: dict[str, Any]) -> Prediction:
    """The label of a parse: the intent, or a retrieval intent's response key."""
    intent = (parse.get("intent") or {}).get("name") or ""
    confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    label = response_label(parse, intent)
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK]
    first: dict[str, Any] = ranking[0] if ranking else {"name": intent, "confidence": confidence}
    return Prediction(
        label=label,
        intent=intent,
        confidence=confidence,
        response_key=label if label != intent else None,
        classifier_label=response_label(parse, str(first.get("name") or "")),
        classifier_confidence=float(first.get("confidence") or 0.0),
        runner_up_confidence=float(ranking[1].get("confidence") or 0.0)
        if len(ranking) > 1
        else 0.0,
    )


@contextlib.contextmanager
def stderr_to(log: Path) -> Iterator[None]:
    """Sends everything written to stderr, by Python or TensorFlow's C++, to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with log.open("a", encoding="utf-8") as output:
        os.dup2(output.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def quiet_rasa() -> None:
    """Rasa logs every parsed message at debug level; keep warnings only."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)


async def parse_all(
    model: Path, texts: Sequence[str], name: str
) -> tuple[list[Prediction], list[float]]:
    """Loads `model` and parses `texts` one at a time after a warm-up; labels and ms."""
    from rasa.core.agent import Agent

    started = time.monotonic()
    progress(name, f"loading {rel(model)}")
    agent = Agent.load(str(model))
    for text in texts[:WARMUP]:
        await agent.parse_message(text)
    progress(name, f"parsing {len(texts)} messages")
    predictions, milliseconds = [], []
    reported = time.monotonic()
    for i, text in enumerate(texts, start=1):
        before = time.perf_counter()
        parse = await agent.parse_message(text)
        milliseconds.append((time.perf_counter() - before) * 1000)
        predictions.append(label_of(parse))
        if time.monotonic() - reported > PROGRESS_EVERY:
            progress(name, f"parsed {i}/{len(texts)}", started)
            reported = time.monotonic()
    progress(name, f"parsed {len(texts)} messages", started)
    return predictions, milliseconds


def predict(
    model: Path, texts: Sequence[str], log: Path, name: str
) -> tuple[list[Prediction], list[float]]:
    """The labels `model` gives `texts` and each parse's ms; Rasa's log goes to `log`."""
    # Rasa loads the newest model of the folder when the file named is missing.
    if not model.is_file():
        raise FileNotFoundError(f"no model at {model}")
    with stderr_to(log):
        quiet_rasa()
        return asyncio.run(parse_all(model, texts, name))


# ---------------------------------------------------------------- server memory


def post_json(url: str, payload: dict[str, Any], timeout: float = 60) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def tree_rss_mb(pid: int) -> float:
    """VmRSS of `pid` and all its descendants, in MB."""
    from bench.load import children_by_parent, memory_mb

    tree = children_by_parent()
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += memory_mb(current, "status", "VmRSS") or 0.0
        todo += tree.get(current, [])
    return round(total, 1)


def server_rss_mb(name: str, model: Path, env: dict[str, str], cwd: Path, log: Path) -> float:
    """RSS of `rasa run --enable-api -m model` after it loaded the model and parsed once."""
    from bench.load import HOST, RASA, free_port, get_json, stop_process

    port = free_port()
    url = f"http://{HOST}:{port}"
    command = [RASA, "run", "--enable-api", "-m", str(model), "--port", str(port)]
    command += ["--interface", HOST]
    log.parent.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    progress(name, f"starting a Rasa server (log: {rel(log)})")
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        reported = time.monotonic()
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"Rasa exited with code {process.returncode}; see {rel(log)}")
            with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
                if get_json(f"{url}/status", timeout=2).get("model_file"):
                    break
            if time.monotonic() - started > SERVER_TIMEOUT:
                raise RuntimeError(f"no model loaded within {SERVER_TIMEOUT:.0f} s")
            if time.monotonic() - reported > PROGRESS_EVERY:
                progress(name, "waiting for the server to load the model", started)
                reported = time.monotonic()
            time.sleep(0.5)
        post_json(f"{url}/model/parse", {"text": SERVER_TEXT})
        rss = tree_rss_mb(process.pid)
    finally:
        stop_process(process)
    progress(name, f"Rasa server RSS {rss:.0f} MB", started)
    return rss


def plain_rasa_figures(log_dir: Path, scratch: Path) -> dict[str, float | None]:
    """Model size and server RSS of plain Rasa's `rasa init` bot (bench/load.py's)."""
    from bench.load import ensure_plain_project, plain_env

    log_dir.mkdir(parents=True, exist_ok=True)
    models = ensure_plain_project(log_dir)
    newest = max(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    rss = server_rss_mb(
        "plain", models, plain_env(), scratch / "server-plain", log_dir / "server-plain.log"
    )
    return {"model_mb": size_mb(newest), "rss_mb": rss}


def size_mb(path: Path) -> float:
    return round(path.stat().st_size / 2**20, 1)


# ---------------------------------------------------------------- metrics


def share(
    pairs: Sequence[tuple[Example, str]], hit: Callable[[Example, str], bool]
) -> float | None:
    return sum(hit(e, p) for e, p in pairs) / len(pairs) if pairs else None


def macro_f1(pairs: Sequence[tuple[Example, str]]) -> float | None:
    """Macro-F1 over the gold labels of `pairs`."""
    from sklearn.metrics import f1_score

    if not pairs:
        return None
    gold = [e.label for e, _ in pairs]
    predicted = [p for _, p in pairs]
    labels = sorted(set(gold))
    return float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0))


def per_label(pairs: Sequence[tuple[Example, str]]) -> dict[str, dict[str, float]]:
    from sklearn.metrics import precision_recall_fscore_support

    if not pairs:
        return {}
    gold = [e.label for e, _ in pairs]
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, [p for _, p in pairs], labels=labels, zero_division=0
    )
    return {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }


def metrics(examples: Sequence[Example], predictions: Sequence[Prediction]) -> Metrics:
    """The table's five figures of one language, its confusions and per-label scores."""
    pairs = [(e, p.label) for e, p in zip(examples, predictions, strict=True)]

    def of(*sets: str) -> list[tuple[Example, str]]:
        return [(e, p) for e, p in pairs if e.test_set in sets]

    oos = [(e, p) for e, p in pairs if e.label == OUT_OF_SCOPE]
    in_scope = [(e, p) for e, p in of(MAIN, PARAPHRASE, LONG) if e.label != OUT_OF_SCOPE]
    # Confusions: wrong labels; an off-topic message sent to the fallback is caught.
    wrong = Counter(
        (e.label, p)
        for e, p in pairs
        if e.label != p and not (e.label == OUT_OF_SCOPE and p in REJECTED)
    )
    example_of: dict[tuple[str, str], Example] = {}
    for e, p in pairs:
        example_of.setdefault((e.label, p), e)
    return {
        "n": {s: len(of(s)) for s in SETS},
        "heldout_f1": macro_f1(of(MAIN)),
        "heldout_accuracy": share(of(MAIN), lambda e, p: e.label == p),
        "oos_recall": share(oos, lambda e, p: p in REJECTED),
        "oos_n": len(oos),
        "inscope_rejected": share(in_scope, lambda e, p: p in REJECTED),
        "inscope_n": len(in_scope),
        "paraphrase_f1": macro_f1(of(PARAPHRASE)),
        "long_accuracy": share(of(LONG), lambda e, p: e.label == p),
        "confusions": [
            {
                "gold": g,
                "predicted": p,
                "count": c,
                "example": example_of[(g, p)].text,
                "set": example_of[(g, p)].test_set,
            }
            for (g, p), c in wrong.most_common(CONFUSIONS)
        ],
        "per_label": {MAIN: per_label(of(MAIN)), PARAPHRASE: per_label(of(PARAPHRASE))},
    }


def by_language(
    examples: Sequence[Example], predictions: Sequence[Prediction], languages: Sequence[str]
) -> dict[str, Metrics]:
    return {
        lang: metrics(
            [e for e in examples if e.language == lang],
            [p for e, p in zip(examples, predictions, strict=True) if e.language == lang],
        )
        for lang in languages
    }


def prediction_rows(
    examples: Sequence[Example], predictions: Sequence[Prediction], milliseconds: Sequence[float]
) -> list[dict[str, Any]]:
    return [
        {
            "language": e.language,
            "set": e.test_set,
            "source": e.source,
            "text": e.text,
            "gold": e.label,
            "predicted": p.label,
            "intent": p.intent,
            "confidence": round(p.confidence, 4),
            "response_key": p.response_key,
            "correct": e.label == p.label,
            "classifier_label": p.classifier_label,
            "classifier_confidence": round(p.classifier_confidence, 4),
            "runner_up_confidence": round(p.runner_up_confidence, 4),
            "parse_ms": round(ms, 2),
        }
        for e, p, ms in zip(examples, predictions, milliseconds, strict=True)
    ]


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    import numpy as np

    return float(np.percentile(values, q))


def target_failures(
    variant: Variant, languages: Sequence[str], plain_rss: float | None
) -> list[str]:
    """The targets a variant misses, e.g. `uk held-out macro-F1 0.912 < 0.95`."""
    missed = []
    for lang in languages:
        m = variant.metrics.get(lang, {})
        for target in LANGUAGE_TARGETS:
            value = m.get(target.key)
            if target.misses(value):
                sign = "<" if target.at_least else ">"
                missed.append(f"{lang} {target.caption} {value:.3f} {sign} {target.limit:g}")
    figures = variant.figures()
    for target in (TRAIN_TARGET, SIZE_TARGET):
        value = figures[target.key]
        if target.misses(value):
            missed.append(f"{target.caption} {value:.0f} > {target.limit:g}")
    if variant.rss_mb is not None and plain_rss is not None and variant.rss_mb > plain_rss:
        missed.append(f"Rasa memory {variant.rss_mb:.0f} MB > plain Rasa's {plain_rss:.0f} MB")
    return missed


# ---------------------------------------------------------------- output


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def fmt(value: float | None, digits: int = 3, target: Target | None = None) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return text + " ✗" if target is not None and target.misses(value) else text


def score_rows(variants: Sequence[Variant], languages: Sequence[str]) -> list[list[str]]:
    rows = []
    for lang in languages:
        for v in variants:
            m = v.metrics.get(lang, {})
            rows.append([lang, v.name, *(fmt(m.get(t.key), target=t) for t in LANGUAGE_TARGETS)])
    return rows


SCORE_HEADERS = [
    "Language",
    "Variant",
    "Held-out macro-F1",
    "OOS recall",
    "In-scope rejected",
    "Paraphrase macro-F1",
    "Long accuracy",
]
COST_HEADERS = [
    "Variant",
    "Config",
    "Training s",
    "Parse ms median",
    "Parse ms p95",
    "Model MB",
    "Rasa RSS MB",
]


def cost_rows(variants: Sequence[Variant], plain: dict[str, float | None]) -> list[list[str]]:
    plain_rss = plain.get("rss_mb")
    rss_target = None if plain_rss is None else Target("rss_mb", "Rasa RSS", plain_rss, False)
    rows = []
    for v in variants:
        f = v.figures()
        rows.append(
            [
                v.name,
                f"`{rel(v.source)}`"
                + (f" (model `{rel(v.model)}`)" if v.given_model and v.model else ""),
                fmt(f["train_seconds"], 0, TRAIN_TARGET),
                fmt(f["parse_ms_median"], 1),
                fmt(f["parse_ms_p95"], 1),
                fmt(f["model_mb"], 1, SIZE_TARGET),
                fmt(f["rss_mb"], 0, rss_target),
            ]
        )
    rows.append(
        [PLAIN, "Rasa's defaults", "—", "—", "—", fmt(plain.get("model_mb"), 1), fmt(plain_rss, 0)]
    )
    return rows


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    align = ["---" if i < 2 else "---:" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    return "\n".join(lines + ["| " + " | ".join(cells) + " |" for cells in rows])


def targets_line() -> str:
    return (
        "Targets (not enforced): per language "
        + ", ".join(t.describe() for t in LANGUAGE_TARGETS)
        + f"; per variant training ≤ {TRAIN_TARGET.limit:g} s, model ≤ {SIZE_TARGET.limit:g} MB, "
        "Rasa memory ≤ plain Rasa's. ✗ marks a miss."
    )


def repeat_line(repeat: dict[str, Any] | None) -> str:
    if repeat is None:
        return "Determinism: not checked in this run (`--repeat`)."
    return (
        f"Determinism (`--repeat`, config.yml trained twice from scratch): two trainings: "
        f"{repeat['differ']} of {repeat['messages']} messages differ "
        f"(label, or confidence by more than {CONFIDENCE_TOLERANCE:g})."
    )


def shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def confusion_lines(variant: Variant, languages: Sequence[str]) -> list[str]:
    lines = []
    for lang in languages:
        confusions = variant.metrics.get(lang, {}).get("confusions", [])
        described = "; ".join(
            f"{c['gold']} → {c['predicted']} ×{c['count']} (“{shorten(c['example'])}”, {c['set']})"
            for c in confusions
        )
        lines.append(f"- {lang}: {described or 'none'}.")
    return lines


def print_report(
    variants: Sequence[Variant],
    languages: Sequence[str],
    plain: dict[str, float | None],
    repeat: dict[str, Any] | None,
) -> None:
    print("\n=== NLU eval: held-out test sets (tests/nlu) ===\n")
    print(text_table(SCORE_HEADERS, score_rows(variants, languages)))
    print()
    print(
        text_table(
            COST_HEADERS, [[c.replace("`", "") for c in r] for r in cost_rows(variants, plain)]
        )
    )
    print("\n" + targets_line())
    for v in variants:
        missed = target_failures(v, languages, plain.get("rss_mb"))
        print(
            f"  {v.name}: " + ("all targets hold" if not missed else "MISSED: " + "; ".join(missed))
        )
    print("\n" + repeat_line(repeat))
    ours = next((v for v in variants if v.name == "ours"), None)
    if ours is not None:
        print("\nTop confusions of ours (gold → predicted, count, example, set):")
        print("\n".join(confusion_lines(ours, languages)))


def docs_section(
    variants: Sequence[Variant],
    languages: Sequence[str],
    plain: dict[str, float | None],
    repeat: dict[str, Any] | None,
    command: str,
    train_counts: dict[str, int],
    set_counts: dict[str, dict[str, int]],
    unseen: dict[str, dict[str, int]],
) -> str:
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    trained = [v.name for v in variants if v.trained]
    minutes = (time.monotonic() - STARTED) / 60
    lines = [
        "### Latest run",
        "",
        f"Produced {today} by `{command}` in {minutes:.0f} min "
        + (f"(trained: {', '.join(trained)})." if trained else "(all models reused)."),
        "Models are trained on `data/nlu` (NLU only) and tested on the held-out "
        "`tests/nlu/<lang>/`: held-out = basics, service and feedback; off-topic = "
        "`out_of_scope.yml`; paraphrase = `paraphrases.yml`; long = `long.yml`.",
        "",
        markdown_table(SCORE_HEADERS, score_rows(variants, languages)),
        "",
        markdown_table(COST_HEADERS, cost_rows(variants, plain)),
        "",
        "Test messages: "
        + "; ".join(
            f"{lang} " + ", ".join(f"{s} {n}" for s, n in set_counts[lang].items())
            for lang in languages
        )
        + f". Training examples: {sum(train_counts.values())} "
        f"({', '.join(f'{k} {v}' for k, v in train_counts.items())}).",
        "Macro-F1 is over the gold labels of the set; a retrieval intent is scored by its "
        "response key (`faq/…`); `nlu_fallback` counts as a wrong label. OOS recall: gold "
        "`out_of_scope` messages of every set predicted `out_of_scope` or `nlu_fallback`; "
        "in-scope rejected: the other messages of the held-out, paraphrase and long sets "
        "predicted either.",
        "Training s: wall time of `rasa train nlu`. Parse ms: single `parse_message` calls "
        f"in one process after {WARMUP} warm-up parses, over every test message. Rasa RSS: "
        "VmRSS of `rasa run --enable-api -m MODEL` (and its children) in an empty folder "
        "after the model is loaded and one message parsed; the variants' models are "
        "NLU-only unless a served model is named, plain Rasa's has its dialogue policies too.",
        *(
            [
                "Test labels with no training data yet (scored as errors): "
                f"{describe_unseen(unseen)}."
            ]
            if unseen
            else []
        ),
        "",
        targets_line(),
    ]
    for v in variants:
        missed = target_failures(v, languages, plain.get("rss_mb"))
        lines.append(
            f"- {v.name}: " + ("all hold." if not missed else "missed — " + "; ".join(missed) + ".")
        )
    lines += ["", repeat_line(repeat)]
    ours = next((v for v in variants if v.name == "ours"), None)
    if ours is not None:
        lines += ["", "Top confusions of ours (gold → predicted, count, example, set):"]
        lines += confusion_lines(ours, languages)
    return "\n".join(lines)


def update_docs(path: Path, section: str) -> None:
    """Replaces the text between the markers in `path` (created if missing)."""
    block = f"{DOCS_START}\n{section}\n{DOCS_END}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Kramar benchmarks\n\n{block}\n", encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(DOCS_START) + r".*?" + re.escape(DOCS_END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- steps


def repeat_check(
    config: Path, nlu_dir: Path, domain: Path, tests: Sequence[Example], out: Path, scratch: Path
) -> dict[str, Any]:
    """Trains `config` twice from scratch; how many test messages the two models disagree on."""
    texts = [e.text for e in tests]
    runs = []
    seconds = []
    for i in (1, 2):
        name = f"ours-repeat{i}"
        model, took = train(
            config, nlu_dir, domain, scratch / "repeat", name, out / "logs" / f"{name}.log"
        )
        seconds.append(round(took, 1))
        runs.append(predict(model, texts, out / "logs" / f"parse-{name}.log", name)[0])
    differ = [
        {
            "language": e.language,
            "set": e.test_set,
            "text": e.text,
            "first": [a.label, round(a.confidence, 6)],
            "second": [b.label, round(b.confidence, 6)],
        }
        for e, a, b in zip(tests, runs[0], runs[1], strict=True)
        if a.label != b.label or abs(a.confidence - b.confidence) > CONFIDENCE_TOLERANCE
    ]
    result = {
        "messages": len(texts),
        "differ": len(differ),
        "train_seconds": seconds,
        "examples": differ[:20],
    }
    progress("repeat", f"two trainings: {len(differ)} of {len(texts)} messages differ")
    return result


def evaluate(
    variants: list[Variant], args: argparse.Namespace, command: str, scratch: Path
) -> None:
    nlu_dir, domain = snapshot_inputs(args.nlu, args.domain, scratch)
    languages = languages_of(args.tests, args.nlu)
    if not languages:
        raise SystemExit(f"no language folder in both {rel(args.tests)} and {rel(args.nlu)}")
    train_examples = load_examples(nlu_dir)
    tests = [e for e in load_examples(args.tests) if e.language in languages]
    train_counts = count_by_language(train_examples, languages)
    set_counts = count_by_set(tests, languages)
    print(f"languages: {', '.join(languages)}; training examples: {train_counts}")
    print(f"test messages: {set_counts}", flush=True)
    unseen = unseen_labels(train_examples, tests, languages)
    if unseen:
        print(
            "WARNING: test labels without training examples (always wrong): "
            + describe_unseen(unseen)
        )
    logs = args.out / "logs"
    for v in variants:
        model, v.fingerprint, v.train_seconds, v.trained = ensure_model(
            v.name, v.config, nlu_dir, domain, args.out, rel(v.source)
        )
        v.model = model
        if v.name == "ours" and args.ours_model:
            v.model, v.given_model = args.ours_model, True
            progress("ours", f"scoring {rel(args.ours_model)}; training time from {rel(model)}")
    texts = [e.text for e in tests]
    for v in variants:
        assert v.model is not None
        predictions, v.parse_ms = predict(v.model, texts, logs / f"parse-{v.name}.log", v.name)
        v.metrics = by_language(tests, predictions, languages)
        v.predictions = prediction_rows(tests, predictions, v.parse_ms)
        v.model_mb = size_mb(v.model)
    from bench.load import plain_env

    # The same settings as plain Rasa's server, plus our components on the path.
    server_env = {**plain_env(), "PYTHONPATH": str(ROOT)}
    for v in variants:
        assert v.model is not None
        try:
            v.rss_mb = server_rss_mb(
                v.name,
                v.model,
                server_env,
                scratch / f"server-{v.name}",
                logs / f"server-{v.name}.log",
            )
        except (OSError, RuntimeError, urllib.error.URLError) as error:
            print(f"WARNING: no memory figure for {v.name}: {error}", flush=True)
    plain: dict[str, float | None] = {"model_mb": None, "rss_mb": None}
    try:
        plain = plain_rasa_figures(logs, scratch)
    except (OSError, RuntimeError, urllib.error.URLError) as error:
        print(f"WARNING: no figures for plain Rasa: {error}", flush=True)
    repeat = None
    if args.repeat:
        config = scratch / "configs" / "ours-repeat.yml"
        repeat = repeat_check(config, nlu_dir, domain, tests, args.out, scratch)
    print_report(variants, languages, plain, repeat)
    report = args.out / "nlu_eval.json"
    write_json(
        report,
        {
            "command": command,
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "languages": list(languages),
            "targets": {
                "per_language": {t.key: t.describe() for t in LANGUAGE_TARGETS},
                "per_variant": [
                    TRAIN_TARGET.describe(),
                    SIZE_TARGET.describe(),
                    "Rasa RSS ≤ plain Rasa's",
                ],
            },
            "train_examples": train_counts,
            "test_messages": set_counts,
            "unseen_test_labels": unseen,
            "plain_rasa": plain,
            "repeat": repeat,
            "variants": {
                v.name: {
                    "config": rel(v.source),
                    "model": rel(v.model) if v.model else None,
                    "fingerprint": v.fingerprint,
                    "trained_now": v.trained,
                    **{k: (round(x, 2) if x is not None else None) for k, x in v.figures().items()},
                    "missed_targets": target_failures(v, languages, plain.get("rss_mb")),
                    "metrics": v.metrics,
                    "predictions": v.predictions,
                }
                for v in variants
            },
        },
    )
    print(f"\npredictions and metrics: {rel(report)}")
    if args.docs:
        update_docs(
            args.docs,
            docs_section(
                variants, languages, plain, repeat, command, train_counts, set_counts, unseen
            ),
        )
        print(f"tables: {rel(args.docs)}")


# ---------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml", help="ours")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also the `rasa init` pipeline (bench/baseline_config.yml, ~60 min to train)",
    )
    parser.add_argument(
        "--only",
        metavar="NAME[,NAME]",
        help="only these variants (ours, the stems of bench/configs/*.yml, baseline)",
    )
    parser.add_argument(
        "--ours-model",
        type=Path,
        metavar="MODEL",
        help="score this trained model (e.g. models/kramar.tar.gz, built from config.yml "
        "and data/nlu) as 'ours' instead of the NLU-only one trained here",
    )
    parser.add_argument(
        "--repeat",
        action="store_true",
        help="train config.yml twice from scratch and count the messages that differ",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--nlu", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--domain", type=Path, default=ROOT / "domain.yml")
    parser.add_argument("--tests", type=Path, default=ROOT / "tests" / "nlu")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", dest="docs", action="store_const", const=None)
    args = parser.parse_args(argv)
    for name in ("config", "out", "nlu", "domain", "tests", "docs", "ours_model"):
        value = getattr(args, name)
        if value is not None:
            setattr(args, name, (Path.cwd() / value).resolve())
    return args


def variants_of(args: argparse.Namespace) -> list[Variant]:
    available = {"ours": args.config}
    available.update({p.stem: p for p in sorted(CONFIGS.glob("*.yml"))})
    available["baseline"] = BASELINE
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in available]
        if unknown:
            raise SystemExit(f"--only: unknown {unknown}; known: {', '.join(available)}")
    else:
        wanted = [n for n in available if n != "baseline" or args.baseline]
    variants = [Variant(n, available[n], available[n]) for n in available if n in wanted]
    for v in variants:
        if not v.source.is_file():
            raise SystemExit(f"no such config: {v.source}")
    return variants


def snapshot_configs(variants: Sequence[Variant], into: Path) -> None:
    """Trains copies of the configurations, so that edits during a run do not leak in."""
    into.mkdir(parents=True, exist_ok=True)
    for v in variants:
        v.config = into / f"{v.name}.yml"
        shutil.copy2(v.source, v.config)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if str(ROOT) not in sys.path:  # bench.load, when run without PYTHONPATH=.
        sys.path.insert(0, str(ROOT))
    args = parse_args(argv)
    command = "PYTHONPATH=. .venv/bin/python " + shlex.join(["bench/nlu_eval.py", *argv])
    variants = variants_of(args)
    progress("eval", "variants " + ", ".join(v.name for v in variants))
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory(prefix="nlu-eval-") as scratch:
        snapshot_configs(variants, Path(scratch) / "configs")
        if args.repeat:
            shutil.copy2(args.config, Path(scratch) / "configs" / "ours-repeat.yml")
        evaluate(variants, args, command, Path(scratch))
    print(f"total time: {time.monotonic() - STARTED:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
