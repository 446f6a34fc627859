"""What every method shares: the result type, input checks and the one model call.

In the style of PAIR saliency, a single small function (`ModelCall`) runs the
model and returns what a method asks for: logits, the explained scores, and the
gradient of those scores with respect to the input or to a conv activation.
It is a `tf.function` traced once per model, layer and input shape.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from xai.graph import explained_graph


@dataclass
class Explanation:
    """One method's answer for a batch.

    heatmap: (N, H, W) float32 in [0, 1] at input resolution.
    attributions: raw values, (N, h, w) for CAMs, (N, H, W, C) for IG / guided.
    targets: (N,) class ids explained.  scores: (N,) their pre-softmax logits.
    method: one of xai.methods.METHOD_NAMES.
    IG only: delta (N,), the completeness error |sum(attr) - (F(x) - F(x'))|
    relative to |F(x) - F(x')|; evaluations (N,) ints, the image rows the model
    ran for each image (see IntegratedGradients); steps, the fixed rule's m
    (None for adaptive IG); quadrature, the rule's name; baseline_scores (N,),
    F(x').
    extra: Guided Grad-CAM's internals: "gradcam" (its Grad-CAM heatmap) and
    "guided_backprop" (N, H, W, C).
    """

    heatmap: np.ndarray
    attributions: np.ndarray
    targets: np.ndarray
    scores: np.ndarray
    method: str
    delta: np.ndarray | None = None
    layer: str | None = None
    extra: dict = field(default_factory=dict)
    evaluations: np.ndarray | None = None
    steps: int | None = None
    quadrature: str | None = None
    baseline_scores: np.ndarray | None = None


def check_images(images, model) -> np.ndarray:
    """A float32 batch (N, H, W, C) that fits the model's input, or a ValueError."""
    try:
        x = np.asarray(images, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise ValueError(f"images must be a numeric array (N, H, W, C): {err}") from None
    if x.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, C); got shape {x.shape} (for one image use image[None])")
    if x.shape[0] == 0:
        raise ValueError("images is an empty batch")
    expected = _model_input_shape(model)
    if expected is not None and any(e is not None and e != g for e, g in zip(expected, x.shape[1:])):
        raise ValueError(f"images have shape {x.shape[1:]} per image; the model expects {tuple(expected)}")
    if not np.isfinite(x).all():
        raise ValueError("images contain NaN or infinite values")
    return x


def _model_input_shape(model):
    try:
        shape = model.inputs[0].shape
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    return tuple(shape[1:]) if len(shape) == 4 else shape[1:]


def check_targets(targets, n: int, num_classes: int) -> np.ndarray:
    """(N,) int32 class ids; -1 means "the predicted class" (resolved in the graph)."""
    if targets is None:
        return np.full(n, -1, dtype=np.int32)
    t = np.asarray(targets)
    if t.ndim == 0:
        t = np.full(n, t)
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"targets must be None, one class id or {n} class ids; got {targets!r}")
    bad = t[(t < 0) | (t >= num_classes)]
    if bad.size:
        raise ValueError(f"target class {int(bad[0])} is out of range: "
                         f"the model has {num_classes} classes (0..{num_classes - 1})")
    return t.astype(np.int32)


class CallOutput(NamedTuple):
    """What one model call returns: logits (N, K), the resolved targets (N,),
    their scores (N,), and the gradient asked for (None for a forward-only call)
    with, for Grad-CAM, the captured activations."""

    logits: np.ndarray
    targets: np.ndarray
    scores: np.ndarray
    gradients: np.ndarray | None = None
    activations: np.ndarray | None = None


class ModelCall:
    """Runs the flat graph once: logits, explained scores and one gradient.

    gradient_of: "input" (d score / d x), "activations" (d score / d A at the
    captured conv layer; the backward pass stops there) or None (forward only).
    """

    def __init__(self, model, layer=None, guided=False, gradient_of="input"):
        self.model = model
        self.layer = layer
        self.guided = guided
        self.gradient_of = gradient_of

    def graph(self, input_shape):
        return explained_graph(
            self.model, input_shape, layer=self.layer,
            capture=self.gradient_of == "activations", guided=self.guided,
        )

    def __call__(self, x: np.ndarray, targets: np.ndarray) -> CallOutput:
        fn = _traced(self.graph(x.shape[1:]), self.gradient_of)
        out = fn(tf.constant(x), tf.constant(targets, dtype=tf.int32))
        return CallOutput(**{k: v.numpy() for k, v in out.items()})


_TRACED_LOCK = threading.Lock()


def _traced(graph, gradient_of):
    # Kept on the cached graph, so it lives exactly as long as the model does.
    with _TRACED_LOCK:
        if gradient_of not in graph.traced:
            graph.traced[gradient_of] = _make_call(graph.model, gradient_of)
        return graph.traced[gradient_of]


def _make_call(flat, gradient_of):
    spec = flat.inputs[0].shape

    @tf.function(input_signature=[tf.TensorSpec((None, *spec[1:]), tf.float32), tf.TensorSpec((None,), tf.int32)])
    def call(x, targets):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            # Watching x records every op downstream even when the weights are
            # frozen; the gradient graph still only spans score -> source.
            tape.watch(x)
            out = flat(x, training=False)
            logits = out["logits"]
            targets = tf.where(targets < 0, tf.cast(tf.argmax(logits, -1), tf.int32), targets)
            scores = tf.gather(logits, targets, batch_dims=1)
        result = {"logits": logits, "targets": targets, "scores": scores}
        if gradient_of == "activations":
            result["activations"] = out["activations"]
            result["gradients"] = tape.gradient(scores, out["activations"])
        elif gradient_of == "input":
            result["gradients"] = tape.gradient(scores, x)
        return result

    # TF counts traces per code object, i.e. across all models' closures of
    # `call`; each closure is traced once (tested), so its warning is noise.
    call._omit_frequent_tracing_warning = True
    return call
