"""What ask() returns: per face, the answers of every model and their heatmaps
on the photo; to_dict() is plain JSON (no numpy types)."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from vqa.answers import Answer
from vqa.router import Intent


@dataclasses.dataclass(frozen=True)
class ExplainedMap:
    """One heatmap of one model on one face, at the chip's resolution, with
    what was measured about it."""

    heatmap: np.ndarray  # (S, S) float32 in [0, 1] over the model's chip
    info: Any  # vqa.explain.HeatmapInfo
    regions: dict[str, float] | None = None  # models.regions.REGIONS -> share (sum 1); None: not checked
    region_check: Any = None  # vqa.occlusion.RegionCheck of those shares


@dataclasses.dataclass(frozen=True)
class ModelAnswer:
    """One model's answer on one face: the record every view is drawn from.

    The maps stay at chip resolution; an overlay on the photo is painted from
    them and the chip's affine map only when a view asks (FaceResult.heatmaps,
    Result.render), so a stored answer costs its chips, not photos.
    """

    answer: Answer
    chip: Any  # models.alignment.Chip the model saw
    maps: dict[str, ExplainedMap] = dataclasses.field(default_factory=dict)  # method -> map, METHOD_NAMES order
    occlusion: Any = None  # xai.metrics.occlusion.Occlusion of the explained class (vqa.occlusion); None: not checked
    timings: dict[str, float] = dataclasses.field(default_factory=dict)  # stage -> seconds

    @property
    def model(self) -> str:
        return self.answer.model

    @property
    def nbytes(self) -> int:
        stability = self.answer.stability
        crops = [] if stability is None else [stability.thumbnail, *(v.thumbnail for v in stability.variants)]
        return (int(self.chip.pixels.nbytes) + sum(int(m.heatmap.nbytes) for m in self.maps.values())
                + sum(int(c.nbytes) for c in crops if c is not None))


class _PhotoMaps(Mapping):
    """method -> (H, W) map over the photo, painted from the chip map on each read."""

    def __init__(self, record: ModelAnswer, image_shape):
        self._record, self._shape = record, image_shape

    def __getitem__(self, method: str) -> np.ndarray:
        return self._record.chip.heatmap_to_image(self._record.maps[method].heatmap, self._shape)

    def __iter__(self):
        return iter(self._record.maps)

    def __len__(self) -> int:
        return len(self._record.maps)


@dataclasses.dataclass
class FaceResult:
    index: int
    face: Any  # models.faces.Face
    records: list[ModelAnswer] = dataclasses.field(default_factory=list)  # one per model that answered
    image_shape: tuple[int, ...] | None = None  # the photo's, for maps painted onto it
    regions_note: str | None = None  # why a face has no regions (no 68 landmarks)
    # models.skin_tone.SkinTone: ITA of this photo's skin pixels under its lighting
    # (not a measurement of the person, not race); None before the slow stage or without landmarks
    skin_tone: Any = None

    def record(self, model: str) -> ModelAnswer | None:
        return next((r for r in self.records if r.model == model), None)

    # The views of the records that readers of the per-model dicts use.
    @property
    def answers(self) -> list[Answer]:
        return [r.answer for r in self.records]

    @property
    def heatmaps(self) -> dict[str, Mapping]:
        """model -> method -> (H, W) float32 in [0, 1] over the photo (painted when read)."""
        return {r.model: _PhotoMaps(r, self.image_shape) for r in self.records if r.maps}

    @property
    def heatmap_info(self) -> dict[str, dict[str, Any]]:
        """model -> method -> vqa.explain.HeatmapInfo"""
        return {r.model: {m: e.info for m, e in r.maps.items()} for r in self.records if r.maps}

    @property
    def chips(self) -> dict[str, Any]:
        return {r.model: r.chip for r in self.records}

    @property
    def timings(self) -> dict[str, dict[str, float]]:
        """model -> stage ("align", "predict", "gradcam", ...) -> seconds"""
        return {r.model: dict(r.timings) for r in self.records}

    @property
    def regions(self) -> dict[str, dict[str, dict[str, float]]]:
        """The "regions" check (vqa.pipeline.CHECKS): model -> method -> {region: share}"""
        return {r.model: {m: e.regions for m, e in r.maps.items()} for r in self.records
                if r.occlusion is not None}

    @property
    def region_checks(self) -> dict[str, dict[str, Any]]:
        """model -> method -> vqa.occlusion.RegionCheck: do the shares agree with the occlusion check?"""
        return {r.model: {m: e.region_check for m, e in r.maps.items()} for r in self.records
                if r.occlusion is not None}

    @property
    def occlusion(self) -> dict[str, Any]:
        """model -> xai.metrics.occlusion.Occlusion of the answer's explained class"""
        return {r.model: r.occlusion for r in self.records if r.occlusion is not None}

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self.records)

    @property
    def box(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in self.face.box)

    def to_dict(self, heatmaps: str = "summary") -> dict[str, Any]:
        out = self._to_dict(heatmaps)
        out["occlusion"] = {model: occlusion.to_dict() for model, occlusion in self.occlusion.items()}
        out["regions_note"] = self.regions_note
        out["skin_tone"] = (None if self.skin_tone is None else
                            {"ita": float(self.skin_tone.ita), "category": self.skin_tone.category})
        for model, methods in out["heatmaps"].items():
            for method, info in methods.items():
                info.update(self._regions_dict(model, method))
        return out

    def _regions_dict(self, model: str, method: str) -> dict[str, Any]:
        """The heatmap's JSON keys of the regions check: absent when it was
        off, None (see regions_note) when the face has no landmarks."""
        record = self.record(model)
        if record is not None and record.occlusion is not None:
            explained = record.maps[method]
            return {"regions": dict(explained.regions), "region_check": explained.region_check.to_dict()}
        return {"regions": None, "region_check": None} if self.regions_note else {}

    def region_chart(self, model: str, method: str = "gradcam", title: str | None = None):
        """Per region, the heatmap's share beside the occlusion check's share
        of the score drop: a matplotlib Figure (vqa.occlusion.region_chart, drawn by xai.render.paired_bars)."""
        from vqa.occlusion import region_chart, region_chart_data  # lazy: keeps start-up free of TensorFlow

        record = self.record(model)
        if record is None or record.occlusion is None:
            why = self.regions_note or "the regions check was off or no heatmap was made"
            raise KeyError(f"no face regions for model {model!r} on face {self.index}: {why}")
        if method not in record.maps:
            raise KeyError(f"no {method!r} heatmap for model {model!r} on face {self.index}")
        data = region_chart_data(record.maps[method].regions, record.occlusion)
        target = record.occlusion.target
        return region_chart(data, title=title or f"{model}, {target}: where on the face ({method})")

    def _to_dict(self, heatmaps: str) -> dict[str, Any]:
        return {
            "index": self.index,
            "box": list(self.box),
            "detector": self.face.detector,
            "score": float(self.face.score),
            "answers": [a.to_dict() for a in self.answers],
            "timings_s": self.timings,
            "heatmaps": {
                r.model: {method: _heatmap_dict(r.chip, explained, self.image_shape, heatmaps)
                          for method, explained in r.maps.items()}
                for r in self.records if r.maps
            },
        }


def _heatmap_dict(chip, explained: ExplainedMap, image_shape, mode: str) -> dict[str, Any]:
    """The map's JSON as if painted on the photo: its shape, peak and mean over
    the photo, read from the window the chip covers (0 everywhere else)."""
    height, width = int(image_shape[0]), int(image_shape[1])
    painted = chip.heatmap_window(explained.heatmap, image_shape)
    peak_x = peak_y = 0
    total = 0.0
    if painted is not None:
        (x0, y0, _, _), values = painted
        total = float(values.sum(dtype=np.float64))
        if values.max() > 0:  # else the photo's first pixel, as argmax of an all-zero map
            dy, dx = np.unravel_index(int(np.argmax(values)), values.shape)
            peak_x, peak_y = x0 + int(dx), y0 + int(dy)
    out = {"shape": [height, width], "peak_xy": [int(peak_x), int(peak_y)],
           "mean": total / (height * width), **explained.info.to_dict()}
    if mode == "full":
        photo = chip.heatmap_to_image(explained.heatmap, image_shape)
        out["values"] = np.round(photo.astype(np.float64), 4).tolist()
    return out


@dataclasses.dataclass
class Result:
    question: str
    intent: Intent
    image: np.ndarray  # (H, W, 3) uint8, the photo the heatmaps are drawn on
    faces: list[FaceResult] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)  # readable, for the user
    # vqa.general.GeneralAnswer: the general VQA model's answer, beside the face
    # models' or (intent.kind "general") alone; None when it is off
    general_answer: Any = None
    timings: dict[str, float] = dataclasses.field(default_factory=dict)  # "detect_faces" -> seconds
    # Faces found but not answered: ask() answers at most max_faces, the largest first.
    faces_left_out: int = 0

    @property
    def answers(self) -> list[Answer]:
        return [a for face in self.faces for a in face.answers]

    @property
    def second_opinion(self):
        """general_answer under the JSON's name for it (documented for scripts)."""
        return self.general_answer

    @property
    def nbytes(self) -> int:
        """The bytes of the arrays this result holds (the photo, the chips and
        their maps, the general VQA model's map): what a store of results counts."""
        vqa_map = getattr(self.general_answer, "heatmap", None)
        return (int(self.image.nbytes) + sum(face.nbytes for face in self.faces)
                + (int(vqa_map.nbytes) if vqa_map is not None else 0))

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
            "second_opinion": self.general_answer.to_dict() if self.general_answer else None,
            "faces_left_out": self.faces_left_out,
        }

    def heatmap(self, face: int, model: str, method: str) -> np.ndarray:
        """(H, W) float32 in [0, 1]: one chip map painted onto the photo."""
        record = self._record(face, model)
        if record is None or method not in record.maps:
            raise KeyError(f"no {method!r} heatmap for model {model!r} on face {face}")
        return record.chip.heatmap_to_image(record.maps[method].heatmap, self.image.shape)

    def _record(self, face: int, model: str | None) -> ModelAnswer | None:
        if not 0 <= face < len(self.faces):
            return None
        return self.faces[face].record(model) if model is not None else None

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
               alpha: float = 0.5, cmap: str = "jet", region: tuple[int, int, int, int] | None = None):
        """The photo with one heatmap blended over the part of it the model saw
        (its chip); the rest of the photo is left as it was (PIL.Image).
        region: (x0, y0, x1, y1) to draw only that part of the photo (a face's
        view): the map is painted on the crop alone, never on the whole photo."""
        from PIL import Image  # lazy: keeps `python -m vqa --help` free of PIL

        from xai.render import overlay  # lazy: keeps start-up free of matplotlib

        if model is None:
            model = next(iter(self.faces[face].heatmaps), None) if self.faces else None
        record = self._record(face, model)
        if record is None or method not in record.maps:
            raise KeyError(f"no {method!r} heatmap for model {model!r} on face {face}")
        x0, y0, x1, y1 = region or (0, 0, self.image.shape[1], self.image.shape[0])
        photo = self.image[y0:y1, x0:x1]
        chip = record.chip.offset(x0, y0)
        painted = chip.heatmap_to_image(record.maps[method].heatmap, photo.shape)
        blended = np.asarray(overlay(photo, painted, alpha=alpha, cmap=cmap))
        seen = chip.heatmap_to_image(np.ones((8, 8)), photo.shape) > 0
        return Image.fromarray(np.where(seen[..., None], blended, photo))

    def render_general(self, alpha: float = 0.5, cmap: str = "jet"):
        """The photo with the general VQA model's IG heatmap over all of it
        (PIL.Image); KeyError when it made none."""
        from xai.render import overlay  # lazy: keeps start-up free of matplotlib

        heatmap = getattr(self.general_answer, "heatmap", None)
        if heatmap is None:
            raise KeyError("the general VQA model made no heatmap (ask with 'ig' among the methods)")
        return overlay(self.image, heatmap, alpha=alpha, cmap=cmap)

