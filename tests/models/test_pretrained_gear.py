"""GEAR rebuilt in Keras vs an independent execution of the original TF.js graph.

The tensorflowjs pip package pins old dependencies and does not install beside
TF 2.21, so the reference here is a small float64 numpy interpreter of gear.json
written for this test: its own weight decoding, its own convolution and pooling.
It shares no code with models/convert_tfjs.py.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from tests.models.pretrained_helpers import astronaut_image, chip

OUTPUTS = {"gear-age": "age_output", "gear-gender": "gender_output", "gear-race": "race_output"}


class ReferenceGraph:
    """Runs a TF.js graph-model JSON node by node in float64."""

    def __init__(self, folder: Path):
        spec = json.loads((folder / "gear.json").read_text())
        self.nodes = {n["name"]: n for n in spec["modelTopology"]["node"]}
        self.outputs = {k: v["name"].split(":")[0] for k, v in spec["signature"]["outputs"].items()}
        self.weights = {}
        for group in spec["weightsManifest"]:
            data = b"".join((folder / p).read_bytes() for p in group["paths"])
            offset = 0
            for w in group["weights"]:
                stored = np.float16 if w.get("quantization", {}).get("dtype") == "float16" else np.dtype(w["dtype"])
                count = int(np.prod(w["shape"]))
                self.weights[w["name"]] = np.frombuffer(data, stored, count, offset).reshape(w["shape"])
                offset += count * np.dtype(stored).itemsize

    def run(self, outputs: list[str], x: np.ndarray) -> dict[str, np.ndarray]:
        values: dict[str, np.ndarray] = {}  # shared, so the trunk runs once for all heads

        def value(name):
            name = name.split(":")[0]
            if name not in values:
                values[name] = self.evaluate(self.nodes[name], value, x)
            return values[name]

        return {output: value(self.outputs[output]) for output in outputs}

    def evaluate(self, node, value, x):
        op, inputs = node["op"], node.get("input", [])
        attr = node.get("attr", {})
        if op == "Placeholder":
            return x.astype(np.float64)
        if op == "Const":
            return self.weights[node["name"]].astype(np.float64)
        if op == "Identity":
            return value(inputs[0])
        if op == "_FusedConv2D":
            return _fused(conv2d_valid(value(inputs[0]), value(inputs[1])) + value(inputs[2]), attr)
        if op == "_FusedMatMul":
            return _fused(value(inputs[0]) @ value(inputs[1]) + value(inputs[2]), attr)
        if op == "Mul":
            return value(inputs[0]) * value(inputs[1])
        if op == "Add":
            return value(inputs[0]) + value(inputs[1])
        if op == "MaxPool":
            return max_pool_2x2(value(inputs[0]))
        if op == "Max":
            return value(inputs[0]).max(axis=tuple(int(a) for a in value(inputs[1])))
        if op == "Softmax":
            z = value(inputs[0])
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        raise NotImplementedError(op)


def _fused(y, attr):
    ops = [base64.b64decode(s).decode() for s in attr["fused_ops"]["list"]["s"]]
    assert ops[0] == "BiasAdd" and ops[1:] in ([], ["Relu"])
    assert base64.b64decode(attr.get("padding", {}).get("s", "VkFMSUQ=")).decode() == "VALID"
    return np.maximum(y, 0) if ops[1:] == ["Relu"] else y


def conv2d_valid(x, kernel):
    """Stride-1 VALID convolution, NHWC x (kh, kw, in, out)."""
    kh, kw = kernel.shape[:2]
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2))  # (N, H', W', C, kh, kw)
    return np.tensordot(windows, kernel, axes=([3, 4, 5], [2, 0, 1]))


def max_pool_2x2(x):
    n, h, w, c = x.shape
    x = x[:, : h // 2 * 2, : w // 2 * 2]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


@pytest.fixture(scope="module")
def reference_run(pretrained):
    """Two inputs (our astronaut chip and noise) and the reference graph's outputs on them."""
    rng = np.random.default_rng(11)
    face = chip(astronaut_image(), 198, 0.14)[None].astype(np.float32) / 255.0
    images = np.concatenate([face, rng.uniform(0, 1, (1, 198, 198, 3)).astype(np.float32)])
    graph = ReferenceGraph(pretrained[1] / "human-models-3.0.4")
    return images, graph.run(list(OUTPUTS.values()), images)


def test_reference_interpreter_convolution_matches_a_direct_sum():
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(1, 5, 6, 2)), rng.normal(size=(3, 3, 2, 4))
    direct = np.zeros((1, 3, 4, 4))
    for i in range(3):
        for j in range(4):
            direct[0, i, j] = np.einsum("abc,abcd->d", x[0, i : i + 3, j : j + 3], k)
    np.testing.assert_allclose(conv2d_valid(x, k), direct, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_converted_gear_matches_the_reference_graph(pretrained, reference_run, name):
    import keras

    images, outputs = reference_run
    model = keras.saving.load_model(pretrained[0] / f"{name}.keras", compile=False)
    ours = np.asarray(model(images, training=False))
    expected = outputs[OUTPUTS[name]]
    print(f"{name}: max |keras - reference| = {np.abs(ours - expected).max():.2e}")
    np.testing.assert_allclose(ours, expected, atol=1e-4, rtol=0)
