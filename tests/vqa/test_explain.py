"""Every heatmap's facts in the JSON: how exact IG is, how many evaluations it
made, and whether the map beats a random one; the defaults come from xai."""
import json

import keras
import numpy as np
import pytest

from vqa import ask
from vqa.explain import IG_BASELINE, METHOD_NAMES, HeatmapInfo, parse_methods
from xai.baselines import make_baseline
from xai.methods import METHOD_TITLES, canonical_method

FAITHFULNESS_KEYS = {"deletion_auc", "insertion_auc", "random_deletion_auc", "random_insertion_auc"}


def _logit(loaded, x, target):
    logits = keras.Model(loaded.keras_model.inputs[0], loaded.keras_model.get_layer("logits").output)
    return float(np.asarray(logits(x))[0, target])


def _assert_verdict_follows_the_aucs(faithfulness: dict):
    """The JSON's verdict is the one its own AUCs give: better than random on both
    curves (lower deletion, higher insertion), on one (partly) or on neither."""
    deletion, insertion = faithfulness["deletion_auc"], faithfulness["insertion_auc"]
    random_deletion, random_insertion = faithfulness["random_deletion_auc"], faithfulness["random_insertion_auc"]
    assert None not in (deletion, insertion, random_deletion, random_insertion)  # the tiny models' scores move
    beats = (deletion < random_deletion, insertion > random_insertion)
    assert faithfulness["better_than_random"] is all(beats)
    opening = ("Better than random" if all(beats) else "Only partly better than random" if any(beats)
               else "No better than a random map")
    assert faithfulness["verdict"].startswith(opening), faithfulness["verdict"]
    assert (f"(deletion AUC {deletion:.2f} vs {random_deletion:.2f} for a random map, "
            f"insertion {insertion:.2f} vs {random_insertion:.2f})") in faithfulness["verdict"]


def test_every_map_has_faithfulness_and_ig_its_exactness(tiny_registry, astronaut):
    result = ask(astronaut, "What race is she?", explain=METHOD_NAMES, registry=tiny_registry)
    data = json.loads(json.dumps(result.to_dict()))
    face = result.faces[0]
    for answer in face.answers:
        maps = data["faces"][0]["heatmaps"][answer.model]
        assert set(maps) == set(METHOD_NAMES)
        for method, info in maps.items():
            assert FAITHFULNESS_KEYS <= set(info["faithfulness"]), method
            _assert_verdict_follows_the_aucs(info["faithfulness"])
            assert info["target"] == answer.evidence
        ig = maps["ig"]
        # The default is adaptive: within 1%, or the budget spent and the delta said.
        assert ig["ig_delta"] <= 0.01 or ig["ig_evaluations"] == 256
        assert ig["ig_steps"] == ig["ig_evaluations"] >= 5  # adaptive: no separate forward passes
        assert "ig_delta" not in maps["gradcam"] and maps["gradcam"]["reused_from"] == "guided"
        # The default baseline is the blurred chip, in the model's input space.
        loaded = tiny_registry.get(answer.model)
        x = loaded.preprocess(face.chips[answer.model].pixels[None])
        target = list(loaded.card.labels).index(answer.evidence)
        assert IG_BASELINE == "blur"
        assert ig["baseline_score"] == pytest.approx(_logit(loaded, make_baseline("blur", x), target), abs=1e-4)
    assert face.timings["race-a"]["faithfulness"] > 0


def test_a_fixed_step_count_is_still_the_papers_riemann_sum(tiny_registry, astronaut):
    result = ask(astronaut, "gender?", explain=("ig",), registry=tiny_registry, ig_steps=16, ig_baseline="black")
    info = result.faces[0].heatmap_info["gender-a"]["ig"]
    assert isinstance(info, HeatmapInfo)
    assert info.ig_steps == 16 and info.ig_evaluations == 18  # 16 gradients + F(x) and F(x')
    assert info.to_dict()["ig_delta"] == info.ig_delta and info.to_dict()["ig_steps"] == 16  # the JSON's names


def test_one_spelling_for_each_method():
    assert METHOD_NAMES == ("gradcam", "guided", "ig")
    assert [METHOD_TITLES[m] for m in METHOD_NAMES] == ["Grad-CAM", "Guided Grad-CAM", "Integrated Gradients"]
    for old, new in [("guided_gradcam", "guided"), ("integrated_gradients", "ig"), ("Grad-CAM", "gradcam")]:
        assert canonical_method(old) == new
    with pytest.raises(ValueError, match="lime"):
        canonical_method("lime")
    assert parse_methods("integrated_gradients,guided_gradcam") == ("guided", "ig")


def test_faithfulness_can_be_left_out_for_a_quick_first_answer(tiny_registry, astronaut):
    quick = ask(astronaut, "gender?", explain=("gradcam",), registry=tiny_registry,
                checks=("stability", "regions"))
    full = ask(astronaut, "gender?", explain=("gradcam",), registry=tiny_registry)
    q, f = quick.faces[0], full.faces[0]
    assert "faithfulness" not in q.heatmap_info["gender-a"]["gradcam"].to_dict()
    assert f.heatmap_info["gender-a"]["gradcam"].faithfulness is not None
    np.testing.assert_array_equal(q.heatmaps["gender-a"]["gradcam"], f.heatmaps["gender-a"]["gradcam"])


def test_ig_exactness_is_its_own_verdict_against_the_tolerance():
    from vqa.explain import IG_TOLERANCE, Exactness, HeatmapInfo

    assert Exactness(IG_TOLERANCE).outcome == "exact"  # at the aim: exact
    assert Exactness(IG_TOLERANCE * 1.01).outcome == "approximate"
    assert Exactness(0.004, evaluations=37).text.startswith("Exact: ")
    assert "within 0.4%, after 37 evaluations of the model" in Exactness(0.004, evaluations=37).text
    rough = Exactness(0.79, steps=32)
    assert rough.text.startswith("Approximate: ") and "79.0%, with 32 steps (the aim is 1%)" in rough.text
    assert rough.brief.startswith("only approximate") and Exactness(0.0).brief == "exact"
    assert HeatmapInfo(layer="conv", score=1.0, seconds=0.0).exactness is None  # Grad-CAM has none
    ig = HeatmapInfo(layer=None, score=1.0, seconds=0.0, ig_delta=0.02, ig_steps=9, ig_evaluations=40)
    assert ig.exactness == Exactness(0.02, evaluations=40, steps=9) and ig.exactness.outcome == "approximate"
