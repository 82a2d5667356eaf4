"""The review loop: the inbox's export is learnt, retrained, and served without a restart.

A stack of its own runs on a copy of the model. While a customer is half-way
through the order form, messages agents marked as misunderstood are added to
(a copy of) the training data, a model is trained over the copy the running
Rasa serves, and Rasa swaps it in by itself: the half-done conversation
carries on, and the message the old model did not understand is understood.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.inbox.exports import nlu_yaml
from bot.launcher import Stack
from bot.learn import learn
from tests.support.chat import Chat
from tests.support.shop import ShopApi
from tests.support.stack import running_stack, stack_env

ROOT = Path(__file__).resolve().parents[2]
# A word no customer has written yet: the old model cannot know what it means.
CODEWORD = "kramarolog"


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Path]]:
    workdir = tmp_path_factory.mktemp("review-loop")
    model = workdir / "models" / "kramar.tar.gz"
    model.parent.mkdir()
    shutil.copy2(ROOT / "models" / "kramar.tar.gz", model)
    env = {**stack_env(workdir), "RASA_MODEL": str(model), "MODEL_RELOAD_SECONDS": "0.5"}
    with running_stack(env, workdir) as stack:
        yield stack, workdir


def model_id(stack: Stack) -> str:
    settings = stack.settings
    status = requests.get(
        f"http://127.0.0.1:{settings.rasa_port}/status",
        params={"token": settings.rasa_token},
        timeout=10,
    )
    status.raise_for_status()
    return str(status.json()["model_id"])


def intent(stack: Stack, text: str) -> str:
    settings = stack.settings
    parsed = requests.post(
        f"http://127.0.0.1:{settings.rasa_port}/model/parse",
        params={"token": settings.rasa_token},
        json={"text": text},
        timeout=10,
    )
    parsed.raise_for_status()
    return str(parsed.json()["intent"]["name"])


# Trains a model: about a minute alone, several on a machine busy with other work.
@pytest.mark.timeout(900)
def test_a_learnt_message_is_understood_after_retraining_without_losing_conversations(
    own_stack: tuple[Stack, Path],
) -> None:
    stack, workdir = own_stack
    rasa_url = f"http://127.0.0.1:{stack.settings.rasa_port}"
    shop = ShopApi(stack.settings.shop_url, stack.settings.shop_api_key)
    before = model_id(stack)

    # The old model does not know the word.
    assert intent(stack, CODEWORD) != "human_handoff"

    # A customer is half-way through the order form when the new model arrives.
    customer = Chat(rasa_url)
    assert "email" in customer.say("where is my order 10001?").lower()

    # Agents marked the word as a request for a person; the export is learnt.
    export = workdir / "export.yml"
    marked = [("human_handoff", CODEWORD), ("human_handoff", f"{CODEWORD} please")]
    marked.append(("human_handoff", f"I need a {CODEWORD}"))
    export.write_text(nlu_yaml(marked, generated_at="now"), encoding="utf-8")
    data = workdir / "data"
    shutil.copytree(ROOT / "data", data)
    counts = learn(export, data=data / "nlu")
    assert counts["added (en)"] == 3, counts
    assert CODEWORD in (data / "nlu" / "en" / "reviewed.yml").read_text(encoding="utf-8")

    model = workdir / "models" / "kramar.tar.gz"
    trained = subprocess.run(
        [sys.executable, "-m", "bot.train", "--out", str(model), "--data", str(data)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert trained.returncode == 0, trained.stdout[-3000:]
    assert "step 'train'" in trained.stdout

    deadline = time.monotonic() + 60
    while model_id(stack) == before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert model_id(stack) != before, "the running Rasa did not load the new model"

    # The half-done conversation carries on where it was.
    order = shop.order(10001)
    answer = customer.say(order["customer"]["email"])
    assert order["shipment"]["tracking_number"] in answer

    # And what agents marked is now understood: the customer gets a person.
    assert intent(stack, CODEWORD) == "human_handoff"
    assert "a person" in Chat(rasa_url).say(CODEWORD)
