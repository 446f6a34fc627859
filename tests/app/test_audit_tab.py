"""The Audit tab: the report training.evaluate wrote, read back; the lab's
localization and sanity tables; the build button's handler."""
import json
from pathlib import Path

from PIL import Image

from app.audit_tab import HOW_TO, REPORT_LAB, build_the_lab, read_report, report_dirs, report_folders, summary_markdown
from tests.app.helpers import audit_summary
from vqa import lab
from vqa.audit import AuditSummary, LocalizationScore, RandomizationCheck


def lab_summary() -> AuditSummary:
    summary = AuditSummary.from_dict(audit_summary())
    summary.localization = {
        "race-fair": {"gradcam": {"White": LocalizationScore(0.75, 1.0, 4),
                                  "Black": LocalizationScore(None, None, 4, 4)}},  # 4 of 4 maps blank
        "random": {"gradcam": {"White": LocalizationScore(0.2, 0.25, 4), "Black": LocalizationScore(0.21, 0.2, 4)}},
    }
    summary.randomization = {"race-fair": {"gradcam": RandomizationCheck(0.31, [0.3, 0.32], 1, 2),
                                           "ig": RandomizationCheck(None, [None], 1, 1)}}
    summary.figures["localization"] = "localization.png"
    return summary


def test_the_tab_shows_localization_beside_group_accuracy_and_the_sanity_check(tmp_path):
    from training.report import write_report

    write_report(tmp_path, lab_summary())
    Image.new("RGB", (5, 5)).save(tmp_path / "localization.png")
    text, figures = read_report(tmp_path)
    assert "| model | method | White | Black |" in text
    assert "| race-fair | Grad-CAM | 75.0% / 100.0% | n/a / n/a (4/4 blank) |" in text
    assert "| random floor | Grad-CAM | 20.0% / 25.0% | 21.0% / 20.0% |" in text
    assert "| race-fair | 0.31 (n=2) | n/a |" in text
    assert text.index("Fair vs census-biased") < text.index("point at the cue") < text.index("### race-fair")
    assert [c for _, c in figures] == ["do the heatmaps point at the cue? (grey: random floor)"]
    assert summary_markdown(lab_summary().to_dict()) == summary_markdown(lab_summary())


def test_the_build_button_reports_progress_and_the_lab(tmp_path, monkeypatch):
    heard = []

    def fake_build(progress=None, **kwargs):  # the real subprocess is tested in tests/vqa/lab/test_build.py
        progress(0.5, "training")
        return lab.Lab(tmp_path)

    monkeypatch.setattr(lab, "build_lab", fake_build)
    message, built = build_the_lab(lambda fraction, desc: heard.append((fraction, desc)))
    assert heard == [(0.5, "training")] and built == lab.Lab(tmp_path)
    assert "ready" in message and "SYNTHETIC" in message and REPORT_LAB in message
    assert str(tmp_path) not in message  # the page names the lab, not where the server keeps it


def test_a_failed_build_is_a_message(monkeypatch):
    def broken(**kwargs):
        raise lab.LabBuildError("building the bias lab failed (exit status 2): error: disk full")

    monkeypatch.setattr(lab, "build_lab", broken)
    message, built = build_the_lab()
    assert built is None and "could not be built" in message and "disk full" in message


def test_the_labs_report_is_offered_once_built(tmp_path, monkeypatch):
    from training.report import write_report

    monkeypatch.setenv("FACEXAI_CACHE", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert report_folders(None) == []
    report = Path(lab.lab().report)
    report.mkdir(parents=True)
    write_report(report, lab_summary())
    assert report_folders(None) == [str(report)]


def test_the_tab_shows_each_models_region_shares_and_their_landmarks(tmp_path):
    from PIL import Image

    from training.report import write_report
    from vqa.audit import LANDMARK_SOURCES

    summary = lab_summary()
    eyes = {"eyes": 0.6, "brows": 0.05, "nose": 0.05, "mouth": 0.2, "cheeks_jaw": 0.05, "forehead": 0.05,
            "hair": 0.0, "outside": 0.0}
    summary.regions = {"race-fair": {"gradcam": {"Black": eyes, "White": {**eyes, "eyes": 0.2, "outside": 0.4}}}}
    summary.region_landmarks = {"race-fair": {"synthetic": 7, "predictor": 1}}
    summary.models["race-fair"].figures["regions"] = "race-fair_regions.png"
    write_report(tmp_path, summary)
    Image.new("RGB", (5, 5)).save(tmp_path / "race-fair_regions.png")
    text, figures = read_report(tmp_path)
    assert "#### race-fair: where on the face" in text
    assert "| class | eyes | brows | nose | mouth | cheeks_jaw | forehead | hair | outside |" in text
    # Rows in the model's label order (White, Black), whatever order the shares were written in.
    assert text.index("| White | 20.0% |") < text.index("| Black | 60.0% | 5.0% | 5.0% | 20.0% |")
    assert f"7 of 8 images: {LANDMARK_SOURCES['synthetic']}" in text
    assert f"1 of 8 images: {LANDMARK_SOURCES['predictor']}" in text
    assert text.index("### race-fair") < text.index("where on the face")
    assert "race-fair: where on the face (mean region shares per class)" in [c for _, c in figures]
    page = (tmp_path / "report.html").read_text()
    assert "race-fair: where on the face" in page and "7 of 8 images" in page and "race-fair_regions.png" in page


def test_a_summary_without_regions_shows_no_region_table():
    assert "where on the face" not in summary_markdown(lab_summary())


def confident_summary() -> AuditSummary:
    """lab_summary's race-fair model with its confidence parts computed by training.confidence
    from 90 faces: 40 White men (36 right), 40 Black women (22 right), 10 Black men (too few to rank)."""
    import numpy as np
    import pandas as pd

    from training.confidence import confidence, fit_eval_split, intervals
    from vqa.audit import Proportion

    summary = lab_summary()
    y = np.repeat([0, 1, 1], [40, 40, 10])
    right = np.concatenate([np.arange(40) < 36, np.arange(40) < 22, np.arange(10) < 5])
    predicted = np.where(right, y, 1 - y)
    probs = np.full((90, 2), 0.05)
    probs[np.arange(90), predicted] = 0.95
    table = pd.DataFrame({"race": np.array(["White", "Black"])[y], "age": "20-29",
                          "gender": ["Male"] * 40 + ["Female"] * 40 + ["Male"] * 10})
    checked = confidence("race-fair", "race", ("White", "Black"), probs, y, fit_eval_split(y))
    audit = summary.models["race-fair"].audit
    audit.calibration, audit.conformal = checked.calibration, checked.conformal
    audit.intervals = intervals(right, y, ("White", "Black"), table)
    audit.skin_tone = {"light": Proportion(0.8, 0.6, 0.9, 40), "dark": Proportion(0.5, 0.2, 0.8, 8)}
    summary.models["race-fair"].figures["reliability"] = "race-fair_reliability.png"
    return summary


def test_the_tab_shows_calibration_sets_intervals_and_skin_tone(tmp_path):
    from PIL import Image

    from training.report import write_report
    from vqa.audit import SKIN_TONE_NOTE, interval_text

    summary = confident_summary()
    audit = summary.models["race-fair"].audit
    write_report(tmp_path, summary)
    Image.new("RGB", (5, 5)).save(tmp_path / "race-fair_reliability.png")
    text, figures = read_report(tmp_path)
    assert "#### race-fair: confidence you can check" in text
    assert f"**Temperature T = {audit.calibration.temperature:.2f}** (fitted on 45 faces)" in text
    assert "| class | accuracy [95% interval] | n | ECE before | ECE after | set coverage | mean set size |" in text
    assert f"| White | {interval_text(audit.intervals.per_class['White'])} | 40 |" in text
    # When it said White, on the eval half (the faces nothing was fitted on): counted here from the split.
    import numpy as np

    from training.confidence import fit_eval_split

    y = np.repeat([0, 1, 1], [40, 40, 10])
    right = np.concatenate([np.arange(40) < 36, np.arange(40) < 22, np.arange(10) < 5])
    said_white = ~fit_eval_split(y) & (np.where(right, y, 1 - y) == 0)
    count, n = int((said_white & (y == 0)).sum()), int(said_white.sum())
    assert (audit.calibration.when_said["White"].count, audit.calibration.when_said["White"].n) == (count, n)
    assert f"| White | {count} of {n} | {interval_text(audit.calibration.when_said['White'])} |" in text
    assert "worst **Black / Female**" in text and "best White / Male" in text
    assert "*Black / Male*" in text and "*10 (under 30)*" in text  # greyed, and not the worst group
    assert SKIN_TONE_NOTE in text and "*8 (under 30)*" in text
    assert "race-fair: reliability before and after temperature scaling" in [c for _, c in figures]
    page = (tmp_path / "report.html").read_text()
    assert "<tr class=small><td>Black / Male</td>" in page and "confidence you can check" in page


def test_a_summary_written_before_the_confidence_parts_still_shows_its_accuracies():
    text = summary_markdown(lab_summary())
    assert "| class | accuracy |" in text and "| White | 90.0% |" in text and "confidence you can check" not in text


def test_audit_shows_what_training_evaluate_wrote(tmp_path):
    from training.report import write_report

    audit = tmp_path / "audit"
    audit.mkdir()
    write_report(audit, audit_summary())  # the training room's own writer: same files, same names
    Image.new("RGB", (8, 6), (255, 0, 0)).save(audit / "race-fair_confusion.png")
    Image.new("RGB", (4, 4), (0, 255, 0)).save(audit / "fair_vs_biased.png")
    assert report_dirs(tmp_path) == [audit]
    text, figures = read_report(audit)
    assert "| Black | 60.0% | 30.0% | 30.0% |" in text  # fair vs biased, per race
    assert "worst race × gender group **Black / Female** at 60.0%" in text
    assert "| White | 90.0% |" in text
    assert "Synthetic" in text  # never shown as real-world numbers
    assert [caption for _, caption in figures] == ["fair vs biased accuracy per race", "race-fair: confusion matrix"]
    assert figures[1][0].size == (8, 6)


def test_audit_figures_never_leave_the_report_folder(tmp_path):
    summary = audit_summary(synthetic=False)
    summary["figures"]["fair_vs_biased"] = "../../etc/secret.png"  # a tampered summary
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    text, figures = read_report(tmp_path)
    assert "Synthetic" not in text
    assert figures == []  # neither file is in the folder


def test_an_absent_or_broken_audit_explains_itself(tmp_path):
    text, figures = read_report(tmp_path)
    assert text == HOW_TO.format(where=tmp_path) and "training.evaluate" in text and figures == []
    (tmp_path / "summary.json").write_text("{not json")
    text, figures = read_report(tmp_path)
    assert "could not be read" in text and figures == []


def test_audit_offers_only_folders_the_app_was_pointed_at(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no out/audit or audit here
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "summary.json").write_text(json.dumps(audit_summary()))  # a real report, in the wrong place
    assert read_report(elsewhere)[0] != HOW_TO.format(where=elsewhere)  # it would be read if offered
    assert report_dirs(None) == []
    assert report_dirs(tmp_path / "models") == []
    (tmp_path / "models").mkdir()
    assert report_dirs(tmp_path / "models") == []  # a sibling of the models folder is not offered either
