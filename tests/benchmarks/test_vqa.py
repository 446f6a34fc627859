"""benchmarks.vqa's rows and table (timings themselves are printed, never asserted)."""
from benchmarks import vqa as bench
from models.registry import Registry
from xai.defaults import IG_BASELINES


def test_a_row_times_ask_with_and_without_heatmaps(tiny_registry, astronaut, capsys):
    row = bench.ask_row(tiny_registry, "age-a", astronaut, repeats=1, group="small")
    assert row["ask_s"] > 0 and row["ask_explained_s"] > 0
    assert row["ratio"] == row["ask_explained_s"] / row["ask_s"]
    assert row["within_target"] == (row["ask_explained_s"] <= bench.TARGET_S["small"])
    assert set(row["stages_s"]) == {"detect", "align", "predict", "gradcam", "guided", "ig", "faithfulness",
                                    "stability", "occlusion", "regions"}
    assert row["faithfulness_share"] == row["stages_s"]["faithfulness"] / row["ask_explained_s"]
    assert row["ig_evaluations"] >= 5 and 0 <= row["ig_delta"]
    assert row["stages_s"]["gradcam"] == 0.0  # reused from Guided Grad-CAM, not computed twice
    big = dict(row, model="big", group="resnet50", ask_explained_s=row["ask_explained_s"] * 4)
    bench.print_table([big, row])
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["model", "input"]
    assert out[-1] == "big / age-a (explained): 4.0x"


def test_ig_adaptive_and_baseline_tables_on_a_tiny_model(tiny_registry, astronaut, capsys):
    only = Registry(models=[tiny_registry.get("age-a")])
    variants = {"astronaut": astronaut, "flip": astronaut[:, ::-1].copy()}
    rows = bench.ig_adaptive_rows(only, variants)
    assert [(r["model"], r["photo"]) for r in rows] == [("age-a", "astronaut"), ("age-a", "flip")]
    for r in rows:
        assert 5 <= r["evaluations"] <= 256
        assert r["delta"] <= 0.01 or r["evaluations"] == 256  # the tolerance, or the budget spent
    bench.print_ig_adaptive(rows)
    assert "median" in capsys.readouterr().out.splitlines()[-1]
    shares = bench.baseline_rows(only)
    expected = {(p, b) for p in ("astronaut", "dark") for b in IG_BASELINES}
    assert {(r["photo"], r["baseline"]) for r in shares} == expected
    assert all(0 <= r["face_share"] <= 1 and 0 < r["face_area"] < 1 for r in shares)


def test_faithfulness_table_on_a_tiny_model(tiny_registry, astronaut, capsys):
    only = Registry(models=[tiny_registry.get("gender-a")])
    rows = bench.faithfulness_rows(only, {"astronaut": astronaut})
    assert [r["method"] for r in rows] == ["gradcam", "guided", "ig"]
    assert all({"deletion_auc", "random_deletion_auc", "better_than_random"} <= set(r) for r in rows)
    bench.print_faithfulness(rows)
    assert capsys.readouterr().out.splitlines()[-1].startswith("ig: better than random")
