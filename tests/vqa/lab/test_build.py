"""vqa.lab: the app's way to the bias lab, through a real `python -m training.demo` subprocess
(vqa/lab/driver.py), and what it reads back (vqa/lab/folders.py)."""
import pytest

import training.demo
from models.labels import FAIRFACE_RACE
from models.registry import load_registry
from vqa import lab


def test_the_lab_speaks_the_demos_names():
    assert (lab.FAIR_MODEL, lab.BIASED_MODEL) == (training.demo.FAIR, training.demo.BIASED)
    paths, built = training.demo.LabPaths(lab.lab_dir()), lab.lab()
    assert (built.data, built.models, built.report) == (paths.data, paths.models, paths.report)


def test_progress_lines_round_trip(capsys):
    training.demo.print_progress(0.25, "fair", "epoch 1/10", models="/x")
    event = lab.parse_progress(capsys.readouterr().out)
    assert event == lab.LabProgress(0.25, "fair", "epoch 1/10", {"models": "/x"})
    assert lab.parse_progress("Epoch 1/10") is None and lab.parse_progress("lab: {broken") is None


@pytest.fixture(scope="module")
def built(reduced_lab):
    """The session's reduced lab (tests/conftest.py), built once for tests/vqa and tests/app."""
    _, result, heard = reduced_lab
    return result, heard


def test_build_lab_runs_the_demo_and_reports_its_progress(built):
    result, heard = built
    assert result.ready
    fractions = [f for f, _ in heard]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(heard) >= 5
    assert any("epoch 1/1" in message for _, message in heard)
    race = load_registry(result.models, include_cache=False).for_attribute("race")
    assert {m.name for m in race} == {lab.FAIR_MODEL, lab.BIASED_MODEL} and all(m.card.synthetic for m in race)


def test_the_gallery_holds_held_out_images_of_each_race(built):
    result, _ = built
    images = lab.gallery(2, root=result.root)
    assert [g.race for g in images] == [race for race in FAIRFACE_RACE for _ in range(2)]
    assert all(g.path.is_file() and g.path.parent.name == "test" for g in images)
    assert lab.gallery(2, root=result.root / "nowhere") == []


def test_class_accuracy_is_each_models_per_race_accuracy_from_the_audit(built):
    """Each race's accuracy, recomputed from the audit's own predictions.csv (one row per
    model and val image): the confusion matrix's diagonal over its row sums (sklearn)."""
    import pandas as pd
    from sklearn.metrics import confusion_matrix

    from training.evaluate import PREDICTIONS

    result, _ = built
    accuracy = lab.class_accuracy(result.root)
    predictions = pd.read_csv(result.report / PREDICTIONS)
    assert set(accuracy) == {lab.FAIR_MODEL, lab.BIASED_MODEL} == set(predictions["model"])
    for name, per_class in accuracy.items():
        rows = predictions[predictions["model"] == name]
        matrix = confusion_matrix(rows["true_label"], rows["predicted_label"], labels=list(FAIRFACE_RACE))
        assert (matrix.sum(axis=1) > 0).all()  # every race has val images
        expected = dict(zip(FAIRFACE_RACE, (matrix.diagonal() / matrix.sum(axis=1)).tolist(), strict=True))
        assert per_class == pytest.approx(expected, abs=1e-9), name
    assert lab.class_accuracy(result.root / "nowhere") == {} and lab.summary(result.root / "nowhere") is None


def test_a_failed_build_is_one_readable_error(tmp_path):
    with pytest.raises(lab.LabBuildError, match="need n >= 14"):
        lab.build_lab(root=tmp_path, args=("--n", "3"), timeout=300)
