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
    # The "regions" check (vqa.pipeline.CHECKS), from the face's 68 landmarks:
    # model name -> method -> {region: share} (models.regions.REGIONS, sum 1)
    regions: dict[str, dict[str, dict[str, float]]] = dataclasses.field(default_factory=dict)
    # model name -> method -> vqa.occlusion.RegionCheck: do the shares agree with the occlusion check?
    region_checks: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    # model name -> vqa.occlusion.Occlusion of the answer's explained class
    occlusion: dict[str, Any] = dataclasses.field(default_factory=dict)
    regions_note: str | None = None  # why a face has no regions (no 68 landmarks)

    @property
    def box(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in self.face.box)

    def to_dict(self, heatmaps: str = "summary") -> dict[str, Any]:
        out = self._to_dict(heatmaps)
        out["occlusion"] = {model: occlusion.to_dict() for model, occlusion in self.occlusion.items()}
        out["regions_note"] = self.regions_note
        for model, methods in out["heatmaps"].items():
            for method, info in methods.items():
                info.update(self._regions_dict(model, method))
        return out

    def _regions_dict(self, model: str, method: str) -> dict[str, Any]:
        """The heatmap's JSON keys of the regions check: absent when it was
        off, None (see regions_note) when the face has no landmarks."""
        if model in self.regions:
            return {"regions": dict(self.regions[model][method]),
                    "region_check": self.region_checks[model][method].to_dict()}
        return {"regions": None, "region_check": None} if self.regions_note else {}

    def region_chart(self, model: str, method: str = "gradcam", title: str | None = None):
        """Per region, the heatmap's share beside the occlusion check's share
        of the score drop: a matplotlib Figure (vqa.occlusion.region_chart)."""
        from vqa.occlusion import region_chart, region_chart_data

        if model not in self.regions:
            why = self.regions_note or "the regions check was off or no heatmap was made"
            raise KeyError(f"no face regions for model {model!r} on face {self.index}: {why}")
        if method not in self.regions[model]:
            raise KeyError(f"no {method!r} heatmap for model {model!r} on face {self.index}")
        data = region_chart_data(self.regions[model][method], self.occlusion[model])
        target = self.occlusion[model].target
        return region_chart(data, title=title or f"{model}, {target}: where on the face ({method})")

    def _to_dict(self, heatmaps: str) -> dict[str, Any]:
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
    # vqa.general.SecondOpinion: the general VQA model's answer, beside the face
    # models' or (intent.kind "general") alone; None when it is off
    second_opinion: Any = None
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

    def region_chart(self, face: int = 0, model: str | None = None, method: str = "gradcam",
                     title: str | None = None):
        """FaceResult.region_chart of face `face` (model None: the first with regions)."""
        if not 0 <= face < len(self.faces):
            raise KeyError(f"no face {face}: {len(self.faces)} face(s) were found")
        found = self.faces[face]
        if model is None:
            model = next(iter(found.regions), None)
        return found.region_chart(model, method, title)

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

    def render_vqa(self, alpha: float = 0.5, cmap: str = "jet"):
        """The photo with the general VQA model's IG heatmap over all of it
        (PIL.Image); KeyError when it made none."""
        from xai.render import overlay

        heatmap = getattr(self.second_opinion, "heatmap", None)
        if heatmap is None:
            raise KeyError("the general VQA model made no heatmap (ask with 'ig' among the methods)")
        return overlay(self.image, heatmap, alpha=alpha, cmap=cmap)
