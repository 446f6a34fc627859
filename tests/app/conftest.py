"""A live app for the tests: `python app.py --port N` in a subprocess, with the
pretrained models imported once into this test session's cache.

The import is the session fixture tests/models uses too (tests/conftest.py), so
the models are imported once per test session.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 300


@pytest.fixture(scope="session")
def facexai_cache(pretrained_import) -> Path:
    """A session cache with dlib's and GEAR's models imported (tests/conftest.py)."""
    return pretrained_import[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    # As from a user's shell: without the test session's TensorFlow settings.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))},
           "FACEXAI_CACHE": str(cache), "PYTHONUNBUFFERED": "1"}
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


def build_race_model(folder: Path, name: str, biased: bool, seed: int) -> None:
    """A tiny random race model with an honest card: it stands in for the fair
    and census-biased models a person trains, to show they reach the page."""
    import keras

    from models.architecture import build_model
    from models.cards import InputContract, ModelCard
    from models.labels import FAIRFACE_RACE

    keras.utils.set_random_seed(seed)
    build_model(len(FAIRFACE_RACE), backbone="small_cnn", input_size=32, name=name).save(folder / f"{name}.keras")
    ModelCard(name=name, attribute="race", labels=FAIRFACE_RACE, input=InputContract(32, 0.25, "unit"),
              training_data="nothing: random weights built by the app tests"
              + (", census-biased card" if biased else ""),
              synthetic=True, extra={"biased": biased}).save(folder / f"{name}.json")


def audit_summary(synthetic=True) -> dict:
    """An audit summary in the shape training.evaluate writes (checked by its own writer below)."""
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


@pytest.fixture(scope="session")
def user_models(tmp_path_factory) -> Path:
    """A --models folder: two tiny race models and an audit report beside them."""
    from training.report import write_report

    folder = tmp_path_factory.mktemp("user-models")
    build_race_model(folder, "tiny-race-fair", biased=False, seed=1)
    build_race_model(folder, "tiny-race-biased", biased=True, seed=2)
    (folder / "audit").mkdir()
    write_report(folder / "audit", audit_summary())
    return folder


@pytest.fixture(scope="session")
def live_app(facexai_cache, user_models, tmp_path_factory):
    log = tmp_path_factory.mktemp("app-log") / "app.log"
    app = start_app(facexai_cache, log, "--models", str(user_models))
    temp_dir = app.temp_dir
    yield app
    app.stop()
    # Uploads and the overlays made from them must not outlive the app.
    assert not temp_dir.exists(), f"{temp_dir} left behind"


@pytest.fixture(scope="session")
def client(live_app):
    from gradio_client import Client

    return Client(live_app.url, verbose=False)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage.data import astronaut as load

    return np.ascontiguousarray(load())


@pytest.fixture(scope="session")
def photo_files(tmp_path_factory, astronaut) -> dict[str, Path]:
    """The test inputs as files, as a person would upload them."""
    from app.examples import no_face

    folder = tmp_path_factory.mktemp("uploads")
    files = {"astronaut": folder / "astronaut.png", "no_face": folder / "landscape.png",
             "text": folder / "notes.png"}
    Image.fromarray(astronaut).save(files["astronaut"])
    Image.fromarray(no_face()).save(files["no_face"])
    # A text file named like a photo: the extension must not fool the app.
    files["text"].write_text("These are my notes, not a photo.\n")
    return files


@pytest.fixture(scope="session")
def tiny_vilt_dir(tmp_path_factory) -> Path:
    """A tiny random ViltForQuestionAnswering saved with save_pretrained (as
    tests/vqa/conftest.py builds it): the --vqa-model folder of the app tests."""
    from tests.vqa.conftest import build_tiny_vilt

    return build_tiny_vilt(tmp_path_factory.mktemp("app-vilt") / "vilt")


@pytest.fixture(scope="session")
def empty_cache(tmp_path_factory) -> Path:
    """A FACEXAI_CACHE with no models: an app started on it (with --no-pretrained)
    holds only the models it is given, and starts quickly."""
    return tmp_path_factory.mktemp("empty-cache")
