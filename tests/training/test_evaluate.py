"""The audit report: numbers match a direct computation, fair vs biased shows the bias."""
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import training.evaluate
from models.audit_summary import RANDOM_MODEL, AuditSummary
from training.class_heatmaps import correct_indices
from training.evaluate import PREDICTION_COLUMNS, NoModelsError, evaluate
from training.fairface import read_split

MINORITIES = ("East Asian", "Southeast Asian", "Indian", "Middle Eastern")


@pytest.fixture(scope="module")
def report(four_models, synthetic_root, tmp_path_factory):
    models_dir = next(iter(four_models.values())).model_path.parent
    out = tmp_path_factory.mktemp("audit")
    return evaluate(synthetic_root, models_dir, out, per_class=4, ig_steps=8), out


def test_report_files_and_synthetic_warning(report):
    summary, out = report
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(summary))
    assert set(summary["models"]) == {"synthetic_race", "synthetic_race_biased", "synthetic_gender", "synthetic_age"}
    page = (out / "report.html").read_text()
    assert "SYNTHETIC" in page and "Fair vs census-biased race model" in page
    for entry in summary["models"].values():
        for png in entry["figures"].values():
            assert (out / png).read_bytes()[:4] == b"\x89PNG"
    assert (out / summary["figures"]["fair_vs_biased"]).is_file()


def test_group_numbers_match_a_direct_pandas_computation(report, synthetic_root):
    summary, _ = report
    val = read_split(synthetic_root, "val")
    audit = summary["models"]["synthetic_race_biased"]["audit"]
    cm = np.array(audit["confusion_matrix"])
    y_true = val.labels("race")
    assert cm.sum() == len(val) and (cm.sum(1) == np.bincount(y_true, minlength=7)).all()
    # Per-class accuracy is the confusion matrix's diagonal over its row sums.
    per_class = {label: cm[i, i] / cm[i].sum() for i, label in enumerate(audit["labels"])}
    assert audit["per_class_accuracy"] == pytest.approx(per_class)
    groups = audit["race_x_gender_accuracy"]
    assert audit["worst_group"] == min(groups, key=groups.get)
    assert audit["best_minus_worst_group"] == pytest.approx(max(groups.values()) - min(groups.values()))
    sizes = (val.table["race"] + " / " + val.table["gender"]).value_counts().to_dict()
    assert audit["race_x_gender_sizes"] == sizes


def test_audit_agrees_with_the_training_metrics(report, four_models):
    summary, _ = report
    for name, result in four_models.items():
        audited = summary["models"][name]["audit"]["accuracy"]
        assert audited == pytest.approx(result.card.metrics["val_accuracy"], abs=0.02)


def test_fair_vs_biased_shows_the_minority_drop(report):
    comparison = report[0]["comparison"]
    assert comparison["fair_model"] == "synthetic_race" and comparison["biased_model"] == "synthetic_race_biased"
    drops = [comparison["per_race"][r]["drop"] for r in MINORITIES]
    assert np.mean(drops) > 0.2


def test_heatmap_faces_are_only_correct_ones():
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 0, 1, 0, 1])
    chosen = correct_indices(y_true, y_pred, per_class=5, num_classes=3)
    assert chosen[0].tolist() == [0, 2] and chosen[1].tolist() == [3] and chosen[2].tolist() == []


def test_folder_without_models_is_a_clear_error(tmp_path, synthetic_root):
    with pytest.raises(NoModelsError, match="no models with FairFace labels"):
        evaluate(synthetic_root, tmp_path, tmp_path / "out", heatmaps=False)


def test_cli_reports_a_folder_without_models_as_a_message(tmp_path, synthetic_root, capsys):
    from training.evaluate import main

    with pytest.raises(SystemExit) as exit_:
        main(["--data", str(synthetic_root), "--models", str(tmp_path), "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2 and "no models with FairFace labels" in capsys.readouterr().err


def assert_summary_matches_predictions(out):
    """Recompute every group number of summary.json from predictions.csv with pandas alone."""
    summary = json.loads((out / "summary.json").read_text())
    predictions = pd.read_csv(out / "predictions.csv")
    assert set(predictions["model"]) == set(summary["models"])
    for name, rows in predictions.groupby("model"):
        audit = summary["models"][name]["audit"]
        correct = rows["true_label"] == rows["predicted_label"]
        assert audit["accuracy"] == pytest.approx(correct.mean())
        per_class = correct.groupby(rows["true_label"]).mean().to_dict()
        assert audit["per_class_accuracy"] == pytest.approx(per_class)
        groups = correct.groupby(rows["race"] + " / " + rows["gender"]).mean()
        assert audit["race_x_gender_accuracy"] == pytest.approx(groups.to_dict())
        assert audit["worst_group"] == groups.idxmin()
        assert audit["worst_group_accuracy"] == pytest.approx(groups.min())
        assert audit["best_minus_worst_group"] == pytest.approx(groups.max() - groups.min())


def test_predictions_csv_has_one_row_per_model_and_val_image(report, synthetic_root):
    summary, out = report
    predictions = pd.read_csv(out / "predictions.csv")
    val = pd.read_csv(synthetic_root / "fairface_label_val.csv")
    assert tuple(predictions.columns[:len(PREDICTION_COLUMNS)]) == PREDICTION_COLUMNS
    labels = list(dict.fromkeys(label for entry in summary["models"].values() for label in entry["audit"]["labels"]))
    assert list(predictions.columns[len(PREDICTION_COLUMNS):]) == [f"p_{label}" for label in labels]
    assert len(predictions) == len(val) * len(summary["models"])
    race = predictions[predictions["model"] == "synthetic_race"].reset_index(drop=True)
    assert race["file"].tolist() == val["file"].tolist() and race["true_label"].tolist() == val["race"].tolist()
    assert race[["race", "gender", "age"]].equals(val[["race", "gender", "age"]])
    assert predictions["probability"].between(1 / 9, 1).all()  # the top class of at most 9


def test_group_numbers_match_predictions_csv_recomputed_with_pandas(report):
    assert_summary_matches_predictions(report[1])


def test_the_recomputation_catches_wrong_per_group_accuracy(four_models, synthetic_root, tmp_path, monkeypatch):
    real_audit = training.evaluate.audit

    def wrong_groups(*args, **kwargs):  # the function under test, with per-group accuracy off by 10 points
        result = real_audit(*args, **kwargs)
        return dataclasses.replace(result, by_group={k: min(1.0, v + 0.1) for k, v in result.by_group.items()})

    monkeypatch.setattr(training.evaluate, "audit", wrong_groups)
    models_dir = next(iter(four_models.values())).model_path.parent
    evaluate(synthetic_root, models_dir, tmp_path, heatmaps=False)
    with pytest.raises(AssertionError):
        assert_summary_matches_predictions(tmp_path)


def test_localization_and_randomization_are_reported_per_model_method_and_class(report):
    summary, out = report
    loaded = AuditSummary.load(out)
    assert loaded.to_dict() == json.loads((out / "summary.json").read_text())
    localization = summary["localization"]
    assert set(localization) == {*summary["models"], RANDOM_MODEL}
    for model, methods in localization.items():
        assert set(methods) == {"gradcam", "guided", "ig"}
        for per_class in methods.values():
            if model != RANDOM_MODEL:
                labels = summary["models"][model]["audit"]["labels"]
                assert set(per_class) == set(labels)
            for score in per_class.values():
                if score["empty_maps"] == score["images"]:  # e.g. Grad-CAM of a class the model never predicts
                    assert score["mass_accuracy"] is None and score["pointing_game"] is None
                else:
                    assert 0.0 <= score["mass_accuracy"] <= 1.0 and 0.0 <= score["pointing_game"] <= 1.0
    assert (out / summary["figures"]["localization"]).read_bytes()[:4] == b"\x89PNG"
    # The fair race model's Grad-CAM should find the oval better than its own shuffled maps do.
    fair = localization["synthetic_race"]["gradcam"]
    floor = localization[RANDOM_MODEL]["gradcam"]
    assert np.mean([fair[c]["mass_accuracy"] for c in fair]) > np.mean([floor[c]["mass_accuracy"] for c in fair])
    for model in summary["models"]:
        checks = summary["randomization"][model]
        assert set(checks) == {"gradcam", "guided", "ig"}
        for check in checks.values():
            assert check["images"] == len(check["rank_correlations"]) > 0
    page = (out / "report.html").read_text()
    assert "Do the heatmaps point at the cue?" in page and "Model-randomisation sanity check" in page


def test_data_without_cue_masks_is_audited_without_localization(four_models, synthetic_root, tmp_path):
    import shutil

    data = tmp_path / "no_masks"
    shutil.copytree(synthetic_root, data, ignore=shutil.ignore_patterns("masks"))  # as real FairFace: no masks
    models_dir = next(iter(four_models.values())).model_path.parent
    summary = evaluate(data, models_dir, tmp_path / "out", per_class=1, ig_steps=4, sanity_images=0)
    assert summary["localization"] == {} and "localization" not in summary["figures"]
    assert summary["randomization"] == {}
    # Without masks the cartoon is placed at the chip's centre, still by the generator's geometry.
    assert all(list(counts) == ["synthetic"] for counts in summary["region_landmarks"].values())
    assert "point at the cue" not in (tmp_path / "out" / "report.html").read_text()


def test_region_shares_are_reported_per_model_method_and_class_with_their_landmarks(report, synthetic_root):
    from models.audit_summary import LANDMARK_SOURCES
    from models.regions import REGIONS
    from training.class_heatmaps import MEAN_HEATMAP_METHODS

    summary, out = report
    assert set(summary["regions"]) == set(summary["models"]) == set(summary["region_landmarks"])
    for model, methods in summary["regions"].items():
        labels = summary["models"][model]["audit"]["labels"]
        assert set(methods) == set(MEAN_HEATMAP_METHODS)
        for per_class in methods.values():
            assert per_class and set(per_class) <= set(labels)
            for shares in per_class.values():
                assert list(shares) == list(REGIONS)
                assert sum(shares.values()) == pytest.approx(1.0, abs=1e-6)
                assert all(0.0 <= v <= 1.0 for v in shares.values())
        counts = summary["region_landmarks"][model]
        assert set(counts) <= set(LANDMARK_SOURCES)
        # The cartoons are no faces: the generator's geometry draws every chip's regions.
        assert list(counts) == ["synthetic"] and counts["synthetic"] > 0
        assert (out / summary["models"][model]["figures"]["regions"]).read_bytes()[:4] == b"\x89PNG"
    page = (out / "report.html").read_text()
    assert "where on the face" in page and "images: synthetic cartoons, not faces" in page


def _ece(confidence: pd.Series, correct: pd.Series) -> float:
    """Top-label ECE with pandas' binning (15 right-closed bins of (0, 1]): not the audit's code."""
    bins = pd.cut(confidence, np.linspace(0, 1, 16), right=True, include_lowest=True)
    frame = pd.DataFrame({"confidence": confidence, "correct": correct.astype(float), "bin": bins})
    per_bin = frame.groupby("bin", observed=True).agg(n=("correct", "size"), right=("correct", "mean"),
                                                      said=("confidence", "mean"))
    return float((per_bin["n"] * (per_bin["right"] - per_bin["said"]).abs()).sum() / len(frame))


def recomputed_confidence(out) -> dict:
    """{model: {"ece_before", "ece_after", "coverage", "mean_set_size", "per_class": {...}}}, from
    predictions.csv alone."""
    summary = json.loads((out / "summary.json").read_text())
    predictions = pd.read_csv(out / "predictions.csv")
    result = {}
    for name, rows in predictions.groupby("model"):
        labels = summary["models"][name]["audit"]["labels"]
        held = rows[rows["split"] == "eval"]
        calibrated = held[[f"p_{label}" for label in labels]].to_numpy()
        after = pd.Series(calibrated.max(axis=1), index=held.index)
        right_after = pd.Series(np.asarray(labels)[calibrated.argmax(axis=1)], index=held.index) == held["true_label"]
        right_before = held["true_label"] == held["predicted_label"]
        sets = held["set"].str.split("|")
        covered = pd.Series([t in s for t, s in zip(held["true_label"], sets)], index=held.index)
        sizes = sets.str.len()
        per_class = {}
        for label, own in held.groupby("true_label"):
            per_class[label] = {"ece_before": _ece(own["probability"], right_before[own.index]),
                                "ece_after": _ece(after[own.index], right_after[own.index]),
                                "coverage": covered[own.index].mean(), "mean_set_size": sizes[own.index].mean(),
                                "n": len(own)}
        result[name] = {"ece_before": _ece(held["probability"], right_before), "ece_after": _ece(after, right_after),
                        "coverage": covered.mean(), "mean_set_size": sizes.mean(), "per_class": per_class,
                        "fit_images": int((rows["split"] == "fit").sum()), "eval_images": len(held)}
    return result


def assert_confidence_matches_predictions(summary: dict, recomputed: dict) -> None:
    for name, mine in recomputed.items():
        audit = summary["models"][name]["audit"]
        calibration, conformal = audit["calibration"], audit["conformal"]
        assert calibration["fit_images"] == mine["fit_images"] and calibration["eval_images"] == mine["eval_images"]
        for key in ("ece_before", "ece_after"):
            assert calibration[key] == pytest.approx(mine[key], abs=1e-9)
        for key in ("coverage", "mean_set_size"):
            assert conformal[key] == pytest.approx(mine[key])
        for label, cell in mine["per_class"].items():
            assert calibration["per_class"][label]["ece_before"] == pytest.approx(cell["ece_before"], abs=1e-9)
            assert calibration["per_class"][label]["ece_after"] == pytest.approx(cell["ece_after"], abs=1e-9)
            assert conformal["per_class"][label]["coverage"] == pytest.approx(cell["coverage"])
            assert conformal["per_class"][label]["mean_set_size"] == pytest.approx(cell["mean_set_size"])
            assert conformal["per_class"][label]["n"] == calibration["per_class"][label]["n"] == cell["n"]


def test_ece_and_coverage_match_predictions_csv_recomputed_independently(report):
    summary, out = report
    recomputed = recomputed_confidence(out)
    assert set(recomputed) == set(summary["models"])
    assert_confidence_matches_predictions(summary, recomputed)
    wrong = json.loads(json.dumps(summary))  # the check catches an ECE off by a point
    wrong["models"]["synthetic_race_biased"]["audit"]["calibration"]["ece_after"] += 0.01
    with pytest.raises(AssertionError):
        assert_confidence_matches_predictions(wrong, recomputed)


def test_the_split_is_written_down_stratified_by_the_attribute(report, synthetic_root):
    _, out = report
    predictions = pd.read_csv(out / "predictions.csv")
    val = pd.read_csv(synthetic_root / "fairface_label_val.csv")
    for attribute, model in (("race", "synthetic_race"), ("age", "synthetic_age")):
        rows = predictions[predictions["model"] == model]
        fit = (rows["split"] == "fit").groupby(val[attribute].to_numpy()).sum()
        assert fit.to_dict() == (val[attribute].value_counts() // 2).to_dict()
    # Both race models share one split: the same faces were fitted on.
    race = predictions[predictions["model"] == "synthetic_race"]["split"].tolist()
    assert predictions[predictions["model"] == "synthetic_race_biased"]["split"].tolist() == race


def test_the_apps_calibration_records_give_the_sets_the_audit_wrote(report):
    from models.calibration import load_calibrations

    summary, out = report
    records = load_calibrations(out)
    assert set(records) == set(summary["models"])
    predictions = pd.read_csv(out / "predictions.csv")
    for name, record in records.items():
        rows = predictions[predictions["model"] == name].head(40)
        calibrated = rows[[f"p_{label}" for label in record.labels]].to_numpy()
        assert ["|".join(record.prediction_set(p)) for p in calibrated] == rows["set"].tolist()
        assert record.synthetic and record.source == str(out)
        assert record.temperature == summary["models"][name]["audit"]["calibration"]["temperature"]
    age = predictions[predictions["model"] == "synthetic_age"]["set"].str.split("|")
    order = summary["models"]["synthetic_age"]["audit"]["labels"]
    assert all([order.index(a) for a in s] == list(range(order.index(s[0]), order.index(s[-1]) + 1)) for s in age)


def test_every_accuracy_carries_its_n_and_interval_and_skin_tone_is_recomputable(report):
    from models.calibration import wilson

    summary, out = report
    predictions = pd.read_csv(out / "predictions.csv")
    for name, rows in predictions.groupby("model"):
        audit = summary["models"][name]["audit"]
        correct = rows["true_label"] == rows["predicted_label"]
        for label, cell in audit["intervals"]["per_class"].items():
            own = correct[rows["true_label"] == label]
            assert cell["n"] == len(own) and cell["accuracy"] == pytest.approx(own.mean())
            assert (cell["low"], cell["high"]) == pytest.approx(wilson(int(own.sum()), len(own)))
        cells = correct.groupby(rows["race"] + " / " + rows["gender"] + " / " + rows["age"]).agg(["mean", "size"])
        assert {k: v["n"] for k, v in audit["intervals"]["race_x_gender_x_age"].items()} == cells["size"].to_dict()
        tones = correct.groupby(rows["skin_tone"]).agg(["mean", "size"])
        assert {k: (v["accuracy"], v["n"]) for k, v in audit["skin_tone"].items()} == {
            k: (pytest.approx(r["mean"]), r["size"]) for k, r in tones.iterrows()}
        small = [k for k, v in audit["intervals"]["race_x_gender"].items() if v["n"] < 30]
        assert audit["intervals"]["worst_group"] not in small
    page = (out / "report.html").read_text()
    assert "confidence you can check" in page and "not race" in page and "reliability" in page
