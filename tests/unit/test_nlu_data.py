"""The held-out NLU test set stays held out."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def examples(folder: Path) -> set[str]:
    """Every example text under folder, annotations removed, lower-cased."""
    found = set()
    for path in folder.glob("*/*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                text = line.strip()
                if text.startswith("- "):
                    found.add(ANNOTATION.sub(r"\1", text[2:]).strip().lower())
    return found


def test_no_held_out_example_is_in_the_training_data() -> None:
    held_out, training = examples(ROOT / "tests" / "nlu"), examples(ROOT / "data" / "nlu")
    assert len(held_out) > 1500 and len(training) > 2000
    assert sorted(held_out & training) == []
