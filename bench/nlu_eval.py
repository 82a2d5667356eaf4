"""NLU benchmark: our pipeline against Rasa's default one, per language.

    PYTHONPATH=. .venv/bin/python bench/nlu_eval.py [--config config.yml]
        [--baseline bench/baseline_config.yml] [--skip-baseline] [--ours-model MODEL]
        [--out reports/nlu]
        [--variant NAME=CONFIG ...] [--no-docs] [--cv K]

Trains an NLU-only model per configuration on data/nlu (reused while the
configuration, data/nlu, domain.yml and, for configurations that use them, the
bot/nlu sources are unchanged), parses every example of the held-out sets
tests/nlu/<lang>/*.yml and reports, per language: accuracy, macro-F1 over the
labels of that language's gold set, out-of-scope recall, fallback rate and the
top confusions. A retrieval intent's label is its response key (`faq/invoice`),
as in the test files; `nlu_fallback` is a prediction of its own.

Writes every prediction and metric to <out>/nlu_eval.json and the table to the
marked section of docs/benchmarks.md. `--cv K` instead runs K-fold
cross-validation on data/nlu (no held-out data involved) and writes
<out>/nlu_cv.json. Exits 0 unless something crashes: the targets are printed,
not enforced.
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
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "uk", "pl")
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
TARGETS = {"macro_f1": 0.93, "oos_recall": 0.85}
DOCS_START = "<!-- nlu-eval:start -->"
DOCS_END = "<!-- nlu-eval:end -->"
CONFUSIONS = 5

Metrics = dict[str, Any]


@dataclass(frozen=True)
class Example:
    """One labelled message: its language, source file, text and gold label."""

    language: str
    source: str
    text: str
    label: str


@dataclass(frozen=True)
class Prediction:
    """The label the model gives one message, with what it is made of.

    The classifier's own choice (before FallbackClassifier) is kept too, so that
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
    fingerprint: str = ""
    trained: bool = False
    train_seconds: float = 0.0
    metrics: dict[str, Metrics] = field(default_factory=dict)
    predictions: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------- data


def language_of(path: Path, base: Path) -> str | None:
    """The language a data file belongs to: its first folder under `base`."""
    parts = path.relative_to(base).parts
    return parts[0] if len(parts) > 1 and parts[0] in LANGUAGES else None


def load_examples(base: Path) -> list[Example]:
    """The labelled examples of every YAML file under `base`, in file order."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted(base.rglob("*.yml")) + sorted(base.rglob("*.yaml")):
        language = language_of(path, base)
        for message in load_data(str(path)).intent_examples:
            examples.append(
                Example(
                    language=language or "other",
                    source=str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
                    text=message.get("text"),
                    label=message.get_full_intent(),
                )
            )
    return examples


def count_by_language(examples: Iterable[Example]) -> dict[str, int]:
    counts = Counter(e.language for e in examples)
    return {lang: counts.get(lang, 0) for lang in LANGUAGES}


def unseen_labels(train: Sequence[Example], tests: Sequence[Example]) -> dict[str, dict[str, int]]:
    """Per language, gold test labels with no training example in that language."""
    unseen: dict[str, dict[str, int]] = {}
    for lang in LANGUAGES:
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
    # source of custom components, and is shared with other trainings: off.
    env.setdefault("RASA_MAX_CACHE_SIZE", "0")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def train(
    config: Path, nlu_dir: Path, domain: Path, out_dir: Path, name: str, log: Path
) -> tuple[Path, float]:
    """Trains an NLU-only model `out_dir/name.tar.gz`; returns it and the seconds taken."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "nlu",
        "--config",
        str(config),
        "--nlu",
        str(nlu_dir),
        "--domain",
        str(domain),
        "--out",
        str(out_dir),
        "--fixed-model-name",
        name,
    ]
    model = out_dir / f"{name}.tar.gz"
    model.unlink(missing_ok=True)
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as output:
        result = subprocess.run(
            command, cwd=ROOT, env=rasa_env(), stdout=output, stderr=subprocess.STDOUT
        )
    seconds = time.monotonic() - started
    if result.returncode != 0 or not model.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        raise RuntimeError(
            f"training {name} failed (exit {result.returncode}); last lines of {log}:\n"
            + "\n".join(tail)
        )
    return model, seconds


def ensure_model(variant: Variant, nlu_dir: Path, domain: Path, out: Path) -> None:
    """Trains the variant's model unless one with the same fingerprint exists."""
    models = out / "models"
    variant.fingerprint = fingerprint(variant.config, nlu_dir, domain)
    model = models / f"{variant.name}.tar.gz"
    stamp = models / f"{variant.name}.fingerprint"
    if model.exists() and stamp.exists() and stamp.read_text().strip() == variant.fingerprint:
        print(f"[{variant.name}] reusing {rel(model)} (nothing changed)", flush=True)
        variant.model = model
        return
    print(f"[{variant.name}] training on {rel(variant.source)} ...", flush=True)
    stamp.unlink(missing_ok=True)
    variant.model, variant.train_seconds = train(
        variant.config, nlu_dir, domain, models, variant.name, out / "logs" / f"{variant.name}.log"
    )
    variant.trained = True
    stamp.write_text(variant.fingerprint + "\n")
    print(f"[{variant.name}] trained in {variant.train_seconds:.0f} s", flush=True)


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


async def predict_all(model: Path, texts: Sequence[str]) -> list[Prediction]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [label_of(await agent.parse_message(text)) for text in texts]


def predict(model: Path, texts: Sequence[str], log: Path) -> list[Prediction]:
    """The labels `model` gives `texts`; its log output goes to `log`."""
    # Rasa loads the newest model of the folder when the file named is missing.
    if not model.is_file():
        raise FileNotFoundError(f"no model at {model}")
    with stderr_to(log):
        quiet_rasa()
        return asyncio.run(predict_all(model, texts))


# ---------------------------------------------------------------- metrics


def metrics(examples: Sequence[Example], predictions: Sequence[Prediction]) -> Metrics:
    """Accuracy, macro-F1, OOS recall, fallback rate and confusions of one language."""
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    gold = [e.label for e in examples]
    predicted = [p.label for p in predictions]
    n = len(gold)
    if n == 0:
        return {"n": 0}
    labels = sorted(set(gold))
    oos = [p for g, p in zip(gold, predicted, strict=True) if g == OUT_OF_SCOPE]
    pairs = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    example_text: dict[tuple[str, str], str] = {}
    for e, p in zip(examples, predicted, strict=True):
        example_text.setdefault((e.label, p), e.text)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    return {
        "n": n,
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / n,
        "macro_f1": float(
            f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)
        ),
        "oos_recall": (sum(p in (OUT_OF_SCOPE, FALLBACK) for p in oos) / len(oos) if oos else None),
        "oos_n": len(oos),
        "fallback_rate": predicted.count(FALLBACK) / n,
        "confusions": [
            {"gold": g, "predicted": p, "count": c, "example": example_text[(g, p)]}
            for (g, p), c in pairs.most_common(CONFUSIONS)
        ],
        "per_label": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
    }


def by_language(
    examples: Sequence[Example], predictions: Sequence[Prediction]
) -> dict[str, Metrics]:
    return {
        lang: metrics(
            [e for e in examples if e.language == lang],
            [p for e, p in zip(examples, predictions, strict=True) if e.language == lang],
        )
        for lang in LANGUAGES
    }


def prediction_rows(
    examples: Sequence[Example], predictions: Sequence[Prediction]
) -> list[dict[str, Any]]:
    return [
        {
            "language": e.language,
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
        }
        for e, p in zip(examples, predictions, strict=True)
    ]


def target_failures(results: dict[str, Metrics]) -> list[str]:
    """The targets a variant misses, e.g. `uk macro-F1 0.912 < 0.93`."""
    missed = []
    for lang in LANGUAGES:
        m = results.get(lang, {})
        if not m.get("n"):
            continue
        if m["macro_f1"] < TARGETS["macro_f1"]:
            missed.append(f"{lang} macro-F1 {m['macro_f1']:.3f} < {TARGETS['macro_f1']}")
        if m["oos_recall"] is None:
            missed.append(f"{lang} OOS recall: no out_of_scope examples in the test set")
        elif m["oos_recall"] < TARGETS["oos_recall"]:
            missed.append(f"{lang} OOS recall {m['oos_recall']:.3f} < {TARGETS['oos_recall']}")
    return missed


# ---------------------------------------------------------------- output


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def print_report(variants: Sequence[Variant], title: str) -> None:
    names = [v.name for v in variants]
    width = max(12, *(len(n) for n in names))
    rows = [
        ("accuracy", "accuracy"),
        ("macro-F1", "macro_f1"),
        ("OOS recall", "oos_recall"),
        ("fallback rate", "fallback_rate"),
    ]
    print(f"\n=== {title} ===")
    for lang in LANGUAGES:
        counts = {v.metrics.get(lang, {}).get("n", 0) for v in variants}
        print(f"\n[{lang}] n={'/'.join(str(c) for c in sorted(counts))}")
        print("  " + " " * 14 + "".join(f"{n:>{width + 2}}" for n in names))
        for caption, key in rows:
            values = [v.metrics.get(lang, {}).get(key) for v in variants]
            print(f"  {caption:<14}" + "".join(f"{fmt(x):>{width + 2}}" for x in values))
        for v in variants:
            confusions = v.metrics.get(lang, {}).get("confusions", [])
            print(f"  top confusions, {v.name}:" + ("" if confusions else " none"))
            for c in confusions:
                print(
                    f"    {c['count']:>3} × {c['gold']} → {c['predicted']}   e.g. {c['example']!r}"
                )
    print(
        "\nTargets: macro-F1 ≥ {macro_f1} and OOS recall ≥ {oos_recall} per language".format(
            **TARGETS
        )
    )
    for v in variants:
        missed = target_failures(v.metrics)
        verdict = "all targets hold" if not missed else "MISSED: " + "; ".join(missed)
        print(f"  {v.name:<{width}}  {verdict}")


def docs_section(
    variants: Sequence[Variant],
    command: str,
    train_counts: dict[str, int],
    test_counts: dict[str, int],
    unseen: dict[str, dict[str, int]],
    seconds: float,
) -> str:
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    trained = [v.name for v in variants if v.trained]
    lines = [
        "### Latest run",
        "",
        f"Produced {today} by `{command}` in {seconds / 60:.0f} min "
        + (f"(trained: {', '.join(trained)})." if trained else "(all models reused)."),
        "Models are trained on `data/nlu` and tested on the held-out `tests/nlu/<lang>/*.yml`.",
        "",
        "| Language | Train | Test | Config | Accuracy | Macro-F1 | OOS recall | Fallback rate |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for lang in LANGUAGES:
        for v in variants:
            m = v.metrics.get(lang, {})
            lines.append(
                f"| {lang} | {train_counts[lang]} | {test_counts[lang]} | {v.name} "
                f"(`{rel(v.source)}`) | {fmt(m.get('accuracy'))} | {fmt(m.get('macro_f1'))} "
                f"| {fmt(m.get('oos_recall'))} | {fmt(m.get('fallback_rate'))} |"
            )
    lines += [
        "",
        f"Training examples: {sum(train_counts.values())} "
        f"({', '.join(f'{k} {v}' for k, v in train_counts.items())}); "
        f"test examples: {sum(test_counts.values())} "
        f"({', '.join(f'{k} {v}' for k, v in test_counts.items())}).",
        "Macro-F1 is over the labels of each language's test set; a retrieval intent is "
        "scored by its response key (`faq/…`); `nlu_fallback` counts as a wrong label, "
        "except for out-of-scope recall, where it counts as caught.",
        *(
            [
                "Test labels with no training data yet (scored as errors): "
                f"{describe_unseen(unseen)}."
            ]
            if unseen
            else []
        ),
        "",
        "Targets (macro-F1 ≥ {macro_f1}, OOS recall ≥ {oos_recall} per language):".format(
            **TARGETS
        ),
    ]
    for v in variants:
        missed = target_failures(v.metrics)
        lines.append(
            f"- {v.name}: " + ("all hold." if not missed else "missed — " + "; ".join(missed) + ".")
        )
    lines += ["", f"Top confusions of {variants[0].name} (gold → predicted, count, example):"]
    for lang in LANGUAGES:
        confusions = variants[0].metrics.get(lang, {}).get("confusions", [])
        described = "; ".join(
            f"{c['gold']} → {c['predicted']} ×{c['count']} (“{c['example']}”)" for c in confusions
        )
        lines.append(f"- {lang}: {described or 'none'}.")
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


# ---------------------------------------------------------------- modes


def held_out(
    variants: list[Variant], args: argparse.Namespace, command: str, scratch: Path
) -> None:
    started = time.monotonic()
    nlu_dir, domain = snapshot_inputs(args.nlu, args.domain, scratch)
    train_examples = load_examples(nlu_dir)
    tests = [e for e in load_examples(args.tests) if e.language in LANGUAGES]
    train_counts, test_counts = count_by_language(train_examples), count_by_language(tests)
    print(f"training examples per language: {train_counts}; test examples: {test_counts}")
    unseen = unseen_labels(train_examples, tests)
    if unseen:
        print(
            "WARNING: test labels without training examples (always wrong): "
            + describe_unseen(unseen)
        )
    for variant in variants:
        if variant.name == "ours" and args.ours_model:
            variant.model = args.ours_model
            print(f"[ours] scoring {rel(args.ours_model)} (trained by make train)", flush=True)
            continue
        ensure_model(variant, nlu_dir, domain, args.out)
    texts = [e.text for e in tests]
    for variant in variants:
        assert variant.model is not None
        started = time.monotonic()
        predictions = predict(variant.model, texts, args.out / "logs" / f"parse-{variant.name}.log")
        print(
            f"[{variant.name}] parsed {len(texts)} messages in {time.monotonic() - started:.0f} s"
        )
        variant.metrics = by_language(tests, predictions)
        variant.predictions = prediction_rows(tests, predictions)
    print_report(variants, "held-out test sets (tests/nlu)")
    report = args.out / "nlu_eval.json"
    write_json(
        report,
        {
            "command": command,
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "targets": TARGETS,
            "train_examples": train_counts,
            "test_examples": test_counts,
            "unseen_test_labels": unseen,
            "variants": {
                v.name: {
                    "config": rel(v.source),
                    "model": rel(v.model) if v.model else None,
                    "fingerprint": v.fingerprint,
                    "trained_now": v.trained,
                    "train_seconds": round(v.train_seconds, 1),
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
                variants, command, train_counts, test_counts, unseen, time.monotonic() - started
            ),
        )
        print(f"table: {rel(args.docs)}")


def cross_validate(
    variants: list[Variant], args: argparse.Namespace, command: str, scratch: Path
) -> None:
    """K-fold cross-validation on data/nlu, stratified by language and label."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    nlu_dir, domain = snapshot_inputs(args.nlu, args.domain, scratch)
    # Synonyms, regexes and lookup tables go into every fold; examples are split.
    everything = load_data(str(nlu_dir))
    messages: list[Message] = []
    tagged: list[Example] = []
    for path in sorted(nlu_dir.rglob("*.yml")) + sorted(nlu_dir.rglob("*.yaml")):
        language = language_of(path, nlu_dir) or "other"
        for message in load_data(str(path)).intent_examples:
            messages.append(message)
            tagged.append(
                Example(
                    language,
                    f"data/nlu/{path.relative_to(nlu_dir)}",
                    message.get("text"),
                    message.get_full_intent(),
                )
            )
    strata = [f"{e.language}:{e.label}" for e in tagged]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # strata smaller than K only warn
        splitter = StratifiedKFold(n_splits=args.cv, shuffle=True, random_state=42)
        folds = list(splitter.split(tagged, strata))
    found: dict[str, dict[int, Prediction]] = {v.name: {} for v in variants}
    for k, (train_idx, test_idx) in enumerate(folds, start=1):
        fold_dir = scratch / f"fold{k}"
        fold_dir.mkdir()
        fold_data = TrainingData(
            training_examples=[messages[i] for i in train_idx],
            entity_synonyms=everything.entity_synonyms,
            regex_features=everything.regex_features,
            lookup_tables=everything.lookup_tables,
            responses=everything.responses,
        )
        RasaYAMLWriter().dump(fold_dir / "nlu.yml", fold_data)
        held = [tagged[i].text for i in test_idx]
        for variant in variants:
            cached = args.out / "cv" / f"{fingerprint(variant.config, fold_dir, domain)}.json"
            if cached.exists():
                print(f"[cv {k}/{args.cv}] {variant.name}: reusing {rel(cached)}", flush=True)
                predictions = [
                    Prediction(**p) for p in json.loads(cached.read_text())["predictions"]
                ]
            else:
                print(
                    f"[cv {k}/{args.cv}] {variant.name}: training on {len(train_idx)}, "
                    f"testing on {len(test_idx)} examples ...",
                    flush=True,
                )
                model, seconds = train(
                    variant.config,
                    fold_dir,
                    domain,
                    scratch / "models",
                    f"{variant.name}-fold{k}",
                    args.out / "logs" / f"cv-{variant.name}-fold{k}.log",
                )
                variant.train_seconds += seconds
                log = args.out / "logs" / f"cv-parse-{variant.name}-fold{k}.log"
                predictions = predict(model, held, log)
                model.unlink()
                write_json(cached, {"predictions": [asdict(p) for p in predictions]})
            for i, prediction in zip(test_idx, predictions, strict=True):
                found[variant.name][int(i)] = prediction
    for variant in variants:
        predictions = [found[variant.name][i] for i in range(len(tagged))]
        variant.metrics = by_language(tagged, predictions)
        variant.predictions = prediction_rows(tagged, predictions)
    print_report(variants, f"{args.cv}-fold cross-validation on data/nlu")
    report = args.out / "nlu_cv.json"
    write_json(
        report,
        {
            "command": command,
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "folds": args.cv,
            "examples": count_by_language(tagged),
            "variants": {
                v.name: {
                    "config": rel(v.source),
                    "train_seconds": round(v.train_seconds, 1),
                    "metrics": v.metrics,
                    "predictions": v.predictions,
                }
                for v in variants
            },
        },
    )
    print(f"\npredictions and metrics: {rel(report)}")


# ---------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--baseline", type=Path, default=ROOT / "bench" / "baseline_config.yml")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--ours-model",
        type=Path,
        metavar="MODEL",
        help="score this trained model (e.g. models/kramar.tar.gz, built from config.yml "
        "and data/nlu) as 'ours' instead of training the same pipeline again",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=CONFIG",
        help="another configuration to compare (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--nlu", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--domain", type=Path, default=ROOT / "domain.yml")
    parser.add_argument("--tests", type=Path, default=ROOT / "tests" / "nlu")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", dest="docs", action="store_const", const=None)
    parser.add_argument(
        "--cv",
        type=int,
        default=0,
        metavar="K",
        help="run K-fold cross-validation on the training data instead",
    )
    args = parser.parse_args(argv)
    for name in ("config", "baseline", "out", "nlu", "domain", "tests", "docs", "ours_model"):
        value = getattr(args, name)
        if value is not None:
            setattr(args, name, (Path.cwd() / value).resolve())
    return args


def variants_of(args: argparse.Namespace) -> list[Variant]:
    variants = [Variant("ours", args.config, args.config)]
    if not args.skip_baseline:
        variants.append(Variant("baseline", args.baseline, args.baseline))
    for spec in args.variant:
        name, _, config = spec.partition("=")
        if not name or not config or not re.fullmatch(r"[\w.+-]+", name):
            raise SystemExit(f"--variant wants NAME=CONFIG, got {spec!r}")
        path = (Path.cwd() / config).resolve()
        variants.append(Variant(name, path, path))
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
    args = parse_args(argv)
    command = "PYTHONPATH=. .venv/bin/python " + shlex.join(["bench/nlu_eval.py", *argv])
    variants = variants_of(args)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nlu-eval-") as scratch:
        snapshot_configs(variants, Path(scratch) / "configs")
        if args.cv:
            cross_validate(variants, args, command, Path(scratch))
        else:
            held_out(variants, args, command, Path(scratch))
    print(f"total time: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
