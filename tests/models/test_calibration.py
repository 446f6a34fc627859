"""models.calibration: intervals against published tables, temperature scaling recovering a
known temperature, conformal sets against crepes and their coverage on a classifier whose
probabilities are the truth, and the Calibration record read back from a summary."""
from __future__ import annotations

import numpy as np
import pytest

from models.audit_summary import (
    AuditSummary,
    CalibrationAudit,
    ClassCalibration,
    ClassCoverage,
    ConformalAudit,
    ModelAudit,
    ModelEntry,
)
from models.calibration import (
    Calibration,
    CalibrationError,
    conformal_qhat,
    difference_interval,
    expected_calibration_error,
    fit_temperature,
    load_calibrations,
    proportion,
    set_masks,
    temperature_scale,
    wilson,
)
from models.labels import FAIRFACE_AGE


# Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (Wilson's score interval).
@pytest.mark.parametrize("successes, n, low, high", [
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
    (0, 10, 0.0, 0.2775),
])
def test_wilson_matches_newcombes_table(successes, n, low, high):
    assert wilson(successes, n) == pytest.approx((low, high), abs=5e-5)


# Newcombe (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17:873-890, Table II, method 10.
@pytest.mark.parametrize("a, b, low, high", [
    ((56, 70), (48, 80), 0.0524, 0.3339), ((9, 10), (3, 10), 0.1705, 0.8090),
    ((6, 7), (2, 7), 0.0582, 0.8062), ((5, 56), (0, 29), -0.0381, 0.1926),
])
def test_the_gap_interval_matches_newcombes_hybrid_score_table(a, b, low, high):
    assert difference_interval(proportion(*a), proportion(*b)) == pytest.approx((low, high), abs=5e-5)


def test_a_proportion_of_no_faces_has_no_value():
    assert proportion(0, 0).accuracy is None and proportion(0, 0).n == 0
    assert wilson(0, 0) == (0.0, 1.0)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _known_classifier(n: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logits, true probabilities, labels drawn from them): a classifier calibrated by construction."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 2.0, size=(n, classes))
    probs = _softmax(logits)
    y = (probs.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return logits, probs, y


@pytest.mark.parametrize("factor", [0.5, 3.0])
def test_temperature_scaling_recovers_the_factor_the_logits_were_scaled_by(factor):
    logits, _, y = _known_classifier(20000, 5, seed=1)
    overconfident = _softmax(logits * factor)  # the true probabilities are softmax(logits)
    assert fit_temperature(overconfident, y) == pytest.approx(factor, rel=0.05)
    assert np.allclose(temperature_scale(overconfident, factor), _softmax(logits), atol=1e-9)


def test_temperature_scaling_keeps_the_order_of_the_labels():
    probs = _known_classifier(100, 4, seed=2)[1]
    for t in (0.1, 1.0, 7.0):
        assert (temperature_scale(probs, t).argmax(1) == probs.argmax(1)).all()


def _ece_by_hand(confidence, correct, bins=15):
    """Guo et al.'s ECE, written out with a loop over the bins (an independent implementation)."""
    total = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(c, r) for c, r in zip(confidence, correct) if low < c <= high]
        if inside:
            accuracy = sum(r for _, r in inside) / len(inside)
            said = sum(c for c, _ in inside) / len(inside)
            total += len(inside) * abs(accuracy - said)
    return total / len(confidence)


def test_ece_is_zero_for_a_calibrated_bin_and_matches_a_hand_count():
    assert expected_calibration_error([0.9] * 10, [1] * 9 + [0]) == pytest.approx(0.0, abs=1e-12)
    # Two bins: 0.95 said, 2 of 4 right (gap 0.45); 0.35 said, 1 of 2 right (gap 0.15): (4 * 0.45 + 2 * 0.15) / 6.
    assert expected_calibration_error([0.95] * 4 + [0.35] * 2, [1, 1, 0, 0, 1, 0]) == pytest.approx(2.1 / 6)
    rng = np.random.default_rng(3)
    confidence, correct = rng.uniform(0.2, 1.0, 500), rng.random(500) < 0.6
    assert expected_calibration_error(confidence, correct) == pytest.approx(_ece_by_hand(confidence, correct))
    assert expected_calibration_error([], []) is None


def test_conformal_sets_are_crepes_class_conditional_sets():
    from crepes import ConformalClassifier

    for n, seed in ((50, 0), (137, 1), (400, 2)):  # 50: one class has too few faces and is always in
        _, probs, y = _known_classifier(n, 4, seed)
        test = _known_classifier(300, 4, seed + 10)[1]
        reference = ConformalClassifier().fit(1 - probs[np.arange(n), y], bins=y)
        theirs = np.array([reference.predict_set(1 - test, np.full(len(test), c), confidence=0.9, smoothing=False)[:, c]
                           for c in range(4)]).T.astype(bool)
        ours = (1 - test) <= conformal_qhat(probs, y, 4, alpha=0.1)[None, :]
        assert (ours == theirs).all()


@pytest.mark.parametrize("seed", range(5))
def test_conformal_coverage_holds_per_class_on_a_classifier_with_known_probabilities(seed):
    _, probs, y = _known_classifier(8000, 5, seed)
    fit = np.arange(len(y)) < 4000
    qhat = conformal_qhat(probs[fit], y[fit], 5, alpha=0.1)
    sets = set_masks(probs[~fit], qhat)
    covered = sets[np.arange((~fit).sum()), y[~fit]]
    assert covered.mean() >= 0.9 - 0.02
    for c in range(5):
        assert covered[y[~fit] == c].mean() >= 0.9 - 0.04  # about 800 faces a class: 3 standard errors


def test_sets_are_never_empty_and_age_sets_are_contiguous():
    probs = np.array([[0.5, 0.1, 0.4], [0.3, 0.3, 0.4]])
    qhat = np.array([0.55, 0.0, 0.65])  # the middle label needs p = 1 to join
    assert set_masks(probs, qhat).tolist() == [[True, False, True], [False, False, True]]
    assert set_masks(probs, qhat, ordinal=True).tolist() == [[True, True, True], [False, False, True]]
    nothing = set_masks(np.array([[0.2, 0.5, 0.3]]), np.zeros(3))
    assert nothing.tolist() == [[False, True, False]]  # no label passes: the top one


def _age_entry() -> ModelEntry:
    labels = list(FAIRFACE_AGE)
    audit = ModelAudit(
        attribute="age", labels=labels, accuracy=0.5, per_class_accuracy={}, race_x_gender_accuracy={},
        race_x_gender_sizes={}, worst_group="", worst_group_accuracy=0.0, best_minus_worst_group=0.0,
        confusion_matrix=[], val_images=10,
        calibration=CalibrationAudit(temperature=2.0, fit_images=5, eval_images=5, ece_before=0.2, ece_after=0.1,
                                     per_class={c: ClassCalibration(0.2, 0.1, 1) for c in labels},
                                     when_said={"20-29": proportion(3, 4)}),
        conformal=ConformalAudit(alpha=0.1, coverage=0.9, mean_set_size=2.0,
                                 per_class={c: ClassCoverage(0.9, 2.0, 1, 0.8) for c in labels}))
    return ModelEntry(card={"name": "dlib-age", "labels": [str(a) for a in range(81)], "synthetic": False},
                      audit=audit)


def test_a_calibration_is_read_back_from_a_summary_and_applied_to_single_years(tmp_path):
    AuditSummary(data="d", synthetic=False, val_images=10, models={"dlib-age": _age_entry()}).save(tmp_path)
    record = load_calibrations(tmp_path)["dlib-age"]
    assert record.labels == FAIRFACE_AGE and record.temperature == 2.0 and record.single_years
    assert record.source == str(tmp_path) and record.fit_images == 5
    assert (record.when_said["20-29"].count, record.when_said["20-29"].n) == (3, 4)  # "right 3 of 4 times"
    years = np.zeros(81)
    years[[22, 25, 43]] = [0.5, 0.2, 0.3]  # 70% in 20-29, 30% in 40-49
    calibrated = record.calibrate(years)
    groups = np.array([0.7, 0.3])
    expected = groups ** 0.5 / (groups ** 0.5).sum()  # T = 2 on the summed groups
    assert calibrated[[3, 5]] == pytest.approx(expected, abs=1e-6) and calibrated.sum() == pytest.approx(1.0)
    # Both groups pass (1 - p <= 0.8); the set is the range between them.
    assert record.prediction_set(calibrated) == ("20-29", "30-39", "40-49")
    with pytest.raises(CalibrationError, match="calibrated probabilities"):
        record.prediction_set(calibrated[:3])


def test_a_summary_without_calibration_gives_no_records(tmp_path):
    entry = _age_entry()
    entry.audit.calibration = None
    AuditSummary(data="d", synthetic=False, val_images=10, models={"dlib-age": entry}).save(tmp_path)
    assert load_calibrations(tmp_path) == {}
    record = Calibration("m", "race", ("A", "B"), 1.0, (0.5, 0.5))
    with pytest.raises(CalibrationError, match="2 labels"):
        record.calibrate(np.ones(3) / 3)
