"""The audit report: numbers match a direct computation, fair vs biased shows the bias."""
import json

import numpy as np
import pandas as pd
import pytest

from training.class_heatmaps import correct_indices
from training.evaluate import NoModelsError, evaluate
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
