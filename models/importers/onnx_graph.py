"""dlib's age and gender networks, as ONNX graphs, rebuilt as Keras models node by node.

onnx2tf fails on these graphs (dlib's zero-padded residual adds), and they use a
dozen op types, so each ONNX node maps onto one standard Keras layer here.
Layouts change from ONNX's NCHW to Keras' NHWC: kernels are transposed, and the
rows of a Gemm that follows a Flatten are permuted from (C, H, W) order to
(H, W, C) order. Only standard layers are used, so `keras.saving.load_model`
reads the result without custom objects.

Supported: Conv (followed by an optional per-channel Mul + Add, folded into the
kernel and bias), Relu, MaxPool, AveragePool, GlobalAveragePool, Pad (constant,
trailing), Add of two tensors, Mul by a scalar, Flatten, Gemm, Softmax. Anything
else raises OnnxConversionError naming the node.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.importers.layer_names import UniqueNames


class OnnxConversionError(ValueError):
    """The ONNX graph uses an op or an attribute this converter does not map."""


@dataclass
class _Tensor:
    """A Keras tensor plus what the NCHW -> NHWC mapping needs to remember."""

    value: object
    # Set on the output of a Flatten of a 4-D tensor: the (C, H, W) it flattened,
    # so the following Gemm can permute its rows into Keras' (H, W, C) order.
    flattened_chw: tuple[int, int, int] | None = None


@dataclass
class _Graph:
    nodes: list
    constants: dict[str, np.ndarray]
    proto: object = None  # onnx.GraphProto
    consumers: dict[str, list] = field(default_factory=dict)

    def only_consumer(self, tensor_name: str, op_type: str):
        users = self.consumers.get(tensor_name, [])
        if len(users) == 1 and users[0].op_type == op_type:
            return users[0]
        return None


def convert_onnx(
    source: str | Path | object,
    *,
    name: str = "converted",
    class_order: Sequence[int] | None = None,
):
    """Rebuild an ONNX image classifier (NCHW float input, softmax output) in Keras.

    source: path to an .onnx file, or a loaded onnx.ModelProto.
    class_order: optional permutation of the output classes (new position i takes
        the graph's class class_order[i]); applied to the final Gemm, so the model
        still ends in logits -> Softmax.
    Returns a keras.Model taking (N, H, W, C) float32, the same preprocessed
    values the ONNX graph takes in NCHW.
    """
    import keras  # lazy: keeps start-up free of TensorFlow

    graph = _load_graph(source)
    model_input, tensors = _graph_input(graph)
    absorbed: set[int] = set()  # ids of nodes folded into an earlier layer
    names = UniqueNames(_sanitize)  # Keras layer names from ONNX tensor names
    for node in graph.nodes:
        if id(node) in absorbed:
            continue
        handler = _HANDLERS.get(node.op_type)
        if handler is None:
            raise OnnxConversionError(f"node {node.name!r}: ONNX op {node.op_type} is not supported")
        handler(node, graph, tensors, absorbed, names)
    (output,) = [o.name for o in graph.proto.output]
    model = keras.Model(model_input, tensors[output].value, name=name)
    if class_order is not None:
        _reorder_classes(model, class_order)
    return model


def _load_graph(source) -> _Graph:
    # lazy: keeps start-up free of ONNX
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(source)) if isinstance(source, (str, Path)) else source
    onnx.checker.check_model(proto)
    constants = {init.name: numpy_helper.to_array(init) for init in proto.graph.initializer}
    graph = _Graph(nodes=list(proto.graph.node), constants=constants, proto=proto.graph)
    for node in graph.nodes:
        for name in node.input:
            graph.consumers.setdefault(name, []).append(node)
    return graph


def _graph_input(graph: _Graph):
    import keras  # lazy: keeps start-up free of TensorFlow

    inputs = [i for i in graph.proto.input if i.name not in graph.constants]
    if len(inputs) != 1:
        raise OnnxConversionError(f"expected one graph input, got {[i.name for i in inputs]}")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or not all(dims[1:]):
        raise OnnxConversionError(f"expected an NCHW input with static C, H, W, got {dims}")
    _, channels, height, width = dims
    model_input = keras.Input(shape=(height, width, channels), name=_sanitize(inputs[0].name))
    return model_input, {inputs[0].name: _Tensor(model_input)}


def _sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name) or "node"


def _attrs(node) -> dict:
    import onnx  # lazy: keeps start-up free of ONNX

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _constant(graph: _Graph, name: str, node) -> np.ndarray:
    if name not in graph.constants:
        raise OnnxConversionError(f"node {node.name!r}: input {name!r} must be a constant")
    return graph.constants[name]


# --- op handlers: (node, graph, tensors, absorbed, names) -> None ---------------


def _conv(node, graph, tensors, absorbed, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    attrs = _attrs(node)
    weights = _constant(graph, node.input[1], node).astype(np.float32)  # (O, I, kh, kw)
    bias = (
        _constant(graph, node.input[2], node).astype(np.float32)
        if len(node.input) > 2
        else np.zeros(weights.shape[0], np.float32)
    )
    if attrs.get("group", 1) != 1 or any(d != 1 for d in attrs.get("dilations", [1, 1])):
        raise OnnxConversionError(f"node {node.name!r}: grouped or dilated Conv is not supported")
    kernel = weights.transpose(2, 3, 1, 0)  # -> (kh, kw, I, O)
    output_name = node.output[0]
    scale_node, shift_node = _affine_after(node, graph, weights.shape[0])
    if scale_node is not None:
        # dlib's affine layer (a frozen batch norm) folds exactly into the conv.
        scale = graph.constants[scale_node.input[1]].reshape(-1).astype(np.float32)
        shift = graph.constants[shift_node.input[1]].reshape(-1).astype(np.float32)
        kernel, bias = kernel * scale, bias * scale + shift
        absorbed.update({id(scale_node), id(shift_node)})
        output_name = shift_node.output[0]
    x = tensors[node.input[0]].value
    x, padding = _conv_padding(x, attrs, kernel.shape[:2], node, names)
    layer = keras.layers.Conv2D(
        kernel.shape[3],
        kernel.shape[:2],
        strides=tuple(attrs.get("strides", [1, 1])),
        padding=padding,
        name=names(output_name),
    )
    y = layer(x)
    layer.set_weights([kernel, bias])
    tensors[output_name] = _Tensor(y)


def _affine_after(node, graph: _Graph, channels: int):
    """The per-channel Mul -> Add pair right after a Conv, if there is one."""
    scale_node = graph.only_consumer(node.output[0], "Mul")
    if scale_node is None:
        return None, None
    shift_node = graph.only_consumer(scale_node.output[0], "Add")
    if shift_node is None:
        return None, None
    per_channel = (1, channels, 1, 1)
    scale = graph.constants.get(scale_node.input[1])
    shift = graph.constants.get(shift_node.input[1])
    if scale is None or shift is None or scale.shape != per_channel or shift.shape != per_channel:
        return None, None
    return scale_node, shift_node


def _conv_padding(x, attrs, kernel_hw, node, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    top, left, bottom, right = attrs.get("pads", [0, 0, 0, 0])
    strides = attrs.get("strides", [1, 1])
    if (top, left, bottom, right) == (0, 0, 0, 0):
        return x, "valid"
    symmetric = top == bottom and left == right
    if symmetric and tuple(strides) == (1, 1) and (top, left) == tuple((k - 1) // 2 for k in kernel_hw):
        return x, "same"
    padded = keras.layers.ZeroPadding2D(((top, bottom), (left, right)), name=names(node.name, "_pad"))(x)
    return padded, "valid"


def _pool(node, graph, tensors, absorbed, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    attrs = _attrs(node)
    if any(attrs.get("pads", [0, 0, 0, 0])) or attrs.get("ceil_mode", 0):
        raise OnnxConversionError(f"node {node.name!r}: padded or ceil-mode pooling is not supported")
    layer_type = keras.layers.MaxPooling2D if node.op_type == "MaxPool" else keras.layers.AveragePooling2D
    layer = layer_type(
        pool_size=tuple(attrs["kernel_shape"]),
        strides=tuple(attrs.get("strides", attrs["kernel_shape"])),
        padding="valid",
        name=names(node.output[0]),
    )
    tensors[node.output[0]] = _Tensor(layer(tensors[node.input[0]].value))


def _global_average_pool(node, graph, tensors, absorbed, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    layer = keras.layers.GlobalAveragePooling2D(keepdims=True, name=names(node.output[0]))
    tensors[node.output[0]] = _Tensor(layer(tensors[node.input[0]].value))


def _relu(node, graph, tensors, absorbed, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    layer = keras.layers.ReLU(name=names(node.output[0]))
    tensors[node.output[0]] = _Tensor(layer(tensors[node.input[0]].value))


def _add(node, graph, tensors, absorbed, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    if any(name in graph.constants for name in node.input):
        raise OnnxConversionError(f"node {node.name!r}: Add of a constant outside a Conv's affine")
    a, b = (tensors[name].value for name in node.input)
    if tuple(a.shape) != tuple(b.shape):
        raise OnnxConversionError(f"node {node.name!r}: Add of shapes {a.shape} and {b.shape}")
    tensors[node.output[0]] = _Tensor(keras.layers.Add(name=names(node.output[0]))([a, b]))


def _mul(node, graph, tensors, absorbed, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    value = _constant(graph, node.input[1], node)
    if value.size != 1:
        raise OnnxConversionError(f"node {node.name!r}: Mul by a non-scalar outside a Conv's affine")
    source = tensors[node.input[0]]
    layer = keras.layers.Rescaling(float(value.reshape(())), name=names(node.output[0]))
    tensors[node.output[0]] = _Tensor(layer(source.value), source.flattened_chw)


def _pad(node, graph, tensors, absorbed, names):
    """dlib's add_prev pads the smaller operand with trailing zeros (channels, rows, columns)."""
    attrs = _attrs(node)
    mode = attrs.get("mode", b"constant")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "constant":
        raise OnnxConversionError(f"node {node.name!r}: only constant padding is supported")
    if len(node.input) > 2 and node.input[2] and float(_constant(graph, node.input[2], node)) != 0.0:
        raise OnnxConversionError(f"node {node.name!r}: only zero padding is supported")
    pads = _constant(graph, node.input[1], node).astype(int)
    (n0, c0, h0, w0), (n1, c1, h1, w1) = pads[:4], pads[4:]
    if n0 or n1:
        raise OnnxConversionError(f"node {node.name!r}: padding the batch axis is not supported")
    x = tensors[node.input[0]].value
    if h0 or h1 or w0 or w1:
        import keras  # lazy: keeps start-up free of TensorFlow

        x = keras.layers.ZeroPadding2D(((h0, h1), (w0, w1)), name=names(node.output[0], "_spatial"))(x)
    if c0 or c1:
        x = _pad_channels(x, c0, c1, names(node.output[0], "_channels"))
    tensors[node.output[0]] = _Tensor(x)


def _pad_channels(x, before: int, after: int, name: str):
    """Zero channels around x, as a frozen 1x1 conv with a 0/1 kernel.

    Exact (each output is one input times 1 plus zeros) and a standard layer, so
    the saved model needs no custom objects.
    """
    import keras  # lazy: keeps start-up free of TensorFlow

    channels = int(x.shape[-1])
    embed = np.zeros((1, 1, channels, before + channels + after), np.float32)
    embed[0, 0, np.arange(channels), before + np.arange(channels)] = 1.0
    layer = keras.layers.Conv2D(embed.shape[-1], 1, use_bias=False, trainable=False, name=name)
    y = layer(x)
    layer.set_weights([embed])
    return y


def _flatten(node, graph, tensors, absorbed, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    if _attrs(node).get("axis", 1) != 1:
        raise OnnxConversionError(f"node {node.name!r}: only Flatten(axis=1) is supported")
    source = tensors[node.input[0]]
    if len(source.value.shape) == 2:
        tensors[node.output[0]] = source
        return
    height, width, channels = (int(d) for d in source.value.shape[1:])
    flat = keras.layers.Flatten(name=names(node.output[0]))(source.value)
    tensors[node.output[0]] = _Tensor(flat, (channels, height, width))


def _gemm(node, graph, tensors, absorbed, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    attrs = _attrs(node)
    if attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0 or attrs.get("transA", 0):
        raise OnnxConversionError(f"node {node.name!r}: only Gemm(alpha=1, beta=1, transA=0) is supported")
    kernel = _constant(graph, node.input[1], node).astype(np.float32)
    if attrs.get("transB", 0):
        kernel = kernel.T
    bias = (
        _constant(graph, node.input[2], node).astype(np.float32).reshape(-1)
        if len(node.input) > 2
        else np.zeros(kernel.shape[1], np.float32)
    )
    source = tensors[node.input[0]]
    if source.flattened_chw is not None:
        channels, height, width = source.flattened_chw
        kernel = kernel.reshape(channels, height, width, -1).transpose(1, 2, 0, 3).reshape(kernel.shape)
    layer = keras.layers.Dense(kernel.shape[1], name=names(node.output[0]))
    y = layer(source.value)
    layer.set_weights([kernel, bias])
    tensors[node.output[0]] = _Tensor(y)


def _softmax(node, graph, tensors, absorbed, names):
    import keras  # lazy: keeps start-up free of TensorFlow

    source = tensors[node.input[0]].value
    if len(source.shape) != 2 or _attrs(node).get("axis", -1) not in (1, -1):
        raise OnnxConversionError(f"node {node.name!r}: only a Softmax over the classes of (N, K) is supported")
    tensors[node.output[0]] = _Tensor(keras.layers.Softmax(name=names(node.output[0]))(source))


_HANDLERS = {
    "Conv": _conv,
    "MaxPool": _pool,
    "AveragePool": _pool,
    "GlobalAveragePool": _global_average_pool,
    "Relu": _relu,
    "Add": _add,
    "Mul": _mul,
    "Pad": _pad,
    "Flatten": _flatten,
    "Gemm": _gemm,
    "Softmax": _softmax,
}


def _reorder_classes(model, class_order: Sequence[int]) -> None:
    import keras  # lazy: keeps start-up free of TensorFlow

    softmax, logits = model.layers[-1], model.layers[-2]
    if not isinstance(softmax, keras.layers.Softmax) or not isinstance(logits, keras.layers.Dense):
        raise OnnxConversionError("class_order needs a model ending in Dense -> Softmax")
    order = list(class_order)
    if sorted(order) != list(range(logits.units)):
        raise OnnxConversionError(f"class_order {order} is not a permutation of {logits.units} classes")
    kernel, bias = logits.get_weights()
    logits.set_weights([kernel[:, order], bias[order]])
