"""The benchmark's rows and table (timings themselves are printed, never asserted)."""
from vqa import bench


def test_a_row_times_ask_with_and_without_heatmaps(tiny_registry, astronaut, capsys):
    row = bench._row(tiny_registry, "age-a", astronaut, repeats=1, group="small")
    assert row["ask_s"] > 0 and row["ask_explained_s"] > 0
    assert row["ratio"] == row["ask_explained_s"] / row["ask_s"]
    assert row["within_target"] == (row["ask_explained_s"] <= bench.TARGET_S["small"])
    assert set(row["stages_s"]) == {"detect", "align", "predict", "gradcam", "guided", "ig", "stability", "occlusion",
                                    "regions"}
    assert row["stages_s"]["gradcam"] == 0.0  # reused from Guided Grad-CAM, not computed twice
    big = dict(row, model="big", group="resnet50", ask_explained_s=row["ask_explained_s"] * 4)
    bench.print_table([big, row])
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["model", "input"]
    assert out[-1] == "big / age-a (explained): 4.0x"
