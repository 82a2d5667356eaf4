"""Adds the inbox's "misunderstood" export to the training data, by language.

    python -m bot.learn kramar-misunderstood.yml     (or: make learn EXPORT=...)

The export (inbox → Review → "Export training data") holds the messages agents
marked as misunderstood, each under the intent they chose. Each message goes
to data/nlu/<language>/reviewed.yml under its intent. Skipped, and counted:
messages the training data already has, messages of the held-out test sets
(tests/nlu: training on them would make `make eval` lie), and intents the
domain does not know. `make learn` then retrains; the running bot picks the new
model up by itself within seconds (bot/channels/model_reload.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

from bot.inbox.exports import nlu_yaml
from bot.nlu.text import message_language, normalise

ROOT = Path(__file__).resolve().parent.parent
DATA, HELD_OUT, DOMAIN = ROOT / "data" / "nlu", ROOT / "tests" / "nlu", ROOT / "domain.yml"
FILE_NAME = "reviewed.yml"
HEADER = "# Messages agents marked as misunderstood in the inbox, added by `make learn`.\n"


def key(text: str) -> str:
    """What makes two messages the same: not case, diacritics, punctuation or stretched letters."""
    plain = re.sub(r"[\W_]+", " ", normalise(text)).strip()
    return re.sub(r"([^\W\d_])\1+", r"\1", plain)


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) of every example in a Rasa NLU YAML file."""
    from rasa.shared.nlu.training_data.loading import load_data

    return [(m.get_full_intent(), m.get("text")) for m in load_data(str(path)).intent_examples]


def known_texts(folder: Path) -> set[str]:
    return {key(text) for path in folder.glob("*/*.yml") for _, text in read_examples(path)}


def domain_intents() -> set[str]:
    intents = yaml.safe_load(DOMAIN.read_text(encoding="utf-8")).get("intents", [])
    return {next(iter(i)) if isinstance(i, dict) else str(i) for i in intents}


def learn(export: Path, data: Path = DATA, held_out: Path = HELD_OUT) -> Counter[str]:
    """Adds the export's new examples to `data`; returns what happened, counted."""
    counts: Counter[str] = Counter()
    seen, held = known_texts(data), known_texts(held_out)
    intents = domain_intents()
    added: dict[str, list[tuple[str, str]]] = {}
    for intent, text in read_examples(export):
        if intent.split("/", 1)[0] not in intents:
            counts["unknown intent"] += 1
        elif key(text) in held:
            counts["in the held-out test sets"] += 1
        elif key(text) in seen:
            counts["already in the training data"] += 1
        else:
            seen.add(key(text))
            language = message_language(text)
            added.setdefault(language, []).append((intent, text))
            counts[f"added ({language})"] += 1
    for language, examples in added.items():
        path = data / language / FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        earlier = read_examples(path) if path.exists() else []
        body = nlu_yaml(earlier + examples, generated_at="").split("\n", 2)[2]
        path.write_text(HEADER + body, encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path, help="the YAML file the inbox exported")
    args = parser.parse_args(argv)
    if not args.export.is_file():
        print(f"step 'learn': no file at {args.export}", file=sys.stderr)
        return 1
    counts = learn(args.export)
    for what, count in sorted(counts.items()):
        print(f"step 'learn': {count} {what}")
    if not any(what.startswith("added") for what in counts):
        print("step 'learn': nothing new to train on.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
