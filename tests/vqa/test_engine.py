"""vqa.Engine over real (tiny, random) models: loading on first use, re-scan,
warm-up, staged answers, and comparisons with their agreement."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.vqa.conftest import build_tiny
from vqa import Engine
from vqa.engine import HOW_TO_ADD_RACE_MODELS


@pytest.fixture
def folder(tmp_path, tiny_dir):
    """A copy of the tiny models, so a test may add or break files."""
    copy = tmp_path / "models"
    shutil.copytree(tiny_dir, copy)
    return copy


def test_the_engine_loads_on_first_use_and_lists_what_it_can_answer(folder):
    engine = Engine(folder, include_cache=False)
    assert engine._registry is None  # nothing read yet
    assert set(engine.attributes()) == {"race", "gender", "age"}
    assert sorted(card.name for card in engine.cards()) == ["age-a", "gender-a", "race-a", "race-b"]
    assert engine.problems == [] and engine.models_dir == folder


def test_reload_finds_a_model_built_after_start_up_and_reports_a_broken_one(folder):
    engine = Engine(folder, include_cache=False)
    assert [m.name for m in engine.registry.for_attribute("age")] == ["age-a"]
    build_tiny(folder, "age-b", "age", "unit", seed=7)  # as training would, while the engine runs
    (folder / "broken.keras").write_bytes(b"not a zip")
    assert [m.name for m in engine.registry.for_attribute("age")] == ["age-a"]  # until re-scanned
    handle = engine.registry.get("race-a")
    engine.reload()
    assert sorted(m.name for m in engine.registry.for_attribute("age")) == ["age-a", "age-b"]
    assert any("broken.keras" in problem for problem in engine.problems)
    assert engine.registry.get("race-a") is handle  # unchanged: not loaded again
    build_tiny(folder, "race-a", "race", "unit", seed=8)  # retrained in place
    engine.reload()
    assert engine.registry.get("race-a") is not handle


def test_warm_up_calls_every_model_once_and_says_so(folder):
    messages = []
    engine = Engine(folder, include_cache=False, progress=messages.append)
    engine.warm()
    assert all(model.is_loaded for model in engine.registry)
    assert messages[-1].startswith("  models loaded")


def test_ask_stages_gives_the_answer_with_grad_cam_first_then_everything(folder, astronaut):
    engine = Engine(folder, include_cache=False)
    first, full = engine.ask_stages(astronaut, "What is this person's race?", explain=("gradcam", "ig"))
    assert [a.model for a in first.answers] == [a.model for a in full.answers] == ["race-a", "race-b"]
    assert [a.probabilities for a in first.answers] == [a.probabilities for a in full.answers]
    for model in ("race-a", "race-b"):
        assert set(first.faces[0].heatmaps[model]) == {"gradcam"}
        assert set(full.faces[0].heatmaps[model]) == {"gradcam", "ig"}
        np.testing.assert_allclose(first.faces[0].heatmaps[model]["gradcam"], full.faces[0].heatmaps[model]["gradcam"],
                                   atol=1e-5)  # the same map, not a cheaper one
    assert all(a.stability is None for a in first.answers) and not first.faces[0].regions  # no checks: quick
    assert all(a.stability is not None for a in full.answers) and full.faces[0].regions
    only, = engine.ask_stages(astronaut, "What is this person's race?", explain=("gradcam",), checks=())
    assert set(only.faces[0].heatmaps["race-a"]) == {"gradcam"}
    quick, checked = engine.ask_stages(astronaut, "What is this person's race?", explain=("gradcam",))
    assert quick.answers[0].stability is None and checked.answers[0].stability is not None


def test_compare_says_whether_the_models_agree(folder, astronaut):
    comparison = Engine(folder, include_cache=False).compare(astronaut, "race", explain=())
    assert comparison.models == ["race-a", "race-b"] and not comparison.single_model
    said = {m: a.answer for a in comparison.face.answers for m in [a.model]}
    assert comparison.agreement.agree == (said["race-a"] == said["race-b"])  # FairFace labels on both
    assert sorted(m for models in comparison.agreement.groups.values() for m in models) == ["race-a", "race-b"]


def test_compare_with_one_model_says_how_to_add_the_second(folder, astronaut):
    for suffix in (".keras", ".json"):
        (folder / f"race-b{suffix}").unlink()
    comparison = Engine(folder, include_cache=False).compare(astronaut, "race", explain=())
    assert comparison.single_model and comparison.how_to_add() == HOW_TO_ADD_RACE_MODELS
    assert "python -m training.demo" in HOW_TO_ADD_RACE_MODELS and "python -m training.train" in HOW_TO_ADD_RACE_MODELS
    with pytest.raises(ValueError, match="choose one of race, gender, age"):
        Engine(folder, include_cache=False).compare(astronaut, "religion")
