"""Benchmark: how fast and how exact the explanations are.

    python -m benchmarks.xai [--json] [--repeats 5] [--models resnet50,small_cnn]

Speed: for ResNet50 (weights=None, 224x224x3, 7 classes) and a small CNN, each
method runs in a fresh Python process that builds the model, times one
compiled forward pass and then the method (median of `repeats` runs after a
warm-up), and reports its peak RSS (the process's `ru_maxrss` high-water mark,
so it includes TensorFlow and the model; the forward-only row is the floor).
Ratios divide a method's time by the forward pass timed in the same process,
alternating with it. Wall time and process CPU time are both reported: on a
shared machine CPU time is the steadier measure of the work done.

Exactness: the number of IG steps each quadrature needs for a completeness
delta below 1% on a small smooth CNN and a ReLU CNN, and the most gradient
evaluations adaptive IG (the default) used to get there. On the shipped
pretrained models: `python -m benchmarks.vqa --ig-adaptive`.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from xai.defaults import IG_BATCH_SIZE, IG_TOLERANCE

BENCH_METHODS = ("forward", "gradcam", "guided", "ig32", "ig64", "ig_adaptive", "tf_keras_vis_gradcam", "tf_floor_ig32")
OLD_SPELLINGS = {"guided_gradcam": "guided"}  # still accepted by --methods
MODELS = ("resnet50", "small_cnn")
STEP_CANDIDATES = (2, 4, 8, 16, 32, 64, 128, 256)


def build_model(name: str):
    import keras

    keras.utils.set_random_seed(0)
    if name == "resnet50":
        return keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3), classes=7)
    if name == "small_cnn":
        return small_cnn()
    raise ValueError(f"unknown benchmark model {name!r}; choose from {MODELS}")


def small_cnn(size: int = 64, classes: int = 7, seed: int = 0):
    """Four ReLU conv layers and a softmax head: the shape of a fast CPU demo
    model (functional, because tf-keras-vis cannot read a Keras 3 Sequential)."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = x = keras.Input((size, size, 3))
    for filters in (16, 32, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x), name="small_cnn")


def smooth_cnn(size: int = 32, classes: int = 7, seed: int = 0):
    """tanh and average pooling: no kinks (ReLU, max pooling) on the IG path, so
    the quadrature orders show. He-scaled weights keep the logits from being
    flat, as they would be for an untrained net with small weights."""
    import keras

    keras.utils.set_random_seed(seed)
    conv = dict(padding="same", activation="tanh", kernel_initializer="he_normal")
    return keras.Sequential([
        keras.Input((size, size, 3)),
        keras.layers.Conv2D(16, 3, **conv), keras.layers.AveragePooling2D(2),
        keras.layers.Conv2D(32, 3, **conv), keras.layers.AveragePooling2D(2),
        keras.layers.Conv2D(32, 3, **conv), keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(classes, activation="softmax",
                           kernel_initializer=keras.initializers.RandomNormal(stddev=2.0)),
    ])


def steps_to_converge(model, images, method: str, tolerance: float = 0.01, candidates=STEP_CANDIDATES):
    """The fewest steps (from `candidates`) whose IG delta is below `tolerance`
    for every image, or None if none is."""
    from xai import IntegratedGradients

    for steps in candidates:
        if method == "trapezoid" and steps < 2:
            continue
        explainer = IntegratedGradients(model, steps=steps, method=method, batch_size=32, baseline="black")
        delta = explainer.explain(images).delta
        if (delta < tolerance).all():
            return steps
    return None


def _method_fn(name, model, x):
    from xai import GradCAM, GuidedGradCAM, IntegratedGradients

    if name == "gradcam":
        explainer = GradCAM(model)
        return lambda: explainer.explain(x)
    if name == "guided":
        explainer = GuidedGradCAM(model)
        return lambda: explainer.explain(x)
    if name in ("ig32", "ig64"):
        explainer = IntegratedGradients(model, steps=int(name[2:]), batch_size=IG_BATCH_SIZE)
        return lambda: explainer.explain(x)
    if name == "ig_adaptive":
        explainer = IntegratedGradients(model, tolerance=IG_TOLERANCE, batch_size=IG_BATCH_SIZE)
        return lambda: explainer.explain(x)
    if name == "tf_keras_vis_gradcam":
        return _tf_keras_vis_fn(model, x)
    if name == "tf_floor_ig32":
        return _tf_floor_fn(model, x, steps=32, batch_size=16)
    raise ValueError(f"unknown method {name!r}")


def _tf_keras_vis_fn(model, x):
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    gradcam = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True)
    target = int(np.argmax(model(x, training=False)[0]))
    return lambda: gradcam(CategoricalScore([target]), x, penultimate_layer=-1)


def _tf_floor_fn(model, x, steps, batch_size):
    """The least work IG with `steps` must do, in plain TensorFlow: the input
    gradient of one score at `steps` path points, `batch_size` at a time, and a
    forward pass of the image and its baseline. No quadrature, no bookkeeping:
    IG's time over this is its overhead."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def gradient(points):
        with tf.GradientTape() as tape:
            tape.watch(points)
            score = model(points, training=False)[:, 0]
        return tape.gradient(score, points)

    forward = tf.function(lambda t: model(t, training=False))
    alphas = tf.reshape(tf.range(1, steps + 1, dtype=tf.float32) / steps, (-1, 1, 1, 1))
    points = alphas * tf.constant(x)  # black (zero) baseline
    ends = tf.constant(np.concatenate([x, np.zeros_like(x)]))

    def run():
        forward(ends).numpy()
        for start in range(0, steps, batch_size):
            gradient(points[start:start + batch_size]).numpy()
    return run


def _interleaved_medians(forward, method, repeats):
    """Median ms of forward and method, timed alternately so that load from
    other processes on a shared machine hits both alike."""
    forward(), method()  # warm-up: traces and compiles
    wall = {"forward": [], "method": []}
    cpu = {"forward": [], "method": []}
    for _ in range(repeats):
        for name, fn in (("forward", forward), ("method", method)):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[name].append((time.perf_counter() - start) * 1000)
            cpu[name].append((time.process_time() - start_cpu) * 1000)
    median = statistics.median
    return median(wall["forward"]), median(wall["method"]), median(cpu["forward"]), median(cpu["method"])


def measure(model_name: str, method: str, repeats: int) -> dict:
    """Run in a fresh process: forward and `method` timed on one image."""
    import tensorflow as tf

    model = build_model(model_name)
    x = np.random.default_rng(0).uniform(-1, 1, (1, *model.inputs[0].shape[1:])).astype(np.float32)
    compiled = tf.function(lambda t: model(t, training=False))
    xt = tf.constant(x)
    forward = lambda: compiled(xt).numpy()  # noqa: E731
    result = {"model": model_name, "method": method, "repeats": repeats}
    try:
        fn = forward if method == "forward" else _method_fn(method, model, x)
        result["forward_ms"], result["ms"], result["forward_cpu_ms"], result["cpu_ms"] = _interleaved_medians(
            forward, fn, repeats)
        result["ratio_to_forward"] = result["ms"] / result["forward_ms"]
        result["cpu_ratio_to_forward"] = result["cpu_ms"] / result["forward_cpu_ms"]
    except Exception as err:  # a third-party method that breaks on Keras 3 is a result, not a crash
        result["error"] = f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _measure_in_child(model_name, method, repeats) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.xai", "--_child", model_name, method, "--repeats", str(repeats)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"model": model_name, "method": method, "error": f"process failed: {tail[:160]}"}
    return json.loads(lines[-1])


def quadrature_table(tolerance=0.01) -> list[dict]:
    """Steps to delta < tolerance per quadrature, on the smooth CNN and on the
    ReLU/max-pool small CNN (whose kinks cost the higher-order rules their edge)."""
    from xai import IntegratedGradients
    from xai.quadrature import METHODS as QUADRATURES

    rows = []
    for name, model in (("smooth_cnn 32px", smooth_cnn()), ("small_cnn 64px (ReLU)", small_cnn())):
        size = model.inputs[0].shape[1]
        images = np.random.default_rng(1).uniform(0, 1, (4, size, size, 3)).astype(np.float32)
        rows += [{"model": name, "quadrature": q,
                  "steps_for_delta_below_1pct": steps_to_converge(model, images, q, tolerance)}
                 for q in QUADRATURES]
        adaptive = IntegratedGradients(model, tolerance=tolerance, baseline="black").explain(images)
        reached = bool((adaptive.delta <= tolerance).all())
        rows.append({"model": name, "quadrature": "adaptive (max evaluations)",
                     "steps_for_delta_below_1pct": int(adaptive.evaluations.max()) if reached else None})
    return rows


def _print_speed(rows):
    print(f"{'model':10} {'method':22} {'ms':>9} {'x forward':>10} {'forward ms':>11} "
          f"{'CPU ms':>9} {'CPU x fwd':>10} {'peak RSS MB':>12}")
    for r in rows:
        if "error" in r:
            print(f"{r['model']:10} {r['method']:22} {'failed: ' + r['error']}")
            continue
        print(f"{r['model']:10} {r['method']:22} {r['ms']:9.1f} {r['ratio_to_forward']:10.2f} "
              f"{r['forward_ms']:11.1f} {r['cpu_ms']:9.1f} {r['cpu_ratio_to_forward']:10.2f} {r['peak_rss_mb']:12.0f}")
    for model in {r["model"] for r in rows}:
        ours = next((r for r in rows if r["model"] == model and r["method"] == "gradcam" and "ms" in r), None)
        theirs = next((r for r in rows
                       if r["model"] == model and r["method"] == "tf_keras_vis_gradcam" and "ms" in r), None)
        if ours and theirs:
            print(f"{model}: tf-keras-vis Gradcam / our Grad-CAM = {theirs['ms'] / ours['ms']:.1f}x "
                  f"(wall), {theirs['cpu_ms'] / ours['cpu_ms']:.1f}x (CPU time)")
        ig = next((r for r in rows if r["model"] == model and r["method"] == "ig32" and "ms" in r), None)
        floor = next((r for r in rows if r["model"] == model and r["method"] == "tf_floor_ig32" and "ms" in r), None)
        if ig and floor:
            print(f"{model}: our IG m=32 / its 32 gradients + 1 forward in plain TensorFlow = "
                  f"{ig['ms'] / floor['ms']:.2f}x (wall), {ig['cpu_ms'] / floor['cpu_ms']:.2f}x (CPU time)")


def main(argv=None):
    from xai.quiet import silence_tf

    silence_tf()  # before this run imports TensorFlow
    parser = argparse.ArgumentParser(prog="python -m benchmarks.xai", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per method after a warm-up (>= 5)")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from {MODELS}")
    parser.add_argument("--methods", default=",".join(BENCH_METHODS), help=f"comma-separated, from {BENCH_METHODS}")
    parser.add_argument("--no-quadrature", action="store_true", help="skip the IG steps-to-1%% table")
    parser.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        print(json.dumps(measure(*args._child, max(1, args.repeats))))
        return
    if args.repeats < 5:
        parser.error("--repeats must be at least 5")
    methods = [OLD_SPELLINGS.get(m, m) for m in args.methods.split(",")]
    unknown = sorted(set(methods) - set(BENCH_METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {BENCH_METHODS}")
    rows = [_measure_in_child(m, meth, args.repeats) for m in args.models.split(",") for meth in methods]
    quad = [] if args.no_quadrature else quadrature_table()
    if args.json:
        print(json.dumps({"speed": rows, "quadrature": quad, "cpu_count": os.cpu_count()}, indent=2))
        return
    _print_speed(rows)
    if quad:
        print("\nIG steps needed for completeness delta < 1% on all of 4 random images (None: > 256):")
        for q in quad:
            print(f"  {q['model']:22} {q['quadrature']:15} {q['steps_for_delta_below_1pct']}")


if __name__ == "__main__":
    main()
