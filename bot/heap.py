"""Keeps what a server loaded at start out of the garbage collector's full passes.

A Rasa replica holds about 550,000 objects once its model is loaded (TensorFlow,
spaCy, the model, the domain), the gateway about 130,000. Python's full
collection walks all of them: 400-500 ms in a replica, every turn on it
waiting (measured with `gc.callbacks`). What is loaded at start lives as long
as the process, so once the server is ready it is frozen (`gc.freeze`): full
passes then walk only what turns created since.
"""

from __future__ import annotations

import gc


def freeze_loaded() -> None:
    """Collects once, then moves every object alive now out of the collector's passes."""
    gc.collect()
    gc.freeze()


def refreeze_after_reload() -> None:
    """After a new model replaced the old one: the old one's cycles are collected
    (a frozen object is never freed by the collector), then the new one frozen."""
    gc.unfreeze()
    freeze_loaded()
