"""Rebuild a Keras 3 classifier as one flat graph: input -> (activations, logits).

Explanations need two things a saved classifier hides: the pre-softmax score
and an intermediate conv activation. Asking `model.get_layer(...).output` for a
layer inside a nested backbone (a ResNet50 inside a Sequential, or a
functional model calling a sub-model) gives a tensor of the *inner* graph, and
`keras.Model(model.input, that)` fails with "Graph disconnected". So instead
we re-call every layer, recursing into nested models, on one fresh
`keras.Input`: the result is a flat functional model whose tensors all share
that input. The original layers (and their live weights) are reused, nothing is
copied, except a squashing head that is not a Dense (it is cloned without its
activation).
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import keras
import tensorflow as tf
from keras import ops

_RECTIFIERS = {"relu", "relu6"}
_SQUASHERS = {"softmax", "sigmoid"}


@dataclass(frozen=True)
class ExplainedGraph:
    """A flat model: `model(x)` -> {"logits": (N, K), "activations": (N, h, w, k)}."""

    model: keras.Model
    layer: str | None  # path of the captured layer ("resnet50/conv5_block3_out")
    num_classes: int
    traced: dict = field(default_factory=dict, compare=False, repr=False)  # filled by xai.base


def explained_graph(model, input_shape, layer=None, capture=False, guided=False) -> ExplainedGraph:
    """The flat graph for `model` at `input_shape` (H, W, C), built once and cached.

    capture: also output a 4-D activation, `layer` (a name or a "outer/inner"
    path) or, when `layer` is None, the last 4-D output after a conv layer.
    guided: gradients pass each ReLU only where they are positive (guided
    backpropagation), by a gate after every rectifier.
    """
    key = (tuple(input_shape), layer if capture else None, bool(capture), bool(guided))
    with _LOCK:
        per_model = _CACHE.setdefault(model, {})
        if key not in per_model:
            per_model[key] = _build(model, tuple(input_shape), layer, capture, guided)
        return per_model[key]


_LOCK = threading.RLock()
_CACHE: weakref.WeakKeyDictionary[keras.Model, dict] = weakref.WeakKeyDictionary()


def _build(model, input_shape, layer, capture, guided) -> ExplainedGraph:
    head = _head(model)
    walker = _Walker(head, guided)
    inputs = keras.Input(shape=input_shape)
    logits = walker.run(model, inputs, prefix="")
    if len(logits.shape) != 2:
        raise ValueError(
            f"expected a classifier with output (N, classes); {model.name!r} outputs shape {tuple(logits.shape)}"
        )
    outputs = {"logits": logits}
    path = None
    if capture:
        path, outputs["activations"] = walker.target(layer)
    flat = keras.Model(inputs, outputs, name=f"{model.name}_explained")
    return ExplainedGraph(model=flat, layer=path, num_classes=int(logits.shape[-1]))


def _is_graph_model(op) -> bool:
    return isinstance(op, keras.Sequential) or hasattr(op, "_run_through_graph")


def _head(model):
    """The operation that produces the model's output, looking inside nested models."""
    if isinstance(model, keras.Sequential):
        last = model.layers[-1]
    elif hasattr(model, "_run_through_graph"):
        if len(model.outputs) != 1:
            raise ValueError(f"expected a single-output classifier; {model.name!r} has {len(model.outputs)} outputs")
        last = model.outputs[0]._keras_history.operation
    else:
        return model
    return _head(last) if _is_graph_model(last) else last


def _activation_name(op) -> str:
    if isinstance(op, keras.layers.Softmax):
        return "softmax"
    if isinstance(op, keras.layers.ReLU):
        return "relu"
    if type(op).__name__ == "Softmax":  # keras.ops.softmax used inside a functional graph
        return "softmax"
    return getattr(getattr(op, "activation", None), "__name__", "")


def _is_conv(op) -> bool:
    return "Conv" in type(op).__name__


class _Walker:
    """Re-calls every layer on fresh tensors, remembering each layer's output."""

    def __init__(self, head, guided):
        self.head = head
        self.guided = guided
        self.records: list[tuple[str, object, object]] = []  # (path, op, output)

    def run(self, model, inputs, prefix):
        if isinstance(model, keras.Sequential):
            x = inputs
            for layer in model.layers:
                x = self.call(layer, prefix, x)
            return x
        # Keras' own graph runner visits nodes in dependency order and fills in
        # each node's arguments; we only intercept the call of each operation.
        return model._run_through_graph(
            inputs, operation_fn=lambda op: (lambda *a, **kw: self.call(op, prefix, *a, **kw))
        )

    def call(self, op, prefix, *args, **kwargs):
        if _is_graph_model(op):
            inner = args[0] if len(args) == 1 else list(args)
            return self.run(op, inner, prefix + op.name + "/")
        if op is self.head and _activation_name(op) in _SQUASHERS:
            return _logits_of(op, args[0])
        if "training" in getattr(op, "_call_context_args", ()):
            kwargs["training"] = False  # BatchNorm statistics, no dropout
        out = op(*args, **kwargs)
        self.records.append((prefix + op.name, op, out))
        if self.guided and _activation_name(op) in _RECTIFIERS:
            out = _GuidedGate(name=f"{op.name}_guided_{len(self.records)}")(out)
        return out

    def target(self, layer):
        return self._named(layer) if layer is not None else self._last_conv_map()

    def _named(self, layer):
        for path, _, out in reversed(self.records):
            if layer in (path, path.rsplit("/", 1)[-1]):
                if len(out.shape) != 4:
                    raise ValueError(f"layer {layer!r} outputs shape {tuple(out.shape)}; "
                                     "Grad-CAM needs a 4-D (N, h, w, k) map")
                return path, out
        names = [p for p, _, o in self.records if len(o.shape) == 4][-5:]
        raise ValueError(f"no layer named {layer!r} in the model; layers with 4-D outputs near the top: {names}")

    def _last_conv_map(self):
        """The last 4-D output downstream of a conv layer. A map with more than one
        position wins over a later 1x1 one (a pooled map kept 4-D has no "where");
        a net whose only conv map is 1x1 gets that one."""
        first_conv = next((i for i, (_, op, _) in enumerate(self.records) if _is_conv(op)), len(self.records))
        fallback = None
        for path, _, out in reversed(self.records[first_conv:]):
            if len(out.shape) == 4:
                if tuple(out.shape[1:3]) != (1, 1):
                    return path, out
                fallback = fallback or (path, out)
        if fallback:
            return fallback
        raise ValueError(
            "the model has no convolutional layer with a 4-D output feeding the classifier; "
            "Grad-CAM needs one (or pass layer= a 4-D layer name)"
        )


def _logits_of(op, x):
    """The squashing head's input to its softmax/sigmoid: the score to explain."""
    if isinstance(op, keras.layers.Dense):
        return _DenseLogits(op, name=f"{op.name}_logits")(x)
    if not hasattr(op, "activation") or isinstance(op, keras.layers.Activation):
        return x  # a Softmax/Activation layer: its input is the logit
    config = {**op.get_config(), "activation": None, "name": f"{op.name}_logits"}
    clone = type(op).from_config(config)
    clone.build(tuple(x.shape))
    clone.set_weights(op.get_weights())
    return clone(x)


class _DenseLogits(keras.layers.Layer):
    """The Dense layer's affine part on its live weights (no copy, never stale)."""

    def __init__(self, dense, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense

    def call(self, x):
        y = ops.matmul(x, self.dense.kernel)
        return y + self.dense.bias if self.dense.use_bias else y


@tf.custom_gradient
def _pass_positive_gradient(x):
    # Placed after a ReLU, whose own backward already keeps only positive
    # inputs: together they are guided backpropagation's rule.
    return tf.identity(x), lambda g: tf.nn.relu(g)


class _GuidedGate(keras.layers.Layer):
    def call(self, x):
        return _pass_positive_gradient(x)
