"""The bias lab (python -m training.demo), reduced to a few images and one epoch."""
import json

import pytest

import training.demo
from models.audit_summary import AuditSummary
from models.registry import load_registry
from tests.helpers import TINY_LAB_ARGS
from training.demo import BIASED, FAIR, PROGRESS_PREFIX, LabSettings, main, run_lab

TINY = LabSettings(n=168, size=32, test=14, epochs=1, per_class=2, ig_steps=4, sanity_images=7)


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def interrupted_then_finished(tmp_path_factory):
    """A lab killed right after the fair model was trained, then run again to the end."""
    out = tmp_path_factory.mktemp("lab")
    real_model = training.demo._model
    lines = []

    def stop_before_biased(paths, settings, biased, progress):
        if biased:
            raise Interrupted
        return real_model(paths, settings, biased, progress)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training.demo, "_model", stop_before_biased)
        with pytest.raises(Interrupted):
            run_lab(out, TINY, progress=lambda *a, **k: None)
    after_kill = sorted(p.name for p in (out / "models").glob("*.keras"))
    fair_mtime = (out / "models" / f"{FAIR}.keras").stat().st_mtime_ns
    paths = run_lab(out, TINY, progress=lambda fraction, step, message, **extra: lines.append((step, message)))
    return out, paths, after_kill, fair_mtime, lines


def test_an_interrupted_lab_run_again_ends_with_both_models_and_one_report(interrupted_then_finished):
    out, paths, after_kill, fair_mtime, lines = interrupted_then_finished
    assert after_kill == [f"{FAIR}.keras"]  # the kill came before the biased model existed
    assert sorted(p.name for p in paths.models.glob("*.keras")) == [f"{FAIR}.keras", f"{BIASED}.keras"]
    assert (paths.models / f"{FAIR}.keras").stat().st_mtime_ns == fair_mtime  # reused, not retrained
    assert ("fair", f"reusing the fair (balanced) race model {FAIR}") in lines
    assert [p.name for p in out.rglob("summary.json")] == ["summary.json"]  # one report
    assert not list(out.glob(".partial*"))
    summary = AuditSummary.load(paths.report)
    assert set(summary.models) == {FAIR, BIASED} and summary.synthetic
    assert set(summary.localization) == {FAIR, BIASED, "random"}
    assert set(summary.randomization) == {FAIR, BIASED}
    assert (paths.report / "report.html").is_file() and (paths.report / "predictions.csv").is_file()


def test_the_registry_lists_a_fair_and_a_biased_synthetic_race_model(interrupted_then_finished):
    paths = interrupted_then_finished[1]
    registry = load_registry(paths.models, include_cache=False)
    race = registry.for_attribute("race")
    assert {m.name for m in race} == {FAIR, BIASED} and registry.problems == []
    assert all(m.card.synthetic for m in race)
    assert [m.card.extra["biased"] for m in race] == [False, True]


def test_a_second_run_reuses_everything_and_prints_progress(interrupted_then_finished, capsys):
    out, paths, *_ = interrupted_then_finished
    before = {p: p.stat().st_mtime_ns for p in [*paths.models.glob("*.keras"), paths.report / "summary.json"]}
    main(["--out", str(out), "--time", *TINY_LAB_ARGS])
    printed = capsys.readouterr().out.splitlines()
    progress = [json.loads(line[len(PROGRESS_PREFIX):]) for line in printed if line.startswith(PROGRESS_PREFIX)]
    assert [p["step"] for p in progress] == ["data", "fair", "biased", "audit", "done"]
    assert all("reusing" in p["message"] for p in progress[:-1])
    assert progress[-1]["fraction"] == 1.0 and progress[-1]["models"] == str(paths.models)
    assert any(line.startswith("total") for line in printed)  # the --time table
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_other_settings_start_the_lab_clean(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "stale.keras").write_text("from an older lab")
    (tmp_path / "lab.json").write_text(json.dumps({"settings": {"n": 1}}))
    (tmp_path / ".partial-audit").mkdir()  # a killed run's half-written report
    real_model = training.demo._model

    def stop(*args, **kwargs):
        raise Interrupted

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training.demo, "_model", stop)
        with pytest.raises(Interrupted):
            run_lab(tmp_path, TINY, progress=lambda *a, **k: None)
    assert training.demo._model is real_model
    assert not (tmp_path / "models").exists() and not (tmp_path / ".partial-audit").exists()
    assert json.loads((tmp_path / "lab.json").read_text())["settings"]["n"] == TINY.n
    assert (tmp_path / "data" / "masks" / "test.npz").is_file()


def test_a_model_is_published_whole_or_not_at_all(tmp_path, monkeypatch):
    import keras

    from models.cards import ModelCard
    from training.train import publish

    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    card = ModelCard(name="m", attribute="gender", labels=("Male", "Female"), synthetic=True)

    def killed(self, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(ModelCard, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        publish(model, card, tmp_path)
    assert not list(tmp_path.glob("*.keras")) and not list(tmp_path.glob("*.json"))
    monkeypatch.undo()
    publish(model, card, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["m.json", "m.keras"]


# Trains the bias lab's models: not in the fast loop (pytest -m "not slow").
pytestmark = pytest.mark.slow
