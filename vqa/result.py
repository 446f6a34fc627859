"""What ask() returns: per face, the answers of every model and their heatmaps
on the photo; to_dict() is plain JSON (no numpy types)."""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from vqa.answers import Answer
from vqa.router import Intent


@dataclasses.dataclass
class FaceResult:
    index: int
    face: Any  # models.faces.Face
    answers: list[Answer] = dataclasses.field(default_factory=list)
    # model name -> method -> (H, W) float32 in [0, 1] over the photo
    heatmaps: dict[str, dict[str, np.ndarray]] = dataclasses.field(default_factory=dict)
    # model name -> method -> vqa.explain.HeatmapInfo
    heatmap_info: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    chips: dict[str, Any] = dataclasses.field(default_factory=dict)  # model name -> Chip
    # model name -> stage ("align", "predict", "gradcam", ...) -> seconds
    timings: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)

    @property
    def box(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in self.face.box)

    def to_dict(self, heatmaps: str = "summary") -> dict[str, Any]:
        return {
            "index": self.index,
            "box": list(self.box),
            "detector": self.face.detector,
            "score": float(self.face.score),
            "answers": [a.to_dict() for a in self.answers],
            "timings_s": {model: dict(stages) for model, stages in self.timings.items()},
            "heatmaps": {
                model: {method: _heatmap_dict(hm, self.heatmap_info[model][method], heatmaps)
                        for method, hm in methods.items()}
                for model, methods in self.heatmaps.items()
            },
        }


def _heatmap_dict(heatmap: np.ndarray, info, mode: str) -> dict[str, Any]:
    peak_y, peak_x = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
    out = {"shape": [int(s) for s in heatmap.shape], "peak_xy": [int(peak_x), int(peak_y)],
           "mean": float(heatmap.mean()), **info.to_dict()}
    if mode == "full":
        out["values"] = np.round(heatmap.astype(np.float64), 4).tolist()
    return out


@dataclasses.dataclass
class Result:
    question: str
    intent: Intent
    image: np.ndarray  # (H, W, 3) uint8, the photo the heatmaps are drawn on
    faces: list[FaceResult] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)  # readable, for the user
    second_opinion: Any = None  # vqa.vilt.SecondOpinion or None
    timings: dict[str, float] = dataclasses.field(default_factory=dict)  # "detect_faces" -> seconds

    @property
    def answers(self) -> list[Answer]:
        return [a for face in self.faces for a in face.answers]

    def to_dict(self, heatmaps: str = "summary") -> dict[str, Any]:
        """JSON-able. heatmaps: "summary" (shape, peak, mean) or "full" (+ values)."""
        if heatmaps not in ("summary", "full"):
            raise ValueError(f"heatmaps must be 'summary' or 'full', got {heatmaps!r}")
        return {
            "question": self.question,
            "intent": self.intent.to_dict(),
            "image_shape": [int(s) for s in self.image.shape],
            "faces": [f.to_dict(heatmaps) for f in self.faces],
            "problems": list(self.problems),
            "timings_s": dict(self.timings),
            "second_opinion": self.second_opinion.to_dict() if self.second_opinion else None,
        }

    def heatmap(self, face: int, model: str, method: str) -> np.ndarray:
        try:
            return self.faces[face].heatmaps[model][method]
        except (IndexError, KeyError):
            raise KeyError(f"no {method!r} heatmap for model {model!r} on face {face}") from None

    def render(self, face: int = 0, model: str | None = None, method: str = "gradcam",
               alpha: float = 0.5, cmap: str = "jet"):
        """The photo with one heatmap blended over the part of it the model saw
        (its chip); the rest of the photo is left as it was (PIL.Image)."""
        from PIL import Image

        from xai.render import overlay

        if model is None:
            model = next(iter(self.faces[face].heatmaps), None) if self.faces else None
        blended = np.asarray(overlay(self.image, self.heatmap(face, model, method), alpha=alpha, cmap=cmap))
        seen = self.faces[face].chips[model].heatmap_to_image(np.ones((8, 8)), self.image.shape) > 0
        return Image.fromarray(np.where(seen[..., None], blended, self.image))
