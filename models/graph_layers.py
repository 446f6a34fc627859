"""Keras layers for the few graph operations that Keras has no layer for.

The TF.js importer (models/importers/tfjs_graph.py) rebuilds graphs from standard Keras
layers where one exists. SSR-Net's soft stagewise regression divides tensors,
slices single columns and mixes tensors with scalars, and a regression score
needs turning into class logits; these layers do exactly that and nothing else.
They are registered under the "facexai" package, so a `.keras` file that uses
them loads once this module has been imported (models.handle imports it before
every load). That is why this module is here and not in models/importers/: the
importers write these layers, but the runtime needs them to read the files back.
"""
from __future__ import annotations

import keras
from keras import ops

PACKAGE = "facexai"

_BINARY = {
    "add": ops.add,
    "sub": ops.subtract,
    "mul": ops.multiply,
    "div": ops.divide,
    "minimum": ops.minimum,
    "maximum": ops.maximum,
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Arithmetic(keras.layers.Layer):
    """One elementwise op of two tensors, or of a tensor and a constant (broadcast).

    op: a key of _BINARY. constant: a scalar or nested list; None means the
    layer takes two tensors. constant_first: the constant is the left operand
    (a graph's `2 - x`, `1 / x`).
    """

    def __init__(self, op: str, constant=None, constant_first: bool = False, **kwargs):
        super().__init__(**kwargs)
        if op not in _BINARY:
            raise ValueError(f"unknown op {op!r}; known: {sorted(_BINARY)}")
        self.op = op
        self.constant = constant
        self.constant_first = constant_first

    def call(self, inputs):
        fn = _BINARY[self.op]
        if self.constant is None:
            left, right = inputs
            return fn(left, right)
        constant = ops.convert_to_tensor(self.constant, dtype=inputs.dtype)
        return fn(constant, inputs) if self.constant_first else fn(inputs, constant)

    def compute_output_shape(self, input_shape):
        if self.constant is None:
            return _broadcast(*input_shape)
        return _broadcast(input_shape, _shape_of(self.constant))

    def get_config(self):
        return {**super().get_config(), "op": self.op, "constant": self.constant,
                "constant_first": self.constant_first}


def _shape_of(value) -> tuple:
    shape = []
    while isinstance(value, (list, tuple)):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def _broadcast(a, b) -> tuple:
    a, b = tuple(a), tuple(b)
    width = max(len(a), len(b))
    a, b = (1,) * (width - len(a)) + a, (1,) * (width - len(b)) + b
    return tuple(y if x == 1 else x if y == 1 or y is None else y for x, y in zip(a, b))


@keras.saving.register_keras_serializable(package=PACKAGE)
class StridedSlice(keras.layers.Layer):
    """TensorFlow's StridedSlice without ellipsis or new axes: per axis a
    begin:end:stride range (masked ends run to the edge), or one index with the
    axis dropped (shrink)."""

    def __init__(self, begin, end, strides, begin_mask: int = 0, end_mask: int = 0, shrink_axis_mask: int = 0,
                 **kwargs):
        super().__init__(**kwargs)
        self.begin, self.end, self.strides = list(begin), list(end), list(strides)
        self.begin_mask, self.end_mask, self.shrink_axis_mask = begin_mask, end_mask, shrink_axis_mask

    def _index(self) -> tuple:
        index = []
        for axis, (begin, end, stride) in enumerate(zip(self.begin, self.end, self.strides)):
            if self.shrink_axis_mask >> axis & 1:
                index.append(begin)
            else:
                index.append(slice(None if self.begin_mask >> axis & 1 else begin,
                                   None if self.end_mask >> axis & 1 else end, stride))
        return tuple(index)

    def call(self, x):
        return x[self._index()]

    def compute_output_shape(self, shape):
        out = []
        for size, item in zip(shape, self._index() + (slice(None),) * (len(shape) - len(self.begin))):
            if isinstance(item, slice):
                out.append(None if size is None else len(range(*item.indices(size))))
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "begin": self.begin, "end": self.end, "strides": self.strides,
                "begin_mask": self.begin_mask, "end_mask": self.end_mask,
                "shrink_axis_mask": self.shrink_axis_mask}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ProbabilityLogits(keras.layers.Layer):
    """A score p in [0, 1] read as P(first class), as two logits (log p, log(1 - p)):
    a Softmax after it gives back (p, 1 - p) exactly. p is clipped to
    [epsilon, 1 - epsilon] first (a regression score can leave [0, 1])."""

    def __init__(self, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, score):
        p = ops.clip(score, self.epsilon, 1.0 - self.epsilon)
        return ops.concatenate([ops.log(p), ops.log(1.0 - p)], axis=-1)

    def compute_output_shape(self, shape):
        return tuple(shape[:-1]) + (2,)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
