"""The bias lab's fair and census-biased race models on one of its held-out
images, side by side (what Engine.compare_lab returns)."""
from __future__ import annotations

import dataclasses

from models.registry import Registry
from vqa.comparison import COMPARE_QUESTIONS, COMPARED_MAPS, Comparison
from vqa.lab.folders import BIASED_MODEL, FAIR_MODEL, GalleryImage, class_accuracy

__all__ = ["LabComparison", "LabMissingError", "compare"]


class LabMissingError(ValueError):
    """A lab comparison was asked for before the lab was built."""


@dataclasses.dataclass
class LabComparison:
    """The bias lab's fair and census-biased race models on one held-out
    synthetic test image, with each model's accuracy on that image's class."""

    image: GalleryImage
    comparison: Comparison
    accuracy: dict[str, float | None]  # model -> accuracy on image.race over the lab's balanced val split

    @property
    def answers(self) -> list:
        return list(self.comparison.face.answers)


def compare(engine, image: GalleryImage, explain=COMPARED_MAPS, **options) -> LabComparison:
    """The lab's two race models, as `engine` (a vqa.Engine) lists them, on one of its
    gallery images (a synthetic face crop, so no detector runs: the whole image is the
    face, as in training), with each model's accuracy on the image's class."""
    built = engine.lab()
    if built is None:
        raise LabMissingError("the bias lab is not built yet: click \"Build the bias lab\" in the Audit tab "
                              "or run `python -m training.demo`")
    registry = engine.registry
    names = (FAIR_MODEL, BIASED_MODEL)
    if any(name not in {model.name for model in registry} for name in names):  # built since the last scan
        registry = engine.reload()
    pair = Registry(models=[model for name in names for model in registry if model.name == name])
    options.setdefault("checks", ("faithfulness",))  # each map against a random one; no detector to vary
    result = engine.ask(image.path, COMPARE_QUESTIONS["race"], explain=explain, registry=pair, whole_image=True,
                        general_vqa=None, **options)
    accuracy = class_accuracy(built.root)
    return LabComparison(image=image, comparison=Comparison.of("race", result),
                         accuracy={name: accuracy.get(name, {}).get(image.race) for name in names})
