"""Every model for one attribute on one face, side by side: what the Compare
tab shows (Engine.compare), and the bias lab's pair on one of its images
(vqa.lab.compare). Agreement is judged by meaning (vqa.agreement)."""
from __future__ import annotations

import dataclasses

from vqa.agreement import Agreement, agreement
from vqa.result import FaceResult, Result

__all__ = ["COMPARED_MAPS", "COMPARE_QUESTIONS", "HOW_TO_ADD_RACE_MODELS", "AttributeChoiceError", "Comparison"]

# The maps a comparison shows: Grad-CAM for where, Integrated Gradients for which pixels
# (Guided Grad-CAM is both at once, and would add nothing side by side).
COMPARED_MAPS = ("gradcam", "ig")

COMPARE_QUESTIONS = {
    "race": "What is this person's race?",
    "gender": "What is this person's gender?",
    "age": "How old is this person?",
}
HOW_TO_ADD_RACE_MODELS = ("click *Build the bias lab* in the Audit tab, or run `python -m training.demo`: a fair "
                          "and a census-biased race model on a small SYNTHETIC set, found without a restart; or "
                          "train your own with `python -m training.train --task race [--biased] --data DIR "
                          "--out DIR` and start the app with `--models DIR`")


@dataclasses.dataclass
class Comparison:
    """Every model for one attribute on one face (the largest), and the general
    VQA model's answer as one more row when it is on."""

    attribute: str
    result: Result
    agreement: Agreement  # of the face models
    # The face models whose answers mean what the general VQA model's does;
    # None when it is off, failed, or named no class of the attribute.
    general_agrees_with: tuple[str, ...] | None = None
    # Installed models of the attribute that were not asked about this photo: the bias
    # lab's, trained on SYNTHETIC faces (Engine.answering); they answer on its own images.
    set_aside: tuple[str, ...] = ()

    @property
    def face(self) -> FaceResult:
        return self.result.faces[0]

    @property
    def models(self) -> list[str]:
        """The face models that were asked (the general VQA model's answer is `general_answer`)."""
        return [answer.model for answer in self.face.answers]

    @property
    def general_answer(self):
        """The general VQA model's answer (vqa.general.GeneralAnswer), or None when it is off."""
        return self.result.general_answer

    @property
    def face_model_count(self) -> int:
        """Face models that answered (the general VQA model is not one of them)."""
        return sum(answer.confidence is not None for answer in self.face.answers)

    @property
    def single_model(self) -> bool:
        """Only one face model answered: there is nothing of its kind to compare it with."""
        return self.face_model_count == 1

    @classmethod
    def of(cls, attribute: str, result: Result, set_aside: tuple[str, ...] = ()) -> Comparison:
        """The face models' agreement on the first face of `result`, and which of
        them the general VQA model's answer (result.general_answer) agrees with,
        both by vqa.agreement's one vocabulary (a VQA "woman" is a face model's "Female")."""
        answers = list(result.faces[0].answers)
        said = result.general_answer
        agrees_with = None
        if said is not None and agreement([said], attribute).count:
            paired = [(answer.model, agreement([answer, said], attribute)) for answer in answers]
            agrees_with = tuple(model for model, pair in paired if pair.count == 2 and pair.agree)
        return cls(attribute=attribute, result=result, agreement=agreement(answers, attribute),
                   general_agrees_with=agrees_with, set_aside=tuple(set_aside))

    def how_to_add(self) -> str:
        """How a person gets a second model to compare with, for this attribute."""
        if self.attribute == "race":
            return HOW_TO_ADD_RACE_MODELS
        return (f"train one with `python -m training.train --task {self.attribute} --data DIR --out DIR`, "
                "then start the app with `--models DIR`")


class AttributeChoiceError(ValueError):
    """compare() was asked for an attribute no model answers (race, gender, age)."""
