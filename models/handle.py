"""The lazy model handle: one model on disk with its card. Keras loads it on first
use, once (thread-safe), and its inference call is compiled once and kept.
"""
from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import numpy as np

from models.cards import ModelCard
from models.keras_file import ModelLoadError, check_loaded
from models.preprocessing import get_preprocess

USER = "user"
CACHE = "cache"


@dataclasses.dataclass(eq=False)
class ModelHandle:
    """One model on disk with its card; the Keras model loads on first use."""

    card: ModelCard
    path: Path
    origin: str = USER  # USER (a --models folder) or CACHE (imported pretrained)
    error: str | None = None  # set when loading failed; the model is unusable
    _keras: Any = dataclasses.field(default=None, repr=False)
    _forward: Any = dataclasses.field(default=None, repr=False)  # compiled model call, built once
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def attribute(self) -> str:
        return self.card.attribute

    @property
    def is_loaded(self) -> bool:
        return self._keras is not None

    @property
    def keras_model(self):
        """The Keras model, loaded once (thread-safe); ModelLoadError if it cannot be."""
        if self._keras is None:
            with self._lock:
                if self._keras is None:
                    self._keras = self._load()
        return self._keras

    def _load(self):
        if self.error:
            raise ModelLoadError(self.error)
        try:
            # lazy: keeps start-up free of TensorFlow
            import keras

            import models.graph_layers  # noqa: F401  registers the importers' layers, so their files load

            model = keras.saving.load_model(self.path, compile=False)
            check_loaded(model, self.card, self.path)
        except Exception as err:  # Keras raises many types for a bad file
            message = err.args[0] if isinstance(err, ModelLoadError) else f"{self.path}: cannot load: {err}"
            self.error = message
            raise ModelLoadError(message) from err
        return model

    def preprocess(self, pixels: np.ndarray) -> np.ndarray:
        """RGB pixels in [0, 255], (N, S, S, 3), to this model's input."""
        return get_preprocess(self.card.input.preprocessing)(np.asarray(pixels, dtype=np.float32))

    def predict(self, chips: np.ndarray) -> np.ndarray:
        """Probabilities (N, K) over card.labels for uint8 chips (N, S, S, 3)."""
        chips = np.asarray(chips)
        if chips.ndim == 3:
            chips = chips[None]
        size = self.card.input.size
        if chips.ndim != 4 or chips.shape[1:] != (size, size, 3):
            raise ValueError(
                f"{self.name} expects chips of shape (N, {size}, {size}, 3) "
                f"(see its card's input contract), got {chips.shape}"
            )
        probs = self._compiled_forward()(self.preprocess(chips))
        return np.asarray(probs, dtype=np.float64)

    def _compiled_forward(self):
        """The model's inference call as one tf.function (an eager call costs several
        times a compiled one); traced once per batch size, kept with the model."""
        if self._forward is None:
            model = self.keras_model
            import tensorflow as tf  # lazy: keeps start-up free of TensorFlow

            self._forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        return self._forward

    @property
    def rank(self) -> int:
        """0 user FairFace, 1 user FairFace biased, 2 other real data, 3 synthetic."""
        card = self.card
        if card.synthetic:
            return 3
        if self.origin == USER and card.training_data.startswith("FairFace"):
            biased = card.extra.get("biased") or "biased" in card.training_data
            return 1 if biased else 0
        return 2


# The old name, kept for code that imports it: it never meant "already loaded".
LoadedModel = ModelHandle
