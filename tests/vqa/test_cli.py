"""python -m vqa: text, JSON lines, overlays written to --out, batches with failures."""
import json
import subprocess
import sys

import pytest
from PIL import Image

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
                 "--out", str(out), "--json"])
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
    code = main([str(broken), str(photo), "Is she a woman?", "--models", str(tiny_dir), "--explain", "none"])
    captured = capsys.readouterr()
    assert code == 1
    assert "broken.jpg: error:" in captured.err
    assert "gender: " in captured.out and "trained on" in captured.out


def test_unsupported_question_prints_the_reason(photo, tiny_dir, capsys):
    assert main([str(photo), "What is her religion?", "--models", str(tiny_dir)]) == 0
    assert "will not guess" in capsys.readouterr().out


def test_unknown_method_is_a_usage_error(photo, capsys):
    assert main([str(photo), "How old?", "--explain", "lime"]) == 2
    assert "lime" in capsys.readouterr().err


def test_help_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "vqa", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "QUESTION" in done.stdout and "--explain" in done.stdout
