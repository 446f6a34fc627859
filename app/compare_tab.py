"""The Compare tab: every model for one attribute on the same face, and the bias
lab's fair and census-biased race models side by side on its held-out images.

Read top to bottom, as the page is: the components (CompareTab, LabTab) and
their layout (build, build_lab), the events (wire), what each event does
(CompareHandlers, LabHandlers), then the words and pictures drawn from a
vqa.engine.Comparison or LabComparison, read from the face's typed records.
The /compare API is part of this tab: its name, inputs and outputs stay.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr
from PIL import Image

from app.common import DEFAULT_OPACITY, METHOD_TITLES, percent, problem_lines, trained_on
from app.components import photo_input
from app.errors import NoPhotoError, user_errors
from app.faces_view import face_region
from app.stages import StageQueues
from app.trust_view import map_alt, vqa_heatmap_alt
from vqa.agreement import agreement_summary
from vqa.engine import COMPARE_QUESTIONS, COMPARED_MAPS

LAB_PER_CLASS = 3  # gallery images per race
LAB_SHOWN_SIZE = 192  # the lab's images are 32-64 px: shown larger, pixels kept sharp
LAB_MISSING = ("**No bias lab yet.** Click *Build the bias lab* in the Audit tab (or run `python -m training.demo`), "
               "then *Look for new models* here: a gallery of held-out synthetic faces appears, on which the fair "
               "and the census-biased race model can be compared.")
LAB_INTRO = ("**The bias lab** (SYNTHETIC data): held-out test images the models never trained or were tuned on, a "
             "few per race. Click one to see the fair and the census-biased race model side by side.")
NOT_MEASURED = "not measured"


# -- the components and their layout -------------------------------------------

@dataclasses.dataclass
class CompareTab:
    photo: gr.Image
    attribute: gr.Radio
    opacity: gr.Slider
    button: gr.Button
    rescan: gr.Button
    verdict: gr.Markdown
    table: gr.Dataframe
    gallery: gr.Gallery

    @property
    def outputs(self) -> list:
        return [self.verdict, self.table, self.gallery]


@dataclasses.dataclass
class LabTab:
    """The Compare tab's bias lab: held-out synthetic images, and the two race models on the one clicked."""

    intro: gr.Markdown
    gallery: gr.Gallery
    verdict: gr.Markdown
    maps: gr.Gallery

    @property
    def outputs(self) -> list:
        return [self.intro, self.gallery, self.verdict, self.maps]


def build(examples: list[str], engine) -> CompareTab:
    """The comparison's components, laid out as the page shows them (inside a gr.Tab)."""
    gr.Markdown("Every model that answers one attribute, on the same face. Where they disagree, "
                "look at what each was trained on and where each looked.")
    with gr.Row():
        with gr.Column(scale=1):
            photo = photo_input(label="Photo", elem_id="compare-photo")
            gr.Examples(examples, inputs=photo, label="Example photos", cache_examples=False)
            available = [a for a in COMPARE_QUESTIONS if a in engine.attributes()] or list(COMPARE_QUESTIONS)
            attribute = gr.Radio(list(COMPARE_QUESTIONS), value=available[0], label="Attribute")
            opacity = gr.Slider(0.0, 1.0, value=DEFAULT_OPACITY, step=0.05, label="Heatmap opacity")
            button = gr.Button("Compare", variant="primary", elem_id="compare-button")
            rescan = gr.Button("Look for new models", size="sm", elem_id="compare-rescan")
        with gr.Column(scale=2):
            verdict = gr.Markdown(label="verdict", elem_id="compare-verdict")
            table = gr.Dataframe(headers=["model", "trained on", "answer", "confidence", "top class", "calibrated",
                                          "90% set"],
                                 label="answers", interactive=False, wrap=True)
            gallery = gr.Gallery(label="Where each model looked", columns=2, format="png", elem_id="compare-gallery")
    return CompareTab(photo=photo, attribute=attribute, opacity=opacity, button=button, rescan=rescan,
                      verdict=verdict, table=table, gallery=gallery)


def build_lab() -> LabTab:
    """The bias lab's components, under the comparison."""
    gr.Markdown("### The bias lab: the fair and the census-biased race model on the same face")
    intro = gr.Markdown(elem_id="lab-intro")
    gallery = gr.Gallery(label="Held-out synthetic test images (click one)", columns=7, height="auto",
                         allow_preview=False, visible=False, format="png", elem_id="lab-gallery")
    verdict = gr.Markdown(elem_id="lab-verdict")
    maps = gr.Gallery(label="Where each looked: the fair model left, the biased one right", columns=2,
                      height="auto", visible=False, format="png", elem_id="lab-maps")
    return LabTab(intro=intro, gallery=gallery, verdict=verdict, maps=maps)


# -- the events ------------------------------------------------------------------

def wire(handlers: CompareHandlers, lab: LabHandlers) -> None:
    tab = handlers.tab
    tab.button.click(handlers.compare, [tab.photo, tab.attribute, tab.opacity], tab.outputs,
                     api_name="compare", concurrency_id="engine")
    rescanned = tab.rescan.click(handlers.rescan, None, [tab.verdict], api_visibility="private",
                                 concurrency_id="engine")
    rescanned.then(lab.show, None, lab.tab.outputs, api_visibility="private", queue=False)
    lab.tab.gallery.select(lab.pick, [tab.opacity], [lab.tab.verdict, lab.tab.maps], api_visibility="private",
                           concurrency_id="engine")


# -- what each event does ----------------------------------------------------------

class CompareHandlers:
    def __init__(self, engine, tab: CompareTab, stages: StageQueues | None = None):
        self.engine, self.tab = engine, tab
        self.stages = stages or StageQueues()

    @user_errors
    def compare(self, photo, attribute, opacity=DEFAULT_OPACITY,
                progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        """Every model for `attribute` on the largest face, side by side, and the
        general VQA model as one more row when it is on."""
        if photo is None:
            raise NoPhotoError()
        comparison = self.stages.slow(lambda: self.engine.compare(photo, attribute, progress=progress))
        result, face = comparison.result, comparison.face
        verdict = "\n\n".join([agreement_markdown(comparison), *problem_lines(result)])
        return {self.tab.verdict: verdict, self.tab.table: comparison_rows(face, comparison.general_answer),
                self.tab.gallery: comparison_maps(comparison, float(opacity))}

    @user_errors
    def rescan(self):
        """Models trained since start-up (python -m training.demo, training.train) join without a restart."""
        self.engine.reload()
        return {self.tab.verdict: models_markdown(self.engine.cards(), self.engine.problems)}


class LabHandlers:
    """The Compare tab's bias lab: a gallery of held-out synthetic test images;
    a click shows the fair and the census-biased model side by side on it."""

    def __init__(self, engine, tab: LabTab, per_class: int = LAB_PER_CLASS, stages: StageQueues | None = None):
        self.engine, self.tab, self.per_class = engine, tab, per_class
        self.stages = stages or StageQueues()

    @user_errors
    def show(self):
        """The gallery when the lab is built; otherwise a line on how to build it."""
        images = self.engine.lab_gallery(self.per_class)
        tab = self.tab
        if not images:
            return {tab.intro: LAB_MISSING, tab.gallery: gr.update(value=None, visible=False),
                    tab.verdict: "", tab.maps: gr.update(value=None, visible=False)}
        return {tab.intro: LAB_INTRO, tab.gallery: gr.update(value=lab_gallery_items(images), visible=True)}

    @user_errors
    def pick(self, opacity=DEFAULT_OPACITY, evt: gr.SelectData = None):
        """A click on a gallery image: both lab models' answers, confidences, maps and class accuracy."""
        images = self.engine.lab_gallery(self.per_class)
        index = evt.index if evt is not None else None
        if isinstance(index, (list, tuple)):
            index = index[0]
        if index is None or not 0 <= int(index) < len(images):
            return {}
        compared = self.stages.slow(lambda: self.engine.compare_lab(images[int(index)]))
        return {self.tab.verdict: lab_markdown(compared),
                self.tab.maps: gr.update(value=lab_maps(compared, float(opacity)), visible=True)}


# -- the words and pictures of a comparison --------------------------------------------

def _single_model_markdown(comparison, model: str) -> str:
    """One model answered: nothing to compare it with. Where the bias lab's models were set
    aside (SYNTHETIC faces), say so rather than that only one is installed."""
    attribute = comparison.attribute
    if not comparison.set_aside:
        return (f"**Only one {attribute} model is installed ({model}), so there is nothing to compare it "
                f"with.** To add a second: {comparison.how_to_add()}.")
    lab = ", ".join(comparison.set_aside)
    return (f"**Only one {attribute} model answers real photos here ({model}), so there is nothing to compare "
            f"it with.** {lab} {'was' if len(comparison.set_aside) == 1 else 'were'} trained on SYNTHETIC cartoon "
            "faces: they answer on the bias lab's own test images (below), not on your photo.")


def agreement_markdown(comparison) -> str:
    """Whether the models agree, in one glance (a vqa.engine.Comparison). With
    one model there is nothing to compare: say so, and how to add another.
    The general VQA model, when on, gets its own sentence: it is not a face model."""
    agreement, attribute = comparison.agreement, comparison.attribute
    if not agreement.count:
        verdict = f"No model answers **{attribute}** here."
    elif agreement.count == 1:
        (model, _), = agreement.answers
        verdict = _single_model_markdown(comparison, model)
    elif agreement.agree:
        said = " / ".join(agreement.said)
        who = "Both" if agreement.count == 2 else f"All {agreement.count}"
        verdict = f"**{who} {attribute} models agree: {said}.**"
    else:
        parts = "; ".join(f"**{label}**: {', '.join(models)}" for label, models in agreement.groups.items())
        verdict = f"**The {attribute} models disagree.** {parts}"
    if agreement.count > 2:  # who sides with whom, and what the dissenters were trained on
        verdict += f"\n\n{agreement_summary(agreement)}"
    vqa = vqa_markdown(comparison)
    return f"{verdict}\n\n{vqa}" if vqa else verdict


def vqa_markdown(comparison) -> str:
    """The general VQA model's answer beside the face models': whom it agrees with, by meaning."""
    vqa = comparison.general_answer
    if vqa is None:
        return ""
    if vqa.error:
        return f"*The general VQA model could not answer: {vqa.error}*"
    said = f"The general VQA model ({vqa.family or vqa.model}) says **{vqa.answer}**"
    agrees_with = comparison.general_agrees_with
    if not comparison.agreement.count:
        return f"{said}."
    if agrees_with is None:
        return f"{said}, which names no {comparison.attribute} class, so it is not compared."
    others = [model for model, _ in comparison.agreement.answers if model not in agrees_with]
    if not agrees_with:
        return f"{said}: it disagrees with every face model."
    if not others:
        return f"{said}: it agrees with {'the face model' if len(agrees_with) == 1 else 'every face model'}."
    return f"{said}: it agrees with {', '.join(agrees_with)} and not with {', '.join(others)}."


def comparison_rows(face, vqa=None) -> list[list]:
    """Model, trained on, answer, confidence, top probability: one row each;
    the general VQA model (a vqa.general.GeneralAnswer that answered) last."""
    rows = []
    for record in face.records:
        answer = record.answer
        top = max(answer.probabilities.items(), key=lambda item: item[1])
        rows.append([answer.model, trained_on(answer.card), answer.answer,
                     None if answer.confidence is None else round(float(answer.confidence), 3),
                     f"{top[0]} {top[1]:.2f}", *calibration_cells(answer)])
    if vqa is not None and not vqa.error:
        top = f"{vqa.top[0][0]} {vqa.top[0][1]:.2f}" if vqa.top else ""
        rows.append([vqa.model, f"{vqa.training_data or 'not stated'} (general VQA model, not trained on faces)",
                     vqa.answer, None if vqa.confidence is None else round(float(vqa.confidence), 3), top,
                     "not calibrated", ""])
    return rows


def calibration_cells(answer) -> list[str]:
    """The calibrated confidence (or that there is none) and the 90% prediction set."""
    if answer.calibration is None:
        return ["not calibrated (raw softmax)", ""]
    kind = ", SYNTHETIC audit" if answer.calibration.synthetic else ""
    return [f"{percent(answer.calibrated_confidence)}{kind}", " or ".join(answer.prediction_set or ())]


def comparison_maps(comparison, opacity: float) -> list[tuple[Any, str]]:
    """Grad-CAM and Integrated Gradients of every face model, cut to the face,
    then the general VQA model's Integrated Gradients (over the whole photo, cut alike)."""
    result, face = comparison.result, comparison.face
    region = face_region(face.box, result.image.shape)
    # Each caption is the picture's alt text too (Gradio's gallery uses it as such): the
    # method, the model, its answer and the map's top face regions.
    maps = [(result.render(0, record.model, method, opacity, region=region), map_alt(face, record.model, method))
            for record in face.records for method in COMPARED_MAPS if method in record.maps]
    vqa = comparison.general_answer
    if vqa is not None and vqa.heatmap is not None:
        maps.append((result.render_general(opacity).crop(region),
                     vqa_heatmap_alt(result, where="around the face, cut from its map over the whole photo")))
    return maps


def models_markdown(cards, problems) -> str:
    """The models the engine has, per attribute (SYNTHETIC where trained on generated data), and the files
    it skipped."""
    lines = []
    for attribute in COMPARE_QUESTIONS:
        names = [card.name + (" (SYNTHETIC)" if card.synthetic else "") for card in cards
                 if card.attribute == attribute]
        lines.append(f"**{attribute}**: {', '.join(names) if names else 'no model yet'}")
    return "\n\n".join(["Models found:", *lines, *(f"**Problem:** {p}" for p in problems)])


def lab_gallery_items(images) -> list[tuple[Any, str]]:
    """(image, caption) per vqa.lab.GalleryImage, opened here so that Gradio serves copies, not server paths."""
    return [(_enlarged(Image.open(image.path).convert("RGB")), f"{image.race} (test image {i + 1})")
            for i, image in enumerate(images)]


def lab_markdown(compared) -> str:
    """The fair and the biased model on one lab image (a vqa.engine.LabComparison): a table, one column each."""
    face = compared.comparison.face
    names = list(compared.accuracy)
    records = {name: face.record(name) for name in names}
    race = compared.image.race

    def row(title, cell):
        return f"| {title} | " + " | ".join(cell(name) for name in names) + " |"

    def said(name, field):
        record = records[name]
        if record is None or record.answer.confidence is None:
            return "no answer"
        return record.answer.answer if field == "answer" else percent(record.answer.confidence, 1)

    def ig_error(name):
        explained = _map_of(records[name], "ig")
        return percent(explained.info.ig_delta if explained is not None else None, 1)

    def beats_random(name, method):
        explained = _map_of(records[name], method)
        faithfulness = explained.info.faithfulness if explained is not None else None
        return faithfulness.brief if faithfulness is not None else NOT_MEASURED

    lines = [f"**True race: {race}** (a SYNTHETIC test image; the numbers say nothing about real faces).", "",
             "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names),
             row("trained on", lambda n: trained_on(records[n].answer.card) if records[n] else "not found"),
             row("answer", lambda n: said(n, "answer")),
             row("confidence (raw softmax)", lambda n: said(n, "confidence")),
             row("calibrated confidence", lambda n: calibration_cells(records[n].answer)[0] if records[n] else "-"),
             row("prediction set at 90%", lambda n: calibration_cells(records[n].answer)[1] or "-" if records[n]
                 else "-"),
             row("when it said this", lambda n: _when_said(records[n])),
             row(f"accuracy on {race} (lab's balanced val split)", lambda n: percent(compared.accuracy[n], 1)),
             row("Integrated Gradients completeness error", ig_error),
             *(row(f"{METHOD_TITLES[method]} beats a random map?", lambda n, m=method: beats_random(n, m))
               for method in COMPARED_MAPS)]
    verdict = compared.comparison.agreement
    if verdict.count == 2:
        lines += ["", "Both models say the same." if verdict.agree else "**The two models disagree on this image.**"]
    return "\n".join(lines)


def _when_said(record) -> str:
    audit = record.answer.audit if record is not None else None
    if audit is None or not audit.n:
        return "-"
    return (f"{audit.said}: right {audit.right} of {audit.n} ({percent(audit.share)}, "
            f"95% interval {percent(audit.low)}-{percent(audit.high)})")


def lab_maps(compared, opacity: float) -> list[tuple[Any, str]]:
    """Grad-CAM then Integrated Gradients, the fair model left and the biased one right (two columns)."""
    result, face = compared.comparison.result, compared.comparison.face
    return [(_enlarged(result.render(0, name, method, opacity)), map_alt(face, name, method, "on the whole test image"))
            for method in COMPARED_MAPS for name in compared.accuracy
            if _map_of(face.record(name), method) is not None]


def _map_of(record, method: str):
    """A record's map of `method` (vqa.result.ExplainedMap), or None."""
    return record.maps.get(method) if record is not None else None


def _enlarged(image):
    scale = max(1, LAB_SHOWN_SIZE // max(image.size))
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST)
