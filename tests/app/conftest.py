"""Fixtures for the app tests: a live app (`python app.py --port N` in a subprocess,
tests/app/helpers.py) with the pretrained models imported once into this test
session's cache, a --models folder of the user's own models, and the photos as files.

The import is the session fixture tests/models uses too (tests/conftest.py), so
the models are imported once per test session. The astronaut and the tiny ViLT
(`tiny_vilt`) are tests/conftest.py's as well, shared with the vqa tests.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.app.helpers import audit_summary, start_app
from tests.tiny_models import build_race_model


@pytest.fixture(scope="session")
def facexai_cache(pretrained_import) -> Path:
    """A session cache with dlib's and GEAR's models imported (tests/conftest.py)."""
    return pretrained_import[0]


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
def empty_cache(tmp_path_factory) -> Path:
    """A FACEXAI_CACHE with no models: an app started on it (with --no-pretrained)
    holds only the models it is given, and starts quickly."""
    return tmp_path_factory.mktemp("empty-cache")
