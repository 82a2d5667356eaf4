"""Rasa component: Kramar's intent classifier, FAQ question included.

A multinomial logistic regression over TF-IDF word (1-2) and character (2-5)
n-grams of the normalised text (bot/nlu/text.py). It trains in seconds, gives
the same model on every machine, and scored as well as DIET on wording nobody
on the team wrote (docs/benchmarks.md). The FAQ questions are labels of the same
model (`faq/invoice`): the message's intent is `faq` with the summed
probability of its questions, and the question goes where Rasa's
ResponseSelector would put it.

What it does not know it says so: a message whose best label is below a
threshold becomes `nlu_fallback`. The threshold is chosen at training time on a
validation split of the training data: the highest one that rejects at most
`max_rejected` of the in-scope validation messages.

Long messages: a customer's request often comes after a story. A message of
several sentences is classified whole and sentence by sentence; the rule that
picks its intent is `pick_prediction`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from bot.nlu.embeddings import embed
from bot.nlu.text import mask_identifiers, normalise, sentences

logger = logging.getLogger(__name__)

FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
# Intents that carry no request of their own: in a long message they are the
# greeting, the thanks or the context, not what the customer wants.
CONVERSATIONAL = {"greet", "goodbye", "thank", "affirm", "deny", "inform", OUT_OF_SCOPE}
# How much the sentence that carries the request adds to the whole message.
SENTENCE_WEIGHT = 0.5
MODEL_FILE = "linear_intents.npz"
META_FILE = "linear_intents.json"
RANKING_LENGTH = 10

# Feature extractors: word unigrams and bigrams, and character n-grams inside
# word boundaries (robust to typos, inflection and missing diacritics).
VECTORIZERS: dict[str, dict[str, Any]] = {
    "words": {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)\b\w+\b"},
    "chars": {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2},
}


# Candidate softmax scales for turning SVM scores into probabilities.
SCALES = tuple(float(s) for s in range(1, 41))


def softmax(scores: np.ndarray, scale: float) -> np.ndarray:
    scaled = scores * scale
    exp = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Prediction:
    """One text's label probabilities, best first."""

    ranking: list[tuple[str, float]]

    @property
    def label(self) -> str:
        return self.ranking[0][0]

    @property
    def confidence(self) -> float:
        return self.ranking[0][1]

    @property
    def intent(self) -> str:
        return self.label.split("/", 1)[0]


def is_request(label: str) -> bool:
    return label.split("/", 1)[0] not in CONVERSATIONAL


def request_strength(prediction: Prediction) -> float:
    return max((c for label, c in prediction.ranking if is_request(label)), default=0.0)


def pick_prediction(whole: Prediction, parts: list[Prediction]) -> Prediction:
    """The prediction that stands for a message of several sentences.

    The rule: the whole message's probabilities, plus half of the request
    probabilities of the sentence that carries a request most clearly (a
    request is any intent but a greeting, thanks, yes/no, bare data or
    off-topic; on a tie the later sentence, as customers put the request
    after the story), renormalised. The whole message keeps the context; the
    sentence lifts a request a long story would drown. Chosen on validation
    splits of the training data (multi-sentence messages, three splits):
    0.946 accuracy, against 0.943 for the whole message alone, 0.938 for
    adding the last sentence, 0.928 for the mean of the sentences and 0.920
    for the most confident request sentence alone.
    """
    if not parts:
        return whole
    carrier = parts[0]
    for part in parts[1:]:
        if request_strength(part) >= request_strength(carrier):
            carrier = part
    combined = dict(whole.ranking)
    for label, confidence in carrier.ranking:
        if is_request(label):
            combined[label] = combined.get(label, 0.0) + SENTENCE_WEIGHT * confidence
    total = sum(combined.values())
    ranking = sorted(((label, c / total) for label, c in combined.items()), key=lambda x: -x[1])
    return Prediction(ranking)


def tfidf(vectorizer: TfidfVectorizer, texts: list[str]) -> scipy.sparse.csr_matrix:
    """`vectorizer.transform(texts)`, the same arithmetic, without its per-call checks.

    scikit-learn 1.1 checks on every call that the vectorizer is fitted (a scan
    of its attributes) and that its idf is, by rebuilding the idf vector from
    its diagonal matrix: an eighth of the NLU's time in a Rasa replica under
    load. A loaded model is fitted once and for all. Private scikit-learn
    names: tests/unit/test_classifier.py compares the result with `transform`.
    """
    _, counts = vectorizer._count_vocab(texts, fixed_vocab=True)
    weighting = vectorizer._tfidf
    if weighting.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1
    weighted = counts * weighting._idf_diag
    return normalize(weighted, norm=weighting.norm, copy=False)


class LinearModel:
    """TF-IDF features, a linear SVM's scores and a softmax over them, as plain arrays.

    Stored as arrays and JSON, not pickled: loading a model runs no code from it.
    With `embeddings`, each text's multilingual sentence embedding
    (bot/nlu/embeddings.py) is appended to its n-gram features.
    """

    def __init__(
        self,
        vectorizers: dict[str, TfidfVectorizer],
        coef: np.ndarray,
        intercept: np.ndarray,
        labels: list[str],
        scale: float = 1.0,
        embeddings: bool = False,
    ) -> None:
        self.vectorizers, self.coef, self.intercept = vectorizers, coef, intercept
        self.labels, self.scale, self.embeddings = labels, scale, embeddings

    @property
    def coef(self) -> np.ndarray:
        """One row of feature weights per label (a view of `weights`)."""
        return self.weights.T

    @coef.setter
    def coef(self, value: np.ndarray) -> None:
        # Kept as features x labels in row order: sparse features @ a transposed view
        # made scipy copy all 14 MB of weights on every message (with float64
        # features it copied them as float64: 35 ms a message on this machine).
        self.weights = np.ascontiguousarray(value.T)

    @classmethod
    def fit(
        cls, texts: list[str], labels: list[str], c: float, seed: int, embeddings: bool = False
    ) -> LinearModel:
        vectorizers = {
            name: TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)
            for name, options in VECTORIZERS.items()
        }
        normalised = [normalise(text) for text in texts]
        for vectorizer in vectorizers.values():
            vectorizer.fit(normalised)
        model = cls(vectorizers, np.zeros(0), np.zeros(0), [], embeddings=embeddings)
        # liblinear with a fixed seed: the same data gives the same model everywhere.
        svm = LinearSVC(C=c, random_state=seed, max_iter=5000)
        svm.fit(model.features(texts), labels)
        model.coef = svm.coef_.astype(np.float32)
        model.intercept = svm.intercept_.astype(np.float32)
        model.labels = [str(label) for label in svm.classes_]
        return model

    def features(self, texts: list[str]) -> scipy.sparse.csr_matrix:
        normalised = [normalise(text) for text in texts]
        blocks = [tfidf(v, normalised) for v in self.vectorizers.values()]
        if self.embeddings:
            blocks.append(scipy.sparse.csr_matrix(embed([mask_identifiers(t) for t in texts])))
        # float32 like the weights: a float64 product would upcast all the weights per call.
        return scipy.sparse.hstack(blocks, format="csr", dtype=np.float32)

    def scores(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.features(texts) @ self.weights + self.intercept)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return softmax(self.scores(texts), self.scale)

    def calibrate(self, texts: list[str], labels: list[str]) -> float:
        """The softmax scale that makes the scores best probabilities on held-out `texts`."""
        scores = self.scores(texts)
        known = {label: i for i, label in enumerate(self.labels)}
        keep = [i for i, label in enumerate(labels) if label in known]
        scores = scores[keep]
        gold = np.array([known[labels[i]] for i in keep])
        rows = np.arange(len(gold))

        def loss(scale: float) -> float:
            return float(-np.log(softmax(scores, scale)[rows, gold] + 1e-12).mean())

        return min(SCALES, key=loss)

    def predict(self, texts: list[str]) -> list[Prediction]:
        predictions = []
        for row in self.probabilities(texts):
            order = np.argsort(-row, kind="stable")
            predictions.append(Prediction([(self.labels[i], float(row[i])) for i in order]))
        return predictions

    def arrays(self) -> dict[str, np.ndarray]:
        arrays = {"coef": self.coef, "intercept": self.intercept}
        for name, vectorizer in self.vectorizers.items():
            arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float32)
        return arrays

    def vocabularies(self) -> dict[str, list[str]]:
        """Each vectorizer's terms, in column order."""
        found = {}
        for name, vectorizer in self.vectorizers.items():
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            found[name] = terms
        return found

    @classmethod
    def from_arrays(
        cls,
        arrays: dict[str, np.ndarray],
        vocabularies: dict[str, list[str]],
        labels: list[str],
        scale: float,
        embeddings: bool,
    ) -> LinearModel:
        vectorizers = {}
        for name, options in VECTORIZERS.items():
            terms = vocabularies[name]
            options = {k: v for k, v in options.items() if k != "min_df"}
            vectorizer = TfidfVectorizer(
                sublinear_tf=True,
                dtype=np.float32,
                vocabulary={term: i for i, term in enumerate(terms)},
                **options,
            )
            vectorizer.idf_ = arrays[f"{name}_idf"].astype(np.float64)
            vectorizers[name] = vectorizer
        return cls(vectorizers, arrays["coef"], arrays["intercept"], labels, scale, embeddings)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Sets `intent`, `intent_ranking` and, for `faq/*`, the response selector's answer."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation strength of the linear SVM.
            "C": 1.0,
            # Share of in-scope validation messages the threshold may reject.
            "max_rejected": 0.02,
            # Share of the training data held out to choose the threshold.
            "validation_share": 0.2,
            "random_seed": 42,
            # Append multilingual sentence embeddings to the n-gram features.
            "embeddings": False,
            # Classify long messages sentence by sentence too (`pick_prediction`).
            "split_sentences": True,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: LinearModel | None = None,
        threshold: float = 0.0,
    ) -> None:
        # The rejection threshold applies to the best label's probability.
        self.config = {**self.get_default_config(), **config}
        self._storage, self._resource = model_storage, resource
        self.model, self.threshold = model, threshold

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    # ------------------------------------------------------------ training

    def train(self, training_data: TrainingData) -> Resource:
        # Sorted: Rasa's loading order can vary, the model must not.
        pairs = sorted(
            {
                (e.get_full_intent(), e.get(TEXT))
                for e in training_data.intent_examples
                if e.get(TEXT)
            }
        )
        labels = [label for label, _ in pairs]
        texts = [text for _, text in pairs]
        started = time.perf_counter()
        scale, self.threshold = self._validate(texts, labels)
        self.model = self._fit(texts, labels)
        self.model.scale = scale
        logger.info(
            "Trained on %d examples in %.1f s; rejection threshold %.3f.",
            len(texts),
            time.perf_counter() - started,
            self.threshold,
        )
        self._persist()
        return self._resource

    def _fit(self, texts: list[str], labels: list[str]) -> LinearModel:
        config = self.config
        return LinearModel.fit(
            texts, labels, config["C"], config["random_seed"], config["embeddings"]
        )

    def _validate(self, texts: list[str], labels: list[str]) -> tuple[float, float]:
        """The softmax scale and the rejection threshold, chosen on a validation split.

        The threshold is the highest that rejects at most `max_rejected` of the
        in-scope validation messages the model got right or wrong alike.
        """
        counts: dict[str, int] = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        # Stratify where every label has the two examples that needs.
        stratify = labels if min(counts.values()) >= 2 else None
        train_texts, valid_texts, train_labels, valid_labels = train_test_split(
            texts,
            labels,
            test_size=self.config["validation_share"],
            random_state=self.config["random_seed"],
            stratify=stratify,
        )
        model = self._fit(train_texts, train_labels)
        model.scale = model.calibrate(valid_texts, valid_labels)
        in_scope = [
            p.confidence
            for p, gold in zip(model.predict(valid_texts), valid_labels, strict=False)
            if gold != OUT_OF_SCOPE and p.label != OUT_OF_SCOPE
        ]
        if not in_scope:
            return model.scale, 0.0
        return model.scale, float(np.quantile(in_scope, self.config["max_rejected"]))

    def _persist(self) -> None:
        assert self.model is not None
        with self._storage.write_to(self._resource) as folder:
            np.savez_compressed(folder / MODEL_FILE, **self.model.arrays())
            meta = {
                "labels": self.model.labels,
                "vocabularies": self.model.vocabularies(),
                "threshold": self.threshold,
                "scale": self.model.scale,
                "embeddings": self.model.embeddings,
            }
            (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as folder:
                meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
                with np.load(folder / MODEL_FILE) as stored:
                    arrays = {name: stored[name] for name in stored.files}
        except ValueError:
            logger.warning(
                "No trained intent classifier in the model: every message is a fallback."
            )
            return cls(config, model_storage, resource)
        model = LinearModel.from_arrays(
            arrays, meta["vocabularies"], meta["labels"], float(meta["scale"]), meta["embeddings"]
        )
        return cls(config, model_storage, resource, model, float(meta["threshold"]))

    # ---------------------------------------------------------- prediction

    def predict_texts(self, texts: list[str]) -> list[Prediction]:
        """The prediction for each raw message text, long messages by `pick_prediction`."""
        assert self.model is not None
        split = sentences if self.config["split_sentences"] else lambda text: [text]
        splits = [split(text) for text in texts]
        batch: list[str] = []
        for text, parts in zip(texts, splits, strict=False):
            batch.append(text)
            if len(parts) > 1:
                batch.extend(parts)
        predicted = iter(self.model.predict(batch))
        chosen = []
        for parts in splits:
            whole = next(predicted)
            if len(parts) > 1:
                whole = pick_prediction(whole, [next(predicted) for _ in parts])
            chosen.append(whole)
        return chosen

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        texts = [message.get(TEXT) or "" for message in messages]
        for message, prediction in zip(messages, self.predict_texts(texts), strict=False):
            self._set_output(message, prediction)
        return messages

    def _set_output(self, message: Message, prediction: Prediction) -> None:
        # The intent ranking knows `faq`, not its questions.
        intents: dict[str, float] = {}
        for label, confidence in prediction.ranking:
            name = label.split("/", 1)[0]
            intents[name] = intents.get(name, 0.0) + confidence
        ranking = sorted(intents.items(), key=lambda item: -item[1])
        top_name, top_confidence = ranking[0]
        if prediction.confidence < self.threshold and top_name != OUT_OF_SCOPE:
            top_name = FALLBACK
        message.set(INTENT, {"name": top_name, "confidence": top_confidence}, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY,
            [{"name": n, "confidence": c} for n, c in ranking[:RANKING_LENGTH]],
            add_to_output=True,
        )
        if top_name != FALLBACK:
            self._set_question(message, prediction, top_name)

    def _set_question(self, message: Message, prediction: Prediction, intent: str) -> None:
        """The retrieval question (`faq/invoice`) where Rasa's ResponseSelector puts it."""
        questions = [
            (label, c) for label, c in prediction.ranking if label.startswith(f"{intent}/")
        ]
        if not questions:
            return
        total = sum(c for _, c in questions) or 1.0
        key, confidence = questions[0]
        selector = {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: [],
                "confidence": confidence / total,
                INTENT_RESPONSE_KEY: key,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{key}",
            },
            RESPONSE_SELECTOR_RANKING_KEY: [
                {"confidence": c / total, INTENT_RESPONSE_KEY: label}
                for label, c in questions[:RANKING_LENGTH]
            ],
        }
        properties = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
        properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = sorted(
            {label.split("/", 1)[0] for label in self.model.labels if "/" in label}  # type: ignore[union-attr]
        )
        properties[intent] = selector
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)
