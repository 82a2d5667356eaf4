"""`make learn`: the inbox's export goes into the training data, by language, once."""

from __future__ import annotations

from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from bot.inbox.exports import nlu_yaml
from bot.learn import learn


def write(path: Path, examples: list[tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nlu_yaml(examples, generated_at="test"), encoding="utf-8")
    return path


def test_new_messages_go_to_their_language_and_the_rest_is_counted(tmp_path: Path) -> None:
    data, held_out = tmp_path / "data", tmp_path / "held_out"
    write(data / "en" / "orders.yml", [("order_status", "where is my order")])
    write(held_out / "pl" / "basics.yml", [("greet", "dzień dobry")])
    export = write(
        tmp_path / "export.yml",
        [
            ("human_handoff", "хочу поговорити з людиною"),
            ("human_handoff", "dajcie mi człowieka"),
            ("human_handoff", "a real human, please"),
            ("order_status", "Where is my ORDER?!"),  # the data has it already
            ("greet", "Dzien dobry"),  # a held-out message: never trained on
            ("made_up_intent", "something"),
        ],
    )
    counts = learn(export, data=data, held_out=held_out)
    assert counts == {
        "added (uk)": 1,
        "added (pl)": 1,
        "added (en)": 1,
        "already in the training data": 1,
        "in the held-out test sets": 1,
        "unknown intent": 1,
    }
    uk = load_data(str(data / "uk" / "reviewed.yml")).intent_examples
    assert [(m.get("intent"), m.get("text")) for m in uk] == [
        ("human_handoff", "хочу поговорити з людиною")
    ]
    # Learning the same export again adds nothing.
    again = learn(export, data=data, held_out=held_out)
    assert again["already in the training data"] == 4 and not any(
        key.startswith("added") for key in again
    )
