"""Benchmark the training recipes on synthetic data; prints a table and ratios
measured in this one run (numbers from a shared machine are noisy: rerun).

    python -m benchmarks.training [--backbone mobilenet_v2] [--size 96] [--n 512] [--json]

Rows: the tf.data pipeline with and without the uint8 cache (images/s over the
second pass), and one training epoch of the paper's fine-tuning recipe against
the frozen-features recipe (feature extraction once + one head epoch).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time

from training.architecture import BACKBONE_PREPROCESSING, build_model
from training.config import TrainConfig
from training.fairface import read_split
from training.features import head_model, pooled_features
from training.pipeline import Augmentation, make_dataset
from training.synthetic import generate
from training.train import compile_for_training


def _pipeline_rate(split, size, preprocessing, cache) -> float:
    ds = make_dataset(split.paths(), split.labels("race"), 7, image_size=size, preprocessing=preprocessing,
                      augment=Augmentation(), batch_size=64, cache=cache, shuffle=True)
    for _ in ds:  # first pass fills the cache
        pass
    start = time.perf_counter()
    for _ in ds:
        pass
    return len(split) / (time.perf_counter() - start)


def _finetune_epoch(ds, config) -> float:
    model = build_model(7, backbone=config.backbone, input_size=config.input_size, weights=None)
    compile_for_training(model, config)
    model.fit(ds.take(1), epochs=1, shuffle=False, verbose=0)  # trace outside the timing
    start = time.perf_counter()
    model.fit(ds, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - start


def _frozen_epoch(ds, config) -> tuple[float, float]:
    model = build_model(7, backbone=config.backbone, input_size=config.input_size, weights=None, frozen_layers="all")
    pooled_features(model, ds.take(1))
    start = time.perf_counter()
    x, y = pooled_features(model, ds)
    extract = time.perf_counter() - start
    head = head_model(model, x.shape[1])
    compile_for_training(head, config)
    head.fit(x[:32], y[:32], epochs=1, verbose=0)  # trace outside the timing
    start = time.perf_counter()
    head.fit(x, y, batch_size=config.batch_size, epochs=1, verbose=0)
    return extract, time.perf_counter() - start


def run(backbone: str, size: int, n: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, n=n, size=size, val_fraction=0.2)
        split = read_split(tmp, "train")
        pre = BACKBONE_PREPROCESSING[backbone]
        config = TrainConfig(task="race", data=tmp, out=tmp, backbone=backbone, input_size=size, batch_size=32)
        ds = make_dataset(split.paths(), split.labels("race"), 7, image_size=size, preprocessing=pre,
                          batch_size=32, cache="memory")
        rows = [
            {"what": "pipeline, no cache (images/s)", "value": _pipeline_rate(split, size, pre, None)},
            {"what": "pipeline, memory cache (images/s)", "value": _pipeline_rate(split, size, pre, "memory")},
            {"what": f"finetune epoch, {backbone} {size}px (s)", "value": _finetune_epoch(ds, config)},
        ]
        extract, head = _frozen_epoch(ds, config)
        rows += [{"what": "frozen-features: extract once (s)", "value": extract},
                 {"what": "frozen-features: head epoch (s)", "value": head}]
        return rows


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.training", description=__doc__.split("\n\n")[0])
    p.add_argument("--backbone", default="mobilenet_v2", choices=sorted(BACKBONE_PREPROCESSING))
    p.add_argument("--size", type=int, default=96)
    p.add_argument("--n", type=int, default=512)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rows = run(args.backbone, args.size, args.n)
    values = {r["what"]: r["value"] for r in rows}
    ratios = {
        "cache speed-up": values["pipeline, memory cache (images/s)"] / values["pipeline, no cache (images/s)"],
        "finetune epoch / frozen head epoch": values[f"finetune epoch, {args.backbone} {args.size}px (s)"]
        / values["frozen-features: head epoch (s)"],
    }
    if args.json:
        print(json.dumps({"rows": rows, "ratios": ratios}, indent=2))
    else:
        print(f"{'measurement':45s} {'value':>10s}")
        for r in rows:
            print(f"{r['what']:45s} {r['value']:10.2f}")
        for k, v in ratios.items():
            print(f"{k:45s} {v:9.1f}x")
    return rows


if __name__ == "__main__":
    main()
