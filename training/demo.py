"""The bias lab in one command: a SYNTHETIC FairFace-format set, the fair and the
census-biased race model trained on it, and their audit.

    python -m training.demo [--out DIR] [--n 1400] [--size 64] [--epochs 10] [--time]

Into the user cache by default (models.cache.lab_dir()): data/ (the images, with
cue masks and a held-out test/ split), models/ (two race models the app lists,
marked synthetic), audit/ (report.html, summary.json, predictions.csv).
Fast by design: small_cnn at 64 px with the README's recipe (batch 32,
learning rate 0.004, 10 epochs).

A second run reuses what is there. A killed run resumes: finished steps are
kept, a model half-way through training resumes from its last epoch, and
nothing half-written is ever where a reader looks (data, models and the report
are written aside and renamed into place). Other settings than the folder was
made with start it clean.

Progress goes to stdout as lines `lab: {json}` with "fraction" (0..1), "step"
and "message"; the last one, step "done", also gives "models" and "report".
vqa.lab's driver (vqa/lab/driver.py) parses them for the app's button.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from models.cache import LAB_BIASED_MODEL, LAB_FAIR_MODEL, LabFolders, lab_dir
from models.cache import LAB_PROGRESS_PREFIX as PROGRESS_PREFIX

SETTINGS_FILE = "lab.json"
PARTIAL = ".partial"  # prefix of folders being written
FAIR, BIASED = LAB_FAIR_MODEL, LAB_BIASED_MODEL
STEPS = (("data", 0.10), ("fair", 0.35), ("biased", 0.20), ("audit", 0.35))  # (step, share of the time)


@dataclasses.dataclass(frozen=True)
class LabSettings:
    n: int = 1400  # train + val images
    size: int = 64
    test: int = 35  # held-out images for the app's gallery (5 per race)
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 0.004
    per_class: int = 16  # faces per class for mean heatmaps and localization
    ig_steps: int = 32
    sanity_images: int = 14
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class LabPaths(LabFolders):
    @property
    def settings(self) -> Path:
        return self.root / SETTINGS_FILE


Progress = Callable[..., None]  # progress(fraction, step, message, **extra)


def print_progress(fraction: float, step: str, message: str, **extra) -> None:
    line = {"fraction": round(float(fraction), 4), "step": step, "message": message, **extra}
    print(PROGRESS_PREFIX + json.dumps(line), flush=True)


def run_lab(out: str | Path, settings: LabSettings = LabSettings(), progress: Progress = print_progress,
            timings: dict | None = None) -> LabPaths:
    """Build (or finish, or reuse) the lab in `out`; return its paths."""
    paths = LabPaths(Path(out))
    paths.root.mkdir(parents=True, exist_ok=True)
    timings = {} if timings is None else timings
    _remove_partials(paths.root)
    if _recorded_settings(paths) != dataclasses.asdict(settings):
        _start_clean(paths, settings)
    changed = False
    for index, (step, _) in enumerate(STEPS):
        start = time.perf_counter()
        done_before = sum(share for _, share in STEPS[:index])
        report = _scaled(progress, done_before, STEPS[index][1], step)
        if step == "data":
            changed |= _data(paths, settings, report)
        elif step in ("fair", "biased"):
            changed |= _model(paths, settings, biased=step == "biased", progress=report)
        else:
            _audit(paths, settings, report, redo=changed)
        timings[step] = time.perf_counter() - start
    progress(1.0, "done", "the bias lab is ready", models=str(paths.models), report=str(paths.report))
    return paths


def _scaled(progress: Progress, offset: float, share: float, step: str):
    def report(fraction: float, message: str) -> None:
        progress(offset + share * min(max(fraction, 0.0), 1.0), step, message)

    return report


def _recorded_settings(paths: LabPaths) -> dict | None:
    try:
        return json.loads(paths.settings.read_text())["settings"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _start_clean(paths: LabPaths, settings: LabSettings) -> None:
    for folder in (paths.data, paths.models, paths.report):
        shutil.rmtree(folder, ignore_errors=True)
    _write_json(paths.settings, {"settings": dataclasses.asdict(settings), "synthetic": True})


def _remove_partials(root: Path) -> None:
    for leftover in root.glob(f"{PARTIAL}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _write_json(path: Path, data: dict) -> None:
    staged = path.with_name(f"{PARTIAL}-{path.name}")
    staged.write_text(json.dumps(data, indent=2) + "\n")
    staged.replace(path)


def _data(paths: LabPaths, settings: LabSettings, report) -> bool:
    # lazy: keeps start-up free of pandas and matplotlib
    from training.fairface import SYNTHETIC_MARKER
    from training.synthetic import generate

    if (paths.data / SYNTHETIC_MARKER).is_file():
        report(1.0, f"reusing the synthetic images in {paths.data}")
        return False
    report(0.0, f"generating {settings.n + settings.test} SYNTHETIC images ({settings.size} px)")
    staged = paths.root / f"{PARTIAL}-data"
    generate(staged, n=settings.n, size=settings.size, seed=settings.seed, test_n=settings.test)
    staged.replace(paths.data)
    report(1.0, f"wrote the synthetic images to {paths.data}")
    return True


def _model(paths: LabPaths, settings: LabSettings, biased: bool, progress) -> bool:
    name = BIASED if biased else FAIR
    kind = "census-biased" if biased else "fair (balanced)"
    if (paths.models / f"{name}.keras").is_file() and (paths.models / f"{name}.json").is_file():
        progress(1.0, f"reusing the {kind} race model {name}")
        return False
    # lazy: keeps start-up free of TensorFlow
    import keras

    from training.config import TrainConfig
    from training.train import train

    config = TrainConfig(task="race", data=paths.data, out=paths.models, biased=biased, epochs=settings.epochs,
                         backbone="small_cnn", input_size=settings.size, batch_size=settings.batch_size,
                         learning_rate=settings.learning_rate, cache="memory", seed=settings.seed)
    progress(0.0, f"training the {kind} race model {name}")

    def epoch_end(epoch, logs):
        progress((epoch + 1) / settings.epochs,
                 f"{name}: epoch {epoch + 1}/{settings.epochs}, val accuracy {logs.get('val_accuracy', 0):.2f}")

    result = train(config, extra_callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=epoch_end)])
    progress(1.0, f"{name}: val accuracy {result.card.metrics['val_accuracy']:.3f}")
    return True


def _audit(paths: LabPaths, settings: LabSettings, report, redo: bool) -> None:
    # lazy: keeps start-up free of TensorFlow (training.evaluate) and of models.audit_summary
    from models.audit_summary import SUMMARY_FILE
    from training.evaluate import evaluate

    if not redo and (paths.report / SUMMARY_FILE).is_file():
        report(1.0, f"reusing the audit in {paths.report}")
        return
    report(0.0, "auditing both models: accuracy per group, heatmaps against the cue masks, sanity check")
    staged = paths.root / f"{PARTIAL}-audit"
    evaluate(paths.data, paths.models, staged, per_class=settings.per_class, ig_steps=settings.ig_steps,
             sanity_images=settings.sanity_images, progress=report)
    if paths.report.exists():  # an older report: moved aside, then removed, so the new one lands whole
        old = paths.root / f"{PARTIAL}-old-audit"
        paths.report.replace(old)
        shutil.rmtree(old, ignore_errors=True)
    staged.replace(paths.report)
    report(1.0, f"wrote the audit to {paths.report}")


def timing_table(timings: dict) -> str:
    rows = [f"{step:<8} {seconds:8.1f}" for step, seconds in timings.items()]
    return "\n".join(["step      seconds", *rows, f"{'total':<8} {sum(timings.values()):8.1f}"])


def main(argv=None) -> LabPaths:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported (lazily, below)
    defaults = LabSettings()
    p = argparse.ArgumentParser(prog="python -m training.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=None, help="lab folder (default: the user cache's lab/)")
    p.add_argument("--n", type=int, default=defaults.n, help=f"train + val images (default {defaults.n})")
    p.add_argument("--size", type=int, default=defaults.size, help=f"image side in pixels (default {defaults.size})")
    p.add_argument("--test", type=int, default=defaults.test, help="held-out test images for the app's gallery")
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--per-class", type=int, default=defaults.per_class)
    p.add_argument("--ig-steps", type=int, default=defaults.ig_steps)
    p.add_argument("--sanity-images", type=int, default=defaults.sanity_images)
    p.add_argument("--time", action="store_true", help="print how long each step took (a benchmark of the lab)")
    args = p.parse_args(argv)

    settings = dataclasses.replace(defaults, n=args.n, size=args.size, test=args.test, epochs=args.epochs,
                                   per_class=args.per_class, ig_steps=args.ig_steps,
                                   sanity_images=args.sanity_images)
    timings: dict = {}
    try:
        paths = run_lab(args.out or lab_dir(), settings, timings=timings)
    except ValueError as err:  # FairFaceError, bad sizes, ...: a message, not a traceback
        p.exit(2, f"error: {err}\n")
    if args.time:
        print(timing_table(timings))
    print(f"models: {paths.models}\nreport: {paths.report / 'report.html'}", file=sys.stdout)
    return paths


if __name__ == "__main__":
    main()
