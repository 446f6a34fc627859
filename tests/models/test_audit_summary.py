"""models.audit_summary: the one schema of summary.json."""
import json
import math

import pytest

from models.audit_summary import AuditSummary, LocalizationScore, SummaryError


def minimal() -> dict:
    audit = {"attribute": "gender", "labels": ["Male", "Female"], "accuracy": 0.5,
             "per_class_accuracy": {"Male": 1.0, "Female": 0.0}, "race_x_gender_accuracy": {"White / Male": 1.0},
             "race_x_gender_sizes": {"White / Male": 1}, "worst_group": "White / Male", "worst_group_accuracy": 1.0,
             "best_minus_worst_group": 0.0, "confusion_matrix": [[1, 0], [1, 0]], "val_images": 2}
    return {"data": "d", "synthetic": True, "val_images": 2,
            "models": {"g": {"card": {"name": "g"}, "audit": audit, "figures": {}}}, "figures": {}}


def test_round_trip_keeps_every_field_and_omits_an_absent_comparison(tmp_path):
    data = minimal()
    summary = AuditSummary.from_dict(data)
    out = summary.to_dict()
    assert "comparison" not in out
    assert {k: out[k] for k in data} == data
    assert out["localization"] == {} and out["randomization"] == {}
    summary.save(tmp_path)
    assert AuditSummary.load(tmp_path) == summary == AuditSummary.load(tmp_path / "summary.json")


def test_nan_is_written_as_null_and_unknown_keys_are_ignored(tmp_path):
    summary = AuditSummary.from_dict({**minimal(), "from_a_newer_writer": 1})
    summary.localization = {"g": {"ig": {"Male": LocalizationScore(math.nan, 0.5, 3, 1)}}}
    summary.save(tmp_path)
    text = (tmp_path / "summary.json").read_text()
    assert "NaN" not in text and "from_a_newer_writer" not in text
    assert json.loads(text)["localization"]["g"]["ig"]["Male"] == {"mass_accuracy": None, "pointing_game": 0.5,
                                                                   "images": 3, "empty_maps": 1}


@pytest.mark.parametrize("broken", [{}, {"data": "d", "synthetic": True, "val_images": 1, "models": {"g": {}}},
                                    {**minimal(), "val_images": "many"}, []])
def test_a_malformed_summary_is_a_summary_error(broken):
    with pytest.raises(SummaryError, match="not an audit summary"):
        AuditSummary.from_dict(broken)


def test_a_file_that_is_not_json_is_a_summary_error(tmp_path):
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(SummaryError, match="is not JSON"):
        AuditSummary.load(tmp_path)


def test_region_shares_and_their_landmark_sources_round_trip(tmp_path):
    shares = {"eyes": 0.5, "brows": 0.0, "nose": 0.1, "mouth": 0.3, "cheeks_jaw": 0.05, "forehead": 0.05,
              "hair": 0.0, "outside": 0.0}
    data = {**minimal(), "regions": {"g": {"gradcam": {"Male": shares}, "ig": {"Female": shares}}},
            "region_landmarks": {"g": {"synthetic": 12, "predictor": 1}}}
    summary = AuditSummary.from_dict(data)
    assert summary.regions["g"]["gradcam"]["Male"] == shares
    assert summary.region_landmarks == {"g": {"synthetic": 12, "predictor": 1}}
    summary.save(tmp_path)
    loaded = AuditSummary.load(tmp_path)
    assert loaded == summary and loaded.to_dict()["regions"] == data["regions"]
    assert list(loaded.regions["g"]["gradcam"]["Male"]) == list(shares)  # the region order survives
    assert AuditSummary.from_dict(minimal()).regions == {}  # a summary written before regions still reads


def test_malformed_region_shares_are_a_summary_error():
    with pytest.raises(SummaryError):
        AuditSummary.from_dict({**minimal(), "regions": {"g": {"gradcam": {"Male": {"eyes": "most"}}}}})


def test_every_landmark_source_is_said_in_words():
    from models.audit_summary import LANDMARK_SOURCES

    assert set(LANDMARK_SOURCES) == {"predictor", "synthetic", "template"}
    assert all(len(text.split()) > 8 for text in LANDMARK_SOURCES.values())
