"""Audit every FairFace model in a folder on FairFace's balanced val split.

    python -m training.evaluate --data DIR --models DIR [--out DIR]

Per model: accuracy per class and per race x gender group (fairlearn), worst
group and best-worst gap, a confusion matrix, and the mean Grad-CAM and IG
heatmap per class over correctly classified, aligned val faces, with the mean
share of each face region (eyes, brows, nose, mouth, cheeks and jaw, forehead,
hair, outside) of those maps and the landmarks the regions came from
(training.face_regions). Where the data says where each cue was drawn
(synthetic masks), how well Grad-CAM, Guided Grad-CAM and IG point at it (mass accuracy, pointing game, a random floor);
and the model-randomisation sanity check. The fair and the census-biased race
model side by side. Writes report.html + PNGs, summary.json (the same numbers,
for the app; schema: models.audit_summary) and predictions.csv (one row per
model and val image) into --out.

Confidence you can check: the val split is halved (seeded, stratified by the model's
attribute; predictions.csv's "split" column); on the fit half, temperature scaling
and class-conditional conformal prediction sets (models.calibration), measured on the
eval half (ECE before and after, coverage and set sizes); every accuracy with its n
and 95% interval, race x gender x age cells, and the skin tone each face's pixels
measure (ITA°, models.skin_tone). Models of other label spaces (the pretrained GEAR
and dlib models: `--models ~/.cache/facexai/models` or `--pretrained`) are scored
through models.labels' equivalences, in their own labels.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from models.alignment import FAIRFACE_PADDING
from models.audit_summary import (
    RANDOM_MODEL,
    AuditSummary,
    Comparison,
    LocalizationScore,
    ModelAudit,
    ModelEntry,
    RaceRow,
)
from models.cache import models_dir
from models.labels import FAIRFACE, AuditSpace, LabelSpaceError, audit_space
from models.registry import load_registry
from models.skin_tone import ITA_CATEGORIES, SkinToneError, ita
from training.audit import audit, fair_vs_biased, val_chips
from training.class_heatmaps import class_heatmaps, correct_indices, mean_per_class
from training.confidence import EVAL, FIT, confidence, fit_eval_split, intervals, proportions
from training.face_regions import (
    class_region_shares,
    landmarks_for,
    source_counts,
    synthetic_fallback,
    template_fallback,
)
from training.fairface import crop_fraction, read_split
from training.figures import (
    confusion_png,
    fair_vs_biased_png,
    heatmap_grid_png,
    localization_png,
    regions_png,
    reliability_png,
)
from training.ground_truth import (
    fit_masks,
    localization_scores,
    randomization_checks,
    sample_per_class,
)
from training.report import write_report
from training.synthetic import read_masks

PREDICTIONS = "predictions.csv"
# Then p_<label>: each label's calibrated probability, for the labels of the row's model (in its order).
PREDICTION_COLUMNS = ("file", "model", "true_label", "predicted_label", "probability", "race", "gender", "age",
                      "split", "set", "ita", "skin_tone")
PROBABILITY_PREFIX = "p_"
SET_SEPARATOR = "|"
SKIN_TONE_SIZE = 112  # chip side for measuring skin tone when no model took FairFace's framing


class NoModelsError(ValueError):
    pass


def fairface_models(models_dir):
    """The models in the folder that answer in FairFace's own label space."""
    registry = load_registry(models_dir, include_cache=False)
    chosen = [m for m in registry.models if tuple(m.card.labels) == FAIRFACE[m.attribute]]
    if not chosen:
        raise NoModelsError(f"no models with FairFace labels in {models_dir} (problems: {registry.problems})")
    return chosen


def audited_models(models_dir, val_padding: float = 0.25) -> tuple[list[tuple], dict[str, str]]:
    """([(model, AuditSpace)], {skipped model: why}): every model in the folder(s) whose
    labels FairFace's nest in (models.labels.audit_space) and whose framing the val
    images hold (a crop cannot add margin)."""
    registry = load_registry(models_dir, include_cache=False)
    chosen, skipped = [], {}
    for model in registry.models:
        try:
            space = audit_space(model.attribute, model.card.labels)
        except LabelSpaceError as err:
            skipped[model.name] = str(err)
            continue
        if model.card.input.padding > val_padding:
            skipped[model.name] = (f"it takes chips with padding {model.card.input.padding}, wider than the val "
                                   f"images' {val_padding}")
            continue
        chosen.append((model, space))
    if not chosen:
        raise NoModelsError(f"no models with FairFace labels (or labels that FairFace's nest in) in {models_dir} "
                            f"(problems: {registry.problems}; skipped: {skipped})")
    return chosen, skipped


def evaluate(data, models_dir, out, per_class: int = 16, ig_steps: int = 32, heatmaps: bool = True,
             sanity_images: int = 14, progress: Callable[[float, str], None] | None = None,
             skin_tone: bool = True) -> dict:
    """Audit every model in `models_dir` (a folder or a list of them) that can be scored
    on FairFace's labels; write the report into `out` and return summary.json's object
    (models.audit_summary.AuditSummary.to_dict()). `progress(fraction, message)` hears
    when each model's audit begins. `skin_tone`: measure each face's ITA (on real data
    this runs dlib's detector on every val chip)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    val = read_split(data, "val")
    masks = read_masks(data, "val", val.table["file"]) if heatmaps else None
    summary = AuditSummary(data=str(data), synthetic=val.synthetic, val_images=len(val), models={})
    audits, chips_by_frame, predictions, floors, landmarks_by_frame, correct = {}, {}, [], {}, {}, {}
    models, summary.skipped = audited_models(models_dir, val.padding)
    for index, (model, space) in enumerate(models):
        if progress is not None:
            progress(index / len(models), f"auditing {model.name} ({index + 1} of {len(models)})")
        size, padding = model.card.input.size, model.card.input.padding
        if (size, padding) not in chips_by_frame:  # models of one input share their chips
            chips_by_frame[size, padding] = val_chips(val, size, padding)
        chips = chips_by_frame[size, padding]
        probs = space.to_space(model.predict(chips))
        y_true = true_ids(val, space)
        result = audit(model.name, model.attribute, space.labels, probs, val, y_true=y_true)
        fit = fit_eval_split(val.labels(model.attribute))
        checked = confidence(model.name, model.attribute, space.labels, probs, y_true, fit,
                             synthetic=val.synthetic or model.card.synthetic, single_years=space.single_years)
        correct[model.name] = result.y_true == result.y_pred
        predictions.append(prediction_rows(model.name, model.attribute, space.labels, probs, val.table,
                                           true_labels=np.asarray(space.labels)[y_true], split=fit,
                                           calibrated=checked.calibrated, sets=checked.sets))
        audits[model.name] = (model, result)
        held = ~fit
        figures = {"confusion": confusion_png(result, out / f"{model.name}_confusion.png").name,
                   "reliability": reliability_png(model.name, probs[held], checked.calibrated[held], y_true[held],
                                                  checked.calibration, out / f"{model.name}_reliability.png").name}
        if heatmaps:
            crop = crop_fraction(val.padding, padding)
            chosen = correct_indices(result.y_true, result.y_pred, per_class, len(result.labels))
            maps = class_heatmaps(model.keras_model, model.card.input.preprocessing, chips, chosen, ig_steps)
            grid = heatmap_grid_png(model.name, result.labels, mean_per_class(maps), out / f"{model.name}_heatmaps.png")
            figures["heatmaps"] = grid.name
            fallback = (synthetic_fallback(size, crop, masks["age"] if masks else None)
                        if val.synthetic else template_fallback(size, padding))
            _face_regions(model.name, result.labels, chips, maps, fallback,
                          landmarks_by_frame.setdefault((size, padding), {}), not val.synthetic, summary, figures, out)
            _check_against_truth(model, result, chips, masks, crop, summary, floors, per_class, ig_steps,
                                 sanity_images)
        summary.models[model.name] = ModelEntry(
            card=model.card.to_dict(), figures=figures,
            audit=ModelAudit(**result.summary(), calibration=checked.calibration, conformal=checked.conformal,
                             intervals=intervals(correct[model.name], result.y_true, space.labels, val.table)))
    summary.synthetic = summary.synthetic or any(m.card.synthetic for m, _ in audits.values())
    if skin_tone and masks is None and val.synthetic:  # the cue masks place the synthetic landmarks
        masks = read_masks(data, "val", val.table["file"])
    tones = _skin_tones(val, chips_by_frame, landmarks_by_frame, masks) if skin_tone else None
    if tones is not None:
        for name, right in correct.items():
            measured = tones["skin_tone"].notna().to_numpy()
            summary.models[name].audit.skin_tone = _in_category_order(
                proportions(right[measured], tones["skin_tone"][measured]))
    write_predictions(out / PREDICTIONS, predictions, tones)
    if floors:
        summary.localization[RANDOM_MODEL] = _mean_floor(floors)
        summary.figures["localization"] = localization_png(summary.localization, out / "localization.png").name
    _compare(audits, summary, out)
    write_report(out, summary)
    return summary.to_dict()


def true_ids(val, space: AuditSpace) -> np.ndarray:
    """The val CSV's labels of the space's attribute, as class ids of the model's labels."""
    index = {label: i for i, label in enumerate(space.labels)}
    return val.table[space.attribute].map(lambda label: index[space.truth[label]]).to_numpy(dtype=np.int64)


def prediction_rows(name: str, attribute: str, labels, probs: np.ndarray, table: pd.DataFrame, *,
                    true_labels=None, split=None, calibrated=None, sets=None) -> pd.DataFrame:
    """One row per val image: what the model answered, beside the CSV's own labels; with
    `split` (True: the fit half), its calibrated probabilities (p_<label>) and sets."""
    probs = np.asarray(probs)
    predicted = probs.argmax(1)
    labels = np.asarray(labels)
    rows = pd.DataFrame({
        "file": table["file"].to_numpy(), "model": name,
        "true_label": table[attribute].to_numpy() if true_labels is None else np.asarray(true_labels),
        "predicted_label": labels[predicted], "probability": probs[np.arange(len(probs)), predicted],
        "race": table["race"].to_numpy(), "gender": table["gender"].to_numpy(), "age": table["age"].to_numpy(),
    })
    if split is not None:
        rows["split"] = np.where(split, FIT, EVAL)
    if sets is not None:
        rows["set"] = [SET_SEPARATOR.join(labels[inside]) for inside in np.asarray(sets, dtype=bool)]
    if calibrated is not None:
        for label, column in zip(labels, np.asarray(calibrated).T):
            rows[PROBABILITY_PREFIX + str(label)] = column
    return rows


def write_predictions(path: Path, frames: list[pd.DataFrame], tones: pd.DataFrame | None = None) -> Path:
    """PREDICTION_COLUMNS (those the rows have), then the p_<label> columns in the order the models list them."""
    rows = pd.concat(frames, ignore_index=True)
    if tones is not None:
        rows = rows.merge(tones, on="file", how="left", sort=False)
    fixed = [c for c in PREDICTION_COLUMNS if c in rows]
    rows[fixed + [c for c in rows.columns if c not in PREDICTION_COLUMNS]].to_csv(path, index=False)
    return path


def _skin_tones(val, chips_by_frame: dict, landmarks_by_frame: dict, masks) -> pd.DataFrame:
    """Per val file: its ITA° and Chardon category (None where the skin could not be
    measured), on the largest chips in FairFace's 0.25 framing (loaded at 112 px if no
    model took that framing), with the landmarks the face regions use."""
    framed = [key for key in chips_by_frame if key[1] == FAIRFACE_PADDING]
    size = max(framed)[0] if framed else SKIN_TONE_SIZE
    chips = chips_by_frame.get((size, FAIRFACE_PADDING))
    if chips is None:
        chips = val_chips(val, size)
    crop = crop_fraction(val.padding)
    fallback = (synthetic_fallback(size, crop, masks["age"] if masks else None) if val.synthetic
                else template_fallback(size))
    landmarks = landmarks_for(chips, range(len(chips)), fallback, landmarks_by_frame.setdefault(
        (size, FAIRFACE_PADDING), {}), not val.synthetic)
    angles, categories = [], []
    for index, chip in enumerate(chips):
        try:
            tone = ita(chip, landmarks[index].points)
        except SkinToneError:
            angles.append(None)
            categories.append(None)
            continue
        angles.append(tone.ita)
        categories.append(tone.category)
    return pd.DataFrame({"file": val.table["file"].to_numpy(), "ita": pd.array(angles, dtype="Float64"),
                         "skin_tone": pd.array(categories, dtype="string")})


def _in_category_order(table: dict) -> dict:
    return {name: table[name] for name, _ in ITA_CATEGORIES if name in table}


def _face_regions(name, labels, chips, maps, fallback, known, detect, summary, figures, out) -> None:
    """The mean region shares of each class's maps, and which landmarks drew the regions."""
    indices = np.unique(np.concatenate([m.indices for per_class in maps.values() for m in per_class.values()]
                                       or [np.zeros(0, int)]))
    landmarks = landmarks_for(chips, indices, fallback, known, detect)
    shares = class_region_shares(maps, landmarks, labels)
    summary.regions[name] = {method: per_class for method, per_class in shares.items() if per_class}
    summary.region_landmarks[name] = source_counts(landmarks, indices)
    if summary.regions[name]:
        figures["regions"] = regions_png(name, labels, summary.regions[name], out / f"{name}_regions.png").name


def _check_against_truth(model, result, chips, masks, crop, summary, floors, per_class, ig_steps, sanity_images):
    """Localization against the cue masks (where the data has them) and the randomisation check."""
    preprocessing, labels = model.card.input.preprocessing, result.labels
    if masks is not None:
        truth = fit_masks(masks[model.attribute], chips.shape[1], crop)
        chosen = sample_per_class(result.y_true, per_class, len(labels))
        scores, floor = localization_scores(model.keras_model, preprocessing, chips, truth, chosen, labels,
                                            ig_steps=ig_steps)
        summary.localization[model.name] = scores
        summary.localization_cue[model.name] = model.attribute
        floors[model.name] = floor
    if sanity_images > 0:
        picked = sample_per_class(result.y_true, max(1, sanity_images // len(labels)), len(labels), seed=1)
        idx = np.concatenate(list(picked.values()))
        summary.randomization[model.name] = randomization_checks(model.keras_model, preprocessing, chips[idx],
                                                                 result.y_true[idx], ig_steps=ig_steps)


def _mean_floor(floors: dict) -> dict:
    """The shuffled-map floor per method and class, averaged over the models scored on that class."""
    merged: dict = {}
    for per_method in floors.values():
        for method, per_class in per_method.items():
            for label, score in per_class.items():
                merged.setdefault(method, {}).setdefault(label, []).append(score)
    return {method: {label: _average(scores) for label, scores in per_class.items()}
            for method, per_class in merged.items()}


def _average(scores: list[LocalizationScore]) -> LocalizationScore:
    def mean(values):
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    return LocalizationScore(mass_accuracy=mean([s.mass_accuracy for s in scores]),
                             pointing_game=mean([s.pointing_game for s in scores]),
                             images=sum(s.images for s in scores), empty_maps=sum(s.empty_maps for s in scores))


def _compare(audits: dict, summary: AuditSummary, out: Path) -> None:
    race = [(m, a) for m, a in audits.values() if m.attribute == "race"]
    biased = [a for m, a in race if m.card.extra.get("biased")]
    fair = [a for m, a in race if not m.card.extra.get("biased")]
    if biased and fair:
        comparison = fair_vs_biased(fair[0], biased[0])
        summary.comparison = Comparison(**{**comparison, "per_race": {
            race: RaceRow(**row) for race, row in comparison["per_race"].items()}})
        summary.figures["fair_vs_biased"] = fair_vs_biased_png(comparison, out / "fair_vs_biased.png").name


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="FairFace folder (its val split is used)")
    p.add_argument("--models", help="folder of <name>.keras + <name>.json models (any registry folder)")
    p.add_argument("--pretrained", action="store_true",
                   help="also audit the pretrained models in the user cache (models.cache.models_dir(): dlib's and "
                        "GEAR's, scored through models.labels' equivalences)")
    p.add_argument("--out", default="audit", help="report folder (default: ./audit)")
    p.add_argument("--per-class", type=int, default=16,
                   help="faces per class for the mean heatmaps and the localization scores")
    p.add_argument("--ig-steps", type=int, default=32)
    p.add_argument("--sanity-images", type=int, default=14,
                   help="val faces for the model-randomisation check (0: skip it)")
    p.add_argument("--no-heatmaps", action="store_true", help="numbers only: no heatmaps, localization or sanity check")
    p.add_argument("--no-skin-tone", action="store_true",
                   help="do not measure each face's skin tone (ITA; on real data dlib's detector runs on every chip)")
    args = p.parse_args(argv)
    folders = ([args.models] if args.models else []) + ([str(models_dir())] if args.pretrained else [])
    if not folders:
        p.error("give --models DIR, --pretrained, or both")
    try:
        summary = evaluate(args.data, folders if len(folders) > 1 else folders[0], args.out, args.per_class,
                           args.ig_steps, not args.no_heatmaps, args.sanity_images, skin_tone=not args.no_skin_tone)
    except ValueError as err:  # FairFaceError, NoModelsError, ...: a message, not a traceback
        p.exit(2, f"error: {err}\n")
    for name, entry in summary["models"].items():
        a = entry["audit"]
        print(f"{name}: accuracy {a['accuracy']:.3f}, worst group {a['worst_group']} {a['worst_group_accuracy']:.3f}, "
              f"ECE {_number(a['calibration']['ece_before'])} -> {_number(a['calibration']['ece_after'])}, "
              f"set coverage {_number(a['conformal']['coverage'])}")
    for name, why in summary["skipped"].items():
        print(f"{name}: not audited ({why})")
    print(f"report: {Path(args.out) / 'report.html'}")
    return summary


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
