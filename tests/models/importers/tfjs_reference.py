"""An independent float64 execution of a TF.js graph-model JSON, the reference the
converted Keras models are checked against (tests/models/importers/test_pretrained_gear.py,
test_pretrained_human.py).

The tensorflowjs pip package pins old dependencies and does not install beside
TF 2.21, so this is a small numpy interpreter written for the tests: its own
weight decoding, convolutions (TensorFlow's SAME/VALID padding rules), pooling,
slicing and arithmetic, node by node. It shares no code with models/importers/tfjs_graph.py.
"""
from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np


class ReferenceGraph:
    """Runs a TF.js graph-model JSON node by node in float64."""

    def __init__(self, path: Path):
        spec = json.loads(Path(path).read_text())
        self.nodes = {n["name"]: n for n in spec["modelTopology"]["node"]}
        signature = spec.get("signature") or spec["userDefinedMetadata"]["signature"]
        self.outputs = {k: v["name"].split(":")[0] for k, v in signature["outputs"].items()}
        self.weights = {}
        for group in spec["weightsManifest"]:
            data = b"".join((Path(path).parent / p).read_bytes() for p in group["paths"])
            offset = 0
            for w in group["weights"]:
                stored = np.float16 if w.get("quantization", {}).get("dtype") == "float16" else np.dtype(w["dtype"])
                count = int(np.prod(w["shape"]))
                self.weights[w["name"]] = np.frombuffer(data, stored, count, offset).reshape(w["shape"])
                offset += count * np.dtype(stored).itemsize

    def run(self, outputs: list[str], x: np.ndarray) -> dict[str, np.ndarray]:
        """Signature outputs (or node names) for input x; the graph runs once for all."""
        values: dict[str, np.ndarray] = {}

        def value(name):
            name = name.split(":")[0]
            if name not in values:
                values[name] = self.evaluate(self.nodes[name], value, x)
            return values[name]

        return {output: value(self.outputs.get(output, output)) for output in outputs}

    def evaluate(self, node, value, x):
        op, inputs = node["op"], node.get("input", [])
        attr = node.get("attr", {})
        if op == "Placeholder":
            return x.astype(np.float64)
        if op == "Const":
            weight = self.weights[node["name"]]
            return weight.astype(np.float64) if weight.dtype.kind == "f" else weight
        if op in _ELEMENTWISE:
            return _ELEMENTWISE[op](*(value(i) for i in inputs[: _ARITY[op]]))
        if op == "_FusedConv2D":
            return _fused(conv2d(value(inputs[0]), value(inputs[1]), attr) + value(inputs[2]), attr)
        if op == "Conv2D":
            return conv2d(value(inputs[0]), value(inputs[1]), attr)
        if op == "DepthwiseConv2dNative":
            return depthwise_conv2d(value(inputs[0]), value(inputs[1]), attr)
        if op == "_FusedMatMul":
            return _fused(value(inputs[0]) @ value(inputs[1]) + value(inputs[2]), attr)
        if op in ("MaxPool", "AvgPool"):
            return pool(value(inputs[0]), attr, op)
        if op in ("Max", "Mean"):
            axes = tuple(int(a) for a in np.atleast_1d(value(inputs[1])))
            keep = attr.get("keep_dims", {}).get("b", False)
            return (np.max if op == "Max" else np.mean)(value(inputs[0]), axis=axes, keepdims=keep)
        if op == "Reshape":
            return value(inputs[0]).reshape([int(d) for d in value(inputs[1])])
        if op == "ExpandDims":
            return np.expand_dims(value(inputs[0]), int(np.asarray(value(inputs[1])).reshape(-1)[0]))
        if op == "StridedSlice":
            return strided_slice(value(inputs[0]), *(value(i) for i in inputs[1:4]), attr)
        raise NotImplementedError(op)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_ELEMENTWISE = {
    "Identity": lambda a: a,
    "Relu": lambda a: np.maximum(a, 0),
    "Tanh": np.tanh,
    "Sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "Softmax": _softmax,
    "Mul": np.multiply,
    "Add": np.add,
    "AddV2": np.add,
    "RealDiv": np.divide,
    "Minimum": np.minimum,
    "Maximum": np.maximum,
}
_ARITY = {op: 1 if op in ("Identity", "Relu", "Tanh", "Sigmoid", "Softmax") else 2 for op in _ELEMENTWISE}


def _text(attr, key, default):
    encoded = attr.get(key, {}).get("s")
    return base64.b64decode(encoded).decode() if encoded else default


def _fused(y, attr):
    ops = [base64.b64decode(s).decode() for s in attr["fused_ops"]["list"]["s"]]
    assert ops[0] == "BiasAdd" and ops[1:] in ([], ["Relu"]), ops
    return np.maximum(y, 0) if ops[1:] == ["Relu"] else y


def _pads(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """TensorFlow's rule: (output size, padding before, padding after) along one axis."""
    if padding == "VALID":
        return (size - kernel) // stride + 1, 0, 0
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def _windows(x, kernel, attr, fill=0.0):
    """For each kernel tap (i, j): the strided input slice it multiplies, and the output size."""
    strides = [int(s) for s in attr.get("strides", {}).get("list", {}).get("i", [1, 1, 1, 1])]
    padding = _text(attr, "padding", "VALID")
    (oh, top, bottom), (ow, left, right) = (_pads(x.shape[1], kernel[0], strides[1], padding),
                                            _pads(x.shape[2], kernel[1], strides[2], padding))
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield i, j, padded[:, i: i + (oh - 1) * strides[1] + 1: strides[1], j: j + (ow - 1) * strides[2] + 1:
                               strides[2]]


def conv2d(x, kernel, attr=None):
    """NHWC x (kh, kw, in, out), TensorFlow's strides and padding, as a sum over the kernel's taps."""
    out = 0.0
    for i, j, window in _windows(x, kernel.shape[:2], attr or {}):
        out = out + window @ kernel[i, j]
    return out


def depthwise_conv2d(x, kernel, attr):
    """NHWC x (kh, kw, channels, 1): each channel with its own kernel."""
    assert kernel.shape[3] == 1
    out = 0.0
    for i, j, window in _windows(x, kernel.shape[:2], attr):
        out = out + window * kernel[i, j, :, 0]
    return out


def pool(x, attr, op):
    ksize = [int(k) for k in attr["ksize"]["list"]["i"]]
    if op == "MaxPool":
        taps = [w for _, _, w in _windows(x, ksize[1:3], attr, fill=-np.inf)]
        return np.max(taps, axis=0)
    # TensorFlow averages over the window's positions inside the input only.
    sums = sum(w for _, _, w in _windows(x, ksize[1:3], attr))
    counts = sum(w for _, _, w in _windows(np.ones_like(x[:1, ..., :1]), ksize[1:3], attr))
    return sums / counts


def strided_slice(x, begin, end, strides, attr):
    mask = {key: int(attr.get(key, {}).get("i", 0))
            for key in ("begin_mask", "end_mask", "shrink_axis_mask", "ellipsis_mask", "new_axis_mask")}
    assert not mask["ellipsis_mask"] and not mask["new_axis_mask"]
    index = []
    for axis, (b, e, s) in enumerate(zip(begin, end, strides)):
        if mask["shrink_axis_mask"] >> axis & 1:
            index.append(int(b))
        else:
            index.append(slice(None if mask["begin_mask"] >> axis & 1 else int(b),
                               None if mask["end_mask"] >> axis & 1 else int(e), int(s)))
    return x[tuple(index)]
