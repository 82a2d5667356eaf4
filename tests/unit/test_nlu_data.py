"""The held-out NLU test set stays held out."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def normalised(text: str) -> str:
    """The text with what does not make it a different message taken out.

    Case, diacritics, punctuation, emoji and stretched letters ("nooo") do not:
    "Dzięki!" in training would make "dzieki" in the test set a seen message.
    """
    text = unicodedata.normalize("NFKD", ANNOTATION.sub(r"\1", text).lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"[\W_]+", " ", text).strip()
    return re.sub(r"([^\W\d_])\1+", r"\1", text)


def examples(folder: Path) -> set[str]:
    """Every example text under folder, normalised."""
    found = set()
    for path in folder.glob("*/*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                text = line.strip()
                if text.startswith("- "):
                    found.add(normalised(text[2:]))
    return found - {""}


def test_normalising_keeps_only_what_makes_a_message_different() -> None:
    assert normalised("Dzięki!! 🙏") == normalised("dzieki") == "dzieki"
    assert normalised("NOOOPE") == normalised("nope")
    assert normalised("where is [10001](order_id)?") == "where is 10001"
    assert normalised("where is my order") != normalised("where is my refund")


def test_no_held_out_example_is_in_the_training_data() -> None:
    held_out, training = examples(ROOT / "tests" / "nlu"), examples(ROOT / "data" / "nlu")
    assert len(held_out) > 1500 and len(training) > 2000
    assert sorted(held_out & training) == []
